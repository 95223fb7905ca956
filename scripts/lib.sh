# Shared shell helpers (sourced). Stage timing and logging.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# One cargo target dir for every stage (native, wasm-pack, worker-build).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The npm package and its wasm tests are built with WebAssembly SIMD (simd128: Chrome/Edge 91+,
# Firefox 89+, Safari 16.4+, Node 16.4+), which vectorizes the CTR scoring loop. Their own target
# dir keeps these artifacts from invalidating the other wasm32 builds (RUSTFLAGS are part of
# cargo's fingerprint). The Worker is built without it.
with_simd() {
  with_simd_dir "$CARGO_TARGET_DIR/simd" "$@"
}
# with_simd_dir DIR CMD...: the same, in target dir DIR.
with_simd_dir() {
  local dir="$1"; shift
  CARGO_TARGET_DIR="$dir" RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+simd128" "$@"
}

log() { printf '\n==> %s\n' "$*"; }

STAGE_TIMES=()
# stage NAME CMD...: run CMD, print and record its wall time; fail fast.
stage() {
  local name="$1"; shift
  local t0=$SECONDS
  log "stage: $name"
  "$@"
  local dt=$((SECONDS - t0))
  STAGE_TIMES+=("$(printf '%-34s %5ss' "$name" "$dt")")
  printf -- '--- stage %s: %ss\n' "$name" "$dt"
}

print_stage_times() {
  log "stage times"
  local s
  for s in "${STAGE_TIMES[@]}"; do echo "  $s"; done
}
