// Soak: a mixed workload at a fixed open-loop rate against local workerd (`wrangler dev`) with a
// real redis-server as the aggregate store. Run through scripts/soak.sh (which checks the build).
//
// 1. Starts redis-server on a free port and `wrangler dev` pointing at it (REDIS_HOST/PORT), the
//    rate limit ON at its documented defaults (so 429s are real and counted separately).
// 2. Seeds a small SIMULATED network through the API and publishes (scripts/seed-demo.mjs).
// 3. For SOAK_DURATION seconds (default 300) sends SOAK_RATE requests/s (default 20), open loop
//    (a request is started on schedule whether or not earlier ones finished), mixed:
//    40 % POST /api/ctr/score, 30 % GET niche-wisdom, 20 % POST records (ingest, new records),
//    10 % GET dashboard. Every request has a 10 s client timeout.
// 4. Samples workerd's RSS every 10 s (the workerd processes in wrangler's process group).
// Prints per-endpoint counts, errors (anything but 2xx and the documented 429), 429s, latency
// p50/p95/p99/max, the RSS series and its least-squares trend (MB per minute); exits non-zero on
// any error. At the end, checks Redis against D1 (GET /api/admin/redis/check after a sync).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request, startWorker } from '../tests/e2e/lib/wrangler.mjs';
import { startRedis } from '../tests/e2e/lib/redis.mjs';
import { seed } from './seed-demo.mjs';

const DURATION_S = Number(process.env.SOAK_DURATION ?? 300);
const RATE = Number(process.env.SOAK_RATE ?? 20);
const ACCOUNTS = Number(process.env.SOAK_ACCOUNTS ?? 40);
const RATE_LIMIT = Number(process.env.SOAK_RATE_LIMIT_PER_MIN ?? 6000);
const SAMPLE_EVERY_S = 10;
const TIMEOUT_MS = 10_000;

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
process.env.OPERATOR_TOKEN = OPERATOR;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Total RSS (KiB) of the workerd processes in process group `pgid`. */
function workerdRssKib(pgid) {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'rss=,comm=', '-g', String(pgid)], { encoding: 'utf8' });
  } catch {
    return NaN;
  }
  let total = 0;
  for (const line of out.trim().split('\n')) {
    const [rss, comm] = line.trim().split(/\s+/);
    if (comm && comm.startsWith('workerd')) total += Number(rss);
  }
  return total;
}

