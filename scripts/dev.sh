#!/usr/bin/env bash
# THE main job (README "Two commands"): set up, build everything, start the local Worker with the page
# under the PRODUCTION release config (wrangler.toml [env.production.vars] RELEASE_CONFIG, k 50),
# seed it with a SIMULATED network big enough that every niche publishes on every platform,
# publish, print a short tour, and keep it running.
#
#   PORT          (default 8787)
#   PERSIST_DIR   local KV/D1 state (default .wrangler/demo-state); reused across runs
#   FRESH=1       delete PERSIST_DIR first (start from an empty demo)
#   SEED=0        skip seeding and publication (just serve)
#   DEMO_ACCOUNTS simulated accounts (default 39960, a multiple of 15; `crosslearn demo-network`
#                 refuses a size whose publication fails with probability > 1 %: docs/demo.md)
#   DEMO_SEED     simulator seed (default 2026)
#   DEMO_RECORDS_PER_CAMPAIGN  write at most N records per campaign of each account (default: all;
#                 the same accounts contribute, to the same platforms: docs/demo.md)
#   DEMO_API_ACCOUNTS  the first accounts, seeded through the public API (default 30: the smoke
#                 test of that path); the others are written to the local D1 directly
#   DEMO_RULE     niches (default: every niche published, each with at least one platform's
#                 benchmark) | platforms (every niche on every platform; needs more accounts) (docs/demo.md)
#   SKIP_BUILD=1  skip setup and the builds (they are idempotent, but take a while to check)
#
# Seeding (docs/demo.md): `crosslearn demo-network` simulates the network, keeps the accounts
# that pass the data gate (the others change no release) and writes them as SQL, which
# scripts/d1-load-local.py loads straight into the local D1's SQLite file (local only; falls back
# to `wrangler d1 execute --local --file`) before the Worker starts. The Worker runs under
# wrangler's local runtime through scripts/wrangler-dev.mjs (wrangler's API with the DevTools
# inspector off: the CLI's inspector proxy stalled after a large publication, docs/demo.md); then scripts/seed-demo.mjs
# seeds the first DEMO_API_ACCOUNTS through the API, makes the demo account and runs the cron
# (POST /api/admin/publish, the cron's publication). Re-running with the same PERSIST_DIR is idempotent: a finished seeding leaves a
# marker (PERSIST_DIR/demo-seeded) and is not repeated for the same settings; without it, the
# seeding runs again and changes nothing that is there (INSERT ... ON CONFLICT DO NOTHING, 409 for
# an account that exists, records idempotent by id). The cron publishes at most one release per
# niche and period.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  bash scripts/setup.sh
  bash scripts/build-pkg.sh
  bash scripts/build-worker.sh
  bash scripts/build-dist.sh
fi
# The native CLI: its `demo-network` command writes the demo network as SQL.
log "cargo build -p crosslearn-cli (the demo network generator)"
cargo build -q -p crosslearn-cli
CLI="$CARGO_TARGET_DIR/debug/crosslearn"
READY_T0=$SECONDS

PORT="${PORT:-8787}"
PERSIST_DIR="${PERSIST_DIR:-$ROOT/.wrangler/demo-state}"
if [ "${FRESH:-0}" = 1 ]; then
  log "FRESH=1: removing $PERSIST_DIR"
  rm -rf "$PERSIST_DIR"
fi
mkdir -p "$PERSIST_DIR"
# The D1 schema (worker/migrations), into the same local state `wrangler dev` uses below.
# Idempotent: wrangler records applied migrations in the database itself.
log "wrangler d1 migrations apply DB --local --persist-to $PERSIST_DIR"
CI=1 wrangler d1 migrations apply DB --local --persist-to "$PERSIST_DIR"
# The model files the Worker reads from KV instead of embedding them (the niche classifier, binding
# MODELS, checked against the hash pinned in this build; docs/worker.md "Model files"). Re-seeded
# on every run, so a rebuilt Worker and its model cannot drift apart (one wrangler call, ~2 s).
bash scripts/seed-models.sh --local --persist-to "$PERSIST_DIR"

