#!/usr/bin/env bash
# THE performance report (docs/performance.md): one command, every number side by side,
# from one run on this machine. Each part is an existing bench, run in sequence (nothing in
# parallel, so they do not disturb each other):
#   1. features (normalize -> 19 features), native vs wasm (Node)     scripts/bench-features.sh
#   2. CTR scoring + training, native vs wasm (Node)                  scripts/bench-ctr.sh
#   3. npm .wasm raw / gzip size, compile and instantiate time        tests/bench/instantiate.mjs
#   4. Worker bundle (wrangler deploy --dry-run)                      scripts/worker-size.sh
#   5. Worker p50/p99 per endpoint at a fixed rate, handler time, saturation  scripts/bench-worker.sh
#   6. ingest records/s and publication time, Redis vs D1 only        scripts/bench-redis.sh
# Builds what it needs first (pkg/, worker/build, dist/). Takes ~15-25 min on 2 shared cores.
#   bash scripts/perf-report.sh [REDIS_ACCOUNTS...]    # default: 1000
# Output: the whole log on stdout and a copy in .tmp/perf-report.txt. Nothing asserts on time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
mkdir -p .tmp
REDIS_N=("${@:-1000}")
{
  echo "crosslearn performance report, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  bash scripts/build-pkg.sh >/dev/null
  bash scripts/build-worker.sh >/dev/null
  bash scripts/build-dist.sh >/dev/null
  echo; echo "## 1. Features: normalize -> 19 features, native vs wasm (SYNTHETIC campaigns)"
  bash scripts/bench-features.sh
  echo; echo "## 2. CTR scoring and training, native vs wasm (SIMULATED rows)"
  bash scripts/bench-ctr.sh
  echo; echo "## 3. npm package wasm"
  node tests/bench/instantiate.mjs
  echo; echo "## 4. Worker bundle"
  bash scripts/worker-size.sh 2>&1 | grep -i "total upload"
  echo; echo "## 5. Worker latency and saturation (local wrangler dev)"
  bash scripts/bench-worker.sh
  echo; echo "## 6. Ingest and publication, Redis vs D1 only (local wrangler dev + redis-server)"
  bash scripts/bench-redis.sh "${REDIS_N[@]}"
} 2>&1 | tee .tmp/perf-report.txt
