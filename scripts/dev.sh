#!/usr/bin/env bash
# THE main job (README "Two commands"): set up, build everything, start the local Worker with the page,
# seed it with a SIMULATED network through the public API, publish, and keep it running.
#
#   PORT          (default 8787)
#   PERSIST_DIR   local KV/D1 state (default .wrangler/demo-state); reused across runs
#   FRESH=1       delete PERSIST_DIR first (start from an empty demo)
#   SEED=0        skip seeding and publication (just serve)
#   DEMO_ACCOUNTS simulated accounts to seed (default 1000); DEMO_SEED simulator seed (default 2026)
#
# Re-running with the same PERSIST_DIR is idempotent: a finished seeding leaves a marker
# (PERSIST_DIR/demo-seeded) and is not repeated for the same accounts and seed; without the
# marker, the seeding runs again and changes nothing that is there (accounts that exist are
# skipped, records are idempotent by id). The cron publishes at most one release per niche and
# period.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build-pkg.sh
bash scripts/build-worker.sh
bash scripts/build-dist.sh

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

# wrangler dev in the background (its own pid, stopped on exit), so the demo can be seeded
# through the API; the script then waits on it, so it stays in the foreground for you.
# --test-scheduled exposes GET /__scheduled: the seeding calls it to run the publication cron.
log "wrangler dev --ip 127.0.0.1 --port $PORT --persist-to $PERSIST_DIR --test-scheduled"
wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$PERSIST_DIR" --test-scheduled &
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
  kill -0 "$WRANGLER_PID" 2>/dev/null || { echo "wrangler dev exited" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$URL/health" >/dev/null || { echo "wrangler dev did not answer on $URL" >&2; exit 1; }

TOKEN_FILE="$PERSIST_DIR/demo-token.txt"
MARKER="$PERSIST_DIR/demo-seeded"
WANT="accounts=${DEMO_ACCOUNTS:-1000} seed=${DEMO_SEED:-2026}"
if [ "${SEED:-1}" != 0 ]; then
  ONLY=()
  if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$WANT" ]; then
    log "SIMULATED network already seeded ($WANT): publication and demo account only"
    ONLY=(--publish-only)
  else
    log "seeding a SIMULATED network through the API ($WANT; scripts/seed-demo.mjs)"
  fi
  node scripts/seed-demo.mjs --url "$URL" --accounts "${DEMO_ACCOUNTS:-1000}" --seed "${DEMO_SEED:-2026}" \
    --token-file "$TOKEN_FILE" "${ONLY[@]}"
  echo "$WANT" > "$MARKER"
fi

cat <<MSG

crosslearn is running (local workerd via wrangler dev; state in $PERSIST_DIR)
  ad editor page : $URL/
  API            : $URL/health, $URL/openapi.json
  demo data      : SIMULATED accounts and records (the core simulator), not real ad performance
  demo account   : demo-editor, token in $TOKEN_FILE (shown once at creation; kept there)
                   e.g. curl -H "Authorization: Bearer \$(cat $TOKEN_FILE)" $URL/api/accounts/demo-editor/export
  operator token : in .dev.vars (OPERATOR_TOKEN), created by scripts/setup.sh; it creates accounts:
                   curl -X POST -H "Authorization: Bearer <OPERATOR_TOKEN>" $URL/api/accounts
Stop with Ctrl-C.
MSG
wait "$WRANGLER_PID"