TOKEN_FILE="$PERSIST_DIR/demo-token.txt"
MARKER="$PERSIST_DIR/demo-seeded"
DEMO_ACCOUNTS="${DEMO_ACCOUNTS:-39960}"
DEMO_SEED="${DEMO_SEED:-2026}"
DEMO_API_ACCOUNTS="${DEMO_API_ACCOUNTS:-30}"
DEMO_RULE="${DEMO_RULE:-niches}"
DEMO_RECORDS_PER_CAMPAIGN="${DEMO_RECORDS_PER_CAMPAIGN:-}"
TRIM=()
[ -n "$DEMO_RECORDS_PER_CAMPAIGN" ] && TRIM=(--records-per-campaign "$DEMO_RECORDS_PER_CAMPAIGN")
# The production release settings, read from wrangler.toml so the demo cannot drift from them.
RELEASE_CONFIG="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["env"]["production"]["vars"]["RELEASE_CONFIG"])' wrangler.toml)"
WANT="accounts=$DEMO_ACCOUNTS seed=$DEMO_SEED api=$DEMO_API_ACCOUNTS records_per_campaign=${DEMO_RECORDS_PER_CAMPAIGN:-all} release_config=$RELEASE_CONFIG"
SEEDED=0
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ]; then SEEDED=1; fi
if [ "${SEED:-1}" != 0 ] && [ "$SEEDED" = 0 ]; then
  SQL="$PERSIST_DIR/demo-network.sql"
  log "SIMULATED network: crosslearn demo-network --accounts $DEMO_ACCOUNTS --seed $DEMO_SEED (production RELEASE_CONFIG)"
  "$CLI" demo-network --accounts "$DEMO_ACCOUNTS" --seed "$DEMO_SEED" --release-config "$RELEASE_CONFIG" \
    --rule "$DEMO_RULE" --only-contributors --api-accounts "$DEMO_API_ACCOUNTS" "${TRIM[@]}" --sql "$SQL"
  # Local only: straight into the local D1's SQLite file (one transaction); exit 3 means the
  # file was not found or not recognised, and wrangler loads it the slow way.
  log "scripts/d1-load-local.py --file $SQL ($(du -h "$SQL" | cut -f1)) into the local D1"
  LOAD_RC=0
  python3 scripts/d1-load-local.py --persist-to "$PERSIST_DIR" --file "$SQL" || LOAD_RC=$?
  if [ "$LOAD_RC" = 3 ]; then
    log "fallback: wrangler d1 execute DB --local --file $SQL"
    CI=1 wrangler d1 execute DB --local --persist-to "$PERSIST_DIR" --file "$SQL" >/dev/null
  elif [ "$LOAD_RC" != 0 ]; then
    echo "scripts/d1-load-local.py failed (exit $LOAD_RC)" >&2
    exit 1
  fi
  rm -f "$SQL"
fi

# The page's notice (dist/demo.json, rebuilt away by scripts/build-dist.sh, so never deployed):
# the editor states that this Worker's data are SIMULATED.
if [ "${SEED:-1}" != 0 ]; then
  printf '{"simulated": true, "label": "SIMULATED demo network: %s accounts from the core simulator (seed %s; crosslearn demo-network), not real ad performance."}\n' \
    "$DEMO_ACCOUNTS" "$DEMO_SEED" > dist/demo.json
fi

# The Worker under wrangler's local runtime, in the background (its own pid, stopped on exit),
# so the demo can be seeded through the API; the script then waits on it, so it stays in the
# foreground for you. scripts/wrangler-dev.mjs is `wrangler dev` through wrangler's API with the
# DevTools inspector off (docs/demo.md, "The stall after a publication").
# --test-scheduled exposes GET /__scheduled (the cron handler), for trying the cron by hand.
log "node scripts/wrangler-dev.mjs --ip 127.0.0.1 --port $PORT --persist-to $PERSIST_DIR --test-scheduled --var RELEASE_CONFIG:<production>"
node scripts/wrangler-dev.mjs --ip 127.0.0.1 --port "$PORT" --persist-to "$PERSIST_DIR" --test-scheduled \
  --var "RELEASE_CONFIG:$RELEASE_CONFIG" &
WRANGLER_PID=$!
stop_wrangler() {
  if kill -0 "$WRANGLER_PID" 2>/dev/null; then
    kill "$WRANGLER_PID" 2>/dev/null || true
    wait "$WRANGLER_PID" 2>/dev/null || true
  fi
}
trap stop_wrangler EXIT
trap 'exit 130' INT TERM

URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 240); do
  curl -fsS "$URL/health" >/dev/null 2>&1 && break
  kill -0 "$WRANGLER_PID" 2>/dev/null || { echo "the Worker (scripts/wrangler-dev.mjs) exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$URL/health" >/dev/null || { echo "the Worker did not answer on $URL" >&2; exit 1; }

if [ "${SEED:-1}" != 0 ]; then
  ONLY=()
  if [ "$SEEDED" = 1 ]; then
    log "SIMULATED network already seeded ($WANT): publication and demo account only"
    ONLY=(--publish-only)
  else
    log "the first $DEMO_API_ACCOUNTS SIMULATED accounts through the public API (scripts/seed-demo.mjs), then the publication (the cron's, via POST /api/admin/publish)"
  fi
  node scripts/seed-demo.mjs --url "$URL" --accounts "$DEMO_API_ACCOUNTS" --seed "$DEMO_SEED" \
    --token-file "$TOKEN_FILE" "${ONLY[@]}"
  echo "$WANT" > "$MARKER"
fi

node scripts/demo-tour.mjs --url "$URL" --token-file "$TOKEN_FILE"
log "ready in $((SECONDS - READY_T0)) s after the build (state in $PERSIST_DIR)"
echo "Stop with Ctrl-C."
wait "$WRANGLER_PID"
