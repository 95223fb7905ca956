// One journey across the whole system, as a user with exports of newer ad networks takes it:
//
//   1. A Microsoft Advertising (Bing) and an X export (the constructed samples in
//      tests/data/imports, built from the platforms' documented columns) are imported, get their
//      niches and are scored by the native CLI, the npm package (pkg/, wasm) and the Worker's CSV
//      upload — with the same records, niches and scores in all three.
//   2. The Bing account's records are pushed to its Worker account with `crosslearn push
//      --niche auto`, the account opts in beside a few other (made-up) accounts of its niche, the
//      operator publishes, and a NEW account of that niche gets advice citing the release while
//      the pushing account's dashboard compares it with the release.
//
//   bash scripts/build-pkg.sh && bash scripts/build-worker.sh && bash scripts/build-dist.sh \
//     && node --test tests/e2e/journey.test.mjs
//
// The CLI is built here with cargo (debug profile; a no-op when it is up to date).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, request, startWorker } from './lib/wrangler.mjs';

const OPERATOR = `op_${randomBytes(16).toString('hex')}`;
// A functional journey, not a privacy test: as in lifecycle.test.mjs, k 3 and epsilon 1000 per
// release make the release noise negligible, so a network of a few accounts gives the new account
// advice deterministically (the gates and noise at production settings are tested in
// publish/format2/demo tests and in the core).
// The per-account total cap is raised to match (one release at epsilon 1000 would pass the
// default of 10, and the Worker refuses such a config by name).
const RELEASE_CONFIG = { k: 3, epsilon: 1000, budget_per_window: 4000, privacy_budget: { epsilon_cap: 1e6 } };
const SAMPLES = path.join(ROOT, 'tests', 'data', 'imports');
const PKG = path.join(ROOT, 'pkg');
const FILES = ['bing_ad_performance_us.csv', 'x_ads_manager_export.csv'];

