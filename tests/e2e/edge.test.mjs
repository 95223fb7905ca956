// End-to-end test of the edge layer on the real runtime (`wrangler dev`, local workerd): the
// OpenAPI document, CORS (allowed and refused origins, preflight), the rate limit of the public
// routes (429 with Retry-After, then recovery) and Server-Timing on every kind of answer.
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/edge.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request, startWorker } from './lib/wrangler.mjs';

const ORIGIN = 'https://editor.example';
// 120 per minute = one token every 500 ms, at most 3 at once: small enough to exceed quickly,
// fast enough to recover within the test.
const PER_MIN = 120;
const BURST = 3;

let worker;
before(async () => {
  worker = await startWorker({
    vars: { CORS_ORIGINS: `${ORIGIN},http://other.example`, RATE_LIMIT_PER_MIN: String(PER_MIN), RATE_LIMIT_BURST: String(BURST) },
  });
});
after(async () => {
  await worker?.stop();
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const serverTiming = (res) => /^handler;dur=\d+$/.test(res.headers.get('server-timing') ?? '');

test('GET /openapi.json is the generated OpenAPI 3.1 document, covering every route', async () => {
  const { status, json, res } = await request(`${worker.url}/openapi.json`);
  assert.equal(status, 200);
  assert.match(res.headers.get('content-type'), /application\/json/);
  assert.equal(json.openapi, '3.1.0');
  for (const [path, method] of [
    ['/health', 'get'],
    ['/api/normalize', 'post'],
    ['/api/ctr/score', 'post'],
    ['/api/accounts', 'post'],
    ['/api/accounts/{id}/records', 'post'],
    ['/api/accounts/{id}/consent', 'put'],
    ['/api/cross-learning/niche-wisdom/{niche}', 'get'],
  ]) {
    assert.ok(json.paths[path]?.[method], `${method} ${path}`);
  }
  const schemas = json.components.schemas;
  assert.equal(schemas.NormalizeRequest.additionalProperties, false);
  assert.deepEqual(schemas.ConsentRequest.required, ['opted_in']);
  assert.deepEqual(json.paths['/api/accounts'].post.security, [{ operatorToken: [] }]);
  assert.equal(json.components.securitySchemes.accountToken.scheme, 'bearer');
  // The error schema is what a real error answers.
  const err = await request(`${worker.url}/api/normalize`, { method: 'POST', body: { metrics: 3 } });
  assert.equal(err.status, 422);
  assert.deepEqual(Object.keys(err.json.error).sort(), schemas.ErrorDetail.required.slice().sort());
});

test('CORS: an allowed origin is echoed, another is not; Vary: Origin either way', async () => {
  const ok = await request(`${worker.url}/health`, { headers: { origin: ORIGIN } });
  assert.equal(ok.status, 200);
  assert.equal(ok.res.headers.get('access-control-allow-origin'), ORIGIN);
  assert.match(ok.res.headers.get('access-control-expose-headers'), /Server-Timing/);
  assert.match(ok.res.headers.get('vary'), /Origin/);
  const evil = await request(`${worker.url}/health`, { headers: { origin: 'https://evil.example' } });
  assert.equal(evil.status, 200);
  assert.equal(evil.res.headers.get('access-control-allow-origin'), null);
  assert.match(evil.res.headers.get('vary'), /Origin/);
  // Error answers carry the headers too, so a browser page can read the JSON error.
  const err = await request(`${worker.url}/api/nope`, { headers: { origin: ORIGIN } });
  assert.equal(err.status, 404);
  assert.equal(err.res.headers.get('access-control-allow-origin'), ORIGIN);
});

test('CORS preflight: 204 with the path\'s methods for an allowed origin, nothing for others', async () => {
  const pre = (path, origin) =>
    request(`${worker.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
  const ok = await pre('/api/accounts/acc_1/records', ORIGIN);
  assert.equal(ok.status, 204);
  assert.equal(ok.res.headers.get('access-control-allow-origin'), ORIGIN);
  assert.equal(ok.res.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
  assert.match(ok.res.headers.get('access-control-allow-headers'), /authorization/);
  assert.ok(Number(ok.res.headers.get('access-control-max-age')) > 0);
  const evil = await pre('/api/normalize', 'https://evil.example');
  assert.equal(evil.status, 204);
  assert.equal(evil.res.headers.get('access-control-allow-origin'), null);
  assert.equal(evil.res.headers.get('access-control-allow-methods'), null);
  const unknown = await pre('/api/nope', ORIGIN);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'not_found');
});

test('public routes: over the limit is 429 rate_limited with Retry-After, then it recovers', async () => {
  const route = `${worker.url}/api/cross-learning/niche-wisdom/fitness`;
  await sleep((BURST * 60_000) / PER_MIN + 200); // a full bucket, whatever ran before
  // Preflights and unlimited routes do not spend tokens.
  for (let i = 0; i < 5; i++) {
    assert.equal((await request(route, { method: 'OPTIONS', headers: { origin: ORIGIN } })).status, 204);
    assert.equal((await request(`${worker.url}/health`)).status, 200);
  }
  for (let i = 0; i < BURST; i++) {
    assert.equal((await request(route)).status, 200, `request ${i + 1} of the burst`);
  }
  const limited = await request(route, { headers: { origin: ORIGIN } });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'rate_limited');
  assert.equal(limited.json.error.field, null);
  const retry = Number(limited.res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1, `Retry-After ${retry}`);
  assert.ok(serverTiming(limited.res));
  assert.equal(limited.res.headers.get('access-control-allow-origin'), ORIGIN);
  // Other public routes share the client's bucket.
  const normalize = await request(`${worker.url}/api/normalize`, { method: 'POST', body: { metrics: [] } });
  assert.equal(normalize.status, 429);
  // Account routes are not rate limited (they need a token: 401 here, not 429).
  const acct = await request(`${worker.url}/api/accounts/acc_1/export`);
  assert.equal(acct.status, 401);
  await sleep(retry * 1000 + 100);
  const again = await request(route);
  assert.equal(again.status, 200, 'recovers after Retry-After');
  assert.equal(again.json.niche, 'fitness');
});

test('Server-Timing: handler;dur=<ms> on 200, 4xx, 404, 405 and preflight answers', async () => {
  await sleep((BURST * 60_000) / PER_MIN + 200);
  const answers = [
    await request(`${worker.url}/health`),
    await request(`${worker.url}/api/normalize`, { method: 'POST', body: '{' }),
    await request(`${worker.url}/api/nope`),
    await request(`${worker.url}/api/normalize`, { method: 'GET' }),
    await request(`${worker.url}/api/normalize`, { method: 'OPTIONS', headers: { origin: ORIGIN } }),
    await request(`${worker.url}/api/accounts`, { method: 'POST', body: {} }),
  ];
  assert.deepEqual(answers.map((a) => a.status), [200, 400, 404, 405, 204, 401]);
  for (const a of answers) assert.ok(serverTiming(a.res), `${a.status}: ${a.res.headers.get('server-timing')}`);
});
