//! Apply a niche's private wisdom release to one account (seeds/000 "Apply Niche Wisdom",
//! corrected): every recommendation cites the released pattern and its evidence.
//!
//! **Rules.**
//! - Only published attribute lifts are used, and only those whose noisy account count reaches the
//!   release's `k` (the release already withholds the others; the check is repeated here so a
//!   hand-made or tampered release cannot slip a small cell through).
//! - A value is recommended when its released lift is above 1. It is **strong** when the whole
//!   95 % interval is above 1 (the interval excludes zero log-lift), otherwise **weak**; weak ones
//!   are listed only with `include_weak` and are labelled as such. A value whose lift is at most 1
//!   is never recommended.
//! - With the account's [`AccountInsight`], each recommendation says how the account already does
//!   with the value (its own pooled lift `Σ clicks / Σ expected clicks` over its records with it;
//!   posting hours are pooled over the 3-hour bucket) and is ranked: values the account has not
//!   tried or that under-perform for it come first (they are the opportunity), values that already
//!   work for it are kept as "keep using".
//! - Ranking within a rank: strong before weak, then the interval's lower end (the most certain
//!   gain first), then the value name (deterministic).

use crate::error::{Error, ErrorCode, Result};
use crate::insights::{AccountInsight, Attribute, AttributeStat, DurationRange};
use crate::niche::Niche;
use crate::wisdom::{AttributeLift, NicheWisdom};
use serde::{Deserialize, Serialize};

/// How recommendations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct RecommendOptions {
    /// Most recommendations per attribute (default 3).
    #[cfg_attr(feature = "wasm-lite", tsify(optional))]
    pub max_per_attribute: u32,
    /// Also list lifts above 1 whose interval includes 1, labelled `weak` (default true).
    #[cfg_attr(feature = "wasm-lite", tsify(optional))]
    pub include_weak: bool,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            max_per_attribute: 3,
            include_weak: true,
        }
    }
}

/// How strong the evidence behind a recommendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Strength {
    /// The 95 % interval of the lift is entirely above 1.
    Strong,
    /// The lift is above 1 but its interval includes 1: may be noise.
    Weak,
}

/// Where a recommendation comes from: the release and the released numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Evidence {
    /// Release id: `"<niche>/<period>"`.
    pub release_id: String,
    /// The niche of the release.
    pub niche: Niche,
    /// The release period.
    pub period: u32,
    /// Released niche-wide lift (geometric mean of accounts' own lifts).
    pub lift: f64,
    /// Its released 95 % interval `[lo, hi]`.
    pub lift_interval: [f64; 2],
    /// Noisy number of accounts behind the lift (the sample size).
    pub accounts: u64,
    /// The release's `k`.
    pub k: u32,
    /// The release's epsilon.
    pub epsilon: f64,
}

/// How the account itself does with the value (from its [`AccountInsight`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum AccountFit {
    /// No account insight was given (a new account).
    Unknown,
    /// The account has no ranked records with the value.
    NotTried,
    /// The account uses it and its own lift is below 1.
    Underperforms {
        /// Records with the value.
        records: u32,
        /// The account's own lift.
        lift: f64,
    },
    /// The account uses it and its own lift is at least 1.
    AlreadyWorks {
        /// Records with the value.
        records: u32,
        /// The account's own lift.
        lift: f64,
        /// Significant in the account's own insight.
        significant: bool,
    },
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Recommendation {
    /// The attribute.
    pub attribute: Attribute,
    /// The value's wire name.
    pub value: String,
    /// The pattern in words (`"hook_type = pain_point"`).
    pub pattern: String,
    /// Strong or weak evidence.
    pub strength: Strength,
    /// How the account does with it.
    pub account: AccountFit,
    /// One sentence for a person, with the numbers.
    pub message: String,
    /// The released evidence.
    pub evidence: Evidence,
}

/// The seed's `recommended_patterns` (strong recommendations only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct RecommendedPatterns {
    /// Hook types.
    pub hook_types: Vec<String>,
    /// The best duration bucket.
    pub optimal_duration: Option<DurationRange>,
    /// Start hours of the recommended 3-hour posting buckets.
    pub best_posting_hours: Vec<u8>,
    /// CTA styles.
    pub cta_styles: Vec<String>,
    /// Visual tags.
    pub visual_tags: Vec<String>,
}

/// The niche benchmarks quoted with the recommendations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NicheBenchmarks {
    /// The release's `niche_avg_ctr`.
    pub niche_avg_ctr: Option<f64>,
    /// Account-count-weighted mean of the platforms' conversion-rate means.
    pub niche_avg_conversion_rate: Option<f64>,
}

