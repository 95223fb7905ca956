//! The fixed field layout of a [`WisdomContribution`](super::WisdomContribution), its bounds and
//! sensitivities, and the epsilon each field group gets.
//!
//! One contribution is a flat vector of fixed-point integers, grouped:
//!
//! | group | fields | one account's values | L1 sensitivity (fixed point) |
//! |---|---|---|---|
//! | `count` (the aggregate's account count, not a field) | 1 | 1 | 1 |
//! | `platform_count` | 3 platforms | 1 per platform it ran on (≤ P) | P |
//! | `ctr_histogram` | 3 × 18 bins | one-hot bin of its pooled CTR, per platform | P |
//! | `cvr_histogram` | 3 × 20 bins | one-hot bin of its pooled conversion rate, per platform | P |
//! | `roas_histogram` | 3 × 24 bins | one-hot bin of its pooled ROAS, per platform | P |
//! | `lift_count.<attr>` | one per value | 1 for each of ≤ m values it reports | m |
//! | `lift_sum.<attr>` | one per value | its log-lift, clipped to ±L | m · L · 10⁴ |
//! | `top.<attr>` | one per value | 1 for each of ≤ t values in its top list | t |
//!
//! (P = `max_platforms` ≤ 3, m = `max_values_per_attribute`, L = `max_log_lift`, t = `max_top_per_attribute`; attributes:
//! hook type 11 values, duration 6 buckets, posting hour 8 three-hour buckets, CTA style 18,
//! visual tag 13 — every vocabulary term except `unknown`.)
//!
//! Adding or removing one account changes the vector by exactly its contribution, so the
//! L1 bound of a group is the largest Σ |value| a valid contribution can have in it; the
//! encoder ([`super::contribute`]) enforces it (one-hot histograms, at most m / t values per
//! attribute, per-field clipping). A group with epsilon share `ε_g` gets discrete-Laplace noise
//! with `t_g = Δ_g / ε_g` on every field, so the release costs `Σ_g ε_g ≤ ε` (basic composition
//! over groups; within a group, the L1 bound makes the Laplace mechanism `ε_g`-DP).

use super::{ContributionBounds, DistributionConfig, EpsilonSplit, ReleaseConfig};
use crate::error::{Error, ErrorCode, Result};
use crate::insights::{duration_bucket_label, Attribute, DURATION_BUCKETS};
use crate::platform::Platform;
use crate::privacy::aggregate::Schema;
use crate::privacy::mechanism::Bounds;
use crate::record::{CtaStyle, HookType, VisualTag};
use serde::{Deserialize, Serialize};

/// Fixed-point units per 1.0 of a log-lift.
pub const LIFT_SCALE: f64 = 1e4;

/// Log-scale histogram bins: an underflow bin `[0, lo)`, `n` bins `[lo·r^i, lo·r^(i+1))`, and an
/// overflow bin `[lo·r^n, ∞)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogBins {
    /// Lower edge of the first regular bin.
    pub lo: f64,
    /// Ratio between consecutive edges.
    pub ratio: f64,
    /// Number of regular bins.
    pub n: usize,
}

impl LogBins {
    /// Total bins (regular + underflow + overflow).
    pub const fn len(&self) -> usize {
        self.n + 2
    }

    /// Never empty (for clippy's `len` convention).
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The bin of `v` (`None` for NaN or negative values).
    pub fn index(&self, v: f64) -> Option<usize> {
        if v.is_nan() || v < 0.0 {
            return None;
        }
        if v < self.lo {
            return Some(0);
        }
        let i = (libm::log(v / self.lo) / libm::log(self.ratio)).floor();
        if !i.is_finite() || i >= self.n as f64 {
            return Some(self.n + 1);
        }
        // Guard the floating-point edge: v exactly on an edge belongs to the bin above it.
        let i = i as usize;
        if v < self.edge(i) {
            Some(i)
        } else {
            Some(i + 1)
        }
    }

    /// Lower edge of regular bin `i` (`i` in `0..=n`), i.e. `lo · ratio^i`.
    pub fn edge(&self, i: usize) -> f64 {
        self.lo * libm::pow(self.ratio, i as f64)
    }

    /// `[lo, hi)` of bin `b` (`0` = underflow `[0, lo)`; the overflow bin is given one ratio's
    /// width for interpolation).
    pub fn range(&self, b: usize) -> (f64, f64) {
        if b == 0 {
            (0.0, self.lo)
        } else {
            (self.edge(b - 1), self.edge(b))
        }
    }

