// Worker CPU time of one 500-row CSV upload (`POST /api/accounts/{id}/records`, text/csv), on
// the local runtime (`wrangler dev`: workerd with the built Worker, local D1). Not part of the
// test command; numbers and method in docs/performance.md ("CSV upload: Worker CPU time").
//
//   bash scripts/build-worker.sh && node scripts/bench-upload-cpu.mjs      # BENCH_RUNS=30 per input
//
// Inputs: the first 500 data rows of the real Facebook export (../shared/data, beside the
// repository) and a generated 500-row generic CSV (headline and body copy on every row). Every
// upload goes to a fresh account, so all 500 rows are imported, validated and stored (the
// expensive path; a re-upload stores nothing new).
//
// Method: V8's sampling CPU profiler on the Worker's own isolate, through wrangler's inspector
// (the Chrome DevTools Protocol, `Profiler.start`/`stop` around each request, 50 µs sampling
// interval). V8 attributes every sample to the function on top of the isolate's stack; the
// Worker's CPU time for the request is the time of the samples in JavaScript and WebAssembly
// functions plus `(garbage collector)`. Samples attributed to `(program)` (the runtime's native
// code while the isolate is entered, e.g. copying the body in and the D1 calls out, and
// possibly time the isolate's thread spends on other isolates) and `(idle)` are reported
// separately: the first as an upper bound of what Cloudflare could also count, the second not
// CPU. As a cross-check that does not depend on the profiler, the CPU time (utime + stime from
// /proc) of the whole workerd process over the request is reported too: it also includes the
// local D1 simulator's SQLite work and the HTTP proxying, which a deployed Worker's CPU time
// does not, so it is an upper bound. The profiler adds overhead of its own (the numbers are
// slightly high). Everything runs on this machine's CPU, not Cloudflare's.

import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { request, startWorker, ROOT } from '../tests/e2e/lib/wrangler.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const ROWS = 500;
const OPERATOR = `op_${randomBytes(16).toString('hex')}`;

/** The text up to the end of the `n`-th data row (a CSV record may span lines inside quotes). */
function firstRows(bytes, n) {
  let quoted = false;
  let records = -1; // the header is record 0
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x22) quoted = !quoted;
    else if (b === 0x0a && !quoted && ++records === n) return bytes.subarray(0, i + 1);
  }
  throw new Error(`fewer than ${n} data rows`);
}

/** `account_id` is filled per upload (a generic row naming another account is rejected). */
function genericCsv(n) {
  const hooks = ['Tired of slow mornings?', 'Only today: 30% off', 'Meet the new trail shoe', 'Why 9 in 10 cooks switch'];
  const bodies = ['Shop now and get free shipping on every order.', 'Learn more about our plans.', 'Sign up in two minutes, cancel anytime.', 'Try it free for 14 days.'];
  let csv = 'record_id,account_id,platform,impressions,clicks,spend,date,headline,body,conversions\n';
  for (let i = 0; i < n; i++) {
    const platform = ['meta', 'tiktok', 'google_ads'][i % 3];
    csv += `gen-${i},ACCOUNT,${platform},${5000 + 37 * i},${20 + (i % 90)},${(12.5 + i / 7).toFixed(2)},2024-0${1 + (i % 9)}-1${i % 10},"${hooks[i % 4]}","${bodies[(i >> 2) % 4]}",${i % 7}\n`;
  }
  return csv;
}

