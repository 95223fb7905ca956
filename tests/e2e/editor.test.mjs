// The ad editor page (www/, served from dist/ by `wrangler dev`) in Debian's Chromium, driven by
// playwright-core. Needs the built Worker and dist/ (scripts/build-worker.sh,
// scripts/build-dist.sh), like every e2e test here.
//
// Wisdom: a fresh local Worker has published nothing, so the page uses the bundled SIMULATED
// snapshot (dist/snapshot-release.json); the tests check the page says so and that every
// recommendation cites a pattern of the release the page resolved (the Worker's if it had
// fitness, else the snapshot's), both fetched here over HTTP.
//
// Measurements are printed as `editor-bench: {...}` lines (scripts/bench-editor.sh collects them).
// Screenshots go to .tmp/screenshots/editor/ (git-ignored); docs/editor.md lists what each shows.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { ROOT, startWorker } from './lib/wrangler.mjs';

const pkg = await import(path.join(ROOT, 'pkg', 'crosslearn.js'));
pkg.initSync({ module: readFileSync(path.join(ROOT, 'pkg', 'crosslearn_bg.wasm')) });
// The page's own pure modules (no DOM), so the test applies the same rules to the same inputs.
const { CTR_MODEL_FILE } = await import(path.join(ROOT, 'www', 'lib', 'config.js'));
const creativeLib = await import(path.join(ROOT, 'www', 'lib', 'creative.js'));
const wisdomLib = await import(path.join(ROOT, 'www', 'lib', 'wisdom.js'));

const SHOTS = path.join(ROOT, '.tmp', 'screenshots', 'editor');
const WISDOM_PATH = '/api/cross-learning/niche-wisdom';
const STATS_PATH = '/api/cross-learning/stats';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const HEADLINE = 'Build muscle and burn fat with our 20-minute home workout';
const BODY = 'Personal trainer plans, gym-free strength training and protein meal guides. Start your fitness challenge today and get stronger every week.';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

// The page reads copy with rules v2 from the platform's own fields (Meta by default: the body box
// is the primary text, shown first).
const copyReader = pkg.CopyExtractor.withRules('v2');

/** The creative the page should score for the default form and this copy (computed here). */
function expectedCreative(headline, body, overrides = {}) {
  const read = copyReader.readPlatformCopy({ platform: 'meta', primary_text: body, headline, description: '' });
  const copy = read.attributes;
  const niche = nicheModel.detect(`${read.headline}\n${read.body}`);
  return {
    platform: 'meta',
    niche: niche.niche === 'unknown' ? null : niche.niche,
    hook_type: copy.hook_type,
    cta_style: copy.cta_style,
    visual_tags: [],
    format: 'video',
    duration_s: 20,
    posting_hour: 19,
    ...overrides,
  };
}

// The one CTR model of the page: the grounded model fitted to real exports.
const ctrModel = pkg.GroundedCtr.fromJson(readFileSync(path.join(ROOT, 'models', CTR_MODEL_FILE), 'utf8'));
const nicheModel = pkg.NicheModel.load(readFileSync(path.join(ROOT, 'models', 'niche-v2.bin')));

/**
 * A generic-format CSV of `n` rows from the simulator, with known bad rows and an unknown
 * column. Returns the text and the 1-based lines of the bad rows.
 */
