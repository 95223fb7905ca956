//! The simulator's ground truth for **any** creative: the true CTR of an arbitrary attribute
//! combination under [`SimParams`] and an `effect_scale`.
//!
//! This is the single implementation of the CTR formula in the module docs of [`crate::sim`]:
//! the generator calls it for every simulated record, and studies (e.g. `crate::study`) call it to
//! score creatives the simulator never drew (a guided choice, the oracle's best choice). The sum is
//! taken in a fixed order so that the generator's output is bit-identical to before the refactor
//! (the golden digest in `tests/simulator.rs` pins it).
//!
//! ```text
//! attribute_logit = effect_scale * ( hook[h] * hook_mult[platform] + cta[c] + niche_hook[niche, h]
//!                   + sum_v (visual[v] * visual_mult[platform] + niche_visual[niche, v])
//!                   + format[platform, f] + duration(d) + hour[posting_hour] )
//! ctr = sigmoid(logit(base_ctr[platform]) + niche_ctr[niche] + account_effect + creative_noise
//!               + attribute_logit)
//! ```
//!
//! A format the platform does not run contributes 0 (the generator never draws one); a duration
//! only counts when given (the generator gives one to videos only).

use super::params::SimParams;
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{AdFormat, CtaStyle, HookType, VisualTag};
use serde::{Deserialize, Serialize};

/// One creative on one platform, fully specified: everything the true CTR depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreativeSpec {
    /// The account's niche.
    pub niche: Niche,
    /// The platform it runs on (one of [`Platform::KNOWN`]).
    pub platform: Platform,
    /// Hook type.
    pub hook: HookType,
    /// CTA style.
    pub cta: CtaStyle,
    /// Visual tags (each counted once, in the order given).
    pub visual_tags: Vec<VisualTag>,
    /// Format.
    pub format: AdFormat,
    /// Video duration in seconds (finite, > 0), if any.
    pub duration_s: Option<f64>,
    /// Posting hour 0-23.
    pub posting_hour: u8,
    /// The account's CTR effect `a_account` (log-odds).
    pub account_effect: f64,
    /// The creative's unexplained CTR effect `e_creative` (log-odds).
    pub creative_noise: f64,
}

/// The truth about one creative.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// True click probability per impression.
    pub ctr: f64,
    /// The creative-attribute part of logit(ctr), already multiplied by `effect_scale`.
    pub attribute_logit: f64,
}

pub(super) fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

pub(super) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

fn get<K: Ord>(m: &std::collections::BTreeMap<K, f64>, k: &K) -> f64 {
    m.get(k).copied().unwrap_or(0.0)
}

/// The unscaled hook term `hook[h] * hook_mult[platform] + niche_hook[niche, h]`.
pub fn hook_effect(p: &SimParams, niche: Niche, platform: Platform, hook: HookType) -> f64 {
    get(&p.hook, &hook) * get(&p.hook_platform_multiplier, &platform) + niche_hook(p, niche, hook)
}

fn niche_hook(p: &SimParams, niche: Niche, hook: HookType) -> f64 {
    p.niche_hook
        .iter()
        .filter(|x| x.niche == niche && x.term == hook)
        .map(|x| x.effect)
        .sum::<f64>()
}

/// The unscaled visual term of one tag, `visual[v] * visual_mult[platform] + niche_visual[niche, v]`.
pub fn visual_effect(p: &SimParams, niche: Niche, platform: Platform, tag: VisualTag) -> f64 {
    get(&p.visual, &tag) * get(&p.visual_platform_multiplier, &platform)
        + p.niche_visual
            .iter()
            .filter(|x| x.niche == niche && x.term == tag)
            .map(|x| x.effect)
            .sum::<f64>()
}

/// The unscaled duration term: 0 inside the best range, `-penalty * log2` of the distance outside.
pub fn duration_effect(p: &SimParams, duration_s: f64) -> f64 {
    let d = &p.duration;
    if duration_s < d.best_min_s {
        -d.penalty_per_doubling * libm::log2(d.best_min_s / duration_s)
    } else if duration_s > d.best_max_s {
        -d.penalty_per_doubling * libm::log2(duration_s / d.best_max_s)
    } else {
        0.0
    }
}

/// The unscaled format term on a platform (0 for a format the platform does not run).
pub fn format_effect(p: &SimParams, platform: Platform, format: AdFormat) -> f64 {
    p.format.get(&platform).map_or(0.0, |m| get(m, &format))
}

fn invalid(field: &str, message: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, message)
}

