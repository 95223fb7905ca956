#!/usr/bin/env bash
# Soak bisection by workload (docs/robustness.md, Soak): several short soaks (scripts/soak.mjs),
# each with one endpoint type or one setting changed, then one table of the memory trends:
# workerd's RSS (both processes, and each: wrangler's proxy, the Worker's runtime), wrangler's node RSS, the Worker's wasm linear memory and (SOAK_V8=1 run) the
# isolate's V8 heap, each as first -> last under load, least-squares MB/min, and after the idle.
#   bash scripts/soak-bisect.sh                        # 120 s per run at 20 req/s, 60 s idle each
#   SOAK_DURATION=30 SOAK_IDLE=10 bash scripts/soak-bisect.sh all score   # chosen runs only
# Runs (names): all, score, niche-wisdom, ingest, dashboard, quiet (all, --log-level none),
# v8 (all, V8 heap through the inspector). Logs and JSON in .tmp/soak/. Takes ~4 min per run.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export SOAK_DURATION="${SOAK_DURATION:-120}" SOAK_RATE="${SOAK_RATE:-20}" SOAK_IDLE="${SOAK_IDLE:-60}"
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(all score niche-wisdom ingest dashboard quiet v8)
out=.tmp/soak
mkdir -p "$out"
status=0
for run in "${runs[@]}"; do
  mix="" level=info v8=0
  case "$run" in
    all) ;;
    score|niche-wisdom|ingest|dashboard) mix="$run" ;;
    quiet) level=none ;;
    v8) v8=1 ;;
    *) echo "unknown run $run" >&2; exit 2 ;;
  esac
  log "soak run $run (SOAK_MIX=${mix:-all} SOAK_LOG_LEVEL=$level SOAK_V8=$v8, ${SOAK_DURATION} s at ${SOAK_RATE} req/s, ${SOAK_IDLE} s idle)"
  rm -f "$out/$run.json"
  SOAK_MIX="$mix" SOAK_LOG_LEVEL="$level" SOAK_V8="$v8" SOAK_JSON="$out/$run.json" \
    bash scripts/soak.sh > "$out/$run.log" 2>&1 || status=1
  tail -n 25 "$out/$run.log"
done
node - "$out" "${runs[@]}" <<'JS'
const fs = require('node:fs');
const [dir, ...runs] = process.argv.slice(2);
const f = (x) => (Number.isFinite(x) ? (Math.round(x * 10) / 10).toString() : 'n/a');
const cell = (s) => (s ? `${f(s.first)} -> ${f(s.last)} (${f(s.trend)}/min; idle ${f(s.afterIdle)})` : 'n/a');
console.log('\n| run | requests | errors | workerd RSS MB (both) | wrangler proxy workerd | Worker runtime workerd | wrangler node RSS MB | wasm memory MB | V8 heap used MB |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const run of runs) {
  let r;
  try {
    r = JSON.parse(fs.readFileSync(`${dir}/${run}.json`, 'utf8'));
  } catch {
    console.log(`| ${run} | failed: see ${dir}/${run}.log | | | | | | | |`);
    continue;
  }
  const s = r.series;
  console.log(`| ${run} (${r.mix.join('+')}, log ${r.logLevel}) | ${r.requests} | ${r.errors} | ${cell(s['RSS workerd (all)'])} | ${cell(s['RSS workerd (wrangler proxy)'])} | ${cell(s['RSS workerd (Worker runtime)'])} | ${cell(s['RSS node (all)'])} | ${cell(s['wasm linear memory'])} | ${cell(s['V8 heap used'])} |`);
}
console.log('\nEach cell: first -> last sample under load (least-squares trend MB/min; the value after the idle phase).');
JS
exit $status
