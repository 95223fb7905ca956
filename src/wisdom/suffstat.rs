//! Niche wisdom as **within-account sufficient statistics** (release format 2), released with the
//! discrete Gaussian under zCDP and post-processed into per-value posteriors.
//!
//! Today's lift release ([`super::release_wisdom`]) stays as it is for the Worker and the
//! bindings; this module is the new release built alongside it. The privacy model is in
//! `docs/privacy.md` ("Release format 2"); the study in [`crate::study_v2`].
//!
//! **1. What one account contributes** ([`encode_account`]), once per period, to the one niche
//! it has for that period:
//! - its records with impressions on a known platform (with `contribute: randomised`, only those
//!   whose attributes were randomised; with `contribute: split`, an exploring account's
//!   randomised records go to a pool of their own, [`Arm::Explorers`]: [`Contribute`]), at most
//!   `max_records` (the most impressions first, then record id);
//! - per record `r` on platform `g`: the empirical log-odds `y_r = ln((c+½)/(n−c+½))`, the
//!   expected clicks `E_r = n_r · p̂_g` (`p̂_g` the account's pooled CTR on `g`), and the precision
//!   weight `w_r = E_r / (1 + τ² E_r)` (`τ²` = `creative_var`, the creative-to-creative variance
//!   the binomial noise adds to);
//! - account weights `u_r = w_r / max(Σ w, c₀)` (`c₀` = `weight_saturation`): an account's total
//!   weight is `min(1, Σw / c₀) ≤ 1`, so an account with 10 clicks does not weigh as much as one
//!   with 10,000, and none weighs more than one;
//! - for every vocabulary value `v` of a factor (hook type, CTA style, visual tag, format per
//!   platform, duration bucket among videos, posting hour 0-23), centred **within account ×
//!   platform** (`x̃ = x − x̄_g`, `ỹ = y − ȳ_g`, weighted means over the group's eligible records,
//!   groups with at least 2 of them):
//!   `S_x[v] = Σ u x`, `S_xx[v] = Σ u x̃²`, `S_xy[v] = Σ u x̃ ỹ` (ỹ clipped to ±`response_clip`);
//! - three scalars: `W = Σ u`, `S_yy = Σ u ỹ²`, `S_uu = Σ u²`.
//!
//! Sums and counts only; ratios are post-processing. The vector (each block times its
//! `moment_scale`) is clipped as a whole to the L2 norm `clip_norm`, then fixed-point encoded
//! (× `fixed_point_scale`, rounded); the integer vector's norm is checked to be at most
//! `clip_norm · fixed_point_scale` **after** rounding (shrunk until it is), so the release's L2
//! sensitivity is exactly that. Clipping scales the whole vector, so it reweights an account
//! without biasing its ratios.
//!
//! **2. Release** ([`release_niche`]): exact integer sums per niche ([`SuffStatPool`]), discrete
//! Gaussian noise on every sum (`ρ_sums = Δ²/(2σ²)`), the niche count with a pure-DP discrete
//! Laplace share (`ρ_count = ε_count²/2`); `ρ = ρ_sums + ρ_count` and `ε(δ)` follow. The niche is
//! published when its noisy count is at least [`niche_count_gate`] (`k`, or more when the count's
//! noise could publish an empty niche); a value's own estimate is shown only when `k` accounts'
//! worth of creatives use it (`S_x / W` times the noisy niche count; [`ValueGate`]) and its noisy
//! `S_x` clears `3σ_x`.
//!
//! **3. Posteriors** ([`posteriors`], free post-processing): a global release is the sum of the
//! **published** niches' noisy sums. Per value the contrast against the average choice is
//! `δ_v = (S_xy/S_xx)·(1 − π_v)` (`π_v` = the value's share of the factor's `S_x`; visual tags,
//! which are present or not, use `δ_v = S_xy/S_xx`). The global contrasts are shrunk towards 0
//! with the between-value variance of their factor (method of moments); each niche's towards the
//! global one with the between-niche variance of the factor (DerSimonian-Laird). Each value
//! carries its posterior mean and sd on the log-odds scale and the release id.

use crate::error::{Error, ErrorCode, Result};
use crate::insights::{duration_bucket, duration_bucket_label, DURATION_BUCKETS};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::privacy::dgauss::{discrete_gaussian, discrete_laplace, rational_at_least};
use crate::privacy::zcdp::{
    epsilon_of_rho, rho_for_epsilon, rho_of_pure_epsilon, BudgetPolicy, PrivacyLedger,
};
use crate::record::{AdFormat, CreativeRecord, CtaStyle, HookType, VisualTag};
use rand_core::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Version of the release format of this module.
pub const SUFFSTAT_VERSION: u32 = 2;

/// A factor: a creative attribute whose values are compared within accounts.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    /// Hook type (one value per creative).
    Hook,
    /// CTA style (one value per creative).
    Cta,
    /// Visual tags (each present or not).
    Visual,
    /// Format, compared within one platform.
    Format,
    /// Duration bucket, among videos.
    Duration,
    /// Posting hour 0-23.
    Hour,
}

impl Factor {
    /// All factors, layout order.
    pub const ALL: [Factor; 6] = [
        Factor::Hook,
        Factor::Cta,
        Factor::Visual,
        Factor::Format,
        Factor::Duration,
        Factor::Hour,
    ];

    /// Name.
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Hook => "hook_type",
            Factor::Cta => "cta_style",
            Factor::Visual => "visual_tag",
            Factor::Format => "format",
            Factor::Duration => "duration",
            Factor::Hour => "posting_hour",
        }
    }

    /// Whether a record holds at most one value (else: several, e.g. visual tags).
    pub fn one_hot(self) -> bool {
        self != Factor::Visual
    }
}

/// One cell of the layout: a factor's value (format values per platform).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    /// The factor.
    pub factor: Factor,
    /// The platform (format cells only).
    pub platform: Option<Platform>,
    /// The value's wire name (`"offer"`, `"15-30s"`, `"18"`).
    pub value: String,
}

/// The fixed layout: every public vocabulary value (`unknown` excluded), in a fixed order.
pub fn cells() -> &'static [Cell] {
    static CELLS: OnceLock<Vec<Cell>> = OnceLock::new();
    CELLS.get_or_init(|| {
        let mut v = Vec::new();
        let mut push = |factor, platform, value: &str| {
            v.push(Cell {
                factor,
                platform,
                value: value.to_string(),
            })
        };
        for h in HookType::ALL.iter().filter(|h| **h != HookType::Unknown) {
            push(Factor::Hook, None, h.as_str());
        }
        for c in CtaStyle::ALL.iter().filter(|c| **c != CtaStyle::Unknown) {
            push(Factor::Cta, None, c.as_str());
        }
        for t in VisualTag::ALL.iter().filter(|t| **t != VisualTag::Unknown) {
            push(Factor::Visual, None, t.as_str());
        }
        for p in Platform::KNOWN {
            for f in AdFormat::ALL.iter().filter(|f| **f != AdFormat::Unknown) {
                push(Factor::Format, Some(p), f.as_str());
            }
        }
        for i in 0..DURATION_BUCKETS.len() {
            push(
                Factor::Duration,
                None,
                &duration_bucket_label(i).unwrap_or_default(),
            );
        }
        for h in 0..24 {
            push(Factor::Hour, None, &h.to_string());
        }
        v
    })
}

/// Number of cells.
pub fn cell_count() -> usize {
    cells().len()
}

/// Coordinates of a contribution: `S_x`, `S_xx`, `S_xy` per cell, then `W`, `S_yy`, `S_uu`.
pub fn dimension() -> usize {
    3 * cell_count() + 3
}

