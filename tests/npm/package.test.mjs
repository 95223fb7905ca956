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
  // Doc comments may say "any" in prose; the declarations themselves must not use the type.
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(code, /\bany\b/, "no `any` in the shipped .d.ts declarations");
  assert.ok(readFileSync(wasmUrl).length > 1000);
});

test("the package is ready to publish: metadata, and the LICENSE its manifest declares", () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  for (const k of ["description", "version", "main", "types"]) {
    assert.equal(typeof pkg[k], "string", `package.json ${k}`);
    assert.ok(pkg[k].length > 0, `package.json ${k} is empty`);
  }
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.length >= 3, "keywords");
  // No repository URL is known yet: the built package carries none (never a placeholder);
  // scripts/publish-npm.sh writes CROSSLEARN_REPOSITORY_URL into the copy it publishes
  // (tests/npm/run.sh checks that it refuses without it).
  assert.equal(pkg.repository, undefined, "no repository in the built package");
  assert.equal(pkg.homepage, undefined, "no homepage in the built package");
  assert.doesNotMatch(JSON.stringify(pkg), /example\.invalid/, "no placeholder URL");
  assert.equal(pkg.sideEffects, false, "sideEffects");
  assert.ok(pkg.engines?.node, "engines.node");
  assert.ok(pkg.files.includes("LICENSE"), "files lists LICENSE");
  // The manifest, the crate (Cargo.toml) and the shipped text agree on the licence.
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  assert.match(cargo, new RegExp(`^license = "${pkg.license}"$`, "m"));
  assert.equal(pkg.license, "MIT");
  const text = readFileSync("node_modules/crosslearn/LICENSE", "utf8");
  assert.match(text, /^MIT License\n/);
  assert.equal(text, readFileSync(join(ROOT, "LICENSE"), "utf8"));
  // Every file the exports map names is in the tarball.
  for (const target of Object.values(pkg.exports).flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)))) {
    assert.ok(readFileSync(join("node_modules/crosslearn", target)).length > 0, target);
  }
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
    [() => cl.normalize({ ...metrics, impressions: "many" }), "invalid_type", "metrics.impressions"],
    [() => cl.normalize({ ...metrics, ctr: undefined }), "missing_field", "metrics.ctr"],
    [() => cl.normalize({ ...metrics, platform: "myspace" }), "unknown_value", "metrics.platform"],
    [() => cl.normalize(metrics, { mdoe: "seed" }), "unknown_field", "options.mdoe"],
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
  assert.ok(pkg.files.includes("models/niche-v2.bin"));
  const bytes = readFileSync(new URL(import.meta.resolve("crosslearn/models/niche-v2.bin")));
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

const modelBytes = (name) => readFileSync(new URL(import.meta.resolve(`crosslearn/models/${name}`)));