function cliBinary() {
  execFileSync('cargo', ['build', '--quiet', '-p', 'crosslearn-cli'], { cwd: ROOT, stdio: 'inherit' });
  const meta = JSON.parse(
    execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
  const bin = path.join(meta.target_directory, 'debug', 'crosslearn');
  assert.ok(existsSync(bin), bin);
  return bin;
}

/** Parses the CLI's scored CSV (RFC 4180 quoting) into objects keyed by the header. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** The text the CLI reads a niche from (cli/src/input.rs `ad_text`). */
const adText = (r) => {
  const h = r.headline.trim();
  const b = r.body.trim();
  if (h && b) return `${h}\n${b}`;
  return h || b;
};

/** The fields every surface must agree on, from either record shape. */
const essentials = (r) => ({
  record_id: r.record_id,
  impressions: Number(r.impressions),
  clicks: Number(r.clicks),
  spend: Number(r.spend ?? 0),
  currency: r.currency ?? null,
  headline: r.headline ?? '',
  body: r.body ?? '',
  hook_type: r.hook_type,
  cta_style: r.cta_style,
});

let bin;
let cl;
let worker;
let dir;
before(async () => {
  // Build the CLI before the Worker starts (the build blocks this process's event loop).
  bin = cliBinary();
  cl = await import(path.join(PKG, 'crosslearn.js'));
  cl.initSync({ module: readFileSync(path.join(PKG, 'crosslearn_bg.wasm')) });
  worker = await startWorker({ vars: { OPERATOR_TOKEN: OPERATOR, RELEASE_CONFIG: JSON.stringify(RELEASE_CONFIG) } });
  dir = mkdtempSync(path.join(tmpdir(), 'crosslearn-journey-'));
});
after(async () => {
  await worker?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (...args) => execFileSync(bin, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const call = (method, route, token, body, headers = {}) =>
  request(`${worker.url}${route}`, {
    method,
    body,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });

async function createAccount(id) {
  const r = await call('POST', '/api/accounts', OPERATOR, { account_id: id });
  assert.equal(r.status, 201, r.text);
  return r.json.token;
}

test('Bing and X exports: the CLI, the npm package and the Worker import, detect and score them alike', async () => {
  const nicheModel = cl.NicheModel.load(readFileSync(path.join(PKG, 'models', 'niche-v2.bin')));
  const ctrModel = cl.GroundedCtr.fromJson(readFileSync(path.join(PKG, 'models', 'ctr-grounded-v1.json'), 'utf8'));
  for (const [n, name] of FILES.entries()) {
    const file = path.join(SAMPLES, name);
    const bytes = readFileSync(file);

    // Import: the CLI's records JSON and the npm package's report hold the same records.
    const viaCli = JSON.parse(cli('import', file, '--to', 'records-json')).records;
    const viaNpm = cl.importCsv(bytes);
    assert.equal(viaNpm.rejected.length, 0, name);
    assert.ok(viaCli.length >= 4, name);
    assert.deepEqual(viaNpm.accepted.map(essentials), viaCli.map(essentials), name);

    // Niche: per ad and per account, the same answer from the CLI and the npm package.
    const [account] = JSON.parse(cli('niche', '--file', file, '--json'));
    const texts = viaNpm.accepted.map(adText);
    for (const [i, ad] of account.ads.entries()) {
      assert.equal(ad.record_id, viaNpm.accepted[i].record_id);
      const d = nicheModel.detect(texts[i]);
      assert.equal(d.niche, ad.detection.niche, `${name} ${ad.record_id}`);
      assert.ok(Math.abs(d.confidence - ad.detection.confidence) < 1e-9, `${name} ${ad.record_id}`);
    }
    const acc = cl.accountNiche(nicheModel, null, texts);
    assert.equal(acc.niche, account.account.niche, name);

    // Score: one model on three surfaces. The CLI's scored CSV and the Worker's
    // /api/ctr/score (grounded, no release published yet) equal the npm package's grounded
    // model on the same creative (the CSV prints 6 decimals; the Worker's JSON is exact).
    const scored = parseCsv(cli('score', file));
    assert.equal(scored.length, viaNpm.accepted.length);
    const creatives = viaNpm.accepted.map((r, i) => {
      const detected = nicheModel.detect(texts[i]).niche;
      return {
        platform: r.platform,
        niche: r.niche ?? (detected === 'unknown' ? null : detected),
        hook_type: r.hook_type,
        cta_style: r.cta_style,
        visual_tags: r.visual_tags ?? [],
        format: r.format,
        duration_s: r.duration_s ?? null,
        posting_hour: r.posting_hour ?? null,
      };
    });
    const viaWorker = await call('POST', '/api/ctr/score', null, { model: 'grounded', creatives });
    assert.equal(viaWorker.status, 200, viaWorker.text);
    assert.equal(viaWorker.json.model.kind, 'grounded');
    assert.deepEqual(viaWorker.json.model.releases, []);
    for (const [i, r] of viaNpm.accepted.entries()) {
      const row = scored[i];
      assert.equal(row.record_id, r.record_id);
      assert.equal(row.niche, creatives[i].niche ?? 'unknown');
      const s = ctrModel.predict(creatives[i]);
      for (const [k, v] of [['predicted_ctr', s.ctr], ['predicted_ctr_low', s.low], ['predicted_ctr_high', s.high]]) {
        assert.ok(Math.abs(Number(row[k]) - v) <= 5e-7 + 1e-12, `${name} ${r.record_id} ${k}: ${row[k]} vs ${v}`);
      }
      assert.deepEqual(viaWorker.json.scores[i], { ctr: s.ctr, low: s.low, high: s.high }, `${name} ${r.record_id}`);
    }

    // Worker: the CSV upload stores the same records (ids included) in the account.
    const id = `journey-upload-${n}`;
    const token = await createAccount(id);
    const up = await call('POST', `/api/accounts/${id}/records`, token, bytes.toString('utf8'), { 'content-type': 'text/csv; charset=utf-8' });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.stored, viaCli.length, up.text);
    const ex = await call('GET', `/api/accounts/${id}/export`, token);
    assert.equal(ex.status, 200, ex.text);
    const stored = [...ex.json.records].sort((a, b) => a.record_id.localeCompare(b.record_id));
    const expected = [...viaCli].sort((a, b) => a.record_id.localeCompare(b.record_id));
    assert.deepEqual(stored.map(essentials), expected.map(essentials), name);

    // The account's own scores: the same grounded model personalised in the Worker on the
    // records it just stored (its token only).
    const mine = await call('POST', `/api/accounts/${id}/ctr/score`, token, { creatives });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.personalisation.records, viaCli.length);
    assert.ok(mine.json.personalisation.used > 0, mine.text);
    assert.equal(mine.json.personalisation.unchanged_reason, null);
    assert.equal(mine.json.scores.length, creatives.length);
    assert.notDeepEqual(mine.json.scores, viaWorker.json.scores, 'personalised on the account');
    const other = await call('POST', `/api/accounts/journey-upload-${1 - n}/ctr/score`, token, { creatives });
    assert.ok(other.status === 403 || other.status === 404, other.text);
  }
});

test('import → niche → push → opt in → publication → a new account\'s advice and dashboard', async () => {
  const file = path.join(SAMPLES, FILES[0]);
  const [detected] = JSON.parse(cli('niche', '--file', file, '--json'));
  const niche = detected.account.niche;
  assert.notEqual(niche, 'unknown');

  // Push the export to its account; --niche auto declares the detected account niche.
  const me = 'journey-bing';
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${await createAccount(me)}\n`);
  const out = cli('push', file, '--url', worker.url, '--account', me, '--token-file', tokenFile, '--niche', 'auto', '--state', path.join(dir, 'state.json'));
  assert.match(out, /accepted/);
  const myToken = readFileSync(tokenFile, 'utf8').trim();
  const mine = await call('GET', `/api/accounts/${me}/export`, myToken);
  assert.equal(mine.json.records.length, detected.ads.length, mine.text);
  assert.ok(mine.json.records.every((r) => r.niche === niche), mine.text);
  assert.equal((await call('PUT', `/api/accounts/${me}/consent`, myToken, { opted_in: true })).json.opted_in, true);

  // Other opted-in accounts of the same niche (made-up records: question hooks click best).
  const CONTRIBUTORS = 8;
  const hooks = ['question', 'pain_point', 'offer', 'social_proof'];
  for (let a = 0; a < CONTRIBUTORS; a++) {
    const id = `journey-net-${a}`;
    const token = await createAccount(id);
    const records = Array.from({ length: 12 }, (_, i) => ({
      record_id: `r${i}`,
      campaign_id: `c${i % 3}`,
      platform: 'google_ads',
      niche,
      hook_type: hooks[i % 4],
      cta_style: 'shop_now',
      format: 'image',
      posting_hour: 9 + (i % 3),
      impressions: hooks[i % 4] === 'question' ? 40000 : 20000,
      clicks: hooks[i % 4] === 'question' ? 1200 : 300,
      conversions: 20,
      spend: 150,
      revenue: 600,
    }));
    const ing = await call('POST', `/api/accounts/${id}/records`, token, { records });
    assert.equal(ing.json.stored, 12, ing.text);
    assert.equal((await call('PUT', `/api/accounts/${id}/consent`, token, { opted_in: true })).json.opted_in, true);
  }

  const pub = await call('POST', '/api/admin/publish', OPERATOR, { at_ms: Date.now() });
  assert.equal(pub.status, 200, pub.text);
  assert.ok(pub.json.published.includes(niche), pub.text);

  // A new account of that niche: advice citing the release, from the network's evidence.
  const newbie = 'journey-new';
  const newToken = await createAccount(newbie);
  const advice = await call('POST', '/api/cross-learning/apply-wisdom', newToken, { account_id: newbie, niche });
  assert.equal(advice.status, 200, advice.text);
  assert.equal(advice.json.success, true, advice.text);
  assert.equal(advice.json.niche, niche);
  assert.ok(advice.json.recommendations.items.length > 0, advice.text);
  for (const item of advice.json.recommendations.items) assert.equal(item.evidence.release_id, advice.json.release_id);
  assert.ok(advice.json.recommendations.based_on_accounts >= CONTRIBUTORS, advice.text);

  // The pushing account's dashboard compares it with the release of its niche.
  const d = await call('GET', `/api/cross-learning/dashboard/${me}`, myToken);
  assert.equal(d.status, 200, d.text);
  assert.equal(d.json.niche.category, niche, d.text);
  assert.equal(d.json.niche.release_id, advice.json.release_id);
  // The new account has no records yet: a dashboard with notes, not an error.
  const empty = await call('GET', `/api/cross-learning/dashboard/${newbie}`, newToken);
  assert.equal(empty.status, 200, empty.text);
  assert.ok(empty.json.notes.length > 0, empty.text);
});
