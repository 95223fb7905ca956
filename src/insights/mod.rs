//! Account insights from an account's own [`CreativeRecord`]s (SEED-SPEC §3.4, seeds/000
//! "AccountInsight"), computed from the data instead of the original's hard-coded constants.
//!
//! **What is measured.** For each creative attribute (hook type, duration bucket, posting hour, CTA
//! style, visual tag) and each value of it, the pooled (impression-weighted) CTR
//! `Σ clicks / Σ impressions` of the account's records with that value, and its **lift** against
//! the account's own mean:
//!
//! ```text
//! E_v   = Σ_{r has v} impressions_r · ctr̄[platform_r]     (expected clicks at the account's own
//!                                                           pooled CTR on each record's platform)
//! lift  = O_v / E_v                                          (O_v = Σ clicks; indirect standardisation,
//!                                                           so a value used mostly on a high-CTR
//!                                                           platform is not credited for the platform)
//! z     = (O_v − E_v) / sqrt(φ · Σ impressions_r · p_r (1 − p_r)),  p_r = ctr̄[platform_r]
//! ```
//!
//! `φ ≥ 1` is the account's over-dispersion (quasi-binomial): the Pearson χ² of all its records
//! against the same per-platform means divided by its degrees of freedom, floored at 1. Clicks of
//! one creative are correlated (the creative itself is good or bad), so a plain binomial z on
//! impressions would call almost any difference "significant"; φ widens it by how much the
//! account's creatives really vary. A value is `significant` when `z ≥ z_critical` (default 1.96,
//! one-sided 2.5 %). The lift interval is `(O_v ± z_critical · sd) / E_v`, clipped at 0. The CTR
//! interval is Wilson's at the same z (impressions as trials; descriptive).
//!
//! Conversion rate (conversions / clicks) is reported per value where conversions are tracked, with
//! its lift against the account's pooled conversion rate; ranking uses CTR lift first (it has far
//! more data), then conversion-rate lift, then impressions.
//!
//! **Gates** (all in [`InsightOptions`]): fewer than `min_campaigns` campaigns (default 3, as the
//! seed; a campaign is a distinct `campaign_id`, a record without one counts as its own campaign)
//! gives an insight with totals but no patterns (`enough_data: false`); an attribute value with
//! fewer than `min_impressions_per_value` impressions (default 1,000) is not ranked.
//!
//! **Winners.** A record is a winner when its CTR reaches its platform's winner threshold
//! ([`WinnerRule`]; default: the geometric middle of the platform's CTR benchmark range in
//! [`crate::benchmarks`], e.g. 1.22 % on Meta, 2.45 % on TikTok, 3.87 % on Google Ads, instead
//! of the original's flat 1.5 % for every platform). Each ranked value reports how many of its
//! records are winners.
//!
//! **Units.** Every rate is a fraction (0.023, not 2.3). ROAS is pooled, `Σ revenue / Σ spend`
//! over the records that track revenue. A rate whose denominator is 0 is `None`, never NaN.

pub(crate) mod compute;

pub use compute::account_insights;

use crate::benchmarks::Benchmarks;
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{CtaStyle, HookType, VisualTag};
use serde::{Deserialize, Serialize};

/// Version of the [`AccountInsight`] shape.
pub const INSIGHT_VERSION: u32 = 1;

/// Fixed video-duration buckets (seconds, `[lo, hi)`); the last one is open-ended up to the
/// record limit of 600 s. Shared with the niche-wisdom releases.
pub const DURATION_BUCKETS: [(f64, f64); 6] = [
    (0.0, 6.0),
    (6.0, 15.0),
    (15.0, 30.0),
    (30.0, 60.0),
    (60.0, 120.0),
    (120.0, 600.0),
];

/// Wire label of duration bucket `i` (`"15-30s"`); `None` when out of range.
pub fn duration_bucket_label(i: usize) -> Option<String> {
    DURATION_BUCKETS
        .get(i)
        .map(|(lo, hi)| format!("{}-{}s", *lo as u32, *hi as u32))
}

/// The duration bucket holding `seconds` (`None` for non-finite or non-positive values).
pub fn duration_bucket(seconds: f64) -> Option<usize> {
    if !(seconds.is_finite() && seconds > 0.0) {
        return None;
    }
    Some(
        DURATION_BUCKETS
            .iter()
            .position(|(_, hi)| seconds < *hi)
            .unwrap_or(DURATION_BUCKETS.len() - 1),
    )
}

