//! The distribution release: a niche's CTR / conversion-rate / ROAS distributions (the
//! benchmarks) on their own, slower cadence and epsilon ([`DistributionConfig`]).
//!
//! In format 1 every regular release spends 45 % of its epsilon (at the default split) on three
//! histogram groups whose content, how a niche's accounts' rates are spread, changes slowly.
//! With [`ReleaseConfig::distributions`] set:
//!
//! - the **regular release** ([`super::release_wisdom`]) publishes no histograms and draws no
//!   noise for them; `split`'s three histogram shares must be 0 (a named validation error
//!   otherwise), so its `epsilon` is exactly what it spends, on the count, the platform counts,
//!   the lifts and the top lists;
//! - the **distribution release** ([`release_distributions`]) publishes the niche count, the
//!   per-platform counts and the three histograms, with the same `k`, contribution bounds,
//!   gates and denoising as the regular release, at [`DistributionConfig::epsilon`] split as
//!   [`DistributionConfig::split`] says, once per distribution period
//!   ([`DistributionId`], period = day ÷ [`DistributionConfig::cadence_days`]);
//! - readers get the usual [`NicheWisdom`] from [`combine_releases`] (post-processing of two
//!   releases, no privacy cost), with [`NicheWisdom::distribution_period`] saying which
//!   distribution release its benchmarks came from;
//! - an account's pure-epsilon loss over any 365 days is [`yearly_pure_epsilon`].
//!
//! Both releases read the same contribution (one per account and period); each draws a number
//! of noise values fixed by the configuration, never by the data.

use super::layout::Layout;
use super::release::{niche_gate, noisy_aggregate, platform_benchmarks, privacy_params};
use super::{
    DistributionConfig, NicheWisdom, PlatformWisdom, PrivacyParams, ReleaseConfig, WISDOM_VERSION,
};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::privacy::aggregate::Aggregate;
use serde::{Deserialize, Serialize};

/// Days in the window of [`yearly_pure_epsilon`].
pub const YEAR_DAYS: u32 = 365;

/// Which distribution release: `(period, niche)`, the period counted in
/// [`DistributionConfig::cadence_days`]. Exactly one distribution release exists per id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct DistributionId {
    /// Distribution period index (day ÷ [`DistributionConfig::cadence_days`]).
    pub period: u32,
    /// The niche.
    pub niche: Niche,
}

/// One private release of a niche's distributions: the benchmarks of [`NicheWisdom`] on their
/// own cadence. Contains no account id and no text; every number is noisy or derived from noisy
/// numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct DistributionWisdom {
    /// [`WISDOM_VERSION`].
    pub version: u32,
    /// The niche.
    pub niche: Niche,
    /// The distribution period.
    pub period: u32,
    /// False when its noisy account count is below the niche gate: then everything below is
    /// empty.
    pub published: bool,
    /// Its noisy number of contributing accounts, when published.
    pub sample_size: Option<u64>,
    /// Per platform (those with a noisy count at the platform gate), with their benchmarks.
    pub platforms: Vec<PlatformWisdom>,
    /// Count-weighted mean of the platforms' CTR means.
    pub niche_avg_ctr: Option<f64>,
    /// How it was made: its groups (count, platform counts, histograms) with their epsilons;
    /// `cadence_days` is the distribution cadence, `window_periods` 1 and `budget_per_window` its
    /// epsilon (one release per distribution period).
    pub privacy: PrivacyParams,
}

/// Release one niche's distributions from its exact aggregate (the same aggregate the regular
/// release reads). Pure, like [`super::release_wisdom`]: it neither checks nor charges a budget;
/// it draws the same number of random values whatever the data (the count, the 3 platform
/// counts and every histogram bin: [`noisy_aggregate`] over [`Layout::distribution`]). Errors
/// name the field: `distributions` when the config has no such section, `id.niche` for the
/// unknown niche, `aggregate.*` for a malformed aggregate, and any invalid config field.
pub fn release_distributions<R: rand_core::Rng + ?Sized>(
    aggregate: &Aggregate,
    id: DistributionId,
    config: &ReleaseConfig,
    rng: &mut R,
) -> Result<DistributionWisdom> {
    if id.niche == Niche::Unknown {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "id.niche",
            "no distributions are released for the unknown niche",
        ));
    }
    super::release::check_aggregate(aggregate)?;
    let layout = Layout::distribution(config)?;
    let Some(d) = config.distributions else {
        // Layout::distribution already refused this; kept panic-free.
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "distributions",
            "not configured",
        ));
    };
    let noisy = noisy_aggregate(&layout, aggregate, rng);
    let mut privacy = privacy_params(&layout, config);
    privacy.cadence_days = d.cadence_days;
    privacy.window_periods = 1;
    privacy.budget_per_window = d.epsilon;
    let mut w = DistributionWisdom {
        version: WISDOM_VERSION,
        niche: id.niche,
        period: id.period,
        published: false,
        sample_size: None,
        platforms: Vec::new(),
        niche_avg_ctr: None,
        privacy,
    };
    if (noisy.accounts as f64) < niche_gate(&layout, config) {
        return Ok(w);
    }
    w.published = true;
    w.sample_size = Some(noisy.accounts as u64);
    (w.platforms, w.niche_avg_ctr) = platform_benchmarks(&layout, config, &noisy);
    Ok(w)
}

