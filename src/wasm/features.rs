//! `unifiedFeatures`, `unifiedFeaturesBatch`, `featureNames`, `batchLayout`: the feature builder
//! ([`crate::features`]) for JS.
//!
//! The batch call takes the columnar layout as one `Float64Array` and returns one `Float32Array`
//! (`nCampaigns x 19`, row-major): one boundary crossing per batch, no per-campaign objects.

use super::convert::{from_js, from_js_opt, to_ts, whole_number};
use super::options::Options;
use crate::features::{
    CreativeDna, CrossPlatformInsight, UnifiedFeatures, COLUMNS, COLUMNS_PER_PLATFORM,
    FEATURE_NAMES, N_FEATURES, PLATFORM_COLUMN_NAMES,
};
use crate::metrics::PlatformMetrics;
use crate::platform::Platform;
use js_sys::Float32Array;
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// What `unifiedFeatures` returns.
#[derive(Debug, Clone, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct UnifiedFeaturesResult {
    /// The campaign aggregated across its platforms.
    pub insight: CrossPlatformInsight,
    /// The 19 features at f64 precision, by name.
    pub features: UnifiedFeatures,
    /// The 19 features as the model reads them, in `featureNames()` order.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    #[tsify(type = "Float32Array")]
    pub vector: Float32Array,
}

/// The column layout `unifiedFeaturesBatch` reads (documented in Rust at
/// `crosslearn::features::COLUMNS_PER_PLATFORM`).
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct BatchLayout {
    /// Columns per campaign (39): `columns.length` must be `columns * nCampaigns`.
    pub columns: usize,
    /// Columns per platform block (12).
    pub columns_per_platform: usize,
    /// The platform blocks, in order: block `k` starts at column `k * columns_per_platform`.
    pub platforms: Vec<Platform>,
    /// The columns inside a platform block, in offset order (`present` first).
    pub platform_columns: Vec<String>,
    /// The creative-DNA columns after the platform blocks (NaN = missing).
    pub dna_columns: Vec<String>,
    /// Features per campaign in the output (19).
    pub n_features: usize,
}

/// Aggregate one campaign across its platforms: the insight, the named features and the
/// 19-feature vector.
///
/// `platformData` lists each platform at most once; its order is the summation order.
#[wasm_bindgen(js_name = unifiedFeatures)]
pub fn unified_features(
    #[wasm_bindgen(js_name = platformData, unchecked_param_type = "PlatformMetrics[]")]
    platform_data: JsValue,
    #[wasm_bindgen(js_name = creativeDna)] creative_dna: Option<Ts<CreativeDna>>,
    options: Option<Ts<Options>>,
) -> Result<Ts<UnifiedFeaturesResult>, JsValue> {
    let builder = Options::read(options)?.builder()?;
    let data: Vec<PlatformMetrics> = from_js(&platform_data, "platform_data")?;
    let dna: Option<CreativeDna> =
        from_js_opt(creative_dna.map(|t| t.js_value()).as_ref(), "creative_dna")?;
    let (insight, features) = builder.insight_and_features(&data, dna.as_ref())?;
    let vector = Float32Array::from(&features.to_array()[..]);
    Ok(to_ts(&UnifiedFeaturesResult {
        insight,
        features,
        vector,
    })?)
}

/// The 19 features of many campaigns in one call.
///
/// `columns` holds `nCampaigns` values per column, column-major (column `c` of campaign `i` at
/// `c * nCampaigns + i`), in the layout `batchLayout()` describes. Returns `nCampaigns * 19`
/// values, row-major. Errors name the campaign and column (`campaigns[7].tiktok.impressions`).
#[wasm_bindgen(js_name = unifiedFeaturesBatch)]
pub fn unified_features_batch(
    columns: &[f64],
    #[wasm_bindgen(js_name = nCampaigns)] n_campaigns: f64,
    options: Option<Ts<Options>>,
) -> Result<Vec<f32>, JsValue> {
    let builder = Options::read(options)?.builder()?;
    let n = whole_number("nCampaigns", n_campaigns, f64::from(u32::MAX))? as usize;
    Ok(builder.from_columns(columns, n)?)
}

/// The names of the 19 features, in vector order.
#[wasm_bindgen(js_name = featureNames)]
pub fn feature_names() -> Vec<String> {
    FEATURE_NAMES.iter().map(|s| s.to_string()).collect()
}

/// The columnar layout `unifiedFeaturesBatch` reads.
#[wasm_bindgen(js_name = batchLayout)]
pub fn batch_layout() -> Result<Ts<BatchLayout>, JsValue> {
    Ok(to_ts(&BatchLayout {
        columns: COLUMNS,
        columns_per_platform: COLUMNS_PER_PLATFORM,
        platforms: Platform::KNOWN.to_vec(),
        platform_columns: PLATFORM_COLUMN_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        dna_columns: ["composite_score", "hook_strength", "visual_appeal"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        n_features: N_FEATURES,
    })?)
}