/// The scale of each block of the vector before clipping: a larger scale spends more of the
/// clip norm (and so less relative noise) on that block.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MomentScale {
    /// `S_x` (effective accounts per value). Default 1.
    pub x: f64,
    /// `S_xx`. Default 2.
    pub xx: f64,
    /// `S_xy`. Default 8 (tuned on simulator v1 with seeds 1-4 at 200 accounts per niche; the
    /// reported seeds are others).
    pub xy: f64,
    /// `W`, `S_yy`, `S_uu`. Default 0.5.
    pub scalars: f64,
}

impl Default for MomentScale {
    fn default() -> Self {
        MomentScale {
            x: 1.0,
            xx: 2.0,
            xy: 8.0,
            scalars: 0.5,
        }
    }
}

/// Configuration of release format 2. Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuffStatConfig {
    /// Least noisy niche count to publish, and least accounts' worth of creatives using a value
    /// for its own estimate to be shown ([`ValueGate`]). Default 50.
    pub k: u32,
    /// Privacy loss of one release as `ε` at `delta` (from its total `ρ`). Default 1.
    pub epsilon: f64,
    /// The `δ` at which `epsilon` is stated. Default 1e-6.
    pub delta: f64,
    /// The pure-DP `ε` of the niche count (its `ρ = ε²/2` comes out of the release's total).
    /// Default 0.05.
    pub count_epsilon: f64,
    /// L2 norm every account's scaled contribution is clipped to. Default 1.
    pub clip_norm: f64,
    /// Fixed-point scale of the integer sums. Default 10,000.
    pub fixed_point_scale: f64,
    /// `c₀`: the precision-weight total at which an account weighs 1. Default 20.
    pub weight_saturation: f64,
    /// `τ²`: creative-to-creative variance of the log-odds. Default 0.12.
    pub creative_var: f64,
    /// Most records per account (the most impressions kept). Default 200.
    pub max_records: u32,
    /// `|ỹ|` bound (log-odds). Default 2.
    pub response_clip: f64,
    /// Scale per block (see [`MomentScale`]).
    pub moment_scale: MomentScale,
    /// Days per period (the cadence: one release per niche and period). Default 30.
    pub period_days: u32,
    /// What `k` counts for a value's own estimate to be shown (see [`ValueGate`]). Default
    /// `account_share`; not serialised when it is the default.
    #[serde(skip_serializing_if = "ValueGate::is_default")]
    pub value_gate: ValueGate,
    /// Which of an account's records it contributes (see [`Contribute`]). Default `all`; not
    /// serialised when it is the default.
    #[serde(skip_serializing_if = "Contribute::is_all")]
    pub contribute: Contribute,
    /// How many periods' releases a niche's posteriors combine: the latest release and the
    /// niche's releases of the `combine_periods − 1` periods before it ([`combine_periods`]).
    /// Free post-processing of releases already made and charged to their accounts' ledgers:
    /// it spends nothing, and the yearly loss stays what the cadence spends. Default 1 (the
    /// latest release alone); not serialised when it is 1. At most [`MAX_COMBINE_PERIODS`].
    #[serde(skip_serializing_if = "is_one")]
    pub combine_periods: u32,
}

/// The most periods [`SuffStatConfig::combine_periods`] may combine (two years of monthly
/// releases).
pub const MAX_COMBINE_PERIODS: u32 = 24;

fn is_one(v: &u32) -> bool {
    *v == 1
}

/// Which records an account contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Contribute {
    /// Every eligible record (observational: an account's better creatives may use some values
    /// more, and the release credits the values with the creatives' quality).
    #[default]
    All,
    /// Only records whose attributes were randomised (`assignment: randomised`, drawn by
    /// [`crate::wisdom::explore`]): an instrument, not confounded with the creatives' quality. An
    /// account without two randomised records on a platform contributes nothing. Simulator v2:
    /// 81.8 % of the oracle's gain at 2,000 accounts per niche when every contributor randomises,
    /// 38.0 % for `all` (docs/network-effect.md, "An exploration cohort").
    Randomised,
    /// Explorers kept apart ([`account_contribution`]): an account with a usable group of
    /// randomised records (at least 2 on a platform) contributes **only those**, to the
    /// [`Arm::Explorers`] pool; every other account contributes all its eligible records to the
    /// [`Arm::Main`] pool. Both pools are released every period for every niche (each account is
    /// in one: one release's `ρ` per account, as with one pool), and [`posteriors`] serves a
    /// niche from its explorers' release once enough explorers are in it
    /// ([`explorers_switch_count`]), else from the union of both pools. With nobody exploring it
    /// is `all`; as explorers join, a niche switches to their unconfounded data on its own
    /// (simulator v2: docs/network-effect.md, "Explorers kept apart").
    Split,
}

/// The pool a contribution goes to, and the release it enters.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// The release as configured (`contribute: all` or `randomised`; under `split`, the
    /// accounts that do not explore). Release ids `"<period>/<niche>"`.
    #[default]
    Main,
    /// Under `contribute: split`, the explorers' randomised records. Release ids
    /// `"<period>/<niche>/explorers"`.
    Explorers,
}

impl Arm {
    /// Whether this is [`Arm::Main`] (not serialised in a release then).
    pub fn is_main(&self) -> bool {
        *self == Arm::Main
    }

    /// The arms a configuration releases: both under `contribute: split`, else the main one.
    pub fn released(cfg: &SuffStatConfig) -> &'static [Arm] {
        if cfg.contribute == Contribute::Split {
            &[Arm::Main, Arm::Explorers]
        } else {
            &[Arm::Main]
        }
    }

    /// The release-id suffix of this arm (`""` or `"/explorers"`).
    pub fn suffix(self) -> &'static str {
        match self {
            Arm::Main => "",
            Arm::Explorers => "/explorers",
        }
    }

    /// The name of `niche`'s release of this pool: `"<niche>"` or `"<niche>/explorers"`.
    pub fn release_name(self, niche: Niche) -> String {
        format!("{}{}", niche.as_str(), self.suffix())
    }
}

/// The id of `niche`'s release of the pool `arm` for `period`: `"<period>/<niche>"` or
/// `"<period>/<niche>/explorers"` (one noisy draw per id).
pub fn release_id(period: i64, niche: Niche, arm: Arm) -> String {
    format!("{period}/{}", arm.release_name(niche))
}

impl Contribute {
    /// Whether this is [`Contribute::All`] (the default).
    pub fn is_all(&self) -> bool {
        *self == Contribute::All
    }
}

/// What a value's `k` gate counts. Both also require the value's noisy `S_x` to clear `3σ_x`
/// (so noise alone does not show a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueGate {
    /// **Accounts' worth of creatives using the value**: the value's share of the niche's
    /// effective weight, `S_x[v] / W`, times the niche's noisy account count, must reach `k`.
    /// Clipping scales an account's whole vector, so it changes `S_x` and `W` alike and leaves
    /// the share, and this count, as they are. Post-processing of released values only.
    #[default]
    AccountShare,
    /// The value's noisy `S_x` itself (effective accounts after each account's weight and its
    /// clipping) must reach `k` (releases before 2026-12-04). Clipping shrinks `S_x` (almost
    /// every contribution is clipped), so this counts an account that is clipped to a third
    /// as a third of an account.
    EffectiveAccounts,
}

impl ValueGate {
    /// Whether this is the default gate.
    pub fn is_default(&self) -> bool {
        *self == ValueGate::default()
    }
}

