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

# scripts/publish-npm.sh refuses to publish without a repository URL, and writes the given one
# into the copy it would publish (never into pkg/).
if CROSSLEARN_REPOSITORY_URL= bash scripts/publish-npm.sh --dry-run 2>"$scratch/refusal"; then
  echo "publish-npm.sh published without CROSSLEARN_REPOSITORY_URL" >&2; exit 1
fi
grep -q "CROSSLEARN_REPOSITORY_URL is not set" "$scratch/refusal"
CROSSLEARN_REPOSITORY_URL=https://git.test/crosslearn bash scripts/publish-npm.sh --stage-only "$scratch/staged" >/dev/null
node -e '
const p = require(process.argv[1]);
if (p.repository?.url !== "https://git.test/crosslearn.git" || p.homepage !== "https://git.test/crosslearn") {
  console.error("publish-npm.sh did not write the repository URL:", p.repository, p.homepage); process.exit(1);
}' "$scratch/staged/package.json"
if grep -q '"repository"' pkg/package.json; then echo "publish-npm.sh modified pkg/package.json" >&2; exit 1; fi
rm -rf "$scratch/staged" "$scratch/refusal"
echo "publish-npm.sh: refuses without CROSSLEARN_REPOSITORY_URL, writes it into the staged copy"

tarball="$(npm pack ./pkg --pack-destination "$scratch" --silent | tail -n 1)"
cp tests/npm/package.test.mjs tests/npm/consumer.ts tests/npm/tsconfig.json "$scratch/"
cd "$scratch"
printf '{ "name": "crosslearn-consumer", "private": true, "type": "module" }\n' > package.json
npm install --offline --no-audit --no-fund --silent "./$tarball"
echo "installed $tarball into $scratch"

CROSSLEARN_ROOT="$ROOT" TSC="$ROOT/node_modules/.bin/tsc" node --test package.test.mjs
