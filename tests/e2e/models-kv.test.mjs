// The niche classifier from KV on the real runtime (`wrangler dev`, local workerd + KV): the
// Worker does not embed models/niche-v2.bin, it reads it from the KV namespace MODELS (key
// `model:niche-v2.bin`) and checks it against the FNV-1a 64 pinned at build time
// (docs/worker.md, "Model files"). A Worker started without the seeded model answers 503
// `model_unavailable` naming the key (missing); bytes that are not the pinned file (the previous
// model, one flipped bit) are refused naming expected and got hash; once the right bytes are
// seeded (scripts/seed-models.sh) the next request loads them: detection works and the file is
// served with its ETag. The embedded model files never depend on KV.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/models-kv.test.mjs

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { kvPut, MODELS_BINDING, request, ROOT, seedModels, startWorker } from './lib/wrangler.mjs';

const NAME = 'niche-v2.bin';
const KEY = `model:${NAME}`;
const FILE = readFileSync(`${ROOT}/models/${NAME}`);
const FITNESS = 'Crush your leg day: a 20-minute gym workout to build muscle';

/** FNV-1a 64 of `bytes`, 16 hex digits (crosslearn::hash::fnv1a64). */
function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
const PINNED = fnv1a64(FILE);

let worker;
before(async () => {
  worker = await startWorker({ seedModels: false });
});
after(async () => {
  await worker?.stop();
});

const call = (method, route, body, headers = {}) => request(`${worker.url}${route}`, { method, body, headers });
const detect = () => call('POST', '/api/cross-learning/detect-niche', { text: FITNESS });

/** The documented 503: code model_unavailable, the key named, nothing of the internals. */
function assertUnavailable(r, what, ...needles) {
  assert.equal(r.status, 503, `${what}: ${r.text}`);
  assert.match(r.res.headers.get('content-type') ?? '', /application\/json/, what);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message'], what);
  assert.equal(r.json.error.code, 'model_unavailable', what);
  for (const needle of [KEY, ...needles]) assert.ok(r.json.error.message.includes(needle), `${what}: no "${needle}" in ${r.text}`);
  for (const leak of ['panicked', 'RuntimeError', 'unreachable', '.rs:']) assert.ok(!r.text.includes(leak), `${what} leaks ${leak}: ${r.text}`);
  return r.json.error.message;
}

async function assertRefused(...needles) {
  assertUnavailable(await detect(), 'detect-niche', ...needles);
  assertUnavailable(await call('GET', `/api/models/${NAME}`), `GET /api/models/${NAME}`, ...needles);
  // A client that holds the pinned file gets no 304 from a Worker that cannot serve it.
  assertUnavailable(await call('GET', `/api/models/${NAME}`, undefined, { 'if-none-match': `"${PINNED}"` }), 'If-None-Match', ...needles);
  const health = await call('GET', '/health');
  assert.equal(health.status, 200, 'the Worker stays alive');
  assert.equal(health.json.status, 'degraded', health.text);
  const [model] = health.json.models;
  assert.deepEqual([model.name, model.key, model.fnv1a64, model.state], [NAME, KEY, PINNED, 'unavailable'], health.text);
  for (const needle of needles) assert.ok(model.reason.includes(needle), health.text);
}

test('without the seeded model: 503 model_unavailable naming the key; embedded models and other routes work', async () => {
  await assertRefused('is missing');
  for (const name of ['ctr-prelaunch-v1.bin', 'ctr-inflight-v1.bin', 'ctr-grounded-v1.json']) {
    const res = await fetch(`${worker.url}/api/models/${name}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, name);
    assert.deepEqual(bytes, new Uint8Array(readFileSync(`${ROOT}/models/${name}`)), name);
  }
  const score = await call('POST', '/api/score', {
    model: 'pre_launch',
    creatives: [{ platform: 'meta', niche: 'fitness', hook_type: 'question', cta_style: 'shop_now', visual_tags: ['ugc'], format: 'video', duration_s: 20, posting_hour: 9 }],
  });
  assert.equal(score.status, 200, score.text);
});

test('other bytes than the pinned file are refused, naming expected and got hash', async () => {
  const previous = readFileSync(`${ROOT}/models/niche-v1.bin`);
  const flipped = Buffer.from(FILE);
  flipped[flipped.length - 1] ^= 1;
  for (const [what, bytes] of [['the previous model', previous], ['one flipped bit', flipped]]) {
    await kvPut(worker.persistDir, MODELS_BINDING, KEY, bytes);
    const got = fnv1a64(bytes);
    assert.notEqual(got, PINNED, what);
    await assertRefused('hash mismatch', `expected FNV-1a 64 ${PINNED} (${FILE.length} bytes)`, `got ${got} (${bytes.length} bytes)`);
  }
});

test('once the right bytes are seeded, the next request loads them: detection and the file', async (t) => {
  await seedModels(worker.persistDir);
  // The first request after seeding reads KV, checks and decodes the model; the next ones reuse it.
  const first = await detect();
  const second = await detect();
  for (const r of [first, second]) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.niche, 'fitness', r.text);
    assert.equal(r.json.model, NAME);
  }
  const dur = (r) => r.res.headers.get('server-timing');
  t.diagnostic(`detect-niche Server-Timing: first (KV read + check + decode) ${dur(first)}, second ${dur(second)}`);

  const res = await fetch(`${worker.url}/api/models/${NAME}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.equal(res.status, 200);
  assert.deepEqual(bytes, new Uint8Array(FILE));
  assert.equal(res.headers.get('etag'), `"${PINNED}"`);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
  const again = await fetch(`${worker.url}/api/models/${NAME}`, { headers: { 'if-none-match': `"${PINNED}"` } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);

  const health = await call('GET', '/health');
  assert.equal(health.json.status, 'ok', health.text);
  assert.deepEqual(health.json.models, [{ name: NAME, key: KEY, fnv1a64: PINNED, state: 'ready', reason: null }]);
});
