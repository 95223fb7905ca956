// CTR model benchmark of the npm package in pkg/ under Node, on the SIMULATED rows that
// examples/bench_ctr.rs wrote to DIR (scripts/bench-ctr.sh runs both and prints them side by side).
//
//   node tests/bench/ctr.mjs DIR          # needs pkg/ built (scripts/build-pkg.sh)
//
// Times, in the same way as the native side: `scoreBatch` one row per call (batch of 1) and over
// 100,000 rows in one call (best of 5; the time includes copying the rows into wasm memory and
// the scores out, as any caller pays), and `CtrModel.train` on the 100,000 rows' columns. Prints
// one line per measurement in the native format, with the same checksums, and how far the wasm
// scores are from the native ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  initSync,
  CtrModel,
  ctrLayouts,
  prelaunchFeatureNames,
} from "../../pkg/crosslearn.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node tests/bench/ctr.mjs DIR");
const SEED = 20261121; // examples/bench_ctr.rs SEED
const BATCH = 100_000;
const SINGLE_CALLS = 200_000;

initSync({ module: readFileSync(new URL("../../pkg/crosslearn_bg.wasm", import.meta.url)) });

const buf = (name) => {
  const b = readFileSync(join(dir, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
};
const x = new Float32Array(buf("x.f32"));
const clicks = new Float64Array(buf("clicks.f64"));
const impressions = new Float64Array(buf("impressions.f64"));
const native = new Float32Array(buf("scores.f32"));
const nativeTrained = new Float32Array(buf("trained-100k.scores.f32"));
const model = CtrModel.load(new Uint8Array(buf("model.bin")), "pre_launch");
const d = model.nFeatures;

// Position-weighted sum in plain f64 arithmetic, as examples/bench_ctr.rs computes it.
function checksum(values) {
  let acc = 0;
  for (let i = 0; i < values.length; i++) acc += values[i] * ((i % 1013) + 1);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, acc);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const line = (what, n, s, out) =>
  console.log(
    `wasm ${what} n=${n} seconds=${s.toFixed(6)} rate=${(n / s).toFixed(0)} checksum=${checksum(out)}`,
  );

// Batch of 1: one call per row (a subarray view, copied into wasm memory by the binding).
let best = Infinity;
const single = new Float32Array(SINGLE_CALLS);
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  for (let i = 0; i < SINGLE_CALLS; i++) {
    const j = i % BATCH;
    single[i] = model.scoreBatch(x.subarray(j * d, (j + 1) * d), 1)[0];
  }
  best = Math.min(best, (performance.now() - t) / 1000);
}
line("score batch=1", SINGLE_CALLS, best, single);

best = Infinity;
let scores;
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  scores = model.scoreBatch(x, BATCH);
  best = Math.min(best, (performance.now() - t) / 1000);
}
line(`score batch=${BATCH}`, BATCH, best, scores);
console.log(`wasm score max_abs_diff_vs_native=${maxDiff(scores, native).toExponential(3)}`);

const options = {
  kind: "pre_launch",
  layout: ctrLayouts().prelaunch,
  featureNames: prelaunchFeatureNames(),
  l2: 1,
  calibrationShare: 0.2,
  seed: SEED,
  trainedOn: "bench (SIMULATED)",
};
const t = performance.now();
const trained = CtrModel.train({ x, clicks, impressions }, options);
const s = (performance.now() - t) / 1000;
const check = trained.scoreBatch(x, BATCH);
const bytes = trained.toBytes();
let fnv = 0xcbf29ce484222325n;
for (const byte of bytes) fnv = BigInt.asUintN(64, (fnv ^ BigInt(byte)) * 0x100000001b3n);
console.log(
  `wasm train rows=${BATCH} seconds=${s.toFixed(3)} model_fnv=${fnv.toString(16).padStart(16, "0")} ` +
    `checksum=${checksum(check)} max_abs_diff_vs_native=${maxDiff(check, nativeTrained).toExponential(3)}`,
);
