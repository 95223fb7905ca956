#!/usr/bin/env bash
# Niche detection speed, native vs wasm (Node; the npm package, full and `lite`, the editor's
# subset), side by side, on the same real served ads of ../shared/data/ad_copy_corpus.csv and the
# default model (models/niche-v2.bin):
#
#   examples/bench_niche.rs (release) -> per-ad detect (one call per ad), batch, account of 10 ads
#   tests/bench/niche.mjs (pkg/, Node) -> the same, on the texts the native run wrote, and checks
#                                         that wasm gives the native niche for every ad
#
#   scripts/bench-niche.sh [N_ADS] [MODEL]     # default 5,000 ads, models/niche-v2.bin
#
# One run, reported numbers (docs/performance.md, docs/niche.md); nothing asserts on time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
N="${1:-5000}"
MODEL="${2:-models/niche-v2.bin}"
CORPUS="${NICHE_CORPUS:-$ROOT/../shared/data/ad_copy_corpus.csv}"

if [ -z "${NICHE_BENCH_SKIP_BUILD:-}" ]; then
  bash scripts/build-pkg.sh >/dev/null 2>&1 || bash scripts/build-pkg.sh
fi
cargo build --release --quiet --example bench_niche

out="$(mktemp -d "${TMPDIR:-/tmp}/crosslearn-bench-niche.XXXXXX")"
trap 'rm -rf "$out"' EXIT
native=$("$CARGO_TARGET_DIR/release/examples/bench_niche" "$out" "$N" "$CORPUS" "$MODEL")
wasm=$(node tests/bench/niche.mjs "$out")
echo "$native"
echo "$wasm"

# field TEXT PREFIX KEY: the value of KEY on the line starting with PREFIX.
field() { grep -F -- "$2" <<<"$1" | head -n 1 | sed -n "s/.* $3=\([^ ]*\).*/\1/p"; }
echo
echo "Niche detection, $MODEL, $(field "$native" "native texts" n) real served ads (mean $(field "$native" "native texts" mean_chars) characters), best of 3 (cores: $(nproc))"
printf '%-22s %12s %12s %12s %12s %12s\n' measure native "wasm full" "wasm lite" "full/native" "lite/native"
row() { # row LABEL NATIVE_PREFIX WASM_KIND KEY
  local n f l
  n=$(field "$native" "native $2" "$4"); f=$(field "$wasm" "wasm full $3" "$4"); l=$(field "$wasm" "wasm lite $3" "$4")
  awk -v lab="$1" -v n="$n" -v f="$f" -v l="$l" 'BEGIN {
    printf "%-22s %12.2f %12.2f %12.2f %11.2fx %11.2fx\n", lab, n, f, l, f / n, l / n }'
}
row "detect, us per ad" "detect" "detect" us_per_ad
row "detect, p50 us" "detect" "detect" p50_us
row "detect, p95 us" "detect" "detect" p95_us
row "detect, max us" "detect" "detect" max_us
row "batch, us per ad" "batch" "batch" us_per_ad
row "account (10 ads), us" "account" "account" us_per_account
echo "same niche as native: full $(field "$wasm" "wasm full detect" same_niche), lite $(field "$wasm" "wasm lite detect" same_niche); max |confidence gap| full $(field "$wasm" "wasm full detect" max_abs_conf_diff), lite $(field "$wasm" "wasm lite detect" max_abs_conf_diff)"
