//! The grounded CTR model: a multilevel (partially pooled) logistic model fitted to real
//! exports, with attribute priors from a wisdom release, over-dispersion, honest predictive
//! intervals and on-device personalisation.
//!
//! **Model.** For a creative `i` of account `a` on platform `p` in niche `n`,
//!
//! ```text
//! clicks_i ~ Binomial(impressions_i, σ(η_i + e_i)),   e_i ~ σ_c · t_5          (creative effect)
//! η_i = μ_p + δ_{p,n} + u_a + Σ_k β_k x_ik                                   (x: hook, CTA, format, visual tags)
//! δ_{p,n} ~ N(0, σ_n²),  u_a ~ N(0, σ_a²),  β_k ~ N(m_k, s_k²),  μ_p ~ N(logit 1 %, 3²)
//! ```
//!
//! `m_k, s_k` come from a release's per-value posterior ([`EffectPriors::from_posteriors`]) when
//! one is given, else `0` and the wide [`GroundedConfig::effect_sd`]. `δ` pools sparse
//! platform x niche cells towards the platform rate; `u_a` separates the accounts in the
//! training data (each real export is one advertiser) from the platform rate a new account
//! starts from.
//!
//! **Fit** ([`fit_grounded`]): the maximum a posteriori estimate by Newton's method, with the
//! creative effect integrated out approximately: each creative's binomial likelihood is scaled
//! by `s_i = 1/(1 + n_i p_i (1 − p_i) σ_c²)` (a creative with a million impressions still carries
//! one draw of `e_i`). `σ_c` is re-estimated per account by maximum marginal likelihood on a grid
//! (0-2 by 0.05; the logit-t binomial likelihood of the account's creatives with at least
//! [`GroundedConfig::min_impressions`], plus the pooled likelihood with the weight of 10
//! creatives), and `σ_a²` by the empirical-Bayes update
//! `mean(u_a² + var u_a)` floored at [`GroundedConfig::account_sd_floor`]; four rounds. Parameter
//! sds are the square roots of the diagonal of the inverse Hessian. Every `exp`/`ln` is `libm`, so
//! the fit is bit-for-bit identical on every platform and in wasm.
//!
//! **Prediction** ([`GroundedModel::predict`]): the logit is `η + N(0, var η + σ_a²) + σ_c·t_df`
//! (`var η` from the covariance; `σ_a²` only for a new account, dropped for a known or personalised
//! one; `t_df` as an equal-weight 6-point scale mixture of normals, `GroundedConfig::creative_df`,
//! default 5: the real exports' creative spread is heavy-tailed). The CTR shown is the predictive
//! median `σ(η)` (the typical creative, the centre of its interval; on the real exports better
//! calibrated and with lower log loss than the mean, docs/ctr.md); the predictive mean (24-point
//! Gauss-Hermite per component) is `mean`; the 95 % interval is `σ` of the mixture's 2.5 % and
//! 97.5 % quantiles. [`click_interval`] gives the 95 % interval of a creative's clicks given its
//! impressions (the same mixture over binomials).
//!
//! **Personalisation** ([`personalise`], a pure function): an account's own records give the
//! posterior of its intercept `u ~ N(0, σ_a²)` and of deviations `d_k ~ N(0, deviation_sd²)` of
//! the attribute values it used, with the population model as an offset, and its own creative
//! sd (maximum likelihood on its records, shrunk towards `σ_c` with the weight of 10 creatives). No usable record → the
//! model unchanged and the reason.

use super::baseline::gauss_hermite;
use super::encode::CreativeAttributes;
use super::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{AdFormat, CtaStyle, HookType, VisualTag};
use crate::wisdom::suffstat::{Factor, PosteriorTable};
use crate::wisdom::NicheWisdom;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version tag of the model file format.
pub const GROUNDED_VERSION: &str = "ctr-grounded-v1";

/// Platforms with an intercept (in this order).
const PLATFORMS: [Platform; 3] = [Platform::Meta, Platform::Tiktok, Platform::GoogleAds];

fn sig(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + libm::exp(-z))
    } else {
        let e = libm::exp(z);
        e / (1.0 + e)
    }
}

fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

/// Which attribute an effect belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectFactor {
    /// Hook type.
    Hook,
    /// CTA style.
    Cta,
    /// Format.
    Format,
    /// A visual tag (present or not).
    Visual,
}

impl EffectFactor {
    /// Whether `value` is a known, non-`unknown` wire name of this factor.
    fn accepts(self, value: &str) -> bool {
        match self {
            EffectFactor::Hook => value
                .parse::<HookType>()
                .is_ok_and(|v| v != HookType::Unknown && v.as_str() == value),
            EffectFactor::Cta => value
                .parse::<CtaStyle>()
                .is_ok_and(|v| v != CtaStyle::Unknown && v.as_str() == value),
            EffectFactor::Format => value
                .parse::<AdFormat>()
                .is_ok_and(|v| v != AdFormat::Unknown && v.as_str() == value),
            EffectFactor::Visual => value
                .parse::<VisualTag>()
                .is_ok_and(|v| v.as_str() == value),
        }
    }
}

/// The attribute values of a creative that carry an effect (`unknown` values carry none).
fn effect_keys(a: &CreativeAttributes) -> Vec<(EffectFactor, &'static str)> {
    let mut k = Vec::with_capacity(3 + a.visual_tags.len());
    if a.hook_type != HookType::Unknown {
        k.push((EffectFactor::Hook, a.hook_type.as_str()));
    }
    if a.cta_style != CtaStyle::Unknown {
        k.push((EffectFactor::Cta, a.cta_style.as_str()));
    }
    if a.format != AdFormat::Unknown {
        k.push((EffectFactor::Format, a.format.as_str()));
    }
    for t in &a.visual_tags {
        k.push((EffectFactor::Visual, t.as_str()));
    }
    k.sort_unstable();
    k.dedup();
    k
}

/// A prior on one attribute value's effect, on the log-odds scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectPrior {
    /// The attribute.
    pub factor: EffectFactor,
    /// The value's wire name (`"question"`, `"shop_now"`).
    pub value: String,
    /// Prior mean (log-odds).
    pub mean: f64,
    /// Prior sd (log-odds, > 0).
    pub sd: f64,
}

/// A checked set of [`EffectPrior`]s with the release they come from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectPriors {
    release_id: Option<String>,
    priors: BTreeMap<(EffectFactor, String), (f64, f64)>,
}

impl EffectPriors {
    /// No release: every effect gets the wide prior.
    pub fn none() -> Self {
        EffectPriors::default()
    }

    /// Check `priors` (finite mean, finite sd > 0, a known value of the factor, no repeats); an
    /// error names the entry (`effect_priors[2].sd`).
    pub fn new(release_id: Option<String>, priors: Vec<EffectPrior>) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (i, p) in priors.into_iter().enumerate() {
            let f = |name: &str| format!("effect_priors[{i}].{name}");
            if !p.mean.is_finite() {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    f("mean"),
                    format!("must be a finite log-odds, got {}", p.mean),
                ));
            }
            if !(p.sd.is_finite() && p.sd > 0.0) {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    f("sd"),
                    format!("must be a finite sd > 0, got {}", p.sd),
                ));
            }
            if !p.factor.accepts(&p.value) {
                return Err(Error::field(
                    ErrorCode::UnknownValue,
                    f("value"),
                    format!("{:?} is not a known {:?} value", p.value, p.factor),
                ));
            }
            if map.insert((p.factor, p.value), (p.mean, p.sd)).is_some() {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("effect_priors[{i}]"),
                    "a second prior for the same value",
                ));
            }
        }
        Ok(EffectPriors {
            release_id,
            priors: map,
        })
    }

    /// Priors from a release's posterior table (hook, CTA and visual values; format cells, which
    /// a release states per platform, are skipped because the model's format effect is shared).
    /// An error names the table's entry (`values[3].sd`).
    pub fn from_posteriors(table: &PosteriorTable) -> Result<Self> {
        let mut v = Vec::new();
        // The index in `table.values` of each prior, for error names.
        let mut at = Vec::new();
        for (k, p) in table.values.iter().enumerate() {
            let factor = match p.cell.factor {
                Factor::Hook => EffectFactor::Hook,
                Factor::Cta => EffectFactor::Cta,
                Factor::Visual => EffectFactor::Visual,
                _ => continue,
            };
            v.push(EffectPrior {
                factor,
                value: p.cell.value.clone(),
                mean: p.mean,
                sd: p.sd,
            });
            at.push(k);
        }
        EffectPriors::new(Some(table.release_id.clone()), v).map_err(|e| {
            let field = e.field.as_deref().and_then(|f| {
                let rest = f.strip_prefix("effect_priors[")?;
                let (j, tail) = rest.split_once(']')?;
                let k = at.get(j.parse::<usize>().ok()?)?;
                Some(format!("values[{k}]{tail}"))
            });
            Error {
                field: field.or(e.field.clone()),
                ..e
            }
        })
    }

    /// The release id, when the priors come from one.
    pub fn release_id(&self) -> Option<&str> {
        self.release_id.as_deref()
    }

    /// Number of priors.
    pub fn len(&self) -> usize {
        self.priors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.priors.is_empty()
    }
}

