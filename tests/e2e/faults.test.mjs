// Fault test on the real runtime (`wrangler dev`, local workerd, D1 + KV): a published release
// in KV is overwritten with garbage behind the Worker's back. The routes that read it answer a
// clear 503 `release_unavailable` JSON error (never a 500 with a stack, never a crash), the
// other niches and routes keep working, and the next publication rewrites KV so that it equals
// D1's release history again. docs/schemathesis.md ("Faults").
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/faults.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { kvGet, kvPut, queryD1, request, startWorker } from './lib/wrangler.mjs';
import { fitnessRecords } from './lib/records.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

let worker;
const tokens = {};
before(async () => {
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } });
});
after(async () => {
  await worker?.stop();
});

const call = (method, route, token, body) =>
  request(`${worker.url}${route}`, {
    method,
    body,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });


/** Run the cron handler as scheduled at `atMs`. */
async function publishAt(atMs) {
  const res = await fetch(`${worker.url}/__scheduled?cron=17+3+*+*+*&time=${atMs}`);
  await res.text();
  assert.equal(res.status, 200);
}

/** The answer is the documented 503 JSON error, with nothing of the server's internals. */
function assertUnavailable(r, what) {
  assert.equal(r.status, 503, `${what}: ${r.text}`);
  assert.match(r.res.headers.get('content-type') ?? '', /application\/json/, what);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message'], what);
  assert.equal(r.json.error.code, 'release_unavailable', what);
  for (const leak of ['panicked', 'RuntimeError', 'wasm', 'line ', 'column', '.rs:']) {
    assert.ok(!r.text.includes(leak), `${what} leaks ${leak}: ${r.text}`);
  }
}

/** KV's releases equal D1's release_history rows of `period` (releases:all and release:<niche>). */
async function assertConsistent(period) {
  const rows = await queryD1(
    worker.persistDir,
    `SELECT niche, release_json FROM release_history WHERE period = ${period} ORDER BY niche`,
  );
  assert.equal(rows.length, 15);
  // Every niche through the bulk value; three of the per-niche keys (each read spawns wrangler).
  for (const row of rows.filter((r) => ['fitness', 'beauty', 'travel'].includes(r.niche))) {
    assert.equal(await kvGet(worker.persistDir, 'RELEASES', `release:${row.niche}`), row.release_json, row.niche);
  }
  const all = JSON.parse(await kvGet(worker.persistDir, 'RELEASES', 'releases:all'));
  assert.deepEqual(
    all.map((w) => w.niche).sort(),
    rows.map((r) => r.niche).sort(),
  );
  for (const w of all) {
    assert.deepEqual(w, JSON.parse(rows.find((r) => r.niche === w.niche).release_json), w.niche);
  }
}

const now = Date.now();
const period = Math.floor(Math.floor(now / DAY_MS) / 7);

test('setup: six opted-in fitness accounts and a first publication', async () => {
  for (let i = 0; i < 6; i++) {
    const acc = await call('POST', '/api/accounts', OPERATOR, { account_id: `fault-${i}` });
    assert.equal(acc.status, 201, acc.text);
    tokens[i] = acc.json.token;
    const ing = await call('POST', `/api/accounts/fault-${i}/records`, tokens[i], { records: fitnessRecords(12) });
    assert.equal(ing.json.stored, 12, ing.text);
    const c = await call('PUT', `/api/accounts/fault-${i}/consent`, tokens[i], { opted_in: true });
    assert.equal(c.status, 200, c.text);
  }
  await publishAt(now);
  await assertConsistent(period);
  const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w.status, 200, w.text);
  const applied = await call('POST', '/api/cross-learning/apply-wisdom', tokens[0], { account_id: 'fault-0' });
  assert.equal(applied.status, 200, applied.text);
});

test('a corrupt release:<niche> answers 503 release_unavailable on every route that reads it', async () => {
  const good = await kvGet(worker.persistDir, 'RELEASES', 'release:fitness');
  for (const garbage of ['\u0000\u00ffnot json{', '{"niche":"travel","published":true}', '[]']) {
    await kvPut(worker.persistDir, 'RELEASES', 'release:fitness', garbage);
    assertUnavailable(await call('GET', '/api/cross-learning/niche-wisdom/fitness'), `wisdom (${garbage})`);
    assertUnavailable(await call('GET', '/api/cross-learning/niche-wisdom/fitness?force_refresh=true'), 'refresh');
    const applied = await call('POST', '/api/cross-learning/apply-wisdom', tokens[0], { account_id: 'fault-0' });
    if (garbage !== '{"niche":"travel","published":true}') assertUnavailable(applied, `apply-wisdom (${garbage})`);
    else assert.ok([200, 503].includes(applied.status), applied.text);
    if (garbage.startsWith('\u0000')) {
      assertUnavailable(await call('GET', '/api/cross-learning/dashboard/fault-0', tokens[0]), 'dashboard');
    }
    // Everything else still answers: other niches, the bulk value, the stats, health.
    assert.equal((await call('GET', '/api/cross-learning/niche-wisdom/beauty')).status, 200);
    assert.equal((await call('GET', '/api/cross-learning/niche-wisdom')).status, 200);
    assert.equal((await call('GET', '/api/cross-learning/stats')).status, 200);
    assert.equal((await call('GET', '/health')).status, 200);
  }
  // Restoring the value restores the answers: nothing was cached or poisoned.
  await kvPut(worker.persistDir, 'RELEASES', 'release:fitness', good);
  assert.equal((await call('GET', '/api/cross-learning/niche-wisdom/fitness')).status, 200);
});

test('a corrupt releases:all answers 503 on the bulk routes only', async () => {
  await kvPut(worker.persistDir, 'RELEASES', 'releases:all', 'garbage');
  assertUnavailable(await call('GET', '/api/cross-learning/niche-wisdom'), 'bulk wisdom');
  assertUnavailable(await call('GET', '/api/cross-learning/stats'), 'stats');
  assert.equal((await call('GET', '/api/cross-learning/niche-wisdom/fitness')).status, 200);
  assert.equal((await call('POST', '/api/normalize', null, { metrics: [] })).status < 500, true);
});

test('the next publication replaces the corrupt values: KV equals D1 again and every route answers', async () => {
  await kvPut(worker.persistDir, 'RELEASES', 'release:fitness', 'garbage again');
  // The next period's publication (the operator's publication at a time in the next period).
  const next = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: now + WEEK_MS });
  assert.equal(next.status, 200, next.text);
  assert.equal(next.json.period, period + 1, next.text);
  await assertConsistent(period + 1);
  const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w.status, 200, w.text);
  const row = await queryD1(
    worker.persistDir,
    `SELECT release_json FROM release_history WHERE period = ${period + 1} AND niche = 'fitness'`,
  );
  if (w.json.success) assert.deepEqual(w.json.wisdom, JSON.parse(row[0].release_json));
  for (const [method, route, token, body] of [
    ['GET', '/api/cross-learning/niche-wisdom', null],
    ['GET', '/api/cross-learning/stats', null],
    ['GET', '/api/cross-learning/dashboard/fault-0', tokens[0]],
    ['POST', '/api/cross-learning/apply-wisdom', tokens[0], { account_id: 'fault-0' }],
  ]) {
    const r = await call(method, route, token, body);
    assert.equal(r.status, 200, `${route}: ${r.text}`);
  }
});
