//! Private niche wisdom: what opted-in accounts of a niche have learned, released with
//! differential privacy (seeds/000 "NichePattern" and "Privacy & Security", corrected).
//!
//! **Flow.**
//! 1. An account's [`AccountInsight`](crate::insights::AccountInsight) (its own records) becomes
//!    at most ONE [`WisdomContribution`] for its niche ([`wisdom_contribution`]): only when the
//!    account opted in ([`AccountConsent`], default **off**) and its insight passed the data gate.
//!    Every value is clipped to documented bounds and fixed-point encoded ([`crate::privacy`]).
//! 2. A [`ContributionPool`] keeps the latest contribution per account (replace / erase are exact
//!    integer operations) and gives each niche's exact [`Aggregate`].
//! 3. [`release_wisdom`] turns one niche's aggregate into a [`NicheWisdom`]: discrete-Laplace noise
//!    per field group with the group's epsilon share and L1 sensitivity, the noisy count checked
//!    against `k`, benchmarks with quantiles from noisy histograms, attribute lifts with
//!    intervals, the seed's frequency lists, and the privacy parameters used.
//! 4. [`get_or_release`] is the only way a service should obtain a release: a release is
//!    identified by [`ReleaseId`] `(period, niche)`; a [`ReleaseStore`] returns the stored one when
//!    it exists (asking again never draws fresh noise), and otherwise charges the niche's
//!    per-window budget before releasing and storing.
//!
//! 5. Optionally ([`ReleaseConfig::distributions`]) the CTR / conversion-rate / ROAS histograms
//!    leave the regular release for their own, slower one ([`release_distributions`]), and
//!    [`combine_releases`] gives readers the usual [`NicheWisdom`] from the two ([`distribution`]).
//!
//! The field layout, sensitivities and epsilon split are in [`layout`]; the privacy model is in
//! `docs/privacy.md`.

pub mod contribute;
pub mod distribution;
pub mod explore;
pub mod layout;
pub mod release;
pub mod store;
pub mod suffstat;

pub use contribute::{contribution_from_records, wisdom_contribution, ContributionPool};
pub use distribution::{
    combine_releases, release_distributions, yearly_pure_epsilon, DistributionId,
    DistributionWisdom,
};
pub use layout::{FieldGroup, Layout};
pub use release::{niche_gate, noisy_aggregate, platform_gate, release_wisdom};
pub use store::{get_or_release, MemoryReleaseStore, ReleaseStore};

use crate::insights::{Attribute, DurationRange};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::privacy::aggregate::Aggregate;
use serde::{Deserialize, Serialize};

/// Version of the contribution layout and of the [`NicheWisdom`] shape.
pub const WISDOM_VERSION: u32 = 1;

/// An account's data-sharing choice. Defaults to **not** opted in: nothing is contributed until
/// the account says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct AccountConsent {
    /// The account agreed to contribute to its niche's wisdom.
    pub opted_in: bool,
}

/// How one release's epsilon is split over the field groups (fractions; they must sum to at
/// most 1, the rest is unspent).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct EpsilonSplit {
    /// The niche's account count ("based on N accounts", checked against `k`). Default 0.15.
    pub count: f64,
    /// Per-platform account counts. Default 0.10.
    pub platform_counts: f64,
    /// CTR histograms (benchmarks and quantiles). Default 0.25.
    pub ctr_histogram: f64,
    /// Conversion-rate histograms. Default 0.10.
    pub cvr_histogram: f64,
    /// ROAS histograms. Default 0.10.
    pub roas_histogram: f64,
    /// Per attribute value: accounts reporting a lift for it and Σ log-lift (split equally over
    /// the 5 attributes × 2 sums). Default 0.20.
    pub lifts: f64,
    /// Per attribute value: accounts whose top list holds it (the seed's frequency lists; split
    /// equally over the 5 attributes). Default 0.10.
    pub top_lists: f64,
}

impl Default for EpsilonSplit {
    fn default() -> Self {
        EpsilonSplit {
            count: 0.15,
            platform_counts: 0.10,
            ctr_histogram: 0.25,
            cvr_histogram: 0.10,
            roas_histogram: 0.10,
            lifts: 0.20,
            top_lists: 0.10,
        }
    }
}

