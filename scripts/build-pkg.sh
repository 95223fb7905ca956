#!/usr/bin/env bash
# Build the npm package `crosslearn` into pkg/ (docs/npm.md).
#
#   wasm-pack (release, --target web, feature `wasm`) -> binaryen wasm-opt -Oz -> package.json fixes
#   + the editor's subset `crosslearn/lite` (feature `wasm-lite`, opt-level z) into pkg/lite/
#
# wasm-pack uses the wasm-bindgen CLI on PATH (pinned in scripts/versions.sh); its own wasm-opt
# step is off (Cargo.toml metadata) because it would try to download binaryen, so the npm
# `binaryen` from package-lock.json runs here instead. Prints the .wasm size raw and gzipped.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

with_simd wasm-pack build --release --target web --out-dir pkg --out-name crosslearn -- --features wasm

wasm="pkg/crosslearn_bg.wasm"
before=$(stat -c %s "$wasm")
# Enable exactly the post-MVP features rustc emits for wasm32-unknown-unknown (wasm-opt
# --print-features on the raw module), plus SIMD (scripts/lib.sh `with_simd`). NOT
# --all-features: with it, -Oz rewrites strings to `stringref`, which Node 20 and browsers
# refuse ("invalid value type 'stringref'").
WASM_FEATURES="--enable-mutable-globals --enable-nontrapping-float-to-int --enable-bulk-memory
  --enable-bulk-memory-opt --enable-sign-ext --enable-reference-types --enable-multivalue
  --enable-call-indirect-overlong --enable-simd"
# shellcheck disable=SC2086
node_modules/.bin/wasm-opt $WASM_FEATURES -Oz "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"

# The subset the ad editor downloads (feature `wasm-lite`: normalize, copy attributes, niche
# detection, CTR scoring, recommendations, CSV import), built for size: opt-level z (the editor
# scores one creative per keystroke, so speed matters less than the download) in its own target
# dir (another profile would otherwise rebuild every dependency of the full build each time).
lite=pkg/lite/crosslearn_lite_bg.wasm
CARGO_PROFILE_RELEASE_OPT_LEVEL=z with_simd_dir "$CARGO_TARGET_DIR/lite" \
  wasm-pack build --release --target web --out-dir pkg/lite --out-name crosslearn_lite -- --features wasm-lite
# shellcheck disable=SC2086
node_modules/.bin/wasm-opt $WASM_FEATURES -Oz "$lite" -o "$lite.opt"
mv "$lite.opt" "$lite"
# Only the module, its JS glue and types: the package's manifest, README and LICENSE are the full one's.
rm -f pkg/lite/package.json pkg/lite/README.md pkg/lite/.gitignore pkg/lite/LICENSE

# The niche model is NOT compiled into the .wasm (it would add its size to every page that never
# detects a niche): the package ships it as a file next to the wasm, and callers pass its bytes
# to `NicheModel.load` (resolve `crosslearn/models/niche-v2.bin`).
mkdir -p pkg/models
cp models/niche-v2.bin pkg/models/niche-v2.bin
# The CTR models likewise (docs/ctr-js.md): callers pass their bytes to `CtrModel.load`, and the
# grounded model's text to `GroundedCtr.fromJson`.
CTR_MODELS="ctr-prelaunch-v1.bin ctr-inflight-v1.bin ctr-grounded-v1.json"
for f in $CTR_MODELS; do cp "models/$f" "pkg/models/$f"; done
export CTR_MODELS

