// End-to-end test of CSV upload to an account (`POST /api/accounts/{id}/records` with
// `Content-Type: text/csv`) on the real runtime (`wrangler dev`, local workerd + local D1).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/csv-upload.test.mjs
//
// The uploads are the constructed samples in tests/data/imports (documented column sets,
// invented values; see construct.py there), not real data.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { ROOT, request, startWorker } from './lib/wrangler.mjs';

const editorUpload = await import(path.join(ROOT, 'www', 'lib', 'upload.js'));

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const SAMPLES = new URL('../data/imports/', import.meta.url);
const MAX_CSV_ROWS = 500; // worker/src/service/accounts.rs

let worker;
before(async () => {
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } });
});
after(async () => {
  await worker?.stop();
});

function call(method, route, { body, token, type } = {}) {
  const headers = { authorization: `Bearer ${token}` };
  if (type) headers['content-type'] = type;
  return request(`${worker.url}${route}`, { method, body, headers });
}

// The bytes as they are (the shared `request` helper would JSON-encode a Buffer).
async function upload(account, token, body) {
  const res = await fetch(`${worker.url}/api/accounts/${account}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv; charset=utf-8' },
    body,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

test('a Bing and an X export upload as CSV, idempotently, with rejected rows by line and a 413 past the row limit', async () => {
  const created = await call('POST', '/api/accounts', { token: OPERATOR, body: JSON.stringify({ account_id: 'csv-1' }), type: 'application/json' });
  assert.equal(created.status, 201, created.text);
  const { token } = created.json;

  // A Microsoft Advertising download (UTF-8 BOM, preamble, totals, footer) and an X export.
  const bing = readFileSync(new URL('bing_ad_performance_us.csv', SAMPLES));
  let r = await upload('csv-1', token, bing);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.received, r.json.stored, r.json.rejected], [5, 5, 0]);
  const x = readFileSync(new URL('x_ads_manager_export.csv', SAMPLES));
  r = await upload('csv-1', token, x);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.stored, 4);

  // The same Bing report as UTF-16 from a de-DE account: the same ids, so nothing new.
  const de = readFileSync(new URL('bing_ad_performance_de_utf16.csv', SAMPLES));
  r = await upload('csv-1', token, de);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.stored, r.json.already_stored], [0, 5]);

  // What was stored: the network and currency kept, the account the path's.
  r = await call('GET', '/api/accounts/csv-1/export', { token });
  assert.equal(r.status, 200, r.text);
  const records = r.json.records;
  assert.equal(records.length, 9);
  const bingRecords = records.filter((x) => x.network === 'microsoft_ads');
  assert.equal(bingRecords.length, 5);
  assert.ok(bingRecords.every((x) => x.platform === 'google_ads' && x.currency === 'USD' && x.account_id === 'csv-1'));
  const post = records.find((x) => x.network === 'x' && x.body.startsWith('New drop'));
  assert.ok(!post.body.includes('t.co') && post.body.includes('& it\'s'), post.body);

  // A generic CSV with one bad row: stored around it, the bad row named by its line.
  const generic = 'record_id,account_id,platform,impressions,clicks,spend\n' +
    'g1,csv-1,linkedin,100,2,1.5\n' +
    'g2,csv-1,meta,100,200,1.5\n';
  r = await upload('csv-1', token, generic);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.json.stored, r.json.rejected], [1, 1]);
  const bad = r.json.results[1];
  assert.deepEqual([bad.status, bad.line, bad.issues[0].field], ['rejected', 3, 'clicks']);

  // Past the row limit: 413, nothing stored.
  let big = 'record_id,account_id,platform,impressions,clicks,spend\n';
  for (let i = 0; i <= MAX_CSV_ROWS; i++) big += `big${i},csv-1,meta,10,1,1\n`;
  r = await upload('csv-1', token, big);
  assert.equal(r.status, 413, r.text);
  assert.equal(r.json.error.code, 'too_large');
  assert.match(r.json.error.message, /501 data rows/);

  // Not a known format: 422.
  r = await upload('csv-1', token, 'a,b\n1,2\n');
  assert.equal(r.status, 422, r.text);
  assert.equal(r.json.error.code, 'unsupported');

  r = await call('GET', '/api/accounts/csv-1/export', { token });
  assert.equal(r.json.records.length, 10);

  // The OpenAPI document lists the CSV body.
  r = await request(`${worker.url}/openapi.json`);
  assert.equal(r.status, 200);
  const body = r.json.paths['/api/accounts/{id}/records'].post.requestBody.content;
  assert.ok(body['text/csv'] && body['application/json'], JSON.stringify(body));
});

test("the editor's upload sends nothing without consent, then stores the file once", async () => {
  const created = await call('POST', '/api/accounts', { token: OPERATOR, body: JSON.stringify({ account_id: 'csv-editor' }), type: 'application/json' });
  assert.equal(created.status, 201, created.text);
  const { token } = created.json;
  const file = readFileSync(new URL('linkedin_campaign_manager_export.csv', SAMPLES));
  const bytes = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
  let calls = 0;
  const counting = (...args) => {
    calls++;
    return fetch(...args);
  };
  const base = { base: worker.url, account: 'csv-editor', token, bytes, fetchFn: counting };
  let r = await editorUpload.uploadCsv({ ...base, agreed: false });
  assert.equal(r.ok, false);
  assert.equal(calls, 0, 'no request without consent');
  assert.match(editorUpload.consentText(3, 'csv-editor'), /3 records.*csv-editor.*opted in.*erase/s);
  r = await editorUpload.uploadCsv({ ...base, agreed: true });
  assert.deepEqual([r.ok, r.stored, r.alreadyStored, r.rejected], [true, 3, 0, 0], JSON.stringify(r));
  r = await editorUpload.uploadCsv({ ...base, agreed: true });
  assert.deepEqual([r.stored, r.alreadyStored], [0, 3]);
  assert.equal(editorUpload.describeUpload(r), 'Uploaded: 0 stored, 3 already stored, 0 rejected.');
  r = await editorUpload.uploadCsv({ ...base, token: 'clt_wrong', agreed: true });
  assert.equal(r.ok, false);
  assert.equal(r.status, 401);
});
