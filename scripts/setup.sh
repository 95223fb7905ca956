#!/usr/bin/env bash
# Idempotent setup for a fresh machine of this kind (Debian 12, rustup, Node 20).
# Installs only what is missing or at the wrong version:
#   rust target wasm32-unknown-unknown, wasm-bindgen CLI (pinned), wasm-pack, worker-build,
#   npm dev tools from package-lock.json, Debian chromium + chromium-driver + redis-server,
#   and a git-ignored .dev.vars with a local operator token.
source "$(dirname "$0")/lib.sh"
source "$ROOT/scripts/versions.sh"
cd "$ROOT"

# The wasm-bindgen crate pin and the CLI must agree.
pin=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
if [ "$pin" != "$WASM_BINDGEN_VERSION" ]; then
  echo "Cargo.toml pins wasm-bindgen =$pin but scripts/versions.sh says $WASM_BINDGEN_VERSION" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for comp in clippy rustfmt; do
  rustup component list --installed | grep -q "^$comp" || rustup component add "$comp"
done

# cargo_tool BIN CRATE VERSION: install CRATE@VERSION unless BIN --version already says VERSION.
# --locked first (reproducible); if the registry no longer serves a locked dependency (seen here
# for wasm-bindgen-cli's lockfile), fall back to a fresh resolution of the same crate version.
cargo_tool() {
  local bin="$1" crate="$2" version="$3"
  if command -v "$bin" >/dev/null && "$bin" --version 2>/dev/null | grep -qw -- "$version"; then
    return 0
  fi
  log "cargo install $crate@$version"
  cargo install "$crate" --version "$version" --locked --force \
    || cargo install "$crate" --version "$version" --force
}
cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION"
cargo_tool wasm-pack wasm-pack "$WASM_PACK_VERSION"
cargo_tool worker-build worker-build "$WORKER_BUILD_VERSION"

missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  log "apt-get install$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# npm dev tools exactly as locked. Reinstall only when the lockfile changed.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.setup-lock; then
  log "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.setup-lock
fi

# Local secrets for `wrangler dev` (git-ignored). Never committed, never printed in full.
if [ ! -f .dev.vars ]; then
  token="op_$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'OPERATOR_TOKEN="%s"\n' "$token" > .dev.vars
  log "created .dev.vars with a local operator token"
fi
log "setup complete"
