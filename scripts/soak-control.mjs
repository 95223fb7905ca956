// Soak control (docs/robustness.md, Soak): the same open-loop load and the same per-process RSS
// sampling as scripts/soak.mjs, against a hello-world Worker (20 lines of JS, no wasm, no D1/KV,
// no Redis) under the same local `wrangler dev`. If workerd's RSS grows here as it does under
// the crosslearn Worker, the growth is the local runtime's, not ours.
//
//   node scripts/soak-control.mjs                       # 120 s at 20 req/s, then 60 s idle
//   SOAK_DURATION=30 SOAK_RATE=10 SOAK_IDLE=10 node scripts/soak-control.mjs
//   SOAK_LOG_LEVEL=none node scripts/soak-control.mjs   # wrangler without its per-request log line
//   CONTROL_DELAY_MS=300 node scripts/soak-control.mjs  # each answer 300 ms late (more in flight)
//
// The Worker answers every request with CONTROL_BYTES (default 2,000) bytes of JSON padding, after
// CONTROL_DELAY_MS (default 0) milliseconds.
// Everything runs on 127.0.0.1 in a temp dir; wrangler's process group is killed at the end.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, ROOT } from '../tests/e2e/lib/wrangler.mjs';
import { groupRssKib, slope } from './soak-lib.mjs';

const DURATION_S = Number(process.env.SOAK_DURATION ?? 120);
const RATE = Number(process.env.SOAK_RATE ?? 20);
const IDLE_S = Number(process.env.SOAK_IDLE ?? 60);
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? 'info';
const DELAY_MS = Number(process.env.CONTROL_DELAY_MS ?? 0);
const BYTES = Number(process.env.CONTROL_BYTES ?? 2000);
const SAMPLE_EVERY_S = 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const f = (x) => (Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : 'n/a');

const compat = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8'))?.[1] ?? '2026-04-01';
const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-soak-control-'));
writeFileSync(
  path.join(dir, 'index.js'),
  `const body = JSON.stringify({ ok: true, pad: 'x'.repeat(${BYTES}) });
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === 'POST') await request.text();
    if (${DELAY_MS} > 0) await new Promise((r) => setTimeout(r, ${DELAY_MS}));
    return new Response(body, { headers: { 'content-type': 'application/json', 'x-path': url.pathname } });
  },
};
`,
);
writeFileSync(path.join(dir, 'wrangler.toml'), `name = "soak-control"\nmain = "index.js"\ncompatibility_date = "${compat}"\n`);

const [port, inspectorPort] = [await freePort(), await freePort()];
const child = spawn(
  path.join(ROOT, 'node_modules', '.bin', 'wrangler'),
  ['dev', '--config', path.join(dir, 'wrangler.toml'), '--ip', '127.0.0.1', '--port', String(port),
    '--inspector-port', String(inspectorPort), '--persist-to', path.join(dir, 'state'), '--log-level', LOG_LEVEL],
  { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' } },
);
const stop = () => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);
const url = `http://127.0.0.1:${port}`;
try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('control worker did not start within 60 s');
    await sleep(250);
  }
  // The two workerd of wrangler dev: its proxy on the public port, and the Worker's runtime (the
  // one with --inspector-addr).
  const roles = {};
  try {
    const tree = execFileSync('ps', ['-o', 'pid=,comm=,args=', '-g', String(child.pid)], { encoding: 'utf8' });
    for (const line of tree.trim().split('\n')) {
      const [pid, comm] = line.trim().split(/\s+/);
      if (comm === 'workerd') roles[`workerd[${pid}]`] = line.includes('--inspector-addr') ? 'workerd (Worker runtime)' : 'workerd (wrangler proxy)';
    }
  } catch {
    // ps unavailable: the rows keep their pids
  }
  const samples = [];
  const t0 = Date.now();
  const sample = () => samples.push([(Date.now() - t0) / 1000, groupRssKib(child.pid)]);
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_S * 1000);
  const inflight = new Set();
  let ok = 0;
  let errors = 0;
  const total = Math.round(DURATION_S * RATE);
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / RATE - Date.now();
    if (wait > 0) await sleep(wait);
    // The soak's shapes: 60 % small POST bodies, 40 % GETs.
    const post = i % 5 < 3;
    const p = fetch(`${url}/api/x/${i % 7}`, {
      method: post ? 'POST' : 'GET',
      headers: post ? { 'content-type': 'application/json' } : {},
      body: post ? JSON.stringify({ creatives: [{ n: i, pad: 'y'.repeat(300) }] }) : undefined,
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (r) => {
        await r.arrayBuffer();
        if (r.status === 200) ok++;
        else errors++;
      })
      .catch(() => errors++)
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
  sample();
  const loadSamples = samples.length;
  await sleep(IDLE_S * 1000);
  clearInterval(sampler);
  sample();

  console.log(`Control: hello-world Worker (JS, ${BYTES}-byte JSON padding, ${DELAY_MS} ms delay, no bindings) under local wrangler dev --log-level ${LOG_LEVEL}.`);
  console.log(`Open loop ${RATE} req/s for ${DURATION_S} s: ${ok} 200s, ${errors} errors; then ${IDLE_S} s idle.\n`);
  console.log('| process RSS MB | first | last | max | trend MB/min | after idle |');
  console.log('|---|---|---|---|---|---|');
  const names = [...new Set(samples.flatMap(([, p]) => Object.keys(p)))];
  const rows = {};
  for (const name of [...names, 'workerd (all)']) {
    const val = (procs) =>
      name === 'workerd (all)'
        ? Object.entries(procs).filter(([n]) => n.startsWith('workerd')).reduce((a, [, k]) => a + k, 0) / 1024
        : procs[name] / 1024;
    const load = samples.slice(0, loadSamples).map(([t, p]) => [t / 60, val(p)]).filter(([, y]) => Number.isFinite(y));
    if (load.length === 0) continue;
    const ys = load.map(([, y]) => y);
    const row = { first: ys[0], last: ys[ys.length - 1], max: Math.max(...ys), trend: slope(load.map(([t]) => t), ys), afterIdle: val(samples[samples.length - 1][1]) };
    const label = roles[name] ? `${name} ${roles[name].slice('workerd '.length)}` : name;
    rows[roles[name] ?? name] = row;
    console.log(`| ${label} | ${f(row.first)} | ${f(row.last)} | ${f(row.max)} | ${f(row.trend)} | ${f(row.afterIdle)} |`);
  }
  if (process.env.SOAK_JSON) writeFileSync(process.env.SOAK_JSON, JSON.stringify({ control: true, delayMs: DELAY_MS, bytes: BYTES, logLevel: LOG_LEVEL, rate: RATE, seconds: DURATION_S, ok, errors, series: rows }, null, 1));
  if (errors > 0) process.exitCode = 1;
} finally {
  stop();
}
