//! `NicheModel`, `accountNiche`, `seedKeywordNiche`, `nicheNames`: niche detection
//! ([`crate::niche`]) for JS.
//!
//! The model is not compiled into the `.wasm`: the package ships it as `models/niche-v2.bin`
//! (resolve `crosslearn/models/niche-v2.bin`), and `NicheModel.load(bytes)` reads it.

use super::convert::{from_js, from_js_opt, to_js_list, to_ts};
use crate::error::Error;
use crate::niche::{self as core, AccountNiche, KeywordDetection, Niche, NicheDetection};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// The niche classifier, loaded once from the model file's bytes. `free()` releases it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct NicheModel {
    inner: core::NicheModel,
}

#[wasm_bindgen]
impl NicheModel {
    /// Load a model file (`models/niche-v2.bin`). Throws (`field: "bytes"`) on a corrupt or
    /// unsupported file.
    pub fn load(bytes: &[u8]) -> Result<NicheModel, JsValue> {
        // The core names the file (`model`); here the argument is to blame.
        let inner = core::NicheModel::from_bytes(bytes).map_err(|e| Error {
            field: Some("bytes".to_string()),
            ..e
        })?;
        Ok(NicheModel { inner })
    }

    /// The niche of one ad text: `unknown` below the model's threshold; calibrated `confidence`
    /// and up to three `alternatives`.
    pub fn detect(&self, text: &str) -> Result<Ts<NicheDetection>, JsValue> {
        Ok(to_ts(&self.inner.detect(text))?)
    }

    /// `detect` of each text, in order.
    #[wasm_bindgen(js_name = detectBatch, unchecked_return_type = "NicheDetection[]")]
    pub fn detect_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] texts: JsValue,
    ) -> Result<JsValue, JsValue> {
        let texts: Vec<String> = from_js(&texts, "texts")?;
        Ok(to_js_list(&self.inner.detect_batch(&texts))?)
    }

    /// The probabilities of the 15 niches (columns in `nicheNames()` order) for each text, as one
    /// row-major `texts.length x 15` array. Text with no words gives a row of zeros.
    #[wasm_bindgen(js_name = probabilitiesBatch)]
    pub fn probabilities_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] texts: JsValue,
    ) -> Result<Vec<f64>, JsValue> {
        let texts: Vec<String> = from_js(&texts, "texts")?;
        Ok(self.inner.niche_probabilities_batch(&texts))
    }
}

/// An account's niche: `declared` when given (and not `"unknown"`), else detected over its ad
/// `texts` (the mean of their probabilities).
#[wasm_bindgen(js_name = accountNiche)]
pub fn account_niche(
    model: &NicheModel,
    declared: Option<Ts<Niche>>,
    #[wasm_bindgen(unchecked_param_type = "string[]")] texts: JsValue,
) -> Result<Ts<AccountNiche>, JsValue> {
    let declared: Option<Niche> = from_js_opt(declared.map(|t| t.js_value()).as_ref(), "declared")?;
    let texts: Vec<String> = from_js(&texts, "texts")?;
    Ok(to_ts(&core::account_niche(&model.inner, declared, &texts))?)
}

/// The original system's keyword detection over an account's ad titles and descriptions, bit
/// for bit (substring counts; no model needed).
#[wasm_bindgen(js_name = seedKeywordNiche)]
pub fn seed_keyword_niche(
    #[wasm_bindgen(unchecked_param_type = "string[]")] titles: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string[]")] descriptions: JsValue,
) -> Result<Ts<KeywordDetection>, JsValue> {
    let titles: Vec<String> = from_js(&titles, "titles")?;
    let descriptions: Vec<String> = from_js(&descriptions, "descriptions")?;
    Ok(to_ts(&core::seed_keyword_niche(&titles, &descriptions))?)
}

/// The 15 niches in column order of `probabilitiesBatch` (`"unknown"` excluded).
#[wasm_bindgen(js_name = nicheNames, unchecked_return_type = "Niche[]")]
pub fn niche_names() -> Result<JsValue, JsValue> {
    Ok(to_js_list(&Niche::ALL)?)
}
