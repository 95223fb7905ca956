// End-to-end test of format 2's `"contribute": "split"` (production's setting; docs/privacy.md,
// "Release format 2") on the real runtime (`wrangler dev`, local D1 + KV): accounts whose records
// were made from randomised briefs (`assignment: randomised`) go to their niche's explorers' pool,
// the others to the main pool; both pools of every niche are released and recorded, each account
// charged once for its own pool's release, and the niche is served from the explorers' release
// once enough of them are in it. Randomised records are stored only when made from a brief the
// Worker issued to the account (`POST /api/accounts/{id}/explore`).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/explorers.test.mjs

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
// count_epsilon 1: the count's Laplace scale is 1, so the count gate is 3 and the explorers'
// release takes its niche over at a noisy count of 10 (the core's explorers_switch_count); 34
// explorers fall below it with probability about 1e-11 (at count_epsilon 0.5, scale 2 and switch
// 19, it was about 2e-4 per run).
const EXPLORERS = 34;
const OTHERS = 6;
const RELEASE_CONFIG = JSON.stringify({
  k: 3,
  epsilon: 5,
  budget_per_window: 20,
  format2: { k: 1, epsilon: 20, count_epsilon: 1, contribute: 'split' },
  privacy_budget: { rho_cap: 10, epsilon_cap: 1000, window_days: 365 },
});

let worker;
let dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-explorers-'));
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

/** A record made as an issued brief says (results from `base`). */
const madeFrom = (brief, base) => ({
  ...base,
  record_id: brief.record_id,
  platform: brief.platform,
  hook_type: brief.hook_type,
  cta_style: brief.cta_style,
  format: brief.format,
  duration_s: brief.duration_range_s ? Math.floor((brief.duration_range_s[0] + brief.duration_range_s[1]) / 2) : undefined,
  visual_tags: brief.visual_tags,
  posting_hour: brief.posting_hour,
  assignment: 'randomised',
});

/**
 * An opted-in fitness account with 12 records: chosen, or made from 12 randomised briefs the
 * Worker issued to it (`POST /api/accounts/{id}/explore`; only such records are stored as
 * randomised).
 */
async function account(id, randomised) {
  const acc = await call('POST', '/api/accounts', OPERATOR, { account_id: id });
  assert.equal(acc.status, 201, acc.text);
  let records = fitnessRecords(12);
  if (randomised) {
    const issued = await call('POST', `/api/accounts/${id}/explore`, acc.json.token, { platform: 'meta', count: 12, formats: ['video'] });
    assert.equal(issued.status, 200, issued.text);
    assert.equal(issued.json.account_id, id);
    assert.equal(issued.json.briefs.length, 12, issued.text);
    records = issued.json.briefs.map((b, i) => madeFrom(b, records[i]));
  }
  const ing = await call('POST', `/api/accounts/${id}/records`, acc.json.token, { records });
  assert.equal(ing.json.stored, 12, ing.text);
  assert.equal((await call('PUT', `/api/accounts/${id}/consent`, acc.json.token, { opted_in: true })).status, 200);
  return acc.json.token;
}

test('randomised records: stored only when made from a brief the Worker issued to the account', async () => {
  const token = await account('v-00', true);
  const mine = await queryD1(dir, `SELECT record_id, brief_json FROM explore_briefs WHERE account_id = 'v-00'`);
  assert.equal(mine.length, 12);
  // Not from a brief, or not as the brief says: rejected naming `assignment`; chosen: stored.
  const [brief] = (await call('POST', '/api/accounts/v-00/explore', token, { platform: 'meta', count: 1, formats: ['video'] })).json.briefs;
  const base = fitnessRecords(1)[0];
  const offBrief = { ...madeFrom(brief, base), posting_hour: (brief.posting_hour + 1) % 24 };
  const noBrief = { ...base, record_id: 'made-up', assignment: 'randomised' };
  const chosen = { ...base, record_id: 'chosen-1' };
  const ing = await call('POST', '/api/accounts/v-00/records', token, { records: [offBrief, noBrief, chosen] });
  assert.equal(ing.status, 200, ing.text);
  assert.deepEqual([ing.json.stored, ing.json.rejected], [1, 2], ing.text);
  assert.deepEqual(ing.json.results.slice(0, 2).map((r) => r.issues[0].field), ['assignment', 'assignment'], ing.text);
  assert.match(ing.json.results[0].issues[0].message, /posting_hour is \d+, the brief says \d+/);
  assert.match(ing.json.results[1].issues[0].message, /no brief made-up was issued to account v-00/);
  // Erasure deletes the account's briefs.
  assert.equal((await call('DELETE', '/api/accounts/v-00', token)).status, 200);
  assert.equal((await queryD1(dir, `SELECT COUNT(*) AS n FROM explore_briefs WHERE account_id = 'v-00'`))[0].n, 0);
});

