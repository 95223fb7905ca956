#!/usr/bin/env bash
# CTR model benchmark, native vs wasm, side by side, on the same SIMULATED rows: the pre-launch
# encodings of a 10,000-account simulated network (crosslearn::sim::generate_network; the
# simulator's account cap), replicated up to TRAIN_ROWS for the large native training run.
#
#   examples/bench_ctr.rs (release)  -> scoring (batch 1, batch 100,000), training (100k, TRAIN_ROWS)
#   tests/bench/ctr.mjs (pkg/, Node) -> the same scoring and the 100k training, on rows it reads
#                                       from the native run's output directory
#
#   scripts/bench-ctr.sh [TRAIN_ROWS]     # default 1,000,000
#
# One run, reported numbers; nothing here asserts on wall-clock time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${1:-1000000}"

bash scripts/build-pkg.sh >/dev/null 2>&1 || bash scripts/build-pkg.sh
cargo build --release --quiet --example bench_ctr

out="$(mktemp -d "${TMPDIR:-/tmp}/crosslearn-bench-ctr.XXXXXX")"
trap 'rm -rf "$out"' EXIT
native=$("$CARGO_TARGET_DIR/release/examples/bench_ctr" "$out" "$N")
wasm=$(node tests/bench/ctr.mjs "$out")
echo "$native"
echo "$wasm"

# field TEXT PREFIX KEY: the value of KEY on the line starting with PREFIX.
field() { grep -F -- "$2" <<<"$1" | head -n 1 | sed -n "s/.* $3=\([^ ]*\).*/\1/p"; }
echo
echo "CTR scoring, pre-launch model ($(field "$native" "model file" file)), SIMULATED rows, best of 3/5 (cores: $(nproc))"
printf '%-14s %16s %16s %14s %12s\n' batch "native rows/s" "wasm rows/s" "wasm/native time" "same output"
for b in 1 100000; do
  ns=$(field "$native" "native score batch=$b " seconds); ws=$(field "$wasm" "wasm score batch=$b " seconds)
  nn=$(field "$native" "native score batch=$b " n)
  same=no; [ "$(field "$native" "native score batch=$b " checksum)" = "$(field "$wasm" "wasm score batch=$b " checksum)" ] && same=yes
  awk -v b="$b" -v n="$nn" -v ns="$ns" -v ws="$ws" -v same="$same" 'BEGIN {
    printf "%-14s %16.0f %16.0f %15.2fx %12s\n", b, n / ns, n / ws, ws / ns, same }'
done
echo "max |wasm - native| over the 100,000 scores: $(field "$wasm" "wasm score max_abs" max_abs_diff_vs_native)"
echo
echo "CTR training (CtrModel::train, one fit, l2 = 1, 20 % calibration hold-out), SIMULATED rows"
printf '%-12s %14s %14s %14s\n' rows "native s" "wasm s" "wasm/native"
n100=$(field "$native" "native train rows=100000 " seconds); w100=$(field "$wasm" "wasm train rows=100000 " seconds)
awk -v ns="$n100" -v ws="$w100" 'BEGIN { printf "%-12s %14.3f %14.3f %13.2fx\n", "100000", ns, ws, ws / ns }'
nbig=$(field "$native" "native train rows=$N " seconds)
awk -v n="$N" -v ns="$nbig" 'BEGIN { printf "%-12s %14.3f %14s %14s\n", n, ns, "-", "-" }'
same=no
[ "$(field "$native" "native train rows=100000 " model_fnv)" = "$(field "$wasm" "wasm train rows=100000 " model_fnv)" ] && same=yes
echo "100k model bytes identical native/wasm: $same; max |score diff| of the two trained models: $(field "$wasm" "wasm train" max_abs_diff_vs_native)"
echo "rows: $(field "$native" "rows simulated" distinct) distinct simulated records, replicated to $N"
