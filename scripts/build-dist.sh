#!/usr/bin/env bash
# Assemble dist/ (git-ignored), the folder wrangler's [assets] serves next to the Worker:
#   www/*    -> dist/          (the ad editor page at /)
#   pkg/     -> dist/pkg/      (the wasm npm package the page imports as ../pkg -> /pkg)
#   scripts/snapshot-release.mjs -> dist/snapshot-release.json (bundled SIMULATED release)
# Whatever of these exists is copied; a missing one is reported and skipped, so the Worker can
# be run before the npm package is built. dist/ is rebuilt from scratch every time.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

rm -rf dist
mkdir -p dist
# copy_tree SRC DEST: copy SRC's contents into DEST, if SRC has any non-dot file.
copy_tree() {
  local src="$1" dest="$2"
  if [ -d "$src" ] && [ -n "$(find "$src" -type f -not -name '.*' -print -quit)" ]; then
    mkdir -p "$dest"
    cp -R "$src/." "$dest/"
    echo "  $src/ -> ${dest#"$ROOT"/}/"
  else
    echo "  $src/ missing or empty: skipped"
  fi
}
log "assembling dist/"
copy_tree www "$ROOT/dist"
copy_tree pkg "$ROOT/dist/pkg"
# Model files are not static assets: the Worker serves them at /api/models/{name} (the CTR models
# it embeds; niche-v2.bin from its KV namespace MODELS, scripts/seed-models.sh).
# The bundled SIMULATED snapshot release the editor falls back to (scripts/snapshot-release.mjs,
# deterministic), made through the npm package: skipped when pkg/ is not built.
if [ -f pkg/crosslearn_bg.wasm ]; then
  node scripts/snapshot-release.mjs dist/snapshot-release.json
else
  echo "  pkg/ missing: dist/snapshot-release.json not written"
fi
# Dotfiles are repository plumbing (.gitkeep, pkg/.gitignore written by wasm-pack), not assets.
find dist -name '.*' -type f -delete
echo "dist/: $(find dist -type f | wc -l) files"
find dist -type f | sort | sed 's/^/  /' | head -50