/// One creative's outcome: what the fit and the personalisation consume.
#[derive(Debug, Clone, PartialEq)]
pub struct CreativeObs {
    /// The advertiser account.
    pub account: String,
    /// Its attributes.
    pub attrs: CreativeAttributes,
    /// Impressions.
    pub impressions: u64,
    /// Clicks (`<= impressions`).
    pub clicks: u64,
}

impl CreativeObs {
    /// Why this observation cannot be used, if it cannot.
    fn unusable(&self) -> Option<&'static str> {
        if self.impressions == 0 {
            Some("no impressions")
        } else if self.clicks > self.impressions {
            Some("more clicks than impressions")
        } else if !PLATFORMS.contains(&self.attrs.platform) {
            Some("unknown platform")
        } else {
            None
        }
    }
}

/// Fit settings (all sds on the log-odds scale).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundedConfig {
    /// Prior sd of an attribute effect without a release prior (the "wide" prior).
    pub effect_sd: f64,
    /// Prior sd of a platform x niche deviation from the platform rate.
    pub niche_sd: f64,
    /// Prior sd of a platform rate around logit(1 %).
    pub platform_sd: f64,
    /// Floor of the between-account sd `σ_a` (estimated from the training accounts above it).
    pub account_sd_floor: f64,
    /// Prior sd of an account's deviation from an attribute effect (personalisation).
    pub deviation_sd: f64,
    /// Creatives with fewer impressions do not enter the `σ_c` estimate.
    pub min_impressions: u64,
    /// Alternating rounds of (fit, variance update).
    pub rounds: usize,
    /// Degrees of freedom of the Student-t creative effect (`0`: normal). Default 5: the real
    /// exports' creative spread is heavy-tailed (Meta sd / robust sd 1.6, Kaggle excess kurtosis
    /// 4.0, `data/sim-v2-prior.json` notes).
    pub creative_df: f64,
}

impl Default for GroundedConfig {
    fn default() -> Self {
        GroundedConfig {
            effect_sd: 0.5,
            niche_sd: 0.5,
            platform_sd: 3.0,
            account_sd_floor: 0.5,
            deviation_sd: 0.1,
            min_impressions: 100,
            rounds: 4,
            creative_df: 5.0,
        }
    }
}

impl GroundedConfig {
    /// Reject a non-positive or non-finite sd or zero rounds, naming the field.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("effect_sd", self.effect_sd),
            ("niche_sd", self.niche_sd),
            ("platform_sd", self.platform_sd),
            ("account_sd_floor", self.account_sd_floor),
            ("deviation_sd", self.deviation_sd),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    name,
                    format!("must be a finite sd > 0, got {v}"),
                ));
            }
        }
        if !(self.creative_df == 0.0 || (self.creative_df.is_finite() && self.creative_df >= 2.5)) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "creative_df",
                format!(
                    "must be 0 (normal) or a finite df >= 2.5, got {}",
                    self.creative_df
                ),
            ));
        }
        if self.rounds == 0 {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "rounds",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// A fitted coefficient: posterior mean and sd (log-odds).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coef {
    /// Posterior mean.
    pub mean: f64,
    /// Posterior sd.
    pub sd: f64,
}

/// A platform's base rate (logit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformCoef {
    /// The platform.
    pub platform: Platform,
    /// Its logit base rate.
    pub coef: Coef,
}

/// A platform x niche deviation from the platform rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellCoef {
    /// The platform.
    pub platform: Platform,
    /// The niche.
    pub niche: Niche,
    /// The deviation.
    pub coef: Coef,
    /// Training creatives in the cell.
    pub creatives: u64,
}

/// An attribute value's effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectCoef {
    /// The attribute.
    pub factor: EffectFactor,
    /// The value's wire name.
    pub value: String,
    /// Posterior effect.
    pub coef: Coef,
    /// The prior it was fitted with.
    pub prior: Coef,
    /// Whether the prior came from a release (else the wide prior).
    pub prior_from_release: bool,
    /// Training creatives with the value.
    pub creatives: u64,
}

/// A training account's intercept (deviation from the platform rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountCoef {
    /// The account id.
    pub account: String,
    /// Its intercept.
    pub coef: Coef,
    /// Its training creatives.
    pub creatives: u64,
    /// Its between-creative sd (its own moment estimate shrunk towards the pooled one with the
    /// weight of 10 creatives).
    pub creative_sd: f64,
}

/// One data source of the fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct SourceNote {
    /// Name (file name of a real export).
    pub name: String,
    /// Whether the source is real data (`false`: simulated).
    pub real: bool,
    /// Creatives from it.
    pub creatives: u64,
    /// Their impressions.
    pub impressions: u64,
    /// Their clicks.
    pub clicks: u64,
}

/// Where a model's numbers come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Provenance {
    /// Data sources.
    pub sources: Vec<SourceNote>,
    /// Parts that are assumptions or simulated, not measured.
    pub assumptions: Vec<String>,
    /// The release of the effect priors, when any.
    pub release_id: Option<String>,
    /// The command that reproduces the file.
    pub command: String,
}

impl Provenance {
    /// Real creatives behind the fit (the sum over its real sources).
    pub fn real_creatives(&self) -> u64 {
        self.real_sources().map(|s| s.creatives).sum()
    }

    /// The real (not simulated) sources.
    pub fn real_sources(&self) -> impl Iterator<Item = &SourceNote> {
        self.sources.iter().filter(|s| s.real)
    }
}

/// An account's personal deviations (see [`personalise`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Personal {
    /// Records used.
    pub records: u64,
    /// The account's intercept.
    pub intercept: Coef,
    /// Deviations of the attribute values it used.
    pub deviations: Vec<EffectCoef>,
    /// Posterior covariance of (intercept, deviations...), row-major.
    pub covariance: Vec<f64>,
    /// The account's between-creative sd: its own maximum-likelihood estimate shrunk towards the
    /// population's with the weight of 10 creatives.
    pub creative_sd: f64,
}

/// A platform's CTR across a niche's accounts as a wisdom release publishes it (its p10, median
/// and p90 of account CTRs): a base rate measured on many accounts, which
/// [`GroundedModel::with_released_rates`] puts in place of the exports' platform x niche rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ReleasedRate {
    /// The niche.
    pub niche: Niche,
    /// The platform.
    pub platform: Platform,
    /// 10th percentile of the accounts' CTRs (in (0, 1)).
    pub p10: f64,
    /// Median (in `[p10, p90]`).
    pub p50: f64,
    /// 90th percentile (in (0, 1)).
    pub p90: f64,
    /// Accounts behind it (>= 1).
    pub accounts: u64,
    /// The release it comes from (`fitness/2026-48`).
    pub release_id: String,
}

/// 2 x the standard normal's 90 % quantile: the width of p10..p90 in sds.
const P10_P90_SDS: f64 = 2.0 * 1.281_551_565_544_600_5;

