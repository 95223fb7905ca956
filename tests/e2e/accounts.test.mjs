// End-to-end tests of accounts, ingest, consent, export and erasure on the real runtime
// (`wrangler dev`, local workerd + local D1 with the migrations applied).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/
//
// The operator token is a fresh random value passed with `--var OPERATOR_TOKEN:...`, so the test
// never depends on a .dev.vars file. The records are made up for the test (not real data).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { queryD1, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const MAX_BATCH_RECORDS = 500; // worker/src/service/accounts.rs

let worker;
before(async () => {
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } });
});
after(async () => {
  await worker?.stop();
});

function call(method, route, { body, token, raw } = {}) {
  const headers = {};
  if (token !== undefined) headers.authorization = raw ? token : `Bearer ${token}`;
  return request(`${worker.url}${route}`, { method, body, headers });
}

function expectError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.deepEqual(Object.keys(r.json), ['error'], r.text);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message']);
  assert.equal(r.json.error.code, code, r.text);
  return r.json.error;
}

const record = (id, extra = {}) => ({
  record_id: id,
  platform: 'meta',
  niche: 'fitness',
  hook_type: 'question',
  cta_style: 'shop_now',
  format: 'video',
  duration_s: 15,
  impressions: 1000,
  clicks: 25,
  spend: 12.5,
  ...extra,
});

async function createAccount(accountId) {
  const r = await call('POST', '/api/accounts', { token: OPERATOR, body: accountId ? { account_id: accountId } : {} });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.res.headers.get('cache-control'), 'no-store');
  return r.json;
}

describe('export pages', () => {
  test('an export of 2,400 records comes in pages that together hold every record once', async () => {
    const acc = await createAccount('pages-1');
    const ids = Array.from({ length: 2400 }, (_, i) => `p ${String(i).padStart(4, '0')}/é`);
    for (let i = 0; i < ids.length; i += MAX_BATCH_RECORDS) {
      const records = ids.slice(i, i + MAX_BATCH_RECORDS).map((id) => record(id));
      const r = await call('POST', '/api/accounts/pages-1/records', { token: acc.token, body: { records } });
      assert.equal(r.status, 200, r.text);
    }
    const seen = [];
    const sizes = [];
    let cursor;
    for (;;) {
      const q = cursor ? `?cursor=${cursor}` : '';
      const r = await call('GET', `/api/accounts/pages-1/export${q}`, { token: acc.token });
      assert.equal(r.status, 200, r.text);
      sizes.push(r.json.records.length);
      seen.push(...r.json.records.map((x) => x.record_id));
      if (!r.json.next_cursor) break;
      assert.match(r.json.next_cursor, /^([0-9a-f]{2})+$/);
      cursor = r.json.next_cursor;
    }
    assert.deepEqual(sizes, [1000, 1000, 400]);
    assert.deepEqual(seen, [...ids].sort());
    const small = await call('GET', '/api/accounts/pages-1/export?limit=5000', { token: acc.token });
    assert.equal(small.json.records.length, 2400);
    assert.equal(small.json.next_cursor, undefined);
    assert.equal(expectError(await call('GET', '/api/accounts/pages-1/export?limit=0', { token: acc.token }), 422, 'invalid_value').field, 'limit');
    assert.equal(expectError(await call('GET', '/api/accounts/pages-1/export?cursor=zz', { token: acc.token }), 422, 'invalid_value').field, 'cursor');
  });
});

