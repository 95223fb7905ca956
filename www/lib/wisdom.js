// @ts-check
// Niche wisdom for the editor: which release applies (live, cached, bundled snapshot), how old it
// is, and where a CTR sits in a release's published distribution. No DOM here (also used by the
// import Web Worker).

/** @typedef {import("../pkg/lite/crosslearn_lite.js").NicheWisdom} NicheWisdom */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").MetricBenchmark} MetricBenchmark */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Niche} Niche */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").Platform} Platform */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").NichePrior} NichePrior */
/** @typedef {import("../pkg/lite/crosslearn_lite.js").PosteriorTable} PosteriorTable */

/**
 * Where a release came from.
 * - `live`: fetched from the Worker just now;
 * - `cached`: the last release fetched from the Worker (the Worker is unreachable);
 * - `snapshot`: the SIMULATED release bundled with the page (nothing else has this niche).
 * @typedef {"live" | "cached" | "snapshot"} WisdomSource
 */

/**
 * A set of releases from one source.
 * @typedef {object} ReleaseSet
 * @property {WisdomSource} source
 * @property {NicheWisdom[]} niches published releases only (format 1)
 * @property {PosteriorTable[]} [posteriors] published format-2 posteriors (absent: none)
 * @property {string | null} asOf ISO date-time of the fetch (live/cached) or the snapshot's date
 * @property {string | null} label the snapshot's SIMULATED label
 */

/**
 * The release for one niche, with where it came from.
 * @typedef {object} ResolvedWisdom
 * @property {NicheWisdom} wisdom
 * @property {PosteriorTable | null} posteriors the same source's format-2 posteriors of the niche
 * @property {WisdomSource} source
 * @property {string | null} asOf
 * @property {string | null} label
 */

/**
 * The published format-1 releases of a parsed JSON body (`{ niches: NicheWisdom[] }`, the
 * Worker's bulk route, a cached copy of it and the snapshot file). Versioned: an entry's format is
 * its `version` (absent: 1); the editor reads format 1 and skips any other (the Worker sends the
 * format-2 posteriors beside it, under `posteriors`, which the editor does not use yet). Anything
 * else gives an empty list.
 * @param {unknown} body
 * @returns {NicheWisdom[]}
 */
export function publishedNiches(body) {
  if (typeof body !== "object" || body === null || !("niches" in body)) return [];
  const list = /** @type {{ niches: unknown }} */ (body).niches;
  if (!Array.isArray(list)) return [];
  return /** @type {NicheWisdom[]} */ (
    list.filter(
      (w) =>
        typeof w === "object" &&
        w !== null &&
        w.published === true &&
        typeof w.niche === "string" &&
        (w.version === undefined || w.version === 1),
    )
  );
}

/**
 * The published format-2 posterior tables of a parsed JSON body (`{ posteriors: PosteriorTable[] }`
 * beside `niches` in the Worker's bulk answer and its cached copies; a snapshot without it gives
 * none). Only entries of format 2 (`version` 2) are kept.
 * @param {unknown} body
 * @returns {PosteriorTable[]}
 */
export function publishedPosteriors(body) {
  if (typeof body !== "object" || body === null || !("posteriors" in body)) return [];
  const list = /** @type {{ posteriors: unknown }} */ (body).posteriors;
  if (!Array.isArray(list)) return [];
  return /** @type {PosteriorTable[]} */ (
    list.filter(
      (t) =>
        typeof t === "object" &&
        t !== null &&
        t.version === 2 &&
        t.published === true &&
        typeof t.niche === "string" &&
        Array.isArray(t.values),
    )
  );
}

/**
 * The release for `niche`: the first of `sets` (in preference order) that has it.
 * @param {ReleaseSet[]} sets
 * @param {Niche} niche
 * @returns {ResolvedWisdom | null}
 */
export function resolveWisdom(sets, niche) {
  for (const set of sets) {
    const wisdom = set.niches.find((w) => w.niche === niche);
    if (wisdom) {
      const posteriors = (set.posteriors ?? []).find((t) => t.niche === niche) ?? null;
      return { wisdom, posteriors, source: set.source, asOf: set.asOf, label: set.label };
    }
  }
  return null;
}

/**
 * The release the page uses for each niche any of `sets` has (`resolveWisdom` per niche).
 * @param {ReleaseSet[]} sets
 * @returns {ResolvedWisdom[]}
 */
export function resolveAll(sets) {
  const niches = new Set(sets.flatMap((set) => set.niches.map((w) => w.niche)));
  return [...niches].flatMap((niche) => {
    const r = resolveWisdom(sets, niche);
    return r ? [r] : [];
  });
}

/**
 * The last day (exclusive, as a Date) of a release's period.
 * @param {NicheWisdom} w
 * @returns {Date}
 */
export function periodEnd(w) {
  const days = (w.period + 1) * w.privacy.cadence_days;
  return new Date(days * 86_400_000);
}

/**
 * Whether a release is stale at `now`: a newer period has fully passed since its own ended.
 * @param {NicheWisdom} w
 * @param {Date} now
 * @returns {boolean}
 */
export function isStale(w, now) {
  return now.getTime() > periodEnd(w).getTime() + w.privacy.cadence_days * 86_400_000;
}

/**
 * The CTR benchmark of a platform in a release, when published.
 * @param {NicheWisdom} w
 * @param {Platform} platform
 * @returns {{ ctr: MetricBenchmark, accounts: number } | null}
 */
export function platformCtr(w, platform) {
  const p = w.platforms.find((x) => x.platform === platform);
  return p && p.ctr ? { ctr: p.ctr, accounts: p.accounts } : null;
}

/**
 * The percentile (1-99) of `ctr` among the released distribution: linear interpolation in
 * ln(CTR) between p10, p25, p50, p75 and p90; beyond them the nearest segment's slope, clamped
 * (the same rule as the core's dashboard, docs/advice.md).
 * @param {MetricBenchmark} q
 * @param {number} ctr
 * @returns {number | null} null when the quantiles or the CTR are not positive
 */
export function percentileOf(q, ctr) {
  const pts = [
    [q.p10, 10],
    [q.p25, 25],
    [q.p50, 50],
    [q.p75, 75],
    [q.p90, 90],
  ];
  if (!(ctr > 0) || pts.some(([v]) => !(v > 0))) return null;
  const x = Math.log(ctr);
  const lx = pts.map(([v]) => Math.log(v));
  let i = 0;
  while (i < 3 && x > lx[i + 1]) i++;
  const [x0, x1] = [lx[i], lx[i + 1]];
  const [p0, p1] = [pts[i][1], pts[i + 1][1]];
  const p = x1 > x0 ? p0 + ((x - x0) / (x1 - x0)) * (p1 - p0) : x >= x1 ? p1 : p0;
  return Math.min(99, Math.max(1, p));
}

/**
 * The label of a percentile: above (>= 60), average, below (<= 40).
 * @param {number} p
 * @returns {"above" | "average" | "below"}
 */
export function percentileLabel(p) {
  return p >= 60 ? "above" : p <= 40 ? "below" : "average";
}

/**
 * Benchmark CTRs of every (niche, platform) of the releases, for the encoder's prior columns.
 * @param {NicheWisdom[]} releases
 * @returns {NichePrior[]}
 */
export function priorsOf(releases) {
  /** @type {NichePrior[]} */
  const out = [];
  for (const w of releases) {
    for (const p of w.platforms) {
      if (p.ctr && p.ctr.mean > 0 && p.ctr.mean < 1) out.push({ niche: w.niche, platform: p.platform, ctr: p.ctr.mean });
    }
  }
  return out;
}
