// Throughput of `unifiedFeaturesBatch` and of the whole pipeline `CtrModel.scoreCampaigns`
// (normalize -> features -> in-flight CTR; shipped in-flight model, target meta) (the npm package
// in pkg/, under Node) over SYNTHETIC
// campaigns from `syntheticColumns` (the same seeded generator as the native benchmark).
//
//   node tests/bench/features.mjs [N_CAMPAIGNS]        # default 1,000,000; needs pkg/ built
//
// For each mode it times one `unifiedFeaturesBatch(columns, n, { mode })` call over all
// campaigns, best of 3 (generation excluded; the time includes copying the columns into wasm
// memory and the features out, as any caller pays), and prints one line per mode in the format of
// examples/bench_features.rs, including the same checksum of the output.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { CtrModel, initSync, syntheticColumns, unifiedFeaturesBatch } from "../../pkg/crosslearn.js";

const DEFAULT_SEED = 20251212; // crosslearn::synth::DEFAULT_SEED
const n = Number(process.argv[2] ?? 1_000_000);

initSync({ module: readFileSync(new URL("../../pkg/crosslearn_bg.wasm", import.meta.url)) });
const columns = syntheticColumns(n, DEFAULT_SEED);

// Position-weighted sum in plain f64 arithmetic, as examples/bench_features.rs computes it.
function checksum(values) {
  let acc = 0;
  for (let i = 0; i < values.length; i++) acc += values[i] * ((i % 1013) + 1);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, acc);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

for (const mode of ["corrected", "seed"]) {
  let best = Infinity;
  let out;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    out = unifiedFeaturesBatch(columns, n, { mode });
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  console.log(
    `wasm mode=${mode} n=${n} seconds=${best.toFixed(6)} rate=${(n / best).toFixed(0)} checksum=${checksum(out)}`,
  );
}

const model = CtrModel.load(readFileSync(new URL("../../pkg/models/ctr-inflight-v1.bin", import.meta.url)));
let best = Infinity;
let out;
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  out = model.scoreCampaigns(columns, n, "meta", { mode: "corrected" });
  best = Math.min(best, (performance.now() - t) / 1000);
}
console.log(
  `wasm mode=pipeline n=${n} seconds=${best.toFixed(6)} rate=${(n / best).toFixed(0)} checksum=${checksum(out)}`,
);
