#!/usr/bin/env bash
# Redis vs D1-only through the Worker (docs/redis.md "Measured"): ingest records/s, and
# publication time for 1,000 and 10,000 opted-in accounts in both modes, on SIMULATED data.
#
#   scripts/bench-redis.sh [ACCOUNT_COUNTS...]     # default: 1000 10000
#
# Needs redis-server (scripts/setup.sh installs it). Builds the Worker first. One run; nothing
# here asserts on wall-clock time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/build-worker.sh >/dev/null
bash scripts/build-dist.sh >/dev/null
NPROC="$(nproc)" node tests/bench/redis.mjs "$@"