impl ReleasedRate {
    fn check(&self, at: &str) -> Result<()> {
        let bad = |f: &str, why: String| {
            Err(Error::field(
                ErrorCode::InvalidValue,
                format!("{at}.{f}"),
                why,
            ))
        };
        for (f, v) in [("p10", self.p10), ("p50", self.p50), ("p90", self.p90)] {
            if !(v.is_finite() && v > 0.0 && v < 1.0) {
                return bad(f, format!("must be a CTR in (0, 1), got {v}"));
            }
        }
        if !(self.p10 <= self.p50 && self.p50 <= self.p90) {
            return bad(
                "p50",
                format!(
                    "needs p10 <= p50 <= p90, got {} / {} / {}",
                    self.p10, self.p50, self.p90
                ),
            );
        }
        if self.accounts == 0 {
            return bad("accounts", "must be at least 1".into());
        }
        if !PLATFORMS.contains(&self.platform) {
            return bad(
                "platform",
                format!("no base rate for platform {}", self.platform),
            );
        }
        if self.niche == Niche::Unknown {
            return bad("niche", "must be a niche, not unknown".into());
        }
        Ok(())
    }

    /// The between-account sd of logit CTR implied by p10..p90.
    fn account_sd(&self) -> f64 {
        (logit(self.p90) - logit(self.p10)) / P10_P90_SDS
    }

    /// The base rates a published release offers the model: one per platform the model has a
    /// rate for whose CTR distribution the release publishes (p10..p90 inside (0, 1) and in
    /// order; a degenerate histogram is skipped, not an error), with the release id
    /// `<niche>/<period>`. An unpublished release or the `unknown` niche offers none. What the
    /// editor, the CLI and the Worker all build their rates with.
    pub fn of_release(w: &NicheWisdom) -> Vec<ReleasedRate> {
        if !w.published || w.niche == Niche::Unknown {
            return Vec::new();
        }
        w.platforms
            .iter()
            .filter(|p| PLATFORMS.contains(&p.platform) && p.accounts > 0)
            .filter_map(|p| {
                let q = p.ctr.as_ref()?;
                let ok = 0.0 < q.p10 && q.p10 <= q.p50 && q.p50 <= q.p90 && q.p90 < 1.0;
                ok.then(|| ReleasedRate {
                    niche: w.niche,
                    platform: p.platform,
                    p10: q.p10,
                    p50: q.p50,
                    p90: q.p90,
                    accounts: p.accounts,
                    release_id: format!("{}/{}", w.niche, w.period),
                })
            })
            .collect()
    }
}

/// One attribute value's effect for a niche after a release's posterior is combined with the
/// model's estimate ([`GroundedModel::with_effect_posteriors`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CombinedEffect {
    /// The attribute.
    pub factor: EffectFactor,
    /// The value's wire name.
    pub value: String,
    /// The combined effect (log-odds).
    pub coef: Coef,
}

/// A niche's attribute effects with a release's posteriors as their priors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NicheEffects {
    /// The niche.
    pub niche: Niche,
    /// The release of the posteriors.
    pub release_id: String,
    /// The values the release has a posterior for.
    pub effects: Vec<CombinedEffect>,
}

/// The grounded model (serialised as JSON: [`GroundedModel::to_json`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroundedModel {
    /// [`GROUNDED_VERSION`].
    pub version: String,
    /// Sources and assumptions.
    pub provenance: Provenance,
    /// The settings it was fitted with.
    pub config: GroundedConfig,
    /// Platform base rates (logit).
    pub platforms: Vec<PlatformCoef>,
    /// Platform x niche deviations.
    pub cells: Vec<CellCoef>,
    /// Attribute effects.
    pub effects: Vec<EffectCoef>,
    /// Training accounts' intercepts.
    pub accounts: Vec<AccountCoef>,
    /// Posterior covariance of all coefficients, row-major, in the order platforms, cells,
    /// effects, accounts (the platform and account intercepts are strongly anti-correlated when a
    /// platform has one account, so prediction variances need it).
    pub covariance: Vec<f64>,
    /// Between-creative sd `σ_c` (log-odds).
    pub creative_sd: f64,
    /// Between-account sd `σ_a` (log-odds).
    pub account_sd: f64,
    /// Personal deviations of the account this copy was personalised for.
    #[serde(default)]
    pub personal: Option<Personal>,
    /// Base rates from a release, per (niche, platform) ([`GroundedModel::with_released_rates`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub released: Vec<ReleasedRate>,
    /// Per-niche effects with a release's posteriors as priors
    /// ([`GroundedModel::with_effect_posteriors`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub niche_effects: Vec<NicheEffects>,
}

/// A prediction for one creative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct GroundedPrediction {
    /// The CTR of the typical creative like this one: the predictive median `σ(η)`, the centre
    /// of the interval (the number to show).
    pub ctr: f64,
    /// The predictive mean `E[σ(η + sd·Z)]` (expected clicks per impression, for sums over
    /// creatives; above `ctr` by the spread of the creative effect).
    pub mean: f64,
    /// Lower end of the 95 % predictive interval of the creative's CTR.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Linear predictor (logit).
    pub eta: f64,
    /// The normal part of the predictive sd of the creative's logit CTR (parameters, and the
    /// between-account sd for a new account).
    pub sd: f64,
    /// Scale of the creative effect (Student-t with `creative_df`, normal when 0).
    pub creative_sd: f64,
    /// Degrees of freedom of the creative effect (0: normal).
    pub creative_df: f64,
}

impl GroundedPrediction {
    /// The sds of the normal components of the predictive logit distribution (equal weights).
    fn components(&self) -> Vec<f64> {
        scale_points(self.creative_df)
            .iter()
            .map(|m| (self.sd * self.sd + (self.creative_sd * m).powi(2)).sqrt())
            .collect()
    }
}

/// Whose creative is predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// A new account: between-account variation is in the interval (or the personal deviations
    /// when the model was personalised).
    New,
    /// A training account (its fitted intercept; falls back to [`Audience::New`] when unknown).
    Account(&'a str),
}

impl GroundedModel {
    /// The model as pretty JSON (stable field order).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Parse and check a model file; a malformed file is an error naming the field.
    pub fn from_json(text: &str) -> Result<Self> {
        let m: GroundedModel = serde_json::from_str(text).map_err(|e| {
            Error::field(
                ErrorCode::Malformed,
                "ctr_grounded_model",
                format!("not a grounded CTR model file: {e}"),
            )
        })?;
        m.check()?;
        Ok(m)
    }

