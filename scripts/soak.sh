#!/usr/bin/env bash
# Soak (issue 9): a mixed workload (score 40 %, niche-wisdom 30 %, ingest 20 %, dashboard 10 %) at a
# fixed open-loop rate against local workerd + redis-server, workerd RSS sampled every 10 s, Redis
# checked against D1 at the end (scripts/soak.mjs). Not part of scripts/test.sh (5 minutes).
#   bash scripts/soak.sh                              # 300 s at 20 req/s
#   SOAK_DURATION=30 SOAK_RATE=10 bash scripts/soak.sh   # a short check of the script
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f worker/build/index.js ] || { echo "worker/build missing: run scripts/build-worker.sh" >&2; exit 1; }
[ -f pkg/crosslearn.js ] || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server missing: run scripts/setup.sh" >&2; exit 1; }
exec node scripts/soak.mjs
