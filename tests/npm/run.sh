#!/usr/bin/env bash
# The npm package tested AS A PACKAGE, the way a consumer gets it:
#   1. `npm pack` pkg/ (built by scripts/build-pkg.sh; built here if missing),
#   2. install the tarball OFFLINE into a fresh scratch project,
#   3. run tests/npm/package.test.mjs there with node's test runner: golden cases through the
#      installed package, a batch call, thrown errors, `tsc --strict --noEmit` on consumer.ts
#      against the shipped .d.ts, and every README example marked `js readme-test`.
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

if [ ! -f pkg/crosslearn_bg.wasm ] || [ ! -f pkg/package.json ]; then
  bash scripts/build-pkg.sh
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/crosslearn-npm.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

tarball="$(npm pack ./pkg --pack-destination "$scratch" --silent | tail -n 1)"
cp tests/npm/package.test.mjs tests/npm/consumer.ts tests/npm/tsconfig.json "$scratch/"
cd "$scratch"
printf '{ "name": "crosslearn-consumer", "private": true, "type": "module" }\n' > package.json
npm install --offline --no-audit --no-fund --silent "./$tarball"
echo "installed $tarball into $scratch"

CROSSLEARN_ROOT="$ROOT" TSC="$ROOT/node_modules/.bin/tsc" node --test package.test.mjs
