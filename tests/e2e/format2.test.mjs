// End-to-end test of release format 2 and the per-account privacy ledger on the real runtime
// (`wrangler dev`, local D1 + KV), starting from a database in the state the previous version
// left it: migrations 0001-0005 applied, one account and a format-1 release stored in D1 and KV.
// Then the new Worker applies the pending migrations (0006, 0007: the format-1 release is
// back-charged to the account that existed then), keeps serving the old release, publishes both
// formats (one release per period and niche, each charged to its accounts' ledger, format 2
// refused past the rho cap) and answers GET /api/accounts/{id}/privacy.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/format2.test.mjs

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fitnessRecords } from './lib/records.mjs';
import { D1_BINDING, kvGet, kvPut, queryD1, request, ROOT, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const NICHES = 15; // every niche but `unknown`
const ACCOUNTS = 20;
const DAY_MS = 86_400_000;
// Small gates for a small network of identical accounts (so values are shown); rho 4.40 per
// format-2 release (epsilon 20 at delta 1e-6), so two releases fit under the rho cap of 10 and a
// third does not; format 1 at epsilon 5 per release stays under the total cap of 100. Posteriors
// combine each niche's releases of the last 2 periods (`combine_periods`). count_epsilon 1: count
// scale 1, gate 3, so the 20 accounts' niche fails it with probability about 1e-8 (at 0.5: scale 2,
// gate 6, about 3e-4 per run).
const RELEASE_CONFIG = JSON.stringify({
  k: 3,
  epsilon: 5,
  budget_per_window: 20,
  format2: { k: 1, epsilon: 20, count_epsilon: 1, combine_periods: 2 },
  privacy_budget: { rho_cap: 10, epsilon_cap: 100, window_days: 365 },
});
const MIGRATIONS = path.join(ROOT, 'worker', 'migrations');
const V1_MIGRATIONS = readdirSync(MIGRATIONS).filter((f) => /^000[1-5]_.*\.sql$/.test(f)).sort();

// A format-1 release as the previous version stored it (period 1 of the weekly cadence, long
// past: still the latest release of its niche).
const OLD = {
  version: 1, niche: 'travel', period: 1, published: true, sample_size: 55, confidence: 0.5,
  platforms: [], niche_avg_ctr: 0.012, lifts: [], top_hook_types: [], optimal_duration: null,
  peak_hours: [], proven_cta_styles: [], winning_visual_patterns: [],
  privacy: { epsilon: 1, k: 5, cadence_days: 7 },
};

/** Run a SQL file against the local D1 under `dir` (the v1 state, before the Worker starts). */
function execD1File(dir, sql) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'crosslearn-sql-'));
  const file = path.join(tmp, 'v1.sql');
  writeFileSync(file, sql);
  const bin = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
  const args = ['d1', 'execute', D1_BINDING, '--local', '--persist-to', dir, '--file', file, '--yes'];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1' }, timeout: 120_000 }, (err, stdout, stderr) => {
      rmSync(tmp, { recursive: true, force: true });
      if (err) reject(new Error(`wrangler d1 execute --file failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let worker;
let dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-upgrade-'));
  // The v1 state: migrations 0001-0005 applied (and recorded as applied, as wrangler does), one
  // format-1 release in release_history and in KV.
  const q = (s) => `'${s.replaceAll("'", "''")}'`;
  const oldJson = JSON.stringify(OLD);
  const sql = [
    ...V1_MIGRATIONS.map((f) => readFileSync(path.join(MIGRATIONS, f), 'utf8')),
    `CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);`,
    ...V1_MIGRATIONS.map((f) => `INSERT INTO d1_migrations (name) VALUES (${q(f)});`),
    `INSERT INTO release_history (release_id, niche, period, epsilon, published, published_at, sample_size, params_json, release_json)
     VALUES ('1:travel', 'travel', 1, 1.0, 1, '1970-01-08T00:00:00Z', 55, '{}', ${q(oldJson)});`,
    `INSERT INTO accounts (account_id, created_at) VALUES ('old-00', '1970-01-01T00:00:00Z');`,
  ].join('\n');
  await execD1File(dir, sql);
  await kvPut(dir, 'RELEASES', 'release:travel', oldJson);
  await kvPut(dir, 'RELEASES', 'releases:all', JSON.stringify([OLD]));
  // The new Worker on that state (startWorker applies the pending migration 0006 first).
  worker = await startWorker({ persistDir: dir, vars: { OPERATOR_TOKEN: OPERATOR, RELEASE_CONFIG } });
});
after(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const call = (method, route, token, body) =>
  request(`${worker.url}${route}`, {
    method,
    body,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

const tokens = {};

test('upgrade: 0006-0009 were pending, the old release is charged and still served', async () => {
  const applied = await queryD1(dir, 'SELECT name FROM d1_migrations ORDER BY id');
  assert.deepEqual(applied.map((r) => r.name), [
    ...V1_MIGRATIONS, '0006_release_log.sql', '0007_ledger_format1.sql', '0008_distribution_release.sql', '0009_explore_briefs.sql',
  ]);
  // The old release is in the release log (kind lift, not drawn again), and the account that
  // existed then is charged its epsilon, conservatively (that period's membership is not kept).
  const log = await queryD1(dir, `SELECT kind, day, epsilon, rho, draw FROM release_log WHERE release_id = '1:travel'`);
  assert.deepEqual(log, [{ kind: 'lift', day: 7, epsilon: 1, rho: 0, draw: 'before_ledger' }]);
  const charged = await queryD1(dir, 'SELECT account_id, release_id, kind, epsilon, rho FROM privacy_ledger');
  assert.deepEqual(charged, [{ account_id: 'old-00', release_id: '1:before_ledger', kind: 'lift', epsilon: 1, rho: 0 }]);
  const r = await call('GET', '/api/cross-learning/niche-wisdom/travel');
  assert.equal(r.status, 200);
  assert.equal(r.json.success, true);
  assert.equal(r.json.format, 1);
  assert.deepEqual(r.json.wisdom, OLD);
  assert.equal(r.json.posteriors, undefined);
  const bulk = await call('GET', '/api/cross-learning/niche-wisdom');
  assert.deepEqual(bulk.json, { niches: [OLD], format: 1, posteriors: [] });
});

test('format 2: one release per period and niche, charged once, read back with posteriors', async () => {
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `f2-${String(i).padStart(2, '0')}`;
    const acc = await call('POST', '/api/accounts', OPERATOR, { account_id: id });
    assert.equal(acc.status, 201);
    tokens[id] = acc.json.token;
    const ing = await call('POST', `/api/accounts/${id}/records`, acc.json.token, { records: fitnessRecords(12) });
    assert.equal(ing.json.stored, 12);
    assert.equal((await call('PUT', `/api/accounts/${id}/consent`, acc.json.token, { opted_in: true })).status, 200);
  }
  const t0 = performance.now();
  const pub = await call('POST', '/api/admin/publish', OPERATOR, {});
  const ms = performance.now() - t0;
  console.log(`# format2 publication (formats 1 + 2) for ${ACCOUNTS} accounts: ${ms.toFixed(0)} ms`);
  assert.equal(pub.status, 200, pub.text);
  const f2 = pub.json.format2;
  assert.equal(f2.released.length, NICHES, pub.text);
  assert.equal(f2.contributing_accounts, ACCOUNTS);
  assert.ok(f2.published.includes('fitness'), pub.text);
  const period = pub.json.period;

  const log = await queryD1(dir, `SELECT release_id, kind, niche, rho, release_json FROM release_log WHERE period = ${period} AND kind = 'suffstat' ORDER BY niche`);
  assert.equal(log.length, NICHES);
  assert.ok(log.every((r) => r.kind === 'suffstat' && r.release_id === `${period}/${r.niche}` && Math.abs(r.rho - f2.rho_per_release) < 1e-9));
  assert.ok(log.every((r) => !r.release_json.includes('f2-')), 'no account id in a release');
  const ledger = await queryD1(dir, `SELECT account_id, release_id FROM privacy_ledger WHERE kind = 'suffstat' ORDER BY account_id`);
  assert.equal(ledger.length, ACCOUNTS);
  assert.ok(ledger.every((r) => r.release_id === `${period}/fitness`));
  // Format 1 of the same run is charged too: its epsilon, to the same accounts.
  const lift = await queryD1(dir, `SELECT account_id, release_id, epsilon, rho FROM privacy_ledger WHERE kind = 'lift' AND period = ${period}`);
  assert.equal(lift.length, ACCOUNTS);
  assert.ok(lift.every((r) => r.release_id === `${period}:fitness` && r.epsilon === 5 && r.rho === 0), JSON.stringify(lift));

  // The wisdom route: format 2, the posteriors exactly as published to KV.
  const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w.json.format, 2, w.text);
  const stored = JSON.parse(await kvGet(dir, 'RELEASES', 'release2:fitness'));
  assert.deepEqual(w.json.posteriors, stored);
  assert.equal(stored.version, 2);
  assert.equal(stored.release_id, `${period}/fitness`);
  assert.ok(stored.values.length > 0);
  // Every value carries a positive sd, also when the accounts are identical (no between-value
  // variance: the core keeps the estimate's own sd rather than claiming certainty).
  assert.ok(stored.values.every((v) => Number.isFinite(v.mean) && v.sd > 0 && typeof v.release_id === 'string'));
  const bulk = await call('GET', '/api/cross-learning/niche-wisdom');
  assert.equal(bulk.json.format, 2);
  assert.ok(bulk.json.posteriors.some((t) => t.niche === 'fitness'));
  // Format 1 goes on as before: the new period's travel release replaced the old one in KV (the
  // latest release per niche), and the old one stays in D1's history.
  const old = await queryD1(dir, `SELECT release_json FROM release_history WHERE release_id = '1:travel'`);
  assert.deepEqual(JSON.parse(old[0].release_json), OLD);

  // A second publication in the same period: the stored draw, nobody charged again.
  const again = await call('POST', '/api/admin/publish', OPERATOR, {});
  assert.deepEqual(again.json.format2.released, []);
  assert.equal(again.json.format2.unchanged.length, NICHES);
  assert.deepEqual(JSON.parse(await kvGet(dir, 'RELEASES', 'release2:fitness')), stored);
  const relog = await queryD1(dir, `SELECT release_json FROM release_log WHERE period = ${period} AND kind = 'suffstat' ORDER BY niche`);
  assert.deepEqual(relog.map((r) => r.release_json), log.map((r) => r.release_json), 'the noisy sums were not drawn again');
  // 20 accounts x 2 formats, and the back-charged old account.
  assert.equal((await queryD1(dir, 'SELECT COUNT(*) AS n FROM privacy_ledger'))[0].n, 2 * ACCOUNTS + 1);
});

test('GET /api/accounts/{id}/privacy: the ledger, its own token only; the cap is enforced', async () => {
  const id = 'f2-00';
  const r = await call('GET', `/api/accounts/${id}/privacy`, tokens[id]);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.res.headers.get('cache-control'), 'no-store');
  assert.equal(r.json.releases.length, 2, r.text);
  const entry = r.json.releases.find((e) => e.kind === 'suffstat');
  assert.equal(entry.niche, 'fitness');
  assert.equal(entry.release_id, `${entry.period}/fitness`);
  const lift = r.json.releases.find((e) => e.kind === 'lift');
  assert.deepEqual([lift.release_id, lift.epsilon, lift.rho], [`${entry.period}:fitness`, 5, 0]);
  assert.ok(Math.abs(r.json.window_rho - entry.rho) < 1e-12);
  assert.equal(r.json.window_pure_epsilon, 5);
  // Basic composition: format 1's pure epsilon + format 2's epsilon(rho) at delta 1e-6.
  assert.ok(Math.abs(r.json.window_epsilon - 25) < 1e-6, r.text);
  assert.deepEqual([r.json.rho_cap, r.json.epsilon_cap, r.json.window_days, r.json.delta], [10, 100, 365, 1e-6]);
  assert.equal((await call('GET', `/api/accounts/${id}/privacy`, tokens['f2-01'])).status, 403);
  assert.equal((await call('GET', `/api/accounts/${id}/privacy`)).status, 401);

  // Next period: a second release fits under the cap; the one after does not.
  const now = Date.now();
  const second = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: now + 7 * DAY_MS });
  assert.ok(second.json.format2.released.includes('fitness'), second.text);
  // Its posteriors combine the two recorded releases (read back from D1's release_log), spending nothing more.
  const both = JSON.parse(await kvGet(dir, 'RELEASES', 'release2:fitness'));
  assert.equal(both.release_id, `${entry.period}..${second.json.format2.period}/fitness`, JSON.stringify(both.release_id));
  assert.ok(both.values.length > 0 && both.values.every((v) => v.sd > 0 && (v.release_id === both.release_id || v.release_id.endsWith('/global'))));
  assert.ok(both.values.some((v) => v.release_id.startsWith(`${entry.period}..`)));
  const third = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: now + 14 * DAY_MS });
  assert.equal(third.status, 200, third.text);
  const failed = third.json.format2.failed;
  assert.deepEqual(failed.map((f) => [f.niche, f.code]), [['fitness', 'privacy_budget_exceeded']], third.text);
  assert.equal(third.json.format2.released.length, NICHES - 1);
  const rows = await queryD1(dir, `SELECT COUNT(*) AS n FROM release_log WHERE niche = 'fitness' AND kind = 'suffstat' AND period = ${third.json.period}`);
  assert.equal(rows[0].n, 0, 'nothing recorded for the refused niche');
  // Format 1 goes on (its pure epsilon stays under the total cap); format 2's third release
  // was refused: two format-2 and three format-1 releases in the account's ledger.
  assert.ok(third.json.released.includes('fitness'), third.text);
  const ledger = await call('GET', `/api/accounts/${id}/privacy`, tokens[id]);
  const kinds = ledger.json.releases.map((e) => e.kind);
  assert.deepEqual([kinds.filter((k) => k === 'suffstat').length, kinds.filter((k) => k === 'lift').length], [2, 3], ledger.text);

  // Erasure takes the account's ledger with it.
  assert.equal((await call('DELETE', `/api/accounts/${id}`, tokens[id])).status, 200);
  const left = await queryD1(dir, `SELECT COUNT(*) AS n FROM privacy_ledger WHERE account_id = '${id}'`);
  assert.equal(left[0].n, 0);
});
