// End-to-end tests of the built Worker under `wrangler dev` (local workerd, 127.0.0.1 only).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/
//
// The golden fixtures (../shared/fixtures/seed_golden.json, next to the repository; override with
// SEED_GOLDEN=path) are replayed through the HTTP API in seed mode and compared with `===`:
// fixture floats are shortest round-trip decimals and the Worker prints f64 the same way, so the
// JSON round trip is exact. The 19-feature vector is f32 widened to f64 on both sides.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT, request, startWorker } from './lib/wrangler.mjs';

const FIXTURES = process.env.SEED_GOLDEN ?? path.resolve(ROOT, '../shared/fixtures/seed_golden.json');
const golden = JSON.parse(readFileSync(FIXTURES, 'utf8'));
const MAX_BODY_BYTES = 1024 * 1024; // worker/src/http/body.rs

let worker;
before(async () => {
  worker = await startWorker();
});
after(async () => {
  await worker?.stop();
});

const call = (method, route, body, headers = {}) =>
  request(`${worker.url}${route}`, { method, body, headers });

const post = (route, body, headers) => call('POST', route, body, headers);

/** Every key of `expected` must be `===` in `actual`; returns the mismatches as strings. */
function mismatches(id, expected, actual) {
  const out = [];
  for (const [key, want] of Object.entries(expected)) {
    if (actual?.[key] !== want) out.push(`${id}.${key}: expected ${want}, got ${actual?.[key]}`);
  }
  return out;
}

/** The error body must be exactly {error: {code, message, field}}; returns the error. */
function errorOf(r) {
  assert.ok(r.json, `error body is JSON: ${r.text}`);
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'field', 'message']);
  assert.equal(typeof r.json.error.message, 'string');
  assert.match(r.res.headers.get('content-type') ?? '', /application\/json/);
  return r.json.error;
}

