// The main command's seeding (scripts/dev.sh, docs/demo.md) at a documented fraction of its size,
// under the PRODUCTION release config (wrangler.toml [env.production.vars] RELEASE_CONFIG, k 50),
// on a real `wrangler dev`: every niche is published, and the editor, opened on each niche's
// example link from the tour, shows a percentile.
//
// OPT-IN (about 5-6 minutes, over the test command's budget): `DEMO_E2E=1 node --test
// tests/e2e/demo.test.mjs`; without DEMO_E2E=1 the suite is skipped and says so.
//
// The size: the demo's own 39,960 simulated accounts (DEMO_ACCOUNTS overrides it). `crosslearn
// demo-network --rule niches` checks, from the core's gate functions, that at this size every niche passes
// both niche gates (format 1's `niche_gate`, format 2's `niche_count_gate`) and publishes at
// least one platform's CTR benchmark, except with probability <= 1 % (the same computation as
// the demo's `--rule platforms`, which also asks for all 3 platforms of every niche). The editor
// is opened on the platform the tour links, one with a published benchmark.
//
// Same steps as dev.sh: the CLI writes the SQL, `wrangler d1 execute --local` loads it, the
// first 15 accounts go through the public API (scripts/seed-demo.mjs), then the cron's
// publication runs (POST /api/admin/publish). Timings are printed as `demo-e2e: {...}`.

import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, applyMigrations, startWorker } from './lib/wrangler.mjs';

const ACCOUNTS = Number(process.env.DEMO_ACCOUNTS ?? 39_960);
const API_ACCOUNTS = 15;
const SEED = 2026;
const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** wrangler.toml's production RELEASE_CONFIG (the string dev.sh passes as well). */
function productionReleaseConfig() {
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const section = toml.slice(toml.indexOf('[env.production.vars]'));
  const m = section.match(/^RELEASE_CONFIG\s*=\s*'([^']*)'/m);
  assert.ok(m, 'no RELEASE_CONFIG in [env.production.vars]');
  return m[1];
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: ROOT, maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('the main command demo: every niche published under the production release config', {
  skip: process.env.DEMO_E2E === '1' ? false : 'opt-in (about 5-6 min): DEMO_E2E=1 node --test tests/e2e/demo.test.mjs',
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-demo-'));
  const times = {};
  let worker;
  let seeded;
  let tourOf;
  let tour;

  before(async () => {
    const t0 = Date.now();
    // The CLI (debug; a no-op when it is up to date), before wrangler dev runs.
    execFileSync('cargo', ['build', '--quiet', '-p', 'crosslearn-cli'], { cwd: ROOT, stdio: 'inherit' });
    const bin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(ROOT, 'target'), 'debug', 'crosslearn');
    const releaseConfig = productionReleaseConfig();
    await applyMigrations(dir);
    const t1 = Date.now();
    const sql = path.join(dir, 'demo-network.sql');
    const plan = await run(bin, [
      'demo-network', '--accounts', String(ACCOUNTS), '--seed', String(SEED), '--release-config', releaseConfig,
      '--rule', 'niches', '--only-contributors', '--api-accounts', String(API_ACCOUNTS), '--sql', sql,
    ]);
    console.log(plan);
    const t2 = Date.now();
    await run(WRANGLER, ['d1', 'execute', 'DB', '--local', '--persist-to', dir, '--file', sql], { env: { ...process.env, CI: '1' } });
    rmSync(sql);
    const t3 = Date.now();
    worker = await startWorker({ persistDir: dir, vars: { OPERATOR_TOKEN: OPERATOR, RELEASE_CONFIG: releaseConfig } });
    process.env.OPERATOR_TOKEN = OPERATOR;
    const { seed } = await import(path.join(ROOT, 'scripts', 'seed-demo.mjs'));
    seeded = await seed({ url: worker.url, accounts: API_ACCOUNTS, seed: SEED, tokenFile: path.join(dir, 'token.txt'), publish: true, accountsToo: true, concurrency: 4, quiet: true });
    const t4 = Date.now();
    ({ tour: tourOf } = await import(path.join(ROOT, 'scripts', 'demo-tour.mjs')));
    Object.assign(times, { build_cli_ms: t1 - t0, generate_ms: t2 - t1, d1_execute_ms: t3 - t2, api_and_publish_ms: t4 - t3 });
  });

  after(async () => {
    await worker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the API smoke part stored its records, and all 15 niches are published', async () => {
    assert.equal(seeded.accounts, API_ACCOUNTS);
    assert.equal(seeded.totals.created, API_ACCOUNTS);
    assert.ok(seeded.totals.stored > 0);
    assert.equal(seeded.totals.rejected, 0);
    assert.equal(seeded.published.length, 15, `published: ${seeded.published.join(', ')}`);
    const stats = await (await fetch(`${worker.url}/api/cross-learning/stats`)).json();
    assert.deepEqual(stats.privacy.k, [50]);
    assert.equal(stats.releases.filter((r) => r.published).length, 15);
    tour = await tourOf(worker.url);
    for (const n of tour.niches) assert.ok(n.platform, `${n.niche}: no platform with a published CTR benchmark`);
  });

  test('the editor shows a percentile for every niche, on its example link', async () => {
    const t0 = Date.now();
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      for (const n of tour.niches) {
        await page.goto(n.link);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
        await page.waitForFunction(() => document.querySelector('#percentile')?.getAttribute('data-percentile'), null, { timeout: 20_000 });
        const p = Number(await page.getAttribute('#percentile', 'data-percentile'));
        assert.ok(p >= 1 && p <= 99, `${n.niche}: percentile ${p}`);
        assert.equal(await page.getAttribute('#niche-name', 'data-niche'), n.niche);
        assert.equal(await page.inputValue('#platform'), n.platform);
        const basis = await page.textContent('#percentile-basis');
        assert.match(basis, new RegExp(`release ${n.niche}/\\d+\\)`), `${n.niche}: ${basis}`);
        assert.doesNotMatch(await page.textContent('#wisdom-status'), /snapshot/i, `${n.niche}: the live release is used, not the bundled snapshot`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
    times.editor_15_niches_ms = Date.now() - t0;
    console.log(`demo-e2e: ${JSON.stringify(times)}`);
  });
});
