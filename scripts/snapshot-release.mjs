// Write the bundled snapshot release the ad editor falls back to when the Worker has no
// published wisdom or is unreachable (docs/editor.md).
//
//   node scripts/snapshot-release.mjs OUT.json
//
// Everything comes from the core through the npm package (pkg/, scripts/build-pkg.sh): the frozen
// simulator (`generateNetwork`), one opted-in `wisdomContribution` per simulated account, and one
// `releaseWisdom` per niche with a DEMO release configuration (`CONFIG` below). The numbers are
// SIMULATED and the file says so. Deterministic: fixed seed, account count, noise seed and
// snapshot date, so the same package always writes the same bytes.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = await import(path.join(ROOT, "pkg", "crosslearn.js"));
pkg.initSync({ module: readFileSync(path.join(ROOT, "pkg", "crosslearn_bg.wasm")) });

/** Simulator seed of the snapshot network. */
const SEED = 2026;
/** Simulated accounts (round-robin over the 15 niches). */
const ACCOUNTS = Number(process.env.SNAPSHOT_ACCOUNTS ?? 3000);
/** Accounts per simulated chunk. */
const CHUNK = 3000;
/** Seed of the release noise. */
const NOISE_SEED = 11;
/** The snapshot's date: its release period is the 28-day period holding it. */
const DATE = "2026-11-16";

const out = process.argv[2];
if (!out) {
  console.error("usage: node scripts/snapshot-release.mjs OUT.json");
  process.exit(2);
}

/**
 * How each simulated account's own insight is computed: every account with data counts (the
 * default needs 3 campaigns) and a value needs 100 impressions (default 1,000), so the small
 * simulated accounts contribute lifts.
 */
const INSIGHTS = { minCampaigns: 1, minImpressionsPerValue: 100 };
/**
 * The DEMO release configuration: k 5 (by the noisy count, the core's default) and epsilon 16 per
 * 28-day release. Far weaker privacy than a production release (docs/privacy.md), acceptable only
 * because every account here is simulated: at epsilon 4 this 3,000-account network publishes
 * one or two lifts per niche, too few to show recommendations (docs/editor.md).
 */
const config = { ...pkg.defaultReleaseConfig(), k: 5, epsilon: 16, cadence_days: 28, window_periods: 1, budget_per_window: 16 };
const period = Math.floor(Date.parse(`${DATE}T00:00:00Z`) / 86_400_000 / config.cadence_days);
/** @type {Map<string, import("../pkg/crosslearn.js").WisdomContribution[]>} */
const byNiche = new Map();
let network = null;
// The network is simulated in chunks (seeds SEED, SEED + 1, ...) to keep each wasm call small;
// every chunk's accounts are distinct accounts of the snapshot network.
for (let chunk = 0; chunk * CHUNK < ACCOUNTS; chunk++) {
  network = pkg.generateNetwork({ seed: SEED + chunk, accounts: Math.min(CHUNK, ACCOUNTS - chunk * CHUNK) });
  /** @type {Map<string, import("../pkg/crosslearn.js").CreativeRecord[]>} */
  const byAccount = new Map();
  for (const r of network.records) {
    const list = byAccount.get(r.account_id) ?? [];
    list.push(r);
    byAccount.set(r.account_id, list);
  }
  for (const records of byAccount.values()) {
    const c = pkg.wisdomContribution(records, { opted_in: true }, { release: config, insights: INSIGHTS });
    if (!c) continue;
    const list = byNiche.get(c.niche) ?? [];
    list.push(c);
    byNiche.set(c.niche, list);
  }
}
const niches = [];
for (const niche of pkg.nicheNames()) {
  const contributions = byNiche.get(niche) ?? [];
  if (contributions.length === 0) continue;
  niches.push(pkg.releaseWisdom(contributions, { period, niche }, { seed: NOISE_SEED, release: config }));
}
const snapshot = {
  label: "SIMULATED DATA - not real ad performance",
  simulated: true,
  date: DATE,
  config: { k: config.k, epsilon: config.epsilon, cadence_days: config.cadence_days, insights: INSIGHTS },
  source: `simulator ${network?.params_version} (params ${network?.params_hash}), seeds ${SEED}..${SEED + Math.ceil(ACCOUNTS / CHUNK) - 1} (chunks of ${CHUNK}), ${ACCOUNTS} accounts, release noise seed ${NOISE_SEED}`,
  niches,
};
writeFileSync(out, JSON.stringify(snapshot) + "\n");
const published = niches.filter((w) => w.published).length;
console.log(`${out}: ${niches.length} niche releases (${published} published), period ${period}, ${JSON.stringify(snapshot).length} bytes`);
