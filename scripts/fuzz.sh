#!/usr/bin/env bash
# Fuzz every target in fuzz/ (cargo-fuzz, libFuzzer) and print a table of executions, time and
# crashes. Installs what it needs (cargo-fuzz pinned, a nightly toolchain) and builds the seed
# corpora from the real data (../shared/data) and the shipped models (examples/fuzz_seeds.rs).
#
#   bash scripts/fuzz.sh                    # 60 s per target
#   bash scripts/fuzz.sh 600                # 600 s per target
#   bash scripts/fuzz.sh --runs 1000000     # exactly N executions per target (the local run)
#   bash scripts/fuzz.sh --ci               # the CI-sized run: quick build (--dev), 10 s per target
#   bash scripts/fuzz.sh --runs 20000 csv_import model_load    # some targets only
#
# Corpora live in $CARGO_TARGET_DIR/fuzz-corpus/<target> (kept between runs, never committed);
# crashing inputs in fuzz/artifacts/<target>/. Exit status: non-zero if any target crashed.
# A crash becomes a regression test in tests/fuzz_regressions.rs (see docs/robustness.md).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

CARGO_FUZZ_VERSION=0.13.2
TARGETS_ALL="record_json csv_import model_load niche_copy_text normalize_features"
DATA_DIR="${FUZZ_DATA_DIR:-$ROOT/../shared/data}"

limit=(-max_total_time=60)
what="60 s"
# Release with debug assertions and overflow checks (-a); no sanitizer (-s none): the core has no
# `unsafe`, so AddressSanitizer would find nothing the Rust checks do not, at 3-10x the cost.
FUZZ_FLAGS=(-s none -a)
case "${1:-}" in
  --runs) limit=(-runs="$2"); what="$2 runs"; shift 2 ;;
  --ci) limit=(-max_total_time=10); what="10 s (CI, --dev build)"; FUZZ_FLAGS+=(--dev); shift ;;
  ''|-*) ;;
  *) limit=(-max_total_time="$1"); what="$1 s"; shift ;;
esac
targets="${*:-$TARGETS_ALL}"

# Tools: a nightly toolchain (cargo-fuzz passes -Z flags) and cargo-fuzz at the pinned version.
# These machines have nightly installed; rustup's download server is not reachable from them, so
# without nightly the stable toolchain is used with RUSTC_BOOTSTRAP=1 (unstable flags allowed).
if rustup toolchain list | grep -q '^nightly'; then
  TOOLCHAIN=(+nightly)
else
  log "no nightly toolchain: stable with RUSTC_BOOTSTRAP=1"
  TOOLCHAIN=()
  export RUSTC_BOOTSTRAP=1
fi
if ! cargo fuzz --version 2>/dev/null | grep -qw "$CARGO_FUZZ_VERSION"; then
  log "cargo install cargo-fuzz@$CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

# Seed corpora (debug build of one example: shares the test build's dependencies).
CORPUS="$CARGO_TARGET_DIR/fuzz-corpus"
log "seed corpora -> $CORPUS"
cargo run -q --example fuzz_seeds -- "$DATA_DIR" "$CORPUS"

# The fuzz build has its own target dir (its instrumentation RUSTFLAGS would invalidate the
# normal one).
export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"
t0=$SECONDS
log "cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz build"
(cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz build "${FUZZ_FLAGS[@]}")
build_s=$((SECONDS - t0))

summary=()
failed=0
for t in $targets; do
  log "fuzz $t ($what)"
  out="$CARGO_TARGET_DIR/$t.log"
  mkdir -p "$CORPUS/$t"
  # The saved regression inputs (tests/data/fuzz/<target>) are read too (never written to).
  extra=()
  [ -d "$ROOT/tests/data/fuzz/$t" ] && extra=("$ROOT/tests/data/fuzz/$t")
  t1=$SECONDS
  set +e
  # -rss_limit_mb: a forged length must not allocate gigabytes. -timeout: no input may hang.
  (cd fuzz && cargo ${TOOLCHAIN[@]+"${TOOLCHAIN[@]}"} fuzz run "${FUZZ_FLAGS[@]}" "$t" "$CORPUS/$t" ${extra[@]+"${extra[@]}"} -- "${limit[@]}" \
    -max_len=4096 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1) >"$out" 2>&1
  rc=$?
  set -e
  dt=$((SECONDS - t1))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
  crashes=0
  if [ "$rc" != 0 ]; then
    failed=1
    crashes=1
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$out" | head -8 || true
    echo "(full log: $out)"
  fi
  summary+=("$(printf '%-20s %10s %7ss %8s' "$t" "${runs:-?}" "$dt" "$crashes")")
done

log "fuzz summary ($what per target; build ${build_s}s)"
printf '%-20s %10s %8s %8s\n' target executions time crashes
for s in "${summary[@]}"; do echo "$s"; done
exit "$failed"