test("the CTR models ship next to the wasm and score as natively", () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  const fixture = JSON.parse(readFileSync(join(ROOT, "tests", "data", "ctr_native_scores.json"), "utf8"));
  for (const name of ["ctr-prelaunch-v1.bin", "ctr-inflight-v1.bin"]) {
    assert.ok(pkg.files.includes(`models/${name}`), `${name} in files`);
    assert.equal(pkg.exports[`./models/${name}`], `./models/${name}`);
    const entry = fixture.models.find((m) => m.file === `models/${name}`);
    assert.ok(entry, `${name} is in the native fixture`);
    const model = cl.CtrModel.load(modelBytes(name), entry.kind);
    try {
      assert.equal(model.kind, entry.kind);
      assert.equal(model.layout, entry.layout);
      assert.equal(model.nFeatures, entry.n_features);
      assert.match(model.metadata.trained_on, /simulat/i, "the shipped models say they are simulated");
      const got = model.scoreBatch(new Float32Array(entry.rows), entry.n_rows);
      assert.ok(got instanceof Float32Array);
      assert.equal(got.length, entry.n_rows);
      got.forEach((p, i) => assert.ok(Math.abs(p - entry.scores[i]) <= 1e-6, `${name} row ${i}: ${p} vs ${entry.scores[i]}`));
      assert.deepEqual(model.toBytes(), new Uint8Array(modelBytes(name)));
    } finally {
      model.free();
    }
  }
  const pre = cl.CtrModel.load(modelBytes("ctr-prelaunch-v1.bin"));
  const inflight = cl.CtrModel.load(modelBytes("ctr-inflight-v1.bin"));
  try {
    assert.deepEqual(pre.featureNames, cl.prelaunchFeatureNames());
    assert.deepEqual(inflight.featureNames, cl.inflightFeatureNames());
    assert.deepEqual([pre.layout, inflight.layout], [cl.ctrLayouts().prelaunch, cl.ctrLayouts().inflight]);
    const creative = {
      platform: "tiktok", niche: "fitness", hook_type: "question", cta_style: "shop_now",
      visual_tags: ["ugc"], format: "video", duration_s: 20, posting_hour: 19,
    };
    const s = pre.scoreCreative(creative);
    assert.ok(0 < s.low && s.low <= s.ctr && s.ctr <= s.high && s.high < 1, JSON.stringify(s));
    const rows = cl.encodeCreatives([creative, { ...creative, platform: "google_ads", format: "text", duration_s: null }]);
    assert.ok(rows instanceof Float32Array);
    assert.equal(rows.length, 2 * 142);
    const batch = pre.scoreBatch(rows, 2);
    assert.ok(Math.abs(batch[0] - s.ctr) <= 1e-6);
    assert.notEqual(batch[0], batch[1]);
    const prior = [{ niche: "fitness", platform: "tiktok", ctr: 0.05 }];
    const withPrior = cl.encodeCreatives([creative], prior);
    assert.equal(withPrior[cl.prelaunchFeatureNames().indexOf("has_prior")], 1);
    assert.ok(pre.scoreCreative(creative, prior).ctr > 0);
    assert.throws(() => pre.scoreCreative(creative, [{ ...prior[0], ctr: 0 }]), { field: "priors[0].ctr" });
    assert.throws(() => cl.encodeCreatives([creative], [...prior, ...prior]), { code: "duplicate", field: "priors[1]" });
    assert.throws(() => pre.scoreBatch(rows, 3), { code: "invalid_value", field: "x" });
    assert.throws(() => pre.scoreCreative({ ...creative, duration_s: 900 }), { field: "creative.duration_s" });
    assert.throws(() => inflight.scoreCreative(creative), { code: "unsupported", field: "model" });
  } finally {
    pre.free();
    inflight.free();
  }
  assert.throws(() => cl.CtrModel.load(new Uint8Array(10)), { code: "malformed", field: "bytes", message: /truncated/ });
  const cut = modelBytes("ctr-prelaunch-v1.bin").subarray(0, 1000);
  assert.throws(() => cl.CtrModel.load(cut), { code: "malformed", field: "bytes", message: /checksum/ });
  assert.throws(() => cl.CtrModel.load(modelBytes("niche-v2.bin")), { code: "malformed", message: /not a crosslearn CTR model/ });
  assert.throws(() => cl.CtrModel.load(modelBytes("ctr-inflight-v1.bin"), "pre_launch"), {
    code: "unsupported",
    field: "bytes",
    message: /this file is in_flight, expected pre_launch/,
  });
});

