//! `GroundedCtr`: the grounded CTR model ([`crate::model::grounded`], fitted to real exports) for
//! JS: load its JSON file, predict creatives with honest 95 % intervals, personalise it with an
//! account's own results on the device.
//!
//! The model is not compiled into the `.wasm`: the package ships it as a file
//! (`crosslearn/models/ctr-grounded-v1.json`) and `GroundedCtr.fromJson(text)` reads it. A batch
//! of creatives comes back as one `Float64Array` (`predictBatch`: `ctr, low, high` per creative; `predictCtrBatch`: the CTRs alone).

use super::convert::{from_js, to_js_list, to_ts};
use crate::error::{Error, ErrorCode};
use crate::model::encode::CreativeAttributes;
use crate::model::grounded::{
    self as core, CreativeObs, GroundedPrediction, Provenance, ReleasedRate,
};
use crate::wisdom::suffstat::PosteriorTable;
use serde::{Deserialize, Serialize};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// The grounded CTR model (multilevel logistic, fitted to real exports), optionally
/// personalised for one account. `free()` releases it.
#[wasm_bindgen]
#[derive(Debug, Clone)]
pub struct GroundedCtr {
    inner: core::GroundedModel,
    /// How `personalise` made this copy (None for a loaded file).
    report: Option<PersonalisationReport>,
}

/// One of the account's own creatives with its results (`personalise` input).
#[derive(Debug, Clone, PartialEq, Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct OwnResult {
    /// The creative's attributes (as `predict` takes them).
    pub creative: CreativeAttributes,
    /// Impressions it got (a whole number ≥ 1 to be usable).
    pub impressions: u64,
    /// Clicks it got (`<= impressions`).
    pub clicks: u64,
}

/// What `personalise` did besides returning the personalised model.
#[derive(Debug, Clone, PartialEq, Serialize, Tsify)]
pub struct PersonalisationReport {
    /// Records used.
    pub used: usize,
    /// Records skipped, each with its reason (`records[3]: no impressions`).
    pub skipped: Vec<String>,
    /// Why the prediction did not change, when it did not (no usable record).
    pub unchanged_reason: Option<String>,
}

