#!/usr/bin/env bash
# Load numbers for the Worker on local workerd (docs/performance.md; docs/worker-edge.md):
#   bash scripts/bench-worker.sh            # ~2 min: 3 endpoints x (20 s fixed rate + 10 s saturation)
#   BENCH_SMOKE=1 bash scripts/bench-worker.sh   # 2 s per run: checks the script, numbers meaningless
# Knobs: BENCH_RATE, BENCH_DURATION, BENCH_SAT_DURATION, BENCH_CONNECTIONS, BENCH_ACCOUNTS,
# BENCH_OUT=<file.json> (see scripts/bench-worker.mjs). Everything stays on 127.0.0.1.
# Not part of scripts/test.sh: the numbers depend on the machine and what else runs on it.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f worker/build/index.js ] || { echo "worker/build missing: run scripts/build-worker.sh" >&2; exit 1; }
[ -d dist ] || { echo "dist/ missing: run scripts/build-dist.sh" >&2; exit 1; }
[ -f pkg/crosslearn.js ] || { echo "pkg/ missing: run scripts/build-pkg.sh" >&2; exit 1; }
[ -d node_modules/autocannon ] || { echo "autocannon missing: run scripts/setup.sh (npm ci)" >&2; exit 1; }
exec node scripts/bench-worker.mjs