impl Default for SuffStatConfig {
    fn default() -> Self {
        SuffStatConfig {
            k: 50,
            epsilon: 1.0,
            delta: 1e-6,
            count_epsilon: 0.05,
            clip_norm: 1.0,
            fixed_point_scale: 10_000.0,
            weight_saturation: 20.0,
            creative_var: 0.12,
            max_records: 200,
            response_clip: 2.0,
            moment_scale: MomentScale::default(),
            period_days: 30,
            value_gate: ValueGate::default(),
            contribute: Contribute::default(),
            combine_periods: 1,
        }
    }
}

fn bad(field: &str, message: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, message)
}

fn positive(field: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(bad(field, format!("must be finite and > 0, got {v}")))
    }
}

/// The noise a validated configuration implies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoisePlan {
    /// Total `ρ` of one release.
    pub rho: f64,
    /// `ρ` of the count (pure `ε_count`).
    pub rho_count: f64,
    /// `ρ` of the sums.
    pub rho_sums: f64,
    /// Integer L2 sensitivity of the sums: `clip_norm · fixed_point_scale`.
    pub sensitivity: f64,
    /// `σ²` of the discrete Gaussian on each integer sum, as the exact rational used.
    pub sigma2_num: u128,
    /// Denominator of `σ²`.
    pub sigma2_den: u128,
    /// `σ` in integer units.
    pub sigma: f64,
    /// Discrete Laplace scale of the count, as the exact rational used.
    pub count_scale_num: u128,
    /// Denominator of the count's scale.
    pub count_scale_den: u128,
    /// `ε` at `δ` of one release (from `rho`).
    pub epsilon: f64,
}

impl SuffStatConfig {
    /// Parse a JSON configuration (unknown keys and bad values are named errors).
    pub fn from_json(text: &str) -> Result<Self> {
        let c: SuffStatConfig = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            // serde names an unknown key, not the key of a bad value: find the key whose value
            // alone does not parse.
            let bad_key = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                .ok()
                .and_then(|m| {
                    m.into_iter()
                        .map(|(k, v)| (k.clone(), serde_json::json!({ k: v })))
                        .find(|(_, one)| {
                            serde_json::from_value::<SuffStatConfig>(one.clone()).is_err()
                        })
                        .map(|(k, _)| k)
                });
            let named = msg.split('`').nth(1).map(str::to_string);
            let field = if msg.contains("unknown field") {
                named
            } else {
                bad_key.or(named)
            }
            .unwrap_or_else(|| "config".into());
            Error::field(
                if msg.contains("unknown field") {
                    ErrorCode::UnknownValue
                } else {
                    ErrorCode::Malformed
                },
                field,
                msg,
            )
        })?;
        c.validate()?;
        Ok(c)
    }

    /// Check every value: `k >= 1`, `0 < epsilon`, `0 < delta < 1`, `0 < count_epsilon` with
    /// `ρ_count < ρ`, positive clip norm, scale, saturation, creative variance, response clip and
    /// block scales, `max_records >= 1`, `period_days >= 1`, `combine_periods` in
    /// `1..=`[`MAX_COMBINE_PERIODS`].
    pub fn validate(&self) -> Result<NoisePlan> {
        if self.k == 0 {
            return Err(bad("k", "must be >= 1".into()));
        }
        positive("epsilon", self.epsilon)?;
        if !(self.delta > 0.0 && self.delta < 1.0) {
            return Err(bad(
                "delta",
                format!("must be in (0, 1), got {}", self.delta),
            ));
        }
        positive("count_epsilon", self.count_epsilon)?;
        positive("clip_norm", self.clip_norm)?;
        positive("fixed_point_scale", self.fixed_point_scale)?;
        if self.fixed_point_scale > 1e9 || self.clip_norm * self.fixed_point_scale > 1e12 {
            return Err(bad(
                "fixed_point_scale",
                "clip_norm x fixed_point_scale must be <= 1e12".into(),
            ));
        }
        positive("weight_saturation", self.weight_saturation)?;
        positive("creative_var", self.creative_var)?;
        positive("response_clip", self.response_clip)?;
        let m = &self.moment_scale;
        for (f, v) in [
            ("moment_scale.x", m.x),
            ("moment_scale.xx", m.xx),
            ("moment_scale.xy", m.xy),
            ("moment_scale.scalars", m.scalars),
        ] {
            positive(f, v)?;
        }
        if self.max_records == 0 {
            return Err(bad("max_records", "must be >= 1".into()));
        }
        if self.period_days == 0 {
            return Err(bad("period_days", "must be >= 1".into()));
        }
        if !(1..=MAX_COMBINE_PERIODS).contains(&self.combine_periods) {
            return Err(bad(
                "combine_periods",
                format!(
                    "must be in 1..={MAX_COMBINE_PERIODS}, got {}",
                    self.combine_periods
                ),
            ));
        }
        let rho = rho_for_epsilon(self.epsilon, self.delta);
        let rho_count = rho_of_pure_epsilon(self.count_epsilon);
        if rho_count >= rho {
            return Err(bad(
                "count_epsilon",
                format!(
                    "its rho {rho_count} must be below the release's rho {rho} (epsilon {} at delta {})",
                    self.epsilon, self.delta
                ),
            ));
        }
        let rho_sums = rho - rho_count;
        let sensitivity = self.clip_norm * self.fixed_point_scale;
        let sigma2 = sensitivity * sensitivity / (2.0 * rho_sums);
        let (sigma2_num, sigma2_den) = rational_at_least(sigma2);
        let (count_scale_num, count_scale_den) = rational_at_least(1.0 / self.count_epsilon);
        // The parameters actually used are at least the requested ones: recompute ρ from them.
        let sigma2_used = sigma2_num as f64 / sigma2_den as f64;
        let eps_count_used = count_scale_den as f64 / count_scale_num as f64;
        let rho_used =
            sensitivity * sensitivity / (2.0 * sigma2_used) + rho_of_pure_epsilon(eps_count_used);
        Ok(NoisePlan {
            rho: rho_used,
            rho_count: rho_of_pure_epsilon(eps_count_used),
            rho_sums: sensitivity * sensitivity / (2.0 * sigma2_used),
            sensitivity,
            sigma2_num,
            sigma2_den,
            sigma: sigma2_used.sqrt(),
            count_scale_num,
            count_scale_den,
            epsilon: epsilon_of_rho(rho_used, self.delta),
        })
    }
}

/// One account's encoded contribution: integer sums, L2 norm at most the sensitivity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuffContribution {
    /// Fixed-point integers, [`dimension`] of them.
    pub sums: Vec<i64>,
}

impl SuffContribution {
    /// Squared L2 norm of the integer vector (exact).
    pub fn norm2(&self) -> u128 {
        self.sums
            .iter()
            .map(|x| (i128::from(*x) * i128::from(*x)) as u128)
            .sum()
    }

    /// Whether every sum is 0 (the account adds nothing but a count).
    pub fn is_empty(&self) -> bool {
        self.sums.iter().all(|x| *x == 0)
    }
}

/// The records' moments before scaling, clipping and rounding (for diagnostics and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMoments {
    /// `S_x`, `S_xx`, `S_xy` per cell, then `W`, `S_yy`, `S_uu`.
    pub values: Vec<f64>,
}

struct Rec {
    platform: Platform,
    y: f64,
    w: f64,
    cells: Vec<usize>,
    video: bool,
    has_hour: bool,
}

type CellKey = (Factor, Option<Platform>, String);

fn cell_index() -> &'static BTreeMap<CellKey, usize> {
    static IDX: OnceLock<BTreeMap<CellKey, usize>> = OnceLock::new();
    IDX.get_or_init(|| {
        cells()
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.factor, c.platform, c.value.clone()), i))
            .collect()
    })
}