    fn check(&self) -> Result<()> {
        let bad =
            |field: String, why: String| Err(Error::field(ErrorCode::InvalidValue, field, why));
        if self.version != GROUNDED_VERSION {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "version",
                format!("expected {GROUNDED_VERSION:?}, got {:?}", self.version),
            ));
        }
        self.config.validate()?;
        let coef_ok = |c: &Coef| c.mean.is_finite() && c.sd.is_finite() && c.sd >= 0.0;
        for (i, p) in self.platforms.iter().enumerate() {
            if !coef_ok(&p.coef) {
                return bad(format!("platforms[{i}].coef"), "not finite".into());
            }
        }
        for (i, c) in self.cells.iter().enumerate() {
            if !coef_ok(&c.coef) {
                return bad(format!("cells[{i}].coef"), "not finite".into());
            }
        }
        for (i, e) in self.effects.iter().enumerate() {
            if !coef_ok(&e.coef) {
                return bad(format!("effects[{i}].coef"), "not finite".into());
            }
            if !e.factor.accepts(&e.value) {
                return bad(
                    format!("effects[{i}].value"),
                    format!("{:?} is not a known {:?} value", e.value, e.factor),
                );
            }
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if !(a.creative_sd.is_finite() && a.creative_sd >= 0.0) {
                return bad(
                    format!("accounts[{i}].creative_sd"),
                    "not a finite sd".into(),
                );
            }
            if !coef_ok(&a.coef) {
                return bad(format!("accounts[{i}].coef"), "not finite".into());
            }
        }
        for (name, v) in [
            ("creative_sd", self.creative_sd),
            ("account_sd", self.account_sd),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(name.into(), format!("must be a finite sd >= 0, got {v}"));
            }
        }
        if let Some(p) = &self.personal {
            let pd = p.deviations.len() + 1;
            if !(p.creative_sd.is_finite() && p.creative_sd >= 0.0) {
                return bad("personal.creative_sd".into(), "not a finite sd".into());
            }
            if p.covariance.len() != pd * pd || p.covariance.iter().any(|x| !x.is_finite()) {
                return bad(
                    "personal.covariance".into(),
                    format!("needs {pd} x {pd} finite entries"),
                );
            }
        }
        for (i, r) in self.released.iter().enumerate() {
            r.check(&format!("released[{i}]"))?;
            if self.released[..i]
                .iter()
                .any(|o| o.niche == r.niche && o.platform == r.platform)
            {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("released[{i}]"),
                    format!("a second rate for {} on {}", r.niche, r.platform),
                ));
            }
        }
        for (i, ne) in self.niche_effects.iter().enumerate() {
            if self.niche_effects[..i].iter().any(|o| o.niche == ne.niche) {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("niche_effects[{i}]"),
                    format!("a second set of effects for {}", ne.niche),
                ));
            }
            for (j, e) in ne.effects.iter().enumerate() {
                if !(coef_ok(&e.coef) && e.coef.sd > 0.0 && e.factor.accepts(&e.value)) {
                    return bad(
                        format!("niche_effects[{i}].effects[{j}]"),
                        "needs a known value with a finite mean and sd > 0".into(),
                    );
                }
            }
        }
        let d = self.dimension();
        if self.covariance.len() != d * d || self.covariance.iter().any(|x| !x.is_finite()) {
            return bad(
                "covariance".into(),
                format!(
                    "needs {d} x {d} finite entries, got {}",
                    self.covariance.len()
                ),
            );
        }
        if PLATFORMS
            .iter()
            .any(|p| !self.platforms.iter().any(|c| c.platform == *p))
        {
            return bad(
                "platforms".into(),
                "needs a rate for meta, tiktok and google_ads".into(),
            );
        }
        Ok(())
    }

    /// A copy whose base rate for each given (niche, platform) is the release's: the logit of
    /// the accounts' median CTR in place of the exports' platform x niche rate, and the spread of
    /// the accounts' CTRs (p10..p90, as a normal on the logit scale) in place of the
    /// between-account sd for a new account. The attribute effects stay the model's, centred on
    /// the exports' average creative (the release's median is an average account's mix). Pairs
    /// not given keep the exports' rate; an empty list removes every released rate. Errors name
    /// the entry (`rates[2].p50`); a pair given twice is a `duplicate` error.
    pub fn with_released_rates(&self, rates: Vec<ReleasedRate>) -> Result<GroundedModel> {
        let m = GroundedModel {
            released: rates,
            ..self.clone()
        };
        m.check().map_err(|e| Error {
            field: e.field.map(|f| f.replacen("released", "rates", 1)),
            ..e
        })?;
        Ok(m)
    }

    /// The model on a set of releases, as every surface applies them: the base rates of the
    /// published releases ([`ReleasedRate::of_release`]) and, per niche, the published format-2
    /// posterior table as effect priors ([`GroundedModel::with_effect_posteriors`]; unpublished
    /// tables are skipped). Only the niches in `niches` are taken (`None`: all), so a caller
    /// scoring a few creatives does not pay for the others. Errors name the table or the rate.
    pub fn on_releases(
        &self,
        releases: &[NicheWisdom],
        tables: &[PosteriorTable],
        niches: Option<&[Niche]>,
    ) -> Result<GroundedModel> {
        let wanted = |n: Niche| niches.is_none_or(|ns| ns.contains(&n));
        let rates = releases
            .iter()
            .filter(|w| wanted(w.niche))
            .flat_map(ReleasedRate::of_release)
            .collect();
        let tables: Vec<PosteriorTable> = tables
            .iter()
            .filter(|t| t.published && wanted(t.niche))
            .cloned()
            .collect();
        self.with_released_rates(rates)?
            .with_effect_posteriors(&tables)
    }

    /// The release ids behind this copy's base rates and effect priors, sorted, without repeats.
    pub fn release_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .released
            .iter()
            .map(|r| r.release_id.clone())
            .chain(self.niche_effects.iter().map(|n| n.release_id.clone()))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// A copy whose attribute effects for each table's niche use the release's per-value
    /// posteriors ([`PosteriorTable`], format 2) as priors, in place of the wide prior the model
    /// was fitted with: the exports' evidence on a value (its posterior precision minus its
    /// prior's, Gaussian approximation) is combined with the release's posterior by precision
    /// weighting. A value the exports never saw takes the release's posterior as it is; format,
    /// duration and hour cells are not used (the model's format effect is shared across
    /// platforms). This is the closed-form stand-in for refitting with
    /// [`EffectPriors::from_posteriors`], which needs the exports; niches not given keep the
    /// model's effects. Replaces any earlier tables. Errors name the table
    /// (`tables[1].values[3].sd`); a niche given twice is a `duplicate` error.
    pub fn with_effect_posteriors(&self, tables: &[PosteriorTable]) -> Result<GroundedModel> {
        let mut niche_effects: Vec<NicheEffects> = Vec::with_capacity(tables.len());
        for (i, t) in tables.iter().enumerate() {
            let priors =
                EffectPriors::from_posteriors(t).map_err(|e| e.within(&format!("tables[{i}]")))?;
            if niche_effects.iter().any(|n| n.niche == t.niche) {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("tables[{i}]"),
                    format!("a second table for {}", t.niche),
                ));
            }
            let effects = priors
                .priors
                .iter()
                .map(|(&(factor, ref value), &(r, sd))| {
                    let rel = 1.0 / (sd * sd);
                    let coef = match self
                        .effects
                        .iter()
                        .find(|e| e.factor == factor && e.value == *value)
                    {
                        Some(e) => {
                            let post = 1.0 / (e.coef.sd * e.coef.sd).max(1e-12);
                            let prior = 1.0 / (e.prior.sd * e.prior.sd).max(1e-12);
                            // The exports' likelihood: posterior / prior (precision >= 0).
                            let (lik, lik_mean) = if post > prior {
                                (post - prior, e.coef.mean * post - e.prior.mean * prior)
                            } else {
                                (0.0, 0.0)
                            };
                            let p = lik + rel;
                            Coef {
                                mean: (lik_mean + r * rel) / p,
                                sd: 1.0 / p.sqrt(),
                            }
                        }
                        None => Coef { mean: r, sd },
                    };
                    CombinedEffect {
                        factor,
                        value: value.clone(),
                        coef,
                    }
                })
                .collect();
            niche_effects.push(NicheEffects {
                niche: t.niche,
                release_id: t.release_id.clone(),
                effects,
            });
        }
        let m = GroundedModel {
            niche_effects,
            ..self.clone()
        };
        m.check()?;
        Ok(m)
    }

    /// The released rate of `a`'s (niche, platform), if any.
    fn released_for(&self, a: &CreativeAttributes) -> Option<&ReleasedRate> {
        let n = a.niche?;
        self.released
            .iter()
            .find(|r| r.niche == n && r.platform == a.platform)
    }

    /// The average effect contribution `Σ β x` of the exports' creatives with attributes (each
    /// effect's mean weighted by its creatives, over the creatives of the most-used factor).
    fn effect_centre(&self) -> f64 {
        let mut per_factor: BTreeMap<EffectFactor, u64> = BTreeMap::new();
        for e in &self.effects {
            *per_factor.entry(e.factor).or_default() += e.creatives;
        }
        let n = per_factor.values().copied().max().unwrap_or(0);
        if n == 0 {
            return 0.0;
        }
        self.effects
            .iter()
            .map(|e| e.coef.mean * e.creatives as f64)
            .sum::<f64>()
            / n as f64
    }

    fn dimension(&self) -> usize {
        self.platforms.len() + self.cells.len() + self.effects.len() + self.accounts.len()
    }

    /// The logit, its normal variance (parameters, between-account), and the creative-effect
    /// scale² to add.
    fn linear(&self, a: &CreativeAttributes, who: Audience<'_>) -> Result<(f64, f64, f64)> {
        a.validate()?;
        let mut cols = Vec::with_capacity(8);
        let p = self
            .platforms
            .iter()
            .position(|c| c.platform == a.platform)
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::InvalidValue,
                    "platform",
                    format!("no base rate for platform {}", a.platform),
                )
            })?;
        let released = self.released_for(a);
        if released.is_none() {
            cols.push(p);
        }
        let mut off = self.platforms.len();
        if let (Some(n), None) = (a.niche, released) {
            if let Some(j) = self
                .cells
                .iter()
                .position(|c| c.platform == a.platform && c.niche == n)
            {
                cols.push(off + j);
            }
        }
        off += self.cells.len();
        let keys = effect_keys(a);
        let combined = a
            .niche
            .and_then(|n| self.niche_effects.iter().find(|ne| ne.niche == n));
        // Effects combined with a release's posterior: their own mean and variance, outside
        // the model's covariance.
        let mut fixed = (0.0, 0.0);
        for (f, v) in &keys {
            if let Some(c) =
                combined.and_then(|ne| ne.effects.iter().find(|e| e.factor == *f && e.value == *v))
            {
                fixed.0 += c.coef.mean;
                fixed.1 += c.coef.sd * c.coef.sd;
            } else if let Some(j) = self
                .effects
                .iter()
                .position(|e| e.factor == *f && e.value == *v)
            {
                cols.push(off + j);
            }
        }
        off += self.effects.len();
        let known = match who {
            Audience::Account(id) => self.accounts.iter().position(|c| c.account == id),
            Audience::New => None,
        };
        if let Some(j) = known {
            cols.push(off + j);
        }
        let coefs: Vec<f64> = self
            .platforms
            .iter()
            .map(|c| c.coef.mean)
            .chain(self.cells.iter().map(|c| c.coef.mean))
            .chain(self.effects.iter().map(|c| c.coef.mean))
            .chain(self.accounts.iter().map(|c| c.coef.mean))
            .collect();
        let d = coefs.len();
        let mut eta: f64 = cols.iter().map(|&j| coefs[j]).sum::<f64>() + fixed.0;
        let mut var: f64 = cols
            .iter()
            .flat_map(|&i| cols.iter().map(move |&j| (i, j)))
            .map(|(i, j)| self.covariance.get(i * d + j).copied().unwrap_or(0.0))
            .sum::<f64>()
            + fixed.1;
        // A released base rate: the release's median account (effects centred), the sampling
        // variance of that median, and the accounts' spread as the between-account sd.
        let mut account_var = self.account_sd * self.account_sd;
        if let Some(r) = released {
            let sd = r.account_sd();
            eta += logit(r.p50) - self.effect_centre();
            var += std::f64::consts::FRAC_PI_2 * sd * sd / r.accounts as f64;
            account_var = sd * sd;
        }
        let mut random = self.creative_sd * self.creative_sd;
        match (known, &self.personal) {
            // A training account: its fitted intercept is in `cols`, its own creative sd.
            (Some(j), _) => random = self.accounts[j].creative_sd.powi(2),
            (None, Some(p)) => {
                random = p.creative_sd * p.creative_sd;
                let mut pc = vec![0];
                eta += p.intercept.mean;
                for (j, dv) in p.deviations.iter().enumerate() {
                    if keys.iter().any(|(f, v)| dv.factor == *f && dv.value == *v) {
                        eta += dv.coef.mean;
                        pc.push(j + 1);
                    }
                }
                let pd = p.deviations.len() + 1;
                var += pc
                    .iter()
                    .flat_map(|&i| pc.iter().map(move |&j| (i, j)))
                    .map(|(i, j)| p.covariance.get(i * pd + j).copied().unwrap_or(0.0))
                    .sum::<f64>();
            }
            (None, None) => var += account_var,
        }
        Ok((eta, var.max(0.0), random))
    }

    /// Predict one creative (see the module docs).
    pub fn predict_for(
        &self,
        a: &CreativeAttributes,
        who: Audience<'_>,
    ) -> Result<GroundedPrediction> {
        let (eta, var, random) = self.linear(a, who)?;
        let mut p = GroundedPrediction {
            ctr: sig(eta),
            mean: 0.0,
            low: 0.0,
            high: 0.0,
            eta,
            sd: var.sqrt(),
            creative_sd: random.sqrt(),
            creative_df: self.config.creative_df,
        };
        let comps = p.components();
        let nodes = gauss_hermite(24);
        p.mean = comps
            .iter()
            .map(|sd| {
                nodes
                    .iter()
                    .map(|&(x, w)| w * sig(eta + std::f64::consts::SQRT_2 * sd * x))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / (std::f64::consts::PI.sqrt() * comps.len() as f64);
        // The 2.5 % quantile of the symmetric normal mixture, by bisection.
        let cdf = |x: f64| {
            comps
                .iter()
                .map(|sd| 0.5 * libm::erfc(-x / (sd * std::f64::consts::SQRT_2)))
                .sum::<f64>()
                / comps.len() as f64
        };
        let (mut lo, mut hi) = (-20.0 * comps.iter().fold(1e-9f64, |m, s| m.max(*s)), 0.0);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if cdf(mid) < 0.025 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let q = 0.5 * (lo + hi);
        p.low = sig(eta + q);
        p.high = sig(eta - q);
        Ok(p)
    }

    /// The CTR of the typical creative like `a` (`predict(a).ctr`, the predictive median) without
    /// its interval and mean: a fraction of the cost, for scoring many creatives.
    pub fn predict_ctr(&self, a: &CreativeAttributes) -> Result<f64> {
        Ok(sig(self.linear(a, Audience::New)?.0))
    }

    /// Predict one creative of a new account (or of the personalised account).
    pub fn predict(&self, a: &CreativeAttributes) -> Result<GroundedPrediction> {
        self.predict_for(a, Audience::New)
    }

    /// Predict a slice of creatives; an error names the row (`creatives[3].duration_s`).
    pub fn predict_batch(&self, a: &[CreativeAttributes]) -> Result<Vec<GroundedPrediction>> {
        each_creative(a, |c| self.predict(c))
    }

    /// [`GroundedModel::predict_ctr`] of a slice of creatives; an error names the row.
    pub fn predict_ctr_batch(&self, a: &[CreativeAttributes]) -> Result<Vec<f64>> {
        each_creative(a, |c| self.predict_ctr(c))
    }
}

/// `f` of every creative, an error naming its row (`creatives[3].duration_s`).
fn each_creative<T>(
    a: &[CreativeAttributes],
    f: impl Fn(&CreativeAttributes) -> Result<T>,
) -> Result<Vec<T>> {
    a.iter()
        .enumerate()
        .map(|(i, c)| f(c).map_err(|e| e.within(&format!("creatives[{i}]"))))
        .collect()
}

/// `P(X <= k)` for `X ~ Binomial(n, p)`: exact summation when `n p (1 − p) < 30`, else the normal
/// approximation with continuity correction.
fn binom_cdf(k: i64, n: u64, p: f64) -> f64 {
    if k < 0 {
        return 0.0;
    }
    let nf = n as f64;
    if k as f64 >= nf {
        return 1.0;
    }
    let var = nf * p * (1.0 - p);
    if var >= 30.0 {
        let z = (k as f64 + 0.5 - nf * p) / var.sqrt();
        return 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
    }
    // pmf(0) = (1-p)^n; recurrence pmf(j+1) = pmf(j) (n-j)/(j+1) p/(1-p).
    let mut pmf = libm::exp(nf * libm::log1p(-p));
    let mut s = pmf;
    let r = p / (1.0 - p);
    for j in 0..k {
        pmf *= (nf - j as f64) / (j as f64 + 1.0) * r;
        s += pmf;
        if s >= 1.0 {
            return 1.0;
        }
    }
    s.min(1.0)
}

/// `P(clicks <= k)` for a creative predicted as `pred` with `impressions` trials (its logit CTR
/// a normal mixture, see [`GroundedPrediction`]).
pub fn click_cdf(pred: &GroundedPrediction, impressions: u64, k: i64) -> f64 {
    let nodes = gauss_hermite(24);
    let comps = pred.components();
    comps
        .iter()
        .map(|sd| {
            nodes
                .iter()
                .map(|&(x, w)| {
                    w * binom_cdf(
                        k,
                        impressions,
                        sig(pred.eta + std::f64::consts::SQRT_2 * sd * x),
                    )
                })
                .sum::<f64>()
        })
        .sum::<f64>()
        / (std::f64::consts::PI.sqrt() * comps.len() as f64)
}

/// Number of scale points of the Student-t creative effect.
const T_POINTS: usize = 6;

/// Regularised lower incomplete gamma `P(a, x)` (series / continued fraction, as in Numerical
/// Recipes' `gammp`).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let gln = libm::lgamma(a);
    if x < a + 1.0 {
        let (mut ap, mut sum) = (a, 1.0 / a);
        let mut del = sum;
        for _ in 0..500 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        sum * libm::exp(-x + a * libm::log(x) - gln)
    } else {
        let (mut b, mut c) = (x + 1.0 - a, 1.0 / 1e-300);
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < 1e-300 {
                d = 1e-300;
            }
            c = b + an / c;
            if c.abs() < 1e-300 {
                c = 1e-300;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        1.0 - libm::exp(-x + a * libm::log(x) - gln) * h
    }
}

/// Multipliers `1/√W_k` of a Student-t(`df`) as an equal-weight scale mixture of normals,
/// `W ~ Gamma(df/2, rate df/2)` at the quantiles `(k + ½)/6`; `[1]` for `df = 0` (normal).
fn scale_points(df: f64) -> Vec<f64> {
    if df <= 0.0 {
        return vec![1.0];
    }
    let a = df / 2.0;
    (0..T_POINTS)
        .map(|k| {
            let target = (k as f64 + 0.5) / T_POINTS as f64;
            // Quantile of Gamma(a, rate a) = quantile of Gamma(a, 1) / a, by bisection.
            let (mut lo, mut hi) = (0.0, 100.0 + 20.0 * a);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if gamma_p(a, mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            1.0 / (0.5 * (lo + hi) / a).sqrt()
        })
        .collect()
}

/// The central 95 % predictive interval `[low, high]` of a creative's clicks given its
/// impressions (`low` the smallest `k` with `P(C <= k) >= 0.025`, `high` with `>= 0.975`).
pub fn click_interval(pred: &GroundedPrediction, impressions: u64) -> (u64, u64) {
    let q = |target: f64| {
        let (mut lo, mut hi) = (0u64, impressions);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if click_cdf(pred, impressions, mid as i64) >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    (q(0.025), q(0.975))
}

/// Whether `clicks` lies in the central 95 % predictive interval (without computing it).
pub fn click_covered(pred: &GroundedPrediction, impressions: u64, clicks: u64) -> bool {
    let k = clicks as i64;
    click_cdf(pred, impressions, k) >= 0.025 && click_cdf(pred, impressions, k - 1) < 0.975
}

/// Penalised, over-dispersion-weighted binomial MAP by Newton's method. Rows are sparse
/// (column indices with value 1) plus an offset; updates the estimate in place and returns the
/// inverse Hessian (row-major), the posterior covariance.
struct Problem<'a> {
    rows: &'a [Vec<usize>],
    offset: &'a [f64],
    clicks: &'a [f64],
    imps: &'a [f64],
    prior_mean: &'a [f64],
    prior_prec: &'a [f64],
    /// Per row: the creative-effect variance of its account.
    creative_var: &'a [f64],
}

fn newton(pb: &Problem<'_>, theta: &mut [f64]) -> Result<Vec<f64>> {
    let d = theta.len();
    let eta =
        |theta: &[f64], i: usize| pb.offset[i] + pb.rows[i].iter().map(|&j| theta[j]).sum::<f64>();
    // Weights from the current estimate, fixed within a Newton solve.
    let weights: Vec<f64> = (0..pb.rows.len())
        .map(|i| {
            let p = sig(eta(theta, i));
            1.0 / (1.0 + pb.imps[i] * p * (1.0 - p) * pb.creative_var[i])
        })
        .collect();
    let mut h = vec![0.0; d * d];
    for _ in 0..100 {
        let mut g = vec![0.0; d];
        h.iter_mut().for_each(|x| *x = 0.0);
        for j in 0..d {
            g[j] = -pb.prior_prec[j] * (theta[j] - pb.prior_mean[j]);
            h[j * d + j] = pb.prior_prec[j];
        }
        for (i, row) in pb.rows.iter().enumerate() {
            let p = sig(eta(theta, i));
            let s = weights[i];
            let r = s * (pb.clicks[i] - pb.imps[i] * p);
            let w = s * pb.imps[i] * p * (1.0 - p);
            for &a in row {
                g[a] += r;
                for &b in row {
                    h[a * d + b] += w;
                }
            }
        }
        let l = cholesky(&h, d)?;
        cholesky_solve(&l, d, &mut g);
        // Step halving on the penalised objective (pure Newton overshoots on rare events with
        // very many impressions).
        let f0 = objective(pb, &weights, theta);
        let mut t = 1.0;
        let mut trial = vec![0.0; d];
        loop {
            for j in 0..d {
                trial[j] = theta[j] + t * g[j];
            }
            if objective(pb, &weights, &trial) >= f0 || t < 1e-6 {
                break;
            }
            t *= 0.5;
        }
        let step = g.iter().fold(0.0f64, |m, x| m.max((t * x).abs()));
        theta.copy_from_slice(&trial);
        if step < 1e-10 {
            break;
        }
    }
    let l = cholesky(&h, d)?;
    Ok(cholesky_inverse(&l, d))
}

/// The penalised, weighted binomial log likelihood that [`newton`] maximises.
fn objective(pb: &Problem<'_>, weights: &[f64], theta: &[f64]) -> f64 {
    let mut f = 0.0;
    for (i, row) in pb.rows.iter().enumerate() {
        let z = pb.offset[i] + row.iter().map(|&j| theta[j]).sum::<f64>();
        let (sp_neg, sp_pos) = softplus_pair(z);
        f -= weights[i] * (pb.clicks[i] * sp_neg + (pb.imps[i] - pb.clicks[i]) * sp_pos);
    }
    for ((t, m), q) in theta.iter().zip(pb.prior_mean).zip(pb.prior_prec) {
        f -= 0.5 * q * (t - m) * (t - m);
    }
    f
}

/// Grid of creative sds searched by [`creative_loglik`].
const SD_GRID: usize = 41;
const SD_STEP: f64 = 0.05;

/// Marginal log likelihood (up to a constant per creative) of each sd on the grid
/// `0, 0.05, ..., 2`: `Σ_i ln E_z[p_i(z)^c (1 − p_i(z))^(n−c)]`, `p_i(z) = σ(η_i + sd·z)`,
/// `z` Student-t(`df`) as a 6-point scale mixture of normals (normal for `df = 0`), each by
/// 16-point Gauss-Hermite. Creatives under `min_impressions` are left out.
fn creative_loglik(obs: &[&CreativeObs], eta: &[f64], min_impressions: u64, df: f64) -> Vec<f64> {
    let nodes = gauss_hermite(16);
    let mult = scale_points(df);
    let lw = -libm::log(mult.len() as f64);
    // ln w of each node, once (the same values as computing them in the loop).
    let log_w: Vec<f64> = nodes.iter().map(|&(_, w)| libm::log(w)).collect();
    let mut ll = vec![0.0; SD_GRID];
    let mut terms = vec![0.0; nodes.len() * mult.len()];
    for (o, &e) in obs.iter().zip(eta) {
        if o.impressions < min_impressions.max(1) {
            continue;
        }
        let (c, n) = (o.clicks as f64, o.impressions as f64);
        for (g, l) in ll.iter_mut().enumerate() {
            let sd = g as f64 * SD_STEP;
            let mut mx = f64::NEG_INFINITY;
            let pairs = mult
                .iter()
                .flat_map(|m| nodes.iter().zip(&log_w).map(move |n| (m, n)));
            for (t, (m, (&(x, _), &lnw))) in terms.iter_mut().zip(pairs) {
                let z = e + std::f64::consts::SQRT_2 * sd * m * x;
                // ln σ(z) = −softplus(−z), ln(1 − σ(z)) = −softplus(z) (`softplus_pair`).
                let (sp_neg, sp_pos) = softplus_pair(z);
                let lp = -sp_neg;
                let lq = -sp_pos;
                *t = lw + lnw + c * lp + (n - c) * lq;
                mx = mx.max(*t);
            }
            *l += mx + libm::log(terms.iter().map(|t| libm::exp(t - mx)).sum::<f64>());
        }
    }
    ll
}

/// `ln(1 + e^z)`, the reference [`softplus_pair`] is checked against.
#[cfg(test)]
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + libm::log1p(libm::exp(-z))
    } else {
        libm::log1p(libm::exp(z))
    }
}