/// The true CTR and attribute logit of `spec` under `p` with `effect_scale`.
///
/// Errors name the field: `effect_scale` (finite, >= 0), `platform` (a known platform),
/// `posting_hour` (0-23), `duration_s` (finite, > 0), `account_effect` / `creative_noise` (finite).
pub fn true_ctr(p: &SimParams, effect_scale: f64, spec: &CreativeSpec) -> Result<Truth> {
    if !(effect_scale.is_finite() && effect_scale >= 0.0) {
        return Err(invalid(
            "effect_scale",
            format!("must be finite and >= 0, got {effect_scale}"),
        ));
    }
    if !p.platforms.contains_key(&spec.platform) {
        return Err(invalid(
            "platform",
            format!("the simulator has no parameters for {}", spec.platform),
        ));
    }
    if spec.posting_hour > 23 {
        return Err(invalid(
            "posting_hour",
            format!("must be 0-23, got {}", spec.posting_hour),
        ));
    }
    if let Some(d) = spec.duration_s {
        if !(d.is_finite() && d > 0.0) {
            return Err(invalid(
                "duration_s",
                format!("must be finite and > 0, got {d}"),
            ));
        }
    }
    for (field, v) in [
        ("account_effect", spec.account_effect),
        ("creative_noise", spec.creative_noise),
    ] {
        if !v.is_finite() {
            return Err(invalid(field, format!("must be finite, got {v}")));
        }
    }
    Ok(truth_unchecked(p, effect_scale, spec))
}

/// [`true_ctr`] without the checks, for the generator (whose inputs are valid by construction).
pub(super) fn truth_unchecked(p: &SimParams, scale: f64, s: &CreativeSpec) -> Truth {
    let (niche, platform) = (s.niche, s.platform);
    // The order of the additions is the generator's historical order (bit-identical output).
    let mut attr =
        get(&p.hook, &s.hook) * get(&p.hook_platform_multiplier, &platform) + get(&p.cta, &s.cta);
    attr += niche_hook(p, niche, s.hook);
    for t in &s.visual_tags {
        attr += get(&p.visual, t) * get(&p.visual_platform_multiplier, &platform);
        attr += p
            .niche_visual
            .iter()
            .filter(|x| x.niche == niche && x.term == *t)
            .map(|x| x.effect)
            .sum::<f64>();
    }
    attr += format_effect(p, platform, s.format);
    if let Some(d) = s.duration_s {
        let e = duration_effect(p, d);
        if e != 0.0 {
            attr += e;
        }
    }
    attr += p.hour_effect[usize::from(s.posting_hour)];
    let attribute_logit = scale * attr;
    let ctr = sigmoid(
        logit(p.platform(platform).base_ctr)
            + get(&p.niche_ctr, &niche)
            + s.account_effect
            + s.creative_noise
            + attribute_logit,
    );
    Truth {
        ctr,
        attribute_logit,
    }
}

/// The attributes the generator draws for one creative on one platform (everything but hook and
/// CTA, which it draws once per creative): what an account "does alone" in the simulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawnAttributes {
    /// Format, by the platform's `format_weights`.
    pub format: AdFormat,
    /// Duration for videos: log-uniform in `[duration.min_s, duration.max_s]`, rounded to 1 s.
    pub duration_s: Option<f64>,
    /// Each visual tag independently with `structure.visual_tag_probability`.
    pub visual_tags: Vec<VisualTag>,
    /// 10 %: any hour 0-23; else 6-23.
    pub posting_hour: u8,
}

/// Draw a creative's platform-level attributes exactly as the generator does (same draws in the
/// same order from `r`; the generator calls this).
pub fn draw_record_attributes(
    p: &SimParams,
    platform: Platform,
    r: &mut crate::rng::Rng,
) -> DrawnAttributes {
    let formats: Vec<(AdFormat, f64)> = p
        .format_weights
        .get(&platform)
        .map(|m| m.iter().map(|(f, w)| (*f, *w)).collect())
        .unwrap_or_default();
    let weights: Vec<f64> = formats.iter().map(|(_, w)| *w).collect();
    let format = formats
        .get(r.weighted(&weights))
        .map_or(AdFormat::Unknown, |(f, _)| *f);
    let video = format == AdFormat::Video;
    let d = &p.duration;
    let duration_s =
        video.then(|| libm::round(d.min_s * libm::pow(d.max_s / d.min_s, r.uniform())));
    let visual_tags: Vec<VisualTag> = p
        .visual
        .keys()
        .copied()
        .filter(|_| r.chance(p.structure.visual_tag_probability))
        .collect();
    let posting_hour = if r.chance(0.1) {
        r.range(0, 23)
    } else {
        r.range(6, 23)
    } as u8;
    DrawnAttributes {
        format,
        duration_s,
        visual_tags,
        posting_hour,
    }
}