function makeCsv(n) {
  const records = [];
  for (let seed = 1; records.length < n; seed++) {
    records.push(...pkg.generateNetwork({ seed, accounts: 600 }).records);
  }
  const cols = ['record_id', 'account_id', 'platform', 'date', 'impressions', 'clicks', 'spend', 'conversions',
    'niche', 'hook_type', 'cta_style', 'visual_tags', 'format', 'duration_s', 'posting_hour', 'headline', 'body', 'campaign_colour'];
  const esc = (v) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.join(',')];
  const bad = new Map(); // line -> expected field
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const row = {
      record_id: `sim-${i}`, account_id: r.account_id, platform: r.platform, date: r.date_start,
      impressions: r.impressions, clicks: r.clicks, spend: r.spend.toFixed(2), conversions: r.conversions,
      // Half the rows declare their niche; the page detects the rest from the copy.
      niche: i % 2 === 0 ? r.niche : '', hook_type: r.hook_type, cta_style: r.cta_style,
      visual_tags: r.visual_tags.join('|'), format: r.format, duration_s: r.duration_s, posting_hour: r.posting_hour,
      headline: r.headline, body: r.body, campaign_colour: 'blue',
    };
    const line = i + 2;
    if (i % 270 === 13) { row.clicks = r.impressions + 5; bad.set(line, 'clicks'); }
    else if (i % 270 === 77) { row.platform = 'myspace'; bad.set(line, 'platform'); }
    else if (i % 270 === 150) { row.impressions = -5; bad.set(line, 'impressions'); }
    else if (i % 270 === 201) { row.posting_hour = 25; bad.set(line, 'posting_hour'); }
    lines.push(cols.map((c) => esc(row[c])).join(','));
  }
  return { text: lines.join('\n') + '\n', bad };
}