/// `(softplus(−z), softplus(z))` with one `exp` and one `log1p`: both share
/// `log1p(exp(−|z|))`, computed exactly as [`softplus`] computes it, so the pair is bit for bit
/// the two calls (the shipped model's reproduction depends on it).
fn softplus_pair(z: f64) -> (f64, f64) {
    if z > 0.0 {
        let l = libm::log1p(libm::exp(-z));
        (l, z + l)
    } else if z < 0.0 {
        let l = libm::log1p(libm::exp(z));
        (-z + l, l)
    } else {
        let l = libm::log1p(libm::exp(z));
        (l, l)
    }
}

/// The grid sd with the largest value of `ll`.
fn argmax_sd(ll: &[f64]) -> f64 {
    let mut best = 0;
    for (g, v) in ll.iter().enumerate() {
        if *v > ll[best] {
            best = g;
        }
    }
    best as f64 * SD_STEP
}

/// Creatives' worth of pooled log likelihood added to each account's own when its creative sd
/// is chosen (shrinks a small account's sd towards the pooled one).
const CREATIVE_VAR_POOL: f64 = 10.0;

/// Fit the grounded model to `obs` (see the module docs). Unusable observations (no impressions,
/// more clicks than impressions, unknown platform) are an error naming the row.
pub fn fit_grounded(
    obs: &[CreativeObs],
    priors: &EffectPriors,
    cfg: &GroundedConfig,
    provenance: Provenance,
) -> Result<GroundedModel> {
    cfg.validate()?;
    for (i, o) in obs.iter().enumerate() {
        if let Some(why) = o.unusable() {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("creatives[{i}]"),
                why,
            ));
        }
        o.attrs
            .validate()
            .map_err(|e| e.within(&format!("creatives[{i}]")))?;
    }
    if obs.is_empty() {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "creatives",
            "no creative to fit",
        ));
    }
    // Column layout: platforms, cells, effects, accounts (BTreeMaps: deterministic order).
    let mut cells: BTreeMap<(Platform, Niche), (usize, u64)> = BTreeMap::new();
    let mut effects: BTreeMap<(EffectFactor, String), (usize, u64)> = BTreeMap::new();
    let mut accounts: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for o in obs {
        if let Some(n) = o.attrs.niche.filter(|n| *n != Niche::Unknown) {
            cells.entry((o.attrs.platform, n)).or_default().1 += 1;
        }
        for (f, v) in effect_keys(&o.attrs) {
            effects.entry((f, v.to_string())).or_default().1 += 1;
        }
        accounts.entry(o.account.clone()).or_default().1 += 1;
    }
    for k in priors.priors.keys() {
        effects.entry(k.clone()).or_default();
    }
    let mut d = PLATFORMS.len();
    for v in cells.values_mut() {
        v.0 = d;
        d += 1;
    }
    for v in effects.values_mut() {
        v.0 = d;
        d += 1;
    }
    for v in accounts.values_mut() {
        v.0 = d;
        d += 1;
    }
    let rows: Vec<Vec<usize>> = obs
        .iter()
        .map(|o| {
            let mut r = vec![PLATFORMS
                .iter()
                .position(|p| *p == o.attrs.platform)
                .unwrap_or(0)];
            if let Some(n) = o.attrs.niche.filter(|n| *n != Niche::Unknown) {
                r.push(cells[&(o.attrs.platform, n)].0);
            }
            for (f, v) in effect_keys(&o.attrs) {
                r.push(effects[&(f, v.to_string())].0);
            }
            r.push(accounts[&o.account].0);
            r
        })
        .collect();
    let clicks: Vec<f64> = obs.iter().map(|o| o.clicks as f64).collect();
    let imps: Vec<f64> = obs.iter().map(|o| o.impressions as f64).collect();
    let offset = vec![0.0; obs.len()];
    let mut prior_mean = vec![0.0; d];
    let mut prior_prec = vec![0.0; d];
    let base0 = logit(0.01);
    for j in 0..PLATFORMS.len() {
        prior_mean[j] = base0;
        prior_prec[j] = 1.0 / (cfg.platform_sd * cfg.platform_sd);
    }
    for &(j, _) in cells.values() {
        prior_prec[j] = 1.0 / (cfg.niche_sd * cfg.niche_sd);
    }
    for (k, &(j, _)) in &effects {
        let (m, s) = priors
            .priors
            .get(k)
            .copied()
            .unwrap_or((0.0, cfg.effect_sd));
        prior_mean[j] = m;
        prior_prec[j] = 1.0 / (s * s);
    }
    let acc_cols: Vec<usize> = accounts.values().map(|v| v.0).collect();
    let mut account_var = cfg.account_sd_floor * cfg.account_sd_floor;
    let mut creative_var = 0.25;
    let mut account_cvar = vec![creative_var; acc_cols.len()];
    let acc_of: Vec<usize> = obs
        .iter()
        .map(|o| accounts.keys().position(|a| *a == o.account).unwrap_or(0))
        .collect();
    let mut theta = prior_mean.clone();
    let mut cov = vec![0.0; d * d];
    for _ in 0..cfg.rounds {
        for &j in &acc_cols {
            prior_prec[j] = 1.0 / account_var;
        }
        let pb = Problem {
            rows: &rows,
            offset: &offset,
            clicks: &clicks,
            imps: &imps,
            prior_mean: &prior_mean,
            prior_prec: &prior_prec,
            creative_var: &acc_of
                .iter()
                .map(|&a| account_cvar[a])
                .collect::<Vec<f64>>(),
        };
        cov = newton(&pb, &mut theta)?;
        let eta: Vec<f64> = rows
            .iter()
            .map(|r| r.iter().map(|&j| theta[j]).sum())
            .collect();
        let refs: Vec<&CreativeObs> = obs.iter().collect();
        let mut per: Vec<(Vec<f64>, f64)> = Vec::with_capacity(account_cvar.len());
        for a in 0..account_cvar.len() {
            let (o, e): (Vec<&CreativeObs>, Vec<f64>) = refs
                .iter()
                .zip(&eta)
                .zip(&acc_of)
                .filter(|(_, &k)| k == a)
                .map(|((o, e), _)| (*o, *e))
                .unzip();
            let n = o
                .iter()
                .filter(|o| o.impressions >= cfg.min_impressions.max(1))
                .count() as f64;
            per.push((
                creative_loglik(&o, &e, cfg.min_impressions, cfg.creative_df),
                n,
            ));
        }
        let pooled: Vec<f64> = (0..SD_GRID)
            .map(|g| per.iter().map(|(l, _)| l[g]).sum())
            .collect();
        let n_all: f64 = per.iter().map(|(_, n)| n).sum::<f64>().max(1.0);
        creative_var = argmax_sd(&pooled).powi(2);
        for (v, (l, _)) in account_cvar.iter_mut().zip(&per) {
            let shrunk: Vec<f64> = l
                .iter()
                .zip(&pooled)
                .map(|(a, p)| a + CREATIVE_VAR_POOL / n_all * p)
                .collect();
            *v = argmax_sd(&shrunk).powi(2);
        }
        let ea = acc_cols
            .iter()
            .map(|&j| theta[j] * theta[j] + cov[j * d + j])
            .sum::<f64>()
            / acc_cols.len() as f64;
        account_var = ea.max(cfg.account_sd_floor * cfg.account_sd_floor);
    }
    let coef = |j: usize| Coef {
        mean: theta[j],
        sd: cov[j * d + j].max(0.0).sqrt(),
    };
    Ok(GroundedModel {
        version: GROUNDED_VERSION.to_string(),
        provenance: Provenance {
            release_id: priors.release_id.clone(),
            ..provenance
        },
        config: cfg.clone(),
        platforms: PLATFORMS
            .iter()
            .enumerate()
            .map(|(j, p)| PlatformCoef {
                platform: *p,
                coef: coef(j),
            })
            .collect(),
        cells: cells
            .iter()
            .map(|(&(platform, niche), &(j, n))| CellCoef {
                platform,
                niche,
                coef: coef(j),
                creatives: n,
            })
            .collect(),
        effects: effects
            .iter()
            .map(|((f, v), &(j, n))| {
                let pr = priors.priors.get(&(*f, v.clone())).copied();
                let (m, s) = pr.unwrap_or((0.0, cfg.effect_sd));
                EffectCoef {
                    factor: *f,
                    value: v.clone(),
                    coef: coef(j),
                    prior: Coef { mean: m, sd: s },
                    prior_from_release: pr.is_some(),
                    creatives: n,
                }
            })
            .collect(),
        accounts: accounts
            .iter()
            .enumerate()
            .map(|(k, (a, &(j, n)))| AccountCoef {
                account: a.clone(),
                coef: coef(j),
                creatives: n,
                creative_sd: account_cvar[k].sqrt(),
            })
            .collect(),
        covariance: cov,
        creative_sd: creative_var.sqrt(),
        account_sd: account_var.sqrt(),
        personal: None,
        released: Vec::new(),
        niche_effects: Vec::new(),
    })
}