/// Which records count as winners.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum WinnerRule {
    /// CTR at least `min · (max / min)^position` of the platform's CTR benchmark range (a position
    /// on the log scale between the range's ends: 0 = its min, 0.5 = its geometric middle, 1 = its
    /// max). Platforms without a benchmark row (`unknown`) use Meta's row.
    BenchmarkPosition {
        /// Position in `[0, 1]` on the log scale of the range.
        position: f64,
    },
    /// A flat CTR threshold for every platform (the original's 0.015, for comparison).
    FixedCtr {
        /// The threshold (fraction, in `[0, 1]`).
        ctr: f64,
    },
}

impl Default for WinnerRule {
    fn default() -> Self {
        WinnerRule::BenchmarkPosition { position: 0.5 }
    }
}

/// How insights are computed: gates, significance level, winner rule and list lengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct InsightOptions {
    /// Fewest distinct campaigns for patterns (default 3, the seed's `min_campaigns_per_account`).
    pub min_campaigns: u32,
    /// Fewest impressions an attribute value needs to be ranked (default 1,000).
    pub min_impressions_per_value: u64,
    /// One-sided critical z for `significant` and the half-width of the intervals (default 1.96).
    pub z_critical: f64,
    /// Longest "top" list (top hooks, CTAs, visuals; default 3) and most best hours (default 5
    /// is used for hours: `top_n + 2`).
    pub top_n: u32,
    /// Which records are winners (default: relative to the platform benchmark).
    pub winner: WinnerRule,
    /// The benchmark table the winner rule reads (default: [`Benchmarks::seed`]).
    pub benchmarks: Option<Benchmarks>,
    /// The account's niche when known from elsewhere (e.g. niche detection); default: the niche
    /// most of its records declare, else `unknown`.
    pub niche: Option<Niche>,
}

impl Default for InsightOptions {
    fn default() -> Self {
        InsightOptions {
            min_campaigns: 3,
            min_impressions_per_value: 1_000,
            z_critical: 1.96,
            top_n: 3,
            winner: WinnerRule::default(),
            benchmarks: None,
            niche: None,
        }
    }
}

/// Which creative attribute a ranked value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Attribute {
    /// [`HookType`] (wire names as values).
    HookType,
    /// Duration bucket ([`DURATION_BUCKETS`], values like `"15-30s"`).
    Duration,
    /// Posting hour (values `"0"` ... `"23"` in insights; 3-hour buckets `"09-11"` in wisdom).
    PostingHour,
    /// [`CtaStyle`].
    CtaStyle,
    /// [`VisualTag`] (a record counts for each of its tags).
    VisualTag,
}

impl Attribute {
    /// All attributes in a fixed order.
    pub const ALL: [Attribute; 5] = [
        Attribute::HookType,
        Attribute::Duration,
        Attribute::PostingHour,
        Attribute::CtaStyle,
        Attribute::VisualTag,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Attribute::HookType => "hook_type",
            Attribute::Duration => "duration",
            Attribute::PostingHour => "posting_hour",
            Attribute::CtaStyle => "cta_style",
            Attribute::VisualTag => "visual_tag",
        }
    }
}

/// One attribute value's performance within one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct AttributeStat {
    /// The value's wire name (`"question"`, `"15-30s"`, `"9"`).
    pub value: String,
    /// Records (creative × platform) with this value.
    pub records: u32,
    /// Of those, winners ([`WinnerRule`]).
    pub winners: u32,
    /// Σ impressions.
    pub impressions: u64,
    /// Σ clicks.
    pub clicks: u64,
    /// Pooled CTR, `clicks / impressions` (fraction).
    pub ctr: f64,
    /// Wilson interval of `ctr` at `z_critical`: `[lo, hi]`.
    pub ctr_interval: [f64; 2],
    /// Clicks expected at the account's own per-platform pooled CTR (`E_v`).
    pub expected_clicks: f64,
    /// CTR lift against the account's own per-platform pooled CTR (`clicks / expected_clicks`).
    pub lift: f64,
    /// Interval of `lift` at `z_critical` (over-dispersion-adjusted): `[lo, hi]`.
    pub lift_interval: [f64; 2],
    /// Over-dispersion-adjusted z of observed vs expected clicks.
    pub z: f64,
    /// `z >= z_critical` (a significantly higher CTR than the account's own mean).
    pub significant: bool,
    /// Σ conversions over records of this value that track conversions, when any do.
    pub conversions: Option<u64>,
    /// Pooled conversion rate `conversions / clicks` over those records (fraction), when defined.
    pub conversion_rate: Option<f64>,
    /// Conversion-rate lift against the account's pooled conversion rate, when defined.
    pub conversion_lift: Option<f64>,
}

