//! `accountInsights`: an account's measured patterns ([`crate::insights`]) for JS.

use super::convert::{from_js, from_js_opt, to_ts};
use crate::benchmarks::Benchmarks;
use crate::error::Error;
use crate::insights::{self as core, AccountInsight, InsightOptions, WinnerRule};
use crate::niche::Niche;
use crate::record::CreativeRecord;
use serde::Deserialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Options of `accountInsights` (every key optional; defaults as in the core's `InsightOptions`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountInsightsOptions {
    /// Fewest distinct campaigns for patterns (default 3).
    #[serde(default)]
    #[tsify(optional)]
    pub min_campaigns: Option<u32>,
    /// Fewest impressions an attribute value needs to be ranked (default 1000).
    #[serde(default)]
    #[tsify(optional)]
    pub min_impressions_per_value: Option<u64>,
    /// Critical z for `significant` and the intervals (default 1.96).
    #[serde(default)]
    #[tsify(optional)]
    pub z_critical: Option<f64>,
    /// Longest top lists (default 3).
    #[serde(default)]
    #[tsify(optional)]
    pub top_n: Option<u32>,
    /// Winner rule (default `{ benchmark_position: { position: 0.5 } }`).
    #[serde(default)]
    #[tsify(optional)]
    pub winner: Option<WinnerRule>,
    /// Benchmark table for the winner rule (default: the original's).
    #[serde(default)]
    #[tsify(optional)]
    pub benchmarks: Option<Benchmarks>,
    /// The account's niche, when known (default: the most declared one).
    #[serde(default)]
    #[tsify(optional)]
    pub niche: Option<Niche>,
}

impl AccountInsightsOptions {
    /// The core options these describe.
    pub(crate) fn core(&self) -> InsightOptions {
        let d = InsightOptions::default();
        InsightOptions {
            min_campaigns: self.min_campaigns.unwrap_or(d.min_campaigns),
            min_impressions_per_value: self
                .min_impressions_per_value
                .unwrap_or(d.min_impressions_per_value),
            z_critical: self.z_critical.unwrap_or(d.z_critical),
            top_n: self.top_n.unwrap_or(d.top_n),
            winner: self.winner.unwrap_or(d.winner),
            benchmarks: self.benchmarks,
            niche: self.niche,
        }
    }

    pub(crate) fn read(js: Option<&JsValue>, arg: &str) -> Result<InsightOptions, Error> {
        Ok(from_js_opt::<AccountInsightsOptions>(js, arg)?
            .unwrap_or_default()
            .core())
    }
}

/// What one account's records (validated `CreativeRecord`s, e.g. `validateRecords(...).accepted`,
/// all of ONE account) say about its hooks, durations, posting hours, CTAs and visuals: lift
/// against its own mean with significance, rates as fractions, `null` where undefined.
#[wasm_bindgen(js_name = accountInsights)]
pub fn account_insights(
    #[wasm_bindgen(unchecked_param_type = "CreativeRecord[]")] records: JsValue,
    options: Option<Ts<AccountInsightsOptions>>,
) -> Result<Ts<AccountInsight>, JsValue> {
    let records: Vec<CreativeRecord> = from_js(&records, "records")?;
    let options = AccountInsightsOptions::read(options.map(|t| t.js_value()).as_ref(), "options")?;
    // The core's error fields already start with `records` or `options`.
    let insight = core::account_insights(&records, &options)?;
    Ok(to_ts(&insight)?)
}
