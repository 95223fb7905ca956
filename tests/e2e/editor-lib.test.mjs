// The ad editor's pure modules (www/lib/wisdom.js, www/lib/creative.js, www/lib/advice.js) in Node: the rules the
// page applies to releases and creatives, without a browser. Fast; no Worker needed.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './lib/wrangler.mjs';

const w = await import(path.join(ROOT, 'www', 'lib', 'wisdom.js'));
const c = await import(path.join(ROOT, 'www', 'lib', 'creative.js'));
const a = await import(path.join(ROOT, 'www', 'lib', 'advice.js'));

const q = { mean: 0.012, p10: 0.005, p25: 0.008, p50: 0.012, p75: 0.018, p90: 0.025 };
const release = (niche, period, published = true) => ({
  niche, period, published, platforms: [{ platform: 'meta', accounts: 9, ctr: q, conversion_rate: null, roas: null }],
  privacy: { cadence_days: 28 }, lifts: [],
});

test('percentileOf: exact at the released quantiles, monotone between, clamped to 1..99', () => {
  assert.equal(w.percentileOf(q, q.p10), 10);
  assert.equal(w.percentileOf(q, q.p50), 50);
  assert.equal(w.percentileOf(q, q.p90), 90);
  const mid = w.percentileOf(q, Math.sqrt(q.p25 * q.p50)); // geometric midpoint: linear in ln
  assert.ok(Math.abs(mid - 37.5) < 1e-9, String(mid));
  let last = 0;
  for (let ctr = 0.0005; ctr < 0.1; ctr *= 1.1) {
    const p = w.percentileOf(q, ctr);
    assert.ok(p >= last && p >= 1 && p <= 99);
    last = p;
  }
  assert.equal(w.percentileOf(q, 1e-6), 1);
  assert.equal(w.percentileOf(q, 0.9), 99);
  assert.equal(w.percentileOf(q, 0), null);
  assert.equal(w.percentileOf({ ...q, p10: 0 }, 0.01), null);
  assert.deepEqual([w.percentileLabel(60), w.percentileLabel(59.9), w.percentileLabel(40), w.percentileLabel(40.1)], ['above', 'average', 'below', 'average']);
});

test('releases: published only, live before snapshot, staleness by period', () => {
  assert.deepEqual(w.publishedNiches({ niches: [release('fitness', 1), release('beauty', 1, false)] }).map((r) => r.niche), ['fitness']);
  assert.deepEqual(w.publishedNiches({ success: false }), []);
  assert.deepEqual(w.publishedNiches(null), []);
  // Versioned: format 1 with or without `version` is read; another format in the list is skipped.
  const v2 = { version: 2, niche: 'travel', release_id: '7/travel', published: true, values: [] };
  const mixed = { niches: [{ ...release('fitness', 1), version: 1 }, release('beauty', 1), v2], format: 2, posteriors: [v2] };
  assert.deepEqual(w.publishedNiches(mixed).map((r) => r.niche), ['fitness', 'beauty']);
  // ...and the format-2 posteriors are read beside them (a cached or live copy), format 2 only.
  const posteriors = w.publishedPosteriors({ ...mixed, posteriors: [v2, { ...v2, version: 1 }, { ...v2, niche: 'beauty', published: false }] });
  assert.deepEqual(posteriors, [v2]);
  assert.deepEqual(w.publishedPosteriors({ niches: [] }), []);
  const withPosteriors = [{ source: 'live', niches: [release('travel', 7)], posteriors, asOf: null, label: null }];
  assert.equal(w.resolveWisdom(withPosteriors, 'travel').posteriors, v2);
  const sets = [
    { source: 'live', niches: [release('beauty', 700)], asOf: null, label: null },
    { source: 'snapshot', niches: [release('fitness', 741), release('beauty', 741)], asOf: '2026-11-16', label: 'SIMULATED' },
  ];
  assert.equal(w.resolveWisdom(sets, 'beauty').source, 'live');
  assert.equal(w.resolveWisdom(sets, 'beauty').posteriors, null);
  assert.equal(w.resolveWisdom(sets, 'fitness').source, 'snapshot');
  assert.equal(w.resolveWisdom(sets, 'travel'), null);
  const r = release('fitness', 741); // days [741*28, 742*28)
  const end = w.periodEnd(r).getTime();
  assert.equal(end, 742 * 28 * 86_400_000);
  assert.equal(w.isStale(r, new Date(end + 27 * 86_400_000)), false);
  assert.equal(w.isStale(r, new Date(end + 29 * 86_400_000)), true);
});

