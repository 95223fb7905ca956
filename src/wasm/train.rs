//! Training a CTR model in JS (`CtrModel.train`) and the whole campaign pipeline
//! (`CtrModel.scoreCampaigns`): the parts of [`CtrModel`] outside the editor's subset (feature
//! `wasm`, not `wasm-lite`; see [`super`]).

use super::convert::{from_js, whole_number};
use super::ctr::CtrModel;
use crate::error::{Error, ErrorCode};
use crate::model::ctr::{self as core, ModelKind, TrainOptions};
use crate::model::logistic::FitOptions;
use crate::platform::Platform;
use js_sys::{Float32Array, Float64Array, Object, Reflect};
use ndarray::ArrayView2;
use serde::Deserialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The training data of `CtrModel.train`, columnar: `n` rows of `d` features.
#[derive(Debug, Clone, Tsify)]
pub struct TrainColumns {
    /// The features, row-major `n x d` (row `i`, feature `j` at `x[i * d + j]`); `d` is
    /// `options.featureNames.length`. Finite values only.
    #[tsify(type = "Float32Array")]
    pub x: Float32Array,
    /// Clicks of each row (`n` values, `0 <= clicks[i] <= impressions[i]`).
    #[tsify(type = "Float64Array")]
    pub clicks: Float64Array,
    /// Impressions of each row (`n` values, finite, `>= 0`; not all zero).
    #[tsify(type = "Float64Array")]
    pub impressions: Float64Array,
}

/// The settings of `CtrModel.train` (camelCase keys; unknown keys are errors).
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CtrTrainOptions {
    /// What the model predicts: `"pre_launch"` (rows from `encodeCreatives`) or `"in_flight"`.
    pub kind: ModelKind,
    /// Id of the feature layout the rows come from (stored in the model; `scoreCreative`
    /// requires the pre-launch encoder's layout).
    pub layout: u32,
    /// One name per feature column, in order (`d = featureNames.length`).
    pub feature_names: Vec<String>,
    /// Seed of the deterministic fit/calibration split (keep below 2^53).
    pub seed: u64,
    /// L2 penalty on the weights (finite, `>= 0`; default 1).
    #[serde(default)]
    #[tsify(optional)]
    pub l2: Option<f64>,
    /// Most Newton iterations (`>= 1`; default 50).
    #[serde(default)]
    #[tsify(optional)]
    pub max_iter: Option<u32>,
    /// Share of rows held out to fit the Platt calibration, in `[0, 0.9)` (0 = uncalibrated;
    /// default 0.2).
    #[serde(default)]
    #[tsify(optional)]
    pub calibration_share: Option<f64>,
    /// Free-form description of the training data, stored in the metadata (default `""`).
    #[serde(default)]
    #[tsify(optional)]
    pub trained_on: Option<String>,
}

/// Default `calibrationShare` of `CtrModel.train`.
pub const DEFAULT_CALIBRATION_SHARE: f64 = 0.2;

/// The parts of `CtrModel` outside the editor's subset (feature `wasm`, not `wasm-lite`):
/// training and the campaign pipeline.
#[wasm_bindgen]
impl CtrModel {
    /// The whole campaign pipeline in one call (in-flight models only): `nCampaigns` campaigns
    /// as the metric columns `unifiedFeaturesBatch` reads (`batchLayout()`), normalized, turned
    /// into the 19 unified features and in-flight rows for `target`, and scored. Returns
    /// `nCampaigns` calibrated CTRs, bit for bit what `unifiedFeaturesBatch` + the in-flight
    /// encoding + `scoreBatch` give. Throws naming the campaign and column
    /// (`campaigns[7].tiktok.impressions`), `target`, or the model kind.
    #[wasm_bindgen(js_name = scoreCampaigns)]
    pub fn score_campaigns(
        &self,
        columns: &[f64],
        #[wasm_bindgen(js_name = nCampaigns)] n_campaigns: f64,
        target: Ts<Platform>,
        options: Option<Ts<super::options::Options>>,
    ) -> Result<Vec<f32>, JsValue> {
        let builder = super::options::Options::read(options)?.builder()?;
        let n = whole_number("nCampaigns", n_campaigns, f64::from(u32::MAX))? as usize;
        let target: Platform = from_js(&target.js_value(), "target")?;
        Ok(crate::model::pipeline::score_campaign_columns(
            &builder,
            &self.inner,
            columns,
            n,
            target,
        )?)
    }

    /// Train a model on the caller's own records, given as columns: `columns.x` (row-major
    /// `n x d`, `d = options.featureNames.length`), `columns.clicks` and `columns.impressions`
    /// (`n` each). Deterministic for given inputs and `options.seed`. Throws naming the bad
    /// field (`columns.impressions[3]`, `options.l2`, ...).
    pub fn train(
        columns: Ts<TrainColumns>,
        options: Ts<CtrTrainOptions>,
    ) -> Result<CtrModel, JsValue> {
        let options: CtrTrainOptions = from_js(&options.js_value(), "options")?;
        let opts = train_options(&options)?;
        let Columns {
            x,
            clicks,
            impressions,
        } = read_columns(&columns.js_value())?;
        let d = opts.feature_names.len();
        let n = clicks.len();
        if x.len() != n * d {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "columns.x",
                format!(
                    "{n} rows x {d} features (options.featureNames) needs {} values, got {}",
                    n * d,
                    x.len()
                ),
            )
            .into());
        }
        check_rows(&x, &clicks, &impressions, d)?;
        let view = ArrayView2::from_shape((n, d), &x)
            .map_err(|e| Error::field(ErrorCode::InvalidValue, "columns.x", e.to_string()))?;
        let inner = core::CtrModel::train(view, &clicks, &impressions, &opts)
            .map_err(|e| e.within("columns"))?;
        Ok(CtrModel { inner })
    }
}