test("the grounded CTR model ships as JSON, predicts with intervals and personalises on the device", () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  assert.ok(pkg.files.includes("models/ctr-grounded-v1.json"));
  const text = modelBytes("ctr-grounded-v1.json").toString("utf8");
  const model = cl.GroundedCtr.fromJson(text);
  try {
    assert.equal(model.version, "ctr-grounded-v1");
    assert.ok(model.provenance.sources.some((s) => s.real), "fitted to real data");
    assert.ok(model.realCreatives > 100);
    assert.equal(model.personalRecords, 0);
    const creative = {
      platform: "meta", niche: "fitness", hook_type: "question", cta_style: "shop_now",
      visual_tags: ["ugc"], format: "video", duration_s: 20, posting_hour: 19,
    };
    const other = { ...creative, hook_type: "offer", cta_style: "learn_more" };
    const p = model.predict(creative);
    assert.ok(0 < p.low && p.low < p.ctr && p.ctr < p.high && p.high < 1, JSON.stringify(p));
    const batch = model.predictBatch([creative, other]);
    assert.ok(batch instanceof Float64Array);
    assert.deepEqual([...batch.subarray(0, 3)], [p.ctr, p.low, p.high]);
    const q = model.predict(other);
    assert.deepEqual([...batch.subarray(3)], [q.ctr, q.low, q.high]);
    assert.deepEqual([...model.predictCtrBatch([creative, other])], [p.ctr, q.ctr]);
    assert.equal(model.personalisation ?? null, null, "a loaded file was not personalised here");
    // Personalising with results far above the prediction moves it up and narrows nothing away.
    const own = Array.from({ length: 20 }, () => ({ creative, impressions: 10_000, clicks: Math.round(10_000 * p.ctr * 3) }));
    const mine = model.personalise(own);
    try {
      assert.equal(mine.personalisation.used, 20);
      assert.deepEqual(mine.personalisation.skipped, []);
      assert.equal(mine.personalisation.unchanged_reason ?? null, null);
      assert.equal(mine.personalRecords, 20);
      assert.ok(mine.predict(creative).ctr > p.ctr * 1.5, "own results above the population move the prediction up");
      const again = cl.GroundedCtr.fromJson(mine.toJson());
      assert.equal(again.predict(creative).ctr, mine.predict(creative).ctr);
      again.free();
    } finally {
      mine.free();
    }
    // Nothing usable: the prediction is unchanged and the report says why.
    const same = model.personalise([{ creative, impressions: 0, clicks: 0 }]);
    assert.equal(same.personalisation.used, 0);
    assert.match(same.personalisation.skipped[0], /^records\[0\]: no impressions/);
    assert.match(same.personalisation.unchanged_reason, /none of the 1 records is usable/);
    assert.equal(same.personalRecords, 0);
    assert.equal(same.predict(creative).ctr, p.ctr);
    same.free();
    assert.throws(() => model.personalise([{ creative, impressions: 10, clicks: 11 }]), { field: "records[0].clicks" });
    assert.throws(() => model.predict({ ...creative, duration_s: 900 }), { field: /^creative\./ });
    assert.throws(() => model.predictBatch([creative, { ...creative, platform: "myspace" }]), { field: /^creatives\[1\]/ });
  } finally {
    model.free();
  }
  assert.throws(() => cl.GroundedCtr.fromJson("{}"), { field: "json" });
  assert.throws(() => cl.GroundedCtr.fromJson(text.slice(0, 100)), { field: "json" });
});

test("CtrModel.train fits a consumer's own columns and validates them", () => {
  // Rows from the encoder; outcomes made up here (a higher CTR for question hooks).
  const hooks = ["question", "pain_point", "offer", "story"];
  const creatives = [];
  for (let i = 0; i < 400; i++) {
    creatives.push({ platform: ["meta", "tiktok"][i % 2], hook_type: hooks[i % 4], cta_style: "shop_now", format: "image" });
  }
  const x = cl.encodeCreatives(creatives);
  const impressions = new Float64Array(creatives.length).fill(2000);
  const clicks = new Float64Array(creatives.map((c, i) => (c.hook_type === "question" ? 60 : 20) + (i % 3)));
  const options = {
    kind: "pre_launch", layout: cl.ctrLayouts().prelaunch, featureNames: cl.prelaunchFeatureNames(), seed: 5,
    trainedOn: "npm test (made-up outcomes)",
  };
  const model = cl.CtrModel.train({ x, clicks, impressions }, options);
  const [q, o] = model.scoreBatch(cl.encodeCreatives([creatives[0], creatives[2]]), 2);
  assert.ok(Math.abs(q - 0.0305) < 0.004 && Math.abs(o - 0.0105) < 0.002, `${q} ${o}`);
  assert.equal(model.metadata.rows, creatives.length);
  assert.equal(model.metadata.trained_on, options.trainedOn);
  const again = cl.CtrModel.train({ x, clicks, impressions }, options);
  assert.deepEqual(again.toBytes(), model.toBytes(), "deterministic");
  assert.deepEqual(cl.CtrModel.load(model.toBytes()).toBytes(), model.toBytes());
  const bad = (cols, opts, field) =>
    assert.throws(() => cl.CtrModel.train({ x, clicks, impressions, ...cols }, { ...options, ...opts }), { field });
  bad({ clicks: Float64Array.from(clicks, (c, i) => (i === 7 ? 5000 : c)) }, {}, "columns.clicks[7]");
  bad({ x: Array.from(x) }, {}, "columns.x");
  bad({ impressions: impressions.subarray(1) }, {}, "columns.impressions");
  bad({}, { l2: -1 }, "options.l2");
  bad({}, { calibrationShare: 1 }, "options.calibrationShare");
  bad({}, { featureNames: ["only_one"] }, "columns.x");
  bad({}, { seed: undefined }, "options.seed");
  bad({}, { mystery: 1 }, "options.mystery");
});

