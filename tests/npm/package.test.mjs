// Runs INSIDE the scratch project that tests/npm/run.sh creates, against the installed tarball
// (node_modules/crosslearn), with node's test runner. Env: CROSSLEARN_ROOT (the repo), TSC.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as cl from "crosslearn";

const ROOT = process.env.CROSSLEARN_ROOT;
assert.ok(ROOT, "CROSSLEARN_ROOT is set (run tests/npm/run.sh)");

// The documented Node setup: the .wasm shipped in the package, compiled synchronously.
const wasmUrl = new URL(import.meta.resolve("crosslearn/crosslearn_bg.wasm"));
cl.initSync({ module: readFileSync(wasmUrl) });

const fixtures = JSON.parse(
  readFileSync(join(ROOT, "..", "shared", "fixtures", "seed_golden.json"), "utf8"),
);

/** Every key of `expected` is in `actual` with the identical value (numbers bit for bit). */
function assertSame(expected, actual, path) {
  if (expected !== null && typeof expected === "object") {
    assert.equal(typeof actual, "object", `${path} is an object`);
    for (const [k, v] of Object.entries(expected)) assertSame(v, actual[k], `${path}.${k}`);
  } else {
    assert.ok(Object.is(expected, actual), `${path}: expected ${expected}, got ${actual}`);
  }
}

test("the installed package is an ES module package with types and the .wasm", () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  assert.equal(pkg.name, "crosslearn");
  assert.equal(pkg.type, "module");
  assert.equal(pkg.exports["."].types, "./crosslearn.d.ts");
  const dts = readFileSync("node_modules/crosslearn/crosslearn.d.ts", "utf8");
  assert.doesNotMatch(dts, /\bany\b/, "no `any` in the shipped .d.ts");
  assert.ok(readFileSync(wasmUrl).length > 1000);
});

test("all 520 golden normalize cases match bit for bit (mode seed)", () => {
  const cases = fixtures.cases.normalize;
  for (const c of cases) assertSame(c.expected, cl.normalize(c.input, { mode: "seed" }), c.id);
  assert.equal(cases.length, 520);
});

test("the worked best-platform example picks google_ads", () => {
  const c = fixtures.cases.worked_examples.best_platform;
  const best = cl.bestPlatform(c.input.metrics, { mode: "seed" });
  assert.equal(best.platform, "google_ads");
  assert.equal(best.metrics.composite_score, c.expected.composite_score);
});

test("unifiedFeaturesBatch rows equal unifiedFeatures of the same campaigns", () => {
  const n = 500;
  const layout = cl.batchLayout();
  const columns = cl.syntheticColumns(n, 42);
  assert.equal(columns.length, layout.columns * n);
  const rows = cl.unifiedFeaturesBatch(columns, n);
  assert.ok(rows instanceof Float32Array);
  assert.equal(rows.length, n * layout.n_features);
  const at = (c, i) => columns[c * n + i];
  for (const i of [0, 1, 250, n - 1]) {
    const platformData = layout.platforms.map((platform, k) => {
      const base = k * layout.columns_per_platform;
      const m = { platform };
      layout.platform_columns.forEach((name, off) => {
        if (name !== "present") m[name] = Number.isNaN(at(base + off, i)) ? null : at(base + off, i);
      });
      return m;
    });
    const dna = {};
    layout.dna_columns.forEach((name, d) => {
      const v = at(layout.platforms.length * layout.columns_per_platform + d, i);
      if (!Number.isNaN(v)) dna[name] = v;
    });
    const { vector } = cl.unifiedFeatures(platformData, dna);
    assert.deepEqual(rows.subarray(i * 19, (i + 1) * 19), vector, `campaign ${i}`);
  }
});

test("bad input throws a real Error naming the field, with code and field", () => {
  const metrics = fixtures.cases.worked_examples.normalize[0].input;
  const cases = [
    [() => cl.normalize({ ...metrics, cpc: -1 }), "invalid_value", "metrics.cpc"],
    [() => cl.normalize({ ...metrics, impressions: "many" }), "invalid_value", "metrics.impressions"],
    [() => cl.normalize({ ...metrics, ctr: undefined }), "missing_field", "metrics.ctr"],
    [() => cl.normalize({ ...metrics, platform: "myspace" }), "unknown_value", "metrics.platform"],
    [() => cl.normalize(metrics, { mdoe: "seed" }), "unknown_value", "options.mdoe"],
    [() => cl.bestPlatform([metrics, { ...metrics, spend: NaN }]), "invalid_value", "list[1].spend"],
    [() => cl.unifiedFeaturesBatch(new Float64Array(10), 1), "invalid_value", "columns"],
  ];
  for (const [call, code, field] of cases) {
    assert.throws(call, (e) => {
      assert.ok(e instanceof Error, "an Error instance");
      assert.equal(e.code, code, e.message);
      assert.equal(e.field, field, e.message);
      assert.ok(e.message.startsWith(`${field}: `), e.message);
      return true;
    });
  }
});

