// `wrangler dev` for the local demo, WITHOUT the DevTools inspector: the built Worker under
// wrangler's own local runtime (workerd, miniflare's KV and D1), started through wrangler's
// programmatic API (`unstable_startWorker`, wrangler 4.x) with `dev: { inspector: false }`.
//
//   node scripts/wrangler-dev.mjs [--ip 127.0.0.1] [--port 8787] [--persist-to DIR]
//        [--test-scheduled] [--var KEY:VALUE ...] [--log-level info] [--env NAME]
//
// Prints `Ready on http://IP:PORT` once the Worker answers, and stops (disposes the runtime)
// on SIGINT/SIGTERM. Used by scripts/dev.sh and by tests/e2e/demo.test.mjs (through
// tests/e2e/lib/wrangler.mjs `startWorker({ inspector: false })`).
//
// Why (docs/demo.md, "The stall after a publication"): `wrangler dev` (the CLI) always runs an
// InspectorProxyWorker that connects to the runtime's inspector and sends it `Network.enable`;
// with no DevTools window attached it keeps every inspector event the runtime sends in an
// in-memory buffer that is only emptied when DevTools connects (wrangler-dist/
// InspectorProxyWorker.js: `runtimeMessageBuffer`), and posts each one as a debug log to the
// proxy controller. A publication over a large local network makes one subrequest per D1 query,
// each with its Network events, so that isolate's heap grew past a gigabyte, and the proxy in
// the same process (which every request passes through) stalled for tens of seconds to minutes
// in garbage collection. The CLI has no flag to turn the inspector off; the API has.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The command line as startWorker options. */
export function parseArgs(argv) {
  const o = { ip: '127.0.0.1', port: 8787, persistTo: path.join(ROOT, '.wrangler', 'state'), testScheduled: false, vars: {}, logLevel: 'info', env: undefined };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    const take = () => {
      if (argv[i + 1] === undefined) throw new Error(`${key} needs a value`);
      return argv[++i];
    };
    if (key === '--ip') o.ip = take();
    else if (key === '--port') o.port = Number(take());
    else if (key === '--persist-to') o.persistTo = path.resolve(take());
    else if (key === '--test-scheduled') o.testScheduled = true;
    else if (key === '--log-level') o.logLevel = take();
    else if (key === '--env') o.env = take();
    else if (key === '--var') {
      const kv = take();
      const at = kv.indexOf(':');
      if (at <= 0) throw new Error(`--var ${kv}: expected KEY:VALUE`);
      o.vars[kv.slice(0, at)] = kv.slice(at + 1);
    } else throw new Error(`unknown argument ${key}`);
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`--port: not a port: ${o.port}`);
  return o;
}

/**
 * Start the Worker of wrangler.toml locally with the inspector off. Resolves once it is ready,
 * to `{ url, dispose }`.
 */
export async function startDev(o) {
  const { unstable_startWorker } = await import('wrangler');
  const bindings = Object.fromEntries(Object.entries(o.vars).map(([k, v]) => [k, { type: 'plain_text', value: v }]));
  const worker = await unstable_startWorker({
    config: path.join(ROOT, 'wrangler.toml'),
    env: o.env,
    bindings,
    dev: {
      remote: false,
      inspector: false,
      server: { hostname: o.ip, port: o.port },
      persist: o.persistTo,
      testScheduled: o.testScheduled,
      logLevel: o.logLevel,
      watch: false,
      liveReload: false,
      enableContainers: false,
    },
  });
  await worker.ready;
  const url = new URL(await worker.url);
  return { url: url.origin, dispose: () => worker.dispose() };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let dev;
  const stop = async (code) => {
    try {
      await dev?.dispose();
    } finally {
      process.exit(code);
    }
  };
  process.once('SIGINT', () => stop(130));
  process.once('SIGTERM', () => stop(143));
  try {
    process.chdir(ROOT);
    dev = await startDev(parseArgs(process.argv.slice(2)));
    console.log(`Ready on ${dev.url} (inspector off: scripts/wrangler-dev.mjs)`);
  } catch (e) {
    console.error(`wrangler-dev: ${e?.stack ?? e}`);
    await stop(1);
  }
}