/// The result of applying a release to an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Recommendations {
    /// The niche.
    pub niche: Niche,
    /// The account, when an insight was given.
    pub account_id: Option<String>,
    /// Release id `"<niche>/<period>"`.
    pub release_id: String,
    /// Whether the release was published (else everything is empty and `note` says why).
    pub published: bool,
    /// Noisy number of accounts behind the release ("based on N accounts").
    pub based_on_accounts: Option<u64>,
    /// Recommendations, best first.
    pub items: Vec<Recommendation>,
    /// The seed's shape (strong recommendations only).
    pub recommended_patterns: RecommendedPatterns,
    /// Niche benchmarks.
    pub benchmarks: NicheBenchmarks,
    /// Why there is nothing (unpublished release, no lift above 1), when applicable.
    pub note: Option<String>,
}

/// The release id string of a release.
pub fn release_id(w: &NicheWisdom) -> String {
    format!("{}/{}", w.niche.as_str(), w.period)
}

fn pooled(stats: &[&AttributeStat]) -> Option<(u32, f64, bool)> {
    let records: u32 = stats.iter().map(|s| s.records).sum();
    let clicks: u64 = stats.iter().map(|s| s.clicks).sum();
    let expected: f64 = stats.iter().map(|s| s.expected_clicks).sum();
    if records == 0 || !(expected > 0.0 && expected.is_finite()) {
        return None;
    }
    let significant = stats.iter().any(|s| s.significant);
    Some((records, clicks as f64 / expected, significant))
}

fn account_fit(insight: Option<&AccountInsight>, attribute: Attribute, value: &str) -> AccountFit {
    let Some(insight) = insight else {
        return AccountFit::Unknown;
    };
    let stats = insight.stats(attribute);
    let matched: Vec<&AttributeStat> = if attribute == Attribute::PostingHour {
        // Wisdom buckets are "09-11"; insight values are single hours "9".
        let start = value.get(..2).and_then(|h| h.parse::<u32>().ok());
        stats
            .iter()
            .filter(|s| match (start, s.value.parse::<u32>()) {
                (Some(b), Ok(h)) => h >= b && h < b + 3,
                _ => false,
            })
            .collect()
    } else {
        stats.iter().filter(|s| s.value == value).collect()
    };
    match pooled(&matched) {
        None => AccountFit::NotTried,
        Some((records, lift, _)) if lift < 1.0 => AccountFit::Underperforms { records, lift },
        Some((records, lift, significant)) => AccountFit::AlreadyWorks {
            records,
            lift,
            significant,
        },
    }
}

fn message(r: &Recommendation) -> String {
    let e = &r.evidence;
    let gain = 100.0 * (e.lift - 1.0);
    let weak = if r.strength == Strength::Weak {
        "WEAK evidence (interval includes no gain): "
    } else {
        ""
    };
    let fit = match &r.account {
        AccountFit::Unknown => String::new(),
        AccountFit::NotTried => " You have not tried it yet.".into(),
        AccountFit::Underperforms { records, lift } => format!(
            " In your {records} records with it you got {:+.0} % vs your average.",
            100.0 * (lift - 1.0)
        ),
        AccountFit::AlreadyWorks { records, lift, .. } => format!(
            " It already works for you ({:+.0} % over {records} records): keep using it.",
            100.0 * (lift - 1.0)
        ),
    };
    format!(
        "{weak}Use {} = {}: {:+.0} % CTR vs the account's own average across {} {} accounts (95 % interval {:+.0} % to {:+.0} %; release {}).{fit}",
        r.attribute.as_str(),
        r.value,
        gain,
        e.accounts,
        e.niche.as_str(),
        100.0 * (e.lift_interval[0] - 1.0),
        100.0 * (e.lift_interval[1] - 1.0),
        e.release_id,
    )
}

fn rank(a: &AccountFit) -> u8 {
    match a {
        AccountFit::NotTried | AccountFit::Underperforms { .. } | AccountFit::Unknown => 0,
        AccountFit::AlreadyWorks { .. } => 1,
    }
}

fn usable(l: &AttributeLift, k: u32) -> Option<Strength> {
    let [lo, hi] = l.lift_interval;
    if l.accounts < u64::from(k) || !(l.lift.is_finite() && lo.is_finite() && hi.is_finite()) {
        return None;
    }
    if l.lift <= 1.0 {
        return None;
    }
    Some(if lo > 1.0 {
        Strength::Strong
    } else {
        Strength::Weak
    })
}

