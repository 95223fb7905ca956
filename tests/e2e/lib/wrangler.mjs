// Start the built Worker under `wrangler dev` (local workerd) for end-to-end tests.
//
//   const worker = await startWorker({ vars: { KEY: 'value' } });
//   await fetch(`${worker.url}/health`);
//   await worker.stop();
//
// The Worker must already be built (scripts/build-worker.sh, scripts/build-dist.sh): wrangler.toml
// has no [build] command. Everything stays on 127.0.0.1; local KV/D1 state goes to a fresh temp
// dir (or `persistDir`), so runs never share state. The D1 migrations (worker/migrations) are
// applied to that same dir with `wrangler d1 migrations apply DB --local` before `wrangler dev`, and
// the model files the Worker reads from KV (binding MODELS: the niche classifier) are seeded there
// by scripts/seed-models.sh (`seedModels: false` skips it: tests/e2e/models-kv.test.mjs). Those two
// wrangler calls cost 3-15 s per start on 2 busy cores, so they run once per state (see
// `freshState`): into a template dir under target/e2e-state/, which is then copied into every
// empty persist dir (the same files wrangler writes, read by the Worker from the real local
// D1/KV); a dir that already holds state gets the wrangler calls themselves. wrangler runs in its
// own process group, so stop() (and the exit hook below, if a test forgets) ends workerd with it.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
/**
 * One HTTP call to the Worker: `init` as for fetch, a non-string `body` sent as JSON. Returns the
 * response, its status, its text and its JSON (undefined when the body is not JSON).
 */
export async function request(url, { body, headers = {}, ...init } = {}) {
  const h = { ...headers };
  if (body !== undefined) {
    h['content-type'] ??= 'application/json';
    if (typeof body !== 'string') body = JSON.stringify(body);
  }
  const res = await fetch(url, { ...init, headers: h, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { res, status: res.status, text, json };
}

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

const wranglerEnv = () => ({
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  CI: '1', // no interactive confirmation prompts
});

/** The D1 binding in wrangler.toml. */
export const D1_BINDING = 'DB';

/**
 * Apply the D1 migrations (worker/migrations) to the local database under `persistDir`, the
 * same state `wrangler dev --persist-to persistDir` then uses. Rejects with wrangler's output.
 */
export function applyMigrations(persistDir) {
  const args = ['d1', 'migrations', 'apply', D1_BINDING, '--local', '--persist-to', persistDir];
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrangler ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * Run SQL against the local D1 database under `persistDir` (for tests that look behind the API,
 * e.g. that an erasure left no row). Returns the rows of the (last) statement.
 */
export function queryD1(persistDir, sql) {
  return retryBusy(() => queryD1Once(persistDir, sql));
}

function queryD1Once(persistDir, sql) {
  const args = ['d1', 'execute', D1_BINDING, '--local', '--persist-to', persistDir, '--json', '--command', sql];
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrangler d1 execute failed: ${err.message}\n${stdout}\n${stderr}`));
      try {
        const out = JSON.parse(stdout);
        resolve(out[out.length - 1].results);
      } catch (e) {
        reject(new Error(`unexpected wrangler d1 execute output (${e.message}): ${stdout}`));
      }
    });
  });
}

/**
 * Run `once` again (up to 4 tries, 0.5 s, 1 s, 1.5 s apart) while it fails with SQLITE_BUSY: the
 * wrangler CLI reads the same local SQLite files as the running `wrangler dev`, and under load
 * (the whole e2e suite on 2 cores) it can find them locked for a moment.
 */
async function retryBusy(once) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await once();
    } catch (e) {
      if (attempt >= 4 || !String(e.message).includes('SQLITE_BUSY')) throw e;
      await sleep(500 * attempt);
    }
  }
}

/**
 * The value of `key` in the local KV namespace `binding` under `persistDir` (null if absent).
 */
export function kvGet(persistDir, binding, key) {
  return retryBusy(() => kvGetOnce(persistDir, binding, key));
}

function kvGetOnce(persistDir, binding, key) {
  const args = ['kv', 'key', 'get', key, '--binding', binding, '--local', '--persist-to', persistDir, '--text'];
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrangler kv key get failed: ${err.message}\n${stdout}\n${stderr}`));
      const text = stdout.trim();
      resolve(text === '' || text === 'Value not found' ? null : text);
    });
  });
}