/** Least-squares slope of ys over xs. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const redis = await startRedis();
const worker = await startWorker({
  vars: {
    OPERATOR_TOKEN: OPERATOR,
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(redis.port),
    REDIS_TLS: 'off',
    // The limiter stays on (its code runs on every public request); a 429 is an expected answer,
    // counted separately. The default 600/min per client would refuse most of one client's
    // 20 req/s, so the soak raises it (SOAK_RATE_LIMIT_PER_MIN).
    RATE_LIMIT_PER_MIN: String(RATE_LIMIT),
    RATE_LIMIT_BURST: '120',
  },
});
try {
  const seeded = await seed({ url: worker.url, accounts: ACCOUNTS, seed: 13, tokenFile: null, publish: true, concurrency: 4, quiet: true });
  const niche = seeded.published?.[0] ?? 'fitness';
  const created = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR}` },
    body: { account_id: 'soak-1' },
  });
  if (created.status !== 201) throw new Error(`create soak account: ${created.status} ${created.text}`);
  const auth = { authorization: `Bearer ${created.json.token}` };
  let n = 0;
  const record = () => ({
    record_id: `soak-${n++}`,
    campaign_id: `c${n % 3}`,
    platform: 'meta',
    niche,
    hook_type: 'question',
    cta_style: 'shop_now',
    format: 'video',
    duration_s: 15,
    posting_hour: 18,
    impressions: 20000,
    clicks: 300 + (n % 50),
    spend: 150,
  });
  const mix = [
    [0.4, 'score', () => ({ method: 'POST', path: '/api/ctr/score', body: { model: 'pre_launch', creatives: [{ platform: 'tiktok', niche, hook_type: 'question', cta_style: 'shop_now', visual_tags: ['fast_cuts'], format: 'video', duration_s: 20, posting_hour: 18 }] } })],
    [0.3, 'niche-wisdom', () => ({ method: 'GET', path: `/api/cross-learning/niche-wisdom/${niche}` })],
    [0.2, 'ingest', () => ({ method: 'POST', path: '/api/accounts/soak-1/records', headers: auth, body: { records: [record(), record()] } })],
    [0.1, 'dashboard', () => ({ method: 'GET', path: '/api/cross-learning/dashboard/soak-1', headers: auth })],
  ];
  const stats = Object.fromEntries(mix.map(([, name]) => [name, { sent: 0, ok: 0, limited: 0, errors: 0, lat: [], errorSamples: [] }]));
  const pick = (u) => {
    let acc = 0;
    for (const [w, name, make] of mix) {
      acc += w;
      if (u < acc) return [name, make];
    }
    return [mix[0][1], mix[0][2]];
  };

  const rss = [];
  const t0 = Date.now();
  const sampler = setInterval(() => rss.push([(Date.now() - t0) / 1000, workerdRssKib(worker.pid)]), SAMPLE_EVERY_S * 1000);
  rss.push([0, workerdRssKib(worker.pid)]);
  const inflight = new Set();
  const total = Math.round(DURATION_S * RATE);
  let u = 0.5;
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    u = (u + 0.6180339887498949) % 1; // a fixed low-discrepancy sequence: the same mix every run
    const [name, make] = pick(u);
    const { method, path, headers = {}, body } = make();
    const s = stats[name];
    s.sent++;
    const started = performance.now();
    const p = request(`${worker.url}${path}`, { method, headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) })
      .then((r) => {
        s.lat.push(performance.now() - started);
        if (r.status >= 200 && r.status < 300) s.ok++;
        else if (r.status === 429) s.limited++;
        else {
          s.errors++;
          if (s.errorSamples.length < 3) s.errorSamples.push(`${r.status} ${r.text.slice(0, 200)}`);
        }
      })
      .catch((e) => {
        s.errors++;
        if (s.errorSamples.length < 3) s.errorSamples.push(String(e));
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  clearInterval(sampler);
  rss.push([(Date.now() - t0) / 1000, workerdRssKib(worker.pid)]);
  const elapsed = (Date.now() - t0) / 1000;

  // Consistency after the soak: drain the outbox, then Redis vs a fresh D1 aggregation.
  const opHeaders = { authorization: `Bearer ${OPERATOR}` };
  const sync = await request(`${worker.url}/api/admin/redis/sync`, { method: 'POST', headers: opHeaders });
  const check = await request(`${worker.url}/api/admin/redis/check`, { headers: opHeaders });

  const f = (x) => (Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : 'n/a');
  console.log(`SIMULATED seed data (${seeded.accounts} accounts, ${seeded.records} records); local wrangler dev + redis-server.`);
  console.log(`Open loop ${RATE} req/s for ${f(elapsed)} s (target ${DURATION_S} s); rate limit on (${RATE_LIMIT}/min, burst 120).\n`);
  console.log('| endpoint | sent | 2xx | 429 | errors | p50 ms | p95 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  let errors = 0;
  for (const [name, s] of Object.entries(stats)) {
    const lat = s.lat.sort((a, b) => a - b);
    errors += s.errors;
    console.log(`| ${name} | ${s.sent} | ${s.ok} | ${s.limited} | ${s.errors} | ${f(percentile(lat, 50))} | ${f(percentile(lat, 95))} | ${f(percentile(lat, 99))} | ${f(lat[lat.length - 1])} |`);
    for (const e of s.errorSamples) console.log(`  error sample (${name}): ${e}`);
  }
  const xs = rss.map(([t]) => t / 60);
  const ys = rss.map(([, kib]) => kib / 1024);
  console.log(`\nworkerd RSS every ${SAMPLE_EVERY_S} s (MB): ${ys.map((y) => f(y)).join(' ')}`);
  console.log(`RSS first / last / max: ${f(ys[0])} / ${f(ys[ys.length - 1])} / ${f(Math.max(...ys))} MB; least-squares trend ${f(slope(xs, ys))} MB/min`);
  console.log(`After the soak: redis sync ${sync.status}, check ${check.status} consistent=${check.json?.consistent}`);
  if (errors > 0) {
    console.error(`${errors} errors (non-2xx other than 429, or no answer)`);
    process.exitCode = 1;
  }
  if (check.status !== 200 || check.json?.consistent !== true) {
    console.error(`Redis vs D1 after the soak: ${check.status} ${check.text.slice(0, 500)}`);
    process.exitCode = 1;
  }
} finally {
  await worker.stop();
  await redis.stop();
}