/** CDP session on the Worker's isolate through wrangler's inspector. */
async function openInspector(port) {
  const { WebSocket } = await import('ws');
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl);
  if (!target) throw new Error(`no inspector target on ${port}: ${JSON.stringify(targets)}`);
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
    new Promise((resolve, reject) => {
      const n = ++id;
      pending.set(n, (msg) => (msg.error ? reject(new Error(`${method}: ${JSON.stringify(msg.error)}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  return { target: target.title ?? target.url, call, close: () => ws.close() };
}

/** The `n` functions with the most self time (ms) in a profile. */
function top(profile, n) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x.callFrame.functionName || '(anonymous)']));
  const self = new Map();
  const gaps = [...profile.timeDeltas].sort((a, b) => a - b);
  const cap = 3 * (gaps[Math.floor(gaps.length / 2)] ?? 0);
  profile.samples.forEach((node, i) => {
    const name = byId.get(node);
    self.set(name, (self.get(name) ?? 0) + Math.min(profile.timeDeltas[i] ?? 0, cap) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('; ');
}

/**
 * Sample time (ms) by category: code (JS + wasm), gc, program, idle. A sample's time is the
 * gap since the previous sample, capped at 3 × the profile's median gap: V8 takes no samples
 * while the isolate is not in use (waiting on D1, between requests), so the first sample after
 * such a pause would otherwise carry the whole pause.
 */
function classify(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  const gaps = [...profile.timeDeltas].sort((a, b) => a - b);
  const cap = 3 * (gaps[Math.floor(gaps.length / 2)] ?? 0);
  const t = { code: 0, gc: 0, program: 0, idle: 0, samples: profile.samples.length, cap_us: cap };
  profile.samples.forEach((node, i) => {
    const name = byId.get(node);
    const ms = Math.min(profile.timeDeltas[i] ?? 0, cap) / 1000;
    if (name === '(idle)') t.idle += ms;
    else if (name === '(program)' || name === '(root)') t.program += ms;
    else if (name === '(garbage collector)') t.gc += ms;
    else t.code += ms;
  });
  return t;
}

/** CPU time (ms, ns precision) of every thread of the given processes: /proc/PID/task/TID/schedstat. */
function workerdCpuMs(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tasks) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // gone
      }
    }
  }
  return ns / 1e6;
}

function workerdPids(groupPid) {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (comm === 'workerd' && pgrp === groupPid) pids.push(Number(d));
    } catch {
      // gone
    }
  }
  return pids;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const f = (x) => x.toFixed(1);

const fb = firstRows(readFileSync(path.resolve(ROOT, '../shared/data/src_ads_creative_facebook_all_data.csv')), ROWS);
const inputs = [
  ['Facebook export, first 500 rows', fb],
  ['generic CSV, 500 rows', genericCsv(ROWS)],
];

const worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR, MAX_RECORDS_PER_ACCOUNT: '1000000' }, logLevel: 'none', inspector: true });
let failed = false;
try {
  const inspector = await openInspector(worker.inspectorPort);
  await inspector.call('Profiler.enable');
  await inspector.call('Profiler.setSamplingInterval', { interval: 50 });
  const pids = workerdPids(worker.pid);
  console.log(`inspector target: ${inspector.target}; workerd pids: ${pids.join(', ')}; ${RUNS} runs per input (+2 warm-up)`);
  // An idle profile: what the profiler reports with no request running.
  await inspector.call('Profiler.start');
  await new Promise((r) => setTimeout(r, 500));
  const idle = classify((await inspector.call('Profiler.stop')).profile);
  console.log(`idle 500 ms: ${idle.samples} samples; code ${f(idle.code)} ms, gc ${f(idle.gc)} ms, (program) ${f(idle.program)} ms, (idle) ${f(idle.idle)} ms`);

  let n = 0;
  for (const [name, body] of inputs) {
    const rows = { cpu: [], program: [], proc: [], wall: [] };
    for (let run = 0; run < RUNS + 2; run++) {
      const account = `bench-${n++}`;
      const created = await request(`${worker.url}/api/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR}` },
        body: { account_id: account },
      });
      if (created.status !== 201) throw new Error(created.text);
      await inspector.call('Profiler.start');
      const cpu0 = workerdCpuMs(pids);
      const t0 = performance.now();
      const payload = typeof body === 'string' ? Buffer.from(body.replaceAll(',ACCOUNT,', `,${account},`)) : body;
      const res = await fetch(`${worker.url}/api/accounts/${account}/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.json.token}`, 'content-type': 'text/csv' },
        body: payload,
      });
      const answer = await res.json();
      const wall = performance.now() - t0;
      const cpu1 = workerdCpuMs(pids);
      const { profile } = await inspector.call('Profiler.stop');
      const t = classify(profile);
      if (process.env.BENCH_TOP && run === RUNS + 1) console.log(`${name}, hottest (self ms): ${top(profile, Number(process.env.BENCH_TOP))}`);
      if (res.status !== 200 || answer.received !== ROWS || answer.stored !== ROWS) {
        throw new Error(`${name}: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
      }
      if (run === 0) console.log(`${name}: ${payload.length} bytes, received ${answer.received}, stored ${answer.stored}, rejected ${answer.rejected}; ${t.samples} samples, gap cap ${f(t.cap_us)} µs`);
      if (run < 2) continue; // warm-up: the first requests compile and instantiate
      rows.cpu.push(t.code + t.gc);
      rows.program.push(t.program);
      rows.proc.push(cpu1 - cpu0);
      rows.wall.push(wall);
    }
    console.log(
      `${name}: Worker CPU (JS + wasm + GC) p50 ${f(pct(rows.cpu, 50))} ms, p95 ${f(pct(rows.cpu, 95))} ms; ` +
        `(program) p50 ${f(pct(rows.program, 50))} ms, p95 ${f(pct(rows.program, 95))} ms; ` +
        `whole workerd process (incl. local D1) p50 ${f(pct(rows.proc, 50))} ms, p95 ${f(pct(rows.proc, 95))} ms; ` +
        `wall p50 ${f(pct(rows.wall, 50))} ms, p95 ${f(pct(rows.wall, 95))} ms`,
    );
  }
  inspector.close();
} catch (e) {
  failed = true;
  console.error(e);
  console.error(worker.log());
} finally {
  await worker.stop();
}
process.exit(failed ? 1 : 0);
