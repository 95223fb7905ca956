// @ts-check
// Loading the niche wisdom the page uses, in preference order: the Worker's published releases
// (live, or the last copy when the Worker is unreachable), then the bundled SIMULATED snapshot.
import { CACHED_RELEASE_KEY, SNAPSHOT_URL, WISDOM_URL } from "./config.js";
import { publishedNiches, publishedPosteriors } from "./wisdom.js";

/** @typedef {import("./wisdom.js").ReleaseSet} ReleaseSet */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").NicheWisdom} NicheWisdom */

/**
 * What the last `loadReleases` found out about the Worker.
 * @type {{ reachable: boolean, error: string | null }}
 */
export const workerState = { reachable: false, error: null };

/**
 * The last release fetched from the Worker, kept in localStorage (public data only).
 * @returns {ReleaseSet | null}
 */
function cachedSet() {
  try {
    const raw = localStorage.getItem(CACHED_RELEASE_KEY);
    if (!raw) return null;
    const v = /** @type {unknown} */ (JSON.parse(raw));
    if (typeof v !== "object" || v === null || !("fetchedAt" in v) || !("body" in v)) return null;
    const fetchedAt = /** @type {{ fetchedAt: unknown }} */ (v).fetchedAt;
    const body = /** @type {{ body: unknown }} */ (v).body;
    return { source: "cached", niches: publishedNiches(body), posteriors: publishedPosteriors(body), asOf: typeof fetchedAt === "string" ? fetchedAt : null, label: null };
  } catch {
    return null;
  }
}

/**
 * Fetch the releases. Never throws: a source that fails is left out.
 * @returns {Promise<ReleaseSet[]>}
 */
export async function loadReleases() {
  /** @type {ReleaseSet[]} */
  const sets = [];
  try {
    const res = await fetch(WISDOM_URL, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = /** @type {unknown} */ (await res.json());
    // The service worker answers from its cache when the Worker is unreachable and says so.
    const cachedAt = res.headers.get("x-crosslearn-cached-at");
    if (cachedAt) {
      workerState.reachable = false;
      sets.push({ source: "cached", niches: publishedNiches(body), posteriors: publishedPosteriors(body), asOf: cachedAt, label: null });
    } else {
      workerState.reachable = true;
      const fetchedAt = new Date().toISOString();
      sets.push({ source: "live", niches: publishedNiches(body), posteriors: publishedPosteriors(body), asOf: fetchedAt, label: null });
      try {
        localStorage.setItem(CACHED_RELEASE_KEY, JSON.stringify({ fetchedAt, body }));
      } catch {
        // Storage full or disabled: the service worker's copy remains.
      }
    }
  } catch (e) {
    workerState.reachable = false;
    workerState.error = e instanceof Error ? e.message : String(e);
    const cached = cachedSet();
    if (cached) sets.push(cached);
  }
  try {
    const res = await fetch(SNAPSHOT_URL);
    if (res.ok) {
      const body = /** @type {unknown} */ (await res.json());
      const meta = /** @type {{ date?: unknown, label?: unknown }} */ (typeof body === "object" && body !== null ? body : {});
      sets.push({
        source: "snapshot",
        niches: publishedNiches(body),
        posteriors: publishedPosteriors(body),
        asOf: typeof meta.date === "string" ? meta.date : null,
        label: typeof meta.label === "string" ? meta.label : "SIMULATED",
      });
    }
  } catch {
    // No snapshot bundled: only live/cached wisdom.
  }
  return sets;
}

/**
 * One line about the sources for the status bar.
 * @param {ReleaseSet[]} sets
 * @returns {string}
 */
export function describeSource(sets) {
  const live = sets.find((s) => s.source === "live");
  const cached = sets.find((s) => s.source === "cached");
  const parts = [];
  if (live) parts.push(`the Worker has ${live.niches.length} published niche${live.niches.length === 1 ? "" : "s"}`);
  else if (cached) parts.push(`the Worker is unreachable (cached copy: ${cached.niches.length} niches)`);
  else parts.push("the Worker is unreachable and nothing is cached");
  if (!sets.some((s) => s.source === "snapshot")) parts.push("no bundled snapshot");
  return parts.join("; ");
}
