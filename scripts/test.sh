#!/usr/bin/env bash
# THE test command (README "Two commands"; .ci/run calls exactly this). Installs what it needs first.
# Every stage prints its wall time; a summary of stage times is printed at the end.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
T0=$SECONDS
trap 'print_stage_times; echo "total: $((SECONDS - T0))s"' EXIT

stage "setup" bash scripts/setup.sh

stage "fmt" cargo fmt --all --check

clippy_all() {
  # Core without and with the `wasm` feature, natively and for wasm32; the Worker both ways.
  cargo clippy -p crosslearn --all-targets -- -D warnings
  cargo clippy -p crosslearn --all-targets --features wasm -- -D warnings
  cargo clippy -p crosslearn --lib --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p crosslearn --lib --features wasm --target wasm32-unknown-unknown -- -D warnings
  # The editor's subset (npm `crosslearn/lite`): what it leaves out must not leave dead code.
  cargo clippy -p crosslearn --lib --features wasm-lite --target wasm32-unknown-unknown -- -D warnings
  cargo clippy -p crosslearn-worker --all-targets -- -D warnings
  cargo clippy -p crosslearn-cli --all-targets -- -D warnings
  cargo clippy -p crosslearn-worker --lib --target wasm32-unknown-unknown -- -D warnings
}
stage "clippy" clippy_all

stage "native tests" cargo test --workspace

stage "build npm package (pkg/)" bash scripts/build-pkg.sh

# `wasm-pack test` builds EVERY test target and binary of the crate for wasm32 (`cargo build
# --tests`, ~40 wasm files), then runs the ones named. Release, so the tests run the optimised code,
# but without the shipped build's LTO and single codegen unit (small wasm; tests/ need none of it):
# each of those files otherwise gets a whole-program LTO link. Both stages use the same settings, so
# the Chromium one reuses the build. Their own target dir: the lib's cdylib (deps/crosslearn.wasm)
# has no hash in its name, so a build with other profile settings in target/simd would overwrite
# the one scripts/build-pkg.sh makes the npm package from, and cargo would still count it fresh.
wasm_test() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    with_simd_dir "$CARGO_TARGET_DIR/simd-test" wasm-pack test "$@"
}
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
stage "wasm tests: node (+ native-vs-wasm differential)" wasm_test --node --release --features wasm \
  --test web --test web_differential
stage "wasm tests: chromium" wasm_test --headless --chrome --chromedriver "$CHROMEDRIVER" \
  --release --features wasm --test web_browser

stage "npm package as a package" bash tests/npm/run.sh

stage "build worker + dist" bash -c 'bash scripts/build-worker.sh && bash scripts/build-dist.sh'

stage "schemathesis (wrangler dev, 25 examples/op)" bash scripts/schemathesis.sh

stage "fuzz (short: 10 s per target)" bash scripts/fuzz.sh --ci

stage "worker end-to-end (wrangler dev)" node --test tests/e2e/

stage "worker bundle size (deploy --dry-run)" bash scripts/worker-size.sh

# The load script on a 2 s budget per run: checks that it still works, its numbers mean nothing
# (the real run is `bash scripts/bench-worker.sh`, not part of the test command).
stage "worker bench smoke" env BENCH_SMOKE=1 bash scripts/bench-worker.sh