/// Bounds on what one account contributes (they set the sensitivity of every field).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ContributionBounds {
    /// Per-value log-lifts are clipped to `[-max_log_lift, max_log_lift]` (default 0.5: lifts
    /// between 0.61 and 1.65).
    pub max_log_lift: f64,
    /// Most values per attribute one account contributes lifts for (default 2: its values with
    /// the most impressions among those passing its insight gate).
    pub max_values_per_attribute: u32,
    /// Most values per attribute in one account's top list (default 1: its best value, so the
    /// frequency lists are one-hot histograms with sensitivity 1).
    pub max_top_per_attribute: u32,
    /// Most platforms one account contributes benchmarks for (default 1: one of its platforms,
    /// picked by a hash of its id). The platform-count and histogram groups' sensitivity is this
    /// number, so 1 instead of 3 cuts their noise threefold, for about 1.6x fewer accounts per
    /// platform (the simulator's mix of 1-3 platforms per account).
    pub max_platforms: u32,
}

impl Default for ContributionBounds {
    fn default() -> Self {
        ContributionBounds {
            max_log_lift: 0.5,
            max_values_per_attribute: 2,
            max_top_per_attribute: 1,
            max_platforms: 1,
        }
    }
}

/// How releases are made: k, epsilon, its split, contribution bounds, cadence and budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ReleaseConfig {
    /// Fewest accounts (by the NOISY count) for anything to be published; also the per-platform
    /// and per-value threshold. Default 5 (the seed's); use >= 50 in production (docs/privacy.md).
    pub k: u32,
    /// Privacy loss of one release of one niche (default 1.0).
    pub epsilon: f64,
    /// Its split over the field groups.
    pub split: EpsilonSplit,
    /// Per-account contribution bounds.
    pub bounds: ContributionBounds,
    /// Days per release period (default 7: weekly). Period `p` covers days
    /// `[p · cadence_days, (p + 1) · cadence_days)` since 1970-01-01.
    pub cadence_days: u32,
    /// Consecutive periods in one budget window (default 4: about a month).
    pub window_periods: u32,
    /// Total epsilon one niche may spend per window (default 4.0: one release per period).
    pub budget_per_window: f64,
    /// The separate, slower release of the CTR / conversion-rate / ROAS distributions
    /// ([`distribution::release_distributions`]). Absent (the default): every release carries its
    /// histograms, exactly as before. Present: the regular release publishes no histograms and
    /// draws no noise for them (`split`'s three histogram shares must then be 0), and the
    /// distributions are released every [`DistributionConfig::cadence_days`] with their own
    /// epsilon. Not serialized when absent, so configs and releases made without it are unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distributions: Option<DistributionConfig>,
}

/// How a distribution release's epsilon is split (fractions; each > 0, summing to at most 1).
/// The defaults were tuned on simulated networks (docs/privacy.md, "The distribution release").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct DistributionSplit {
    /// The niche's account count (its gate, checked against `k`). Default 0.10.
    pub count: f64,
    /// Per-platform account counts (the platform gate of the benchmarks). Default 0.175.
    pub platform_counts: f64,
    /// CTR histograms. Default 0.225.
    pub ctr_histogram: f64,
    /// Conversion-rate histograms. Default 0.25.
    pub cvr_histogram: f64,
    /// ROAS histograms. Default 0.25.
    pub roas_histogram: f64,
}

impl Default for DistributionSplit {
    fn default() -> Self {
        DistributionSplit {
            count: 0.10,
            platform_counts: 0.175,
            ctr_histogram: 0.225,
            cvr_histogram: 0.25,
            roas_histogram: 0.25,
        }
    }
}

/// The distribution release: the niche count, per-platform counts and the CTR / conversion-rate /
/// ROAS histograms (the benchmarks), released on their own, slower cadence (docs/privacy.md,
/// "The distribution release"). `k`, the contribution bounds, gates and denoising are the
/// [`ReleaseConfig`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct DistributionConfig {
    /// Days per distribution period (default 91: quarterly); at least the regular
    /// `cadence_days`. Period `q` covers days `[q · cadence_days, (q + 1) · cadence_days)` since
    /// 1970-01-01.
    pub cadence_days: u32,
    /// Privacy loss of one distribution release of one niche (default 0.47: with the production
    /// monthly release reduced to its non-histogram groups, the pair stays within the production
    /// yearly loss; docs/privacy.md).
    pub epsilon: f64,
    /// Its split over the distribution groups.
    pub split: DistributionSplit,
}

impl Default for DistributionConfig {
    fn default() -> Self {
        DistributionConfig {
            cadence_days: 91,
            epsilon: 0.47,
            split: DistributionSplit::default(),
        }
    }
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            k: 5,
            epsilon: 1.0,
            split: EpsilonSplit::default(),
            bounds: ContributionBounds::default(),
            cadence_days: 7,
            window_periods: 4,
            budget_per_window: 4.0,
            distributions: None,
        }
    }
}

