//! The cross-learning dashboard (seeds/000 "Cross-Learning Dashboard", corrected): an account
//! against its niche's release, and network stats from the releases themselves.
//!
//! The original crashes (SEED-SPEC §3.9) on accounts without data and quotes hard-coded network
//! totals ("150 accounts", "10x"). Here every path is total: no account insight, an insight with
//! no impressions, no release or an unpublished one all give a dashboard whose missing numbers
//! are `None` (never NaN) with a `note`.
//!
//! **Comparisons** (one row per metric and platform the account runs on, plus an `overall` row
//! per metric):
//! - CTR per platform: the account's pooled CTR on the platform vs the niche's mean on it.
//!   Significance needs the account's impressions on that platform; the insight has them only in
//!   total, so the per-platform test is made when the account ran on that one platform only
//!   (`significant: None` otherwise).
//! - `overall` rows (CTR, conversion rate, ROAS): the account's pooled value vs the mean of the
//!   niche's platform means over the account's platforms, weighted by the release's noisy
//!   account counts.
//! - Test for CTR: `z = (clicks − n·b) / sqrt(φ · n · b (1 − b))` with `n` impressions, `b` the
//!   niche mean, `φ` the account's over-dispersion; for conversion rate the same with clicks as
//!   trials. `significant = |z| ≥ z_critical`. ROAS has no variance in the insight: not tested.
//! - `performance`: `above` / `below` when significant in that direction (or, untested, when the
//!   difference exceeds `similar_band` relative), else `similar`; `unknown` without both values.
//! - **Percentile** of the account's value among the niche's accounts, from the release's
//!   quantiles (p10, p25, p50, p75, p90): linear interpolation in `ln(value)` between the two
//!   neighbouring quantiles; outside [p10, p90] extrapolated with the slope of the nearest
//!   segment and clamped to [1, 99]. Noisy, coarse (histogram bins): a guide, not a rank.
//!
//! **Improvement opportunities**: each metric that is `below` gets the top recommendations that
//! apply to it ([`super::recommend`]; CTR: hook, visual, CTA, posting hour, duration; conversion
//! rate and ROAS: CTA), plus the strong recommendations the account has not tried.
//!
//! **Network stats** come from the releases passed in (one per niche, e.g. a
//! [`WisdomBook`](crate::wisdom::WisdomBook)'s): published niches, their noisy account counts and
//! their sum, the mean confidence. Nothing is hard-coded.

use super::recommend::{recommend, AccountFit, RecommendOptions, Recommendation, Strength};
use crate::error::{Error, ErrorCode, Result};
use crate::insights::{AccountInsight, Attribute};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::wisdom::{MetricBenchmark, NicheWisdom};
use serde::{Deserialize, Serialize};

/// Dashboard settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct DashboardOptions {
    /// Two-sided critical z of the tests (default 1.96).
    #[cfg_attr(feature = "wasm-lite", tsify(optional))]
    pub z_critical: f64,
    /// Relative difference under which an untested comparison is `similar` (default 0.05).
    #[cfg_attr(feature = "wasm-lite", tsify(optional))]
    pub similar_band: f64,
    /// Recommendation settings for the opportunities.
    #[cfg_attr(feature = "wasm-lite", tsify(optional))]
    pub recommend: RecommendOptions,
}

impl Default for DashboardOptions {
    fn default() -> Self {
        DashboardOptions {
            z_critical: 1.96,
            similar_band: 0.05,
            recommend: RecommendOptions::default(),
        }
    }
}

/// Which metric a comparison is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Metric {
    /// Clicks / impressions.
    Ctr,
    /// Conversions / clicks.
    ConversionRate,
    /// Revenue / spend.
    Roas,
}

/// Account vs niche on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Performance {
    /// Above the niche.
    Above,
    /// Not distinguishable from the niche.
    Similar,
    /// Below the niche.
    Below,
    /// A value is missing.
    Unknown,
}

