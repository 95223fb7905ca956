//! `normalize`, `bestPlatform`, `metaEquivalent`: the normalizer ([`crate::normalize`]) for JS.

use super::convert::{finite, from_js, to_ts};
use super::options::{BestPlatformOptions, Options};
use crate::metrics::PlatformMetrics;
use crate::normalize::NormalizedMetrics;
use crate::platform::Platform;
use serde::Serialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// The winner of `bestPlatform`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct BestPlatform {
    /// The platform as given in the input (can be `unknown` in seed mode).
    pub platform: Platform,
    /// Its normalized metrics (`metrics.platform` is the benchmark row used: `meta` for
    /// `unknown` in seed mode).
    pub metrics: NormalizedMetrics,
}

/// Normalize one platform's metrics onto comparable 0..1 scales.
///
/// Throws a `CrosslearnError` naming the field (`metrics.cpc`) on invalid input.
#[wasm_bindgen(js_name = normalize)]
pub fn normalize(
    metrics: Ts<PlatformMetrics>,
    options: Option<Ts<Options>>,
) -> Result<Ts<NormalizedMetrics>, JsValue> {
    let options = Options::read(options)?;
    let m: PlatformMetrics = from_js(&metrics.js_value(), "metrics")?;
    let n = options
        .normalizer()?
        .normalize(&m)
        .map_err(|e| e.within("metrics"))?;
    Ok(to_ts(&n)?)
}

/// The platform with the highest composite score among those with enough confidence (all of
/// them when none has), ties to the earliest.
///
/// Throws on an empty list, invalid metrics (`list[1].spend`) and, in corrected mode, a
/// platform listed twice.
#[wasm_bindgen(js_name = bestPlatform)]
pub fn best_platform(
    #[wasm_bindgen(unchecked_param_type = "PlatformMetrics[]")] list: JsValue,
    options: Option<Ts<BestPlatformOptions>>,
) -> Result<Ts<BestPlatform>, JsValue> {
    let options = BestPlatformOptions::read(options)?;
    let list: Vec<PlatformMetrics> = from_js(&list, "list")?;
    let min_confidence = finite("options.minConfidence", options.min_confidence())?;
    let (platform, metrics) = options
        .normalizer()?
        .best_platform(&list, min_confidence)
        .map_err(|e| e.within("list"))?;
    Ok(to_ts(&BestPlatform { platform, metrics })?)
}

/// Express another platform's metrics on Meta's scales (Meta input is returned unchanged).
#[wasm_bindgen(js_name = metaEquivalent)]
pub fn meta_equivalent(
    metrics: Ts<PlatformMetrics>,
    options: Option<Ts<Options>>,
) -> Result<Ts<PlatformMetrics>, JsValue> {
    let options = Options::read(options)?;
    let m: PlatformMetrics = from_js(&metrics.js_value(), "metrics")?;
    let out = options
        .normalizer()?
        .to_meta_equivalent(&m)
        .map_err(|e| e.within("metrics"))?;
    Ok(to_ts(&out)?)
}
