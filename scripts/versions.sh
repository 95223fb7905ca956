# Pinned tool versions: the ONE place they are set (sourced by the other scripts).
# WASM_BINDGEN_VERSION must equal the `wasm-bindgen = "=..."` pin in the root Cargo.toml
# (scripts/setup.sh checks it): a crate/CLI mismatch breaks every wasm build.
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7
# Debian packages for the browser tests and the aggregation store.
APT_PACKAGES="chromium chromium-driver redis-server"
