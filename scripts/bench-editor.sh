#!/usr/bin/env bash
# Measure the ad editor in Chromium (docs/editor.md "Measured"): keystroke-to-updated-score
# latency p50/p95 over 200 edits, and the time to import and score a 10,000-row CSV.
# Runs tests/e2e/editor.test.mjs (which asserts everything else too) and prints its
# `editor-bench:` lines. Needs pkg/ and the Worker built:
#   bash scripts/build-pkg.sh && bash scripts/build-worker.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/build-dist.sh > /dev/null
out=$(node --test --test-reporter=spec tests/e2e/editor.test.mjs 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -o 'editor-bench: .*'
echo "(Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), $(nproc) cores; screenshots in .tmp/screenshots/editor/)"
