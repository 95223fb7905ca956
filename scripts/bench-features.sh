#!/usr/bin/env bash
# Feature-building and whole-pipeline (normalize -> features -> CTR) throughput, native vs wasm, side by side, on the same SYNTHETIC campaigns
# (src/synth.rs, seeded): examples/bench_features.rs (release) and tests/bench/features.mjs (the
# npm package in pkg/, under Node). Both time one batch call over all campaigns, best of 3,
# generation excluded. Also prints the npm .wasm size.
#
#   scripts/bench-features.sh [N_CAMPAIGNS]     # default 1,000,000
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${1:-1000000}"

bash scripts/build-pkg.sh >/dev/null 2>&1 || bash scripts/build-pkg.sh
cargo build --release --quiet --example bench_features

native=$("$CARGO_TARGET_DIR/release/examples/bench_features" "$N")
wasm=$(node tests/bench/features.mjs "$N")
echo "$native"
echo "$wasm"

field() { sed -n "s/.*mode=$2 .*$3=\([^ ]*\).*/\1/p" <<<"$1"; }
echo
echo "unifiedFeaturesBatch (corrected, seed) and the whole pipeline normalize -> features -> in-flight CTR"
echo "(pipeline = CtrModel.scoreCampaigns), $N synthetic 3-platform campaigns, one call, best of 3 (cores: $(nproc))"
printf '%-10s %18s %18s %12s %12s\n' mode "native campaigns/s" "wasm campaigns/s" "wasm/native" "same output"
for mode in corrected seed pipeline; do
  ns=$(field "$native" "$mode" seconds); ws=$(field "$wasm" "$mode" seconds)
  same=no; [ "$(field "$native" "$mode" checksum)" = "$(field "$wasm" "$mode" checksum)" ] && same=yes
  awk -v m="$mode" -v n="$N" -v ns="$ns" -v ws="$ws" -v same="$same" 'BEGIN {
    printf "%-10s %18.0f %18.0f %11.2fx %12s\n", m, n / ns, n / ws, ws / ns, same }'
done

wasmfile=pkg/crosslearn_bg.wasm
raw=$(stat -c %s "$wasmfile"); gz=$(gzip -9 -c "$wasmfile" | wc -c)
awk -v raw="$raw" -v gz="$gz" 'BEGIN {
  printf "\nnpm package wasm (pkg/crosslearn_bg.wasm): %d bytes raw (%.1f KiB), %d bytes gzip -9 (%.1f KiB)\n",
    raw, raw / 1024, gz, gz / 1024 }'