/// Apply `wisdom` to an account: `insight` is the account's own insight when it has data (a new
/// account passes `None`).
///
/// Errors: `insight.niche` when the insight is of another niche than the release.
pub fn recommend(
    wisdom: &NicheWisdom,
    insight: Option<&AccountInsight>,
    options: &RecommendOptions,
) -> Result<Recommendations> {
    if let Some(i) = insight {
        if i.niche != wisdom.niche {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "insight.niche",
                format!(
                    "the account is in niche {} but the release is for {}",
                    i.niche.as_str(),
                    wisdom.niche.as_str()
                ),
            ));
        }
    }
    let rid = release_id(wisdom);
    let k = wisdom.privacy.k;
    let mut out = Recommendations {
        niche: wisdom.niche,
        account_id: insight.map(|i| i.account_id.clone()),
        release_id: rid.clone(),
        published: wisdom.published,
        based_on_accounts: wisdom.sample_size.filter(|_| wisdom.published),
        items: Vec::new(),
        recommended_patterns: RecommendedPatterns::default(),
        benchmarks: NicheBenchmarks::default(),
        note: None,
    };
    if !wisdom.published {
        out.note = Some(format!(
            "No wisdom for {} in period {}: fewer than k = {k} contributing accounts (noisy count).",
            wisdom.niche.as_str(),
            wisdom.period
        ));
        return Ok(out);
    }
    out.benchmarks = NicheBenchmarks {
        niche_avg_ctr: wisdom.niche_avg_ctr.filter(|v| v.is_finite()),
        niche_avg_conversion_rate: weighted_cvr(wisdom),
    };
    for attribute in Attribute::ALL {
        let mut items: Vec<Recommendation> = wisdom
            .lifts
            .iter()
            .filter(|l| l.attribute == attribute)
            .filter_map(|l| {
                let strength = usable(l, k)?;
                if strength == Strength::Weak && !options.include_weak {
                    return None;
                }
                let mut r = Recommendation {
                    attribute,
                    value: l.value.clone(),
                    pattern: format!("{} = {}", attribute.as_str(), l.value),
                    strength,
                    account: account_fit(insight, attribute, &l.value),
                    message: String::new(),
                    evidence: Evidence {
                        release_id: rid.clone(),
                        niche: wisdom.niche,
                        period: wisdom.period,
                        lift: l.lift,
                        lift_interval: l.lift_interval,
                        accounts: l.accounts,
                        k,
                        epsilon: wisdom.privacy.epsilon,
                    },
                };
                r.message = message(&r);
                Some(r)
            })
            .collect();
        items.sort_by(|a, b| {
            (rank(&a.account), a.strength)
                .cmp(&(rank(&b.account), b.strength))
                .then(b.evidence.lift_interval[0].total_cmp(&a.evidence.lift_interval[0]))
                .then(a.value.cmp(&b.value))
        });
        items.truncate(options.max_per_attribute as usize);
        out.items.extend(items);
    }
    out.items.sort_by(|a, b| {
        (rank(&a.account), a.strength)
            .cmp(&(rank(&b.account), b.strength))
            .then(b.evidence.lift_interval[0].total_cmp(&a.evidence.lift_interval[0]))
            .then(a.attribute.cmp(&b.attribute))
            .then(a.value.cmp(&b.value))
    });
    out.recommended_patterns = patterns(&out.items);
    if out.items.is_empty() {
        out.note = Some(format!(
            "The {} release has no attribute value with a lift above 1 in at least k = {k} accounts.",
            wisdom.niche.as_str()
        ));
    }
    Ok(out)
}

fn weighted_cvr(w: &NicheWisdom) -> Option<f64> {
    let (mut s, mut n) = (0.0, 0.0);
    for p in &w.platforms {
        if let Some(b) = p.conversion_rate {
            if b.mean.is_finite() && p.accounts > 0 {
                s += b.mean * p.accounts as f64;
                n += p.accounts as f64;
            }
        }
    }
    (n > 0.0).then(|| s / n)
}

fn patterns(items: &[Recommendation]) -> RecommendedPatterns {
    let mut by_lift: Vec<&Recommendation> = items
        .iter()
        .filter(|r| r.strength == Strength::Strong)
        .collect();
    by_lift.sort_by(|a, b| b.evidence.lift.total_cmp(&a.evidence.lift));
    let values = |a: Attribute| -> Vec<String> {
        by_lift
            .iter()
            .filter(|r| r.attribute == a)
            .map(|r| r.value.clone())
            .collect()
    };
    let optimal_duration = by_lift
        .iter()
        .find(|r| r.attribute == Attribute::Duration)
        .and_then(|r| {
            (0..crate::insights::DURATION_BUCKETS.len())
                .find(|i| crate::insights::duration_bucket_label(*i).as_deref() == Some(&r.value))
        })
        .map(|i| {
            let (lo, hi) = crate::insights::DURATION_BUCKETS[i];
            DurationRange {
                min_s: lo,
                max_s: hi,
            }
        });
    RecommendedPatterns {
        hook_types: values(Attribute::HookType),
        optimal_duration,
        best_posting_hours: values(Attribute::PostingHour)
            .iter()
            .filter_map(|v| v.get(..2).and_then(|h| h.parse().ok()))
            .collect(),
        cta_styles: values(Attribute::CtaStyle),
        visual_tags: values(Attribute::VisualTag),
    }
}
