// End-to-end test of CSV upload to an account (`POST /api/accounts/{id}/records` with
// `Content-Type: text/csv`) on the real runtime (`wrangler dev`, local workerd + local D1).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/csv-upload.test.mjs
//
// The uploads are the constructed samples in tests/data/imports (documented column sets,
// invented values; see construct.py there), generated generic CSVs, and the first rows of the real
// Facebook export (../shared/data, beside the repository). The body is streamed into the importer
// (worker/src/http/body.rs `CsvBody`): the limits are checked as it arrives, shown here with
// bodies sent in chunks (no Content-Length) and with a Content-Length over the limit.

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
const MAX_BODY_BYTES = 1024 * 1024; // worker/src/http/body.rs
const GENERIC_HEADER = 'record_id,account_id,platform,impressions,clicks,spend\n';

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
  assert.match(r.json.error.message, /more than 500 data rows \(row 501 starts at line 502\)/);

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

// A body sent as a stream of `chunks` (no Content-Length: chunked transfer encoding).
async function uploadStream(account, token, chunks) {
  let i = 0;
  const stream = new ReadableStream({
    pull(controller) {
      if (i >= chunks.length) return controller.close();
      controller.enqueue(chunks[i++]);
    },
  });
  const res = await fetch(`${worker.url}/api/accounts/${account}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: stream,
    duplex: 'half',
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text), sent: i };
}

function pieces(bytes, size) {
  const out = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
  return out;
}

async function account(id) {
  const created = await call('POST', '/api/accounts', { token: OPERATOR, body: JSON.stringify({ account_id: id }), type: 'application/json' });
  assert.equal(created.status, 201, created.text);
  return created.json.token;
}

async function exported(id, token) {
  const r = await call('GET', `/api/accounts/${id}/export?limit=500`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.records;
}

test('a Content-Length over the byte limit is refused with 413 before any of the body is read', async () => {
  const token = await account('csv-declared');
  // A body whose first line no importer reads: a Worker that read it would refuse it with 422
  // as soon as the header is known (the chunked upload below shows that); with a Content-Length
  // over 1 MiB it must answer 413 from the header alone. (wrangler dev's local proxy forwards a
  // request only once its body is complete, so the timing of the answer cannot be observed
  // here; the order of the checks can.)
  const bytes = new TextEncoder().encode('a,b,c\n' + '1,2,3\n'.repeat(Math.ceil(MAX_BODY_BYTES / 6)));
  assert.ok(bytes.length > MAX_BODY_BYTES);
  const declared = await upload('csv-declared', token, bytes);
  assert.equal(declared.status, 413, declared.text);
  assert.equal(declared.json.error.code, 'too_large');
  assert.match(declared.json.error.message, /larger than 1048576 bytes/);
  const chunked = await uploadStream('csv-declared', token, pieces(bytes, 64 * 1024));
  assert.equal(chunked.status, 422, chunked.text);
  assert.equal(chunked.json.error.code, 'unsupported');
  assert.equal((await exported('csv-declared', token)).length, 0);
  assert.equal((await call('GET', '/health')).status, 200, 'the Worker still answers');
});

test('a chunked body past the byte limit is 413, nothing is stored, and the Worker still answers', async () => {
  const token = await account('csv-bytes');
  // Valid rows all the way (few enough rows, long copy), so only the byte count can refuse it.
  const long = 'x'.repeat(4000);
  const rows = [];
  for (let i = 0; i < 300; i++) rows.push(`b${i},csv-bytes,meta,100,2,1.5,"${long}"\n`);
  const text = 'record_id,account_id,platform,impressions,clicks,spend,body\n' + rows.join('');
  assert.ok(text.length > MAX_BODY_BYTES);
  const r = await uploadStream('csv-bytes', token, pieces(new TextEncoder().encode(text), 64 * 1024));
  assert.equal(r.status, 413, r.text);
  assert.equal(r.json.error.code, 'too_large');
  assert.match(r.json.error.message, /larger than 1048576 bytes/);
  assert.equal((await exported('csv-bytes', token)).length, 0, 'nothing written');
  // The same rows under the limit are stored: the refusal was the size, not the rows.
  const fits = 'record_id,account_id,platform,impressions,clicks,spend,body\n' + rows.slice(0, 200).join('');
  const ok = await uploadStream('csv-bytes', token, pieces(new TextEncoder().encode(fits), 64 * 1024));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.stored, 200);
  assert.equal((await call('GET', '/health')).status, 200);
});

test('row 501 of a streamed upload is 413 and nothing is written; 500 rows are stored', async () => {
  const token = await account('csv-rows');
  let text = GENERIC_HEADER;
  for (let i = 1; i <= MAX_CSV_ROWS + 100; i++) text += `row${i},csv-rows,meta,100,2,1.5\n`;
  const r = await uploadStream('csv-rows', token, pieces(new TextEncoder().encode(text), 1000));
  assert.equal(r.status, 413, r.text);
  assert.equal(r.json.error.code, 'too_large');
  assert.match(r.json.error.message, /more than 500 data rows \(row 501 starts at line 502\).*nothing was stored/);
  assert.equal((await exported('csv-rows', token)).length, 0, 'nothing written');
  // Exactly 500 rows: all stored.
  const lines = text.split('\n');
  const fits = lines.slice(0, MAX_CSV_ROWS + 1).join('\n') + '\n';
  const ok = await uploadStream('csv-rows', token, pieces(new TextEncoder().encode(fits), 1000));
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual([ok.json.received, ok.json.stored], [MAX_CSV_ROWS, MAX_CSV_ROWS]);
  assert.equal((await exported('csv-rows', token)).length, MAX_CSV_ROWS);
});

test('an upload in many small chunks stores the same records as the same file in one piece', async () => {
  // The first 200 data rows of the real Facebook export (quoted multi-line copy, CRLF or LF as
  // the file has them), and the UTF-16 Bing report (code units split across chunks).
  const fb = readFileSync(path.resolve(ROOT, '../shared/data/src_ads_creative_facebook_all_data.csv'));
  let end = 0;
  for (let lines = 0; lines < 201 && end < fb.length; end++) if (fb[end] === 0x0a) lines++;
  const files = [
    ['fb', fb.subarray(0, end)],
    ['de', readFileSync(new URL('bing_ad_performance_de_utf16.csv', SAMPLES))],
  ];
  for (const [name, bytes] of files) {
    const tokenWhole = await account(`csv-whole-${name}`);
    const tokenChunks = await account(`csv-chunks-${name}`);
    const whole = await upload(`csv-whole-${name}`, tokenWhole, bytes);
    assert.equal(whole.status, 200, whole.text);
    assert.ok(whole.json.stored > 0, whole.text);
    const chunked = await uploadStream(`csv-chunks-${name}`, tokenChunks, pieces(bytes, 7));
    assert.equal(chunked.status, 200, chunked.text);
    assert.ok(chunked.sent > 100, `${chunked.sent} chunks`);
    const strip = (report) => ({ ...report, account_id: undefined });
    assert.deepEqual(strip(chunked.json), strip(whole.json), `${name}: the same answer`);
    const norm = (records) => records.map((x) => ({ ...x, account_id: undefined })).sort((a, b) => a.record_id.localeCompare(b.record_id));
    const a = norm(await exported(`csv-whole-${name}`, tokenWhole));
    const b = norm(await exported(`csv-chunks-${name}`, tokenChunks));
    assert.equal(a.length, whole.json.stored);
    assert.deepEqual(b, a, `${name}: the same records`);
  }
});