describe('health', () => {
  test('GET /health answers ok with the version and a Server-Timing header', async () => {
    const r = await call('GET', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ok');
    assert.match(r.json.version, /^\d+\.\d+\.\d+/);
    assert.match(r.res.headers.get('server-timing') ?? '', /^handler;dur=\d+$/);
  });
});

describe('golden normalize (seed mode)', () => {
  test(`all ${golden.cases.normalize.length} cases, batched as one list`, async () => {
    const cases = golden.cases.normalize;
    const r = await post('/api/normalize', { metrics: cases.map((c) => c.input), mode: 'seed' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.length, cases.length);
    const bad = cases.flatMap((c, i) => mismatches(c.id, c.expected, r.json[i]));
    assert.deepEqual(bad, []);
  });

  test('the 3 worked examples, one request each (single-object form)', async () => {
    const worked = golden.cases.worked_examples.normalize;
    assert.equal(worked.length, 3);
    for (const c of worked) {
      const r = await post('/api/normalize', { metrics: c.input, mode: 'seed' });
      assert.equal(r.status, 200, r.text);
      assert.ok(!Array.isArray(r.json));
      assert.deepEqual(mismatches(c.id, c.expected, r.json), []);
    }
  });
});

describe('golden aggregate through /api/features (seed mode)', () => {
  const { aggregate, aggregate_with_dna } = golden.cases.worked_examples;
  const cases = [aggregate, aggregate_with_dna, ...golden.cases.aggregate];

  /** Fields computed without exp(), so exact in any libm. */
  const EXACT_INSIGHT = [
    'avg_normalized_ctr', 'avg_normalized_cpc', 'avg_normalized_engagement', 'avg_composite_score',
    'confidence', 'total_impressions', 'total_conversions', 'total_spend', 'sample_size',
  ];

  test(`features vector of ${cases.length} cases (2 worked examples + every aggregate case)`, async () => {
    const bad = [];
    for (let i = 0; i < cases.length; i += 16) {
      const chunk = cases.slice(i, i + 16);
      const answers = await Promise.all(
        chunk.map((c) => post('/api/features', { ...c.input, mode: 'seed' })),
      );
      chunk.forEach((c, j) => {
        const r = answers[j];
        if (r.status !== 200) {
          bad.push(`${c.id}: status ${r.status} ${r.text}`);
          return;
        }
        const want = c.expected.unified_features_array_f32;
        assert.equal(r.json.features.length, 19);
        r.json.features.forEach((x, k) => {
          if (x !== Math.fround(want[k])) bad.push(`${c.id}.features[${k}]: expected ${want[k]}, got ${x}`);
        });
        const insight = Object.fromEntries(EXACT_INSIGHT.map((k) => [k, c.expected.insight[k]]));
        bad.push(...mismatches(`${c.id}.insight`, insight, r.json.insight));
        assert.deepEqual(r.json.insight.platforms, c.expected.insight.platforms);
        // The core names the features itself (the fixtures use the seed's names); same order.
        assert.equal(r.json.feature_names.length, 19);
      });
    }
    assert.deepEqual(bad, []);
  });

  test('worked example: the documented headline numbers', async () => {
    const r = await post('/api/features', { ...aggregate.input, mode: 'seed' });
    assert.equal(r.status, 200);
    assert.equal(r.json.insight.avg_composite_score, 0.5207099784753583);
    assert.equal(r.json.insight.total_spend, 2001.0);
    assert.equal(r.json.unified_features.multi_platform_bonus, 0.2);
  });
});

describe('POST /api/explore', () => {
  test('randomised briefs from the Worker runtime\'s own generator: concrete values, two calls differ', async () => {
    const one = await post('/api/explore', { platform: 'tiktok', count: 20, formats: ['video'] });
    const two = await post('/api/explore', { platform: 'tiktok', count: 20, formats: ['video'] });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.assignment, 'randomised');
    assert.equal(one.json.briefs.length, 20);
    for (const b of one.json.briefs) {
      assert.equal(b.platform, 'tiktok');
      assert.equal(b.format, 'video');
      assert.ok(!['other', 'unknown'].includes(b.hook_type) && !['other', 'unknown'].includes(b.cta_style), JSON.stringify(b));
      assert.ok(Number.isInteger(b.posting_hour) && b.posting_hour >= 0 && b.posting_hour < 24);
      assert.ok(Array.isArray(b.duration_range_s) && b.duration_range_s[0] < b.duration_range_s[1]);
    }
    assert.notDeepEqual(one.json.briefs, two.json.briefs);
  });
});

describe('bad input is a 4xx JSON error naming the field', () => {
  const metrics = golden.cases.worked_examples.normalize[0].input;
  const withField = (key, value) => ({ metrics: { ...metrics, [key]: value } });
  const raw = JSON.stringify({ metrics });

  const table = [
    ['malformed JSON (truncated)', '/api/normalize', '{"metrics": {"platform": "meta"', 400, 'malformed', null],
    ['malformed JSON (not JSON)', '/api/normalize', 'hello', 400, 'malformed', null],
    ['empty body', '/api/normalize', '', 400, 'malformed', null],
    ['bare NaN token', '/api/normalize', raw.replace('"ctr":0.025', '"ctr":NaN'), 400, 'malformed', null],
    ['"NaN" string', '/api/normalize', withField('ctr', 'NaN'), 422, 'invalid_type', 'metrics.ctr'],
    ['"Infinity" string', '/api/normalize', withField('cpc', 'Infinity'), 422, 'invalid_type', 'metrics.cpc'],
    ['negative cpc', '/api/normalize', withField('cpc', -1.5), 422, 'invalid_value', 'metrics.cpc'],
    ['negative cpc in a list', '/api/normalize', { metrics: [metrics, { ...metrics, cpc: -1 }] }, 422, 'invalid_value', 'metrics[1].cpc'],
    ['percent ctr (corrected mode)', '/api/normalize', withField('ctr', 2.5), 422, 'invalid_value', 'metrics.ctr'],
    ['negative impressions', '/api/normalize', withField('impressions', -1), 422, 'invalid_value', 'metrics.impressions'],
    ['unknown field', '/api/normalize', withField('bogus', 1), 422, 'unknown_field', 'metrics.bogus'],
    ['unknown top-level field', '/api/normalize', { metrics, extra: true }, 422, 'unknown_field', 'extra'],
    ['missing field', '/api/normalize', { metrics: { ...metrics, spend: undefined } }, 422, 'missing_field', 'metrics.spend'],
    ['unknown platform', '/api/normalize', withField('platform', 'myspace'), 422, 'unknown_value', 'metrics.platform'],
    ['unknown mode', '/api/normalize', { metrics, mode: 'fast' }, 422, 'unknown_value', 'mode'],
    ['metrics not an object', '/api/normalize', { metrics: 42 }, 422, 'invalid_type', 'metrics'],
    ['empty platform_data', '/api/features', { platform_data: [] }, 422, 'empty_input', 'platform_data'],
    ['duplicate platform', '/api/features', { platform_data: [metrics, metrics] }, 422, 'duplicate', 'platform_data[1].platform'],
    ['DNA out of range', '/api/features', { platform_data: [metrics], creative_dna: { hook_strength: 7 } }, 422, 'invalid_value', 'creative_dna.hook_strength'],
    ['unknown platform in features', '/api/features', { platform_data: [metrics, { ...metrics, platform: 'myspace' }] }, 422, 'unknown_value', 'platform_data[1].platform'],
    ['explore: too many briefs', '/api/explore', { platform: 'meta', count: 101 }, 422, 'invalid_value', 'count'],
    ['explore: no format', '/api/explore', { platform: 'tiktok', formats: [] }, 422, 'invalid_value', 'formats'],
  ];

  for (const [name, route, body, status, code, field] of table) {
    test(`${name} -> ${status} ${code}${field ? ` (${field})` : ''}`, async () => {
      const r = await post(route, body);
      assert.equal(r.status, status, r.text);
      const e = errorOf(r);
      assert.equal(e.code, code);
      assert.equal(e.field, field);
    });
  }

  test('body over 1 MiB (Content-Length) -> 413', async () => {
    const r = await post('/api/normalize', ' '.repeat(MAX_BODY_BYTES + 1));
    assert.equal(r.status, 413);
    assert.equal(errorOf(r).code, 'too_large');
  });

  test('a body of exactly 1 MiB is read (and judged on its content)', async () => {
    const body = JSON.stringify({ metrics, mode: 'seed' });
    const r = await post('/api/normalize', body.padEnd(MAX_BODY_BYTES, ' '));
    assert.equal(r.status, 200, r.text);
  });

  test('GET on a POST route -> 405 with Allow', async () => {
    const r = await call('GET', '/api/normalize');
    assert.equal(r.status, 405);
    assert.equal(errorOf(r).code, 'method_not_allowed');
    assert.equal(r.res.headers.get('allow'), 'POST');
  });

  test('POST on a GET route -> 405 with Allow', async () => {
    const r = await post('/health', {});
    assert.equal(r.status, 405);
    assert.equal(errorOf(r).code, 'method_not_allowed');
    assert.equal(r.res.headers.get('allow'), 'GET');
  });

  for (const [method, route] of [['GET', '/api/nope'], ['POST', '/api/nope'], ['GET', '/no-such-file.txt']]) {
    test(`${method} ${route} -> 404 JSON`, async () => {
      const r = await call(method, route, method === 'POST' ? {} : undefined);
      assert.equal(r.status, 404);
      assert.equal(errorOf(r).code, 'not_found');
    });
  }
});

describe('static assets', () => {
  const index = path.join(ROOT, 'dist', 'index.html');
  test('GET / serves dist/index.html', { skip: !existsSync(index) && 'dist/index.html not built' }, async () => {
    const r = await call('GET', '/');
    assert.equal(r.status, 200);
    assert.match(r.res.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(r.text, readFileSync(index, 'utf8'));
  });
});

describe('streamed body limit', () => {
  // The Worker reads (and drops) the rest of an oversized chunked body before answering 413
  // (worker/src/http/body.rs): answering mid-upload left wrangler dev's local proxy with a stuck
  // connection, and the next request hung. The follow-up request checks exactly that.
  test('body over 1 MiB (chunked, no Content-Length) -> 413, then the Worker still answers', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${worker.url}/api/normalize`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
      headers: { 'content-type': 'application/json' },
    });
    const r = { res, status: res.status, text: await res.text() };
    r.json = JSON.parse(r.text);
    assert.equal(r.status, 413);
    assert.equal(errorOf(r).code, 'too_large');
    const health = await call('GET', '/health');
    assert.equal(health.status, 200);
  });
});

// The embedded CTR models score like the native core: tests/data/ctr_native_scores.json holds
// native scores (f32 batch scores and f64 intervals) of SIMULATED creatives for every shipped model
// file (written by `cargo test --test ctr_native_scores -- --ignored write_fixture`).
describe('CTR scoring with the embedded models (/api/ctr/score)', () => {
  const fixture = JSON.parse(readFileSync(path.join(ROOT, 'tests/data/ctr_native_scores.json'), 'utf8'));
  const shipped = (file) => fixture.models.find((m) => m.file === file);
  const close = (a, b) => Math.abs(a - b) <= 1e-6;

  test('pre-launch creatives: same scores and intervals as native (|diff| <= 1e-6)', async () => {
    const m = shipped('models/ctr-prelaunch-v1.bin');
    const r = await post('/api/ctr/score', { model: 'pre_launch', creatives: m.creatives });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model.fnv1a64, m.fnv1a64);
    assert.equal(r.json.model.layout, m.layout);
    assert.match(r.json.model.trained_on, /SIMULATED/);
    assert.equal(r.json.scores.length, m.scores.length);
    r.json.scores.forEach((s, i) => assert.ok(close(s.ctr, m.scores[i]), `${i}: ${s.ctr} vs ${m.scores[i]}`));
    m.intervals.forEach(([ctr, low, high], i) => {
      const s = r.json.scores[i];
      assert.ok(close(s.ctr, ctr) && close(s.low, low) && close(s.high, high), `${i}`);
    });
  });

  test('in-flight rows: same scores as native', async () => {
    const m = shipped('models/ctr-inflight-v1.bin');
    const rows = [];
    for (let i = 0; i < m.n_rows; i++) rows.push(m.rows.slice(i * m.n_features, (i + 1) * m.n_features));
    const r = await post('/api/ctr/score', { model: 'in_flight', rows });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model.fnv1a64, m.fnv1a64);
    r.json.scores.forEach((s, i) => assert.ok(close(s.ctr, m.scores[i]), `${i}: ${s.ctr} vs ${m.scores[i]}`));
  });

  test('grounded: the npm package model, bit for bit, and bad input named', async () => {
    const cl = await import(path.join(ROOT, 'pkg', 'crosslearn.js'));
    cl.initSync({ module: readFileSync(path.join(ROOT, 'pkg', 'crosslearn_bg.wasm')) });
    const { GroundedCtr } = cl;
    const text = readFileSync(path.join(ROOT, 'models', 'ctr-grounded-v1.json'), 'utf8');
    const model = GroundedCtr.fromJson(text);
    const creatives = [
      { platform: 'meta', niche: 'fitness', hook_type: 'question', cta_style: 'shop_now', visual_tags: ['ugc'], format: 'video', duration_s: 20, posting_hour: 19 },
      { platform: 'tiktok', niche: null, hook_type: 'offer', cta_style: 'none', visual_tags: [], format: 'video', duration_s: null, posting_hour: null },
      { platform: 'google_ads', niche: 'finance', hook_type: 'bold_claim', cta_style: 'learn_more', visual_tags: [], format: 'text', duration_s: null, posting_hour: 9 },
    ];
    const r = await post('/api/ctr/score', { model: 'grounded', creatives });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model.kind, 'grounded');
    assert.match(r.json.model.trained_on, /^REAL: /);
    assert.deepEqual(r.json.model.releases, [], 'nothing published on this Worker');
    creatives.forEach((c, i) => {
      const p = model.predict(c);
      assert.deepEqual(r.json.scores[i], { ctr: p.ctr, low: p.low, high: p.high }, `${i}`);
    });
    model.free();
    const bad = await post('/api/ctr/score', { model: 'grounded', rows: [[0.5]] });
    assert.equal(bad.status, 422);
    assert.equal(errorOf(bad).field, 'rows');
    const nowhere = await post('/api/ctr/score', { model: 'grounded', creatives: [{ ...creatives[0], platform: 'unknown' }] });
    assert.equal(nowhere.status, 422, nowhere.text);
    assert.equal(errorOf(nowhere).field, 'creatives[0].platform');
  });

  test('bad input names the field', async () => {
    const r = await post('/api/ctr/score', { model: 'in_flight', rows: [[0.5]] });
    assert.equal(r.status, 422);
    assert.equal(errorOf(r).field, 'rows[0]');
    const c = await post('/api/ctr/score', {
      model: 'pre_launch',
      creatives: [{ platform: 'meta', hook_type: 'question', cta_style: 'shop_now', visual_tags: [], format: 'video', posting_hour: 24 }],
    });
    assert.equal(c.status, 422);
    assert.equal(errorOf(c).field, 'creatives[0].posting_hour');
  });
});
