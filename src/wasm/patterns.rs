//! `crossPlatformPatterns`: winning patterns ([`crate::patterns`]) for JS.

use super::convert::{finite, from_js, to_ts};
use super::options::Options;
use crate::features::Campaign;
use crate::patterns::{PatternSummary, DEFAULT_MIN_ROAS};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Summarize the winners (ROAS at least `minRoas`, default 2) among `campaigns`: their mean
/// features, per-platform statistics and the best platform combination.
#[wasm_bindgen(js_name = crossPlatformPatterns)]
pub fn cross_platform_patterns(
    #[wasm_bindgen(unchecked_param_type = "Campaign[]")] campaigns: JsValue,
    #[wasm_bindgen(js_name = minRoas)] min_roas: Option<f64>,
    options: Option<Ts<Options>>,
) -> Result<Ts<PatternSummary>, JsValue> {
    let builder = Options::read(options)?.builder()?;
    let campaigns: Vec<Campaign> = from_js(&campaigns, "campaigns")?;
    let min_roas = finite("minRoas", min_roas.unwrap_or(DEFAULT_MIN_ROAS))?;
    Ok(to_ts(&builder.patterns(&campaigns, min_roas)?)?)
}
