// @ts-check
// Where the editor fetches public things from. Everything else runs in the page.

/**
 * Base URL of the model files: the Worker's `GET /api/models/{name}` (the exact bytes the Worker
 * itself scores with, strong ETag, cacheable; docs/worker.md).
 */
export const MODEL_BASE = "/api/models/";
/** The pre-launch CTR model file (docs/ctr-js.md). */
export const CTR_MODEL_FILE = "ctr-prelaunch-v1.bin";
/** The niche classifier file (docs/niche.md). */
export const NICHE_MODEL_FILE = "niche-v2.bin";
/** The Worker's public bulk niche-wisdom route (docs/worker.md). */
export const WISDOM_URL = "/api/cross-learning/niche-wisdom";
/** The SIMULATED snapshot release bundled at build time (scripts/snapshot-release.mjs). */
export const SNAPSHOT_URL = "./snapshot-release.json";
/** localStorage key of the last release fetched from the Worker (public data only). */
export const CACHED_RELEASE_KEY = "crosslearn.lastRelease";
/**
 * Whether to pass the release's benchmark CTRs as `priors` to `scoreCreative`. Off: the shipped
 * v1 model was trained without priors (docs/ctr-js.md), so they do not change its CTR, but its
 * untrained prior columns widen the 95 % interval to almost [0 %, 100 %] (measured: 1.26-1.42 %
 * without, 0.0003-98 % with; docs/editor.md). Turn on for a model trained with priors.
 */
export const USE_PRIORS = false;