    /// A representative value of bin `b`: the geometric midpoint (half of `lo` for underflow).
    pub fn midpoint(&self, b: usize) -> f64 {
        if b == 0 {
            self.lo / 2.0
        } else {
            let (a, c) = self.range(b);
            libm::sqrt(a * c)
        }
    }
}

/// CTR bins: 0.1 % to 25.6 % in √2 steps.
pub const CTR_BINS: LogBins = LogBins {
    lo: 0.001,
    ratio: std::f64::consts::SQRT_2,
    n: 16,
};
/// Conversion-rate bins: 0.2 % to 102.4 % in √2 steps.
pub const CVR_BINS: LogBins = LogBins {
    lo: 0.002,
    ratio: std::f64::consts::SQRT_2,
    n: 18,
};
/// ROAS bins: 0.05 to 102.4 in √2 steps.
pub const ROAS_BINS: LogBins = LogBins {
    lo: 0.05,
    ratio: std::f64::consts::SQRT_2,
    n: 22,
};

/// Number of 3-hour posting buckets.
pub const HOUR_BUCKETS: usize = 8;

/// The 3-hour bucket of an hour (0-23).
pub fn hour_bucket(hour: u8) -> usize {
    (usize::from(hour) / 3).min(HOUR_BUCKETS - 1)
}

/// Wire label of 3-hour bucket `b` (`"09-11"`).
pub fn hour_bucket_label(b: usize) -> String {
    format!("{:02}-{:02}", b * 3, b * 3 + 2)
}

/// The values of an attribute in the wisdom layout, as wire labels (vocabularies without
/// `unknown`; duration and 3-hour posting buckets).
pub fn attribute_values(a: Attribute) -> Vec<String> {
    match a {
        Attribute::HookType => HookType::ALL
            .iter()
            .filter(|v| **v != HookType::Unknown)
            .map(|v| v.as_str().to_string())
            .collect(),
        Attribute::Duration => (0..DURATION_BUCKETS.len())
            .filter_map(duration_bucket_label)
            .collect(),
        Attribute::PostingHour => (0..HOUR_BUCKETS).map(hour_bucket_label).collect(),
        Attribute::CtaStyle => CtaStyle::ALL
            .iter()
            .filter(|v| **v != CtaStyle::Unknown)
            .map(|v| v.as_str().to_string())
            .collect(),
        Attribute::VisualTag => VisualTag::ALL
            .iter()
            .filter(|v| **v != VisualTag::Unknown)
            .map(|v| v.as_str().to_string())
            .collect(),
    }
}

/// What a group's fields hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// Per-platform presence.
    PlatformCount,
    /// CTR histogram (3 platforms × bins).
    CtrHistogram,
    /// Conversion-rate histogram.
    CvrHistogram,
    /// ROAS histogram.
    RoasHistogram,
    /// Accounts reporting a lift for a value.
    LiftCount(Attribute),
    /// Σ log-lift per value.
    LiftSum(Attribute),
    /// Accounts with the value in their top list.
    Top(Attribute),
}

/// A contiguous run of fields sharing bounds, sensitivity and epsilon.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldGroup {
    /// What the fields hold.
    pub kind: GroupKind,
    /// Group name (`"ctr_histogram"`, `"lift_sum.hook_type"`).
    pub name: String,
    /// First field's index in the contribution vector.
    pub start: usize,
    /// Number of fields.
    pub len: usize,
    /// Per-field clipping bounds and fixed-point scale.
    pub bounds: Bounds,
    /// Largest Σ |encoded value| over the group in one contribution (fixed-point units).
    pub l1_sensitivity: f64,
    /// This group's epsilon (absolute, not a share).
    pub epsilon: f64,
}

impl FieldGroup {
    /// Discrete-Laplace parameter `l1_sensitivity / epsilon`.
    pub fn noise_scale(&self) -> f64 {
        self.l1_sensitivity / self.epsilon
    }

    /// Whether a release of this layout publishes the group (epsilon > 0). An unreleased group
    /// gets no noise draw, its noisy sums are 0 and nothing is read from it.
    pub fn released(&self) -> bool {
        self.epsilon > 0.0
    }
}

/// The validated layout of one [`ReleaseConfig`]: groups in vector order, plus the count's epsilon.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Field groups in contribution order.
    pub groups: Vec<FieldGroup>,
    /// Epsilon of the account count.
    pub count_epsilon: f64,
    /// The bounds the layout was built with.
    pub bounds: ContributionBounds,
}

fn bad(field: &str, msg: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, msg)
}

