// Soak: a mixed workload at a fixed open-loop rate against local workerd (`wrangler dev`) with a
// real redis-server as the aggregate store. Run through scripts/soak.sh (which checks the build).
//
// 1. Starts redis-server on a free port and `wrangler dev` pointing at it (REDIS_HOST/PORT), the
//    rate limit ON at its documented defaults (so 429s are real and counted separately).
// 2. Seeds a small SIMULATED network through the API and publishes (scripts/seed-demo.mjs).
// 3. For SOAK_DURATION seconds (default 300) sends SOAK_RATE requests/s (default 20), open loop
//    (a request is started on schedule whether or not earlier ones finished), mixed:
//    40 % POST /api/ctr/score, 30 % GET niche-wisdom, 20 % POST records (ingest, new records),
//    10 % GET dashboard. Every request has a 10 s client timeout. SOAK_MIX=score,ingest keeps
//    only the named endpoints (their weights renormalized): the per-workload bisection.
// 4. Every 10 s samples, separately: the RSS of each process in wrangler's process group (the
//    wrangler node process, workerd), the Worker's wasm linear memory (operator route
//    GET /api/admin/runtime) and, with SOAK_V8=1, the isolate's V8 heap (used/total, through
//    wrangler's inspector: Runtime.getHeapUsage; attaching a debugger perturbs the run, so off by
//    default). Then keeps sampling for SOAK_IDLE seconds (default 60) with no load, to see what is
//    given back.
// Prints per-endpoint counts, errors (anything but 2xx and the documented 429), 429s, latency
// p50/p95/p99/max, each series and its least-squares trend (MB per minute) under load, and its
// value after the idle phase; exits non-zero on any error. At the end, checks Redis against D1
// (GET /api/admin/redis/check after a sync). SOAK_LOG_LEVEL sets wrangler's --log-level (default
// info, one log line per request; `none` for the quiet comparison). SOAK_JSON=<file> also writes
// the memory summary as JSON (scripts/soak-bisect.sh tabulates several runs).

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request, startWorker } from '../tests/e2e/lib/wrangler.mjs';
import { startRedis } from '../tests/e2e/lib/redis.mjs';
import { seed } from './seed-demo.mjs';
import { groupRssKib, slope } from './soak-lib.mjs';

const DURATION_S = Number(process.env.SOAK_DURATION ?? 300);
const RATE = Number(process.env.SOAK_RATE ?? 20);
const ACCOUNTS = Number(process.env.SOAK_ACCOUNTS ?? 40);
const RATE_LIMIT = Number(process.env.SOAK_RATE_LIMIT_PER_MIN ?? 6000);
const IDLE_S = Number(process.env.SOAK_IDLE ?? 60);
const MIX = (process.env.SOAK_MIX ?? '').split(',').map((x) => x.trim()).filter(Boolean);
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? 'info';
const V8 = process.env.SOAK_V8 === '1';
const SAMPLE_EVERY_S = 10;
const TIMEOUT_MS = 10_000;

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
process.env.OPERATOR_TOKEN = OPERATOR;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * A CDP session on the Worker's isolate through wrangler's inspector proxy, for
 * Runtime.getHeapUsage. Resolves to null when the inspector cannot be reached.
 */
