#!/usr/bin/env bash
# Soak: a mixed workload (score 40 %, niche-wisdom 30 %, ingest 20 %, dashboard 10 %) at a
# fixed open-loop rate against local workerd + redis-server; every 10 s the RSS of each process of
# `wrangler dev` (wrangler's node, workerd), the Worker's wasm linear memory (GET /api/admin/runtime)
# and, with SOAK_V8=1, the isolate's V8 heap; then 60 s idle; the summary gives each series' trend
# (MB/min) and its value after the idle. Redis checked against D1 at the end (scripts/soak.mjs).
# Not part of scripts/test.sh (6 minutes).
#   bash scripts/soak.sh                              # 300 s at 20 req/s, then 60 s idle
#   SOAK_DURATION=30 SOAK_RATE=10 SOAK_IDLE=10 bash scripts/soak.sh   # a short check of the script
#   SOAK_MIX=score SOAK_LOG_LEVEL=none bash scripts/soak.sh   # one endpoint type, quiet wrangler
# Several such runs tabulated: scripts/soak-bisect.sh.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f worker/build/index.js ] || { echo "worker/build missing: run scripts/build-worker.sh" >&2; exit 1; }
[ -f pkg/crosslearn.js ] || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server missing: run scripts/setup.sh" >&2; exit 1; }
exec node scripts/soak.mjs