/// Check a release configuration, naming the first bad field.
pub fn validate_config(c: &ReleaseConfig) -> Result<()> {
    if c.k == 0 {
        return Err(bad("k", "must be >= 1".into()));
    }
    if !(c.epsilon.is_finite() && c.epsilon > 0.0) {
        return Err(bad(
            "epsilon",
            format!("must be finite and > 0, got {}", c.epsilon),
        ));
    }
    let s = &c.split;
    let parts = [
        ("split.count", s.count),
        ("split.platform_counts", s.platform_counts),
        ("split.ctr_histogram", s.ctr_histogram),
        ("split.cvr_histogram", s.cvr_histogram),
        ("split.roas_histogram", s.roas_histogram),
        ("split.lifts", s.lifts),
        ("split.top_lists", s.top_lists),
    ];
    let histogram = |name: &str| name.ends_with("_histogram");
    for (name, v) in parts {
        if c.distributions.is_some() && histogram(name) {
            if v != 0.0 {
                return Err(bad(
                    name,
                    format!(
                        "must be 0 when `distributions` is set (the histograms are in the \
                         distribution release), got {v}"
                    ),
                ));
            }
        } else if !(v.is_finite() && v > 0.0) {
            return Err(bad(name, format!("must be finite and > 0, got {v}")));
        }
    }
    let total: f64 = parts.iter().map(|p| p.1).sum();
    if total > 1.0 + 1e-9 {
        return Err(bad("split", format!("shares sum to {total}, more than 1")));
    }
    let b = &c.bounds;
    if !(b.max_log_lift.is_finite() && b.max_log_lift > 0.0 && b.max_log_lift <= 10.0) {
        return Err(bad(
            "bounds.max_log_lift",
            format!("must be in (0, 10], got {}", b.max_log_lift),
        ));
    }
    if b.max_values_per_attribute == 0 {
        return Err(bad(
            "bounds.max_values_per_attribute",
            "must be >= 1".into(),
        ));
    }
    if b.max_platforms == 0 {
        return Err(bad("bounds.max_platforms", "must be >= 1".into()));
    }
    if b.max_top_per_attribute == 0 {
        return Err(bad("bounds.max_top_per_attribute", "must be >= 1".into()));
    }
    if c.cadence_days == 0 {
        return Err(bad("cadence_days", "must be >= 1".into()));
    }
    if c.window_periods == 0 {
        return Err(bad("window_periods", "must be >= 1".into()));
    }
    if !(c.budget_per_window.is_finite() && c.budget_per_window >= c.epsilon) {
        return Err(bad(
            "budget_per_window",
            format!(
                "must be finite and >= epsilon ({}), got {}",
                c.epsilon, c.budget_per_window
            ),
        ));
    }
    if let Some(d) = &c.distributions {
        validate_distributions(d, c.cadence_days)?;
    }
    Ok(())
}

/// Check the `distributions` section against the regular cadence, naming the first bad field.
fn validate_distributions(d: &DistributionConfig, cadence_days: u32) -> Result<()> {
    if d.cadence_days < cadence_days {
        return Err(bad(
            "distributions.cadence_days",
            format!(
                "must be >= cadence_days ({cadence_days}): the distributions are the slower release, got {}",
                d.cadence_days
            ),
        ));
    }
    if !(d.epsilon.is_finite() && d.epsilon > 0.0) {
        return Err(bad(
            "distributions.epsilon",
            format!("must be finite and > 0, got {}", d.epsilon),
        ));
    }
    let s = &d.split;
    let parts = [
        ("distributions.split.count", s.count),
        ("distributions.split.platform_counts", s.platform_counts),
        ("distributions.split.ctr_histogram", s.ctr_histogram),
        ("distributions.split.cvr_histogram", s.cvr_histogram),
        ("distributions.split.roas_histogram", s.roas_histogram),
    ];
    for (name, v) in parts {
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(name, format!("must be finite and > 0, got {v}")));
        }
    }
    let total: f64 = parts.iter().map(|p| p.1).sum();
    if total > 1.0 + 1e-9 {
        return Err(bad(
            "distributions.split",
            format!("shares sum to {total}, more than 1"),
        ));
    }
    Ok(())
}

fn indicator() -> Bounds {
    Bounds {
        lo: 0.0,
        hi: 1.0,
        scale: 1.0,
    }
}

impl Layout {
    /// Number of fields in a contribution (independent of the configuration).
    pub fn field_count() -> usize {
        let p = Platform::KNOWN.len();
        let values: usize = Attribute::ALL
            .iter()
            .map(|a| attribute_values(*a).len())
            .sum();
        p * (1 + CTR_BINS.len() + CVR_BINS.len() + ROAS_BINS.len()) + 3 * values
    }

