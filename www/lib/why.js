// @ts-check
// Why a niche (or one platform of it) has no benchmark, and what would change that, from the
// Worker's public release summary (`GET /api/cross-learning/stats`: one entry per niche's latest
// release, published or not). No DOM here.

/** @typedef {import("../pkg/lite/crosslearn_lite.js").NicheWisdom} NicheWisdom */

/** The Worker's public release summary (docs/worker.md, "Cross-learning endpoints"). */
export const STATS_URL = "/api/cross-learning/stats";

/**
 * One niche's latest release as the stats route lists it.
 * @typedef {object} ReleaseSummary
 * @property {string} niche
 * @property {string} release_id
 * @property {number} period
 * @property {boolean} published
 */

/**
 * What the stats route says about the releases (only the parts used here).
 * @typedef {object} ReleaseStatus
 * @property {ReleaseSummary[]} releases
 * @property {number[]} k the k values of the releases
 */

/**
 * The release status of a parsed stats body; anything malformed gives null.
 * @param {unknown} body
 * @returns {ReleaseStatus | null}
 */
export function releaseStatus(body) {
  if (typeof body !== "object" || body === null) return null;
  const b = /** @type {{ releases?: unknown, privacy?: { k?: unknown } }} */ (body);
  if (!Array.isArray(b.releases)) return null;
  const releases = /** @type {ReleaseSummary[]} */ (
    b.releases.filter((r) => typeof r === "object" && r !== null && typeof r.niche === "string" && typeof r.published === "boolean")
  );
  const k = Array.isArray(b.privacy?.k) ? b.privacy.k.filter((x) => typeof x === "number") : [];
  return { releases, k };
}

/**
 * Fetch the release status. Never throws: null when the Worker does not answer.
 * @returns {Promise<ReleaseStatus | null>}
 */
export async function loadReleaseStatus() {
  try {
    const res = await fetch(STATS_URL, { headers: { accept: "application/json" } });
    if (!res.ok || res.headers.get("x-crosslearn-cached-at")) return null;
    return releaseStatus(await res.json());
  } catch {
    return null;
  }
}

/** @type {Record<string, string>} */
const PLATFORM_NAMES = { meta: "Meta", tiktok: "TikTok", google_ads: "Google Ads" };
/** @param {string} s */
const human = (s) => PLATFORM_NAMES[s] ?? s.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** The core's false-publication rate α (`wisdom::release::FALSE_PUBLICATION_RATE`). */
const FALSE_PUBLICATION_RATE = 0.05;

/**
 * The noisy per-platform account count a published niche needs for a platform's benchmarks, as
 * the core computes it (`wisdom::platform_gate`): `max(k, t · ln(3 / α))`, `t` the published
 * noise scale of the `platform_count` group of the release the benchmarks come from (the
 * distribution release's, `distribution_privacy`, when there is one). At the production config
 * (k 50, the distribution release at epsilon 0.47, platform counts 0.175 of it) that is 50
 * accounts; the regular release's own would be 91. Null when the release does not say.
 * @param {NicheWisdom} wisdom
 * @returns {number | null}
 */
export function platformGate(wisdom) {
  // Benchmarks from a separate distribution release passed that release's gate.
  const privacy = wisdom.distribution_privacy ?? wisdom.privacy;
  const g = privacy.groups?.find((x) => x.group === "platform_count");
  if (!g || !(g.noise_scale > 0)) return null;
  return Math.max(privacy.k, g.noise_scale * Math.log(3 / FALSE_PUBLICATION_RATE));
}

/**
 * Why `niche` has no benchmark on `platform`, and what would change it.
 * @param {object} a
 * @param {string} a.niche
 * @param {string} a.platform
 * @param {NicheWisdom | null} a.wisdom the niche's published release, if any
 * @param {ReleaseStatus | null} a.status the Worker's release status (null: unknown)
 * @returns {string}
 */
export function missingReason({ niche, platform, wisdom, status }) {
  const k = wisdom?.privacy.k ?? (status && status.k.length > 0 ? Math.max(...status.k) : null);
  const kText = k === null ? "k" : `k = ${k}`;
  if (wisdom) {
    const others = wisdom.platforms.filter((p) => p.ctr && p.platform !== platform).map((p) => human(p.platform));
    const gate = platformGate(wisdom);
    const gateText = gate === null || gate <= wisdom.privacy.k
      ? kText
      : `${Math.ceil(gate)} (the platform gate: k = ${wisdom.privacy.k}, raised to ${Math.ceil(gate)} so that the noise on the count alone cannot publish a platform)`;
    const where = wisdom.distribution_period == null ? "" : ` to its distribution release dist:${wisdom.distribution_period}:${niche}`;
    return `The ${human(niche)} release ${niche}/${wisdom.period} is published, but fewer than ${gateText} accounts contributed on ${human(platform)}${where} (by the noisy count), so its CTR distribution is withheld. More opted-in ${human(niche)} accounts on ${human(platform)} would publish it in a later period's release${others.length ? `; ${others.join(" and ")} ${others.length === 1 ? "has" : "have"} one now` : ""}.`;
  }
  if (status === null) {
    return `No published ${human(niche)} release, and the Worker's release status is unavailable (offline?). Reload when the Worker answers.`;
  }
  const r = status.releases.find((x) => x.niche === niche);
  if (r && !r.published) {
    return `Not published: the ${human(niche)} release ${r.release_id} did not reach ${kText} contributing accounts (by the noisy count). More opted-in ${human(niche)} accounts with enough data (3 campaigns) would publish it in the next period's release.`;
  }
  return `Not yet published: the Worker has made no ${human(niche)} release for this period (the publication runs daily; or the niche's privacy budget for the window is spent). It appears after the next publication run.`;
}

/** The local demo's notice file (scripts/dev.sh writes it into dist/; never deployed). */
export const DEMO_NOTICE_URL = "./demo.json";

/**
 * The local demo's notice: `{ "simulated": true, "label": "..." }` gives the label; absent or
 * malformed gives null.
 * @returns {Promise<string | null>}
 */
export async function loadDemoNotice() {
  try {
    const res = await fetch(DEMO_NOTICE_URL);
    if (!res.ok) return null;
    const body = /** @type {unknown} */ (await res.json());
    if (typeof body !== "object" || body === null) return null;
    const b = /** @type {{ simulated?: unknown, label?: unknown }} */ (body);
    return b.simulated === true && typeof b.label === "string" ? b.label : null;
  } catch {
    return null;
  }
}
