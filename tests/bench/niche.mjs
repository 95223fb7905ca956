// Niche detection speed of the npm package under Node, full (`crosslearn`) and the editor's
// subset (`crosslearn/lite`), on the real served ads that examples/bench_niche.rs wrote to
// OUT_DIR (texts.json, native.json, model.txt). Same measurements as the native side:
//
//   detect   one `NicheModel.detect(text)` call per ad (the editor's per-keystroke call, result
//            object included), each call timed; best of 3 passes by total time
//   batch    one `probabilitiesBatch(texts)` call over all ads, best of 3
//   account  `accountNiche(model, undefined, tenAds)` over consecutive groups of 10 ads, best of 3
//
// and checks that every answer's niche equals the native one (and the largest confidence gap).
//
//   node tests/bench/niche.mjs OUT_DIR        # needs pkg/ built (scripts/build-pkg.sh)
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as full from "../../pkg/crosslearn.js";
import * as lite from "../../pkg/lite/crosslearn_lite.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node tests/bench/niche.mjs OUT_DIR");
const texts = JSON.parse(readFileSync(`${dir}/texts.json`, "utf8"));
const native = JSON.parse(readFileSync(`${dir}/native.json`, "utf8"));
const modelBytes = readFileSync(readFileSync(`${dir}/model.txt`, "utf8").trim());

function pct(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * q))];
}

function bench(name, pkg, wasmFile) {
  pkg.initSync({ module: readFileSync(new URL(wasmFile, import.meta.url)) });
  const model = pkg.NicheModel.load(modelBytes);
  const n = texts.length;
  // Warm-up pass (JIT of the glue, wasm tier-up).
  for (let i = 0; i < Math.min(n, 500); i++) model.detect(texts[i]);

  let best = null;
  let answers = [];
  for (let r = 0; r < 3; r++) {
    const per = new Float64Array(n);
    const out = new Array(n);
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      out[i] = model.detect(texts[i]);
      per[i] = (performance.now() - s) * 1000;
    }
    const total = (performance.now() - t) / 1000;
    if (!best || total < best.total) best = { total, per };
    answers = out;
  }
  const per = Array.from(best.per).sort((a, b) => a - b);
  let same = 0;
  let maxDiff = 0;
  for (let i = 0; i < n; i++) {
    if (answers[i].niche === native[i][0]) same++;
    maxDiff = Math.max(maxDiff, Math.abs(answers[i].confidence - native[i][1]));
  }
  console.log(
    `wasm ${name} detect n=${n} seconds=${best.total.toFixed(6)} us_per_ad=${((best.total * 1e6) / n).toFixed(2)} ` +
      `p50_us=${pct(per, 0.5).toFixed(2)} p95_us=${pct(per, 0.95).toFixed(2)} max_us=${per[n - 1].toFixed(2)} ` +
      `same_niche=${same}/${n} max_abs_conf_diff=${maxDiff.toExponential(2)}`,
  );

  let bestBatch = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    model.probabilitiesBatch(texts);
    bestBatch = Math.min(bestBatch, (performance.now() - t) / 1000);
  }
  console.log(`wasm ${name} batch n=${n} seconds=${bestBatch.toFixed(6)} us_per_ad=${((bestBatch * 1e6) / n).toFixed(2)}`);

  const accounts = [];
  for (let i = 0; i + 10 <= n; i += 10) accounts.push(texts.slice(i, i + 10));
  let bestAcc = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    for (const a of accounts) pkg.accountNiche(model, undefined, a);
    bestAcc = Math.min(bestAcc, (performance.now() - t) / 1000);
  }
  console.log(
    `wasm ${name} account ads=10 accounts=${accounts.length} seconds=${bestAcc.toFixed(6)} us_per_account=${((bestAcc * 1e6) / accounts.length).toFixed(2)}`,
  );
  model.free();
}

bench("full", full, "../../pkg/crosslearn_bg.wasm");
bench("lite", lite, "../../pkg/lite/crosslearn_lite_bg.wasm");
