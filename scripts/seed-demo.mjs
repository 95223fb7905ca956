// Seed a running crosslearn Worker with a SIMULATED network, through its public API only.
//
//   node scripts/seed-demo.mjs --url http://127.0.0.1:8787 [--accounts 1000] [--seed 2026]
//        [--token-file .wrangler/demo-state/demo-token.txt] [--no-publish] [--publish-only]
//        [--concurrency 8]
//
// --publish-only skips step 2 (the network is already there) and only makes sure of the demo
// account and runs the publication.
//
// The operator token comes from $OPERATOR_TOKEN or .dev.vars (scripts/setup.sh writes it).
//
// 1. The core simulator (the npm package's generateNetwork, pkg/) makes `--accounts` accounts
//    across the niches, with their records: SIMULATED, not real ad performance. Their ids say so
//    (`sim-a0000`, `sim-a0000-c00-meta`); the API takes no `source` from clients, so the stored
//    records say `source: "user"` like any API upload.
// 2. For each simulated account: POST /api/accounts {account_id} (operator), then
//    POST /api/accounts/{id}/records in batches of at most 500, then PUT .../consent
//    {opted_in: true}: all of them opt in.
// 3. One more account, `demo-editor`, with no records: the account a person uses in the editor.
//    Its token is printed and written to --token-file (mode 600).
// 4. Publication: POST /api/admin/publish (operator), the publication the daily cron runs (same
//    code, same per-period releases); then the published niches are listed.
//
// Idempotent: re-running against the same state changes nothing. A taken account id is 409 and
// is skipped, records are idempotent by record id (reported `already_stored`), consent is a PUT,
// and the cron makes at most one release per niche and period. The demo token is shown only
// when the account is created; if the token file was lost, the demo account is erased (operator
// DELETE) and created again with a new token.

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from '../tests/e2e/lib/wrangler.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_ACCOUNT = 'demo-editor';
const BATCH = 500;