/// A duration range in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct DurationRange {
    /// Lower end (inclusive).
    pub min_s: f64,
    /// Upper end (exclusive).
    pub max_s: f64,
}

/// What one account's records say about what works for it (seeds/000 "AccountInsight",
/// corrected: every pattern is measured, rates are fractions, nothing is NaN). Computed locally;
/// it contains the account's id and is never published as is (see [`crate::wisdom`] for what
/// is shared).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct AccountInsight {
    /// [`INSIGHT_VERSION`].
    pub version: u32,
    /// The account (opaque id from the records).
    pub account_id: String,
    /// The niche ([`InsightOptions::niche`], else the most declared one, else `unknown`).
    pub niche: Niche,
    /// Share of the account's records that declare `niche` (1.0 when it came from the options).
    pub niche_confidence: f64,
    /// Platforms the account ran on, in [`Platform::ALL`] order.
    pub platforms: Vec<Platform>,
    /// Records used.
    pub total_records: u32,
    /// Distinct campaigns (a record without `campaign_id` counts as its own campaign).
    pub total_campaigns: u32,
    /// Whether the minimum-data gate (`min_campaigns`) passed; when false every list is empty.
    pub enough_data: bool,
    /// Σ impressions.
    pub impressions: u64,
    /// Σ clicks.
    pub clicks: u64,
    /// Σ conversions over records that track them, when any do.
    pub conversions: Option<u64>,
    /// Σ spend (account currency).
    pub spend: f64,
    /// Σ revenue over records that track it, when any do.
    pub revenue: Option<f64>,
    /// Pooled CTR `clicks / impressions` (fraction); `None` without impressions.
    pub avg_ctr: Option<f64>,
    /// Pooled CTR per platform, `[meta, tiktok, google_ads, unknown]` (`None` where no impressions).
    pub platform_ctr: [Option<f64>; 4],
    /// Pooled conversion rate `conversions / clicks` over records that track conversions
    /// (fraction); `None` when undefined.
    pub avg_conversion_rate: Option<f64>,
    /// Pooled ROAS `Σ revenue / Σ spend` over records that track revenue; `None` when undefined.
    pub avg_roas: Option<f64>,
    /// Records that are winners.
    pub winners: u32,
    /// The account's over-dispersion factor φ (≥ 1) used in every z.
    pub dispersion: f64,
    /// Ranked hook-type stats (best first; values below the impression gate and `unknown` left out).
    pub hook_types: Vec<AttributeStat>,
    /// Ranked duration-bucket stats.
    pub durations: Vec<AttributeStat>,
    /// Ranked posting-hour stats (values `"0"`..`"23"`).
    pub posting_hours: Vec<AttributeStat>,
    /// Ranked CTA-style stats.
    pub cta_styles: Vec<AttributeStat>,
    /// Ranked visual-tag stats.
    pub visual_tags: Vec<AttributeStat>,
    /// Up to `top_n` hook types with lift > 1 (best first; `other` excluded).
    pub top_hook_types: Vec<HookType>,
    /// The duration bucket with the best lift > 1, when one passes the gate.
    pub optimal_duration_range: Option<DurationRange>,
    /// Up to `top_n + 2` posting hours with lift > 1, best first.
    pub best_posting_times: Vec<u8>,
    /// Up to `top_n` CTA styles with lift > 1 (`other` and `none` excluded).
    pub effective_cta_styles: Vec<CtaStyle>,
    /// Up to `top_n` visual tags with lift > 1 (`other` excluded).
    pub visual_preferences: Vec<VisualTag>,
}

impl AccountInsight {
    /// The ranked stats of one attribute.
    pub fn stats(&self, attribute: Attribute) -> &[AttributeStat] {
        match attribute {
            Attribute::HookType => &self.hook_types,
            Attribute::Duration => &self.durations,
            Attribute::PostingHour => &self.posting_hours,
            Attribute::CtaStyle => &self.cta_styles,
            Attribute::VisualTag => &self.visual_tags,
        }
    }
}
