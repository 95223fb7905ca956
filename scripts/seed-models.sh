#!/usr/bin/env bash
# Seed the model files the Worker reads from KV (binding MODELS) instead of embedding them: each
# file of models/ below goes under key `model:<name>`, byte for byte, one wrangler call per file.
#
#   bash scripts/seed-models.sh --local --persist-to DIR        # the local state `wrangler dev --persist-to DIR` uses
#   bash scripts/seed-models.sh --remote --env production       # the deployed namespace (docs/worker-edge.md "Production")
#
# Every argument is passed to `wrangler kv key put` (so --local/--remote, --persist-to, --env,
# --config work as wrangler documents them). The Worker pins each file's FNV-1a 64 at build time
# (worker/build.rs), so seed the files of the same checkout the deployed Worker was built from:
# other bytes are refused with 503 `model_unavailable` (docs/worker.md, "Model files").
# Used by scripts/dev.sh; tests/e2e/lib/wrangler.mjs does the same through seedModels(), once per
# template dir (`freshState`) that startWorker copies into each new Worker's persist dir.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The KV models (worker/src/service/models.rs KV_MODELS; a native test checks this list).
KV_MODELS=(niche-v2.bin)

[ "$#" -gt 0 ] || { echo "usage: $0 (--local --persist-to DIR | --remote --env production) [wrangler options]" >&2; exit 2; }
for name in "${KV_MODELS[@]}"; do
  file="models/$name"
  [ -f "$file" ] || { echo "$file missing" >&2; exit 1; }
  log "wrangler kv key put model:$name --path $file --binding MODELS $* ($(wc -c < "$file") bytes)"
  CI=1 WRANGLER_SEND_METRICS=false wrangler kv key put "model:$name" --path "$file" --binding MODELS "$@"
done