describe('account lifecycle', () => {
  test('create -> ingest -> consent -> export -> erase -> nothing left', async () => {
    const acc = await createAccount('life-1');
    assert.equal(acc.account_id, 'life-1');
    assert.match(acc.token, /^clt_[0-9a-f]{64}$/);
    assert.equal(acc.consent.opted_in, false, 'consent is opt-in');
    const other = await createAccount('life-2');

    // Ingest: two good, one bad (clicks > impressions), one for another account, one not an object.
    const batch = {
      records: [record('r1'), record('r2', { platform: 'tiktok' }), record('r3', { clicks: 5000 }),
        record('r4', { account_id: 'life-2' }), 'nope'],
    };
    let r = await call('POST', '/api/accounts/life-1/records', { token: acc.token, body: batch });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      [r.json.received, r.json.stored, r.json.already_stored, r.json.rejected],
      [5, 2, 0, 3],
    );
    assert.deepEqual(r.json.results.map((x) => x.status), ['stored', 'stored', 'rejected', 'rejected', 'rejected']);
    assert.equal(r.json.results[2].issues[0].field, 'clicks');
    assert.equal(r.json.results[3].issues[0].field, 'account_id');

    // Idempotent by record id: resending r1 (even changed) stores nothing new.
    r = await call('POST', '/api/accounts/life-1/records', {
      token: acc.token,
      body: { records: [record('r1', { clicks: 1 }), record('r5')] },
    });
    assert.deepEqual(r.json.results.map((x) => x.status), ['already_stored', 'stored']);

    // The other account's data, which the erasure must not touch.
    r = await call('POST', '/api/accounts/life-2/records', { token: other.token, body: { records: [record('r1')] } });
    assert.equal(r.json.stored, 1);

    r = await call('PUT', '/api/accounts/life-1/consent', { token: acc.token, body: { opted_in: true } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.opted_in, true);

    r = await call('GET', '/api/accounts/life-1/export', { token: acc.token });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.account.account_id, 'life-1');
    assert.equal(r.json.consent.opted_in, true);
    assert.deepEqual(r.json.records.map((x) => x.record_id), ['r1', 'r2', 'r5']);
    assert.equal(r.json.records[0].clicks, 25, 'the first stored version is kept');
    assert.ok(r.json.records.every((x) => x.account_id === 'life-1' && x.source === 'user'));
    assert.deepEqual(r.json.events, []);

    r = await call('DELETE', '/api/accounts/life-1', { token: acc.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { account_id: 'life-1', erased: true, records: 3, events: 0, insights: 0 });

    // The token is revoked; the operator finds nothing; no row of any table mentions the account.
    expectError(await call('GET', '/api/accounts/life-1/export', { token: acc.token }), 401, 'unauthorized');
    expectError(await call('GET', '/api/accounts/life-1/export', { token: OPERATOR }), 404, 'not_found');
    const rows = await queryD1(
      worker.persistDir,
      "SELECT (SELECT COUNT(*) FROM accounts WHERE account_id = 'life-1') + " +
        "(SELECT COUNT(*) FROM account_tokens WHERE account_id = 'life-1') + " +
        "(SELECT COUNT(*) FROM consent WHERE account_id = 'life-1') + " +
        "(SELECT COUNT(*) FROM records WHERE account_id = 'life-1') + " +
        "(SELECT COUNT(*) FROM cross_learning_events WHERE account_id = 'life-1') + " +
        "(SELECT COUNT(*) FROM account_insights WHERE account_id = 'life-1') AS n",
    );
    assert.equal(rows[0].n, 0);
    // Only the hash of a token is stored.
    const tokens = await queryD1(worker.persistDir, 'SELECT token_hash FROM account_tokens');
    assert.ok(tokens.length >= 1);
    assert.ok(tokens.every((t) => /^[0-9a-f]{64}$/.test(t.token_hash) && t.token_hash !== other.token.slice(4)));

    r = await call('GET', '/api/accounts/life-2/export', { token: other.token });
    assert.deepEqual(r.json.records.map((x) => x.record_id), ['r1'], 'the other account is untouched');
  });

  test('generated ids, duplicate ids (409), bad ids (422)', async () => {
    const a = await createAccount();
    assert.match(a.account_id, /^acc_[0-9a-f]{16}$/);
    await createAccount('dup-1');
    expectError(await call('POST', '/api/accounts', { token: OPERATOR, body: { account_id: 'dup-1' } }), 409, 'conflict');
    // The refused creation left no second token behind (account and token are one transaction).
    const n = await queryD1(worker.persistDir, "SELECT COUNT(*) AS n FROM account_tokens WHERE account_id = 'dup-1'");
    assert.equal(n[0].n, 1);
    const e = expectError(
      await call('POST', '/api/accounts', { token: OPERATOR, body: { account_id: 'no spaces' } }),
      422,
      'invalid_value',
    );
    assert.equal(e.field, 'account_id');
    expectError(await call('POST', '/api/accounts', { token: OPERATOR, body: { name: 'x' } }), 422, 'unknown_field');
  });

  test('batch limits and bad bodies', async () => {
    const acc = await createAccount('limits-1');
    const many = Array.from({ length: MAX_BATCH_RECORDS + 1 }, (_, i) => record(`r${i}`));
    let e = expectError(
      await call('POST', '/api/accounts/limits-1/records', { token: acc.token, body: { records: many } }),
      422,
      'too_many',
    );
    assert.equal(e.field, 'records');
    const full = Array.from({ length: MAX_BATCH_RECORDS }, (_, i) => record(`r${i}`));
    const r = await call('POST', '/api/accounts/limits-1/records', { token: acc.token, body: { records: full } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.stored, MAX_BATCH_RECORDS);
    expectError(await call('POST', '/api/accounts/limits-1/records', { token: acc.token, body: '{' }), 400, 'malformed');
    e = expectError(
      await call('PUT', '/api/accounts/limits-1/consent', { token: acc.token, body: { opted_in: 'yes' } }),
      422,
      'invalid_type',
    );
    assert.equal(e.field, 'opted_in');
  });
});

describe('auth matrix', () => {
  let a;
  let b;
  before(async () => {
    a = await createAccount('auth-a');
    b = await createAccount('auth-b');
    const r = await call('POST', '/api/accounts/auth-b/records', { token: b.token, body: { records: [record('b1')] } });
    assert.equal(r.json.stored, 1);
  });

  const routes = (id) => [
    ['POST', `/api/accounts/${id}/records`, { records: [record('x1')] }],
    ['PUT', `/api/accounts/${id}/consent`, { opted_in: true }],
    ['GET', `/api/accounts/${id}/export`, undefined],
    ['POST', `/api/accounts/${id}/explore`, { platform: 'meta', count: 1 }],
    ['DELETE', `/api/accounts/${id}`, undefined],
  ];

  for (const [method, route, body] of routes('auth-b')) {
    test(`${method} ${route}: missing, malformed, unknown token -> 401; another account's token -> 403`, async () => {
      expectError(await call(method, route, { body }), 401, 'unauthorized');
      expectError(await call(method, route, { body, token: 'Basic abc', raw: true }), 401, 'unauthorized');
      expectError(await call(method, route, { body, token: `clt_${'0'.repeat(64)}` }), 401, 'unauthorized');
      expectError(await call(method, route, { body, token: a.token }), 403, 'forbidden');
    });
  }

  for (const [method, route, body] of routes('no-such-account')) {
    test(`${method} ${route}: an account token on an unknown account is 403 too (no existence oracle)`, async () => {
      expectError(await call(method, route, { body, token: a.token }), 403, 'forbidden');
      expectError(await call(method, route, { body, token: OPERATOR }), 404, 'not_found');
    });
  }

  test('only the operator creates accounts', async () => {
    expectError(await call('POST', '/api/accounts', { body: {} }), 401, 'unauthorized');
    expectError(await call('POST', '/api/accounts', { body: {}, token: a.token }), 403, 'forbidden');
    expectError(await call('POST', '/api/accounts', { body: {}, token: `${OPERATOR}x` }), 401, 'unauthorized');
  });

  test('nothing of b changed after all the refused attempts', async () => {
    const r = await call('GET', '/api/accounts/auth-b/export', { token: b.token });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.records.map((x) => x.record_id), ['b1']);
    assert.equal(r.json.consent.opted_in, false);
  });

  test('the operator may act on any account', async () => {
    const r = await call('GET', '/api/accounts/auth-b/export', { token: OPERATOR });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.records.map((x) => x.record_id), ['b1']);
  });

  test('wrong methods on account routes -> 405 with Allow', async () => {
    const r = await call('GET', '/api/accounts/auth-b', { token: b.token });
    expectError(r, 405, 'method_not_allowed');
    assert.equal(r.res.headers.get('allow'), 'DELETE');
    const r2 = await call('GET', '/api/accounts', { token: OPERATOR });
    expectError(r2, 405, 'method_not_allowed');
    assert.equal(r2.res.headers.get('allow'), 'POST');
  });
});
