//! The prior simulator v2 draws its truths from: one JSON file, parsed into the checked type
//! [`SimV2Prior`]. Unknown keys, a malformed file and out-of-range values are named errors
//! (the field path, e.g. `global_effects.slab_probability`, and the reason).

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// A sparse, heavy-tailed prior of effects (log-odds): each effect is, independently, from the
/// *slab* with probability `slab_probability` (`slab_scale · t(slab_df)`: a few large effects),
/// else from the *spike* `N(0, spike_sd²)` (most effects near 0).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SparsePrior {
    /// Probability of the slab, in [0, 1].
    pub slab_probability: f64,
    /// Scale of the slab's Student t, in [0, 5].
    pub slab_scale: f64,
    /// Degrees of freedom of the slab's Student t, 1..=100.
    pub slab_df: u32,
    /// Sd of the spike, in [0, 1].
    pub spike_sd: f64,
}

/// Heavy-tailed noise: `scale · t(df)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentT {
    /// Scale, in [0, 5].
    pub scale: f64,
    /// Degrees of freedom, 1..=100.
    pub df: u32,
}

/// How attribute choices depend on quality (the confounding). A value `v` with *fashion*
/// `f_v ~ N(0, 1)` (drawn per truth) is chosen with its base weight times
/// `exp(account · q̃ · f_v + creative · ẽ · f_v)`, `q̃` the account's standardised quality and
/// `ẽ` the creative's standardised noise (clamped to ±3); a visual tag's log-odds get the same
/// tilt. Positive `account`: better accounts prefer the fashionable values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confounding {
    /// Tilt per sd of account quality, in [-3, 3].
    pub account: f64,
    /// Tilt per sd of creative noise, in [-3, 3].
    pub creative: f64,
}

/// The prior of simulator v2 (see `crate::sim::v2` for the model and `docs/network-effect.md`
/// for where each magnitude comes from). Unknown keys are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimV2Prior {
    /// Version name, e.g. `sim-v2-prior-1`.
    pub version: String,
    /// Provenance notes.
    pub notes: Vec<String>,
    /// Effect of each vocabulary value shared by all niches and platforms.
    pub global_effects: SparsePrior,
    /// A niche's deviation from the shared effect, per value.
    pub niche_effects: SparsePrior,
    /// Sd of a niche × platform deviation per value (log-odds), in [0, 1].
    pub niche_platform_sd: f64,
    /// Sd of an account's own deviation per value (per-account heterogeneity), in [0, 1].
    pub account_effect_sd: f64,
    /// Sd of an account's CTR level (its quality, log-odds), in [0, 3].
    pub account_quality_sd: f64,
    /// A creative's unexplained CTR effect (log-odds), heavy-tailed.
    pub creative_noise: StudentT,
    /// Choices correlated with quality.
    pub confounding: Confounding,
    /// Sd per period of the random walk of each niche's value effects, in [0, 1].
    pub drift_sd: f64,
    /// Base probability of each visual tag on a creative, in (0, 1).
    pub visual_tag_probability: f64,
}

fn bad(field: &str, message: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, message)
}

fn within(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(bad(field, format!("must be in [{lo}, {hi}], got {v}")))
    }
}

fn df_ok(field: &str, df: u32) -> Result<()> {
    if (1..=100).contains(&df) {
        Ok(())
    } else {
        Err(bad(field, format!("must be 1..=100, got {df}")))
    }
}

impl SparsePrior {
    fn validate(&self, name: &str) -> Result<()> {
        within(
            &format!("{name}.slab_probability"),
            self.slab_probability,
            0.0,
            1.0,
        )?;
        within(&format!("{name}.slab_scale"), self.slab_scale, 0.0, 5.0)?;
        df_ok(&format!("{name}.slab_df"), self.slab_df)?;
        within(&format!("{name}.spike_sd"), self.spike_sd, 0.0, 1.0)
    }
}

impl SimV2Prior {
    /// Parse and check a prior file. Errors name the field: `Malformed` for JSON that does not
    /// fit the schema (a missing field, a wrong type), `UnknownValue` for an unknown key,
    /// `InvalidValue` for an out-of-range value.
    pub fn from_json(text: &str) -> Result<Self> {
        let p: SimV2Prior = serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .map(str::to_string)
                .unwrap_or_else(|| "prior".into());
            Error::field(
                if msg.contains("unknown field") {
                    ErrorCode::UnknownValue
                } else {
                    ErrorCode::Malformed
                },
                field,
                format!("simulator v2 prior: {msg}"),
            )
        })?;
        p.validate()?;
        Ok(p)
    }

    /// Check every value (ranges in the field docs).
    pub fn validate(&self) -> Result<()> {
        if self.version.trim().is_empty() {
            return Err(bad("version", "must not be empty".into()));
        }
        self.global_effects.validate("global_effects")?;
        self.niche_effects.validate("niche_effects")?;
        within("niche_platform_sd", self.niche_platform_sd, 0.0, 1.0)?;
        within("account_effect_sd", self.account_effect_sd, 0.0, 1.0)?;
        within("account_quality_sd", self.account_quality_sd, 0.0, 3.0)?;
        within("creative_noise.scale", self.creative_noise.scale, 0.0, 5.0)?;
        df_ok("creative_noise.df", self.creative_noise.df)?;
        within("confounding.account", self.confounding.account, -3.0, 3.0)?;
        within("confounding.creative", self.confounding.creative, -3.0, 3.0)?;
        within("drift_sd", self.drift_sd, 0.0, 1.0)?;
        if !(self.visual_tag_probability > 0.0 && self.visual_tag_probability < 1.0) {
            return Err(bad(
                "visual_tag_probability",
                format!("must be in (0, 1), got {}", self.visual_tag_probability),
            ));
        }
        Ok(())
    }
}