/// One comparison row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Comparison {
    /// The metric.
    pub metric: Metric,
    /// The platform, `None` for the overall row.
    pub platform: Option<Platform>,
    /// The account's pooled value.
    pub account: Option<f64>,
    /// The niche's mean (released, noisy).
    pub niche_avg: Option<f64>,
    /// The niche's median, when one platform's benchmark is used.
    pub niche_median: Option<f64>,
    /// `(account / niche_avg − 1) · 100`.
    pub difference_pct: Option<f64>,
    /// The test's z, when tested.
    pub z: Option<f64>,
    /// `|z| ≥ z_critical`, when tested.
    pub significant: Option<bool>,
    /// Above / similar / below / unknown.
    pub performance: Performance,
    /// The account's percentile among the niche's accounts (interpolated; see the module docs).
    pub percentile: Option<f64>,
}

/// An improvement opportunity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Opportunity {
    /// `"CTR"`, `"Conversion Rate"`, `"ROAS"`, or `"Untried patterns"`.
    pub area: String,
    /// What is wrong, with the numbers.
    pub issue: String,
    /// What to do, from the recommendations.
    pub recommendation: String,
    /// The recommendations behind it (with their evidence).
    pub evidence: Vec<Recommendation>,
}

/// Network stats from the releases given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NetworkStats {
    /// Releases given (niches with a release).
    pub releases: u32,
    /// Of those, published (noisy count ≥ k).
    pub published_niches: u32,
    /// Σ of the published releases' noisy account counts (noisy; an account counts in one niche).
    pub contributing_accounts: u64,
    /// `contributing_accounts / published_niches`, when any is published.
    pub avg_accounts_per_niche: Option<f64>,
    /// Mean `confidence` of the published releases (a heuristic of the releases' size).
    pub wisdom_quality: Option<f64>,
    /// Always true: counts are noisy (differential privacy), never exact totals.
    pub counts_are_noisy: bool,
}