/// The result of [`personalise`].
#[derive(Debug, Clone, PartialEq)]
pub struct Personalisation {
    /// The personalised model (the input model unchanged when no record was usable).
    pub model: GroundedModel,
    /// Records used.
    pub used: usize,
    /// Records skipped, with the reason of each (`records[3]: no impressions`).
    pub skipped: Vec<String>,
    /// Why the prediction did not change, when it did not.
    pub unchanged_reason: Option<String>,
}

/// Personalise `model` with an account's own records (a pure function; the records stay where
/// they are): the posterior of the account's intercept and of its deviations from the effects
/// of the attribute values it used (see the module docs).
pub fn personalise(model: &GroundedModel, records: &[CreativeObs]) -> Result<Personalisation> {
    let mut skipped = Vec::new();
    let mut usable = Vec::new();
    for (i, r) in records.iter().enumerate() {
        match r
            .unusable()
            .map(str::to_string)
            .or_else(|| r.attrs.validate().err().map(|e| e.to_string()))
        {
            Some(why) => skipped.push(format!("records[{i}]: {why}")),
            None => usable.push(r),
        }
    }
    if usable.is_empty() {
        let why = if records.is_empty() {
            "no records given".to_string()
        } else {
            format!(
                "none of the {} records is usable (each needs impressions, clicks <= impressions and a known platform)",
                records.len()
            )
        };
        return Ok(Personalisation {
            model: model.clone(),
            used: 0,
            skipped,
            unchanged_reason: Some(why),
        });
    }
    let mut keys: BTreeMap<(EffectFactor, &'static str), usize> = BTreeMap::new();
    for r in &usable {
        for k in effect_keys(&r.attrs) {
            keys.entry(k).or_default();
        }
    }
    let mut d = 1;
    for v in keys.values_mut() {
        *v = d;
        d += 1;
    }
    let mut offset = Vec::with_capacity(usable.len());
    let mut rows = Vec::with_capacity(usable.len());
    let base = GroundedModel {
        personal: None,
        ..model.clone()
    };
    for r in &usable {
        let (eta, _, _) = base.linear(&r.attrs, Audience::New)?;
        offset.push(eta);
        let mut row = vec![0];
        row.extend(effect_keys(&r.attrs).iter().map(|k| keys[k]));
        rows.push(row);
    }
    let clicks: Vec<f64> = usable.iter().map(|o| o.clicks as f64).collect();
    let imps: Vec<f64> = usable.iter().map(|o| o.impressions as f64).collect();
    let prior_mean = vec![0.0; d];
    let mut prior_prec = vec![1.0 / (model.config.deviation_sd * model.config.deviation_sd); d];
    prior_prec[0] = 1.0 / (model.account_sd * model.account_sd).max(1e-6);
    let pb = Problem {
        rows: &rows,
        offset: &offset,
        clicks: &clicks,
        imps: &imps,
        prior_mean: &prior_mean,
        prior_prec: &prior_prec,
        creative_var: &vec![model.creative_sd * model.creative_sd; rows.len()],
    };
    let mut theta = vec![0.0; d];
    newton(&pb, &mut theta)?;
    // Second pass: over-dispersion weights at the personalised estimate.
    let cov = newton(&pb, &mut theta)?;
    let eta: Vec<f64> = rows
        .iter()
        .zip(&offset)
        .map(|(r, o)| o + r.iter().map(|&j| theta[j]).sum::<f64>())
        .collect();
    let own = creative_loglik(
        &usable,
        &eta,
        model.config.min_impressions,
        model.config.creative_df,
    );
    let n_own = usable
        .iter()
        .filter(|o| o.impressions >= model.config.min_impressions.max(1))
        .count() as f64;
    let pop_var = model.creative_sd * model.creative_sd;
    let creative_sd = if n_own > 0.0 {
        ((n_own * argmax_sd(&own).powi(2) + CREATIVE_VAR_POOL * pop_var)
            / (n_own + CREATIVE_VAR_POOL))
            .sqrt()
    } else {
        model.creative_sd
    };
    let coef = |j: usize| Coef {
        mean: theta[j],
        sd: cov[j * d + j].max(0.0).sqrt(),
    };
    let deviations = keys
        .iter()
        .map(|(&(f, v), &j)| EffectCoef {
            factor: f,
            value: v.to_string(),
            coef: coef(j),
            prior: Coef {
                mean: 0.0,
                sd: model.config.deviation_sd,
            },
            prior_from_release: false,
            creatives: rows.iter().filter(|r| r.contains(&j)).count() as u64,
        })
        .collect();
    Ok(Personalisation {
        model: GroundedModel {
            personal: Some(Personal {
                records: usable.len() as u64,
                intercept: coef(0),
                deviations,
                covariance: cov,
                creative_sd,
            }),
            ..base
        },
        used: usable.len(),
        skipped,
        unchanged_reason: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softplus_pair_is_the_two_calls_bit_for_bit() {
        let mut zs = vec![0.0, -0.0, 1e-300, -1e-300, 745.0, -745.0, 800.0, -800.0];
        let mut z = -40.0f64;
        while z < 40.0 {
            zs.push(z);
            z += 0.013_7;
        }
        for z in zs {
            let (a, b) = softplus_pair(z);
            assert_eq!(a.to_bits(), softplus(-z).to_bits(), "{z}");
            assert_eq!(b.to_bits(), softplus(z).to_bits(), "{z}");
        }
    }

    #[test]
    fn student_t_scale_points() {
        // P(1, x) = 1 − e^(−x); P(a, x) through both branches.
        assert!((gamma_p(1.0, 0.5) - (1.0 - (-0.5f64).exp())).abs() < 1e-12);
        assert!((gamma_p(1.0, 5.0) - (1.0 - (-5.0f64).exp())).abs() < 1e-12);
        assert_eq!(scale_points(0.0), vec![1.0]);
        let t5 = scale_points(5.0);
        assert_eq!(t5.len(), T_POINTS);
        // Decreasing in the Gamma quantile, heavier than normal at the top.
        assert!(t5.windows(2).all(|w| w[0] > w[1]) && t5[0] > 1.5, "{t5:?}");
        let t1000 = scale_points(1000.0);
        assert!(t1000.iter().all(|m| (m - 1.0).abs() < 0.1), "{t1000:?}");
    }

    #[test]
    fn binomial_cdf_matches_small_exact_values() {
        // Binomial(4, 0.5): P(X <= 1) = 5/16.
        assert!((binom_cdf(1, 4, 0.5) - 5.0 / 16.0).abs() < 1e-12);
        assert_eq!(binom_cdf(-1, 4, 0.5), 0.0);
        assert_eq!(binom_cdf(4, 4, 0.5), 1.0);
        // Normal branch: symmetric around the mean.
        let c = binom_cdf(5000, 10_000, 0.5);
        assert!((c - 0.5).abs() < 0.01, "{c}");
    }

    #[test]
    fn click_interval_contains_the_mean_and_widens_with_sd() {
        let p = GroundedPrediction {
            creative_sd: 0.0,
            creative_df: 0.0,
            ctr: 0.01,
            mean: 0.01,
            low: 0.0,
            high: 0.0,
            eta: logit(0.01),
            sd: 0.1,
        };
        let (lo, hi) = click_interval(&p, 10_000);
        assert!(lo < 100 && hi > 100, "{lo}..{hi}");
        let wide = GroundedPrediction { sd: 1.0, ..p };
        let (lo2, hi2) = click_interval(&wide, 10_000);
        assert!(lo2 < lo && hi2 > hi);
        assert!(click_covered(&p, 10_000, 100));
        assert!(!click_covered(&p, 10_000, 400));
    }
}
