// The main command's seeding (scripts/dev.sh, docs/demo.md) at a documented fraction of its size,
// under the PRODUCTION release config (wrangler.toml [env.production.vars] RELEASE_CONFIG, k 50),
// on the real local Worker (wrangler's runtime): every niche is published, and the editor, opened
// on each niche's example link from the tour, shows a percentile.
//
// Runs by default (about a minute; timings printed as `demo-e2e: {...}`).
//
// The fraction: the demo's own 39,960 simulated accounts (DEMO_ACCOUNTS overrides it), every
// contributing account seeded, but only TWO records per campaign written
// (`crosslearn demo-network --records-per-campaign 2`: about 36,700 records instead of 129,000;
// one record per campaign wrote 18,500 but left every account x platform with a single record,
// so format 2, which compares an account's creatives on a platform with each other, had nothing
// to release and the editor had nothing to recommend). Who contributes is unchanged: an account keeps all its
// campaigns (the insight's data gate counts them), its platforms (a contribution feeds one of the
// platforms it has impressions on, picked by a hash of its id) and its niche, so the same
// accounts contribute to the same niches and platforms and the same publication rule holds:
// `--rule niches` checks, from the core's gate functions and the counts of what is written, that
// every niche passes both niche gates (format 1's `niche_gate`, format 2's `niche_count_gate`)
// and publishes at least one platform's CTR benchmark, except with probability <= 1 % (the CLI
// test `records_per_campaign_trims_what_is_written_not_who_contributes` checks the counts are
// those of the full network). Only the contributed values come from fewer records. The network
// is big enough for format 2's all-niche estimates to clear their gates (about 6,100 contributing
// accounts), so the editor recommends in most niches; the test counts them.
//
// Same steps as dev.sh: the CLI writes the SQL, scripts/d1-load-local.py loads it into the local
// D1 (falling back to `wrangler d1 execute --local` on exit 3), the Worker starts with the
// DevTools inspector off (scripts/wrangler-dev.mjs; docs/demo.md "The stall after a
// publication"), the first 15 accounts go through the public API (scripts/seed-demo.mjs), then
// the cron's publication runs (POST /api/admin/publish). The Worker is stopped by its process
// group's id (startWorker's stop()).

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
const RECORDS_PER_CAMPAIGN = 2;
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
      if (err) reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`), { code: err.code }));
      else resolve(stdout);
    });
  });
}

describe('the main command demo: every niche published under the production release config', () => {
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
    const t1 = Date.now();
    // The D1 schema, while the CLI simulates (it needs no database).
    const migrated = applyMigrations(dir);
    const sql = path.join(dir, 'demo-network.sql');
    const [plan] = await Promise.all([run(bin, [
      'demo-network', '--accounts', String(ACCOUNTS), '--seed', String(SEED), '--release-config', releaseConfig,
      '--rule', 'niches', '--only-contributors', '--api-accounts', String(API_ACCOUNTS),
      '--records-per-campaign', String(RECORDS_PER_CAMPAIGN), '--sql', sql,
    ]), migrated]);
    console.log(plan);
    const t2 = Date.now();
    // The local fast path (as dev.sh); exit 3: the D1 file was not found, load it through wrangler.
    try {
      await run('python3', [path.join(ROOT, 'scripts', 'd1-load-local.py'), '--persist-to', dir, '--file', sql]);
      times.loader = 'd1-load-local.py';
    } catch (e) {
      if (e.code !== 3) throw e;
      times.loader = 'wrangler d1 execute (d1-load-local.py: exit 3)';
      await run(WRANGLER, ['d1', 'execute', 'DB', '--local', '--persist-to', dir, '--file', sql], { env: { ...process.env, CI: '1' } });
    }
    rmSync(sql);
    const t3 = Date.now();
    worker = await startWorker({ persistDir: dir, inspector: false, vars: { OPERATOR_TOKEN: OPERATOR, RELEASE_CONFIG: releaseConfig } });
    const tw = Date.now();
    process.env.OPERATOR_TOKEN = OPERATOR;
    const { seed } = await import(path.join(ROOT, 'scripts', 'seed-demo.mjs'));
    seeded = await seed({ url: worker.url, accounts: API_ACCOUNTS, seed: SEED, tokenFile: path.join(dir, 'token.txt'), publish: true, accountsToo: true, concurrency: 4, quiet: true });
    const t4 = Date.now();
    ({ tour: tourOf } = await import(path.join(ROOT, 'scripts', 'demo-tour.mjs')));
    const t5 = Date.now();
    Object.assign(times, { worker_start_ms: tw - t3, api_and_publish_ms: t4 - tw, import_ms: t5 - t4 });
    Object.assign(times, { build_cli_ms: t1 - t0, generate_and_migrations_ms: t2 - t1, d1_load_ms: t3 - t2, worker_api_and_publish_ms: t4 - t3 });
  });

  after(async () => {
    console.log(`demo-e2e: ${JSON.stringify(times)}`);
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
      /** @type {string[]} */
      const recommended = [];
      for (const n of tour.niches) {
        await page.goto(n.link);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
        await page.waitForFunction(() => document.querySelector('#percentile')?.getAttribute('data-percentile'), null, { timeout: 20_000 });
        const p = Number(await page.getAttribute('#percentile', 'data-percentile'));
        assert.ok(p >= 1 && p <= 99, `${n.niche}: percentile ${p}`);
        assert.equal(await page.getAttribute('#niche-name', 'data-niche'), n.niche);
        assert.equal(await page.inputValue('#platform'), n.platform);
        const basis = await page.textContent('#percentile-basis');
        // Production releases the benchmarks on their own: the basis names both releases.
        assert.match(basis, new RegExp(`release ${n.niche}/\\d+, benchmarks dist:\\d+:${n.niche}\\)`), `${n.niche}: ${basis}`);
        const status = await page.textContent('#wisdom-status');
        assert.doesNotMatch(status, /snapshot/i, `${n.niche}: the live release is used, not the bundled snapshot`);
        const ctr = (await page.textContent('#ctr')).trim();
        const interval = (await page.textContent('#ctr-interval')).trim();
        // The CTR model stands on the live release: its base rate for this niche and platform,
        // and its format-2 posteriors as the niche's effect priors.
        assert.match(await page.getAttribute('#ctr-basis', 'data-release'), new RegExp(`^${n.niche}/\\d+, benchmarks dist:\\d+:${n.niche}$`), `${n.niche}: base rate`);
        assert.match(await page.getAttribute('#ctr-basis', 'data-effects'), new RegExp(`${n.niche}`), `${n.niche}: effect posteriors`);
        // Recommendations, in one voice with the model: each shown raises this ad's predicted CTR,
        // best first (at production gates a release may show none; the note says why).
        const shown = Number(await page.getAttribute('#ctr', 'data-ctr'));
        const recs = await page.$$eval('#recommendations li', (lis) => lis.map((li) => ({ ...li.dataset, text: li.querySelector('strong')?.textContent })));
        const gains = recs.map((r) => Number(r.variantCtr));
        assert.ok(gains.every((g, i) => g >= shown && (i === 0 || gains[i - 1] >= g)), `${n.niche}: ${JSON.stringify(recs)}`);
        const recsNote = (await page.textContent('#recs-note')).trim();
        if (recs.length > 0) recommended.push(n.niche);
        console.log(`demo-e2e editor ${n.niche} on ${n.platform}: CTR ${ctr} ${interval}; percentile ${p}; ${basis.trim()}; ${recs.length} recommendations${recs.length ? ` (first: ${recs[0].text}, ${(Number(recs[0].variantCtr) * 100).toFixed(2)} %)` : `: ${recsNote}`}`);
      }
      // At production gates the format-2 release shows all-niche values from this network, and
      // the editor recommends some of them for most niches' example drafts (a niche's draft may
      // already use the values its model rates best; then the note says the model predicts no gain).
      console.log(`demo-e2e recommendations in ${recommended.length} of ${tour.niches.length} niches: ${recommended.join(', ')}`);
      assert.ok(recommended.length * 2 >= tour.niches.length, `recommendations in only ${recommended.length} niches: ${recommended.join(', ')}`);
      // Google Ads has headlines and descriptions: its example fills them (it once filled the
      // hidden headline/body fields, leaving the draft empty and its benchmark missing).
      const g = tour.niches.find((n) => n.benchmarks.includes('google_ads'));
      assert.ok(g, 'no niche with a Google Ads benchmark');
      await page.goto(`${worker.url}/?example=${g.niche}&platform=google_ads`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('#percentile')?.getAttribute('data-percentile'), null, { timeout: 20_000 });
      assert.notEqual(await page.inputValue('#headlines'), '');
      assert.notEqual(await page.inputValue('#descriptions'), '');
      assert.equal(await page.getAttribute('#niche-name', 'data-niche'), g.niche);
      // Where a platform of a published niche has no benchmark, the page says why, with the real
      // gate (max(k, 3 platforms' noise), not k alone) and what would change it.
      const missing = tour.niches.flatMap((n) => ['meta', 'tiktok', 'google_ads'].filter((pl) => !n.benchmarks.includes(pl)).map((pl) => ({ ...n, missingOn: pl })));
      if (missing.length > 0) {
        const m = missing[0];
        await page.goto(`${worker.url}/?example=${m.niche}&platform=${m.missingOn}`);
        await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
        await page.waitForFunction(() => document.querySelector('#percentile-label')?.textContent === 'no benchmark', null, { timeout: 20_000 });
        const why = await page.textContent('#percentile-basis');
        assert.match(why, /is published, but fewer than (k = )?\d+ .*accounts contributed on/, why);
        assert.match(why, /would publish it in a later period's release/, why);
        console.log(`demo-e2e editor ${m.niche} on ${m.missingOn} (no benchmark): ${why}`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
    times.editor_15_niches_ms = Date.now() - t0;
  });
});