    /// The layout of `config`'s regular release (validated). With
    /// [`ReleaseConfig::distributions`] set, its histogram groups have epsilon 0: not released
    /// ([`FieldGroup::released`]).
    pub fn new(config: &ReleaseConfig) -> Result<Layout> {
        validate_config(config)?;
        Ok(Layout::with_epsilons(config.epsilon, config.split, config.bounds))
    }

    /// The layout of `config`'s distribution release (validated): the count, the platform
    /// counts and the three histogram groups with [`DistributionConfig::epsilon`] split as its
    /// `split` says; every lift and top-list group has epsilon 0 (not released). An error naming
    /// `distributions` when the section is absent.
    pub fn distribution(config: &ReleaseConfig) -> Result<Layout> {
        validate_config(config)?;
        let Some(d) = config.distributions else {
            return Err(bad(
                "distributions",
                "not configured: a distribution release needs the `distributions` section".into(),
            ));
        };
        let s = d.split;
        let split = EpsilonSplit {
            count: s.count,
            platform_counts: s.platform_counts,
            ctr_histogram: s.ctr_histogram,
            cvr_histogram: s.cvr_histogram,
            roas_histogram: s.roas_histogram,
            lifts: 0.0,
            top_lists: 0.0,
        };
        Ok(Layout::with_epsilons(d.epsilon, split, config.bounds))
    }

    /// The layout for epsilon `eps` split as `split` (a share of 0 leaves its groups unreleased).
    fn with_epsilons(eps: f64, split: EpsilonSplit, b: ContributionBounds) -> Layout {
        let EpsilonSplit {
            count,
            platform_counts,
            ctr_histogram,
            cvr_histogram,
            roas_histogram,
            lifts,
            top_lists,
        } = split;
        let p = Platform::KNOWN.len();
        let platforms = (b.max_platforms as usize).min(p) as f64;
        let mut groups = Vec::new();
        let mut start = 0;
        let mut push = |kind, name: String, len: usize, bounds: Bounds, l1: f64, epsilon: f64| {
            groups.push(FieldGroup {
                kind,
                name,
                start,
                len,
                bounds,
                l1_sensitivity: l1,
                epsilon,
            });
            start += len;
        };
        push(
            GroupKind::PlatformCount,
            "platform_count".into(),
            p,
            indicator(),
            platforms,
            eps * platform_counts,
        );
        for (kind, name, bins, share) in [
            (
                GroupKind::CtrHistogram,
                "ctr_histogram",
                CTR_BINS,
                ctr_histogram,
            ),
            (
                GroupKind::CvrHistogram,
                "cvr_histogram",
                CVR_BINS,
                cvr_histogram,
            ),
            (
                GroupKind::RoasHistogram,
                "roas_histogram",
                ROAS_BINS,
                roas_histogram,
            ),
        ] {
            push(
                kind,
                name.into(),
                p * bins.len(),
                indicator(),
                platforms,
                eps * share,
            );
        }
        let l = b.max_log_lift;
        let lift_eps = eps * lifts / (2 * Attribute::ALL.len()) as f64;
        let top_eps = eps * top_lists / Attribute::ALL.len() as f64;
        for a in Attribute::ALL {
            let n = attribute_values(a).len();
            let m = (b.max_values_per_attribute as usize).min(n) as f64;
            let t = (b.max_top_per_attribute as usize).min(n) as f64;
            let sum_b = Bounds {
                lo: -l,
                hi: l,
                scale: LIFT_SCALE,
            };
            push(
                GroupKind::LiftCount(a),
                format!("lift_count.{}", a.as_str()),
                n,
                indicator(),
                m,
                lift_eps,
            );
            push(
                GroupKind::LiftSum(a),
                format!("lift_sum.{}", a.as_str()),
                n,
                sum_b,
                m * sum_b.sensitivity(),
                lift_eps,
            );
            push(
                GroupKind::Top(a),
                format!("top.{}", a.as_str()),
                n,
                indicator(),
                t,
                top_eps,
            );
        }
        debug_assert_eq!(start, Layout::field_count());
        Layout {
            groups,
            count_epsilon: eps * count,
            bounds: b,
        }
    }

    /// The group of `kind`.
    pub fn group(&self, kind: GroupKind) -> &FieldGroup {
        // Every kind is pushed by `new`; the fallback is unreachable but keeps this panic-free.
        self.groups
            .iter()
            .find(|g| g.kind == kind)
            .unwrap_or(&self.groups[0])
    }

    /// The privacy-layer schema: one `(name, bounds)` per field, in contribution order.
    pub fn schema(&self) -> Schema {
        let mut fields = Vec::with_capacity(Layout::field_count());
        for g in &self.groups {
            for i in 0..g.len {
                fields.push((format!("{}[{i}]", g.name), g.bounds));
            }
        }
        Schema { fields }
    }
}
