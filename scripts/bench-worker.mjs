// Load numbers for the Worker on local workerd (`wrangler dev`), with autocannon.
// Run through scripts/bench-worker.sh (which checks the build); not part of the test command.
//
// 1. Starts `wrangler dev` on a free port with a temp persist dir (tests/e2e/lib/wrangler.mjs),
//    the rate limit off (RATE_LIMIT_PER_MIN=0) and a random operator token.
// 2. Seeds a small SIMULATED network through the API (scripts/seed-demo.mjs) and publishes.
// 3. For each endpoint, a fixed-rate run (open loop: autocannon --overallRate, whose latencies are
//    corrected for coordinated omission) gives the client-side p50/p99 latency, and the
//    `Server-Timing: handler;dur=<ms>` header of every answer gives the handler-time p50/p99.
//    Then a separate closed-loop run with many connections gives the saturation throughput.
//
// Env: BENCH_RATE (req/s, default 50), BENCH_DURATION (s, default 20), BENCH_SAT_DURATION (s,
// default 10), BENCH_CONNECTIONS (saturation, default 32), BENCH_ACCOUNTS (default 40),
// BENCH_OUT (write the results as JSON there), BENCH_SMOKE=1 (a 2 s run of each, for checking
// the script itself).

import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { request, startWorker } from '../tests/e2e/lib/wrangler.mjs';
import { seed } from './seed-demo.mjs';

const smoke = process.env.BENCH_SMOKE === '1';
const RATE = Number(process.env.BENCH_RATE ?? (smoke ? 20 : 50));
const DURATION = Number(process.env.BENCH_DURATION ?? (smoke ? 2 : 20));
const SAT_DURATION = Number(process.env.BENCH_SAT_DURATION ?? (smoke ? 2 : 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? (smoke ? 8 : 40));
const INGEST_BATCH = 10;

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
process.env.OPERATOR_TOKEN = OPERATOR;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function run(opts) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('error', reject);
  });
}

/** One endpoint: a fixed-rate run and a saturation run. */
async function bench(url, { name, method, path, headers = {}, body }) {
  const durations = [];
  const statuses = {};
  const req = {
    method,
    path,
    headers: { 'content-type': 'application/json', ...headers },
    setupRequest: (r) => (body ? { ...r, body: JSON.stringify(body()) } : r),
    onResponse: (status, _body, _ctx, h) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
      const m = /handler;dur=(\d+(?:\.\d+)?)/.exec(h?.['server-timing'] ?? '');
      if (m) durations.push(Number(m[1]));
    },
  };
  // One request first: a scenario whose request is wrong fails here, not as thousands of 4xx.
  const probe = await request(`${url}${path}`, { method, headers, body: body ? body() : undefined });
  if (probe.status >= 300) throw new Error(`${name}: probe answered ${probe.status} ${probe.text.slice(0, 300)}`);
  const fixed = await run({ url, connections: Math.max(8, Math.ceil(RATE / 5)), overallRate: RATE, duration: DURATION, requests: [req] });
  // The saturation run below reuses the callback: keep only the fixed-rate run's samples.
  const handler = durations.splice(0).sort((a, b) => a - b);
  const fixedStatuses = { ...statuses };
  for (const k of Object.keys(statuses)) delete statuses[k];
  const sat = await run({ url, connections: CONNECTIONS, duration: SAT_DURATION, requests: [req] });
  return {
    name,
    rate: RATE,
    sent: fixed.requests.sent,
    achieved_rps: fixed.requests.average,
    p50_ms: fixed.latency.p50,
    p99_ms: fixed.latency.p99,
    handler_p50_ms: percentile(handler, 50),
    handler_p99_ms: percentile(handler, 99),
    handler_samples: handler.length,
    statuses: fixedStatuses,
    errors: fixed.errors + fixed.timeouts,
    saturation_rps: sat.requests.average,
    saturation_p50_ms: sat.latency.p50,
    saturation_p99_ms: sat.latency.p99,
    saturation_non2xx: sat.non2xx,
    saturation_statuses: { ...statuses },
    saturation_errors: sat.errors + sat.timeouts,
  };
}

const worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR, RATE_LIMIT_PER_MIN: '0' } });
try {
  const seeded = await seed({ url: worker.url, accounts: ACCOUNTS, seed: 11, tokenFile: null, publish: true, concurrency: 4, quiet: true });
  const niche = seeded.published?.[0] ?? 'fitness';
  const created = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR}` },
    body: { account_id: 'bench-ingest' },
  });
  if (created.status !== 201) throw new Error(`create bench account: ${created.status} ${created.text}`);
  const token = created.json.token;
  let n = 0;
  const record = () => ({
    record_id: `bench-${n++}`,
    platform: 'meta',
    niche: 'fitness',
    hook_type: 'question',
    cta_style: 'shop_now',
    format: 'video',
    duration_s: 15,
    impressions: 20000,
    clicks: 300,
    spend: 150,
  });
  const scenarios = [
    {
      name: 'POST /api/ctr/score (1 creative)',
      method: 'POST',
      path: '/api/ctr/score',
      body: () => ({ model: 'pre_launch', creatives: [{ platform: 'tiktok', niche: 'fitness', hook_type: 'question', cta_style: 'shop_now', visual_tags: ['fast_cuts', 'text_overlay'], format: 'video', duration_s: 20, posting_hour: 18 }] }),
    },
    { name: `GET /api/cross-learning/niche-wisdom/${niche}`, method: 'GET', path: `/api/cross-learning/niche-wisdom/${niche}` },
    {
      name: `POST /api/accounts/{id}/records (${INGEST_BATCH} new records)`,
      method: 'POST',
      path: '/api/accounts/bench-ingest/records',
      headers: { authorization: `Bearer ${token}` },
      body: () => ({ records: Array.from({ length: INGEST_BATCH }, record) }),
    },
  ];
  const results = [];
  for (const s of scenarios) {
    const r = await bench(worker.url, s);
    results.push(r);
    console.error(`${r.name}: ${JSON.stringify(r)}`);
  }
  const env = {
    label: 'local wrangler dev (workerd), SIMULATED seed data',
    seeded_accounts: seeded.accounts,
    seeded_records: seeded.records,
    published_niches: seeded.published?.length ?? 0,
    cpus: os.cpus().length,
    node: process.version,
    rate: RATE,
    duration_s: DURATION,
    saturation_connections: CONNECTIONS,
    saturation_duration_s: SAT_DURATION,
  };
  const f = (x) => (Number.isFinite(x) ? String(Math.round(x * 10) / 10) : 'n/a');
  console.log(`\nWorker on local workerd (wrangler dev), ${env.cpus} CPUs, ${env.seeded_accounts} SIMULATED accounts / ${env.seeded_records} records seeded.`);
  console.log(`Fixed rate ${RATE} req/s for ${DURATION} s (open loop); saturation: ${CONNECTIONS} connections for ${SAT_DURATION} s.\n`);
  console.log('| endpoint | p50 ms | p99 ms | handler p50 ms | handler p99 ms | saturation req/s | non-2xx |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    const non2xx = Object.entries(r.statuses).filter(([s]) => !s.startsWith('2')).reduce((a, [, c]) => a + c, 0) + r.saturation_non2xx;
    console.log(`| ${r.name} | ${f(r.p50_ms)} | ${f(r.p99_ms)} | ${f(r.handler_p50_ms)} | ${f(r.handler_p99_ms)} | ${f(r.saturation_rps)} | ${non2xx} |`);
  }
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ env, results }, null, 2));
  const bad = results.filter((r) => r.errors > 0 || r.handler_samples === 0 || Object.keys(r.statuses).some((s) => !s.startsWith('2')));
  if (bad.length) {
    console.error(`errors or non-2xx answers in: ${bad.map((r) => r.name).join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  await worker.stop();
}
