// End-to-end test of the distribution release (RELEASE_CONFIG.distributions; docs/privacy.md,
// "The distribution release") on the real runtime (`wrangler dev`, local D1 + KV): the
// benchmarks (CTR / conversion-rate / ROAS histograms) come from their own release, made once per
// distribution period (91 days) and charged to its accounts' ledger, while the regular releases
// (without histograms) are made every period; the wisdom route serves the two combined.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/distributions.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fitnessRecords } from './lib/records.mjs';
import { kvGet, queryD1, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const NICHES = 15; // every niche but `unknown`
const ACCOUNTS = 12;
const DAY_MS = 86_400_000;
const CADENCE = 91;
// Small gates and large epsilons for a small network (the benchmarks are shown): weekly regular
// releases without histograms (their shares 0), distributions every 91 days at epsilon 40.
const RELEASE_CONFIG = JSON.stringify({
  k: 3,
  epsilon: 50,
  budget_per_window: 400,
  split: { ctr_histogram: 0, cvr_histogram: 0, roas_histogram: 0 },
  distributions: { cadence_days: CADENCE, epsilon: 40 },
  privacy_budget: { epsilon_cap: 1e6 },
});

let worker;
let dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-dist-'));
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

const hasBenchmarks = (w) => w.platforms.some((p) => p.ctr !== null && p.ctr !== undefined);

test('distributions: their own release, once per period, charged, served with every regular release', async () => {
  const tokens = {};
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = `d-${String(i).padStart(2, '0')}`;
    const acc = await call('POST', '/api/accounts', OPERATOR, { account_id: id });
    assert.equal(acc.status, 201, acc.text);
    tokens[id] = acc.json.token;
    const ing = await call('POST', `/api/accounts/${id}/records`, acc.json.token, { records: fitnessRecords(12) });
    assert.equal(ing.json.stored, 12);
    assert.equal((await call('PUT', `/api/accounts/${id}/consent`, acc.json.token, { opted_in: true })).status, 200);
  }
  // A day early in its distribution period, so a week later is still the same one.
  const day = Math.floor(Date.now() / DAY_MS);
  const at = (day - (day % CADENCE) + 1) * DAY_MS;
  const first = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: at });
  assert.equal(first.status, 200, first.text);
  const d = first.json.distributions;
  assert.ok(d, first.text);
  assert.equal(d.period, Math.floor((at / DAY_MS) / CADENCE));
  assert.equal(d.released.length, NICHES, first.text);
  assert.ok(d.published.includes('fitness'), first.text);
  assert.deepEqual(d.failed, []);

  // D1: one release_log row per niche (kind distribution, pure epsilon), its accounts charged.
  const log = await queryD1(dir, `SELECT release_id, niche, epsilon, rho, delta, day, release_json FROM release_log WHERE kind = 'distribution' ORDER BY niche`);
  assert.equal(log.length, NICHES);
  assert.ok(log.every((r) => r.release_id === `dist:${d.period}:${r.niche}` && r.epsilon === 40 && r.rho === 0 && r.delta === 0 && r.day === d.period * CADENCE));
  assert.ok(log.every((r) => !r.release_json.includes('d-0')), 'no account id in a release');
  const charged = await queryD1(dir, `SELECT account_id, release_id, epsilon FROM privacy_ledger WHERE kind = 'distribution' ORDER BY account_id`);
  assert.equal(charged.length, ACCOUNTS);
  assert.ok(charged.every((r) => r.release_id === `dist:${d.period}:fitness` && r.epsilon === 40));
  // The regular release in D1 has no benchmarks; the served one has them from the distribution
  // release, and says which.
  const hist = await queryD1(dir, `SELECT release_json FROM release_history WHERE release_id = '${first.json.period}:fitness'`);
  const regular = JSON.parse(hist[0].release_json);
  assert.equal(hasBenchmarks(regular), false);
  assert.equal(regular.distribution_period, undefined);
  const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w.status, 200, w.text);
  // Format 2 exactly when the format-2 posteriors passed their own noisy gate beside it (this
  // config leaves format 2 at its defaults: 12 accounts against its gate of 60 at count scale 20,
  // so about one run in twenty publishes them).
  assert.equal(w.json.format, w.json.posteriors ? 2 : 1, w.text);
  if (w.json.posteriors) assert.equal(w.json.posteriors.published, true, w.text);
  assert.equal(w.json.wisdom.period, first.json.period);
  assert.equal(w.json.wisdom.distribution_period, d.period);
  assert.ok(hasBenchmarks(w.json.wisdom), w.text);
  assert.deepEqual(JSON.parse(await kvGet(dir, 'RELEASES', 'release:fitness')), w.json.wisdom);

  // A week later: a new regular release, the same distribution release (no new draw, nobody
  // charged again), served with it.
  const second = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: at + 7 * DAY_MS });
  assert.equal(second.status, 200, second.text);
  assert.notEqual(second.json.period, first.json.period);
  assert.deepEqual(second.json.distributions.released, []);
  assert.equal(second.json.distributions.unchanged.length, NICHES);
  const relog = await queryD1(dir, `SELECT release_json FROM release_log WHERE kind = 'distribution' ORDER BY niche`);
  assert.deepEqual(relog.map((r) => r.release_json), log.map((r) => r.release_json), 'not drawn again');
  const w2 = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w2.json.wisdom.period, second.json.period);
  assert.equal(w2.json.wisdom.distribution_period, d.period);
  assert.deepEqual(w2.json.wisdom.platforms, w.json.wisdom.platforms);

  // The account's ledger lists the distribution release once and the two regular ones (and the
  // two format-2 releases of the same runs).
  const mine = await call('GET', '/api/accounts/d-00/privacy', tokens['d-00']);
  assert.equal(mine.status, 200, mine.text);
  const kinds = mine.json.releases.map((e) => e.kind).filter((k) => k !== 'suffstat').sort();
  assert.deepEqual(kinds, ['distribution', 'lift', 'lift'], mine.text);
  const dist = mine.json.releases.find((e) => e.kind === 'distribution');
  assert.deepEqual([dist.release_id, dist.epsilon, dist.rho], [`dist:${d.period}:fitness`, 40, 0]);
});
