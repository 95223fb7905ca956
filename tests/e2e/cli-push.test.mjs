// `crosslearn push` (the native CLI, cli/) against the real Worker under `wrangler dev`: 10,000
// records in batches of 100, the CLI killed (SIGKILL) half-way, then resumed from its state
// file; D1 must then hold every record of the account exactly once (no loss, no duplicate).
// The throughput the CLI reports is printed as a test diagnostic (a measurement, not asserted).
//
//   bash scripts/build-worker.sh && bash scripts/build-dist.sh && node --test tests/e2e/cli-push.test.mjs
//
// The CLI is built here with cargo (debug profile; a no-op when it is up to date). The records
// are made up for the test (a generic CSV, not real data).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { queryD1, ROOT, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const N = 10_000;
// Batches of 100 (the Worker takes up to 500): 100 requests, so the kill lands mid-push even
// when the local Worker ingests thousands of records a second.
const BATCH = 100;

function cliBinary() {
  execFileSync('cargo', ['build', '--quiet', '-p', 'crosslearn-cli'], { cwd: ROOT, stdio: 'inherit' });
  const meta = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
  const bin = path.join(meta.target_directory, 'debug', 'crosslearn');
  assert.ok(existsSync(bin), bin);
  return bin;
}

const HOOKS = ['Why wait?', 'Tired of crowded gyms?', '50% off your first month.', 'Join our 900 members.'];

/** A generic-format CSV of `n` made-up records (ids r0..r{n-1}). */
function writeRecords(file, n) {
  const lines = ['record_id,account_id,campaign_id,platform,date,headline,body,impressions,clicks,spend'];
  for (let i = 0; i < n; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push(`r${i},cli_push,c${i % 7},meta,2024-02-${day},${HOOKS[i % 4]},Unlimited classes at our gym. Sign up today,${1000 + (i % 500)},${10 + (i % 40)},${(5 + (i % 90) / 10).toFixed(2)}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

let worker;
let dir;
let bin;
before(async () => {
  // Build the CLI before the Worker starts: the build blocks this process's event loop (tens of
  // seconds on a cold target), which must not stall a running `wrangler dev` child.
  bin = cliBinary();
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR } });
  dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-cli-push-'));
});
after(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function confirmedBatches(stateFile) {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')).confirmed.length;
  } catch {
    return 0; // not written yet
  }
}

test('push 10,000 records, killed half-way, resumes with no loss and no duplicate', async (t) => {
  const r = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    body: { account_id: 'cli_push' },
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  assert.equal(r.status, 201, r.text);
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${r.json.token}\n`);
  const input = path.join(dir, 'records.csv');
  writeRecords(input, N);
  const stateFile = `${input}.push-state.json`;
  const args = ['push', input, '--url', worker.url, '--account', 'cli_push', '--token-file', tokenFile, '--batch-size', String(BATCH)];

  // First run: killed once at least 30 of the 100 batches are confirmed.
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 120_000;
  while (confirmedBatches(stateFile) < 30) {
    assert.ok(Date.now() < deadline, `no progress: ${err}`);
    assert.equal(child.exitCode, null, `push ended before the kill: ${err}`);
    await new Promise((res) => setTimeout(res, 5));
  }
  child.kill('SIGKILL');
  const end = await exited;
  assert.equal(end.signal, 'SIGKILL');
  const killedAt = confirmedBatches(stateFile);
  assert.ok(killedAt < N / BATCH, `killed at ${killedAt} batches`);

  // Second run: resumes and finishes.
  const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  assert.match(out, /100 batches \(\d+ confirmed earlier, resumed from /);
  assert.match(out, /10000 records received: \d+ stored, \d+ already stored, 0 rejected/);
  const [, stored, already] = out.match(/(\d+) stored, (\d+) already stored/).map(Number);
  assert.equal(stored + already, N);
  assert.ok(already <= BATCH, `at most the batch in flight at the kill is re-sent (${already})`);
  assert.ok(!existsSync(stateFile), 'the state file is removed when done');
  t.diagnostic(out.split('\n').find((l) => l.startsWith('throughput')) ?? 'no throughput line');

  // D1 (the source of truth) holds every record of the account exactly once (read directly, so
  // the check does not depend on the export's paging, tested in accounts.test.mjs).
  const rows = await queryD1(worker.persistDir, "SELECT record_id FROM records WHERE account_id = 'cli_push'");
  const ids = rows.map((x) => x.record_id);
  assert.equal(ids.length, N);
  const have = new Set(ids);
  assert.equal(have.size, N, 'no duplicate');
  for (let i = 0; i < N; i++) assert.ok(have.has(`r${i}`), `r${i} missing`);
});

test('explore --url: briefs the Worker issued, filled in and pushed, are stored as randomised; local ones are not', async () => {
  const r = await request(`${worker.url}/api/accounts`, {
    method: 'POST',
    body: { account_id: 'cli_explore' },
    headers: { authorization: `Bearer ${OPERATOR}` },
  });
  assert.equal(r.status, 201, r.text);
  const tokenFile = path.join(dir, 'explore-token');
  writeFileSync(tokenFile, `${r.json.token}\n`);
  // Fill in results, keep the drawn attributes (the first 12 columns), as an advertiser would.
  const fill = (csv) => {
    const [head, ...rows] = csv.trim().split('\n');
    return [head, ...rows.map((row) => `${row.split(',').slice(0, 12).join(',')},1000,20,5.5`)].join('\n') + '\n';
  };
  const briefs = path.join(dir, 'issued.csv');
  execFileSync(bin, ['explore', '--platform', 'tiktok', '--count', '3', '--formats', 'video', '--account', 'cli_explore', '--url', worker.url, '--token-file', tokenFile, '--out', briefs]);
  const issued = readFileSync(briefs, 'utf8');
  assert.ok(issued.split('\n').slice(1, 4).every((row) => /^brief-[0-9a-f]{32},cli_explore,tiktok,/.test(row)), issued);
  writeFileSync(briefs, fill(issued));
  const local = path.join(dir, 'local.csv');
  execFileSync(bin, ['explore', '--platform', 'tiktok', '--count', '2', '--formats', 'video', '--account', 'cli_explore', '--out', local]);
  writeFileSync(local, fill(readFileSync(local, 'utf8')));
  const push = (file) => {
    try {
      return execFileSync(bin, ['push', file, '--url', worker.url, '--account', 'cli_explore', '--token-file', tokenFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return `${e.stdout}${e.stderr}`;
    }
  };
  assert.match(push(briefs), /3 records received: 3 stored, 0 already stored, 0 rejected/);
  assert.match(push(local), /2 records received: 0 stored, 0 already stored, 2 rejected/);
  const stored = await queryD1(worker.persistDir, `SELECT record_id, record_json FROM records WHERE account_id = 'cli_explore' ORDER BY record_id`);
  assert.equal(stored.length, 3);
  assert.ok(stored.every((row) => row.record_id.startsWith('brief-') && JSON.parse(row.record_json).assignment === 'randomised'));
});
