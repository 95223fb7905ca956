#!/usr/bin/env bash
# Publish the npm package `crosslearn` (pkg/, built by scripts/build-pkg.sh) — docs/npm.md.
#
#   CROSSLEARN_REPOSITORY_URL=https://github.com/OWNER/crosslearn scripts/publish-npm.sh [npm publish args...]
#   CROSSLEARN_REPOSITORY_URL=... scripts/publish-npm.sh --stage-only DIR   # write the manifest, do not publish
#
# The built package carries no repository URL (the project has none yet, and a placeholder must
# never reach the registry). This script refuses to publish unless CROSSLEARN_REPOSITORY_URL is
# an https:// URL, then copies pkg/ to a staging directory, writes the URL into its package.json
# (`repository` and `homepage`) and runs `npm publish` there (extra arguments, e.g. --dry-run,
# are passed to npm). pkg/ itself is never modified.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

url="${CROSSLEARN_REPOSITORY_URL:-}"
if [ -z "$url" ]; then
  echo "publish-npm: refusing to publish: CROSSLEARN_REPOSITORY_URL is not set (the package's repository URL, e.g. https://github.com/OWNER/crosslearn)" >&2
  exit 2
fi
case "$url" in
  https://*.invalid/* | https://*.invalid | https://example.* | https://*.example/*)
    echo "publish-npm: refusing to publish: CROSSLEARN_REPOSITORY_URL ($url) is a placeholder" >&2
    exit 2 ;;
  https://?*) ;;
  *)
    echo "publish-npm: refusing to publish: CROSSLEARN_REPOSITORY_URL ($url) is not an https:// URL" >&2
    exit 2 ;;
esac

stage_only=""
if [ "${1:-}" = "--stage-only" ]; then
  stage_only="${2:?publish-npm: --stage-only needs a directory}"
  shift 2
fi

if [ ! -f pkg/package.json ] || [ ! -f pkg/crosslearn_bg.wasm ]; then
  echo "publish-npm: pkg/ is not built; run scripts/build-pkg.sh first" >&2
  exit 1
fi

if [ -n "$stage_only" ]; then
  staging="$stage_only"
  mkdir -p "$staging"
else
  staging="$(mktemp -d "${TMPDIR:-/tmp}/crosslearn-publish.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
fi
cp -r pkg/. "$staging/"
rm -f "$staging/.gitkeep"

CROSSLEARN_REPOSITORY_URL="$url" node --input-type=module - "$staging/package.json" <<'JS'
import { readFileSync, writeFileSync } from "node:fs";
const path = process.argv[2];
const p = JSON.parse(readFileSync(path, "utf8"));
const url = process.env.CROSSLEARN_REPOSITORY_URL;
p.repository = { type: "git", url: url.endsWith(".git") ? url : `${url}.git` };
p.homepage = url.replace(/\.git$/, "");
writeFileSync(path, JSON.stringify(p, null, 2) + "\n");
JS
echo "publish-npm: $staging/package.json: repository $url"

if [ -n "$stage_only" ]; then
  exit 0
fi
(cd "$staging" && npm publish "$@")