test('a pattern applied to a creative is then "already used" (every attribute)', () => {
  const base = { platform: 'meta', niche: 'fitness', hook_type: 'other', cta_style: 'none', visual_tags: [], format: 'video', duration_s: 20, posting_hour: 19 };
  const cases = [['hook_type', 'question'], ['cta_style', 'shop_now'], ['visual_tag', 'ugc'], ['posting_hour', '09-11'], ['duration', '6-15s'], ['duration', '120-600s']];
  for (const [attribute, value] of cases) {
    assert.equal(c.creativeHas(base, attribute, value), false, `${attribute}=${value}`);
    const v = c.applyPattern(base, attribute, value);
    assert.equal(c.creativeHas(v, attribute, value), true, `${attribute}=${value}`);
  }
  assert.equal(c.creativeHas(base, 'duration', '15-30s'), true);
  assert.equal(c.creativeHas(base, 'posting_hour', '18-20'), true);
  assert.equal(c.applyPattern({ ...base, format: 'image' }, 'duration', '6-15s'), null);
  assert.equal(c.liftPct(1.18), '+18 %');
  assert.equal(c.liftPct(0.9), '−10 %');
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 50].map(c.ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '50th']);
});

test('the service worker precaches every script of the page, so it loads offline', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const sw = readFileSync(path.join(ROOT, 'www', 'sw.js'), 'utf8');
  const list = sw.slice(sw.indexOf('const PRECACHE = ['), sw.indexOf('];', sw.indexOf('const PRECACHE = [')));
  const scripts = [
    ...readdirSync(path.join(ROOT, 'www')).filter((f) => f.endsWith('.js') && f !== 'sw.js').map((f) => `./${f}`),
    ...readdirSync(path.join(ROOT, 'www', 'lib')).filter((f) => f.endsWith('.js')).map((f) => `./lib/${f}`),
  ];
  assert.ok(scripts.length > 5);
  for (const s of scripts) assert.ok(list.includes(`"${s}"`), `${s} is missing from www/sw.js PRECACHE`);
});

const why = await import(path.join(ROOT, 'www', 'lib', 'why.js'));
const ex = await import(path.join(ROOT, 'www', 'lib', 'examples.js'));

