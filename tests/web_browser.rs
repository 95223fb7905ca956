//! The wasm tests of `tests/web.rs`, run in a real browser (headless Chromium):
//!
//! ```sh
//! CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome \
//!   --chromedriver /usr/bin/chromedriver --release --features wasm --test web_browser
//! ```

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("web.rs");