fn lookup(f: Factor, p: Option<Platform>, v: &str) -> Option<usize> {
    cell_index().get(&(f, p, v.to_string())).copied()
}

/// The moments of one account's records (see the module docs), before scaling and clipping.
pub fn account_moments(records: &[&CreativeRecord], cfg: &SuffStatConfig) -> RawMoments {
    let nc = cell_count();
    let mut out = vec![0.0; 3 * nc + 3];
    let mut recs: Vec<&CreativeRecord> = records
        .iter()
        .copied()
        .filter(|r| r.impressions > 0 && Platform::KNOWN.contains(&r.platform))
        .filter(|r| {
            cfg.contribute != Contribute::Randomised
                || r.assignment == crate::record::Assignment::Randomised
        })
        .collect();
    recs.sort_by(|a, b| {
        b.impressions
            .cmp(&a.impressions)
            .then_with(|| a.record_id.cmp(&b.record_id))
    });
    recs.truncate(cfg.max_records as usize);
    // Pooled CTR per platform.
    let mut pooled: BTreeMap<Platform, (f64, f64)> = BTreeMap::new();
    for r in &recs {
        let e = pooled.entry(r.platform).or_default();
        e.0 += r.clicks.min(r.impressions) as f64;
        e.1 += r.impressions as f64;
    }
    let mut rs: Vec<Rec> = recs
        .iter()
        .map(|r| {
            let n = r.impressions as f64;
            let c = r.clicks.min(r.impressions) as f64;
            let (pc, pn) = pooled[&r.platform];
            let p = (pc + 0.5) / (pn + 1.0);
            let e = n * p;
            let mut cells = Vec::new();
            if let Some(i) = lookup(Factor::Hook, None, r.hook_type.as_str()) {
                cells.push(i);
            }
            if let Some(i) = lookup(Factor::Cta, None, r.cta_style.as_str()) {
                cells.push(i);
            }
            let mut tags = r.visual_tags.clone();
            tags.sort();
            tags.dedup();
            for t in tags {
                if let Some(i) = lookup(Factor::Visual, None, t.as_str()) {
                    cells.push(i);
                }
            }
            if let Some(i) = lookup(Factor::Format, Some(r.platform), r.format.as_str()) {
                cells.push(i);
            }
            let video = r.format == AdFormat::Video && r.duration_s.is_some();
            if video {
                if let Some(b) = r.duration_s.and_then(duration_bucket) {
                    if let Some(i) =
                        duration_bucket_label(b).and_then(|l| lookup(Factor::Duration, None, &l))
                    {
                        cells.push(i);
                    }
                }
            }
            if let Some(h) = r.posting_hour.filter(|h| *h < 24) {
                if let Some(i) = lookup(Factor::Hour, None, &h.to_string()) {
                    cells.push(i);
                }
            }
            Rec {
                platform: r.platform,
                y: ((c + 0.5) / (n - c + 0.5)).ln(),
                w: e / (1.0 + cfg.creative_var * e),
                cells,
                video,
                has_hour: r.posting_hour.is_some_and(|h| h < 24),
            }
        })
        .collect();
    let total_w: f64 = rs.iter().map(|r| r.w).sum();
    if rs.is_empty() || total_w <= 0.0 {
        return RawMoments { values: out };
    }
    let norm = total_w.max(cfg.weight_saturation);
    for r in &mut rs {
        r.w /= norm;
    }
    let clip = cfg.response_clip;
    // Scalars over account x platform groups (all records).
    for p in Platform::KNOWN {
        let g: Vec<&Rec> = rs.iter().filter(|r| r.platform == p).collect();
        let su: f64 = g.iter().map(|r| r.w).sum();
        if g.len() < 2 || su <= 0.0 {
            continue;
        }
        let ybar = g.iter().map(|r| r.w * r.y).sum::<f64>() / su;
        for r in &g {
            let yt = (r.y - ybar).clamp(-clip, clip);
            out[3 * nc] += r.w;
            out[3 * nc + 1] += r.w * yt * yt;
            out[3 * nc + 2] += r.w * r.w;
        }
    }
    // Per factor: the group's eligible records, centred.
    let cs = cells();
    for f in Factor::ALL {
        let range: Vec<usize> = (0..nc).filter(|i| cs[*i].factor == f).collect();
        for p in Platform::KNOWN {
            let g: Vec<&Rec> = rs
                .iter()
                .filter(|r| r.platform == p)
                .filter(|r| match f {
                    Factor::Duration => r.video,
                    Factor::Hour => r.has_hour,
                    _ => true,
                })
                .collect();
            let su: f64 = g.iter().map(|r| r.w).sum();
            if g.len() < 2 || su <= 0.0 {
                continue;
            }
            let ybar = g.iter().map(|r| r.w * r.y).sum::<f64>() / su;
            for &i in &range {
                if cs[i].platform.is_some_and(|q| q != p) {
                    continue;
                }
                let xbar = g
                    .iter()
                    .filter(|r| r.cells.contains(&i))
                    .map(|r| r.w)
                    .sum::<f64>()
                    / su;
                for r in &g {
                    let x = if r.cells.contains(&i) { 1.0 } else { 0.0 };
                    let xt = x - xbar;
                    let yt = (r.y - ybar).clamp(-clip, clip);
                    out[i] += r.w * x;
                    out[nc + i] += r.w * xt * xt;
                    out[2 * nc + i] += r.w * xt * yt;
                }
            }
        }
    }
    RawMoments { values: out }
}

fn block_scales(cfg: &SuffStatConfig) -> Vec<f64> {
    let nc = cell_count();
    let m = &cfg.moment_scale;
    let mut s = vec![m.x; nc];
    s.extend(std::iter::repeat_n(m.xx, nc));
    s.extend(std::iter::repeat_n(m.xy, nc));
    s.extend([m.scalars; 3]);
    s
}

/// Scale, clip to the L2 norm and encode raw moments; the integer vector's norm is at most
/// `clip_norm · fixed_point_scale` after rounding (checked exactly; shrunk until it holds).
pub fn clip_and_encode(raw: &RawMoments, cfg: &SuffStatConfig) -> Result<SuffContribution> {
    cfg.validate()?;
    if raw.values.len() != dimension() {
        return Err(bad(
            "moments",
            format!("expected {} values, got {}", dimension(), raw.values.len()),
        ));
    }
    if let Some(i) = raw.values.iter().position(|v| !v.is_finite()) {
        return Err(bad(&format!("moments[{i}]"), "must be finite".into()));
    }
    let scaled: Vec<f64> = raw
        .values
        .iter()
        .zip(block_scales(cfg))
        .map(|(v, s)| v * s)
        .collect();
    let norm = scaled.iter().map(|v| v * v).sum::<f64>().sqrt();
    let bound = cfg.clip_norm * cfg.fixed_point_scale;
    // Leave room for rounding: each coordinate moves by at most 1/2.
    let room = 0.5 * (scaled.len() as f64).sqrt();
    let target = (bound - room).max(0.0);
    let mut factor = if norm * cfg.fixed_point_scale > target {
        target / (norm * cfg.fixed_point_scale)
    } else {
        1.0
    };
    let limit = {
        let b = bound.floor() as u128;
        b * b
    };
    for _ in 0..64 {
        let sums: Vec<i64> = scaled
            .iter()
            .map(|v| (v * cfg.fixed_point_scale * factor).round() as i64)
            .collect();
        let c = SuffContribution { sums };
        if c.norm2() <= limit {
            return Ok(c);
        }
        factor *= 0.999;
    }
    Ok(SuffContribution {
        sums: vec![0; scaled.len()],
    })
}

