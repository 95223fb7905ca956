// End-to-end tests of the Redis aggregate store (docs/redis.md) on the real runtime: wrangler dev
// (local workerd, D1, KV) speaking RESP over a TCP socket to a real, private `redis-server`
// started on a free port and stopped by pid.
//
// - Redis mode and D1-only mode give the same pre-noise aggregates on the same data.
// - Redis killed mid-ingest and restarted empty: every acknowledged record is in D1, and after the
//   catch-up Redis equals a rebuild from D1.
// - Redis stalled (SIGSTOP): requests complete within their timeout; the outbox drains after.
// - Wrong password / TLS against a plain server: a clear error, quickly, never a hang.
// - Redis restarted from an older RDB snapshot (SAVE, changes, restart from the dump): detected
//   and rebuilt, never served.
// - Redis switched off (REDIS_HOST unset), changes, switched on again with its old data: the
//   changes were counted in the outbox and are replayed before Redis is used.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/redis.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startRedis } from './lib/redis.mjs';
import { queryD1, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const PASSWORD = `pw_${randomBytes(8).toString('hex')}`;
const TIMEOUT_MS = 300;

let redis;
let withRedis; // Worker in Redis mode
let d1Only; // Worker without REDIS_* vars
before(async () => {
  redis = await startRedis({ password: PASSWORD });
  const redisVars = {
    OPERATOR_TOKEN: OPERATOR,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_PASSWORD: PASSWORD,
    REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  // One after the other: two parallel starts can race for the same free port.
  withRedis = await startWorker({ vars: redisVars });
  d1Only = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } });
});
after(async () => {
  await Promise.all([withRedis?.stop(), d1Only?.stop()]);
  await redis?.stop();
});

const call = (worker, method, route, token = OPERATOR, body) =>
  request(`${worker.url}${route}`, { method, body, headers: { authorization: `Bearer ${token}` } });

const NICHES = ['fitness', 'beauty', 'food', 'travel'];
const HOOKS = ['question', 'pain_point', 'offer', 'social_proof'];

/** Made-up (simulated) records of account number `a`, ids from `from`. */
function records(a, n, from = 0) {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return {
      record_id: `r${i}`,
      campaign_id: `c${i % 3}`,
      platform: ['meta', 'tiktok', 'google'][(a + i) % 3],
      niche: NICHES[a % NICHES.length],
      hook_type: HOOKS[(a + i) % 4],
      cta_style: ['shop_now', 'learn_more'][(a * 7 + i) % 2],
      format: 'video',
      duration_s: 8 + ((a * 13 + i * 7) % 50),
      posting_hour: (a * 5 + i * 3) % 24,
      impressions: 10000 + ((a * 977 + i * 131) % 20000),
      clicks: 100 + ((a * 37 + i * 53) % 400),
      conversions: 5 + ((a + i) % 30),
      spend: 100 + ((a * 3 + i) % 80),
      revenue: 150 + ((a * 17 + i * 29) % 700),
    };
  });
}

/** Create account `id`, opt it in, ingest `recs`; returns the per-step sync headers. */
async function seedAccount(worker, id, recs, optIn = true) {
  const created = await call(worker, 'POST', '/api/accounts', OPERATOR, { account_id: id });
  assert.equal(created.status, 201, created.text);
  const token = created.json.token;
  const consent = await call(worker, 'PUT', `/api/accounts/${id}/consent`, token, { opted_in: optIn });
  assert.equal(consent.status, 200, consent.text);
  const ingest = await call(worker, 'POST', `/api/accounts/${id}/records`, token, { records: recs });
  assert.equal(ingest.status, 200, ingest.text);
  return { token, sync: [consent, ingest].map((r) => r.res.headers.get('x-aggregates-sync')) };
}

async function aggregates(worker, source) {
  const r = await call(worker, 'GET', `/api/admin/aggregates?source=${source}`);
  assert.equal(r.status, 200, r.text);
  return r.json.niches;
}

