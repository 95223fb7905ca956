// Redis vs D1-only benchmark through the Worker on local workerd (wrangler dev) and a private
// redis-server. Run by scripts/bench-redis.sh (which builds the Worker first). SIMULATED data: a
// small deterministic generator below (made-up accounts and records, not real ads).
//
//   node tests/bench/redis.mjs [ACCOUNT_COUNTS...]     # default 1000 10000
//
// 1. Ingest: the same batches (100 records each, 4 in flight) into a Redis-mode Worker and a
//    D1-only Worker; records/s = acknowledged records / wall time.
// 2. Publication: N opted-in accounts x 12 records are written straight into local D1 (SQL file;
//    the API path would take hours on 2 cores). D1-only mode: GET /__scheduled (the cron
//    publication) on a Worker without REDIS_* vars. Redis mode: same data, history cleared,
//    POST /api/admin/redis/rebuild once (reported), then GET /__scheduled. Also the aggregation
//    step alone: GET /api/admin/aggregates?source=d1|redis (its elapsed_ms).
// Nothing here asserts on time; it prints one table.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { startRedis } from '../e2e/lib/redis.mjs';
import { ROOT, applyMigrations, queryD1, request, startWorker } from '../e2e/lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(12).toString('hex')}`;
// A publication that has not answered by then is reported as such (the D1-only cron at 10,000
// accounts never answered on local workerd; see docs/redis.md).
const PUBLICATION_CAP_MS = Number(process.env.PUBLICATION_CAP_MS ?? 300_000);
const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
const ACCOUNTS = counts.length ? counts : [1000, 10000];
const NICHES = ['fitness', 'beauty', 'fashion', 'tech', 'ecommerce', 'food', 'travel', 'finance',
  'education', 'real_estate', 'saas', 'health', 'entertainment', 'home_decor', 'automotive'];
const HOOKS = ['question', 'number_list', 'pain_point', 'curiosity_gap', 'offer', 'social_proof'];
const PLATFORMS = ['meta', 'tiktok', 'google'];

/** Deterministic made-up record number i of account a (SIMULATED). */
function record(a, i) {
  const h = (x) => ((a * 2654435761 + i * 40503 + x * 97) >>> 0) % 1000;
  const impressions = 5000 + h(1) * 30;
  return {
    record_id: `r${i}`,
    account_id: `acct${a}`,
    campaign_id: `c${i % 3}`,
    platform: PLATFORMS[(a + i) % 3],
    niche: NICHES[a % NICHES.length],
    hook_type: HOOKS[h(2) % HOOKS.length],
    cta_style: ['shop_now', 'learn_more', 'sign_up'][h(3) % 3],
    format: ['video', 'image', 'carousel'][h(4) % 3],
    duration_s: 5 + (h(5) % 55),
    posting_hour: h(6) % 24,
    impressions,
    clicks: Math.floor(impressions * (0.005 + (h(7) % 30) / 1000)),
    conversions: h(8) % 40,
    spend: 50 + (h(9) % 200),
    revenue: 40 + (h(10) % 900),
  };
}

const call = (worker, method, route, token = OPERATOR, body) =>
  request(`${worker.url}${route}`, { method, body, headers: { authorization: `Bearer ${token}` } });

