# Shared shell helpers (sourced). Stage timing and logging.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# One cargo target dir for every stage (native, wasm-pack, worker-build).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

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
