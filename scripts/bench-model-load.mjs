// The first-request cost of reading the niche classifier from KV (docs/worker.md, "Model files"),
// on local workerd (`wrangler dev`): for each of RUNS fresh Workers started WITHOUT the model,
// seed it (scripts/seed-models.sh), then time detect-niche: the first request reads KV, checks
// the hash and decodes the model; the next ones reuse it. Prints the Worker's own wall time
// (Server-Timing handler;dur) and the client's, per request.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node scripts/bench-model-load.mjs [RUNS=3] [LATER=20]

import { performance } from 'node:perf_hooks';
import { request, seedModels, startWorker } from '../tests/e2e/lib/wrangler.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const LATER = Number(process.argv[3] ?? 20);
const TEXT = 'Crush your leg day: a 20-minute gym workout to build muscle';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(url) {
  const t0 = performance.now();
  const r = await request(`${url}/api/cross-learning/detect-niche`, { method: 'POST', body: { text: TEXT } });
  const client = performance.now() - t0;
  if (r.status !== 200) throw new Error(`detect-niche ${r.status}: ${r.text}`);
  const server = Number((r.res.headers.get('server-timing') ?? '').replace(/^handler;dur=/, ''));
  return { server, client };
}

const first = [];
const later = [];
for (let run = 0; run < RUNS; run++) {
  const worker = await startWorker({ seedModels: false, logLevel: 'none' });
  try {
    await seedModels(worker.persistDir);
    first.push(await timed(worker.url));
    for (let i = 0; i < LATER; i++) later.push(await timed(worker.url));
  } finally {
    await worker.stop();
  }
}
const fmt = (xs, k) => xs.map((x) => x[k].toFixed(1)).join(', ');
console.log(`first detect-niche per isolate (KV read + FNV check + decode + detect), ${RUNS} Workers:`);
console.log(`  server ms: ${fmt(first, 'server')}; client ms: ${fmt(first, 'client')}`);
console.log(`later requests (${later.length}): median server ${median(later.map((x) => x.server))} ms, client ${median(later.map((x) => x.client)).toFixed(1)} ms`);