/// One account's single contribution to its niche for a release: clipped, fixed-point values in
/// [`Layout`] order. It carries no account id and no text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct WisdomContribution {
    /// [`WISDOM_VERSION`] of the layout.
    pub version: u32,
    /// The niche it contributes to (never `unknown`).
    pub niche: Niche,
    /// Encoded values, [`Layout::fields`] order.
    pub values: Vec<i64>,
}

/// Which release: `(period, niche)`. Exactly one release exists per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ReleaseId {
    /// Period index (see [`ReleaseConfig::cadence_days`]).
    pub period: u32,
    /// The niche.
    pub niche: Niche,
}

/// Privacy of one field group in a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct GroupPrivacy {
    /// Group name (`"ctr_histogram"`, `"lift_sum.hook_type"`, ...).
    pub group: String,
    /// Fields in the group.
    pub fields: u32,
    /// Value bounds of each field `[lo, hi]` (before fixed-point encoding).
    pub bounds: [f64; 2],
    /// Fixed-point units per 1.0.
    pub scale: f64,
    /// Largest L1 change one account can make to the group's sums, in fixed-point units.
    pub l1_sensitivity: f64,
    /// The group's share of the release's epsilon.
    pub epsilon: f64,
    /// Discrete-Laplace parameter `t = l1_sensitivity / epsilon` (fixed-point units).
    pub noise_scale: f64,
    /// Always `"discrete_laplace"`.
    pub mechanism: String,
}

/// The privacy parameters a release was made with (published with it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct PrivacyParams {
    /// Unit of privacy: always `"account"`.
    pub unit: String,
    /// Threshold on the noisy counts.
    pub k: u32,
    /// Total epsilon of this release (Σ of the groups').
    pub epsilon: f64,
    /// Days per release period.
    pub cadence_days: u32,
    /// Periods per budget window.
    pub window_periods: u32,
    /// Epsilon budget per niche per window.
    pub budget_per_window: f64,
    /// Per group.
    pub groups: Vec<GroupPrivacy>,
}

/// A benchmark distribution of one metric across a niche's accounts on one platform (each
/// account's pooled value counts once), from a noisy histogram over fixed log-scale bins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct MetricBenchmark {
    /// Mean of the histogram (bin geometric midpoints weighted by the noisy counts, negatives
    /// clamped to 0).
    pub mean: f64,
    /// 10th percentile (geometric interpolation within a bin).
    pub p10: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
}

/// A niche's benchmarks on one platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformWisdom {
    /// The platform.
    pub platform: Platform,
    /// Noisy number of contributing accounts on it; the metrics are withheld below `k`.
    pub accounts: u64,
    /// CTR (fraction) across accounts.
    pub ctr: Option<MetricBenchmark>,
    /// Conversion rate (conversions / clicks) across accounts that track conversions.
    pub conversion_rate: Option<MetricBenchmark>,
    /// ROAS (revenue / spend) across accounts that track revenue.
    pub roas: Option<MetricBenchmark>,
}

/// The niche-wide lift of one attribute value (geometric mean over accounts of their own
/// within-account lifts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct AttributeLift {
    /// The attribute.
    pub attribute: Attribute,
    /// The value's wire name (`"question"`, `"15-30s"`, `"09-11"`).
    pub value: String,
    /// Noisy number of accounts contributing a lift for it (published only when >= k).
    pub accounts: u64,
    /// `exp(mean log-lift)`.
    pub lift: f64,
    /// 95 % interval of the lift, `exp(mean ± 1.96 · se)` with `se² = L² / n + noise variance /
    /// n²` (L² bounds the spread of clipped log-lifts, so the interval is conservative), `[lo, hi]`.
    pub lift_interval: [f64; 2],
}

/// One entry of a frequency list (the seed's `_rank_by_frequency` shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct FrequencyEntry {
    /// The value's wire name.
    pub item: String,
    /// Noisy number of accounts whose top list holds it.
    pub frequency: u64,
    /// `frequency / sample_size × 100`.
    pub percentage: f64,
}