/// The account's niche block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NicheBlock {
    /// The niche.
    pub category: Niche,
    /// Share of the account's records declaring it, when an insight was given.
    pub confidence: Option<f64>,
    /// Noisy count of accounts behind the niche's release, when published.
    pub contributing_accounts: Option<u64>,
    /// The release id, when a release was given.
    pub release_id: Option<String>,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Dashboard {
    /// The account, when an insight was given.
    pub account_id: Option<String>,
    /// Its niche.
    pub niche: NicheBlock,
    /// Account vs niche.
    pub performance_comparison: Vec<Comparison>,
    /// What to improve.
    pub improvement_opportunities: Vec<Opportunity>,
    /// From the releases given.
    pub network_stats: NetworkStats,
    /// Why parts are empty, when they are.
    pub notes: Vec<String>,
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// The percentile of `v` in a released distribution (see the module docs); `None` for a
/// non-positive value or unusable quantiles.
pub fn percentile(b: &MetricBenchmark, v: f64) -> Option<f64> {
    let knots = [
        (b.p10, 10.0),
        (b.p25, 25.0),
        (b.p50, 50.0),
        (b.p75, 75.0),
        (b.p90, 90.0),
    ];
    if !(v > 0.0 && v.is_finite()) || knots.iter().any(|(q, _)| !(*q > 0.0 && q.is_finite())) {
        return None;
    }
    let x = v.ln();
    let lx: Vec<(f64, f64)> = knots.iter().map(|(q, p)| (q.ln(), *p)).collect();
    // The segment to interpolate on: the one holding x, else the nearest end segment; segments
    // of zero width (equal quantiles) are skipped.
    let segs: Vec<((f64, f64), (f64, f64))> = lx
        .windows(2)
        .map(|w| (w[0], w[1]))
        .filter(|(a, b)| b.0 > a.0)
        .collect();
    let (first, last) = (segs.first()?, segs.last()?);
    let seg = if x < first.0 .0 {
        first
    } else if x > last.1 .0 {
        last
    } else {
        segs.iter()
            .find(|(a, b)| x >= a.0 && x <= b.0)
            .unwrap_or(last)
    };
    let ((x0, p0), (x1, p1)) = *seg;
    let p = p0 + (x - x0) / (x1 - x0) * (p1 - p0);
    Some(p.clamp(1.0, 99.0))
}

struct Test {
    z: Option<f64>,
    significant: Option<bool>,
}

fn binomial_test(successes: f64, trials: f64, b: f64, phi: f64, z_crit: f64) -> Test {
    let var = phi.max(1.0) * trials * b * (1.0 - b);
    if !(trials > 0.0 && b > 0.0 && b < 1.0 && var > 0.0 && var.is_finite()) {
        return Test {
            z: None,
            significant: None,
        };
    }
    let z = (successes - trials * b) / var.sqrt();
    Test {
        z: Some(z),
        significant: Some(z.abs() >= z_crit),
    }
}

fn compare(
    metric: Metric,
    platform: Option<Platform>,
    account: Option<f64>,
    niche: Option<(f64, Option<&MetricBenchmark>)>,
    test: Test,
    band: f64,
) -> Comparison {
    let account = finite(account);
    let niche_avg = niche.map(|n| n.0).filter(|x| x.is_finite() && *x > 0.0);
    let difference_pct = match (account, niche_avg) {
        (Some(a), Some(n)) => Some((a / n - 1.0) * 100.0),
        _ => None,
    };
    let performance = match (difference_pct, test.significant) {
        (None, _) => Performance::Unknown,
        (Some(d), Some(true)) if d > 0.0 => Performance::Above,
        (Some(d), Some(true)) if d < 0.0 => Performance::Below,
        (Some(_), Some(_)) => Performance::Similar,
        (Some(d), None) if d > 100.0 * band => Performance::Above,
        (Some(d), None) if d < -100.0 * band => Performance::Below,
        (Some(_), None) => Performance::Similar,
    };
    let bench = niche.and_then(|n| n.1);
    Comparison {
        metric,
        platform,
        account,
        niche_avg,
        niche_median: bench.map(|b| b.p50).filter(|x| x.is_finite()),
        difference_pct,
        z: test.z.filter(|z| z.is_finite()),
        significant: test.significant,
        performance,
        percentile: match (bench, account) {
            (Some(b), Some(a)) => percentile(b, a),
            _ => None,
        },
    }
}

fn benchmark(w: &NicheWisdom, p: Platform, metric: Metric) -> Option<(u64, &MetricBenchmark)> {
    let pw = w.platforms.iter().find(|x| x.platform == p)?;
    let b = match metric {
        Metric::Ctr => pw.ctr.as_ref(),
        Metric::ConversionRate => pw.conversion_rate.as_ref(),
        Metric::Roas => pw.roas.as_ref(),
    }?;
    (b.mean.is_finite() && b.mean > 0.0).then_some((pw.accounts, b))
}

/// Count-weighted mean of the niche's platform means over `platforms` (one benchmark when only
/// one platform has one).
fn mixed<'a>(
    w: &'a NicheWisdom,
    platforms: &[Platform],
    metric: Metric,
) -> Option<(f64, Option<&'a MetricBenchmark>)> {
    let found: Vec<(u64, &MetricBenchmark)> = platforms
        .iter()
        .filter_map(|p| benchmark(w, *p, metric))
        .collect();
    let n: f64 = found.iter().map(|(c, _)| (*c).max(1) as f64).sum();
    if found.is_empty() || n <= 0.0 {
        return None;
    }
    let mean = found
        .iter()
        .map(|(c, b)| (*c).max(1) as f64 * b.mean)
        .sum::<f64>()
        / n;
    Some((mean, (found.len() == 1).then(|| found[0].1)))
}

