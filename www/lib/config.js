// @ts-check
// Where the editor fetches public things from. Everything else runs in the page.

/**
 * Base URL of the model files: the Worker's `GET /api/models/{name}` (the exact bytes the Worker
 * itself scores with, strong ETag, cacheable; docs/worker.md).
 */
export const MODEL_BASE = "/api/models/";
/**
 * The CTR model file: the grounded model fitted to REAL exports (docs/ctr.md, "Grounded model"),
 * read with `GroundedCtr.fromJson`. The same model scores the draft, the variants, every
 * recommendation's predicted change and the imported rows, and is personalised with an import.
 */
export const CTR_MODEL_FILE = "ctr-grounded-v1.json";
/** The niche classifier file (docs/niche.md). */
export const NICHE_MODEL_FILE = "niche-v2.bin";
/** The Worker's public bulk niche-wisdom route (docs/worker.md). */
export const WISDOM_URL = "/api/cross-learning/niche-wisdom";
/** The SIMULATED snapshot release bundled at build time (scripts/snapshot-release.mjs). */
export const SNAPSHOT_URL = "./snapshot-release.json";
/** localStorage key of the last release fetched from the Worker (public data only). */
export const CACHED_RELEASE_KEY = "crosslearn.lastRelease";