# wasm-pack names the package after the crate (already `crosslearn`) and writes a web-only
# manifest. Make it a proper ES module package for Node and bundlers too: `"type": "module"`,
# an `exports` map (types first) that also exposes the .wasm for `initSync` and the model files.
node --input-type=module - <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const path = "pkg/package.json";
const p = JSON.parse(readFileSync(path, "utf8"));
// `crosslearn/lite`: the editor's subset (same names, fewer functions, a smaller .wasm).
p.name = "crosslearn";
p.type = "module";
p.main = "crosslearn.js";
p.types = "crosslearn.d.ts";
p.exports = {
  ".": { types: "./crosslearn.d.ts", default: "./crosslearn.js" },
  "./crosslearn_bg.wasm": "./crosslearn_bg.wasm",
  "./models/niche-v2.bin": "./models/niche-v2.bin",
  "./lite": { types: "./lite/crosslearn_lite.d.ts", default: "./lite/crosslearn_lite.js" },
  "./lite/crosslearn_lite_bg.wasm": "./lite/crosslearn_lite_bg.wasm",
  "./package.json": "./package.json",
};
const ctrModels = process.env.CTR_MODELS.split(" ").map((f) => `models/${f}`);
for (const f of ctrModels) p.exports[`./${f}`] = `./${f}`;
const files = new Set(p.files ?? []);
for (const f of ["crosslearn_bg.wasm", "crosslearn.js", "crosslearn.d.ts", "crosslearn_bg.wasm.d.ts", "models/niche-v2.bin", ...ctrModels]) files.add(f);
for (const f of ["crosslearn_lite_bg.wasm", "crosslearn_lite.js", "crosslearn_lite.d.ts", "crosslearn_lite_bg.wasm.d.ts"]) files.add(`lite/${f}`);
files.add("LICENSE");
p.files = [...files];
// Publishing metadata. wasm-pack copies name, version, description and license from Cargo.toml
// (`[workspace.package]`); the rest is set here, and every field is checked below so a
// wasm-pack change cannot drop one silently. No `repository`/`homepage`: the project has no
// public URL yet, and a placeholder must never be published; scripts/publish-npm.sh writes
// the real one (CROSSLEARN_REPOSITORY_URL) into the copy it publishes, and refuses without it.
p.description = "Cross-platform, cross-account ad learning in WebAssembly: metric normalizer, creative features, niche detection, calibrated CTR scoring and private niche wisdom, offline in the browser and Node";
p.keywords = ["advertising", "ads", "ctr", "marketing", "creative", "niche", "differential-privacy", "webassembly", "wasm"];
// The licence declared in Cargo.toml (the LICENSE file's text is MIT; tests/npm checks all three agree).
const cargoLicense = readFileSync("Cargo.toml", "utf8").match(/^license = "([^"]+)"$/m)?.[1];
if (!cargoLicense || p.license !== cargoLicense) {
  console.error(`build-pkg: package.json license ${p.license} is not Cargo.toml's ${cargoLicense}`);
  process.exit(1);
}
delete p.repository;
delete p.homepage;
p.engines = { node: ">=20" };
// Importing the package runs no code with effects outside the module (the glue only defines
// functions, classes and module-local caches; the .wasm is instantiated by the caller's
// `init`/`initSync`), so bundlers may drop it when nothing is imported.
p.sideEffects = false;
for (const k of ["name", "version", "description", "license", "keywords", "type", "main", "types", "exports", "files", "engines", "sideEffects"]) {
  if (p[k] === undefined || (Array.isArray(p[k]) && p[k].length === 0)) {
    console.error(`build-pkg: package.json lacks ${k}`);
    process.exit(1);
  }
}
if (JSON.stringify(p).includes("example.invalid")) {
  console.error("build-pkg: package.json carries a placeholder URL");
  process.exit(1);
}
writeFileSync(path, JSON.stringify(p, null, 2) + "\n");
JS

# The licence text the manifest declares (MIT), shipped in the tarball.
cp LICENSE pkg/LICENSE

# The package's README is docs/npm.md's marked section (wasm-pack copied the whole project README).
{
  printf '# crosslearn\n\n'
  awk '/<!-- npm:end -->/ { f = 0 } f { print } /<!-- npm:begin -->/ { f = 1 }' docs/npm.md
} > pkg/README.md

# wasm-pack drops a `*` .gitignore into pkg/; the repo's own .gitignore already covers pkg/, and
# pkg/.gitkeep is tracked.
rm -f pkg/.gitignore
touch pkg/.gitkeep

# The raw wasm exports (the `InitOutput` interface and crosslearn_bg.wasm.d.ts) take JS values as
# externrefs, which wasm-bindgen types `any`; `unknown` is the honest type and keeps the package
# free of `any`. The public API's types come from tsify and never contain it.
sed -E -i '/^\s*(readonly|export const) [A-Za-z0-9_]+: \(/ s/\bany\b/unknown/g' pkg/crosslearn.d.ts pkg/crosslearn_bg.wasm.d.ts \
  pkg/lite/crosslearn_lite.d.ts pkg/lite/crosslearn_lite_bg.wasm.d.ts
# wasm-bindgen declares `[Symbol.dispose](): void;` on every exported class (CopyExtractor,
# NicheModel). `Symbol.dispose` is only in TypeScript's `esnext` lib, so a strict consumer on
# es2022 (tests/npm/tsconfig.json) fails to type-check the package; and the JS only installs the
# method when the runtime has `Symbol.dispose`. Drop the declaration: `free()` is the documented
# way to release an object.
sed -E -i '/^\s*\[Symbol\.dispose\]\(\): void;$/d' pkg/crosslearn.d.ts pkg/lite/crosslearn_lite.d.ts
if grep -n 'Symbol\.dispose' pkg/crosslearn.d.ts pkg/lite/crosslearn_lite.d.ts; then
  echo "build-pkg: could not remove the Symbol.dispose declarations (see above)" >&2
  exit 1
fi
# Doc comments may say "any" in prose; only code lines count.
if grep -nw any pkg/*.d.ts pkg/lite/*.d.ts | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)'; then
  echo "build-pkg: the generated .d.ts contains 'any' (see above)" >&2
  exit 1
fi

model_size=$(stat -c %s pkg/models/niche-v2.bin)
raw=$(stat -c %s "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
awk -v raw="$raw" -v gz="$gz" -v before="$before" 'BEGIN {
  printf "pkg/crosslearn_bg.wasm: %d bytes raw (%.1f KiB; %d before wasm-opt), %d bytes gzip -9 (%.1f KiB)\n",
    raw, raw / 1024, before, gz, gz / 1024 }'
lraw=$(stat -c %s "$lite")
lgz=$(gzip -9 -c "$lite" | wc -c)
awk -v raw="$lraw" -v gz="$lgz" 'BEGIN {
  printf "pkg/lite/crosslearn_lite_bg.wasm (the editor'"'"'s subset): %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n",
    raw, raw / 1024, gz, gz / 1024 }'
echo "pkg/models/niche-v2.bin: $model_size bytes (shipped as a file, not in the .wasm)"
for f in $CTR_MODELS; do
  echo "pkg/models/$f: $(stat -c %s "pkg/models/$f") bytes (shipped as a file, not in the .wasm)"
done