fn network_stats(network: &[NicheWisdom]) -> NetworkStats {
    let published: Vec<&NicheWisdom> = network.iter().filter(|w| w.published).collect();
    let contributing: u64 = published.iter().filter_map(|w| w.sample_size).sum();
    let n = published.len() as u32;
    NetworkStats {
        releases: network.len() as u32,
        published_niches: n,
        contributing_accounts: contributing,
        avg_accounts_per_niche: (n > 0).then(|| contributing as f64 / f64::from(n)),
        wisdom_quality: (n > 0).then(|| {
            published
                .iter()
                .map(|w| w.confidence)
                .filter(|c| c.is_finite())
                .sum::<f64>()
                / f64::from(n)
        }),
        counts_are_noisy: true,
    }
}

/// Build the dashboard. Every argument may be missing: `wisdom` is the account's niche release
/// (`None` when the niche has none), `insight` the account's insight (`None` for a brand-new
/// account), `network` the latest release of every niche (may be empty).
///
/// Errors: `wisdom.niche` when the release is of another niche than the insight;
/// `options.z_critical` / `options.similar_band` when not finite and positive / non-negative.
pub fn dashboard(
    wisdom: Option<&NicheWisdom>,
    insight: Option<&AccountInsight>,
    network: &[NicheWisdom],
    options: &DashboardOptions,
) -> Result<Dashboard> {
    if !(options.z_critical.is_finite() && options.z_critical > 0.0) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "options.z_critical",
            format!("must be finite and > 0, got {}", options.z_critical),
        ));
    }
    if !(options.similar_band.is_finite() && options.similar_band >= 0.0) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "options.similar_band",
            format!("must be finite and >= 0, got {}", options.similar_band),
        ));
    }
    if let (Some(w), Some(i)) = (wisdom, insight) {
        if w.niche != i.niche {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "wisdom.niche",
                format!(
                    "the release is for {} but the account is in {}",
                    w.niche.as_str(),
                    i.niche.as_str()
                ),
            ));
        }
    }
    let niche = insight
        .map(|i| i.niche)
        .or(wisdom.map(|w| w.niche))
        .unwrap_or(Niche::Unknown);
    let mut notes = Vec::new();
    let published = wisdom.filter(|w| w.published);
    match (wisdom, published) {
        (None, _) => notes.push(format!("No release for niche {}.", niche.as_str())),
        (Some(w), None) => notes.push(format!(
            "The {} release of period {} is not published (fewer than k = {} accounts).",
            w.niche.as_str(),
            w.period,
            w.privacy.k
        )),
        _ => {}
    }
    match insight {
        None => notes.push("No account data yet: a new account (comparisons need data).".into()),
        Some(i) if i.impressions == 0 => {
            notes.push("The account has no impressions yet: nothing to compare.".into())
        }
        _ => {}
    }
    let mut rows = Vec::new();
    if let Some(i) = insight {
        let band = options.similar_band;
        let zc = options.z_critical;
        let phi = if i.dispersion.is_finite() {
            i.dispersion
        } else {
            1.0
        };
        let known: Vec<Platform> = i
            .platforms
            .iter()
            .copied()
            .filter(|p| *p != Platform::Unknown)
            .collect();
        for p in &known {
            let account = i.platform_ctr.get(p.index()).copied().flatten();
            let niche_b = published.and_then(|w| benchmark(w, *p, Metric::Ctr));
            let test = match (niche_b, i.platforms.len() == 1) {
                (Some((_, b)), true) => {
                    binomial_test(i.clicks as f64, i.impressions as f64, b.mean, phi, zc)
                }
                _ => Test {
                    z: None,
                    significant: None,
                },
            };
            rows.push(compare(
                Metric::Ctr,
                Some(*p),
                account,
                niche_b.map(|(_, b)| (b.mean, Some(b))),
                test,
                band,
            ));
        }
        for metric in [Metric::Ctr, Metric::ConversionRate, Metric::Roas] {
            let niche_m = published.and_then(|w| mixed(w, &known, metric));
            let (account, test) = match metric {
                Metric::Ctr => (
                    i.avg_ctr,
                    niche_m.map_or(
                        Test {
                            z: None,
                            significant: None,
                        },
                        |(b, _)| binomial_test(i.clicks as f64, i.impressions as f64, b, phi, zc),
                    ),
                ),
                Metric::ConversionRate => (
                    i.avg_conversion_rate,
                    match (niche_m, i.conversions) {
                        (Some((b, _)), Some(c)) => {
                            binomial_test(c as f64, i.clicks as f64, b, phi, zc)
                        }
                        _ => Test {
                            z: None,
                            significant: None,
                        },
                    },
                ),
                Metric::Roas => (
                    i.avg_roas,
                    Test {
                        z: None,
                        significant: None,
                    },
                ),
            };
            rows.push(compare(metric, None, account, niche_m, test, band));
        }
    }
    let recs = match published {
        Some(w) => Some(recommend(w, insight, &options.recommend)?),
        None => None,
    };
    let improvement_opportunities = opportunities(&rows, recs.as_ref().map(|r| &r.items[..]));
    Ok(Dashboard {
        account_id: insight.map(|i| i.account_id.clone()),
        niche: NicheBlock {
            category: niche,
            confidence: insight
                .map(|i| i.niche_confidence)
                .filter(|c| c.is_finite()),
            contributing_accounts: published.and_then(|w| w.sample_size),
            release_id: wisdom.map(super::recommend::release_id),
        },
        performance_comparison: rows,
        improvement_opportunities,
        network_stats: network_stats(network),
        notes,
    })
}