/// One account's contribution from its records (all of its niche for the period).
pub fn encode_account(
    records: &[&CreativeRecord],
    cfg: &SuffStatConfig,
) -> Result<SuffContribution> {
    clip_and_encode(&account_moments(records, cfg), cfg)
}

/// An account's contribution and the pool it goes to: under `contribute: split`, its randomised
/// records to [`Arm::Explorers`] when they give a non-empty contribution, else all its records to
/// [`Arm::Main`]; under `all` or `randomised`, [`encode_account`] to [`Arm::Main`].
pub fn account_contribution(
    records: &[&CreativeRecord],
    cfg: &SuffStatConfig,
) -> Result<(Arm, SuffContribution)> {
    if cfg.contribute != Contribute::Split {
        return Ok((Arm::Main, encode_account(records, cfg)?));
    }
    let mut c = cfg.clone();
    c.contribute = Contribute::Randomised;
    let explored = encode_account(records, &c)?;
    if !explored.is_empty() {
        return Ok((Arm::Explorers, explored));
    }
    c.contribute = Contribute::All;
    Ok((Arm::Main, encode_account(records, &c)?))
}

/// An account's format-2 contribution for a period, the niche and the pool ([`Arm`]) it goes
/// to, or `None` when it adds nothing.
///
/// The niche is the one its records give by format 1's rule (the declared niche, else the one
/// detected from its ad copy; `crate::insights`), but format 1's **data gate**
/// (`InsightOptions::min_campaigns` distinct campaigns) does not apply: that gate is for the
/// account's own lift insights, while format 2 has its own eligibility (account × platform
/// groups of at least 2 records with impressions, see the module docs). So an account with one or
/// two campaigns contributes here as the study assumes every account does (`crate::study_v2`).
///
/// `None` when the account has not opted in, when its niche is `unknown`, or when no record is
/// eligible (its encoded vector would be all zeros: it would only add to the niche count, and be
/// charged for a release that uses none of its records). Errors: the records' (`records[i]...`,
/// one account) or the config's, named.
pub fn period_contribution(
    records: &[CreativeRecord],
    consent: super::AccountConsent,
    insight: &crate::insights::InsightOptions,
    cfg: &SuffStatConfig,
) -> Result<Option<(Niche, Arm, SuffContribution)>> {
    if !consent.opted_in {
        return Ok(None);
    }
    let (ins, _) = crate::insights::compute::prepare(records, insight)?;
    if ins.niche == Niche::Unknown {
        return Ok(None);
    }
    let refs: Vec<&CreativeRecord> = records.iter().collect();
    let (arm, c) = account_contribution(&refs, cfg)?;
    if c.is_empty() {
        return Ok(None);
    }
    Ok(Some((ins.niche, arm, c)))
}

/// Contribute `account`'s records for `niche` this period when it opted in, to the pool
/// [`account_contribution`] picks; otherwise erase any earlier contribution (an opted-out
/// account is never in the pool). Returns whether it is in the pool afterwards.
pub fn contribute(
    pool: &mut SuffStatPool,
    account: &str,
    niche: Niche,
    records: &[&CreativeRecord],
    consent: super::AccountConsent,
    cfg: &SuffStatConfig,
) -> Result<bool> {
    if !consent.opted_in {
        pool.erase(account);
        return Ok(false);
    }
    let (arm, c) = account_contribution(records, cfg)?;
    pool.set_in(account, niche, arm, c)?;
    Ok(true)
}

/// Exact integer aggregate of one niche.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuffAggregate {
    /// Accounts in it.
    pub count: i64,
    /// Integer sums, [`dimension`] of them.
    pub sums: Vec<i64>,
}

/// The latest contribution of each opted-in account, with its niche for the period. Setting
/// replaces, erasing removes: the aggregate is recomputed from the pool, so erasing then
/// aggregating equals aggregating without the account, exactly.
#[derive(Debug, Clone, Default)]
pub struct SuffStatPool {
    entries: BTreeMap<String, (Niche, Arm, SuffContribution)>,
}

impl SuffStatPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set (replace) `account`'s contribution for `niche` (in the [`Arm::Main`] pool).
    pub fn set(&mut self, account: &str, niche: Niche, c: SuffContribution) -> Result<()> {
        self.set_in(account, niche, Arm::Main, c)
    }

    /// Set (replace) `account`'s contribution for `niche` in the pool `arm`.
    pub fn set_in(
        &mut self,
        account: &str,
        niche: Niche,
        arm: Arm,
        c: SuffContribution,
    ) -> Result<()> {
        if c.sums.len() != dimension() {
            return Err(bad(
                "contribution.sums",
                format!("expected {} values, got {}", dimension(), c.sums.len()),
            ));
        }
        self.entries.insert(account.to_string(), (niche, arm, c));
        Ok(())
    }

    /// Erase `account` (true when it was there).
    pub fn erase(&mut self, account: &str) -> bool {
        self.entries.remove(account).is_some()
    }

    /// Accounts in the pool.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The accounts of `niche` in the [`Arm::Main`] pool (for the ledger).
    pub fn accounts(&self, niche: Niche) -> impl Iterator<Item = &str> + Clone {
        self.accounts_in(niche, Arm::Main)
    }

    /// The accounts of `niche` in the pool `arm`.
    pub fn accounts_in(&self, niche: Niche, arm: Arm) -> impl Iterator<Item = &str> + Clone {
        self.entries
            .iter()
            .filter(move |(_, (n, a, _))| *n == niche && *a == arm)
            .map(|(a, _)| a.as_str())
    }

    /// The exact aggregate of `niche` in the [`Arm::Main`] pool.
    pub fn aggregate(&self, niche: Niche) -> SuffAggregate {
        self.aggregate_in(niche, Arm::Main)
    }

    /// The exact aggregate of `niche` in the pool `arm`.
    pub fn aggregate_in(&self, niche: Niche, arm: Arm) -> SuffAggregate {
        let mut a = SuffAggregate {
            count: 0,
            sums: vec![0; dimension()],
        };
        for (n, pool, c) in self.entries.values() {
            if *n == niche && *pool == arm {
                a.count += 1;
                for (s, x) in a.sums.iter_mut().zip(&c.sums) {
                    *s += x;
                }
            }
        }
        a
    }
}

/// One niche's noisy release (format 2). The noisy sums are kept by the service to build the
/// global release; what an account sees is the [`PosteriorTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NicheSuffRelease {
    /// `"<period>/<niche>"` (an [`Arm::Explorers`] release: `"<period>/<niche>/explorers"`).
    pub release_id: String,
    /// The niche.
    pub niche: Niche,
    /// The pool it releases ([`Arm::Main`] when absent: releases before `contribute: split`).
    #[serde(default, skip_serializing_if = "Arm::is_main")]
    pub arm: Arm,
    /// The period.
    pub period: i64,
    /// Noisy count >= [`niche_count_gate`].
    pub published: bool,
    /// The noisy count (only when published).
    pub noisy_count: Option<i64>,
    /// Noisy sums decoded to natural units (block scale and fixed point undone); empty when not
    /// published.
    pub sums: Vec<f64>,
    /// Noise sd of each decoded sum, per block: `S_x`, `S_xx`, `S_xy`, scalars.
    pub noise_sd: [f64; 4],
    /// `ρ` of this release.
    pub rho: f64,
    /// `ε` at `δ` of this release.
    pub epsilon: f64,
    /// The `δ`.
    pub delta: f64,
    /// `k`.
    pub k: u32,
}