async function assertConsistent(worker) {
  const check = await call(worker, 'GET', '/api/admin/redis/check');
  assert.equal(check.status, 200, check.text);
  assert.equal(check.json.pending, 0, check.text);
  assert.ok(check.json.ready, check.text);
  for (const n of check.json.niches) {
    assert.ok(n.equal && n.same_release, `niche ${n.niche} differs: ${JSON.stringify(n)}`);
  }
  assert.equal(check.json.consistent, true);
  assert.deepEqual(await aggregates(worker, 'redis'), await aggregates(worker, 'd1'));
}

test('Redis mode and D1-only mode: the same pre-noise aggregates on the same data', async () => {
  const rebuilt = await call(withRedis, 'POST', '/api/admin/redis/rebuild');
  assert.equal(rebuilt.status, 200, rebuilt.text);
  const health = await call(withRedis, 'GET', '/api/admin/redis/health');
  assert.deepEqual(
    [health.json.configured, health.json.ok, health.json.ready, health.json.error],
    [true, true, true, null],
  );
  for (let a = 0; a < 12; a++) {
    const recs = records(a, 12 + (a % 5));
    const [r, d] = await Promise.all([
      seedAccount(withRedis, `m${a}`, recs, a !== 11),
      seedAccount(d1Only, `m${a}`, recs, a !== 11),
    ]);
    assert.deepEqual(r.sync, ['synced', 'synced']);
    assert.deepEqual(d.sync, ['disabled', 'disabled']);
    // A second batch replaces the account's contribution (subtract old, add new).
    if (a % 4 === 0) {
      const more = records(a, 6, 100);
      for (const [w, t] of [[withRedis, r.token], [d1Only, d.token]]) {
        const res = await call(w, 'POST', `/api/accounts/m${a}/records`, t, { records: more });
        assert.equal(res.status, 200, res.text);
      }
    }
  }
  // One opt-out and one erasure in both.
  for (const w of [withRedis, d1Only]) {
    assert.equal((await call(w, 'PUT', '/api/accounts/m1/consent', OPERATOR, { opted_in: false })).status, 200);
    assert.equal((await call(w, 'DELETE', '/api/accounts/m2')).status, 200);
  }
  const fromRedis = await aggregates(withRedis, 'redis');
  const fromD1Only = await aggregates(d1Only, 'd1');
  assert.ok(fromRedis.length >= 3, JSON.stringify(fromRedis.map((n) => [n.niche, n.accounts])));
  assert.equal(fromRedis.reduce((s, n) => s + n.accounts, 0), 9); // 12 - 1 never opted in - 1 out - 1 erased
  assert.deepEqual(fromRedis, fromD1Only);
  await assertConsistent(withRedis);
  // The erased account's outbox row stays as its tombstone: its last seq, all synced, no data.
  const rows = await queryD1(withRedis.persistDir, "SELECT seq, synced FROM redis_outbox WHERE account_id = 'm2'");
  assert.equal(rows.length, 1);
  assert.ok(rows[0].seq >= 3 && rows[0].synced === rows[0].seq, JSON.stringify(rows));
  // D1-only mode has no Redis: its operator routes say so instead of hanging.
  const noRedis = await call(d1Only, 'GET', '/api/admin/redis/check');
  assert.equal(noRedis.status, 503);
  assert.match(noRedis.json.error.message, /REDIS_HOST/);
  // Publication runs in both modes.
  for (const w of [withRedis, d1Only]) {
    const res = await fetch(`${w.url}/__scheduled?cron=17+3+*+*+*`);
    await res.text();
    assert.equal(res.status, 200);
    const history = await queryD1(w.persistDir, 'SELECT COUNT(*) AS n FROM release_history');
    assert.equal(history[0].n, 15);
  }
});

