// @ts-check
// Offline support for the ad editor: network first for everything the page fetches from its own
// origin (so a deployment is picked up at once), with the last good answer kept in the cache for
// when the Worker is unreachable. A niche-wisdom answer served from the cache carries the header
// `x-crosslearn-cached-at` (when it was fetched), so the page can say it is not live.

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));
const CACHE = "crosslearn-editor-v7";
/** Fetched at install, so the page works offline after its first load. */
const PRECACHE = [
  "./",
  "./index.html",
  "./style.css",
  "./app.js",
  "./import-worker.js",
  "./lib/chart.js",
  "./lib/config.js",
  "./lib/advice.js",
  "./lib/creative.js",
  "./lib/dom.js",
  "./lib/examples.js",
  "./lib/explore.js",
  "./lib/import-ui.js",
  "./lib/releases.js",
  "./lib/upload.js",
  "./lib/why.js",
  "./lib/wisdom.js",
  "./pkg/lite/crosslearn_lite.js",
  "./pkg/lite/crosslearn_lite_bg.wasm",
  "/api/models/ctr-grounded-v1.json",
  "/api/models/niche-v2.bin",
  "./snapshot-release.json",
];
const WISDOM_PATH = "/api/cross-learning/niche-wisdom";

sw.addEventListener("install", (e) => {
  e.waitUntil(
    caches.open(CACHE).then((c) => c.addAll(PRECACHE)).then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== sw.location.origin) return;
  // Only public things are cached: the page's files and the published wisdom, never other API
  // answers.
  if (url.pathname.startsWith("/api/") && url.pathname !== WISDOM_PATH && !url.pathname.startsWith("/api/models/")) return;
  e.respondWith(networkFirst(e.request, url.pathname === WISDOM_PATH));
});

/**
 * @param {Request} req
 * @param {boolean} wisdom
 * @returns {Promise<Response>}
 */
async function networkFirst(req, wisdom) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) {
      if (wisdom) {
        const headers = new Headers(res.headers);
        headers.set("x-crosslearn-cached-at", new Date().toISOString());
        const body = await res.clone().arrayBuffer();
        await cache.put(req, new Response(body, { status: 200, headers }));
      } else {
        await cache.put(req, res.clone());
      }
    }
    return res;
  } catch (err) {
    const hit = await cache.match(req, { ignoreSearch: wisdom });
    if (hit) return hit;
    throw err;
  }
}
