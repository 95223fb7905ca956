//! `syntheticColumns`: the **synthetic** benchmark-input generator ([`crate::synth`]) for JS.

use super::convert::whole_number;
use crate::synth::{campaign_columns, DEFAULT_SEED};
use wasm_bindgen::prelude::*;

/// Largest integer a JS number holds exactly (2^53 - 1), the largest seed accepted.
const MAX_SEED: f64 = 9_007_199_254_740_991.0;

/// `nCampaigns` **synthetic** (made-up, seeded) 3-platform campaigns in the `batchLayout()`
/// column layout, ready for `unifiedFeaturesBatch`. For benchmarks and tests only: the numbers
/// describe no real campaign. The same `(nCampaigns, seed)` gives the same values everywhere.
#[wasm_bindgen(js_name = syntheticColumns)]
pub fn synthetic_columns(
    #[wasm_bindgen(js_name = nCampaigns)] n_campaigns: f64,
    seed: Option<f64>,
) -> Result<Vec<f64>, JsValue> {
    let n = whole_number("nCampaigns", n_campaigns, f64::from(u32::MAX))? as usize;
    let seed = match seed {
        Some(s) => whole_number("seed", s, MAX_SEED)? as u64,
        None => DEFAULT_SEED,
    };
    Ok(campaign_columns(n, seed)?)
}