test('Redis killed mid-ingest and restarted empty: no acknowledged record lost, consistent after catch-up', async () => {
  const tokens = [];
  for (let a = 20; a < 30; a++) {
    const created = await call(withRedis, 'POST', '/api/accounts', OPERATOR, { account_id: `k${a}` });
    tokens.push(created.json.token);
    await call(withRedis, 'PUT', `/api/accounts/k${a}/consent`, created.json.token, { opted_in: true });
  }
  // Ten batches in flight; Redis dies while they run.
  const batches = tokens.map((t, i) =>
    call(withRedis, 'POST', `/api/accounts/k${20 + i}/records`, t, { records: records(20 + i, 14) }),
  );
  setTimeout(() => redis.stop(), 30);
  const results = await Promise.all(batches);
  const acknowledged = results.filter((r) => r.status === 200);
  assert.equal(acknowledged.length, 10, results.map((r) => r.status).join(','));
  const stored = acknowledged.reduce((s, r) => s + r.json.stored, 0);
  assert.equal(stored, 140);
  const headers = results.map((r) => r.res.headers.get('x-aggregates-sync'));
  await redis.stop();
  // While Redis is down: ingest still succeeds (queued), health says why, quickly.
  const extra = await call(withRedis, 'POST', '/api/accounts/k20/records', tokens[0], { records: records(20, 3, 50) });
  assert.equal(extra.status, 200, extra.text);
  assert.equal(extra.res.headers.get('x-aggregates-sync'), 'queued');
  const down = await call(withRedis, 'GET', '/api/admin/redis/health');
  assert.equal(down.json.ok, false);
  assert.match(down.json.error, /redis/);
  assert.ok(down.json.pending >= 1, down.text);

  // Every acknowledged record is in D1.
  const rows = await queryD1(withRedis.persistDir, "SELECT COUNT(*) AS n FROM records WHERE account_id LIKE 'k%'");
  assert.equal(rows[0].n, 143, `headers during the kill: ${headers}`);

  // Redis comes back empty: not ready; the drain rebuilds from D1.
  await redis.restart();
  const back = await call(withRedis, 'GET', '/api/admin/redis/health');
  assert.deepEqual([back.json.ok, back.json.ready], [true, false], back.text);
  const sync = await call(withRedis, 'POST', '/api/admin/redis/sync');
  assert.equal(sync.status, 200, sync.text);
  assert.equal(sync.json.rebuilt, true);
  assert.equal(sync.json.pending, 0);
  await assertConsistent(withRedis);
});

test('Redis stalled (SIGSTOP): requests finish within the timeout; the outbox drains afterwards', async () => {
  const created = await call(withRedis, 'POST', '/api/accounts', OPERATOR, { account_id: 'stall' });
  const token = created.json.token;
  await call(withRedis, 'PUT', '/api/accounts/stall/consent', token, { opted_in: true });
  redis.pause();
  try {
    const t0 = Date.now();
    const res = await call(withRedis, 'POST', '/api/accounts/stall/records', token, { records: records(3, 12) });
    const took = Date.now() - t0;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.res.headers.get('x-aggregates-sync'), 'queued');
    // At most a few timeouts (connect, AUTH, the script load) plus the D1 work.
    assert.ok(took < 8 * TIMEOUT_MS + 2000, `ingest took ${took} ms with Redis stopped`);
    const t1 = Date.now();
    const health = await call(withRedis, 'GET', '/api/admin/redis/health');
    assert.ok(Date.now() - t1 < 4 * TIMEOUT_MS + 2000);
    assert.equal(health.json.ok, false);
    assert.match(health.json.error, /timed out after 300 ms/);
    const rebuild = await call(withRedis, 'POST', '/api/admin/redis/rebuild');
    assert.equal(rebuild.status, 503);
    assert.equal(rebuild.json.error.code, 'redis_unavailable');
    // Publication while Redis hangs: it falls back to D1 and completes.
    const t2 = Date.now();
    const sched = await fetch(`${withRedis.url}/__scheduled?cron=17+3+*+*+*`);
    await sched.text();
    assert.equal(sched.status, 200);
    assert.ok(Date.now() - t2 < 10_000);
  } finally {
    redis.resume();
  }
  const sync = await call(withRedis, 'POST', '/api/admin/redis/sync');
  assert.equal(sync.status, 200, sync.text);
  assert.equal(sync.json.rebuilt, false);
  assert.ok(sync.json.applied >= 1, sync.text);
  await assertConsistent(withRedis);
});