function parseArgs(argv) {
  const opts = { url: 'http://127.0.0.1:8787', accounts: 1000, seed: 2026, tokenFile: null, publish: true, accountsToo: true, concurrency: 8, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const [key, next] = [argv[i], argv[i + 1]];
    const take = () => {
      if (next === undefined) throw new Error(`${key} needs a value`);
      i++;
      return next;
    };
    if (key === '--url') opts.url = take();
    else if (key === '--accounts') opts.accounts = Number(take());
    else if (key === '--seed') opts.seed = Number(take());
    else if (key === '--token-file') opts.tokenFile = take();
    else if (key === '--concurrency') opts.concurrency = Number(take());
    else if (key === '--no-publish') opts.publish = false;
    else if (key === '--publish-only') opts.accountsToo = false;
    else if (key === '--quiet') opts.quiet = true;
    else throw new Error(`unknown argument ${key}`);
  }
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1 || opts.accounts > 10000) {
    throw new Error(`--accounts must be 1..10000, got ${opts.accounts}`);
  }
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) throw new Error(`--seed must be a whole number, got ${opts.seed}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new Error('--concurrency must be >= 1');
  return opts;
}

/** The operator token: $OPERATOR_TOKEN, else OPERATOR_TOKEN=... in .dev.vars. */
export function operatorToken() {
  if (process.env.OPERATOR_TOKEN) return process.env.OPERATOR_TOKEN;
  const file = path.join(ROOT, '.dev.vars');
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = line.match(/^\s*OPERATOR_TOKEN\s*=\s*"?([^"\s]+)"?\s*$/);
      if (m) return m[1];
    }
  }
  throw new Error('no operator token: set OPERATOR_TOKEN or run scripts/setup.sh (writes .dev.vars)');
}

/** The simulated network from the core simulator (npm package in pkg/). */
export async function simulate(accounts, seed) {
  const cl = await import(path.join(ROOT, 'pkg', 'crosslearn.js'));
  cl.initSync({ module: readFileSync(path.join(ROOT, 'pkg', 'crosslearn_bg.wasm')) });
  return cl.generateNetwork({ seed, accounts });
}

/**
 * A simulated record as ingest input (the core's RecordInput): `date_start` is `date` there, and
 * `source` is not an input field (the API stores what clients send as `source: "user"`; the demo
 * data is recognisable by its `sim-` account, campaign and record ids).
 */
export function toInput(record) {
  const { date_start, source, ...rest } = record;
  return { ...rest, date: date_start };
}

/**
 * GET `url` on a NEW connection (no keep-alive agent), giving up after `timeoutMs`; retried (on
 * another new connection) up to `attempts` times. For the first requests after a publication:
 * one request must not hang the demo (docs/demo.md, "The stall"). Resolves to
 * `{ status, text, json }`; rejects after the last attempt with the last error.
 * @param {string} url
 * @param {{ headers?: Record<string, string>, timeoutMs?: number, attempts?: number, log?: (s: string) => void }} [opts]
 */
export async function getFresh(url, { headers = {}, timeoutMs = 10_000, attempts = 6, log = () => {} } = {}) {
  let last;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, headers: { ...headers, connection: 'close' }, timeout: timeoutMs }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => { text += c; });
          res.on('end', () => {
            let json;
            try { json = JSON.parse(text); } catch { json = undefined; }
            resolve({ status: res.statusCode, text, json });
          });
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
      });
    } catch (e) {
      last = e;
      log(`GET ${url}: ${e.message}; ${attempt < attempts ? `retrying on a new connection (${attempt}/${attempts - 1})` : 'giving up'}`);
    }
  }
  throw new Error(`GET ${url}: ${last?.message}`);
}

/** One API call with a bearer token (the e2e harness's `request`). */
function call(url, method, route, token, body) {
  return request(`${url}${route}`, { method, headers: { authorization: `Bearer ${token}` }, body });
}

function expect(r, statuses, what) {
  if (!statuses.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

/** Run `fn` over `items` with at most `n` in flight. */
async function pool(items, n, fn) {
  let next = 0;
  const workers = Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

/** Seed; returns a summary. */
export async function seed(opts) {
  const op = operatorToken();
  const log = opts.quiet ? () => {} : (...a) => console.log(...a);
  const net = opts.accountsToo === false
    ? { label: 'SIMULATED DATA - not real ad performance', accounts: [], records: [], params_version: 'skipped', seed: opts.seed }
    : await simulate(opts.accounts, opts.seed);
  if (opts.accountsToo === false) log('network already seeded: accounts and records skipped');
  else log(`${net.label}: ${net.accounts.length} accounts, ${net.records.length} records (${net.params_version}, seed ${net.seed})`);
  const byAccount = new Map(net.accounts.map((a) => [a.account_id, []]));
  for (const r of net.records) byAccount.get(r.account_id).push(toInput(r));

  const totals = { created: 0, existed: 0, stored: 0, already_stored: 0, rejected: 0 };
  let done = 0;
  await pool(net.accounts, opts.concurrency, async (account) => {
    const id = account.account_id;
    const created = expect(await call(opts.url, 'POST', '/api/accounts', op, { account_id: id }), [201, 409], `create ${id}`);
    totals[created.status === 201 ? 'created' : 'existed']++;
    const records = byAccount.get(id);
    for (let i = 0; i < records.length; i += BATCH) {
      const r = expect(
        await call(opts.url, 'POST', `/api/accounts/${id}/records`, op, { records: records.slice(i, i + BATCH) }),
        [200],
        `records of ${id}`,
      );
      totals.stored += r.json.stored;
      totals.already_stored += r.json.already_stored;
      totals.rejected += r.json.rejected;
      const bad = r.json.results.find((x) => x.status === 'rejected');
      if (bad) throw new Error(`record ${bad.record_id} of ${id} rejected: ${JSON.stringify(bad.issues)}`);
    }
    expect(await call(opts.url, 'PUT', `/api/accounts/${id}/consent`, op, { opted_in: true }), [200], `consent of ${id}`);
    done++;
    if (done % 50 === 0) log(`  ${done}/${net.accounts.length} accounts`);
  });
  if (opts.accountsToo !== false) log(`accounts: ${totals.created} created, ${totals.existed} already there; records: ${totals.stored} stored, ${totals.already_stored} already stored, ${totals.rejected} rejected`);

  // The person's account: no records, its token kept in a file.
  let token = null;
  if (opts.tokenFile && existsSync(opts.tokenFile)) token = readFileSync(opts.tokenFile, 'utf8').trim();
  const probe = token ? await call(opts.url, 'GET', `/api/accounts/${DEMO_ACCOUNT}/export`, token) : { status: 401 };
  if (probe.status !== 200) {
    let made = await call(opts.url, 'POST', '/api/accounts', op, { account_id: DEMO_ACCOUNT });
    if (made.status === 409) {
      // Exists, but its token is unknown here (shown only once): erase and make it again.
      expect(await call(opts.url, 'DELETE', `/api/accounts/${DEMO_ACCOUNT}`, op), [200], 'erase demo account');
      made = await call(opts.url, 'POST', '/api/accounts', op, { account_id: DEMO_ACCOUNT });
    }
    token = expect(made, [201], 'create demo account').json.token;
    if (opts.tokenFile) {
      writeFileSync(opts.tokenFile, `${token}\n`, { mode: 0o600 });
      chmodSync(opts.tokenFile, 0o600);
    }
  }

  let published = null;
  if (opts.publish) {
    // The operator's publish route runs the cron's publication (same code, same per-period
    // releases). Not GET /__scheduled: under wrangler dev, after a scheduled event over a large
    // network (6,000 accounts) the next request to the Worker waited 84-306 s (measured).
    // `connection: close`: the socket that carried this long request (tens of seconds over a
    // large network) is not reused. Under wrangler dev the next request on that kept-alive socket
    // hung for minutes (84-306 s measured) while fresh connections answered in milliseconds.
    const res = expect(
      await request(`${opts.url}/api/admin/publish`, { method: 'POST', headers: { authorization: `Bearer ${op}`, connection: 'close' } }),
      [200],
      'publication',
    );
    log(`publication report: ${JSON.stringify({ period: res.json.period, opted_in_accounts: res.json.opted_in_accounts, contributing_accounts: res.json.contributing_accounts, failed: res.json.failed })}`);
    // The first request after the publication: on a new connection, retried after 10 s
    // without an answer, so a stalled request cannot hang the demo (docs/demo.md).
    const all = expect(
      await getFresh(`${opts.url}/api/cross-learning/niche-wisdom`, { headers: { authorization: `Bearer ${op}` }, log }),
      [200],
      'niche wisdom',
    );
    published = all.json.niches.map((w) => w.niche);
    log(`publication: ${published.length} niches published (${published.join(', ') || 'none'})`);
  }
  const niches = {};
  for (const a of net.accounts) niches[a.niche] = (niches[a.niche] ?? 0) + 1;
  return { label: net.label, accounts: net.accounts.length, records: net.records.length, niches, totals, published, token, demoAccount: DEMO_ACCOUNT };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const out = await seed(opts);
    if (out.accounts > 0) console.log(`accounts per niche (SIMULATED): ${JSON.stringify(out.niches)}`);
    if (!opts.tokenFile) console.log(`demo account ${out.demoAccount} token: ${out.token}`);
  } catch (e) {
    console.error(`seed-demo: ${e.message}`);
    process.exit(1);
  }
}
