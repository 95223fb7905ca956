// End-to-end test of the operator route GET /api/admin/runtime (worker/src/http/runtime.rs) on the real
// runtime: this isolate's wasm linear memory and rate-limiter size, as sampled by the soak.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/runtime.test.mjs

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const ROUTE = '/api/admin/runtime';

let worker;
before(async () => {
  // The rate limit on, so the public route below goes through the limiter.
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR, RATE_LIMIT_PER_MIN: '600' } });
});
after(async () => {
  await worker?.stop();
});

const get = (headers = {}) => request(`${worker.url}${ROUTE}`, { headers });

test('operator only: no token 401, an account token 403', async () => {
  const none = await get();
  assert.equal(none.status, 401, none.text);
  assert.ok(none.json?.error?.code, none.text);
  const created = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR}` },
    body: { account_id: 'rt-1' },
  });
  assert.equal(created.status, 201, created.text);
  const account = await get({ authorization: `Bearer ${created.json.token}` });
  assert.equal(account.status, 403, account.text);
});

test('the wasm linear memory in whole 64 KiB pages, and the limiter size', async () => {
  const score = await request(`${worker.url}/api/ctr/score`, {
    method: 'POST',
    body: { model: 'pre_launch', creatives: [{ platform: 'meta', niche: 'fitness', hook_type: 'question', cta_style: 'shop_now', format: 'video', duration_s: 15, posting_hour: 18 }] },
  });
  assert.equal(score.status, 200, score.text);
  const r = await get({ authorization: `Bearer ${OPERATOR}` });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.res.headers.get('cache-control'), 'no-store');
  const { wasm_memory_pages: pages, wasm_memory_bytes: bytes, rate_limiter_clients: clients, rate_limiter_max_clients: max } = r.json;
  assert.ok(Number.isInteger(pages) && pages > 0, r.text);
  assert.equal(bytes, pages * 65536);
  // The Worker embeds its model files: its memory is more than one page, far less than 1 GiB.
  assert.ok(bytes > 65536 && bytes < 2 ** 30, `${bytes}`);
  assert.ok(clients >= 1 && clients <= max, r.text);
});

test('listed in the OpenAPI document as an operator route', async () => {
  const doc = await request(`${worker.url}/openapi.json`);
  assert.equal(doc.status, 200);
  const op = doc.json.paths?.[ROUTE]?.get;
  assert.ok(op, `no GET ${ROUTE} in /openapi.json`);
  assert.ok(JSON.stringify(op).includes('wasm_memory_bytes') || JSON.stringify(doc.json.components ?? {}).includes('wasm_memory_bytes'));
});