/// One private release of a niche's wisdom (seeds/000 "NichePattern", corrected). Contains no
/// account id and no text; every number is noisy or derived from noisy numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NicheWisdom {
    /// [`WISDOM_VERSION`].
    pub version: u32,
    /// The niche.
    pub niche: Niche,
    /// The release period.
    pub period: u32,
    /// False when the noisy account count is below `k`: then everything below is empty.
    pub published: bool,
    /// Noisy number of contributing accounts ("based on N accounts"), when published.
    pub sample_size: Option<u64>,
    /// `n / (n + 20)` for the noisy count `n` (0 when unpublished): the weight a prior worth 20
    /// accounts would leave to this release; a heuristic, not a probability.
    pub confidence: f64,
    /// Per platform (those with a noisy count >= k carry metrics).
    pub platforms: Vec<PlatformWisdom>,
    /// Count-weighted mean of the platforms' CTR means (the seed's `niche_avg_ctr`).
    pub niche_avg_ctr: Option<f64>,
    /// Lifts of every attribute value with a noisy count >= k, by attribute then lift (best first).
    pub lifts: Vec<AttributeLift>,
    /// Hook types by how many accounts have them in their top list (noisy, >= k only).
    pub top_hook_types: Vec<FrequencyEntry>,
    /// The duration bucket most often in accounts' top lists.
    pub optimal_duration: Option<DurationRange>,
    /// Start hours of the (up to 3) 3-hour posting buckets most often in top lists.
    pub peak_hours: Vec<u8>,
    /// CTA styles by top-list frequency.
    pub proven_cta_styles: Vec<FrequencyEntry>,
    /// Visual tags by top-list frequency.
    pub winning_visual_patterns: Vec<FrequencyEntry>,
    /// How it was made (for a record made by [`combine_releases`]: how the regular release was
    /// made; the benchmarks' parameters are in the [`DistributionWisdom`] of
    /// `distribution_period`).
    pub privacy: PrivacyParams,
    /// When `platforms` and `niche_avg_ctr` come from a separate distribution release
    /// ([`combine_releases`]): that release's period (in its own cadence,
    /// [`DistributionConfig::cadence_days`]). Absent in a release that carries its own
    /// benchmarks (every release made without [`ReleaseConfig::distributions`], and every
    /// release stored before it existed, which therefore still parses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_period: Option<u32>,
    /// With `distribution_period`: how that distribution release was made (its groups, their
    /// epsilons and noise scales, `k`), so a reader can tell the gates the benchmarks passed
    /// (e.g. its platform gate, which differs from the regular release's). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_privacy: Option<PrivacyParams>,
}

impl NicheWisdom {
    /// The CTR benchmark (median across accounts) of `platform`, when published.
    pub fn ctr_prior(&self, platform: Platform) -> Option<f64> {
        self.platforms
            .iter()
            .find(|p| p.platform == platform)
            .and_then(|p| p.ctr)
            .map(|b| b.p50)
    }
}

/// The latest release of each niche, for lookups ([`WisdomBook::ctr_prior`] is what the CTR
/// model's niche priors read).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct WisdomBook {
    /// Releases, at most one per niche (the latest period wins on insert).
    pub releases: Vec<NicheWisdom>,
}

impl WisdomBook {
    /// Add a release, replacing an older period's release of the same niche.
    pub fn insert(&mut self, w: NicheWisdom) {
        match self.releases.iter_mut().find(|r| r.niche == w.niche) {
            Some(r) if r.period <= w.period => *r = w,
            Some(_) => {}
            None => self.releases.push(w),
        }
    }

    /// The release of `niche`, if any.
    pub fn get(&self, niche: Niche) -> Option<&NicheWisdom> {
        self.releases.iter().find(|r| r.niche == niche)
    }

    /// The published median CTR of `(niche, platform)`, if any.
    pub fn ctr_prior(&self, niche: Niche, platform: Platform) -> Option<f64> {
        self.get(niche).and_then(|w| w.ctr_prior(platform))
    }
}

/// Published niche wisdom is the pre-launch CTR model's source of niche priors.
impl crate::model::NichePriors for WisdomBook {
    fn ctr_prior(&self, niche: Niche, platform: Platform) -> Option<f64> {
        WisdomBook::ctr_prior(self, niche, platform)
    }
}

/// The period a day (days since 1970-01-01) falls in.
pub fn period_of_day(day: i64, cadence_days: u32) -> u32 {
    day.div_euclid(i64::from(cadence_days.max(1)))
        .clamp(0, i64::from(u32::MAX)) as u32
}

/// An empty aggregate of the current layout (convenience for stores).
pub fn empty_aggregate() -> Aggregate {
    Aggregate::new(Layout::field_count())
}