test('wrong password and TLS against a plain server: clear errors, no hang', async () => {
  const base = {
    OPERATOR_TOKEN: OPERATOR,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  const wrong = await startWorker({ vars: { ...base, REDIS_PASSWORD: 'not-the-password' } });
  let tls;
  try {
    tls = await startWorker({ vars: { ...base, REDIS_PASSWORD: PASSWORD, REDIS_TLS: 'on' } });
  } catch (e) {
    await wrong.stop();
    throw e;
  }
  try {
    const t0 = Date.now();
    const h = await call(wrong, 'GET', '/api/admin/redis/health');
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(h.json.ok, false);
    assert.match(h.json.error, /authentication failed.*REDIS_PASSWORD.*WRONGPASS/);
    const r = await call(wrong, 'POST', '/api/admin/redis/rebuild');
    assert.equal(r.status, 503);
    assert.match(r.json.error.message, /authentication failed/);
    // Ingest is still acknowledged (D1), with the change queued.
    const { sync } = await seedAccount(wrong, 'wp', records(1, 12));
    assert.deepEqual(sync, ['queued', 'queued']);

    const t1 = Date.now();
    const t = await call(tls, 'GET', '/api/admin/redis/health');
    assert.ok(Date.now() - t1 < 4 * TIMEOUT_MS + 2000, `TLS health took ${Date.now() - t1} ms`);
    assert.equal(t.json.ok, false);
    assert.match(t.json.error, /TLS|tls/);
    const r2 = await call(tls, 'POST', '/api/admin/redis/sync');
    assert.equal(r2.status, 503);
  } finally {
    await wrong.stop();
    await tls.stop();
  }
});

/** The Worker vars for Redis mode against `server`. */
const redisVarsFor = (server) => ({
  OPERATOR_TOKEN: OPERATOR,
  REDIS_HOST: '127.0.0.1',
  REDIS_PORT: String(server.port),
  REDIS_PASSWORD: PASSWORD,
  REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
});

/** Contributing accounts per niche, from D1 (the truth to compare with). */
async function contributingInD1(worker) {
  return (await aggregates(worker, 'd1')).reduce((s, n) => s + n.accounts, 0);
}

test('Redis restarted from an older RDB snapshot: detected and rebuilt from D1, never served', async () => {
  const server = await startRedis({ password: PASSWORD });
  let w;
  try {
    w = await startWorker({ vars: redisVarsFor(server) });
    assert.equal((await call(w, 'POST', '/api/admin/redis/rebuild')).status, 200);
    const tokens = {};
    for (let a = 0; a < 4; a++) {
      const { token, sync } = await seedAccount(w, `s${a}`, records(a * 4, 12)); // all `fitness`
      assert.deepEqual(sync, ['synced', 'synced']);
      tokens[`s${a}`] = token;
    }
    await server.save();
    // After the snapshot: an erasure, an opt-out and a second batch, all synced.
    const erased = await call(w, 'DELETE', '/api/accounts/s0', tokens.s0);
    assert.equal(erased.res.headers.get('x-aggregates-sync'), 'synced', erased.text);
    const out = await call(w, 'PUT', '/api/accounts/s1/consent', tokens.s1, { opted_in: false });
    assert.equal(out.res.headers.get('x-aggregates-sync'), 'synced', out.text);
    const more = await call(w, 'POST', '/api/accounts/s2/records', tokens.s2, { records: records(8, 6, 100) });
    assert.equal(more.res.headers.get('x-aggregates-sync'), 'synced', more.text);
    await assertConsistent(w);
    assert.equal(await contributingInD1(w), 2);

    // Redis restarts from the dump: its ready marker and epoch came back, nothing is pending in
    // the outbox, and it still counts s0 and s1.
    await server.restart();
    const health = await call(w, 'GET', '/api/admin/redis/health');
    assert.deepEqual([health.json.ok, health.json.ready, health.json.pending], [true, true, 0], health.text);
    const stale = await aggregates(w, 'redis');
    assert.equal(stale.reduce((s, n) => s + n.accounts, 0), 4, JSON.stringify(stale));
    const check = await call(w, 'GET', '/api/admin/redis/check');
    assert.equal(check.status, 200, check.text);
    assert.deepEqual([check.json.consistent, check.json.trusted], [false, false], check.text);
    assert.match(check.json.reason, /older snapshot/);

    // The publication does not serve it: its counts are D1's (it rebuilt Redis on the way).
    const pub = await call(w, 'POST', '/api/admin/publish', OPERATOR, {});
    assert.equal(pub.status, 200, pub.text);
    assert.equal(pub.json.contributing_accounts, 2, pub.text);
    assert.equal(pub.json.opted_in_accounts, 2, pub.text);
    await assertConsistent(w);
    // The erased account is a tombstone again (not a missing key): an update older than the
    // erasure can never re-create it.
    assert.equal(await server.command('EXISTS {cl}:w1:a:s0'), ':1');
  } finally {
    await w?.stop();
    await server.stop();
  }
});

test('Redis switched off, changes, switched on again with its old data: replayed before use', async () => {
  const server = await startRedis({ password: PASSWORD });
  const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-e2e-onoff-'));
  let w;
  try {
    w = await startWorker({ persistDir: dir, vars: redisVarsFor(server) });
    assert.equal((await call(w, 'POST', '/api/admin/redis/rebuild')).status, 200);
    const tokens = {};
    for (let a = 0; a < 4; a++) {
      const { token, sync } = await seedAccount(w, `o${a}`, records(a * 4 + 1, 12)); // all `beauty`
      assert.deepEqual(sync, ['synced', 'synced']);
      tokens[`o${a}`] = token;
    }
    await assertConsistent(w);
    await w.stop();

    // The same D1, REDIS_HOST unset: changes Redis cannot see.
    w = await startWorker({ persistDir: dir, vars: { OPERATOR_TOKEN: OPERATOR } });
    const erased = await call(w, 'DELETE', '/api/accounts/o0', tokens.o0);
    assert.equal(erased.status, 200, erased.text);
    assert.equal(erased.res.headers.get('x-aggregates-sync'), 'disabled');
    assert.equal((await call(w, 'PUT', '/api/accounts/o1/consent', tokens.o1, { opted_in: false })).status, 200);
    assert.equal(
      (await call(w, 'POST', '/api/accounts/o2/records', tokens.o2, { records: records(9, 6, 100) })).status,
      200,
    );
    const pending = await queryD1(dir, 'SELECT COUNT(*) AS n FROM redis_outbox WHERE seq > synced');
    assert.equal(pending[0].n, 3, 'every change was counted in the outbox');
    await w.stop();

    // Redis mode again, Redis still holding the data from before.
    w = await startWorker({ persistDir: dir, vars: redisVarsFor(server) });
    const stale = await aggregates(w, 'redis');
    assert.equal(stale.reduce((s, n) => s + n.accounts, 0), 4, JSON.stringify(stale));
    const pub = await call(w, 'POST', '/api/admin/publish', OPERATOR, {});
    assert.equal(pub.status, 200, pub.text);
    assert.equal(pub.json.contributing_accounts, 2, pub.text);
    await assertConsistent(w);
  } finally {
    await w?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