/// The noisy niche count a release needs: `max(k, ⌈t · ln 20⌉)` with `t` the count's discrete
/// Laplace scale, so an empty niche is published with probability below 5 % (60 at the defaults).
pub fn niche_count_gate(cfg: &SuffStatConfig) -> Result<u64> {
    let plan = cfg.validate()?;
    let t = plan.count_scale_num as f64 / plan.count_scale_den as f64;
    Ok(u64::from(cfg.k).max((t * 20f64.ln()).ceil() as u64))
}

/// Release one niche: noise is drawn for every sum and the count whatever the data, in a fixed
/// order (count first). Nothing but noisy sums, the noisy count and parameters leaves.
pub fn release_niche<R: Rng + ?Sized>(
    agg: &SuffAggregate,
    niche: Niche,
    period: i64,
    cfg: &SuffStatConfig,
    rng: &mut R,
) -> Result<NicheSuffRelease> {
    release_niche_in(agg, niche, Arm::Main, period, cfg, rng)
}

/// [`release_niche`] of the pool `arm` (its release id carries [`Arm::suffix`]).
pub fn release_niche_in<R: Rng + ?Sized>(
    agg: &SuffAggregate,
    niche: Niche,
    arm: Arm,
    period: i64,
    cfg: &SuffStatConfig,
    rng: &mut R,
) -> Result<NicheSuffRelease> {
    let plan = cfg.validate()?;
    if agg.sums.len() != dimension() {
        return Err(bad(
            "aggregate.sums",
            format!("expected {} values, got {}", dimension(), agg.sums.len()),
        ));
    }
    let noisy_count =
        i128::from(agg.count) + discrete_laplace(rng, plan.count_scale_num, plan.count_scale_den);
    let noisy: Vec<i128> = agg
        .sums
        .iter()
        .map(|s| i128::from(*s) + discrete_gaussian(rng, plan.sigma2_num, plan.sigma2_den))
        .collect();
    // k, and high enough that the count's noise alone publishes an empty niche with
    // probability below 5 % (scale · ln 20; 60 at the defaults).
    let gate = niche_count_gate(cfg)?;
    let published = noisy_count >= i128::from(gate);
    let scales = block_scales(cfg);
    let m = &cfg.moment_scale;
    let f = cfg.fixed_point_scale;
    Ok(NicheSuffRelease {
        release_id: release_id(period, niche, arm),
        niche,
        arm,
        period,
        published,
        noisy_count: published.then_some(noisy_count as i64),
        sums: if published {
            noisy
                .iter()
                .zip(&scales)
                .map(|(x, s)| *x as f64 / (f * s))
                .collect()
        } else {
            Vec::new()
        },
        noise_sd: [
            plan.sigma / (f * m.x),
            plan.sigma / (f * m.xx),
            plan.sigma / (f * m.xy),
            plan.sigma / (f * m.scalars),
        ],
        rho: plan.rho,
        epsilon: plan.epsilon,
        delta: cfg.delta,
        k: cfg.k,
    })
}

/// Release every niche of one period from one snapshot of the pool, after charging the ledger:
/// when any contributing account would exceed its rolling-window cap, fails with
/// [`crate::privacy::zcdp::BUDGET_EXCEEDED`] and nothing is released or charged. Each account is
/// in one niche and one pool (parallel composition), so it is charged one release's `ρ`. Under
/// `contribute: split` both pools of every niche are released (every main release first, so its
/// noise is what it would be without `split`), whoever is in them.
pub fn release_period<R: Rng + ?Sized>(
    pool: &SuffStatPool,
    period: i64,
    cfg: &SuffStatConfig,
    ledger: &mut PrivacyLedger,
    policy: &BudgetPolicy,
    rng: &mut R,
) -> Result<Vec<NicheSuffRelease>> {
    let plan = cfg.validate()?;
    let day = period * i64::from(cfg.period_days);
    let arms = Arm::released(cfg);
    let all: Vec<&str> = Niche::ALL
        .iter()
        .flat_map(|n| arms.iter().flat_map(move |a| pool.accounts_in(*n, *a)))
        .collect();
    ledger.check(all.iter().copied(), day, plan.rho, policy)?;
    let mut out = Vec::new();
    // Pool by pool: the main pool's draws are those of a configuration without `split`.
    for a in arms {
        for n in Niche::ALL {
            out.push(release_niche_in(
                &pool.aggregate_in(n, *a),
                n,
                *a,
                period,
                cfg,
                rng,
            )?);
        }
    }
    for r in &out {
        ledger.charge(
            pool.accounts_in(r.niche, r.arm),
            day,
            plan.rho,
            &r.release_id,
            policy,
        )?;
    }
    Ok(out)
}

/// Combine each niche's releases of several periods into one (free post-processing; see
/// [`SuffStatConfig::combine_periods`]). Per niche, the noisy sums of its **published**
/// releases are added (each period's noise is independent, so the noise variances add per
/// block), and the combined noisy count is the mean of their noisy counts (an account that
/// contributed in every period is one account, not one per period; the value gate keeps
/// counting accounts). `ρ` is the sum of every combined release's `ρ` (what its accounts were
/// charged; nothing more is spent) and `ε` follows at the latest release's `δ`; `k` and `δ`
/// are the latest release's. A niche with one release is returned unchanged; otherwise the
/// release id is `"<first period>..<last period>/<niche>"` (plus [`Arm::suffix`]). Each pool
/// ([`Arm`]) of a niche is combined on its own. Niches come out in [`Niche::ALL`] order (main
/// pool first), absent niches stay absent.
///
/// Errors: two releases of one niche, pool and period, or published sums of the wrong length.
pub fn combine_periods(releases: &[NicheSuffRelease]) -> Result<Vec<NicheSuffRelease>> {
    let mut out = Vec::new();
    for (n, arm) in Niche::ALL
        .iter()
        .flat_map(|n| [Arm::Main, Arm::Explorers].map(|a| (*n, a)))
    {
        let mut mine: Vec<&NicheSuffRelease> = releases
            .iter()
            .filter(|r| r.niche == n && r.arm == arm)
            .collect();
        mine.sort_by_key(|r| r.period);
        if let Some(w) = mine.windows(2).find(|w| w[0].period == w[1].period) {
            return Err(bad(
                "releases",
                format!(
                    "two releases of niche {} for period {}",
                    arm.release_name(n),
                    w[0].period
                ),
            ));
        }
        let (Some(first), Some(last)) = (mine.first(), mine.last()) else {
            continue;
        };
        if mine.len() == 1 {
            out.push((*last).clone());
            continue;
        }
        let published: Vec<&&NicheSuffRelease> = mine.iter().filter(|r| r.published).collect();
        let mut sums = vec![0.0; if published.is_empty() { 0 } else { dimension() }];
        let mut var = [0.0f64; 4];
        for r in &published {
            if r.sums.len() != dimension() {
                return Err(bad(
                    "releases.sums",
                    format!(
                        "release {}: expected {} values, got {}",
                        r.release_id,
                        dimension(),
                        r.sums.len()
                    ),
                ));
            }
            for (s, x) in sums.iter_mut().zip(&r.sums) {
                *s += x;
            }
            for (v, sd) in var.iter_mut().zip(r.noise_sd) {
                *v += sd * sd;
            }
        }
        let noisy_count = (!published.is_empty()).then(|| {
            let total: i64 = published.iter().map(|r| r.noisy_count.unwrap_or(0)).sum();
            (total as f64 / published.len() as f64).round() as i64
        });
        let rho: f64 = mine.iter().map(|r| r.rho).sum();
        out.push(NicheSuffRelease {
            release_id: format!("{}..{}/{}", first.period, last.period, arm.release_name(n)),
            niche: n,
            arm,
            period: last.period,
            published: !published.is_empty(),
            noisy_count,
            sums,
            noise_sd: if published.is_empty() {
                last.noise_sd
            } else {
                var.map(f64::sqrt)
            },
            rho,
            epsilon: epsilon_of_rho(rho, last.delta),
            delta: last.delta,
            k: last.k,
        });
    }
    Ok(out)
}

