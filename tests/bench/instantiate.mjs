// The npm package's wasm, full (`crosslearn`) and the editor's subset (`crosslearn/lite`, what
// the ad editor page downloads): raw and gzip -9 size, compile time and instantiate time in Node
// (best and median of 20 fresh compiles; the browser editor pays about the same compile work
// once per page load, then caches it).
//
//   node tests/bench/instantiate.mjs        # needs pkg/ built (scripts/build-pkg.sh)
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import * as full from "../../pkg/crosslearn.js";
import * as lite from "../../pkg/lite/crosslearn_lite.js";

/** @param {string} name @param {string} file @param {(o: { module: Uint8Array }) => unknown} initSync */
async function measure(name, file, initSync) {
  const bytes = readFileSync(new URL(file, import.meta.url));
  const gz = gzipSync(bytes, { level: 9 }).length;
  const compile = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await WebAssembly.compile(bytes);
    compile.push(performance.now() - t);
  }
  // Full initialisation through the package's own glue (compile + instantiate + start), first call.
  const t = performance.now();
  initSync({ module: bytes });
  const init = performance.now() - t;
  compile.sort((a, b) => a - b);
  const med = compile[Math.floor(compile.length / 2)];
  console.log(`${name} raw=${bytes.length} gzip9=${gz} compile_best_ms=${compile[0].toFixed(1)} compile_median_ms=${med.toFixed(1)} init_sync_ms=${init.toFixed(1)}`);
}

await measure("npm wasm (full)", "../../pkg/crosslearn_bg.wasm", full.initSync);
await measure("npm wasm (lite, the editor's)", "../../pkg/lite/crosslearn_lite_bg.wasm", lite.initSync);
