//! The simulator's frozen parameters: one versioned JSON file, hashed.
//!
//! The default parameters are `models/simulator-v1.json`, compiled in with `include_str!`. Its
//! FNV-1a 64 hash ([`fnv1a64`] of the file bytes) is [`SIMULATOR_V1_HASH`]; a test fails if the
//! file changes, so a change needs a new version and a note. Other parameter files can be loaded
//! with [`SimParams::from_json`] and are validated (finite numbers, rates in (0, 1), known terms:
//! unknown keys are errors).

use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{AdFormat, CtaStyle, HookType, VisualTag};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The bytes of the default parameter file.
pub const SIMULATOR_V1_JSON: &str = include_str!("../../models/simulator-v1.json");
/// FNV-1a 64 of [`SIMULATOR_V1_JSON`], as 16 lower-case hex digits.
pub const SIMULATOR_V1_HASH: &str = "1ef3db392658fb78";

pub use crate::hash::fnv1a64;

/// Per-platform delivery parameters (grounded in the exports; see `grounding`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformParams {
    /// Baseline CTR (pooled clicks / impressions).
    pub base_ctr: f64,
    /// Median CPM of a creative-day.
    pub cpm_median: f64,
    /// Log-sd of CPM across creative-days.
    pub cpm_log_sd: f64,
    /// Mean ln(daily impressions).
    pub log_impressions_mean: f64,
    /// Sd of ln(daily impressions), split by `impressions_variance_shares`.
    pub log_impressions_sd: f64,
    /// Conversions per click.
    pub cvr: f64,
    /// Revenue per conversion (before the niche multiplier).
    pub revenue_per_conversion: f64,
}

/// How the variance of ln(daily impressions) splits between account, creative and day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarianceShares {
    /// Account budget level.
    pub account: f64,
    /// Creative within account.
    pub creative: f64,
    /// Day within creative.
    pub day: f64,
}

/// A niche-specific interaction term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interaction<T> {
    /// The niche.
    pub niche: Niche,
    /// The hook type or visual tag.
    pub term: T,
    /// Added log-odds (times `effect_scale`).
    pub effect: f64,
}

/// Video duration effect: no penalty inside the best range, a penalty per doubling outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationParams {
    /// Lower end of the best range (s).
    pub best_min_s: f64,
    /// Upper end of the best range (s).
    pub best_max_s: f64,
    /// Log-odds lost per doubling away from the range.
    pub penalty_per_doubling: f64,
    /// Shortest simulated video (s).
    pub min_s: f64,
    /// Longest simulated video (s).
    pub max_s: f64,
}

/// Network shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// Fewest creatives per account.
    pub creatives_per_account_min: u64,
    /// Most creatives per account.
    pub creatives_per_account_max: u64,
    /// Shortest run of a creative (days).
    pub days_min: u64,
    /// Longest run (days).
    pub days_max: u64,
    /// Weights of an account running on 1, 2 or 3 platforms.
    pub platform_count_weights: [f64; 3],
    /// Probability of each applicable visual tag.
    pub visual_tag_probability: f64,
    /// First day of the simulated period.
    pub start_date: String,
}

/// All simulator parameters (the schema of `models/simulator-v1.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimParams {
    /// Version name, e.g. `simulator-v1`.
    pub version: String,
    /// The label carried by every simulated output.
    pub label: String,
    /// Provenance notes.
    pub notes: Vec<String>,
    /// Delivery parameters per platform (meta, tiktok, google_ads).
    pub platforms: BTreeMap<Platform, PlatformParams>,
    /// Split of ln(impressions) variance.
    pub impressions_variance_shares: VarianceShares,
    /// Sd of the account's CTR effect (log-odds).
    pub account_ctr_sd: f64,
    /// Sd of a creative's unexplained CTR effect (log-odds).
    pub creative_ctr_sd: f64,
    /// Log-sd of revenue per conversion around its mean.
    pub revenue_log_sd: f64,
    /// Multiplier of every creative-attribute effect (sensitivity knob).
    pub effect_scale: f64,
    /// Niche CTR offsets (log-odds, not scaled).
    pub niche_ctr: BTreeMap<Niche, f64>,
    /// Niche multipliers of revenue per conversion.
    pub niche_value: BTreeMap<Niche, f64>,
    /// Hook effects (log-odds).
    pub hook: BTreeMap<HookType, f64>,
    /// Platform multipliers of hook effects.
    pub hook_platform_multiplier: BTreeMap<Platform, f64>,
    /// CTA effects (log-odds).
    pub cta: BTreeMap<CtaStyle, f64>,
    /// Visual tag effects (log-odds).
    pub visual: BTreeMap<VisualTag, f64>,
    /// Platform multipliers of visual effects.
    pub visual_platform_multiplier: BTreeMap<Platform, f64>,
    /// Niche x hook interactions.
    pub niche_hook: Vec<Interaction<HookType>>,
    /// Niche x visual interactions.
    pub niche_visual: Vec<Interaction<VisualTag>>,
    /// Format effects per platform (formats absent for a platform are not simulated there).
    pub format: BTreeMap<Platform, BTreeMap<AdFormat, f64>>,
    /// Format frequencies per platform.
    pub format_weights: BTreeMap<Platform, BTreeMap<AdFormat, f64>>,
    /// Duration effect.
    pub duration: DurationParams,
    /// Posting-hour effects, hours 0-23 (log-odds).
    pub hour_effect: [f64; 24],
    /// Network shape.
    pub structure: Structure,
}