#[wasm_bindgen]
impl GroundedCtr {
    /// Read a grounded model file (`crosslearn/models/ctr-grounded-v1.json`, or `toJson()`
    /// output). Throws (`field: "json"`) on anything else: not JSON, unknown fields, another
    /// version, inconsistent sizes.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<GroundedCtr, JsValue> {
        let inner = core::GroundedModel::from_json(json).map_err(|e| Error {
            field: Some("json".to_string()),
            ..e
        })?;
        Ok(GroundedCtr {
            inner,
            report: None,
        })
    }

    /// The file format version (`ctr-grounded-v1`).
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> String {
        self.inner.version.clone()
    }

    /// Where the model's numbers come from: data sources (real or simulated, creatives,
    /// impressions, clicks), the assumptions that are not measured, the release of its effect
    /// priors, and the command that reproduces the file.
    #[wasm_bindgen(getter)]
    pub fn provenance(&self) -> Result<Ts<Provenance>, JsValue> {
        Ok(to_ts(&self.inner.provenance)?)
    }

    /// Real creatives the model was fitted to (the sum over its real sources).
    #[wasm_bindgen(getter, js_name = realCreatives)]
    pub fn real_creatives(&self) -> f64 {
        self.inner.provenance.real_creatives() as f64
    }

    /// Own records this copy was personalised with (0: not personalised).
    #[wasm_bindgen(getter, js_name = personalRecords)]
    pub fn personal_records(&self) -> f64 {
        self.inner
            .personal
            .as_ref()
            .map_or(0.0, |p| p.records as f64)
    }

    /// The prediction for one creative of a new account (or of the account this copy was
    /// personalised for): `ctr` (the typical creative like this one: the number to show), its
    /// 95 % predictive interval `low`..`high`, the predictive `mean`, and the logit scale parts.
    /// Throws naming the field (`creative.duration_s`) on a bad creative.
    pub fn predict(
        &self,
        creative: Ts<CreativeAttributes>,
    ) -> Result<Ts<GroundedPrediction>, JsValue> {
        let creative: CreativeAttributes = from_js(&creative.js_value(), "creative")?;
        let p = self
            .inner
            .predict(&creative)
            .map_err(|e| e.within("creative"))?;
        Ok(to_ts(&p)?)
    }

    /// Predict many creatives in one call: `3 * creatives.length` values, `ctr, low, high` per
    /// creative in order. An error names the creative (`creatives[3].duration_s`).
    #[wasm_bindgen(js_name = predictBatch)]
    pub fn predict_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreativeAttributes[]")] creatives: JsValue,
    ) -> Result<Vec<f64>, JsValue> {
        let creatives: Vec<CreativeAttributes> = from_js(&creatives, "creatives")?;
        let preds = self.inner.predict_batch(&creatives)?;
        Ok(preds.iter().flat_map(|p| [p.ctr, p.low, p.high]).collect())
    }

    /// The CTRs alone (`predict(c).ctr` of each creative, in order), at a fraction of the cost
    /// of `predictBatch`: for scoring many rows. An error names the creative.
    #[wasm_bindgen(js_name = predictCtrBatch)]
    pub fn predict_ctr_batch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CreativeAttributes[]")] creatives: JsValue,
    ) -> Result<Vec<f64>, JsValue> {
        let creatives: Vec<CreativeAttributes> = from_js(&creatives, "creatives")?;
        Ok(self.inner.predict_ctr_batch(&creatives)?)
    }

    /// A copy personalised with the account's own results (pure: the records stay on the
    /// device); its `personalisation` says what was used and skipped. With no usable record
    /// the copy predicts exactly as this one and says why. Throws naming the field on a
    /// malformed record (`records[2].clicks`).
    pub fn personalise(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OwnResult[]")] records: JsValue,
    ) -> Result<GroundedCtr, JsValue> {
        let p = self.personalised(&records)?;
        Ok(GroundedCtr {
            inner: p.model,
            report: Some(PersonalisationReport {
                used: p.used,
                skipped: p.skipped,
                unchanged_reason: p.unchanged_reason,
            }),
        })
    }

    /// How `personalise` made this copy: records used, skipped (with reasons), and why the
    /// prediction did not change when it did not. `null` for a model read with `fromJson`.
    #[wasm_bindgen(getter)]
    pub fn personalisation(&self) -> Result<Option<Ts<PersonalisationReport>>, JsValue> {
        Ok(match &self.report {
            Some(r) => Some(to_ts(r)?),
            None => None,
        })
    }

    /// A copy with a release's base rates: for each given (niche, platform), the logit of the
    /// accounts' median CTR replaces the exports' rate and the accounts' p10..p90 spread the
    /// between-account sd; the attribute effects stay the model's (centred). Pairs not given keep
    /// the exports' rate; `[]` removes every released rate. Throws naming the entry
    /// (`rates[2].p50`; a pair given twice: `duplicate`, `rates[1]`).
    #[wasm_bindgen(js_name = withReleasedRates)]
    pub fn with_released_rates(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReleasedRate[]")] rates: JsValue,
    ) -> Result<GroundedCtr, JsValue> {
        let rates: Vec<ReleasedRate> = from_js(&rates, "rates")?;
        Ok(GroundedCtr {
            inner: self.inner.with_released_rates(rates)?,
            report: self.report.clone(),
        })
    }

    /// A copy whose attribute effects for each table's niche take the release's format-2
    /// per-value posteriors as priors: the exports' evidence on each value is combined with the
    /// posterior by precision (a closed-form stand-in for a refit); values the exports never saw
    /// take the posterior as it is. Niches not given keep the model's effects; `[]` removes
    /// them all. Throws naming the entry (`tables[1].values[3].sd`; a niche twice: `duplicate`).
    #[wasm_bindgen(js_name = withEffectPosteriors)]
    pub fn with_effect_posteriors(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PosteriorTable[]")] tables: JsValue,
    ) -> Result<GroundedCtr, JsValue> {
        let tables: Vec<PosteriorTable> = from_js(&tables, "tables")?;
        Ok(GroundedCtr {
            inner: self.inner.with_effect_posteriors(&tables)?,
            report: self.report.clone(),
        })
    }

    /// The release whose posteriors the effects of `niche` use (`withEffectPosteriors`), or
    /// `undefined`.
    #[wasm_bindgen(js_name = effectRelease)]
    pub fn effect_release(&self, niche: &str) -> Option<String> {
        self.inner
            .niche_effects
            .iter()
            .find(|ne| ne.niche.as_str() == niche)
            .map(|ne| ne.release_id.clone())
    }

    /// The release base rates in use (`withReleasedRates`), in the order given.
    #[wasm_bindgen(getter, js_name = releasedRates, unchecked_return_type = "ReleasedRate[]")]
    pub fn released_rates(&self) -> Result<JsValue, JsValue> {
        Ok(to_js_list(&self.inner.released)?)
    }

    /// The model file's JSON (what `fromJson` reads back, including any personalisation).
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

impl GroundedCtr {
    fn personalised(&self, records: &JsValue) -> Result<core::Personalisation, Error> {
        let own: Vec<OwnResult> = from_js(records, "records")?;
        for (i, r) in own.iter().enumerate() {
            if r.clicks > r.impressions {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    format!("records[{i}].clicks"),
                    format!(
                        "{} clicks is more than its {} impressions",
                        r.clicks, r.impressions
                    ),
                ));
            }
        }
        let obs: Vec<CreativeObs> = own
            .into_iter()
            .map(|r| CreativeObs {
                account: "self".to_string(),
                attrs: r.creative,
                impressions: r.impressions,
                clicks: r.clicks,
            })
            .collect();
        core::personalise(&self.inner, &obs)
    }
}