/**
 * Write `value` under `key` in the local KV namespace `binding` under `persistDir` (fault tests:
 * a running `wrangler dev` on the same dir reads it on its next KV get).
 */
export function kvPut(persistDir, binding, key, value) {
  // Through a file (`--path`), so any bytes (NUL included) can be written.
  const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-kv-'));
  const file = path.join(dir, 'value');
  writeFileSync(file, value);
  const args = ['kv', 'key', 'put', key, '--path', file, '--binding', binding, '--local', '--persist-to', persistDir];
  return new Promise((resolve, reject) => {
    execFile(WRANGLER, args, { cwd: ROOT, env: wranglerEnv(), timeout: 60_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) reject(new Error(`wrangler kv key put failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}

/** The KV binding of the model files the Worker does not embed (wrangler.toml). */
export const MODELS_BINDING = 'MODELS';

/**
 * Seed the model files the Worker reads from KV into the local namespace under `persistDir`
 * (`env`: a wrangler.toml environment), through scripts/seed-models.sh: one wrangler call per
 * file. Rejects with its output.
 */
export function seedModels(persistDir, { env } = {}) {
  const args = [path.join(ROOT, 'scripts', 'seed-models.sh'), '--local', '--persist-to', persistDir];
  if (env) args.push('--env', env);
  return new Promise((resolve, reject) => {
    execFile('bash', args, { cwd: ROOT, env: wranglerEnv(), timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`scripts/seed-models.sh failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Where `freshState` keeps its templates (git-ignored; a clean clone starts without any). */
const STATE_DIR = path.join(ROOT, 'target', 'e2e-state');

/** Templates this process has made or found, by key. */
const states = new Map();

/**
 * The local state `startWorker` gives a new persist dir: a dir under target/e2e-state/ with the D1
 * migrations applied (`applyMigrations`) and, if `seed`, the KV models seeded (`seedModels`, with
 * `env`). Made once per key and reused by every later start, in this process and in the other
 * test processes (node --test runs each file in its own), and by later runs of the same checkout.
 * The key hashes everything the state is made from: wrangler.toml, the migrations, the model files
 * and scripts/seed-models.sh, wrangler's version, `env` and `seed`; any change makes a new
 * template. Made in a temp dir and renamed into place, so a reader never sees a half-made one;
 * when two processes make the same one at once, the first rename wins and the other is dropped.
 */
export function freshState({ env, seed = true } = {}) {
  const hash = createHash('sha256');
  const add = (name, bytes) => hash.update(`${name}\0${bytes.length}\0`).update(bytes);
  add('env', env ?? '');
  add('seed', String(seed));
  add('wrangler.toml', readFileSync(path.join(ROOT, 'wrangler.toml')));
  add('wrangler', readFileSync(path.join(ROOT, 'node_modules', 'wrangler', 'package.json')));
  add('seed-models.sh', readFileSync(path.join(ROOT, 'scripts', 'seed-models.sh')));
  for (const dir of ['worker/migrations', 'models']) {
    for (const f of readdirSync(path.join(ROOT, dir)).sort()) add(`${dir}/${f}`, readFileSync(path.join(ROOT, dir, f)));
  }
  const key = hash.digest('hex').slice(0, 32);
  if (!states.has(key)) {
    const made = makeState(key, { env, seed });
    states.set(key, made);
    made.catch(() => states.delete(key)); // a failed attempt is retried by the next start
  }
  return states.get(key);
}

async function makeState(key, { env, seed }) {
  const final = path.join(STATE_DIR, key);
  if (existsSync(final)) return final;
  mkdirSync(STATE_DIR, { recursive: true });
  const tmp = mkdtempSync(path.join(STATE_DIR, `.${key}-`));
  try {
    await applyMigrations(tmp);
    if (seed) await seedModels(tmp, { env });
    try {
      renameSync(tmp, final);
    } catch (e) {
      if (!existsSync(final)) throw e; // not another process's template: a real failure
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return final;
}

/**
 * Start `wrangler dev` and wait until `GET /health` answers 200.
 *
 * @param {object} [options]
 * @param {string} [options.persistDir] local KV/D1 state dir (default: a fresh temp dir, removed by stop());
 *   migrated and seeded in place when it already holds state, given `freshState`'s copy when empty
 * @param {Record<string, string>} [options.vars] `--var KEY:VALUE` pairs (RATE_LIMIT_PER_MIN, AUTH_RATE_LIMIT_PER_MIN and ACCOUNT_RATE_LIMIT_PER_MIN default to '0': off)
 * @param {number} [options.timeoutMs] how long to wait for /health (default 60 s)
 * @param {string} [options.logLevel] wrangler's `--log-level` (default 'info': one line per request)
 * @param {string} [options.env] a wrangler.toml environment (`--env`, e.g. 'production'); default: the top level
 * @param {boolean} [options.seedModels] default true: seed the KV model files (scripts/seed-models.sh)
 *   before starting (into an empty dir: a copy of `freshState`'s template); false leaves the
 *   MODELS namespace as it is (detect-niche then answers 503 `model_unavailable` until a test
 *   seeds it)
 * @param {boolean} [options.inspector] default false: no DevTools inspector and no file watcher,
 *   through scripts/wrangler-dev.mjs (wrangler's `unstable_startWorker`; the CLI's inspector proxy
 *   buffers every runtime event while no DevTools is attached, which stalled large publications:
 *   docs/demo.md). true: `wrangler dev --inspector-port` (scripts/bench-upload-cpu.mjs profiles
 *   the Worker through it)
 * @returns {Promise<{url: string, pid: number, port: number, inspectorPort: number | null, persistDir: string, log: () => string, exited: () => ({code: number | null, signal: string | null} | null), stop: () => Promise<void>}>}
 */
export async function startWorker({ persistDir, vars = {}, timeoutMs = 60_000, logLevel = 'info', env, inspector = false, seedModels: seed = true } = {}) {
  const ownDir = !persistDir;
  const dir = persistDir ?? mkdtempSync(path.join(tmpdir(), 'crosslearn-e2e-'));
  try {
    if (!existsSync(dir) || readdirSync(dir).length === 0) {
      // A new dir: the migrated (and seeded) state, made once by the same wrangler calls below.
      cpSync(await freshState({ env, seed }), dir, { recursive: true });
    } else {
      // Existing state (a restart, or a test's own older schema): migrate and seed it in place.
      await applyMigrations(dir);
      if (seed) await seedModels(dir, { env });
    }
  } catch (e) {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = await freePort();
  const inspectorPort = inspector ? await freePort() : null;
  const args = [
    '--ip', '127.0.0.1',
    '--port', String(port),
    ...(inspector ? ['--inspector-port', String(inspectorPort)] : []),
    '--persist-to', dir,
    '--test-scheduled', // exposes /__scheduled to trigger the cron handler
    '--log-level', logLevel,
  ];
  if (env) args.push('--env', env);
  // The rate limits are off unless a test sets them (tests/e2e/edge.test.mjs, limits.test.mjs
  // do): the golden-case tests send hundreds of requests from one client and one token.
  const allVars = { RATE_LIMIT_PER_MIN: '0', AUTH_RATE_LIMIT_PER_MIN: '0', ACCOUNT_RATE_LIMIT_PER_MIN: '0', ...vars };
  for (const [key, value] of Object.entries(allVars)) args.push('--var', `${key}:${value}`);

  const [cmd, cmdArgs] = inspector
    ? [WRANGLER, ['dev', ...args]]
    : [process.execPath, [path.join(ROOT, 'scripts', 'wrangler-dev.mjs'), ...args]];
  const child = spawn(cmd, cmdArgs, {
    cwd: ROOT,
    detached: true, // own process group: stop() kills wrangler and workerd together
    stdio: ['ignore', 'pipe', 'pipe'],
    env: wranglerEnv(),
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
  let stopping = false;
  const exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      live.delete(pid);
      // A Worker that dies under a test fails that test with "fetch failed": say why, here.
      if (!stopping) {
        process.stderr.write(`wrangler dev on :${port} (pid ${pid}) exited unexpectedly ${JSON.stringify(exited)}. Log tail:\n${tail}\n`);
      }
      resolve();
    });
  });

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopping = true;
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

  return { url, pid, port, inspectorPort, persistDir: dir, log: () => tail, exited: () => exited, stop };
}
