// End-to-end test of the per-account limits on the real runtime (`wrangler dev`, local workerd):
// the per-token rate limit of the authenticated routes (429 naming the limit, with Retry-After;
// another account unaffected), the per-client limit that answers made-up tokens before any D1
// lookup, the per-account record cap (422 record_cap_exceeded, nothing stored lost), token
// rotation (the old token stops working) and, with ENVIRONMENT=production, the dev-only fault
// route answering 404 even with FAULT_INJECTION on. Last, the production environment of
// wrangler.toml (`--env production`) limits through Cloudflare's rate-limiting binding (local
// simulation), before the in-isolate fallback would.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/limits.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
// Per token: 60 per minute (one per second), at most 5 at once.
const ACCOUNT_BURST = 5;
// Per client on account routes: at most 40 at once, one more per minute (this test is one client).
const AUTH_BURST = 40;
const CAP = 30;

let worker;
before(async () => {
  worker = await startWorker({
    vars: {
      OPERATOR_TOKEN: OPERATOR,
      ACCOUNT_RATE_LIMIT_PER_MIN: '60',
      ACCOUNT_RATE_LIMIT_BURST: String(ACCOUNT_BURST),
      AUTH_RATE_LIMIT_PER_MIN: '1',
      AUTH_RATE_LIMIT_BURST: String(AUTH_BURST),
      MAX_RECORDS_PER_ACCOUNT: String(CAP),
      ENVIRONMENT: 'production',
      FAULT_INJECTION: 'on',
    },
  });
});
after(async () => {
  await worker?.stop();
});

const call = (method, path, token, body) =>
  request(`${worker.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {}, body });

const records = (from, n) => ({
  records: Array.from({ length: n }, (_, i) => ({
    record_id: `r${from + i}`,
    platform: 'meta',
    niche: 'fitness',
    hook_type: 'question',
    impressions: 20000,
    clicks: 300,
    spend: 150,
  })),
});

// The tests share one client bucket (AUTH_BURST requests); they run in order and count on it.
let tokens = {};

test('accounts are created by the operator (not limited per token)', async () => {
  for (const id of ['lim-a', 'lim-b', 'lim-r']) {
    const r = await call('POST', '/api/accounts', OPERATOR, { account_id: id });
    assert.equal(r.status, 201, r.text);
    tokens[id] = r.json.token;
  }
});

test('one account over its rate gets 429 naming the limit; another account is unaffected', async () => {
  let statuses = [];
  for (let i = 0; i < ACCOUNT_BURST + 1; i++) {
    statuses.push((await call('GET', '/api/accounts/lim-a/export', tokens['lim-a'])).status);
  }
  assert.deepEqual(statuses, [...Array(ACCOUNT_BURST).fill(200), 429]);
  const limited = await call('GET', '/api/accounts/lim-a/export', tokens['lim-a']);
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.match(limited.json.error.message, /ACCOUNT_RATE_LIMIT_PER_MIN/);
  assert.ok(Number(limited.res.headers.get('retry-after')) >= 1);
  const other = await call('GET', '/api/accounts/lim-b/export', tokens['lim-b']);
  assert.equal(other.status, 200, other.text);
});

test('the record cap refuses a batch that would cross it, whole; stored records are kept', async () => {
  const first = await call('POST', '/api/accounts/lim-b/records', tokens['lim-b'], records(0, CAP - 5));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.stored, CAP - 5);
  const over = await call('POST', '/api/accounts/lim-b/records', tokens['lim-b'], records(CAP - 5, 10));
  assert.equal(over.status, 422, over.text);
  assert.equal(over.json.error.code, 'record_cap_exceeded');
  assert.equal(over.json.error.field, 'records');
  assert.match(over.json.error.message, new RegExp(`${CAP}.*MAX_RECORDS_PER_ACCOUNT`));
  const exported = await call('GET', '/api/accounts/lim-b/export', tokens['lim-b']);
  assert.equal(exported.status, 200, exported.text);
  assert.equal(exported.json.records.length, CAP - 5);
});

test('token rotation: the new token works once returned, the old one is revoked', async () => {
  const old = tokens['lim-r'];
  const rotated = await call('POST', '/api/accounts/lim-r/token', old);
  assert.equal(rotated.status, 200, rotated.text);
  assert.equal(rotated.json.account_id, 'lim-r');
  assert.match(rotated.json.token, /^clt_[0-9a-f]{64}$/);
  assert.equal(rotated.res.headers.get('cache-control'), 'no-store');
  assert.equal((await call('GET', '/api/accounts/lim-r/export', old)).status, 401);
  assert.equal((await call('GET', '/api/accounts/lim-r/export', rotated.json.token)).status, 200);
});

test('production: the dev-only fault route is absent even with FAULT_INJECTION on', async () => {
  const r = await call('POST', '/api/admin/faults', OPERATOR, { d1_writes: 'all' });
  assert.equal(r.status, 404, r.text);
  // Writes still work: no fault was set.
  const c = await call('POST', '/api/accounts', OPERATOR, { account_id: 'lim-c' });
  assert.equal(c.status, 201, c.text);
});

test('made-up tokens are answered 429 by the client limit, before any token lookup, once it is spent', async () => {
  const statuses = [];
  for (let i = 0; i < AUTH_BURST + 5; i++) {
    statuses.push((await call('GET', '/api/accounts/lim-a/export', `clt_${randomBytes(32).toString('hex')}`)).status);
  }
  assert.ok(statuses.includes(401), statuses.join());
  const first429 = statuses.indexOf(429);
  assert.ok(first429 > 0 && first429 <= AUTH_BURST, statuses.join());
  assert.ok(statuses.slice(first429).every((s) => s === 429), statuses.join());
  const r = await call('GET', '/api/accounts/lim-a/export', 'clt_x');
  assert.match(r.json.error.message, /AUTH_RATE_LIMIT_PER_MIN/);
});

test('production config: the rate-limiting binding answers first (100 per 10 s, Retry-After 10)', async () => {
  // The harness turns the limits off by default (`0` also skips the binding): production's values.
  const prod = await startWorker({ env: 'production', vars: { OPERATOR_TOKEN: OPERATOR, RATE_LIMIT_PER_MIN: '600' } });
  try {
    // The local binding counts in fixed 10 s windows of the wall clock (miniflare's ratelimit
    // worker: epoch = floor(now / 10 s)); a burst that straddles a boundary is split over two
    // windows and may never reach 100 in either. Start the burst early in a window.
    const into = Date.now() % 10_000;
    if (into > 4_000) await new Promise((resolve) => setTimeout(resolve, 10_000 - into + 100));
    const statuses = [];
    let limited;
    for (let i = 0; i < 110; i++) {
      const r = await request(`${prod.url}/api/normalize`, { method: 'POST', body: { metrics: 3 } });
      statuses.push(r.status);
      if (r.status === 429 && !limited) limited = r;
    }
    // The binding allows 100 per 10 s; the in-isolate fallback (burst 120) would allow 120.
    const first = statuses.indexOf(429);
    assert.ok(first >= 50 && first <= 100, statuses.join());
    assert.equal(limited.res.headers.get('retry-after'), '10');
    assert.match(limited.json.error.message, /RATE_LIMIT_PER_MIN/);
  } finally {
    await prod.stop();
  }
});
