// End-to-end test of the whole cross-learning lifecycle on the real runtime (`wrangler dev`,
// local workerd + local D1/KV with the migrations applied):
//
//   operator creates accounts -> ingest -> consent -> publication (cron) -> a NEW account calls
//   apply-wisdom and gets recommendations citing the release -> dashboard -> erasure of one
//   contributing account -> the next period's publication leaves it out -> nothing left of it.
//
// plus the bad-input table of the new endpoints, detect-niche on ad copy, the model files and
// the /api/score alias.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/lifecycle.test.mjs
//
// The records are SIMULATED (made up for the test). The release config passed as the
// RELEASE_CONFIG var (k = 3, epsilon 1000 per release) makes the noise negligible so the counts
// can be checked exactly: a test setting, never a privacy setting (docs/privacy.md). (At epsilon
// 100 the per-attribute lift counts, which get a small share of it, still had noise t = 1, and
// their gate max(k, t·ln(labels / 0.05)) ≈ 5 hid the question-hook lift of 8 accounts in ~4 % of
// runs — a flaky test, seen once in CI.)
// The first publication is the cron (`/__scheduled`, scheduled time = now); the second is the
// operator's `POST /api/admin/publish` dated one period (7 days) later.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queryD1, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
// The per-account total cap is raised to match (one release at epsilon 1000 would pass the
// default of 10, and the Worker refuses such a config by name).
const RELEASE_CONFIG = { k: 3, epsilon: 1000, budget_per_window: 4000, privacy_budget: { epsilon_cap: 1e6 } };
const DAY_MS = 86_400_000;
const CONTRIBUTORS = 8;

let worker;
before(async () => {
  worker = await startWorker({
    vars: { OPERATOR_TOKEN: OPERATOR, RELEASE_CONFIG: JSON.stringify(RELEASE_CONFIG) },
  });
});
after(async () => {
  await worker?.stop();
});

function call(method, route, { body, token, headers = {} } = {}) {
  const h = { ...headers };
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  return request(`${worker.url}${route}`, { method, body, headers: h });
}

function expectError(r, status, field) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.json ?? {}), ['error'], r.text);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message']);
  if (field !== undefined) assert.equal(r.json.error.field, field, r.text);
  return r.json.error;
}

/** The cron, as wrangler dev --test-scheduled triggers it (scheduled time = now). */
async function cron() {
  const res = await fetch(`${worker.url}/__scheduled?cron=17+3+*+*+*`);
  await res.text();
  assert.equal(res.status, 200);
}

