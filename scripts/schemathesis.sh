#!/usr/bin/env bash
# Schema-driven API testing (docs/schemathesis.md): schemathesis, from PyPI, against the built
# Worker under `wrangler dev`, from its own /openapi.json, with a valid operator token and a
# valid account token. Every check is on (schemathesis 4's default, as scripts/schemathesis.toml
# leaves it; not `--checks all`, which would override the config's one documented exception): no 5xx, every response conforms to
# the document (status, content type, headers, body schema), bad input rejected, good input
# accepted. Builds nothing: run scripts/build-worker.sh and scripts/build-dist.sh first.
#
#   bash scripts/schemathesis.sh                  # CI: 25 examples per operation (~2-3 min)
#   ST_MAX_EXAMPLES=300 bash scripts/schemathesis.sh   # the longer run (docs/schemathesis.md)
#   bash scripts/schemathesis.sh --include-path /api/normalize   # extra args -> schemathesis run
#
# schemathesis is installed once into .tmp/schemathesis-venv (git-ignored), pinned below; the
# install is skipped when that version is already there.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ST_VERSION=4.32.5
VENV="$ROOT/.tmp/schemathesis-venv"
ST_BIN="$VENV/bin/schemathesis"
if [ ! -x "$ST_BIN" ] || [ "$("$ST_BIN" --version 2>/dev/null | awk '{print $NF}')" != "$ST_VERSION" ]; then
  log "installing schemathesis==$ST_VERSION into $VENV"
  python3 -m venv "$VENV" || {
    echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2
    exit 1
  }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi
[ -f worker/build/index_bg.wasm ] || {
  echo "worker/build missing: run bash scripts/build-worker.sh && bash scripts/build-dist.sh" >&2
  exit 1
}

MAX_EXAMPLES="${ST_MAX_EXAMPLES:-25}"
SEED="${ST_SEED:-1}"
REPORT_DIR="$ROOT/.tmp/schemathesis-report"
log "schemathesis run: every check, --max-examples $MAX_EXAMPLES, --seed $SEED (report: ${REPORT_DIR#"$ROOT"/})"
ST_BIN="$ST_BIN" node scripts/schemathesis-run.mjs \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 1 \
  --request-timeout 10 \
  --report junit --report-dir "$REPORT_DIR" \
  "$@"