/// Where a value's posterior comes from.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosteriorSource {
    /// The niche's own estimate (shown) shrunk towards the global one.
    Niche,
    /// The global estimate only (the niche's own value did not clear its gate).
    Global,
}

/// One value's posterior contrast against the average choice, on the log-odds scale.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValuePosterior {
    /// The cell.
    pub cell: Cell,
    /// Posterior mean (log-odds, relative to the niche's average choice of the factor).
    pub mean: f64,
    /// Posterior sd.
    pub sd: f64,
    /// Where it comes from.
    pub source: PosteriorSource,
    /// The release it comes from (`"<period>/<niche>"`, or `"<period>/global"`).
    pub release_id: String,
}

/// The posteriors of one niche: the contract the CTR model and the recommendations consume.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PosteriorTable {
    /// Release format version ([`SUFFSTAT_VERSION`]).
    pub version: u32,
    /// The niche.
    pub niche: Niche,
    /// Its release id.
    pub release_id: String,
    /// Whether the niche itself was published.
    pub published: bool,
    /// Values with a posterior (values with neither a shown niche estimate nor a shown global
    /// one are absent).
    pub values: Vec<ValuePosterior>,
}

impl PosteriorTable {
    /// The posteriors of `factor` (format: of `platform`).
    pub fn factor(
        &self,
        factor: Factor,
        platform: Option<Platform>,
    ) -> impl Iterator<Item = &ValuePosterior> {
        self.values.iter().filter(move |v| {
            v.cell.factor == factor && (platform.is_none() || v.cell.platform == platform)
        })
    }
}

/// A contrast estimate with its variance.
#[derive(Debug, Clone, Copy)]
struct Est {
    d: f64,
    v: f64,
    shown: bool,
}

/// When a value's own estimate is shown: `k`, the gate's kind and the noisy account count of the
/// sums (a niche's, or the published niches' total for the global release).
#[derive(Debug, Clone, Copy)]
struct Gate {
    k: f64,
    kind: ValueGate,
    accounts: f64,
}

impl Gate {
    /// Shown: `S_x` clears `3σ_x` and the kind's count reaches `k`.
    fn shows(&self, sx: f64, w: f64, sd_x: f64) -> bool {
        match self.kind {
            ValueGate::EffectiveAccounts => sx >= self.k.max(3.0 * sd_x),
            ValueGate::AccountShare => {
                sx >= 3.0 * sd_x && w > 0.0 && (sx / w).min(1.0) * self.accounts >= self.k
            }
        }
    }
}

/// Per cell: the contrast and its variance from noisy sums (None when `S_xx` is not clearly
/// positive). `gate` decides `shown`.
fn estimates(sums: &[f64], noise_sd: [f64; 4], gate: Gate) -> Vec<Option<Est>> {
    let nc = cell_count();
    let cs = cells();
    let (w, syy, suu) = (sums[3 * nc], sums[3 * nc + 1], sums[3 * nc + 2]);
    let phi = if w > 0.0 { (syy / w).max(0.01) } else { 0.25 };
    let ubar = if w > 0.0 {
        (suu / w).clamp(1e-4, 1.0)
    } else {
        0.1
    };
    // Factor totals of S_x (one-hot factors: shares π).
    let mut tot: BTreeMap<(Factor, Option<Platform>), f64> = BTreeMap::new();
    for (i, c) in cs.iter().enumerate() {
        *tot.entry((c.factor, c.platform)).or_default() += sums[i].max(0.0);
    }
    (0..nc)
        .map(|i| {
            let (sx, sxx, sxy) = (sums[i], sums[nc + i], sums[2 * nc + i]);
            if sxx.is_nan() || sxx <= 3.0 * noise_sd[1] || sx <= 0.0 {
                return None;
            }
            let c = &cs[i];
            let pi = if c.factor.one_hot() {
                let t = tot[&(c.factor, c.platform)];
                if t > 0.0 {
                    (sx / t).clamp(0.0, 0.99)
                } else {
                    0.0
                }
            } else {
                0.0
            };
            let beta = sxy / sxx;
            let var = (noise_sd[2] * noise_sd[2] + phi * ubar * sxx) / (sxx * sxx);
            let a = 1.0 - pi;
            Some(Est {
                d: beta * a,
                v: var * a * a,
                shown: gate.shows(sx, w, noise_sd[0]),
            })
        })
        .collect()
}

/// Posterior tables for every niche of one period (post-processing of the releases only): the
/// global release sums the **published** niches' noisy sums; see the module docs. With
/// [`Arm::Explorers`] releases among them (`contribute: split`), each pool gets its own tables
/// (its own global release), and a niche is served from its explorers' table when their release
/// is published with a noisy count of at least [`explorers_switch_count`]. Otherwise it is served
/// from its main release, with the explorers' published noisy sums added to it (the union of
/// the two pools, free post-processing: noise variances add; release id `"<main id>+explorers"`),
/// so a niche with too few explorers to switch still learns from their records. The value gate
/// keeps the main release's noisy count: an empty explorers' pool that passed the count gate by
/// noise must not count as accounts. The output follows the main releases' order, then any
/// niche only the explorers released.
pub fn posteriors(releases: &[NicheSuffRelease], cfg: &SuffStatConfig) -> Vec<PosteriorTable> {
    if releases.iter().all(|r| r.arm == Arm::Main) {
        return posteriors_of_pool(releases, cfg);
    }
    let (main, explorers): (Vec<NicheSuffRelease>, Vec<NicheSuffRelease>) =
        releases.iter().cloned().partition(|r| r.arm == Arm::Main);
    let switch = explorers_switch_count(cfg).unwrap_or(f64::INFINITY);
    let enough: Vec<Niche> = explorers
        .iter()
        .filter(|r| r.published && r.noisy_count.is_some_and(|c| c as f64 >= switch))
        .map(|r| r.niche)
        .collect();
    let explored = posteriors_of_pool(&explorers, cfg);
    let union: Vec<NicheSuffRelease> = main
        .iter()
        .map(|m| {
            match explorers
                .iter()
                .find(|e| e.niche == m.niche && e.published && e.sums.len() == m.sums.len())
            {
                Some(e) if m.published => NicheSuffRelease {
                    release_id: format!("{}+explorers", m.release_id),
                    sums: m.sums.iter().zip(&e.sums).map(|(a, b)| a + b).collect(),
                    noise_sd: std::array::from_fn(|j| m.noise_sd[j].hypot(e.noise_sd[j])),
                    ..m.clone()
                },
                _ => m.clone(),
            }
        })
        .collect();
    let mut out: Vec<PosteriorTable> = posteriors_of_pool(&union, cfg)
        .into_iter()
        .map(|t| {
            match explored
                .iter()
                .find(|e| e.niche == t.niche && enough.contains(&e.niche))
            {
                Some(e) => e.clone(),
                None => t,
            }
        })
        .collect();
    for e in explored {
        if !out.iter().any(|t| t.niche == e.niche) {
            out.push(e);
        }
    }
    out
}