async function openInspector(port) {
  try {
    const { WebSocket } = await import('ws');
    const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(5_000) });
    const targets = await res.json();
    const target = targets.find((t) => t.webSocketDebuggerUrl) ?? null;
    if (!target) return null;
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let id = 0;
    const pending = new Map();
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.id !== undefined && pending.has(msg.id)) {
        pending.get(msg.id)(msg);
        pending.delete(msg.id);
      }
    });
    const call = (method, params = {}) =>
      new Promise((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        ws.send(JSON.stringify({ id: n, method, params }));
        setTimeout(() => pending.delete(n) && resolve({ error: 'timeout' }), 5_000);
      });
    return {
      target: target.title ?? target.url ?? target.id,
      /** `{usedSize, totalSize}` in bytes, or null. */
      heap: async () => (await call('Runtime.getHeapUsage')).result ?? null,
      close: () => ws.close(),
    };
  } catch (e) {
    console.error(`inspector not reachable on ${port}: ${e.message ?? e}`);
    return null;
  }
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
  logLevel: LOG_LEVEL,
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
  const allMix = [
    [0.4, 'score', () => ({ method: 'POST', path: '/api/ctr/score', body: { model: 'pre_launch', creatives: [{ platform: 'tiktok', niche, hook_type: 'question', cta_style: 'shop_now', visual_tags: ['fast_cuts'], format: 'video', duration_s: 20, posting_hour: 18 }] } })],
    [0.3, 'niche-wisdom', () => ({ method: 'GET', path: `/api/cross-learning/niche-wisdom/${niche}` })],
    [0.2, 'ingest', () => ({ method: 'POST', path: '/api/accounts/soak-1/records', headers: auth, body: { records: [record(), record()] } })],
    [0.1, 'dashboard', () => ({ method: 'GET', path: '/api/cross-learning/dashboard/soak-1', headers: auth })],
  ];
  const unknown = MIX.filter((m) => !allMix.some(([, name]) => name === m));
  if (unknown.length > 0) throw new Error(`SOAK_MIX: unknown endpoint(s) ${unknown.join(', ')}; known: ${allMix.map(([, n]) => n).join(', ')}`);
  const kept = MIX.length === 0 ? allMix : allMix.filter(([, name]) => MIX.includes(name));
  const weight = kept.reduce((a, [w]) => a + w, 0);
  const mix = kept.map(([w, name, make]) => [w / weight, name, make]);
  const stats = Object.fromEntries(mix.map(([, name]) => [name, { sent: 0, ok: 0, limited: 0, errors: 0, lat: [], errorSamples: [] }]));
  const pick = (u) => {
    let acc = 0;
    for (const [w, name, make] of mix) {
      acc += w;
      if (u < acc) return [name, make];
    }
    return [mix[0][1], mix[0][2]];
  };

  // Which process is which (the legend of the per-process series). wrangler dev runs two workerd:
  // its proxy on the public port (no inspector), and the runtime of our Worker (with the D1/KV
  // simulators and assets), the one started with --inspector-addr.
  const roles = {};
  try {
    const tree = execFileSync('ps', ['-o', 'pid=,ppid=,comm=,args=', '-g', String(worker.pid)], { encoding: 'utf8' });
    console.log(`Process group of wrangler (pid ${worker.pid}):`);
    for (const line of tree.trim().split('\n')) {
      const [pid, , comm] = line.trim().split(/\s+/);
      if (comm === 'ps') continue;
      if (comm === 'workerd') roles[`workerd[${pid}]`] = line.includes('--inspector-addr') ? 'workerd (Worker runtime)' : 'workerd (wrangler proxy)';
      console.log(`  ${line.trim().replace(/(OPERATOR_TOKEN|REDIS_PASSWORD):\S+/g, '$1:<redacted>').slice(0, 400)}`);
    }
  } catch {
    // ps unavailable: the series keep their pids
  }
  // Samples: [seconds since t0, {process: KiB}, wasm bytes | NaN, V8 {usedSize, totalSize} | null].
  const opHeaders = { authorization: `Bearer ${OPERATOR}` };
  const inspector = V8 ? await openInspector(worker.inspectorPort) : null;
  const samples = [];
  const t0 = Date.now();
  const sample = async () => {
    const t = (Date.now() - t0) / 1000;
    const procs = groupRssKib(worker.pid);
    const runtime = await request(`${worker.url}/api/admin/runtime`, { headers: opHeaders, signal: AbortSignal.timeout(TIMEOUT_MS) }).catch(() => null);
    const wasm = runtime?.status === 200 ? Number(runtime.json?.wasm_memory_bytes) : NaN;
    const heap = inspector ? await inspector.heap().catch(() => null) : null;
    samples.push([t, procs, wasm, heap]);
  };
  let sampling = sample();
  const sampler = setInterval(() => {
    sampling = sampling.then(sample);
  }, SAMPLE_EVERY_S * 1000);
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
  const elapsed = (Date.now() - t0) / 1000;
  await sampling;
  await sample();
  const loadSamples = samples.length; // the samples taken under load (and the one right after)
  await sleep(IDLE_S * 1000);
  clearInterval(sampler);
  await sampling;
  await sample();
  inspector?.close();

  // Consistency after the soak: drain the outbox, then Redis vs a fresh D1 aggregation.
  const sync = await request(`${worker.url}/api/admin/redis/sync`, { method: 'POST', headers: opHeaders });
  const check = await request(`${worker.url}/api/admin/redis/check`, { headers: opHeaders });

  const f = (x) => (Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : 'n/a');
  console.log(`SIMULATED seed data (${seeded.accounts} accounts, ${seeded.records} records); local wrangler dev + redis-server.`);
  console.log(`Open loop ${RATE} req/s for ${f(elapsed)} s (target ${DURATION_S} s); rate limit on (${RATE_LIMIT}/min, burst 120); mix ${mix.map(([w, n]) => `${n} ${Math.round(w * 100)} %`).join(', ')}; wrangler --log-level ${LOG_LEVEL}.\n`);
  console.log('| endpoint | sent | 2xx | 429 | errors | p50 ms | p95 ms | p99 ms | max ms |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  let errors = 0;
  for (const [name, s] of Object.entries(stats)) {
    const lat = s.lat.sort((a, b) => a - b);
    errors += s.errors;
    console.log(`| ${name} | ${s.sent} | ${s.ok} | ${s.limited} | ${s.errors} | ${f(percentile(lat, 50))} | ${f(percentile(lat, 95))} | ${f(percentile(lat, 99))} | ${f(lat[lat.length - 1])} |`);
    for (const e of s.errorSamples) console.log(`  error sample (${name}): ${e}`);
  }
  // Each series under load: first / last / max, least-squares trend; then after the idle phase.
  const series = new Map();
  const add = (name, t, mb) => {
    if (!Number.isFinite(mb)) return;
    if (!series.has(name)) series.set(name, []);
    series.get(name).push([t, mb]);
  };
  samples.forEach(([t, procs, wasm, heap], i) => {
    const phase = i < loadSamples ? 'load' : 'idle';
    const byComm = {};
    for (const [name, kib] of Object.entries(procs)) {
      add(`${phase}:RSS ${name}`, t, kib / 1024);
      if (roles[name]) add(`${phase}:RSS ${roles[name]}`, t, kib / 1024);
      const comm = name.slice(0, name.indexOf('['));
      byComm[comm] = (byComm[comm] ?? 0) + kib;
    }
    for (const comm of ['workerd', 'node']) add(`${phase}:RSS ${comm} (all)`, t, byComm[comm] > 0 ? byComm[comm] / 1024 : NaN);
    add(`${phase}:wasm linear memory`, t, wasm / 2 ** 20);
    if (heap) {
      add(`${phase}:V8 heap used`, t, heap.usedSize / 2 ** 20);
      add(`${phase}:V8 heap total`, t, heap.totalSize / 2 ** 20);
    }
  });
  console.log(`\nMemory (MB) sampled every ${SAMPLE_EVERY_S} s under load, trend = least-squares MB/min; then after ${IDLE_S} s idle:`);
  console.log('| series | first | last | max | trend MB/min | after idle |');
  console.log('|---|---|---|---|---|---|');
  const summary = {};
  for (const [key, pts] of series) {
    if (!key.startsWith('load:')) continue;
    const name = key.slice('load:'.length);
    const ys = pts.map(([, y]) => y);
    const idle = series.get(`idle:${name}`);
    const row = {
      first: ys[0],
      last: ys[ys.length - 1],
      max: Math.max(...ys),
      trend: slope(pts.map(([t]) => t / 60), ys),
      afterIdle: idle ? idle[idle.length - 1][1] : NaN,
    };
    summary[name] = row;
    console.log(`| ${name} | ${f(row.first)} | ${f(row.last)} | ${f(row.max)} | ${f(row.trend)} | ${f(row.afterIdle)} |`);
  }
  const workerd = series.get('load:RSS workerd (all)') ?? [];
  console.log(`\nworkerd RSS every ${SAMPLE_EVERY_S} s (MB): ${workerd.map(([, y]) => f(y)).join(' ')}`);
  const wasm = series.get('load:wasm linear memory') ?? [];
  console.log(`wasm linear memory every ${SAMPLE_EVERY_S} s (MB): ${wasm.map(([, y]) => f(y)).join(' ') || 'n/a (GET /api/admin/runtime unanswered)'}`);
  if (V8) {
    const used = series.get('load:V8 heap used') ?? [];
    console.log(`V8 heap used every ${SAMPLE_EVERY_S} s (MB): ${used.map(([, y]) => f(y)).join(' ') || 'n/a (inspector unreachable)'}`);
  }
  if (process.env.SOAK_JSON) {
    const requests = Object.values(stats).reduce((a, st) => a + st.sent, 0);
    const errs = Object.values(stats).reduce((a, st) => a + st.errors, 0);
    writeFileSync(process.env.SOAK_JSON, JSON.stringify({ mix: MIX.length ? MIX : ['all'], logLevel: LOG_LEVEL, v8: V8, rate: RATE, seconds: elapsed, idle: IDLE_S, requests, errors: errs, series: summary }, null, 1));
  }
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