fn opportunities(rows: &[Comparison], recs: Option<&[Recommendation]>) -> Vec<Opportunity> {
    let recs = recs.unwrap_or(&[]);
    let mut out = Vec::new();
    let pick = |attrs: &[Attribute]| -> Vec<Recommendation> {
        recs.iter()
            .filter(|r| attrs.contains(&r.attribute))
            .filter(|r| !matches!(r.account, AccountFit::AlreadyWorks { .. }))
            .take(3)
            .cloned()
            .collect()
    };
    for row in rows.iter().filter(|r| r.platform.is_none()) {
        let Some(d) = row
            .difference_pct
            .filter(|_| row.performance == Performance::Below)
        else {
            continue;
        };
        let (area, attrs): (&str, &[Attribute]) = match row.metric {
            Metric::Ctr => (
                "CTR",
                &[
                    Attribute::HookType,
                    Attribute::VisualTag,
                    Attribute::CtaStyle,
                    Attribute::PostingHour,
                    Attribute::Duration,
                ],
            ),
            Metric::ConversionRate => ("Conversion Rate", &[Attribute::CtaStyle]),
            Metric::Roas => ("ROAS", &[Attribute::CtaStyle]),
        };
        let evidence = pick(attrs);
        let recommendation = if evidence.is_empty() {
            "No released pattern addresses it yet.".to_string()
        } else {
            evidence
                .iter()
                .map(|r| r.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        out.push(Opportunity {
            area: area.into(),
            issue: format!("{area} is {:.0} % below the niche average", -d),
            recommendation,
            evidence,
        });
    }
    let untried: Vec<Recommendation> = recs
        .iter()
        .filter(|r| r.strength == Strength::Strong)
        .filter(|r| matches!(r.account, AccountFit::NotTried | AccountFit::Unknown))
        .take(3)
        .cloned()
        .collect();
    if !untried.is_empty() {
        out.push(Opportunity {
            area: "Untried patterns".into(),
            issue: format!(
                "{} pattern(s) with strong niche evidence are not in your creatives yet",
                untried.len()
            ),
            recommendation: untried
                .iter()
                .map(|r| r.pattern.clone())
                .collect::<Vec<_>>()
                .join(", "),
            evidence: untried,
        });
    }
    out
}