/// The noisy explorer count at which a niche's explorers' release takes over from its main one
/// ([`Contribute::Split`]): the count gate, and at least `t · ln 10⁴` with `t` the count's
/// discrete Laplace scale, so an empty explorers' pool takes a niche over with probability
/// below 10⁻⁴ per release (184 at the default `count_epsilon` 0.05; the count gate alone, 5 %,
/// would let noise replace the main release of some niche nearly every year).
pub fn explorers_switch_count(cfg: &SuffStatConfig) -> Result<f64> {
    let plan = cfg.validate()?;
    let t = plan.count_scale_num as f64 / plan.count_scale_den as f64;
    Ok((niche_count_gate(cfg)? as f64).max((t * 1e4f64.ln()).ceil()))
}

/// [`posteriors`] of the releases of one pool.
fn posteriors_of_pool(releases: &[NicheSuffRelease], cfg: &SuffStatConfig) -> Vec<PosteriorTable> {
    let nc = cell_count();
    let cs = cells();
    let k = f64::from(cfg.k);
    let published: Vec<&NicheSuffRelease> = releases.iter().filter(|r| r.published).collect();
    // The global release's id: the niches' period part (`"<period>"`, or `"<first>..<last>"`
    // for combined releases) and `global`.
    let global_id = match releases.first() {
        Some(r) => match r.release_id.split_once('/') {
            Some((p, _)) => format!("{p}/global{}", r.arm.suffix()),
            None => format!("{}/global{}", r.period, r.arm.suffix()),
        },
        None => "0/global".to_string(),
    };
    let m = published.len() as f64;
    let mut global: Option<Vec<Option<Est>>> = None;
    if let Some(first) = published.first() {
        let mut sums = vec![0.0; dimension()];
        for r in &published {
            for (s, x) in sums.iter_mut().zip(&r.sums) {
                *s += x;
            }
        }
        // Independent noise: variances add. Releases of one configuration share their noise sd
        // (the common case, kept exactly as `sd · √m`); combined releases may not.
        let sd = if published.iter().all(|r| r.noise_sd == first.noise_sd) {
            first.noise_sd.map(|s| s * m.sqrt())
        } else {
            let mut v = [0.0f64; 4];
            for r in &published {
                for (a, s) in v.iter_mut().zip(r.noise_sd) {
                    *a += s * s;
                }
            }
            v.map(f64::sqrt)
        };
        let accounts = published
            .iter()
            .map(|r| r.noisy_count.unwrap_or(0) as f64)
            .sum();
        global = Some(estimates(
            &sums,
            sd,
            Gate {
                k,
                kind: cfg.value_gate,
                accounts,
            },
        ));
    }
    // Global shrinkage towards 0 within each factor (between-value variance, moments).
    let mut global_post: Vec<Option<(f64, f64)>> = vec![None; nc];
    let groups: Vec<(Factor, Option<Platform>)> = {
        let mut g: Vec<_> = cs.iter().map(|c| (c.factor, c.platform)).collect();
        g.dedup();
        g
    };
    if let Some(g) = &global {
        for key in &groups {
            let idx: Vec<usize> = (0..nc)
                .filter(|i| (cs[*i].factor, cs[*i].platform) == *key)
                .filter(|i| g[*i].is_some_and(|e| e.shown))
                .collect();
            if idx.is_empty() {
                continue;
            }
            let n = idx.len() as f64;
            let ss: f64 = idx
                .iter()
                .map(|i| g[*i].map_or(0.0, |e| e.d * e.d - e.v))
                .sum();
            let tau2 = (ss / n).max(0.0);
            for i in idx {
                let e = g[i].unwrap_or(Est {
                    d: 0.0,
                    v: 1.0,
                    shown: false,
                });
                let post = if tau2 > 0.0 {
                    let s = tau2 / (tau2 + e.v);
                    (e.d * s, (e.v * s).sqrt())
                } else {
                    // The moment estimate of the between-value variance is 0: the values are
                    // indistinguishable from the average choice, so the mean shrinks to 0; the sd
                    // stays the estimate's own (the limit of an unknown prior variance), never 0.
                    (0.0, e.v.sqrt())
                };
                global_post[i] = Some(post);
            }
        }
    }
    // Niche estimates and the between-niche variance per factor (DerSimonian-Laird).
    let niche_est: Vec<(Niche, Vec<Option<Est>>)> = published
        .iter()
        .map(|r| {
            (
                r.niche,
                estimates(
                    &r.sums,
                    r.noise_sd,
                    Gate {
                        k,
                        kind: cfg.value_gate,
                        accounts: r.noisy_count.unwrap_or(0) as f64,
                    },
                ),
            )
        })
        .collect();
    let mut tau2_between: BTreeMap<(Factor, Option<Platform>), f64> = BTreeMap::new();
    for key in &groups {
        let (mut q, mut df, mut c) = (0.0, 0.0, 0.0);
        for i in (0..nc).filter(|i| (cs[*i].factor, cs[*i].platform) == *key) {
            let ests: Vec<Est> = niche_est
                .iter()
                .filter_map(|(_, e)| e[i].filter(|x| x.shown))
                .collect();
            if ests.len() < 2 {
                continue;
            }
            let sw: f64 = ests.iter().map(|e| 1.0 / e.v).sum();
            let sw2: f64 = ests.iter().map(|e| 1.0 / (e.v * e.v)).sum();
            let mean = ests.iter().map(|e| e.d / e.v).sum::<f64>() / sw;
            q += ests.iter().map(|e| (e.d - mean).powi(2) / e.v).sum::<f64>();
            df += (ests.len() - 1) as f64;
            c += sw - sw2 / sw;
        }
        let tau2 = if c > 0.0 {
            ((q - df) / c).max(0.0)
        } else {
            0.0
        };
        tau2_between.insert(*key, tau2);
    }
    releases
        .iter()
        .map(|r| {
            let own = niche_est
                .iter()
                .find(|(n, _)| *n == r.niche)
                .map(|(_, e)| e);
            let mut values = Vec::new();
            for (i, cell) in cs.iter().enumerate() {
                let gp = global_post[i];
                let tau2 = tau2_between[&(cell.factor, cell.platform)];
                let ne = own.and_then(|e| e[i]).filter(|e| e.shown);
                match (gp, ne) {
                    (Some((gm, gs)), Some(e)) => {
                        let pv = tau2 + gs * gs;
                        let (mean, var) = if pv > 0.0 {
                            let prec = 1.0 / pv + 1.0 / e.v;
                            ((gm / pv + e.d / e.v) / prec, 1.0 / prec)
                        } else {
                            (gm, 0.0)
                        };
                        values.push(ValuePosterior {
                            cell: cell.clone(),
                            mean,
                            sd: var.sqrt(),
                            source: PosteriorSource::Niche,
                            release_id: r.release_id.clone(),
                        });
                    }
                    (Some((gm, gs)), None) => values.push(ValuePosterior {
                        cell: cell.clone(),
                        mean: gm,
                        sd: (gs * gs + tau2).sqrt(),
                        source: PosteriorSource::Global,
                        release_id: global_id.clone(),
                    }),
                    (None, Some(e)) => values.push(ValuePosterior {
                        cell: cell.clone(),
                        mean: e.d,
                        sd: e.v.sqrt(),
                        source: PosteriorSource::Niche,
                        release_id: r.release_id.clone(),
                    }),
                    (None, None) => {}
                }
            }
            PosteriorTable {
                version: SUFFSTAT_VERSION,
                niche: r.niche,
                release_id: r.release_id.clone(),
                published: r.published,
                values: if r.published || global.is_some() {
                    values
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}