fn bad(field: &str, msg: &str) -> Error {
    Error::field(ErrorCode::InvalidValue, field, msg.to_string())
}

impl SimParams {
    /// The frozen default, `models/simulator-v1.json`.
    pub fn v1() -> Self {
        // The file is part of the crate and a test parses it; failure is a build defect.
        Self::from_json(SIMULATOR_V1_JSON).expect("models/simulator-v1.json is valid")
    }

    /// Parse and validate a parameter file.
    pub fn from_json(text: &str) -> Result<Self> {
        let p: SimParams = serde_json::from_str(text).map_err(|e| {
            Error::general(ErrorCode::Malformed, format!("simulator parameters: {e}"))
        })?;
        p.validate()?;
        Ok(p)
    }

    /// The parameters of `platform` (a known platform).
    pub fn platform(&self, platform: Platform) -> &PlatformParams {
        // validate() guarantees all three known platforms are present.
        &self.platforms[&platform]
    }

    fn validate(&self) -> Result<()> {
        let finite = |field: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(bad(field, "must be finite"))
            }
        };
        for p in Platform::KNOWN {
            let Some(pp) = self.platforms.get(&p) else {
                return Err(bad("platforms", &format!("missing {p}")));
            };
            let f = |n: &str| format!("platforms.{p}.{n}");
            for (n, v) in [("base_ctr", pp.base_ctr), ("cvr", pp.cvr)] {
                if !(v > 0.0 && v < 1.0) {
                    return Err(bad(&f(n), "must be in (0, 1)"));
                }
            }
            for (n, v) in [
                ("cpm_median", pp.cpm_median),
                ("cpm_log_sd", pp.cpm_log_sd),
                ("log_impressions_sd", pp.log_impressions_sd),
                ("revenue_per_conversion", pp.revenue_per_conversion),
            ] {
                if !(v.is_finite() && v >= 0.0) {
                    return Err(bad(&f(n), "must be finite and >= 0"));
                }
            }
            finite(&f("log_impressions_mean"), pp.log_impressions_mean)?;
            if self.format_weights.get(&p).is_none_or(|w| w.is_empty()) {
                return Err(bad("format_weights", &format!("missing {p}")));
            }
        }
        let s = &self.impressions_variance_shares;
        if (s.account + s.creative + s.day - 1.0).abs() > 1e-9
            || s.account < 0.0
            || s.creative < 0.0
            || s.day < 0.0
        {
            return Err(bad(
                "impressions_variance_shares",
                "must be >= 0 and sum to 1",
            ));
        }
        for (n, v) in [
            ("account_ctr_sd", self.account_ctr_sd),
            ("creative_ctr_sd", self.creative_ctr_sd),
            ("revenue_log_sd", self.revenue_log_sd),
            ("effect_scale", self.effect_scale),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(n, "must be finite and >= 0"));
            }
        }
        let maps: [(&str, Vec<f64>); 7] = [
            ("niche_ctr", self.niche_ctr.values().copied().collect()),
            ("niche_value", self.niche_value.values().copied().collect()),
            ("hook", self.hook.values().copied().collect()),
            ("cta", self.cta.values().copied().collect()),
            ("visual", self.visual.values().copied().collect()),
            ("hour_effect", self.hour_effect.to_vec()),
            (
                "format",
                self.format
                    .values()
                    .flat_map(|m| m.values().copied())
                    .collect(),
            ),
        ];
        for (n, vs) in maps {
            for v in vs {
                finite(n, v)?;
            }
        }
        if self.hook.is_empty() || self.cta.is_empty() {
            return Err(bad("hook", "hook and cta tables must not be empty"));
        }
        let st = &self.structure;
        if st.creatives_per_account_min == 0
            || st.creatives_per_account_max < st.creatives_per_account_min
            || st.days_min == 0
            || st.days_max < st.days_min
            || st.days_max > 366
        {
            return Err(bad(
                "structure",
                "needs 1 <= min <= max for creatives and days (days <= 366)",
            ));
        }
        crate::record::parse_day("structure.start_date", &st.start_date)?;
        let d = &self.duration;
        if !(d.min_s > 0.0
            && d.max_s >= d.min_s
            && d.max_s <= 600.0
            && d.best_min_s > 0.0
            && d.best_max_s >= d.best_min_s)
        {
            return Err(bad(
                "duration",
                "needs 0 < min_s <= max_s <= 600 and 0 < best_min_s <= best_max_s",
            ));
        }
        Ok(())
    }
}