/** A request that may take longer than fetch's 300 s headers timeout (node:http, no timeout). */
function slow(worker, method, route) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${worker.url}${route}`, { method, headers: { authorization: `Bearer ${OPERATOR}` } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function ingestBench(worker, label) {
  const accounts = 20;
  const tokens = [];
  for (let a = 0; a < accounts; a++) {
    const c = await call(worker, 'POST', '/api/accounts', OPERATOR, { account_id: `acct${a}` });
    tokens.push(c.json.token);
    await call(worker, 'PUT', `/api/accounts/acct${a}/consent`, c.json.token, { opted_in: true });
  }
  const batches = [];
  for (let b = 0; b < 5; b++) {
    for (let a = 0; a < accounts; a++) {
      batches.push([a, Array.from({ length: 100 }, (_, j) => record(a, b * 100 + j))]);
    }
  }
  let stored = 0;
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const [a, recs] = batches[next++];
      const r = await call(worker, 'POST', `/api/accounts/acct${a}/records`, tokens[a], { records: recs });
      if (r.status !== 200) throw new Error(`${label}: ingest ${r.status} ${r.text}`);
      stored += r.json.stored;
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
  const s = (performance.now() - t0) / 1000;
  return { label, records: stored, seconds: s, rate: stored / s };
}

/** SQL that inserts n opted-in accounts x 12 records, using the stored JSON shape of a record. */
function seedSql(n, template) {
  const esc = (s) => s.replaceAll("'", "''");
  const lines = [];
  const now = '2026-01-01T00:00:00.000Z';
  for (let a = 0; a < n; a++) {
    lines.push(`INSERT INTO accounts (account_id, created_at) VALUES ('acct${a}', '${now}');`);
    lines.push(`INSERT INTO consent (account_id, opted_in, updated_at) VALUES ('acct${a}', 1, '${now}');`);
    const values = [];
    for (let i = 0; i < 12; i++) {
      const r = record(a, i);
      const stored = { ...template, ...r };
      for (const k of Object.keys(stored)) if (!(k in template)) delete stored[k];
      values.push(`('acct${a}', 'r${i}', '${r.platform}', '${r.niche}', '${esc(JSON.stringify(stored))}', '${now}')`);
    }
    lines.push(`INSERT INTO records (account_id, record_id, platform, niche, record_json, ingested_at) VALUES ${values.join(', ')};`);
  }
  return lines.join('\n');
}

async function timed(fn, what = '') {
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  if (what) console.error(`  ${what}: ${ms.toFixed(0)} ms`);
  return [ms, out];
}

/** GET /__scheduled, timed; `null` when it has not answered within `capMs`. */
async function scheduled(worker, capMs = PUBLICATION_CAP_MS) {
  let timer;
  const cap = new Promise((resolve) => (timer = setTimeout(() => resolve(null), capMs)));
  const [ms, res] = await timed(
    () => Promise.race([slow(worker, 'GET', '/__scheduled?cron=17+3+*+*+*'), cap]),
    'publication',
  );
  clearTimeout(timer);
  if (res === null) return null;
  if (res.status !== 200) throw new Error(`__scheduled ${res.status}`);
  // The cron logs failures instead of answering them: check it released every niche.
  const h = await queryD1(worker.persistDir, 'SELECT COUNT(*) AS n FROM release_history');
  if (h[0].n !== 15) throw new Error(`publication wrote ${h[0].n} history rows, expected 15`);
  return ms;
}

const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
function d1File(dir, file) {
  execFileSync(WRANGLER, ['d1', 'execute', 'DB', '--local', '--persist-to', dir, '--file', file, '--yes'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' },
  });
}

const redis = await startRedis();
const redisVars = { OPERATOR_TOKEN: OPERATOR, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), REDIS_TIMEOUT_MS: '2000' };
const rows = [];
try {
  // 1. Ingest.
  let template;
  {
    const [r, d] = [await startWorker({ vars: redisVars }), await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } })];
    try {
      await call(r, 'POST', '/api/admin/redis/rebuild');
      const ir = await ingestBench(r, 'redis');
      console.error(`  ingest redis: ${ir.rate.toFixed(0)} records/s`);
      const id = await ingestBench(d, 'd1');
      rows.push(['ingest (records/s, 100/batch, 4 in flight)', id.rate.toFixed(0), ir.rate.toFixed(0)]);
      const check = await slow(r, 'GET', '/api/admin/redis/check');
      if (!check.json.consistent) throw new Error(`inconsistent after ingest bench: ${check.text}`);
      const sample = await queryD1(d.persistDir, "SELECT record_json FROM records LIMIT 1");
      template = JSON.parse(sample[0].record_json);
    } finally {
      await r.stop();
      await d.stop();
    }
  }
  // 2. Publication.
  for (const n of ACCOUNTS) {
    const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-bench-redis-'));
    try {
      await applyMigrations(dir);
      const file = path.join(dir, 'seed.sql');
      writeFileSync(file, seedSql(n, template));
      const [seedMs] = await timed(async () => d1File(dir, file), `seed ${n} accounts`);
      await redis.command('FLUSHALL');
      const d = await startWorker({ persistDir: dir, vars: { OPERATOR_TOKEN: OPERATOR } });
      let d1Pub, d1Agg;
      try {
        const [, agg] = await timed(() => slow(d, 'GET', '/api/admin/aggregates?source=d1'), 'd1 aggregates');
        if (agg.status !== 200) throw new Error(`aggregates: ${agg.status} ${agg.text}`);
        d1Agg = agg.json.elapsed_ms;
        d1Pub = await scheduled(d);
      } finally {
        await d.stop();
      }
      writeFileSync(file, 'DELETE FROM release_history;');
      d1File(dir, file);
      const r = await startWorker({ persistDir: dir, vars: redisVars });
      let rebuildMs, redisPub, redisAgg, consistent;
      try {
        let rb;
        [rebuildMs, rb] = await timed(() => slow(r, 'POST', '/api/admin/redis/rebuild'), 'rebuild');
        if (rb.status !== 200) throw new Error(`rebuild: ${rb.status} ${rb.text}`);
        const agg = await call(r, 'GET', '/api/admin/aggregates?source=redis');
        if (agg.status !== 200) throw new Error(`aggregates: ${agg.status} ${agg.text}`);
        redisAgg = agg.json.elapsed_ms;
        redisPub = await scheduled(r);
        const check = await slow(r, 'GET', '/api/admin/redis/check');
        consistent = check.json?.consistent;
        if (!consistent) console.error(check.text.slice(0, 2000));
      } finally {
        await r.stop();
      }
      if (!consistent) throw new Error(`redis inconsistent at ${n} accounts`);
      const show = (ms) => (ms === null ? `no answer in ${PUBLICATION_CAP_MS / 1000} s` : ms.toFixed(0));
      rows.push([`publication, ${n} accounts (ms, GET /__scheduled)`, show(d1Pub), show(redisPub)]);
      rows.push([`  aggregation step only, ${n} accounts (ms)`, String(d1Agg), String(redisAgg)]);
      rows.push([`  one-off rebuild of Redis from D1, ${n} accounts (ms)`, '-', rebuildMs.toFixed(0)]);
      rows.push([`  (seeding D1 by SQL file: ${(seedMs / 1000).toFixed(1)} s)`, '', '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await redis.stop();
}
console.log(`\nRedis vs D1-only through the Worker (wrangler dev, local workerd + redis-server 127.0.0.1), SIMULATED data, ${process.env.NPROC ?? ''} cores`);
console.log('| measure | D1 only | Redis |');
console.log('|---|---:|---:|');
for (const [m, a, b] of rows) console.log(`| ${m} | ${a} | ${b} |`);
