// Start the built Worker under `wrangler dev` (local workerd) for end-to-end tests.
//
//   const worker = await startWorker({ vars: { KEY: 'value' } });
//   await fetch(`${worker.url}/health`);
//   await worker.stop();
//
// The Worker must already be built (scripts/build-worker.sh, scripts/build-dist.sh): wrangler.toml
// has no [build] command. Everything stays on 127.0.0.1; local KV/D1 state goes to a fresh temp
// dir (or `persistDir`), so runs never share state. wrangler runs in its own process group, so
// stop() (and the exit hook below, if a test forgets) ends workerd with it.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where wrangler.toml is). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const LOG_TAIL_BYTES = 8 * 1024;

/** Process groups still running, killed if the test process exits without stop(). */
const live = new Set();
let hooked = false;

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const pid of live) killGroup(pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const pid of live) killGroup(pid, 'SIGKILL');
      process.kill(process.pid, signal);
    });
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Start `wrangler dev` and wait until `GET /health` answers 200.
 *
 * @param {object} [options]
 * @param {string} [options.persistDir] local KV/D1 state dir (default: a fresh temp dir, removed by stop())
 * @param {Record<string, string>} [options.vars] `--var KEY:VALUE` pairs
 * @param {number} [options.timeoutMs] how long to wait for /health (default 60 s)
 * @returns {Promise<{url: string, pid: number, port: number, persistDir: string, log: () => string, stop: () => Promise<void>}>}
 */
export async function startWorker({ persistDir, vars = {}, timeoutMs = 60_000 } = {}) {
  const ownDir = !persistDir;
  const dir = persistDir ?? mkdtempSync(path.join(tmpdir(), 'crosslearn-e2e-'));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const args = [
    'dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--inspector-port', String(inspectorPort),
    '--persist-to', dir,
    '--test-scheduled', // exposes /__scheduled to trigger the cron handler
    '--log-level', 'info',
  ];
  for (const [key, value] of Object.entries(vars)) args.push('--var', `${key}:${value}`);

  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true, // own process group: stop() kills wrangler and workerd together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
    },
  });
  const pid = child.pid;
  live.add(pid);
  hookExit();

  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-LOG_TAIL_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(pid);
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (exited === null) {
      killGroup(pid, 'SIGTERM');
      const done = await Promise.race([exit.then(() => true), sleep(5_000).then(() => false)]);
      if (!done) {
        killGroup(pid, 'SIGKILL');
        await exit;
      }
    }
    // workerd may outlive wrangler briefly; make sure the whole group is gone.
    killGroup(pid, 'SIGKILL');
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) {
      await stop();
      throw new Error(
        `wrangler dev exited (${JSON.stringify(exited)}) before /health answered. Log tail:\n${tail}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev: /health did not answer within ${timeoutMs} ms. Log tail:\n${tail}`);
    }
    await sleep(250);
  }

  return { url, pid, port, persistDir: dir, log: () => tail, stop };
}
