//! `CopyExtractor`, `extractCopyAttributes`, `extractCopyBatch`: hook type, CTA style and copy
//! signals ([`crate::copy`]) for JS.
//!
//! The editor reads attributes on every keystroke: it keeps one `CopyExtractor`, whose folding
//! buffer is reused across calls. `new CopyExtractor()` applies the frozen rules `v1` (what the
//! importer and the simulator use); `CopyExtractor.withRules("v2")` the rules that read what a
//! user types, and `.readPlatformCopy(copy)` reads a platform's own fields
//! ([`crate::copy::anatomy`]); `copyAnatomy(platform)` lists those fields for a form.

use super::convert::{from_js, to_js_list, to_ts};
use crate::copy::anatomy::{self, CopyField, PlatformCopy, ReadCopy};
use crate::copy::{self as core, AdCopy, CopyAttributes, CopyRules};
use crate::Platform;
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

    /// An extractor applying `rules` (`"v1"` or `"v2"`).
    #[wasm_bindgen(js_name = withRules)]
    pub fn with_rules(
        #[wasm_bindgen(unchecked_param_type = "CopyRules")] rules: JsValue,
    ) -> Result<CopyExtractor, JsValue> {
        let rules: CopyRules = from_js(&rules, "rules")?;
        Ok(CopyExtractor {
            inner: core::CopyExtractor::with_rules(rules),
        })
    }

    /// The attributes of one piece of copy (either part may be empty).
    pub fn extract(&mut self, headline: &str, body: &str) -> Result<Ts<CopyAttributes>, JsValue> {
        Ok(to_ts(&self.inner.extract(headline, body))?)
    }

    /// The attributes of an ad in its platform's own fields, the hook read from what the
    /// platform shows first, with the field it was read from. Throws (field `copy.headlines` /
    /// `copy.descriptions`) when a search ad has more entries than the platform takes.
    #[wasm_bindgen(js_name = readPlatformCopy)]
    pub fn read_platform_copy(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "PlatformCopy")] copy: JsValue,
    ) -> Result<Ts<ReadCopy>, JsValue> {
        let copy: PlatformCopy = from_js(&copy, "copy")?;
        copy.validate().map_err(|e| e.within("copy"))?;
        Ok(to_ts(&copy.read(&mut self.inner))?)
    }
}

/// The copy fields of a platform's ads, in the order the platform shows them (one is
/// `shown_first`: the hook is read from it).
#[wasm_bindgen(js_name = copyAnatomy, unchecked_return_type = "CopyField[]")]
pub fn copy_anatomy(
    #[wasm_bindgen(unchecked_param_type = "Platform")] platform: JsValue,
) -> Result<JsValue, JsValue> {
    let platform: Platform = from_js(&platform, "platform")?;
    let fields: Vec<CopyField> = anatomy::anatomy(platform);
    Ok(to_js_list(&fields)?)
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