test("docs/ctr-js.md: the TypeScript example compiles (tsc --strict) and runs", () => {
  const doc = readFileSync(join(ROOT, "docs", "ctr-js.md"), "utf8");
  const code = doc.match(/^```ts ctr-js-example\n([\s\S]*?)^```$/m)?.[1];
  assert.ok(code, "docs/ctr-js.md has a `ts ctr-js-example` block");
  writeFileSync("ctr-example.mts", code);
  // Stands in for @types/node (not installed here): the two Node APIs the example uses.
  writeFileSync(
    "node-shim.d.ts",
    'declare module "node:fs" { export function readFileSync(path: URL): Uint8Array; }\n' +
      "interface ImportMeta { resolve(specifier: string): string; }\n",
  );
  writeFileSync(
    "tsconfig.ctr-example.json",
    JSON.stringify({
      compilerOptions: {
        strict: true, target: "es2022", module: "node16", moduleResolution: "node16",
        lib: ["es2022", "dom"], types: [], outDir: "ctr-example-out", rootDir: ".",
      },
      files: ["ctr-example.mts", "node-shim.d.ts"],
    }),
  );
  try {
    execFileSync(process.env.TSC ?? "tsc", ["-p", "tsconfig.ctr-example.json"], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed on the docs/ctr-js.md example:\n${e.stdout}${e.stderr}`);
  }
  let out;
  try {
    out = execFileSync(process.execPath, ["ctr-example-out/ctr-example.mjs"], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    assert.fail(`the docs/ctr-js.md example failed:\n${e.stdout}${e.stderr}`);
  }
  assert.match(out, /^CTR \d+\.\d\d % \[/m);
  assert.match(out, /invalid_value x x: 3 rows x 142 features/);
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
  const reader = cl.CopyExtractor.withRules("v2");
  const read = reader.readPlatformCopy({ platform: "meta", primary_text: "", headline: "Tired of dull, dry skin?" });
  assert.equal(read.attributes.hook_type, "pain_point");
  assert.equal(read.hook_field, "headline");
  assert.deepEqual(cl.copyAnatomy("tiktok").map((f) => f.key), ["ad_text"]);
  assert.throws(() => reader.readPlatformCopy({ platform: "google_ads", headlines: Array(16).fill("h") }), { code: "invalid_value", field: "copy.headlines" });
  reader.free();

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

test("CtrModel.scoreCampaigns: the whole pipeline in one call, validated", () => {
  const inflight = cl.CtrModel.load(modelBytes("ctr-inflight-v1.bin"));
  const pre = cl.CtrModel.load(modelBytes("ctr-prelaunch-v1.bin"));
  try {
    const n = 200;
    const columns = cl.syntheticColumns(n, 9);
    const p = inflight.scoreCampaigns(columns, n, "tiktok");
    assert.ok(p instanceof Float32Array);
    assert.equal(p.length, n);
    assert.ok(p.every((v) => v > 0 && v < 1));
    assert.deepEqual(inflight.scoreCampaigns(columns, n, "tiktok", { mode: "corrected" }), p, "corrected is the default");
    assert.notDeepEqual(inflight.scoreCampaigns(columns, n, "meta"), p, "the target matters");
    // Campaign 0 alone scores the same as inside the batch.
    const layout = cl.batchLayout();
    const one = new Float64Array(layout.columns);
    for (let c = 0; c < layout.columns; c++) one[c] = columns[c * n];
    assert.equal(inflight.scoreCampaigns(one, 1, "tiktok")[0], p[0]);
    assert.throws(() => inflight.scoreCampaigns(columns, n, "unknown"), { code: "unsupported", field: "target" });
    assert.throws(() => inflight.scoreCampaigns(columns, n + 1, "meta"), { code: "invalid_value", field: "columns" });
    assert.throws(() => pre.scoreCampaigns(columns, n, "meta"), { code: "unsupported" });
    const bad = columns.slice();
    bad[4 * n + 3] = 1.5; // meta impressions of campaign 3
    bad[3] = 1; // meta present
    assert.throws(() => inflight.scoreCampaigns(bad, n, "meta"), { field: "campaigns[3].meta.impressions" });
  } finally {
    inflight.free();
    pre.free();
  }
});

test("crosslearn/lite (the editor's subset) is smaller and gives the full package's results", async () => {
  const pkg = JSON.parse(readFileSync("node_modules/crosslearn/package.json", "utf8"));
  assert.equal(pkg.exports["./lite"].types, "./lite/crosslearn_lite.d.ts");
  const liteWasm = readFileSync(new URL(import.meta.resolve("crosslearn/lite/crosslearn_lite_bg.wasm")));
  assert.ok(liteWasm.length < readFileSync(wasmUrl).length / 1.5, "lite is well under the full .wasm");
  const lite = await import("crosslearn/lite");
  lite.initSync({ module: liteWasm });
  for (const gone of ["generateNetwork", "releaseWisdom", "unifiedFeaturesBatch", "accountInsights", "dashboard"]) {
    assert.equal(lite[gone], undefined, `${gone} is not in lite`);
  }
  assert.equal(lite.CtrModel.train, undefined, "no training in lite");
  for (const c of fixtures.cases.normalize.slice(0, 100)) {
    assert.deepEqual(lite.normalize(c.input, { mode: "seed" }), cl.normalize(c.input, { mode: "seed" }), c.id);
  }
  const creative = {
    platform: "meta", niche: "beauty", hook_type: "offer", cta_style: "shop_now",
    visual_tags: [], format: "image", duration_s: null, posting_hour: 9,
  };
  const a = lite.CtrModel.load(modelBytes("ctr-prelaunch-v1.bin"));
  const b = cl.CtrModel.load(modelBytes("ctr-prelaunch-v1.bin"));
  assert.deepEqual(a.scoreCreative(creative), b.scoreCreative(creative));
  a.free();
  b.free();
  const text = "Crush your morning workout with our new kettlebell program";
  const na = lite.NicheModel.load(modelBytes("niche-v2.bin"));
  const nb = cl.NicheModel.load(modelBytes("niche-v2.bin"));
  assert.deepEqual(na.detect(text), nb.detect(text));
  na.free();
  nb.free();
  const csv = new TextEncoder().encode("record_id,account_id,platform,impressions,clicks,spend\nr1,a1,meta,1000,20,15.5\nr2,a1,tiktok,100,200,3\n");
  assert.deepEqual(lite.importCsv(csv), cl.importCsv(csv));
  assert.deepEqual(lite.exploreBriefs("meta", 5, { seed: 3 }), cl.exploreBriefs("meta", 5, { seed: 3 }));
  assert.throws(() => lite.normalize({ platform: "meta", ctr: -1 }), (e) => e instanceof Error && typeof e.code === "string");
});

test("types: tsc --strict --noEmit on consumer.ts against the shipped .d.ts", () => {
  try {
    execFileSync(process.env.TSC ?? "tsc", ["-p", "tsconfig.json"], { encoding: "utf8" });
  } catch (e) {
    assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
  }
});

// Documentation examples: fenced blocks with the info string exactly `js readme-test`, from the
// project README (anywhere) and from the npm package's README (the marked section of docs/npm.md),
// each run as its own ES module in this project.
const blocks = (text) => [...text.matchAll(/^```js readme-test\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const npmDoc = readFileSync(join(ROOT, "docs", "npm.md"), "utf8");
const npmSection = npmDoc.split("<!-- npm:begin -->")[1]?.split("<!-- npm:end -->")[0] ?? "";
const readmeExamples = blocks(readFileSync(join(ROOT, "README.md"), "utf8"));
const npmExamples = blocks(npmSection);
const examples = [...readmeExamples, ...npmExamples];

test("the README and the npm package's README have runnable examples", () => {
  assert.ok(readmeExamples.length >= 1, `README.md: found ${readmeExamples.length} \`js readme-test\` blocks`);
  assert.ok(npmExamples.length >= 3, `docs/npm.md: found ${npmExamples.length} \`js readme-test\` blocks`);
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
