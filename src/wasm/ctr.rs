//! `CtrModel` (load, score, train, save), `encodeCreatives`, `prelaunchFeatureNames`,
//! `inflightFeatureNames`, `ctrLayouts`: the calibrated CTR models ([`crate::model::ctr`]) and
//! the pre-launch encoder ([`crate::model::encode`]) for JS.
//!
//! The trained models are not compiled into the `.wasm`: the package ships them as files
//! (`crosslearn/models/ctr-prelaunch-v1.bin`, `crosslearn/models/ctr-inflight-v1.bin`), and
//! `CtrModel.load(bytes)` reads them. Batches cross the boundary as one typed array each way
//! (`scoreBatch(x: Float32Array, nRows)`, `CtrModel.train({ x, clicks, impressions }, options)`).

use super::convert::{from_js, from_js_opt, to_ts, whole_number};
use crate::error::{Error, ErrorCode};
use crate::model::ctr::{self as core, CtrScore, ModelKind, ModelMetadata};
use crate::model::encode::{
    encode_creative, encode_creatives, inflight_feature_names, prelaunch_feature_names,
    CreativeAttributes, NichePrior, PriorTable, INFLIGHT_LAYOUT, PRELAUNCH_LAYOUT,
};
use serde::{Deserialize, Serialize};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// A calibrated linear CTR model, loaded from a model file or trained on columns. `free()`
/// releases it.
#[wasm_bindgen]
#[derive(Debug)]
pub struct CtrModel {
    pub(super) inner: core::CtrModel,
}

/// The argument is to blame for an error the core attributes to the file (`model`).
fn blame_bytes(e: Error) -> Error {
    match e.field.as_deref() {
        Some("model") | None => Error {
            field: Some("bytes".to_string()),
            ..e
        },
        _ => e.within("bytes"),
    }
}

#[wasm_bindgen]
impl CtrModel {
    /// Load a model file (`crosslearn/models/ctr-prelaunch-v1.bin`, or `toBytes()` output).
    /// With `kind`, also require that kind. Throws (`field: "bytes"`) on a truncated, corrupt
    /// (checksum), foreign (not a CTR model file), newer-version or other-kind file.
    pub fn load(bytes: &[u8], kind: Option<Ts<ModelKind>>) -> Result<CtrModel, JsValue> {
        let inner = core::CtrModel::from_bytes(bytes).map_err(blame_bytes)?;
        let kind: Option<ModelKind> = from_js_opt(kind.map(|t| t.js_value()).as_ref(), "kind")?;
        if let Some(kind) = kind {
            if inner.kind() != kind {
                return Err(Error::field(
                    ErrorCode::Unsupported,
                    "bytes",
                    format!(
                        "wrong kind of CTR model: this file is {}, expected {}",
                        kind_name(inner.kind()),
                        kind_name(kind)
                    ),
                )
                .into());
            }
        }
        Ok(CtrModel { inner })
    }

    /// `"pre_launch"` (scores creatives before launch) or `"in_flight"` (running campaigns).
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> Result<Ts<ModelKind>, JsValue> {
        Ok(to_ts(&self.inner.kind())?)
    }

    /// Id of the feature layout (encoder) the model's columns come from.
    #[wasm_bindgen(getter)]
    pub fn layout(&self) -> u32 {
        self.inner.layout()
    }

    /// The names of the model's input columns, in order (`scoreBatch` rows have this many
    /// values).
    #[wasm_bindgen(getter, js_name = featureNames)]
    pub fn feature_names(&self) -> Vec<String> {
        self.inner.metadata().feature_names.clone()
    }

    /// Number of input columns (`featureNames.length`).
    #[wasm_bindgen(getter, js_name = nFeatures)]
    pub fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    /// What the file says about its training (rows, impressions, `l2`, seed, `trained_on`).
    #[wasm_bindgen(getter)]
    pub fn metadata(&self) -> Result<Ts<ModelMetadata>, JsValue> {
        Ok(to_ts(self.inner.metadata())?)
    }

    /// The calibrated CTR and its 95 % interval for one already-encoded row (`nFeatures`
    /// values, in the model's own layout: `encodeCreatives` rows for a pre-launch model).
    #[wasm_bindgen(js_name = scoreRow)]
    pub fn score_row(&self, x: &[f32]) -> Result<Ts<CtrScore>, JsValue> {
        let d = self.inner.n_features();
        let score = self.inner.score(x).map_err(|e| match x.len() == d {
            true => non_finite(x, d).unwrap_or_else(|| rename(e, "features", "x")),
            false => rename(e, "features", "x"),
        })?;
        Ok(to_ts(&score)?)
    }

    /// Calibrated CTRs of `nRows` encoded rows in one call.
    ///
    /// `x` is row-major `nRows x nFeatures` in the model's own layout (`featureNames`): for a
    /// pre-launch model, the rows `encodeCreatives` returns; for an in-flight model, the
    /// in-flight layout (`inflightFeatureNames()`). Throws (`field: "x"`) unless
    /// `x.length == nRows * nFeatures` and every value is finite. Returns `nRows` values.
    #[wasm_bindgen(js_name = scoreBatch)]
    pub fn score_batch(
        &self,
        x: &[f32],
        #[wasm_bindgen(js_name = nRows)] n_rows: f64,
    ) -> Result<Vec<f32>, JsValue> {
        let n = whole_number("nRows", n_rows, f64::from(u32::MAX))? as usize;
        let d = self.inner.n_features();
        Ok(self
            .inner
            .score_batch(x, n)
            .map_err(|e| match Some(x.len()) == n.checked_mul(d) {
                true => non_finite(x, d).unwrap_or_else(|| rename(e, "features", "x")),
                false => rename(e, "features", "x"),
            })?)
    }

