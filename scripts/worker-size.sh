#!/usr/bin/env bash
# Print the Worker's upload size, the figure Cloudflare's size limit applies to:
#   wrangler deploy --dry-run --outdir <tmp>   (offline: bundles, uploads nothing)
# and its "Total Upload: X KiB / gzip: Y KiB" line. Needs worker/build/ (scripts/build-worker.sh).
# It then checks the production environment the same way (`--env production`: its bindings,
# vars and placeholders must be a config wrangler accepts).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The production environment's rules first (own name, no workers.dev, k >= 50, no fault hook).
python3 scripts/check-deploy-config.py

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

log "wrangler deploy --dry-run --env production --outdir $out/production"
prod_log="$out/wrangler-production.log"
if ! wrangler deploy --dry-run --env production --outdir "$out/production" >"$prod_log" 2>&1; then
  cat "$prod_log" >&2
  exit 1
fi
grep -q 'Total Upload:' "$prod_log" || { cat "$prod_log" >&2; echo "production dry-run printed no size" >&2; exit 1; }
# The bindings wrangler would deploy with (the placeholders show up here).
sed -n '/Your Worker has access to the following bindings/,/^$/p' "$prod_log"
echo "production: $(grep -E 'Total Upload:' "$prod_log" | sed 's/^[[:space:]]*//')"