test('missing wisdom says why and what would change it: platform below k, niche below k, no release', () => {
  const status = why.releaseStatus({
    releases: [
      { niche: 'beauty', release_id: 'beauty/692', period: 692, published: false },
      { niche: 'fitness', release_id: 'fitness/692', period: 692, published: true },
    ],
    privacy: { k: [50] },
  });
  assert.equal(status.releases.length, 2);
  const fitness = { ...release('fitness', 692), privacy: { cadence_days: 30, k: 50 } };
  const onTiktok = why.missingReason({ niche: 'fitness', platform: 'tiktok', wisdom: fitness, status });
  assert.match(onTiktok, /fewer than k = 50 accounts contributed on TikTok/);
  assert.match(onTiktok, /Meta has one now/);
  // The platform gate is max(k, t ln(3 / 0.05)) (core: wisdom::platform_gate): at the production
  // config's platform-count noise (t = 22.22) it is 91 accounts, and the page says so, not k.
  const prod = { ...fitness, privacy: { ...fitness.privacy, groups: [{ group: 'platform_count', noise_scale: 200 / 9 }] } };
  assert.equal(Math.ceil(why.platformGate(prod)), 91);
  assert.match(why.missingReason({ niche: 'fitness', platform: 'tiktok', wisdom: prod, status }), /fewer than 91 \(the platform gate: k = 50, raised to 91 so that the noise on the count alone cannot publish a platform\) accounts contributed on TikTok/);
  assert.equal(why.platformGate({ ...fitness, privacy: { ...fitness.privacy, groups: [{ group: 'platform_count', noise_scale: 5 }] } }), 50);
  const beauty = why.missingReason({ niche: 'beauty', platform: 'meta', wisdom: null, status });
  assert.match(beauty, /did not reach k = 50 contributing accounts/);
  assert.match(beauty, /would publish it in the next period's release/);
  const food = why.missingReason({ niche: 'food', platform: 'meta', wisdom: null, status });
  assert.match(food, /Not yet published/);
  assert.match(food, /budget/);
  assert.match(why.missingReason({ niche: 'food', platform: 'meta', wisdom: null, status: null }), /unavailable/);
  assert.equal(why.releaseStatus({ nope: 1 }), null);
  assert.equal(why.releaseStatus(null), null);
});

test('the editor opens on an example: ?example=<niche>&platform=, else fitness', () => {
  assert.equal(Object.keys(ex.EXAMPLES).length, 15);
  assert.equal(ex.exampleFromQuery('').niche, 'fitness');
  assert.equal(ex.exampleFromQuery('?example=nope').niche, 'fitness');
  const a = ex.exampleFromQuery('?example=home_decor&platform=tiktok');
  assert.equal(a.niche, 'home_decor');
  assert.equal(a.platform, 'tiktok');
  assert.equal(a.example, ex.EXAMPLES.home_decor);
  assert.equal(ex.exampleFromQuery('?example=tech&platform=myspace').platform, null);
});

test('an example fills the fields of the platform it opens on (Google Ads: headlines and descriptions)', () => {
  const e = ex.EXAMPLES.automotive;
  const g = ex.exampleCopy(e, 'google_ads');
  assert.deepEqual(g.headlines, [e.headline]);
  assert.ok(g.descriptions.length >= 2 && g.descriptions.length <= 4, JSON.stringify(g.descriptions));
  assert.equal(g.descriptions.join(' '), e.body);
  assert.deepEqual(ex.exampleCopy(e, 'meta'), { platform: 'meta', primary_text: e.body, headline: e.headline, description: '' });
  assert.deepEqual(ex.exampleCopy(e, 'tiktok'), { platform: 'tiktok', ad_text: e.body });
  assert.deepEqual(ex.exampleCopy(e, 'unknown'), { platform: 'unknown', headline: e.headline, body: e.body });
  for (const [niche, example] of Object.entries(ex.EXAMPLES)) {
    const copy = ex.exampleCopy(example, 'google_ads');
    assert.ok(copy.headlines.length === 1 && copy.descriptions.length >= 1 && copy.descriptions.length <= 4, niche);
  }
});

test('posteriorAdvice: hook, CTA and visual values of a format-2 table, lift exp(mean) with its interval', () => {
  const value = (factor, v, mean, sd, source = 'niche') => ({
    cell: { factor, platform: factor === 'format' ? 'meta' : null, value: v }, mean, sd, source, release_id: '48/fitness',
  });
  const table = {
    version: 2, niche: 'fitness', release_id: '48:fitness', published: true,
    values: [
      value('hook', 'question', 0.2, 0.05),
      value('cta', 'sign_up', -0.1, 0.2, 'global'),
      value('visual', 'ugc', 0.05, 0.1),
      value('format', 'video', 0.4, 0.1),
      value('hour', '18', 0.3, 0.1),
    ],
  };
  const r = a.posteriorAdvice(table, 'live');
  assert.deepEqual(r.items.map((i) => `${i.attribute}=${i.value}`), ['hook_type=question', 'cta_style=sign_up', 'visual_tag=ugc']);
  const [q, s, u] = r.items;
  assert.ok(Math.abs(q.lift - Math.exp(0.2)) < 1e-12);
  assert.equal(q.strength, 'strong'); // exp(0.2 - 1.96 * 0.05) > 1
  assert.equal(u.strength, 'weak');
  assert.equal(s.strength, 'weak');
  assert.match(q.cite, /^Question hooks: \+22 % CTR against the average hook choice in Fitness \(95 % interval \+11 % to \+35 %; the Fitness estimate shrunk towards all niches'; release 48\/fitness, format 2\)\.$/);
  assert.match(s.cite, /the all-niche estimate/);
  assert.deepEqual(q.data, { lift: String(Math.exp(0.2)), accounts: '', release: '48/fitness', format: '2' });
  assert.doesNotMatch(q.cite, /SIMULATED/);
  assert.match(a.posteriorAdvice(table, 'snapshot').items[0].cite, /SIMULATED/);
  // From an explorers' release: the cite says the lift comes from randomised creatives.
  const explored = { ...table, release_id: '48/fitness/explorers', values: [{ ...value('hook', 'question', 0.2, 0.05), release_id: '48/fitness/explorers' }] };
  assert.match(a.posteriorAdvice(explored, 'live').items[0].cite, /shrunk towards all niches', from exploring accounts' randomised creatives; release 48\/fitness\/explorers, format 2\)\.$/);
  assert.doesNotMatch(q.cite, /randomised/);
  // A table with no advisable value says why.
  const none = a.posteriorAdvice({ ...table, values: [value('format', 'video', 0.4, 0.1)] }, 'live');
  assert.deepEqual(none.items, []);
  assert.match(none.empty, /show no hook, CTA or visual value: none cleared its gate/);
  // Once applied, a recommended value counts as used (the page's round trip).
  const draft = { platform: 'meta', niche: 'fitness', hook_type: 'offer', cta_style: 'none', visual_tags: [], format: 'image', duration_s: null, posting_hour: null };
  for (const i of r.items) assert.ok(c.creativeHas(c.applyPattern(draft, i.attribute, i.value), i.attribute, i.value), `${i.attribute}=${i.value}`);
});

test('briefsCsv: the generic record columns, assignment randomised, video length at its bucket midpoint', async () => {
  const x = await import(path.join(ROOT, 'www', 'lib', 'explore.js'));
  const briefs = [
    { platform: 'tiktok', hook_type: 'question', cta_style: 'shop_now', format: 'video', duration_range_s: [15, 30], duration_bucket: '15-30s', visual_tags: ['person', 'product'], posting_hour: 7 },
    { platform: 'tiktok', hook_type: 'offer', cta_style: 'none', format: 'image', duration_range_s: null, duration_bucket: null, visual_tags: [], posting_hour: 23 },
  ];
  const lines = x.briefsCsv(briefs, '00c0ffee', 'acme, inc').trim().split('\n');
  assert.equal(lines[0], x.BRIEF_COLUMNS.join(','));
  assert.equal(lines[1], 'explore-00c0ffee-1,"acme, inc",tiktok,question,shop_now,video,23,person|product,7,randomised,,,,,');
  assert.equal(lines[2], 'explore-00c0ffee-2,"acme, inc",tiktok,offer,none,image,,,23,randomised,,,,,');
  assert.match(x.runId(), /^[0-9a-f]{8}$/);
  // A brief the server issued keeps its record id (the one ingest checks it against).
  const issuedLine = x.briefsCsv([{ ...briefs[1], record_id: 'brief-00ff' }], '00c0ffee', 'acme').trim().split('\n')[1];
  assert.equal(issuedLine, 'brief-00ff,acme,tiktok,offer,none,image,,,23,randomised,,,,,');
});

test('issueBriefs: the account route with the bearer token and the draw options; refusals named', async () => {
  const x = await import(path.join(ROOT, 'www', 'lib', 'explore.js'));
  const seen = [];
  const brief = { record_id: 'brief-1', platform: 'meta', hook_type: 'offer', cta_style: 'none', format: 'image', duration_range_s: null, duration_bucket: null, visual_tags: [], posting_hour: 9 };
  const fetchFn = async (url, init) => {
    seen.push({ url, init });
    return new Response(JSON.stringify({ account_id: 'a b', briefs: [brief], assignment: 'randomised' }), { status: 200 });
  };
  const ok = await x.issueBriefs({ base: 'http://w/', account: ' a b ', token: ' t ', platform: 'meta', count: 1, formats: ['image'], fetchFn });
  assert.deepEqual(ok, { ok: true, briefs: [brief] });
  assert.equal(seen[0].url, 'http://w/api/accounts/a%20b/explore');
  assert.equal(seen[0].init.headers.authorization, 'Bearer t');
  assert.deepEqual(JSON.parse(seen[0].init.body), { platform: 'meta', count: 1, formats: ['image'] });
  const refused = await x.issueBriefs({ base: 'http://w', account: 'a', token: 'bad', platform: 'meta', count: 1, formats: ['image'],
    fetchFn: async () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'invalid token' } }), { status: 401 }) });
  assert.deepEqual(refused, { ok: false, message: 'invalid token' });
  const down = await x.issueBriefs({ base: 'http://w', account: 'a', token: 't', platform: 'meta', count: 1, formats: ['image'],
    fetchFn: async () => { throw new Error('offline'); } });
  assert.equal(down.ok, false);
  assert.match(down.message, /could not be reached \(offline\)/);
});