/** The operator's publication route: the same run, dated `atMs` (the next period here). */
async function publishAt(atMs) {
  const r = await call('POST', '/api/admin/publish', { token: OPERATOR, body: { at_ms: atMs } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const hooks = ['question', 'pain_point', 'offer', 'social_proof'];
/** 12 SIMULATED fitness records over 3 campaigns (question hooks click twice as well). */
const records = (declare = true) =>
  Array.from({ length: 12 }, (_, i) => ({
    record_id: `r${i}`,
    campaign_id: `c${i % 3}`,
    platform: 'meta',
    ...(declare ? { niche: 'fitness' } : {}),
    hook_type: hooks[i % 4],
    cta_style: 'shop_now',
    format: 'video',
    duration_s: 20,
    posting_hour: 9 + (i % 3),
    // Question creatives: twice the delivery at twice the CTR (each account contributes its two
    // most-delivered values per attribute to a release).
    impressions: hooks[i % 4] === 'question' ? 40000 : 20000,
    clicks: hooks[i % 4] === 'question' ? 1200 : 300,
    conversions: 20,
    spend: 150,
    revenue: 600,
    headline: 'Build muscle with a 20-minute gym workout',
    body: 'Strength training plans for every fitness level',
  }));

async function createAccount(accountId) {
  const r = await call('POST', '/api/accounts', { token: OPERATOR, body: { account_id: accountId } });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

const periodOf = (ms) => Math.floor(Math.floor(ms / DAY_MS) / 7);

describe('cross-learning lifecycle', () => {
  const tokens = {};
  const t0 = Date.now();
  const t1 = t0 + 7 * DAY_MS;

  test('operator creates accounts; they ingest and opt in', async () => {
    for (let i = 0; i < CONTRIBUTORS; i++) {
      const id = `lc-${i}`;
      tokens[id] = await createAccount(id);
      const ing = await call('POST', `/api/accounts/${id}/records`, { token: tokens[id], body: { records: records() } });
      assert.equal(ing.json.stored, 12, ing.text);
      const c = await call('PUT', `/api/accounts/${id}/consent`, { token: tokens[id], body: { opted_in: true } });
      assert.equal(c.json.opted_in, true);
    }
    // One account extracts its insight (stored in D1, an event recorded).
    const ins = await call('POST', '/api/cross-learning/extract-insights', { token: tokens['lc-0'], body: { account_id: 'lc-0' } });
    assert.equal(ins.status, 200, ins.text);
    assert.equal(ins.json.success, true);
    assert.equal(ins.json.insights.niche, 'fitness');
    assert.equal(ins.json.insights.total_campaigns, 3);
    const rows = await queryD1(worker.persistDir, "SELECT niche FROM account_insights WHERE account_id = 'lc-0'");
    assert.deepEqual(rows, [{ niche: 'fitness' }]);
  });

  test('before publication: apply-wisdom says insufficient data, stats are empty', async () => {
    tokens.newbie = await createAccount('newbie');
    const r = await call('POST', '/api/cross-learning/apply-wisdom', {
      token: tokens.newbie,
      body: { account_id: 'newbie', niche: 'fitness' },
    });
    assert.deepEqual(r.json, { success: false, message: 'Insufficient data for niche fitness', niche: 'fitness' });
    const s = await call('GET', '/api/cross-learning/stats');
    assert.equal(s.status, 200);
    assert.deepEqual(s.json.releases, []);
  });

  let release0;
  test('the cron publishes; a NEW account applies the wisdom and the answer cites the release', async () => {
    await cron();
    const p0 = periodOf(Date.now());
    assert.equal(p0, periodOf(t0), 'the test ran across a period boundary; run it again');
    release0 = `fitness/${p0}`;
    const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
    assert.equal(w.json.success, true, w.text);
    assert.equal(w.json.wisdom.sample_size, CONTRIBUTORS);
    assert.equal(w.json.wisdom.period, p0);

    const r = await call('POST', '/api/cross-learning/apply-wisdom', {
      token: tokens.newbie,
      body: { account_id: 'newbie', niche: 'fitness', auto_apply: true, force_refresh: true },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true, r.text);
    assert.equal(r.json.release_id, release0);
    assert.equal(r.json.applied, true);
    assert.equal(r.json.recommendations.based_on_accounts, CONTRIBUTORS);
    assert.ok(r.json.recommendations.items.length > 0, r.text);
    assert.ok(r.json.recommendations.items.some((i) => i.pattern === 'hook_type = question'), r.text);
    for (const item of r.json.recommendations.items) {
      assert.equal(item.evidence.release_id, release0);
      assert.ok(item.evidence.lift > 1);
    }
    // force_refresh made no new release: still one history row per niche.
    const hist = await queryD1(worker.persistDir, 'SELECT COUNT(*) AS n FROM release_history');
    assert.equal(hist[0].n, 15);
    // The application is in the account's own event log.
    const ex = await call('GET', '/api/accounts/newbie/export', { token: tokens.newbie });
    assert.deepEqual(ex.json.events.map((e) => [e.event_type, e.payload.release_id]), [['wisdom_applied', release0]]);
  });

  test('dashboard: own account only, against the release', async () => {
    const d = await call('GET', '/api/cross-learning/dashboard/lc-1', { token: tokens['lc-1'] });
    assert.equal(d.status, 200, d.text);
    assert.equal(d.res.headers.get('cache-control'), 'no-store');
    assert.equal(d.json.account_id, 'lc-1');
    assert.equal(d.json.niche.category, 'fitness');
    assert.equal(d.json.niche.release_id, release0);
    assert.equal(d.json.niche.contributing_accounts, CONTRIBUTORS);
    assert.ok(d.json.performance_comparison.length > 0);
    // The new account has no data: a dashboard with notes, not an error.
    const n = await call('GET', '/api/cross-learning/dashboard/newbie', { token: tokens.newbie });
    assert.equal(n.status, 200, n.text);
    assert.ok(n.json.notes.length > 0);
    // Auth matrix: no token, another account, unknown account.
    expectError(await call('GET', '/api/cross-learning/dashboard/lc-1'), 401);
    expectError(await call('GET', '/api/cross-learning/dashboard/lc-1', { token: tokens.newbie }), 403);
    expectError(await call('GET', '/api/cross-learning/dashboard/nobody', { token: tokens.newbie }), 403);
    expectError(await call('GET', '/api/cross-learning/dashboard/nobody', { token: OPERATOR }), 404);
    for (const [route, body] of [
      ['/api/cross-learning/apply-wisdom', { account_id: 'lc-1', niche: 'fitness' }],
      ['/api/cross-learning/extract-insights', { account_id: 'lc-1' }],
      ['/api/cross-learning/detect-niche', { account_id: 'lc-1' }],
    ]) {
      expectError(await call('POST', route, { token: tokens.newbie, body }), 403);
      expectError(await call('POST', route, { body }), 401);
    }
  });

  test('stats are public and hold no account data', async () => {
    const s = await call('GET', '/api/cross-learning/stats');
    assert.equal(s.status, 200, s.text);
    const fitness = s.json.releases.find((r) => r.niche === 'fitness');
    assert.equal(fitness.release_id, release0);
    assert.equal(fitness.published, true);
    assert.equal(fitness.sample_size, CONTRIBUTORS);
    assert.deepEqual(s.json.privacy.k, [RELEASE_CONFIG.k]);
    assert.ok(s.json.network_effects.published_niches >= 1);
    assert.ok(!s.text.includes('lc-'), 'no account id in the stats');
  });

  test('erasure: the next period publishes without the account, and nothing of it is left', async () => {
    const gone = await call('DELETE', '/api/accounts/lc-0', { token: tokens['lc-0'] });
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.json.records, 12);
    assert.equal(gone.json.insights, 1);
    // Only the operator may run a publication.
    expectError(await call('POST', '/api/admin/publish', { token: tokens.newbie, body: {} }), 403);
    const report = await publishAt(t1);
    const p1 = periodOf(t1);
    assert.equal(report.period, p1);
    assert.equal(report.contributing_accounts, CONTRIBUTORS - 1);
    assert.equal(p1, periodOf(t0) + 1);
    const w = await call('GET', '/api/cross-learning/niche-wisdom/fitness');
    assert.equal(w.json.wisdom.period, p1);
    assert.equal(w.json.wisdom.sample_size, CONTRIBUTORS - 1);
    const rows = await queryD1(
      worker.persistDir,
      "SELECT period, sample_size FROM release_history WHERE niche = 'fitness' ORDER BY period",
    );
    assert.deepEqual(rows, [
      { period: periodOf(t0), sample_size: CONTRIBUTORS },
      { period: p1, sample_size: CONTRIBUTORS - 1 },
    ]);
    // The new release is what apply-wisdom cites now.
    const r = await call('POST', '/api/cross-learning/apply-wisdom', {
      token: tokens.newbie,
      body: { account_id: 'newbie', niche: 'fitness' },
    });
    assert.equal(r.json.release_id, `fitness/${p1}`);
    assert.equal(r.json.recommendations.based_on_accounts, CONTRIBUTORS - 1);
    // Nothing of lc-0 is left: its token is dead, the operator finds no account, no row anywhere.
    expectError(await call('GET', '/api/accounts/lc-0/export', { token: tokens['lc-0'] }), 401);
    expectError(await call('GET', '/api/accounts/lc-0/export', { token: OPERATOR }), 404);
    for (const table of ['accounts', 'account_tokens', 'consent', 'records', 'cross_learning_events', 'account_insights']) {
      const n = await queryD1(worker.persistDir, `SELECT COUNT(*) AS n FROM ${table} WHERE account_id = 'lc-0'`);
      assert.equal(n[0].n, 0, table);
    }
  });
});

describe('detect-niche, models and score', () => {
  test('fitness copy is detected as fitness, without a token', async () => {
    const r = await call('POST', '/api/cross-learning/detect-niche', {
      body: { text: 'Crush leg day: a 20-minute gym workout to build muscle fast' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.niche, 'fitness');
    assert.ok(r.json.confidence > 0.5 && r.json.confidence <= 1);
    assert.equal(r.json.model, 'niche-v2.bin');
    assert.ok(r.json.alternatives.every((a) => a.niche !== 'fitness'));
  });

  test('an account\'s niche from its stored copy', async () => {
    const token = await createAccount('copy-only');
    await call('POST', '/api/accounts/copy-only/records', { token, body: { records: records(false) } });
    const r = await call('POST', '/api/cross-learning/detect-niche', { token, body: { account_id: 'copy-only' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.niche, 'fitness');
    assert.equal(r.json.declared, false);
    assert.equal(r.json.texts_used, 1, 'the 12 records share one text, classified once');
  });

  test('model files: bytes, strong ETag, 304, JSON 404', async () => {
    for (const name of ['ctr-prelaunch-v1.bin', 'ctr-inflight-v1.bin', 'ctr-grounded-v1.json', 'niche-v2.bin']) {
      const res = await fetch(`${worker.url}/api/models/${name}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get('content-type'), 'application/octet-stream');
      assert.match(res.headers.get('cache-control'), /public, max-age=\d+/);
      const etag = res.headers.get('etag');
      assert.match(etag, /^"[0-9a-f]{16}"$/);
      const { readFileSync } = await import('node:fs');
      const { ROOT } = await import('./lib/wrangler.mjs');
      assert.deepEqual(bytes, new Uint8Array(readFileSync(`${ROOT}/models/${name}`)), name);
      const again = await fetch(`${worker.url}/api/models/${name}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      assert.equal(again.headers.get('etag'), etag);
    }
    expectError(await call('GET', '/api/models/nope.bin'), 404);
  });

  test('/api/score answers exactly like /api/ctr/score', async () => {
    const body = {
      model: 'pre_launch',
      creatives: [{ platform: 'tiktok', niche: 'fitness', hook_type: 'question', cta_style: 'shop_now',
        visual_tags: ['ugc'], format: 'video', duration_s: 20, posting_hour: 19 }],
    };
    const a = await call('POST', '/api/score', { body });
    const b = await call('POST', '/api/ctr/score', { body });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json, b.json);
  });
});

describe('bad input to the new endpoints: 4xx JSON naming the field', () => {
  let token;
  before(async () => {
    token = await createAccount('bad-input');
  });

  test('the table', async () => {
    const big = 'gym '.repeat(2600);
    const cases = [
      ['/api/cross-learning/detect-niche', '{"text": ', 400, null],
      ['/api/cross-learning/detect-niche', { text: 'gym', extra: 1 }, 422, 'extra'],
      ['/api/cross-learning/detect-niche', { text: 5 }, 422, 'text'],
      ['/api/cross-learning/detect-niche', {}, 422, 'text'],
      ['/api/cross-learning/detect-niche', { texts: [] }, 422, 'texts'],
      ['/api/cross-learning/detect-niche', { text: big }, 422, 'text'],
      ['/api/cross-learning/extract-insights', { account_id: 'bad-input', x: 1 }, 422, 'x'],
      ['/api/cross-learning/extract-insights', { account_id: ['bad-input'] }, 422, 'account_id'],
      ['/api/cross-learning/extract-insights', '', 400, null],
      ['/api/cross-learning/apply-wisdom', { account_id: 'bad-input', niche: 'astrology' }, 422, 'niche'],
      ['/api/cross-learning/apply-wisdom', { account_id: 'bad-input', niche: 'unknown' }, 422, 'niche'],
      ['/api/cross-learning/apply-wisdom', { account_id: 'bad-input', auto_apply: 'yes' }, 422, 'auto_apply'],
      ['/api/cross-learning/apply-wisdom', { account_id: 'bad-input', force_refresh: 1 }, 422, 'force_refresh'],
      ['/api/cross-learning/apply-wisdom', { niche: 'fitness' }, 422, 'account_id'],
    ];
    for (const [route, body, status, field] of cases) {
      const r = await call('POST', route, { token, body });
      const e = expectError(r, status);
      assert.equal(e.field, field, `${route} ${JSON.stringify(body).slice(0, 60)}: ${r.text}`);
    }
    // Oversized body: 413 before any parsing.
    const huge = JSON.stringify({ text: 'x'.repeat(1_100_000) });
    expectError(await call('POST', '/api/cross-learning/detect-niche', { body: huge }), 413);
    // A bad id in the dashboard path.
    expectError(await call('GET', `/api/cross-learning/dashboard/${'x'.repeat(65)}`, { token: OPERATOR }), 422, 'account_id');
    // Wrong methods.
    const m = await call('GET', '/api/cross-learning/apply-wisdom');
    assert.equal(m.status, 405);
    assert.equal(m.res.headers.get('allow'), 'POST');
  });
});