/// The [`NicheWisdom`] readers use, from the latest regular release of a niche and its latest
/// distribution release (post-processing: no privacy cost, no randomness).
///
/// Everything comes from `regular` except `platforms` and `niche_avg_ctr`, which come from
/// `distributions` when it is published (then [`NicheWisdom::distribution_period`] is its
/// period); when it is not, the regular release's platforms (counts, no benchmarks) are kept
/// and `distribution_period` stays absent. An unpublished regular release comes back unchanged
/// (nothing is published for the niche). `privacy` stays the regular release's.
///
/// Errors (named): the two releases are of different niches (`distributions.niche`) or
/// versions (`distributions.version`), or `regular` already carries benchmarks of its own
/// (`regular.platforms`: it was made without [`ReleaseConfig::distributions`], and two sets of
/// benchmarks would be mixed).
pub fn combine_releases(
    regular: &NicheWisdom,
    distributions: &DistributionWisdom,
) -> Result<NicheWisdom> {
    if distributions.niche != regular.niche {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "distributions.niche",
            format!(
                "{} is not the regular release's niche {}",
                distributions.niche.as_str(),
                regular.niche.as_str()
            ),
        ));
    }
    if distributions.version != regular.version {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "distributions.version",
            format!(
                "{} is not the regular release's version {}",
                distributions.version, regular.version
            ),
        ));
    }
    if regular
        .platforms
        .iter()
        .any(|p| p.ctr.is_some() || p.conversion_rate.is_some() || p.roas.is_some())
    {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "regular.platforms",
            "the regular release carries its own benchmarks (made without `distributions`)",
        ));
    }
    let mut w = regular.clone();
    if !regular.published || !distributions.published {
        return Ok(w);
    }
    w.platforms = distributions.platforms.clone();
    w.niche_avg_ctr = distributions.niche_avg_ctr;
    w.distribution_period = Some(distributions.period);
    w.distribution_privacy = Some(distributions.privacy.clone());
    Ok(w)
}

/// The most periods of `cadence_days` days that can intersect a window of `window_days`
/// consecutive days: `⌈(window_days − 1) / cadence_days⌉ + 1` (a window starting on a period's
/// last day). An account is in one niche per period and a niche has at most one release per
/// period, so this bounds the releases of its data in the window wherever in its period each
/// release is made. 0 for an empty window; `cadence_days` 0 is read as 1.
pub fn periods_intersecting(cadence_days: u32, window_days: u32) -> u32 {
    if window_days == 0 {
        return 0;
    }
    (window_days - 1).div_ceil(cadence_days.max(1)) + 1
}

/// An account's pure-epsilon loss over any 365 days ([`YEAR_DAYS`]) from format-1 releases of
/// `config` (basic composition): [`periods_intersecting`] regular periods at `epsilon`, plus,
/// when [`ReleaseConfig::distributions`] is set, its periods at its epsilon. Niches are
/// disjoint and an account is in one niche per period, so a release of another niche costs it
/// nothing.
///
/// This counts every period that can touch the window (14 monthly periods of 30 days), so it
/// does not depend on when in its period a release is made; the "13 releases" of
/// docs/privacy.md ("An account's total loss") count period starts (releases made at a fixed
/// point of each period). Production's format 1 (ε 0.45 per 30 days) is 6.3 here, 5.85 there.
pub fn yearly_pure_epsilon(config: &ReleaseConfig) -> f64 {
    let regular = f64::from(periods_intersecting(config.cadence_days, YEAR_DAYS)) * config.epsilon;
    let distributions = config.distributions.map_or(0.0, |d: DistributionConfig| {
        f64::from(periods_intersecting(d.cadence_days, YEAR_DAYS)) * d.epsilon
    });
    regular + distributions
}