describe('ad editor in Chromium', () => {
  let worker;
  let browser;
  let context;
  let page;
  const requests = [];
  let release; // the release set the page should resolve for fitness
  let pageModel; // the CTR model the page should score fitness drafts with

  before(async () => {
    assert.ok(existsSync(path.join(ROOT, 'dist', 'snapshot-release.json')), 'run scripts/build-dist.sh first (dist/snapshot-release.json)');
    mkdirSync(SHOTS, { recursive: true });
    worker = await startWorker();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    context.on('request', (r) => requests.push(r.url()));
    page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${worker.url}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.deepEqual(errors, []);

    const live = await (await fetch(`${worker.url}${WISDOM_PATH}`)).json();
    const snapshot = await (await fetch(`${worker.url}/snapshot-release.json`)).json();
    assert.equal(snapshot.simulated, true);
    const liveFitness = wisdomLib.publishedNiches(live).find((w) => w.niche === 'fitness');
    release = liveFitness
      ? { source: 'live', wisdom: liveFitness }
      : { source: 'snapshot', wisdom: wisdomLib.publishedNiches(snapshot).find((w) => w.niche === 'fitness') };
    assert.ok(release.wisdom, 'neither the Worker nor the snapshot has a fitness release');
    // The page scores with the grounded model on the release's base rates (for fitness, the
    // fitness release's CTR distribution per platform).
    const rates = release.wisdom.platforms
      .filter((p) => p.ctr && ['meta', 'tiktok', 'google_ads'].includes(p.platform))
      .map((p) => ({ niche: 'fitness', platform: p.platform, p10: p.ctr.p10, p50: p.ctr.p50, p90: p.ctr.p90, accounts: p.accounts, release_id: 'test' }));
    assert.ok(rates.some((r) => r.platform === 'meta'), 'the fitness release has no Meta CTR');
    pageModel = ctrModel.withReleasedRates(rates);
  });

  after(async () => {
    await browser?.close();
    await worker?.stop();
  });

  test('the page type-checks against the package (tsc, JSDoc @ts-check)', async () => {
    const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc');
    for (const project of ['tests/www', 'tests/www/tsconfig.workers.json']) {
      await new Promise((resolve, reject) => {
        execFile(tsc, ['-p', project], { cwd: ROOT }, (err, stdout) => (err ? reject(new Error(`tsc -p ${project}:\n${stdout}`)) : resolve()));
      });
    }
  });

  test('fitness copy: niche, CTR equal to the package, benchmark, recommendations citing the release', async () => {
    // The page opens on an example draft: clear it first.
    await page.fill('#headline', '');
    await page.fill('#body', '');
    await page.type('#headline', HEADLINE);
    await page.type('#body', BODY);
    const niche = await page.getAttribute('#niche-name', 'data-niche');
    assert.equal(niche, 'fitness');

    const creative = expectedCreative(HEADLINE, BODY);
    assert.equal(creative.niche, 'fitness');
    const want = pageModel.predict(creative);
    const shown = Number(await page.getAttribute('#ctr', 'data-ctr'));
    assert.equal(shown, want.ctr, 'the page and the package score the same creative identically');
    assert.equal(await page.textContent('#ctr'), `${(want.ctr * 100).toFixed(2)} %`);
    assert.equal(await page.textContent('#ctr-interval'), `95 % interval ${(want.low * 100).toFixed(2)} % – ${(want.high * 100).toFixed(2)} %`);
    // The "based on" line: the real creatives behind the model, no own records yet.
    assert.equal(await page.getAttribute('#ctr-basis', 'data-own'), '0');
    assert.match(await page.textContent('#ctr-basis'), new RegExp(`^Based on ${ctrModel.realCreatives} real creatives`));
    assert.match(await page.getAttribute('#ctr-basis', 'data-release'), new RegExp(`^fitness/${release.wisdom.period}`));
    assert.match(await page.textContent('#model-info'), /REAL creatives/);

    // Benchmark: the same percentile rule on the release's meta CTR quantiles.
    const bench = wisdomLib.platformCtr(release.wisdom, 'meta');
    const p = wisdomLib.percentileOf(bench.ctr, want.ctr);
    assert.equal(Number(await page.getAttribute('#percentile', 'data-percentile')), p);
    const label = { above: 'Above average', average: 'Average', below: 'Below average' }[wisdomLib.percentileLabel(p)];
    assert.equal(await page.textContent('#percentile-label'), label);
    assert.equal(await page.textContent('#score'), (p / 100).toFixed(2));
    const status = await page.textContent('#wisdom-status');
    if (release.source === 'snapshot') assert.match(status, /SIMULATED snapshot/);

    // Recommendations, each citing a published lift of the resolved release exactly; one voice:
    // each one's stated change is the model's prediction for the changed draft, none lowers the
    // CTR, and they come in the model's order. Together with the ones the model refused, the
    // release offers at least 3.
    const recs = await page.$$eval('#recommendations li', (lis) => lis.map((li) => ({ ...li.dataset, text: li.textContent })));
    const lowered = Number(await page.getAttribute('#recs-note', 'data-lowered'));
    assert.ok(recs.length + lowered >= 3, `only ${recs.length} recommendations and ${lowered} refused`);
    assert.ok(recs.length >= 1, 'no recommendation');
    let previous = Infinity;
    for (const r of recs) {
      const variant = creativeLib.applyPattern(creative, r.attribute, r.value);
      const predicted = pageModel.predict(variant).ctr;
      assert.equal(Number(r.variantCtr), predicted, `${r.attribute}=${r.value}: the stated change is not the model's`);
      assert.ok(predicted >= want.ctr, `${r.attribute}=${r.value} lowers the predicted CTR`);
      assert.ok(predicted <= previous, 'not in the model\'s order');
      previous = predicted;
      if (predicted > want.ctr) assert.match(r.text, new RegExp(`Predicted for this ad: ${(want.ctr * 100).toFixed(2)} % → ${(predicted * 100).toFixed(2)} %`));
    }
    for (const r of recs) {
      const lift = release.wisdom.lifts.find((l) => l.attribute === r.attribute && l.value === r.value);
      assert.ok(lift, `recommendation ${r.attribute}=${r.value} is not a pattern of the release`);
      assert.equal(Number(r.lift), lift.lift);
      assert.equal(Number(r.accounts), lift.accounts);
      assert.equal(r.release, `fitness/${release.wisdom.period}`);
      assert.ok(lift.lift > 1);
      assert.match(r.text, new RegExp(`based on ${lift.accounts} accounts`));
      assert.match(r.text, /in Fitness/);
    }
    await page.screenshot({ path: path.join(SHOTS, 'editor.png'), fullPage: false });
    await page.locator('#chart').screenshot({ path: path.join(SHOTS, 'chart.png') });
    const marker = await page.textContent('#chart .marker-label');
    assert.equal(marker, `This ad: ${(want.ctr * 100).toFixed(want.ctr < 0.01 ? 2 : 1)} %`);
  });

  test('changing the hook changes the score and the recommendations; variants side by side', async () => {
    const recsNow = () => page.$$eval('#recommendations li', (lis) => lis.map((li) => `${li.dataset.attribute}=${li.dataset.value}`));
    const changesNow = () => page.$$eval('#recommendations li', (lis) => lis.map((li) => li.dataset.variantCtr));
    const before = {
      ctr: await page.getAttribute('#ctr', 'data-ctr'),
      recs: await recsNow(),
      changes: await changesNow(),
    };
    await page.click('#add-variant');
    // Take the first recommended hook (a pattern of the release), else any other hook.
    const hookRec = before.recs.find((r) => r.startsWith('hook_type='));
    const currentHook = expectedCreative(HEADLINE, BODY).hook_type;
    const newHook = hookRec ? hookRec.split('=')[1] : currentHook === 'question' ? 'offer' : 'question';
    await page.selectOption('#hook', newHook);
    const after = {
      ctr: await page.getAttribute('#ctr', 'data-ctr'),
      recs: await recsNow(),
      changes: await changesNow(),
    };
    assert.notEqual(after.ctr, before.ctr, 'the score did not change with the hook');
    // The list, or the model's predicted change of each item for the new draft, follows the hook.
    assert.notDeepEqual([after.recs, after.changes], [before.recs, before.changes], 'the recommendations did not change with the hook');
    if (hookRec) assert.notDeepEqual(after.recs, before.recs, 'the recommended hook is still listed');
    assert.ok(!after.recs.includes(`hook_type=${newHook}`), 'the hook now used is still recommended');
    const want = pageModel.predict(expectedCreative(HEADLINE, BODY, { hook_type: newHook }));
    assert.equal(Number(after.ctr), want.ctr);
    await page.click('#add-variant');
    const heads = await page.$$eval('#compare thead th', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(heads, ['', 'Variant A', 'Variant B']);
    const ctrRow = await page.$$eval('#compare tbody tr', (trs) => {
      const tr = trs.find((t) => t.querySelector('th')?.textContent === 'Predicted CTR');
      return tr ? [...tr.querySelectorAll('td')].map((td) => td.textContent) : [];
    });
    assert.equal(ctrRow.length, 2);
    assert.match(ctrRow[0], new RegExp(`^${(Number(before.ctr) * 100).toFixed(2)} %`));
    assert.match(ctrRow[1], new RegExp(`^${(want.ctr * 100).toFixed(2)} %`));
    await page.locator('#compare').screenshot({ path: path.join(SHOTS, 'variants.png') });
  });

  test('copy fields follow each platform\'s anatomy; the hook is read from what it shows first', async () => {
    const visible = () => page.$$eval('#copy-fields [data-copy]', (ws) => ws.filter((w) => !w.hidden).map((w) => w.dataset.copy));
    assert.deepEqual(await visible(), ['body', 'headline', 'description']);
    assert.match(await page.textContent('#body-label'), /Primary text \(shown first\)/);
    // Meta: the headline is read only when there is no primary text.
    await page.fill('#body', '');
    await page.fill('#headline', 'Tired of dull, dry skin?');
    assert.equal(await page.getAttribute('#hook-readout', 'data-hook'), 'pain_point');
    assert.match(await page.textContent('#hook-readout'), /read from the headline: .*Tired of dull, dry skin\?/);
    await page.fill('#body', 'Over 10,000 happy customers. Shop now.');
    assert.equal(await page.getAttribute('#hook-readout', 'data-hook'), 'social_proof');
    assert.equal(await page.getAttribute('#cta-readout', 'data-cta'), 'shop_now');

    // Search: headlines and descriptions, the first headline shown first.
    await page.selectOption('#platform', 'google_ads');
    assert.deepEqual(await visible(), ['headlines', 'descriptions']);
    await page.fill('#headlines', 'Still paying too much for car insurance?\nCompare 40 insurers');
    await page.fill('#descriptions', 'Get a quote in 2 minutes.');
    const want = copyReader.readPlatformCopy({
      platform: 'google_ads',
      headlines: ['Still paying too much for car insurance?', 'Compare 40 insurers'],
      descriptions: ['Get a quote in 2 minutes.'],
    });
    assert.equal(want.attributes.hook_type, 'pain_point');
    assert.equal(await page.getAttribute('#hook-readout', 'data-hook'), want.attributes.hook_type);
    assert.equal(await page.getAttribute('#cta-readout', 'data-cta'), 'get_quote');
    assert.match(await page.textContent('#hook-readout'), /read from headline 1/);
    // The score uses what was read (the hook and CTA selects are on "Auto").
    assert.equal(await page.$eval('#hook option', (o) => o.textContent), 'Auto: Pain point');
    assert.equal(await page.$eval('#cta option', (o) => o.textContent), 'Auto: Get quote');
    // More headlines than a search ad takes is a named error on the page.
    await page.fill('#headlines', Array.from({ length: 16 }, (_, i) => `Headline ${i}`).join('\n'));
    assert.match(await page.textContent('#editor-error'), /copy\.headlines: a search ad takes at most 15 headlines/);

    // TikTok: one ad text.
    await page.selectOption('#platform', 'tiktok');
    assert.deepEqual(await visible(), ['body']);
    await page.fill('#body', '5 ways to save on your electric bill');
    assert.equal(await page.getAttribute('#hook-readout', 'data-hook'), 'number_list');
    await page.screenshot({ path: path.join(SHOTS, 'anatomy-tiktok.png'), fullPage: false });
    await page.selectOption('#platform', 'meta');
    await page.fill('#headline', HEADLINE);
    await page.fill('#body', BODY);
  });

  test('keystroke-to-score latency over 200 edits', async () => {
    await page.evaluate(() => {
      window.__editorPerf.latencies.length = 0;
    });
    await page.fill('#body', '');
    await page.focus('#body');
    const text = `${BODY} ${BODY}`.slice(0, 200);
    const updatesBefore = await page.evaluate(() => window.__editorPerf.updates);
    await page.keyboard.type(text);
    const { latencies, updates } = await page.evaluate(() => ({ latencies: [...window.__editorPerf.latencies], updates: window.__editorPerf.updates }));
    // One update per keystroke (fill('') above adds one input event before the 200).
    assert.ok(latencies.length >= 200, `${latencies.length} edits measured`);
    assert.ok(updates - updatesBefore >= 200);
    const last = latencies.slice(-200);
    const p50 = quantile(last, 0.5);
    const p95 = quantile(last, 0.95);
    console.log(`editor-bench: ${JSON.stringify({ metric: 'keystroke_to_score_ms', edits: last.length, p50: +p50.toFixed(2), p95: +p95.toFixed(2), max: +Math.max(...last).toFixed(2) })}`);
    // The goal is p95 <= 16 ms (one frame); the assertion leaves room for a loaded CI machine.
    assert.ok(p95 <= 50, `p95 ${p95.toFixed(1)} ms`);
    assert.equal(await page.getAttribute('#niche-name', 'data-niche'), 'fitness');
  });

  test('a 10,000-row CSV: progress, accepted/rejected counts, bad rows listed, sort, filter, export', async () => {
    const { text, bad } = makeCsv(10_000);
    const ctrBefore = await page.getAttribute('#ctr', 'data-ctr');
    // Record every progress text the page shows while it works.
    await page.evaluate(() => {
      window.__progressTexts = [];
      const t = document.getElementById('progress-text');
      new MutationObserver(() => window.__progressTexts.push(t.textContent)).observe(t, { childList: true, characterData: true, subtree: true });
    });
    await page.setInputFiles('#csv-file', { name: 'creatives.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });
    await page.waitForFunction(() => window.__importPerf !== undefined, null, { timeout: 120_000 });
    const stats = await page.evaluate(() => window.__importPerf);
    console.log(`editor-bench: ${JSON.stringify({ metric: 'csv_10000_rows_ms', parse: Math.round(stats.parseMs), score: Math.round(stats.scoreMs), total: Math.round(stats.totalMs), personalise: Math.round(stats.personalMs), progressEvents: stats.progressEvents })}`);
    assert.equal(stats.rows, 10_000);
    assert.equal(stats.rejected, bad.size);
    assert.equal(stats.accepted, 10_000 - bad.size);
    assert.equal(await page.textContent('#import-accepted'), (10_000 - bad.size).toLocaleString('en-US'));
    assert.equal(await page.textContent('#import-rejected'), String(bad.size));
    const progressTexts = await page.evaluate(() => window.__progressTexts);
    const scoringSteps = new Set(progressTexts.filter((t) => /^Scoring [\d,]+ of/.test(t)));
    assert.ok(scoringSteps.size >= 5, `progress shown ${scoringSteps.size} times: ${[...scoringSteps].join(' | ')}`);
    assert.ok(stats.progressEvents >= 19);

    // Every bad row is listed with its line and the field at fault; the unknown column is reported.
    const listed = await page.$$eval('#rejected tbody tr', (trs) => trs.map((tr) => ({ line: Number(tr.cells[0].textContent), reasons: tr.cells[2].textContent })));
    assert.equal(listed.length, bad.size);
    for (const { line, reasons } of listed) {
      assert.ok(bad.has(line), `line ${line} was rejected but is not one of the bad rows`);
      assert.match(reasons, new RegExp(`^${bad.get(line)}:`));
    }
    assert.match(await page.textContent('#import-summary'), /campaign_colour/);
    // The import personalises the page's model with the file's results, on the device, and the
    // page says so: the same draft now scores differently.
    assert.match(await page.textContent('#progress-text'), /personalised with [\d,]+ of your own results/);
    const own = Number(await page.getAttribute('#ctr-basis', 'data-own'));
    assert.ok(own > 0 && own <= stats.accepted, `own records ${own}`);
    assert.match(await page.textContent('#ctr-basis'), new RegExp(`your own records: ${own}, used on this device only`));
    assert.notEqual(await page.getAttribute('#ctr', 'data-ctr'), ctrBefore, 'the import did not change the prediction');
    await page.locator('section:has(#import-title)').screenshot({ path: path.join(SHOTS, 'import.png') });

    // Sort by predicted CTR (descending by default, then ascending on a second click).
    const predicted = () => page.$$eval('#scored tbody tr', (trs) => trs.map((tr) => parseFloat(tr.cells[7].textContent)));
    await page.click('#scored button[data-key="actual_ctr"]');
    await page.click('#scored button[data-key="predicted_ctr"]');
    let col = await predicted();
    assert.equal(col.length, 200);
    assert.ok(col.every((v, i) => i === 0 || col[i - 1] >= v), 'not sorted descending');
    await page.click('#scored button[data-key="predicted_ctr"]');
    col = await predicted();
    assert.ok(col.every((v, i) => i === 0 || col[i - 1] <= v), 'not sorted ascending');
    // Filter by platform.
    await page.selectOption('#filter-platform', 'tiktok');
    const platforms = await page.$$eval('#scored tbody tr', (trs) => [...new Set(trs.map((tr) => tr.cells[1].textContent))]);
    assert.deepEqual(platforms, ['TikTok']);
    // Export what the filter shows: a header and one line per matching row.
    const count = Number((await page.textContent('#table-count')).split(' ')[0].replace(/,/g, ''));
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(exported.length, count + 1);
    assert.match(exported[0], /^record_id,platform,niche,niche_source,hook_type,cta_style,format,impressions,clicks,actual_ctr,predicted_ctr,percentile,benchmark/);
    assert.ok(exported.slice(1).every((l) => l.split(',')[1] === 'tiktok'));
  });

  test('explore: randomised briefs drawn in the page download as a CSV that imports as randomised records', async () => {
    await page.selectOption('#explore-platform', 'tiktok');
    await page.fill('#explore-count', '4');
    await page.uncheck('#explore-image');
    await page.click('#explore-go');
    const items = await page.$$eval('#explore-briefs li', (lis) => lis.map((li) => ({ hook: li.dataset.hook, cta: li.dataset.cta, text: li.textContent })));
    assert.equal(items.length, 4);
    assert.ok(items.every((i) => creativeLib.HOOKS.includes(i.hook) && i.hook !== 'other'), JSON.stringify(items));
    assert.ok(items.every((i) => /post at \d\d:00/.test(i.text) && /Video, \d+–\d+ s/.test(i.text)), JSON.stringify(items));
    assert.match(await page.textContent('#explore-status'), /4 briefs drawn at random/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#explore-download')]);
    // The advertiser fills in the account, each ad's copy and results (the file leaves them empty).
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(lines.length, 5);
    assert.ok(lines.slice(1).every((l) => l.endsWith(',randomised,,,,,')), lines.join('\n'));
    const filled = [lines[0], ...lines.slice(1).map((l) => l.replace(/^([^,]*),,/, '$1,acme,').replace(/,,,,,$/, ',,New range,1000,20,5.5'))].join('\n');
    const report = pkg.importCsv(new TextEncoder().encode(filled));
    assert.equal(report.accepted.length, 4, JSON.stringify(report.rejected));
    assert.ok(report.accepted.every((r) => r.assignment === 'randomised' && r.platform === 'tiktok' && r.format === 'video'));
    assert.deepEqual(report.accepted.map((r) => r.hook_type), items.map((i) => i.hook));
    // Nothing was sent: drawing is local (the request log test below checks every request).
    await page.check('#explore-image');
  });

  test('works offline after the first load (service worker), saying the Worker is unreachable', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready);
    await context.setOffline(true);
    try {
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
      await page.fill('#headline', '');
      await page.fill('#body', '');
      await page.type('#headline', HEADLINE);
      await page.type('#body', 'Home workout plans and protein guides for strength training.');
      assert.equal(await page.getAttribute('#niche-name', 'data-niche'), 'fitness');
      assert.ok(Number(await page.getAttribute('#ctr', 'data-ctr')) > 0);
      assert.match(await page.textContent('#wisdom-status'), /unreachable/);
      assert.deepEqual(errors, []);
    } finally {
      await context.setOffline(false);
    }
  });

  test('the request log has only the Worker\'s static, wisdom (releases, release status) and model routes', () => {
    assert.ok(requests.length > 5);
    const origin = new URL(worker.url).origin;
    for (const u of requests) {
      const url = new URL(u);
      if (url.protocol === 'blob:' || url.protocol === 'data:') continue;
      assert.equal(url.origin, origin, `request to another host: ${u}`);
      if (url.pathname.startsWith('/api/')) {
        // The release status (public, one KV read) says why a niche has no benchmark.
        assert.ok(url.pathname === WISDOM_PATH || url.pathname === STATS_PATH || url.pathname.startsWith('/api/models/'), `unexpected API call: ${u}`);
      } else {
        assert.notEqual(url.pathname, '/health');
      }
    }
    assert.ok(requests.some((u) => new URL(u).pathname === WISDOM_PATH), 'the page never fetched the wisdom');
  });
});