test("the niche model ships next to the wasm and detects a fitness ad", () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  assert.ok(pkg.files.includes("models/niche-v1.bin"));
  const bytes = readFileSync(new URL(import.meta.resolve("crosslearn/models/niche-v1.bin")));
  const model = cl.NicheModel.load(bytes);
  try {
    const ad = "Join our gym: HIIT classes, cardio and free weights. First month free!";
    const d = model.detect(ad);
    assert.equal(d.niche, "fitness");
    assert.ok(d.confidence > 0.5 && d.confidence <= 1, `confidence ${d.confidence}`);
    assert.equal(d.alternatives.length, 3);
    const texts = [ad, "New matte lipstick and mascara, shop the beauty collection", ""];
    assert.deepEqual(model.detectBatch(texts).map((x) => x.niche), ["fitness", "beauty", "unknown"]);
    const probs = model.probabilitiesBatch(texts);
    assert.ok(probs instanceof Float64Array);
    assert.equal(probs.length, texts.length * 15);
    assert.equal(probs[cl.nicheNames().indexOf("fitness")], d.confidence);
    assert.equal(cl.accountNiche(model, null, texts).niche, "fitness");
    assert.equal(cl.accountNiche(model, "travel", texts).declared, true);
  } finally {
    model.free();
  }
  assert.throws(() => cl.NicheModel.load(new Uint8Array(10)), { code: "malformed", field: "bytes" });
  assert.equal(cl.seedKeywordNiche(["Gym deals"], ["workout plans"]).niche, "fitness");
});

test("data layer: validation, CSV import with line numbers, copy attributes, simulator", () => {
  const good = { record_id: "r1", account_id: "a1", platform: "meta", impressions: 1000, clicks: 20, spend: 15.5 };
  const report = cl.validateRecords([good, { ...good, record_id: "r2", clicks: 2000 }]);
  assert.equal(report.accepted.length, 1);
  assert.equal(report.accepted[0].source, "user");
  assert.equal(report.rejected[0].index, 1);
  assert.equal(report.rejected[0].line, null);
  assert.deepEqual(report.rejected[0].issues.map((i) => i.field), ["clicks"]);

  const csv = "record_id,account_id,platform,impressions,clicks,spend\nr1,a1,meta,1000,20,15.5\nr2,a1,tiktok,100,200,3\n";
  const imported = cl.importCsv(new TextEncoder().encode(csv));
  assert.equal(imported.format, "generic");
  assert.equal(imported.accepted.length, 1);
  assert.equal(imported.rejected[0].line, 3);
  assert.throws(() => cl.importCsv(new TextEncoder().encode("a,b\n1,2\n")), { code: "unsupported" });

  const editor = new cl.CopyExtractor();
  assert.equal(editor.extract("", "Looking for a new coffee shop?").hook_type, "question");
  assert.equal(editor.extract("Shop now", "Get 50% off today").cta_style, "shop_now");
  editor.free();
  assert.deepEqual(cl.extractCopyBatch([{ body: "Looking for a new coffee shop?" }]).map((a) => a.hook_type), ["question"]);

  const net = cl.generateNetwork({ seed: 7, accounts: 15 });
  assert.equal(net.simulated, true);
  assert.equal(net.params_hash, cl.simulatorParamsHash());
  assert.equal(cl.networkDigest(net), "3823c590d3611b4f", "the native digest (tests/simulator.rs)");
});

test("insights and private niche wisdom: no consent gives null, a seeded release is reproducible", () => {
  const net = cl.generateNetwork({ seed: 3, accounts: 45 }); // SIMULATED DATA
  const byAccount = new Map();
  for (const r of net.records) {
    if (!byAccount.has(r.account_id)) byAccount.set(r.account_id, []);
    byAccount.get(r.account_id).push(r);
  }
  const release = { ...cl.defaultReleaseConfig(), k: 2 };
  const options = { insights: { minCampaigns: 1 }, release };
  const food = [];
  for (const records of byAccount.values()) {
    const insight = cl.accountInsights(records, { minCampaigns: 1 });
    assert.ok(insight.dispersion >= 1);
    assert.equal(cl.wisdomContribution(records, undefined, options), null);
    const c = cl.wisdomContribution(records, { opted_in: true }, options);
    if (c !== null && c.niche === "food") food.push(c);
  }
  const id = { period: 4, niche: "food" };
  const a = cl.releaseWisdom(food, id, { release, seed: 77 });
  assert.deepEqual(cl.releaseWisdom(food, id, { release, seed: 77 }), a);
  assert.equal(a.privacy.unit, "account");
  assert.doesNotMatch(JSON.stringify(a), /sim-a/, "no account id in a release");
  assert.throws(() => cl.releaseWisdom(food, { period: 4, niche: "travel" }), { field: "contributions[0].niche" });
});

test("types: tsc --strict --noEmit on consumer.ts against the shipped .d.ts", () => {
  try {
    execFileSync(process.env.TSC ?? "tsc", ["-p", "tsconfig.json"], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

// README examples: fenced blocks with the info string exactly `js readme-test`, between the npm
// markers of README.md, each run as its own ES module in this project.
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const section = readme.split("<!-- npm:begin -->")[1]?.split("<!-- npm:end -->")[0] ?? "";
const examples = [...section.matchAll(/^```js readme-test\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

test("the README's npm section has runnable examples", () => {
  assert.ok(examples.length >= 3, `found ${examples.length} \`js readme-test\` blocks`);
});

examples.forEach((code, i) => {
  test(`README example ${i + 1} runs`, () => {
    const file = `readme-example-${i + 1}.mjs`;
    writeFileSync(file, code);
    try {
      execFileSync(process.execPath, [file], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      assert.fail(`README example ${i + 1} failed:\n${code}\n--- output ---\n${e.stdout}${e.stderr}`);
    }
  });
});
