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

export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
stage "wasm tests: node (+ native-vs-wasm differential)" with_simd wasm-pack test --node --release --features wasm \
  --test web --test web_differential
stage "wasm tests: chromium" with_simd wasm-pack test --headless --chrome --chromedriver "$CHROMEDRIVER" \
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