    /// The model file's bytes (what `CtrModel.load` reads back, bit for bit).
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }
}

fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::PreLaunch => "pre_launch",
        ModelKind::InFlight => "in_flight",
    }
}

/// The first non-finite value of `x` (rows of `d`) as an error naming its index, if any.
/// Only called once the core has refused `x`, so scoring pays for no extra pass.
fn non_finite(x: &[f32], d: usize) -> Option<Error> {
    let k = x.iter().position(|v| !v.is_finite())?;
    Some(Error::field(
        ErrorCode::InvalidValue,
        format!("x[{k}]"),
        format!(
            "must be finite, got {} (row {}, feature {})",
            x[k],
            k / d.max(1),
            k % d.max(1)
        ),
    ))
}

/// Replace the core's name for an argument (`features`) by the JS one (`x`), keeping the path.
fn rename(e: Error, core_name: &str, js_name: &str) -> Error {
    let field = e.field.as_deref().map(|f| match f.strip_prefix(core_name) {
        Some(rest) if rest.is_empty() || rest.starts_with(['.', '[']) => format!("{js_name}{rest}"),
        _ => f.to_string(),
    });
    Error { field, ..e }
}

/// The `priors` argument: at most one [`NichePrior`] per (niche, platform), checked by the core
/// ([`PriorTable::new`]).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
pub struct NichePriorList(pub Vec<NichePrior>);

/// Read the optional `priors` argument; the core checks it.
fn read_priors(js: Option<Ts<NichePriorList>>) -> Result<PriorTable, Error> {
    let list: Vec<NichePrior> =
        from_js_opt(js.map(|t| t.js_value()).as_ref(), "priors")?.unwrap_or_default();
    PriorTable::new(list)
}

#[wasm_bindgen]
impl CtrModel {
    /// The calibrated CTR and its 95 % interval of one creative before launch (a pre-launch
    /// model; throws `field: "model"` for another kind or layout). `priors` optionally gives
    /// benchmark CTRs per (niche, platform); the creative's own pair is used when present.
    #[wasm_bindgen(js_name = scoreCreative)]
    pub fn score_creative(
        &self,
        creative: Ts<CreativeAttributes>,
        priors: Option<Ts<NichePriorList>>,
    ) -> Result<Ts<CtrScore>, JsValue> {
        self.inner.expect(ModelKind::PreLaunch, PRELAUNCH_LAYOUT)?;
        let priors = read_priors(priors)?;
        let creative: CreativeAttributes = from_js(&creative.js_value(), "creative")?;
        let row = encode_creative(&creative, &priors).map_err(|e| e.within("creative"))?;
        Ok(to_ts(&self.inner.score(&row)?)?)
    }
}

/// Encode creatives into pre-launch rows (the layout of the pre-launch model,
/// `prelaunchFeatureNames()`): `creatives.length x 142` values, row-major, ready for
/// `scoreBatch`. Errors name the creative (`creatives[3].duration_s`).
#[wasm_bindgen(js_name = encodeCreatives)]
pub fn encode_creatives_js(
    #[wasm_bindgen(unchecked_param_type = "CreativeAttributes[]")] creatives: JsValue,
    priors: Option<Ts<NichePriorList>>,
) -> Result<Vec<f32>, JsValue> {
    let priors = read_priors(priors)?;
    let creatives: Vec<CreativeAttributes> = from_js(&creatives, "creatives")?;
    Ok(encode_creatives(&creatives, &priors)?)
}

/// The pre-launch columns' names, in row order (`encodeCreatives`, pre-launch `scoreBatch`).
#[wasm_bindgen(js_name = prelaunchFeatureNames)]
pub fn prelaunch_feature_names_js() -> Vec<String> {
    prelaunch_feature_names()
}

/// The in-flight columns' names, in row order (in-flight `scoreBatch`): the 19 unified features,
/// then the early-period columns.
#[wasm_bindgen(js_name = inflightFeatureNames)]
pub fn inflight_feature_names_js() -> Vec<String> {
    inflight_feature_names()
}

/// The layout ids of the two encoders (`CtrModel.layout`; `options.layout` of `CtrModel.train`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Tsify)]
pub struct CtrLayouts {
    /// Pre-launch rows (`encodeCreatives`).
    pub prelaunch: u32,
    /// In-flight rows.
    pub inflight: u32,
}

/// The layout ids of the two encoders.
#[wasm_bindgen(js_name = ctrLayouts)]
pub fn ctr_layouts() -> Result<Ts<CtrLayouts>, JsValue> {
    Ok(to_ts(&CtrLayouts {
        prelaunch: PRELAUNCH_LAYOUT,
        inflight: INFLIGHT_LAYOUT,
    })?)
}
