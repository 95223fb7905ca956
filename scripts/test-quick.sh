#!/usr/bin/env bash
# The inner-loop test command (README "Two commands"): format, clippy of the core and the Worker
# natively, and every native test. No wasm, npm, Worker runtime or browser: for those (and for what
# CI runs) use scripts/test.sh.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
T0=$SECONDS
trap 'print_stage_times; echo "total: $((SECONDS - T0))s"' EXIT

stage "fmt" cargo fmt --all --check
stage "clippy (native)" bash -c 'cargo clippy -p crosslearn --all-targets -- -D warnings &&
  cargo clippy -p crosslearn-worker --all-targets -- -D warnings &&
  cargo clippy -p crosslearn-cli --all-targets -- -D warnings'
stage "native tests" cargo test --workspace
