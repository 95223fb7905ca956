// Load isolation of the Worker on local workerd (`wrangler dev`): can one account hammering
// ingest delay another account's ingest, or the publication? Not part of the test command; a
// benchmark, reported in docs/worker-edge.md ("Per-account limits").
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node scripts/bench-isolation.mjs
//
// 1. Starts `wrangler dev` with the production per-account limits (ACCOUNT_RATE_LIMIT_PER_MIN 300,
//    burst 100) and the record cap (MAX_RECORDS_PER_ACCOUNT, default 20,000). Every request comes
//    from one local client, so the per-client limit of the authenticated routes is raised out
//    of the way (AUTH_RATE_LIMIT_PER_MIN): this measures the per-account isolation alone.
// 2. Seeds BENCH_ACCOUNTS opted-in accounts (SIMULATED records) through the API.
// 3. Baseline: a quiet account sends one 10-record batch every BENCH_QUIET_MS ms for
//    BENCH_DURATION s; then the publication (POST /api/admin/publish) is timed.
// 4. Under load: the same, while a noisy account hammers ingest with BENCH_CONNECTIONS
//    connections in a closed loop (50-record batches, as fast as the Worker answers).
// Reports the quiet account's latency p50/p99/max and statuses, the noisy account's statuses
// (200 until its burst is spent, then 429; 422 record_cap_exceeded once at its cap) and the
// publication's duration, for both phases. BENCH_OUT writes the results as JSON.

import autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { request, startWorker } from '../tests/e2e/lib/wrangler.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 20);
const QUIET_MS = Number(process.env.BENCH_QUIET_MS ?? 250);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 20);
const CAP = process.env.BENCH_CAP ?? '20000';
// BENCH_ACCOUNT_LIMIT=0 turns the per-account limit off, for the comparison.
const ACCOUNT_LIMIT = process.env.BENCH_ACCOUNT_LIMIT ?? '300';
const OPERATOR = `op_${randomBytes(16).toString('hex')}`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

let n = 0;
function batch(size, niche = 'fitness') {
  return {
    records: Array.from({ length: size }, () => ({
      record_id: `b-${n++}`,
      campaign_id: `c${n % 3}`,
      platform: 'meta',
      niche,
      hook_type: ['question', 'offer', 'pain_point'][n % 3],
      cta_style: 'shop_now',
      format: 'video',
      duration_s: 15 + (n % 10),
      posting_hour: 8 + (n % 12),
      impressions: 20000,
      clicks: 200 + (n % 200),
      conversions: 20,
      spend: 150,
      revenue: 600,
    })),
  };
}

async function account(url, id) {
  const auth = { authorization: `Bearer ${OPERATOR}` };
  const c = await request(`${url}/api/accounts`, { method: 'POST', headers: auth, body: { account_id: id } });
  if (c.status !== 201) throw new Error(`create ${id}: ${c.status} ${c.text}`);
  return c.json.token;
}

/** The quiet account's paced ingest for `seconds`: latencies (ms) and statuses. */
async function quiet(url, token, seconds) {
  const lat = [];
  const statuses = {};
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const t0 = performance.now();
    const r = await request(`${url}/api/accounts/quiet/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: batch(10),
    });
    lat.push(performance.now() - t0);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    await sleep(Math.max(0, QUIET_MS - (performance.now() - t0)));
  }
  lat.sort((a, b) => a - b);
  const f = (x) => Math.round(x * 10) / 10;
  return { requests: lat.length, p50_ms: f(pct(lat, 50)), p99_ms: f(pct(lat, 99)), max_ms: f(lat[lat.length - 1]), statuses };
}

async function publish(url, atMs) {
  const t0 = performance.now();
  const r = await request(`${url}/api/admin/publish`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` }, body: { at_ms: atMs } });
  if (r.status !== 200) throw new Error(`publish: ${r.status} ${r.text}`);
  return { ms: Math.round(performance.now() - t0), released: r.json.released.length, failed: r.json.failed.length, opted_in: r.json.opted_in_accounts };
}

const worker = await startWorker({
  logLevel: 'warn',
  vars: {
    OPERATOR_TOKEN: OPERATOR,
    ACCOUNT_RATE_LIMIT_PER_MIN: ACCOUNT_LIMIT,
    ACCOUNT_RATE_LIMIT_BURST: '100',
    AUTH_RATE_LIMIT_PER_MIN: '1000000',
    AUTH_RATE_LIMIT_BURST: '1000000',
    MAX_RECORDS_PER_ACCOUNT: CAP,
  },
});
try {
  const url = worker.url;
  for (let i = 0; i < ACCOUNTS; i++) {
    const token = await account(url, `seed-${i}`);
    const h = { authorization: `Bearer ${token}` };
    await request(`${url}/api/accounts/seed-${i}/records`, { method: 'POST', headers: h, body: batch(20, i % 2 ? 'beauty' : 'fitness') });
    await request(`${url}/api/accounts/seed-${i}/consent`, { method: 'PUT', headers: h, body: { opted_in: true } });
  }
  const quietToken = await account(url, 'quiet');
  const noisyToken = await account(url, 'noisy');
  const week = 7 * 86_400_000;
  const base = Date.UTC(2026, 0, 1);

  const baseline = await quiet(url, quietToken, DURATION);
  const basePublish = await publish(url, base);

  const noisyStatuses = {};
  const hammer = autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION + 5,
    requests: [{
      method: 'POST',
      path: '/api/accounts/noisy/records',
      headers: { authorization: `Bearer ${noisyToken}`, 'content-type': 'application/json' },
      setupRequest: (r) => ({ ...r, body: JSON.stringify(batch(50)) }),
      onResponse: (status) => { noisyStatuses[status] = (noisyStatuses[status] ?? 0) + 1; },
    }],
  });
  await sleep(1000);
  const loaded = await quiet(url, quietToken, DURATION);
  const loadedPublish = await publish(url, base + week);
  const noisy = await new Promise((resolve) => hammer.on('done', resolve));

  const results = {
    settings: { duration_s: DURATION, quiet_every_ms: QUIET_MS, noisy_connections: CONNECTIONS, seeded_accounts: ACCOUNTS, account_limit: ACCOUNT_LIMIT === '0' ? 'off' : `${ACCOUNT_LIMIT}/min, burst 100`, load_average: os.loadavg().map((x) => Math.round(x * 100) / 100), record_cap: Number(CAP) },
    baseline: { quiet_ingest: baseline, publish: basePublish },
    under_load: {
      quiet_ingest: loaded,
      publish: loadedPublish,
      noisy: { requests: noisy.requests.total, rps: noisy.requests.average, statuses: noisyStatuses, p50_ms: noisy.latency.p50, p99_ms: noisy.latency.p99 },
    },
  };
  console.log(JSON.stringify(results, null, 2));
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(results, null, 2));
} finally {
  await worker.stop();
}
