// The short tour `scripts/dev.sh` prints once the demo is seeded and published: the editor with an
// example draft per niche, one curl per main endpoint with the demo account's token, where the
// OpenAPI document and the privacy ledger are. Everything it lists is asked from the running
// Worker first, so the tour shows what is there (docs/demo.md).
//
//   node scripts/demo-tour.mjs --url http://127.0.0.1:8787 --token-file .wrangler/demo-state/demo-token.txt
//
// Exits 1 when a niche the demo seeded is not published (the demo is then not what it claims).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES } from '../www/lib/examples.js';
import { getFresh } from './seed-demo.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/**
 * The tour's data: per niche, its release and the platform its example link opens on (the
 * niche's platform with the most accounts behind a published CTR benchmark).
 * @param {string} url
 * @returns {Promise<{ niches: Array<{ niche: string, platform: string | null, accounts: number | null, link: string }>, published: number }>}
 */
export async function tour(url) {
  // On a new connection, retried after 10 s without an answer (docs/demo.md): one stalled
  // request cannot hang the tour.
  const res = await getFresh(`${url}/api/cross-learning/niche-wisdom`);
  if (res.status !== 200) throw new Error(`GET /api/cross-learning/niche-wisdom: HTTP ${res.status}`);
  const body = res.json;
  const byNiche = new Map(body.niches.filter((w) => w.published).map((w) => [w.niche, w]));
  const niches = Object.keys(EXAMPLES).map((niche) => {
    const w = byNiche.get(niche);
    const best = w?.platforms.filter((p) => p.ctr).sort((a, b) => b.accounts - a.accounts)[0] ?? null;
    const link = `${url}/?example=${niche}${best ? `&platform=${best.platform}` : ''}`;
    return { niche, platform: best?.platform ?? null, accounts: w?.sample_size ?? null, benchmarks: w ? w.platforms.filter((p) => p.ctr).map((p) => p.platform) : [], link };
  });
  return { niches, published: byNiche.size };
}

async function main() {
  const url = arg('--url', 'http://127.0.0.1:8787');
  const tokenFile = arg('--token-file', path.join(ROOT, '.wrangler', 'demo-state', 'demo-token.txt'));
  const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : null;
  const t = await tour(url);
  const tok = `$(cat ${tokenFile})`;
  const lines = [];
  lines.push('');
  lines.push('crosslearn is running: a SIMULATED network (the core simulator; not real ad performance),');
  lines.push(`published under the production release config (k 50): ${t.published} of 15 niches.`);
  lines.push('');
  lines.push('The ad editor, opened on an example draft per niche (noisy accounts; platforms with a CTR benchmark):');
  for (const n of t.niches) {
    const what = n.accounts === null ? 'NOT published' : `${n.accounts} accounts; ${n.benchmarks.join(', ')}`;
    lines.push(`  ${n.niche.padEnd(14)} ${n.link}  (${what})`);
  }
  lines.push('');
  lines.push('The API (demo account `demo-editor`, its token in the file below; the operator token is in .dev.vars):');
  lines.push(`  curl ${url}/health`);
  lines.push(`  curl ${url}/api/cross-learning/niche-wisdom/fitness`);
  lines.push(`  curl ${url}/api/cross-learning/stats`);
  lines.push(`  curl -X POST ${url}/api/score -H 'content-type: application/json' -d '{"model": "grounded", "creatives": [{"platform": "meta", "niche": "fitness", "hook_type": "question", "cta_style": "learn_more", "visual_tags": [], "format": "video", "duration_s": 15, "posting_hour": 19}]}'`);
  lines.push(`  curl -X POST ${url}/api/cross-learning/detect-niche -H 'content-type: application/json' -d '{"text": "${EXAMPLES.fitness.headline}"}'`);
  lines.push(`  curl -X POST ${url}/api/cross-learning/apply-wisdom -H "Authorization: Bearer ${tok}" -H 'content-type: application/json' -d '{"account_id": "demo-editor", "niche": "fitness"}'`);
  lines.push(`  curl -H "Authorization: Bearer ${tok}" ${url}/api/cross-learning/dashboard/demo-editor`);
  lines.push(`  curl -H "Authorization: Bearer ${tok}" ${url}/api/accounts/demo-editor/export`);
  lines.push(`  OpenAPI document: ${url}/openapi.json`);
  // The privacy ledger route is listed only when this Worker has it.
  if (token) {
    const ledger = await fetch(`${url}/api/accounts/demo-editor/privacy`, { headers: { authorization: `Bearer ${token}` } });
    await ledger.text();
    if (ledger.status === 200) lines.push(`  privacy ledger : curl -H "Authorization: Bearer ${tok}" ${url}/api/accounts/demo-editor/privacy`);
  }
  console.log(lines.join('\n'));
  const missing = t.niches.filter((n) => n.platform === null).map((n) => n.niche);
  if (missing.length > 0) {
    console.error(`demo-tour: not published or without a CTR benchmark: ${missing.join(', ')}`);
    process.exit(1);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`demo-tour: ${e.message}`);
    process.exit(1);
  });
}
