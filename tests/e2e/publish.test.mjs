// End-to-end test of the cron publication on the real runtime (`wrangler dev --test-scheduled`,
// local D1 + KV): opted-in accounts with (made-up) records, GET /__scheduled, then the release
// history in D1 and the published keys in KV.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { kvGet, queryD1, request, startWorker } from './lib/wrangler.mjs';
import { fitnessRecords } from './lib/records.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const NICHES = 15; // every niche but `unknown` (crosslearn::niche::Niche::ALL)

let worker;
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
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });


async function trigger() {
  const res = await fetch(`${worker.url}/__scheduled?cron=17+3+*+*+*`);
  await res.text();
  assert.equal(res.status, 200);
}

const get = async (route) => {
  const res = await fetch(`${worker.url}${route}`);
  return { status: res.status, json: await res.json() };
};

test('before any publication, wisdom reads answer "insufficient data" (no token needed)', async () => {
  const r = await get('/api/cross-learning/niche-wisdom/fitness');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { success: false, message: 'Insufficient data for niche fitness', niche: 'fitness' });
  assert.deepEqual((await get('/api/cross-learning/niche-wisdom')).json, { niches: [], format: 1, posteriors: [] });
});

test('bad wisdom requests are 4xx JSON errors naming the field', async () => {
  for (const [route, field] of [
    ['/api/cross-learning/niche-wisdom/astrology', 'niche'],
    ['/api/cross-learning/niche-wisdom/unknown', 'niche'],
    ['/api/cross-learning/niche-wisdom/fitness?force_refresh=maybe', 'force_refresh'],
  ]) {
    const r = await get(route);
    assert.equal(r.status, 422, route);
    assert.equal(r.json.error.field, field, route);
  }
});

test('the cron publishes one release per niche per period, once', async () => {
  for (let i = 0; i < 6; i++) {
    const acc = await call('POST', '/api/accounts', OPERATOR, { account_id: `pub-${i}` });
    assert.equal(acc.status, 201);
    const ing = await call('POST', `/api/accounts/pub-${i}/records`, acc.json.token, { records: fitnessRecords(12) });
    assert.equal(ing.json.stored, 12);
    const c = await call('PUT', `/api/accounts/pub-${i}/consent`, acc.json.token, { opted_in: true });
    assert.equal(c.json.opted_in, true);
  }
  await trigger();
  const rows = await queryD1(worker.persistDir, 'SELECT release_id, niche, period, epsilon, release_json FROM release_history ORDER BY niche');
  assert.equal(rows.length, NICHES);
  const period = Math.floor(Math.floor(Date.now() / 86_400_000) / 7);
  assert.ok(rows.every((r) => r.period === period && r.epsilon === 1 && r.release_id === `${period}:${r.niche}`));
  const fitness = rows.find((r) => r.niche === 'fitness');
  const release = JSON.parse(fitness.release_json);
  assert.equal(release.niche, 'fitness');
  assert.equal(release.period, period);
  // KV holds the same release under release:<niche>.
  assert.equal(await kvGet(worker.persistDir, 'RELEASES', 'release:fitness'), fitness.release_json);
  assert.equal(await kvGet(worker.persistDir, 'RELEASES', 'release:no-such-niche'), null);
  // No account id ever appears in a release.
  assert.ok(rows.every((r) => !r.release_json.includes('pub-')));

  // The wisdom routes serve exactly what was published, and only releases that passed k.
  const rowsPublished = await queryD1(worker.persistDir, 'SELECT niche, published, release_json FROM release_history ORDER BY niche');
  for (const row of rowsPublished) {
    const r = await get(`/api/cross-learning/niche-wisdom/${row.niche}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.success, row.published === 1, row.niche);
    if (row.published === 1) assert.deepEqual(r.json.wisdom, JSON.parse(row.release_json));
    const refreshed = await get(`/api/cross-learning/niche-wisdom/${row.niche}?force_refresh=true`);
    assert.deepEqual(refreshed.json, r.json, 'force_refresh re-reads, never re-releases');
  }
  const bulk = await get('/api/cross-learning/niche-wisdom');
  assert.deepEqual(
    bulk.json.niches.map((w) => w.niche).sort(),
    rowsPublished.filter((r) => r.published === 1).map((r) => r.niche),
  );

  // A second run in the same period changes nothing (no fresh noise).
  await trigger();
  const again = await queryD1(worker.persistDir, 'SELECT release_json FROM release_history ORDER BY niche');
  assert.equal(again.length, NICHES);
  assert.deepEqual(again.map((r) => r.release_json), rows.map((r) => r.release_json));
});
