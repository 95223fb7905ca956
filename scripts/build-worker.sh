#!/usr/bin/env bash
# Build the Worker (worker/) into worker/build/{index.js,index_bg.wasm}, with no downloads:
#   - worker-build (pinned in scripts/versions.sh) compiles the crate for wasm32 in release mode
#     (at opt-level z, see below), into the workspace's shared target dir (it asks
#     `cargo metadata`, which honours CARGO_TARGET_DIR, set by lib.sh);
#   - it runs OUR wasm-bindgen CLI (WASM_BINDGEN_BIN; the version must equal the crate pin in the
#     root Cargo.toml), never a downloaded one;
#   - it bundles the JS shim with the esbuild wrangler already installed in node_modules
#     (ESBUILD_BIN), if there is one; otherwise worker-build fetches esbuild from the npm registry;
#   - --no-opt: worker-build's own wasm-opt step would download binaryen, so we run the npm
#     `binaryen` wasm-opt ourselves afterwards (skip with WASM_OPT=0).
# wrangler.toml has no [build] command on purpose: `wrangler dev` serves what this script built.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

WASM_BINDGEN_BIN="$(command -v wasm-bindgen || true)"
if [ -z "$WASM_BINDGEN_BIN" ]; then
  echo "wasm-bindgen CLI not found; run scripts/setup.sh" >&2
  exit 1
fi
command -v worker-build >/dev/null || { echo "worker-build not found; run scripts/setup.sh" >&2; exit 1; }
export WASM_BINDGEN_BIN
# Optimize the Worker's Rust for size (the root release profile says opt-level 3, which suits the
# browser package). Measured: 141.7 -> 124.5 KiB gzip upload. The core's per-request work is a few
# hundred float operations, so speed is not what matters here; the bundle size is (cold starts,
# the platform's size limit). Override by exporting CARGO_PROFILE_RELEASE_OPT_LEVEL.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-z}"
if [ -x "$ROOT/node_modules/.bin/esbuild" ]; then
  export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
fi

log "worker-build --release --no-opt (CARGO_TARGET_DIR=$CARGO_TARGET_DIR, opt-level=$CARGO_PROFILE_RELEASE_OPT_LEVEL, WASM_BINDGEN_BIN=$WASM_BINDGEN_BIN${ESBUILD_BIN:+, ESBUILD_BIN=$ESBUILD_BIN})"
(cd worker && worker-build --release --no-opt)

wasm="worker/build/index_bg.wasm"
[ -f "$wasm" ] || { echo "expected $wasm after worker-build" >&2; exit 1; }
if [ "${WASM_OPT:-1}" != 0 ] && [ -x node_modules/.bin/wasm-opt ]; then
  before=$(wc -c < "$wasm")
  # Exactly the features the module uses: rustc's wasm32 defaults plus exception handling (the
  # try_table wrappers wasm-bindgen adds for the Workers panic/abort handler). Not
  # --all-features: with it, binaryen 132 writes newer encodings (e.g. compact imports) that
  # workerd rejects at load time ("unknown import kind 0x7f").
  features=(--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int
            --enable-bulk-memory --enable-bulk-memory-opt --enable-call-indirect-overlong
            --enable-reference-types --enable-multivalue --enable-exception-handling)
  log "wasm-opt -Oz ${features[*]} $wasm"
  node_modules/.bin/wasm-opt "${features[@]}" -Oz "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
  echo "wasm: $before -> $(wc -c < "$wasm") bytes"
else
  echo "wasm-opt skipped (WASM_OPT=0 or node_modules/.bin/wasm-opt missing): $(wc -c < "$wasm") bytes"
fi
ls -l worker/build
