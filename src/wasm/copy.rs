//! `CopyExtractor`, `extractCopyAttributes`, `extractCopyBatch`: hook type, CTA style and copy
//! signals ([`crate::copy`]) for JS.
//!
//! The editor reads attributes on every keystroke: it keeps one `CopyExtractor`, whose folding
//! buffer is reused across calls.

use super::convert::{from_js, to_js_list, to_ts};
use crate::copy::{self as core, AdCopy, CopyAttributes};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// A reusable extractor (keeps its buffer between calls): make one per editor and call
/// `extract` on every change. `free()` releases it.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct CopyExtractor {
    inner: core::CopyExtractor,
}

#[wasm_bindgen]
impl CopyExtractor {
    /// A new extractor.
    #[wasm_bindgen(constructor)]
    pub fn new() -> CopyExtractor {
        CopyExtractor::default()
    }

    /// The attributes of one piece of copy (either part may be empty).
    pub fn extract(&mut self, headline: &str, body: &str) -> Result<Ts<CopyAttributes>, JsValue> {
        Ok(to_ts(&self.inner.extract(headline, body))?)
    }
}

/// The attributes of one piece of copy (a fresh extractor per call; prefer `CopyExtractor` in a
/// loop).
#[wasm_bindgen(js_name = extractCopyAttributes)]
pub fn extract_copy_attributes(headline: &str, body: &str) -> Result<Ts<CopyAttributes>, JsValue> {
    Ok(to_ts(&core::extract_copy_attributes(headline, body))?)
}

/// The attributes of many pieces of copy (`{ headline?, body? }` each), in order.
#[wasm_bindgen(js_name = extractCopyBatch, unchecked_return_type = "CopyAttributes[]")]
pub fn extract_copy_batch(
    #[wasm_bindgen(unchecked_param_type = "AdCopy[]")] items: JsValue,
) -> Result<JsValue, JsValue> {
    let items: Vec<AdCopy> = from_js(&items, "items")?;
    Ok(to_js_list(&core::extract_copy_batch(&items))?)
}
