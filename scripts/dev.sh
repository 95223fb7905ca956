#!/usr/bin/env bash
# THE main job (README "Run it"): set up, build everything, start the local Worker with the page.
#   PORT (default 8787), PERSIST_DIR (default .wrangler/demo-state) can be overridden.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build-pkg.sh
bash scripts/build-worker.sh
bash scripts/build-dist.sh

PORT="${PORT:-8787}"
PERSIST_DIR="${PERSIST_DIR:-$ROOT/.wrangler/demo-state}"
mkdir -p "$PERSIST_DIR"
# The D1 schema (worker/migrations), into the same local state `wrangler dev` uses below.
# Idempotent: wrangler records applied migrations in the database itself.
log "wrangler d1 migrations apply DB --local --persist-to $PERSIST_DIR"
CI=1 wrangler d1 migrations apply DB --local --persist-to "$PERSIST_DIR"
cat <<MSG

crosslearn is starting (local workerd via wrangler dev; state in $PERSIST_DIR)
  ad editor page : http://127.0.0.1:$PORT/
  API health     : http://127.0.0.1:$PORT/health
  operator token : in .dev.vars (OPERATOR_TOKEN), created by scripts/setup.sh
Stop with Ctrl-C.
MSG
exec wrangler dev --ip 127.0.0.1 --port "$PORT" --persist-to "$PERSIST_DIR"
