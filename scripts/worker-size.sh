#!/usr/bin/env bash
# Print the Worker's upload size, the figure Cloudflare's size limit applies to:
#   wrangler deploy --dry-run --outdir <tmp>   (offline: bundles, uploads nothing)
# and its "Total Upload: X KiB / gzip: Y KiB" line. Needs worker/build/ (scripts/build-worker.sh).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

[ -f worker/build/index.js ] || { echo "worker/build/index.js missing; run scripts/build-worker.sh" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
log "wrangler deploy --dry-run --outdir $out"
log_file="$out/wrangler.log"
if ! wrangler deploy --dry-run --outdir "$out/bundle" >"$log_file" 2>&1; then
  cat "$log_file" >&2
  exit 1
fi
line="$(grep -E 'Total Upload:' "$log_file" || true)"
if [ -z "$line" ]; then
  cat "$log_file" >&2
  echo "no 'Total Upload' line in wrangler's output" >&2
  exit 1
fi
echo "$line" | sed 's/^[[:space:]]*//'
ls -l "$out/bundle"