/// The core's training options from the JS ones, checked by the core
/// ([`TrainOptions::validate`]) with its errors renamed to the camelCase fields.
fn train_options(o: &CtrTrainOptions) -> Result<TrainOptions, Error> {
    let defaults = FitOptions::default();
    let opts = TrainOptions {
        kind: o.kind,
        layout: o.layout,
        feature_names: o.feature_names.clone(),
        fit: FitOptions {
            l2: o.l2.unwrap_or(defaults.l2),
            max_iter: o.max_iter.map_or(defaults.max_iter, |m| m as usize),
            ..defaults
        },
        calibration_share: o.calibration_share.unwrap_or(DEFAULT_CALIBRATION_SHARE),
        seed: o.seed,
        trained_on: o.trained_on.clone().unwrap_or_default(),
    };
    opts.validate().map_err(|e| {
        let field = e.field.as_deref().map(|f| {
            const NAMES: [(&str, &str); 3] = [
                ("max_iter", "maxIter"),
                ("calibration_share", "calibrationShare"),
                ("feature_names", "featureNames"),
            ];
            let renamed = NAMES
                .iter()
                .find_map(|(core, js)| f.strip_prefix(core).map(|rest| format!("{js}{rest}")))
                .unwrap_or_else(|| f.to_string());
            format!("options.{renamed}")
        });
        Error { field, ..e }
    })?;
    Ok(opts)
}

/// Copy `columns.x` (Float32Array), `columns.clicks` and `columns.impressions` (Float64Array)
/// out of JS, rejecting missing, mistyped and unknown keys.
/// The training columns, copied out of JS.
struct Columns {
    x: Vec<f32>,
    clicks: Vec<f64>,
    impressions: Vec<f64>,
}

fn read_columns(columns: &JsValue) -> Result<Columns, Error> {
    if !columns.is_object() || js_sys::Array::is_array(columns) {
        return Err(Error::field(
            ErrorCode::InvalidType,
            "columns",
            "must be an object { x: Float32Array, clicks: Float64Array, impressions: Float64Array }",
        ));
    }
    let object: &Object = columns.unchecked_ref();
    for key in Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !["x", "clicks", "impressions"].contains(&key.as_str()) {
            return Err(Error::field(
                ErrorCode::UnknownField,
                format!("columns.{key}"),
                "unknown key, expected `x`, `clicks` or `impressions`",
            ));
        }
    }
    let get = |key: &str| -> Result<JsValue, Error> {
        let v = Reflect::get(columns, &key.into()).unwrap_or(JsValue::UNDEFINED);
        if v.is_undefined() || v.is_null() {
            return Err(Error::field(
                ErrorCode::MissingField,
                format!("columns.{key}"),
                "missing",
            ));
        }
        Ok(v)
    };
    let x = get("x")?
        .dyn_into::<Float32Array>()
        .map_err(|_| typed("columns.x", "Float32Array"))?
        .to_vec();
    let f64s = |key: &str| -> Result<Vec<f64>, Error> {
        Ok(get(key)?
            .dyn_into::<Float64Array>()
            .map_err(|_| typed(&format!("columns.{key}"), "Float64Array"))?
            .to_vec())
    };
    Ok(Columns {
        x,
        clicks: f64s("clicks")?,
        impressions: f64s("impressions")?,
    })
}

fn typed(field: &str, ty: &str) -> Error {
    Error::field(ErrorCode::InvalidType, field, format!("must be a {ty}"))
}

/// Row checks with the JS column names (the core repeats them under its own names).
fn check_rows(x: &[f32], clicks: &[f64], impressions: &[f64], d: usize) -> Result<(), Error> {
    if clicks.is_empty() {
        return Err(Error::field(
            ErrorCode::EmptyInput,
            "columns.clicks",
            "no training rows",
        ));
    }
    if impressions.len() != clicks.len() {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "columns.impressions",
            format!(
                "has {} values, columns.clicks has {}",
                impressions.len(),
                clicks.len()
            ),
        ));
    }
    for (i, (&c, &m)) in clicks.iter().zip(impressions).enumerate() {
        if !(m.is_finite() && m >= 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("columns.impressions[{i}]"),
                format!("must be a finite number >= 0, got {m}"),
            ));
        }
        if !(c.is_finite() && c >= 0.0 && c <= m) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("columns.clicks[{i}]"),
                format!("needs 0 <= clicks <= impressions ({m}), got {c}"),
            ));
        }
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            format!("columns.x[{i}]"),
            format!(
                "must be finite, got {} (row {}, feature {})",
                x[i],
                i / d.max(1),
                i % d.max(1)
            ),
        ));
    }
    if impressions.iter().sum::<f64>() <= 0.0 {
        return Err(Error::field(
            ErrorCode::EmptyInput,
            "columns.impressions",
            "no impressions to learn from (all zero)",
        ));
    }
    Ok(())
}