test('contribute split: both pools released and charged apart, the niche served by its explorers', async () => {
  for (let i = 0; i < EXPLORERS; i++) await account(`x-${String(i).padStart(2, '0')}`, true);
  for (let i = 0; i < OTHERS; i++) await account(`c-${String(i).padStart(2, '0')}`, false);
  const pub = await call('POST', '/api/admin/publish', OPERATOR, {});
  assert.equal(pub.status, 200, pub.text);
  const f2 = pub.json.format2;
  const period = f2.period;
  assert.equal(f2.contributing_accounts, EXPLORERS + OTHERS, pub.text);
  assert.equal(f2.released.length, 2 * NICHES, pub.text);
  // (The main pool's 6 accounts are near the count gate of 3: published or not, by the noise.)
  assert.ok(f2.published.includes('fitness/explorers'), pub.text);
  // Fitness is served by its explorers. Another niche's EMPTY explorers' pool reaches the switch
  // count by noise alone with probability about 3e-5 (the core's 1e-4 bound per release; 14 such
  // pools: about 5e-4 per run), and is then served from it too: the invariant is that every niche
  // served by explorers has a published explorers' release.
  assert.ok(f2.served_by_explorers.includes('fitness'), pub.text);
  assert.ok(f2.served_by_explorers.every((n) => f2.published.includes(`${n}/explorers`)), pub.text);

  // Both pools of every niche recorded in D1, never an account id in a release.
  const log = await queryD1(dir, `SELECT release_id, niche, release_json FROM release_log WHERE kind = 'suffstat' AND period = ${period}`);
  assert.equal(log.length, 2 * NICHES);
  const ids = new Set(log.map((r) => r.release_id));
  for (const r of log) {
    assert.ok(ids.has(`${period}/${r.niche}`) && ids.has(`${period}/${r.niche}/explorers`), r.release_id);
    assert.ok(!/"(x|c)-\d\d"/.test(r.release_json), 'no account id in a release');
  }
  // Each account charged once, for its own pool's release.
  const ledger = await queryD1(dir, `SELECT account_id, release_id FROM privacy_ledger WHERE kind = 'suffstat' ORDER BY account_id`);
  assert.equal(ledger.length, EXPLORERS + OTHERS);
  for (const row of ledger) {
    const pool = row.account_id.startsWith('x-') ? `${period}/fitness/explorers` : `${period}/fitness`;
    assert.equal(row.release_id, pool, JSON.stringify(row));
  }

  // Served from the explorers' release (KV and the wisdom route agree).
  const stored = JSON.parse(await kvGet(dir, 'RELEASES', 'release2:fitness'));
  assert.equal(stored.release_id, `${period}/fitness/explorers`);
  assert.ok(stored.values.length > 0);
  assert.ok(stored.values.every((v) => v.release_id.endsWith('/explorers') && v.sd > 0), JSON.stringify(stored.values[0]));
  const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
  assert.equal(w.json.format, 2, w.text);
  assert.deepEqual(w.json.posteriors, stored);

  // Again in the same period: nothing drawn or charged twice.
  const again = await call('POST', '/api/admin/publish', OPERATOR, {});
  assert.deepEqual(again.json.format2.released, []);
  assert.equal(again.json.format2.unchanged.length, 2 * NICHES);
  assert.equal((await queryD1(dir, `SELECT COUNT(*) AS n FROM privacy_ledger WHERE kind = 'suffstat'`))[0].n, EXPLORERS + OTHERS);
});
