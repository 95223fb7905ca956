//! Feature encoders of the two CTR models: creative attributes before launch, and a running
//! campaign's early-period metrics in flight.
//!
//! # Pre-launch layout ([`PRELAUNCH_LAYOUT`], 142 columns)
//!
//! One row per creative *on one platform*. Every column is 0/1 unless said otherwise; an
//! `unknown` platform sets no platform column (and no platform interaction).
//!
//! | columns | count | meaning |
//! |---|---|---|
//! | `platform=<p>` | 3 | meta, tiktok, google_ads |
//! | `niche=<n>` | 16 | the 15 niches, then `niche=unknown` (also for a missing niche) |
//! | `hook=<h>` | 12 | every [`HookType`] (incl. `other`, `unknown`) |
//! | `cta=<c>` | 19 | every [`CtaStyle`] |
//! | `format=<f>` | 8 | every [`AdFormat`] |
//! | `visual=<v>` | 14 | multi-hot over every [`VisualTag`] |
//! | `duration_below_15s_log2` | 1 | `max(0, log2(15 / d))` (video shorter than the common 15-30 s sweet spot) |
//! | `duration_above_30s_log2` | 1 | `max(0, log2(d / 30))` |
//! | `duration_unknown` | 1 | no duration given |
//! | `hour=HH-HH` | 8 | posting hour in 3-hour buckets (00-02, 03-05, ..., 21-23) |
//! | `hour_unknown` | 1 | no posting hour given |
//! | `prior_logit` | 1 | `logit(prior)` from [`NichePriors`] for (niche, platform), 0 without one |
//! | `has_prior` | 1 | a prior was available |
//! | `<tiktok,google_ads> x hook=<h>` | 20 | platform-specific hook effects, the 10 named hooks (meta is the reference) |
//! | `<tiktok,google_ads> x visual=<v>` | 24 | platform-specific visual effects, the 12 named tags |
//! | `<tiktok,google_ads> x format=<f>` | 12 | platform-specific format effects, the 6 named formats |
//!
//! The simulator's niche x hook and niche x visual interactions are **not** encoded (15 x 22 more
//! columns would triple the file with its covariance for effects of 0.05-0.15 log-odds on a few
//! cells); `docs/ctr.md` measures what that costs against the attribute oracle.
//!
//! # In-flight layout ([`INFLIGHT_LAYOUT`], 32 columns)
//!
//! One row per (creative, target platform): predict the target platform's CTR over the *next*
//! period from every platform's metrics of the *earlier* period. Columns 0-18 are the 19 unified
//! features of [`crate::features`] (built by [`FeatureBuilder`], `Corrected` mode by default) over
//! the early metrics of all the creative's platforms, with the creative-DNA features defined here:
//!
//! - 16 `creative_dna_score` = `σ(η(x) − η(x_ref))`, where `η` is the pre-launch model's linear
//!   predictor, `x` the creative's pre-launch row on the target platform and `x_ref` the same row
//!   with hook, CTA and format `unknown`, no visual tags, no duration and no posting hour: the
//!   attributes' lift over an unknown creative, mapped to 0..1 (0.5 = no lift);
//! - 17 `hook_strength` = the same, restricted to the hook columns (`hook=*`, `* x hook=*`);
//! - 18 `visual_appeal` = the same, restricted to the visual columns (`visual=*`, `* x visual=*`).
//!
//! Without a pre-launch model the three are missing and read as the neutral 0.5.
//!
//! Then 13 columns built from the early clicks and impressions, with the smoothed log-odds
//! `lo = ln((c + 0.5) / (n − c + 0.5))` and the reliability `r = c / (c + 10)` of each platform:
//!
//! | columns | count | meaning |
//! |---|---|---|
//! | `target=<p>` | 3 | the platform being predicted |
//! | `target_logodds_x_rel` | 1 | `lo · r` of the target platform (0 when it has no early data) |
//! | `target_rel x <p>` | 3 | `r` of the target platform, in its own platform's column |
//! | `other_logodds_x_rel <p>` | 3 | `lo · r` of each *other* platform with early data |
//! | `other_rel <p>` | 3 | `r` of each other platform |
//!
//! (`β·(lo − ref)·r` needs both `lo·r` and `r`: the platform's reference level is learned.)
//!
//! # Training rows from daily series ([`inflight_rows`])
//!
//! A simulated creative runs on each of its platforms over the same days. Split rule: the first
//! `early_days` days are the earlier period (features), every later day is the next period
//! (label: its clicks out of its impressions). Records with `<= early_days` days are skipped.
//! The label is never computed from the inputs.

use super::ctr::CtrModel;
use crate::error::{Error, ErrorCode, Result};
use crate::features::{CreativeDna, FeatureBuilder, N_FEATURES};
use crate::metrics::PlatformMetrics;
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{AdFormat, CreativeRecord, CtaStyle, HookType, VisualTag};
use serde::{Deserialize, Serialize};

/// Id of the pre-launch column layout: the low 32 bits of FNV-1a 64 of the column names joined
/// by `\n` (a test recomputes it, so a layout change cannot keep the old id).
pub const PRELAUNCH_LAYOUT: u32 = 0x62e9_2e5c;
/// Id of the in-flight column layout (same rule as [`PRELAUNCH_LAYOUT`]).
pub const INFLIGHT_LAYOUT: u32 = 0x7001_166d;

/// Number of pre-launch columns.
pub const PRELAUNCH_COLUMNS: usize = 142;
/// Number of in-flight columns.
pub const INFLIGHT_COLUMNS: usize = N_FEATURES + 13;

/// Longest video accepted (seconds), as in record validation.
pub const MAX_DURATION_S: f64 = 600.0;

/// What is known about a creative before launch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct CreativeAttributes {
    /// Platform it will run on (`unknown` sets no platform column).
    pub platform: Platform,
    /// Declared or detected niche, when known.
    #[serde(default)]
    pub niche: Option<Niche>,
    /// How it opens.
    pub hook_type: HookType,
    /// Its call to action.
    pub cta_style: CtaStyle,
    /// Visual patterns present.
    #[serde(default)]
    pub visual_tags: Vec<VisualTag>,
    /// Its format.
    pub format: AdFormat,
    /// Video duration in seconds (0 < d <= 600), when a video and known.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// Posting hour 0-23, when known.
    #[serde(default)]
    pub posting_hour: Option<u8>,
}

impl From<&CreativeRecord> for CreativeAttributes {
    fn from(r: &CreativeRecord) -> Self {
        CreativeAttributes {
            platform: r.platform,
            niche: r.niche,
            hook_type: r.hook_type,
            cta_style: r.cta_style,
            visual_tags: r.visual_tags.clone(),
            format: r.format,
            duration_s: r.duration_s,
            posting_hour: r.posting_hour,
        }
    }
}

impl CreativeAttributes {
    /// Attributes with every optional part unknown.
    pub fn new(
        platform: Platform,
        hook_type: HookType,
        cta_style: CtaStyle,
        format: AdFormat,
    ) -> Self {
        CreativeAttributes {
            platform,
            niche: None,
            hook_type,
            cta_style,
            visual_tags: Vec::new(),
            format,
            duration_s: None,
            posting_hour: None,
        }
    }

    /// Reject an out-of-range duration or posting hour, naming the field.
    pub fn validate(&self) -> Result<()> {
        if let Some(d) = self.duration_s {
            if !(d.is_finite() && d > 0.0 && d <= MAX_DURATION_S) {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    "duration_s",
                    format!("must be a number of seconds in (0, {MAX_DURATION_S}], got {d}"),
                ));
            }
        }
        if let Some(h) = self.posting_hour {
            if h > 23 {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    "posting_hour",
                    format!("must be an hour 0-23, got {h}"),
                ));
            }
        }
        Ok(())
    }

    /// The same creative with nothing known beyond platform and niche (the DNA reference).
    fn reference(&self) -> Self {
        CreativeAttributes {
            niche: self.niche,
            ..CreativeAttributes::new(
                self.platform,
                HookType::Unknown,
                CtaStyle::Unknown,
                AdFormat::Unknown,
            )
        }
    }
}

/// Benchmark CTRs per niche and platform (published niche wisdom enters the model here).
pub trait NichePriors {
    /// A prior CTR in (0, 1) for `niche` on `platform`, or `None` when there is none.
    fn ctr_prior(&self, niche: Niche, platform: Platform) -> Option<f64>;
}

/// No priors: `prior_logit` is 0 and `has_prior` 0 in every row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoPriors;

impl NichePriors for NoPriors {
    fn ctr_prior(&self, _: Niche, _: Platform) -> Option<f64> {
        None
    }
}

/// A benchmark CTR for one niche on one platform (e.g. published niche wisdom), fed to the
/// pre-launch encoder's `prior_logit` / `has_prior` columns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct NichePrior {
    /// The niche (not `"unknown"`).
    pub niche: Niche,
    /// The platform.
    pub platform: Platform,
    /// The prior click-through rate, in (0, 1).
    pub ctr: f64,
}

/// A checked table of [`NichePrior`]s: every rate in (0, 1), every niche known, at most one
/// prior per (niche, platform). The only way to build one is [`PriorTable::new`], so every
/// binding (npm, Worker, CLI) applies the same checks and names the same fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriorTable(Vec<NichePrior>);

impl PriorTable {
    /// Check `priors`; an error names the entry (`priors[2].ctr`, `priors[1].niche`, `priors[3]`
    /// for a repeated pair).
    pub fn new(priors: Vec<NichePrior>) -> Result<Self, Error> {
        for (i, p) in priors.iter().enumerate() {
            if !(p.ctr.is_finite() && p.ctr > 0.0 && p.ctr < 1.0) {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    format!("priors[{i}].ctr"),
                    format!("must be a rate in (0, 1), got {}", p.ctr),
                ));
            }
            if p.niche == Niche::Unknown {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    format!("priors[{i}].niche"),
                    "a prior needs a known niche",
                ));
            }
            if priors[..i]
                .iter()
                .any(|q| q.niche == p.niche && q.platform == p.platform)
            {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("priors[{i}]"),
                    format!("a second prior for {} on {}", p.niche, p.platform),
                ));
            }
        }
        Ok(PriorTable(priors))
    }

    /// The checked priors, in the order given.
    pub fn priors(&self) -> &[NichePrior] {
        &self.0
    }
}

impl NichePriors for PriorTable {
    fn ctr_prior(&self, niche: Niche, platform: Platform) -> Option<f64> {
        self.0
            .iter()
            .find(|p| p.niche == niche && p.platform == platform)
            .map(|p| p.ctr)
    }
}

/// The hooks, tags and formats that get a platform interaction (the named terms).
const NAMED_HOOKS: usize = 10;
const NAMED_VISUALS: usize = 12;
const NAMED_FORMATS: usize = 6;
/// Platforms with interaction columns (meta is the reference).
const INTERACTION_PLATFORMS: [Platform; 2] = [Platform::Tiktok, Platform::GoogleAds];

/// Column offsets of the pre-launch layout.
mod col {
    use super::*;
    pub const PLATFORM: usize = 0;
    pub const NICHE: usize = PLATFORM + 3;
    pub const HOOK: usize = NICHE + 16;
    pub const CTA: usize = HOOK + HookType::ALL.len();
    pub const FORMAT: usize = CTA + CtaStyle::ALL.len();
    pub const VISUAL: usize = FORMAT + AdFormat::ALL.len();
    pub const DURATION: usize = VISUAL + VisualTag::ALL.len();
    pub const HOUR: usize = DURATION + 3;
    pub const PRIOR: usize = HOUR + 9;
    pub const X_HOOK: usize = PRIOR + 2;
    pub const X_VISUAL: usize = X_HOOK + 2 * NAMED_HOOKS;
    pub const X_FORMAT: usize = X_VISUAL + 2 * NAMED_VISUALS;
    pub const END: usize = X_FORMAT + 2 * NAMED_FORMATS;
}

const _: () = assert!(col::END == PRELAUNCH_COLUMNS);

/// Pre-launch column names, in order (see the module table).
pub fn prelaunch_feature_names() -> Vec<String> {
    let mut n = Vec::with_capacity(PRELAUNCH_COLUMNS);
    for p in Platform::KNOWN {
        n.push(format!("platform={p}"));
    }
    for x in Niche::ALL {
        n.push(format!("niche={x}"));
    }
    n.push("niche=unknown".into());
    n.extend(HookType::ALL.iter().map(|x| format!("hook={x}")));
    n.extend(CtaStyle::ALL.iter().map(|x| format!("cta={x}")));
    n.extend(AdFormat::ALL.iter().map(|x| format!("format={x}")));
    n.extend(VisualTag::ALL.iter().map(|x| format!("visual={x}")));
    n.push("duration_below_15s_log2".into());
    n.push("duration_above_30s_log2".into());
    n.push("duration_unknown".into());
    for b in 0..8 {
        n.push(format!("hour={:02}-{:02}", 3 * b, 3 * b + 2));
    }
    n.push("hour_unknown".into());
    n.push("prior_logit".into());
    n.push("has_prior".into());
    for p in INTERACTION_PLATFORMS {
        n.extend(
            HookType::ALL[..NAMED_HOOKS]
                .iter()
                .map(|x| format!("{p} x hook={x}")),
        );
    }
    for p in INTERACTION_PLATFORMS {
        n.extend(
            VisualTag::ALL[..NAMED_VISUALS]
                .iter()
                .map(|x| format!("{p} x visual={x}")),
        );
    }
    for p in INTERACTION_PLATFORMS {
        n.extend(
            AdFormat::ALL[..NAMED_FORMATS]
                .iter()
                .map(|x| format!("{p} x format={x}")),
        );
    }
    n
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Write one pre-launch row into `out` (length [`PRELAUNCH_COLUMNS`], zeroed by the caller).
fn write_prelaunch(
    c: &CreativeAttributes,
    priors: &dyn NichePriors,
    out: &mut [f32],
) -> Result<()> {
    c.validate()?;
    let inter = INTERACTION_PLATFORMS.iter().position(|p| *p == c.platform);
    if c.platform != Platform::Unknown {
        out[col::PLATFORM + c.platform.index()] = 1.0;
    }
    let niche = c.niche.unwrap_or(Niche::Unknown);
    out[col::NICHE + niche.index().unwrap_or(15)] = 1.0;
    let h = c.hook_type.index();
    out[col::HOOK + h] = 1.0;
    out[col::CTA + c.cta_style.index()] = 1.0;
    let f = c.format.index();
    out[col::FORMAT + f] = 1.0;
    for t in &c.visual_tags {
        let v = t.index();
        out[col::VISUAL + v] = 1.0;
        if let (Some(k), true) = (inter, v < NAMED_VISUALS) {
            out[col::X_VISUAL + k * NAMED_VISUALS + v] = 1.0;
        }
    }
    if let Some(k) = inter {
        if h < NAMED_HOOKS {
            out[col::X_HOOK + k * NAMED_HOOKS + h] = 1.0;
        }
        if f < NAMED_FORMATS {
            out[col::X_FORMAT + k * NAMED_FORMATS + f] = 1.0;
        }
    }
    match c.duration_s {
        Some(d) => {
            out[col::DURATION] = (15.0 / d).log2().max(0.0) as f32;
            out[col::DURATION + 1] = (d / 30.0).log2().max(0.0) as f32;
        }
        None => out[col::DURATION + 2] = 1.0,
    }
    match c.posting_hour {
        Some(h) => out[col::HOUR + usize::from(h / 3)] = 1.0,
        None => out[col::HOUR + 8] = 1.0,
    }
    if let Some(n) = c.niche.filter(|n| *n != Niche::Unknown) {
        if let Some(p) = priors.ctr_prior(n, c.platform) {
            if !(p.is_finite() && p > 0.0 && p < 1.0) {
                return Err(Error::field(
                    ErrorCode::InvalidValue,
                    "niche",
                    format!(
                        "the CTR prior for {n} on {} must be in (0, 1), got {p}",
                        c.platform
                    ),
                ));
            }
            out[col::PRIOR] = logit(p) as f32;
            out[col::PRIOR + 1] = 1.0;
        }
    }
    Ok(())
}

/// Encode one creative into a pre-launch row ([`PRELAUNCH_COLUMNS`] values).
pub fn encode_creative(c: &CreativeAttributes, priors: &dyn NichePriors) -> Result<Vec<f32>> {
    let mut out = vec![0f32; PRELAUNCH_COLUMNS];
    write_prelaunch(c, priors, &mut out)?;
    Ok(out)
}

/// Encode many creatives, row-major `n x PRELAUNCH_COLUMNS`. Errors name `creatives[i]`.
pub fn encode_creatives(c: &[CreativeAttributes], priors: &dyn NichePriors) -> Result<Vec<f32>> {
    let mut out = vec![0f32; c.len() * PRELAUNCH_COLUMNS];
    for (i, (a, row)) in c
        .iter()
        .zip(out.chunks_exact_mut(PRELAUNCH_COLUMNS))
        .enumerate()
    {
        write_prelaunch(a, priors, row).map_err(|e| e.within(&format!("creatives[{i}]")))?;
    }
    Ok(out)
}

/// In-flight column names, in order (see the module table).
pub fn inflight_feature_names() -> Vec<String> {
    let mut n: Vec<String> = crate::features::FEATURE_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in Platform::KNOWN {
        n.push(format!("target={p}"));
    }
    n.push("target_logodds_x_rel".into());
    for p in Platform::KNOWN {
        n.push(format!("target_rel x {p}"));
    }
    for p in Platform::KNOWN {
        n.push(format!("other_logodds_x_rel {p}"));
    }
    for p in Platform::KNOWN {
        n.push(format!("other_rel {p}"));
    }
    n
}

/// Builds in-flight rows: the unified features (via a [`FeatureBuilder`]) plus the early-period
/// columns, with the creative-DNA features from an optional pre-launch model.
pub struct InflightEncoder<'a> {
    builder: FeatureBuilder,
    prelaunch: Option<&'a CtrModel>,
    priors: &'a dyn NichePriors,
}

impl<'a> InflightEncoder<'a> {
    /// An encoder. `prelaunch`, when given, must be a pre-launch model of [`PRELAUNCH_LAYOUT`].
    pub fn new(
        builder: FeatureBuilder,
        prelaunch: Option<&'a CtrModel>,
        priors: &'a dyn NichePriors,
    ) -> Result<Self> {
        if let Some(m) = prelaunch {
            m.expect(super::ctr::ModelKind::PreLaunch, PRELAUNCH_LAYOUT)?;
        }
        Ok(InflightEncoder {
            builder,
            prelaunch,
            priors,
        })
    }

    /// Creative DNA of `attrs` on its platform (module doc, features 16-18); all missing without
    /// a pre-launch model.
    pub fn creative_dna(&self, attrs: &CreativeAttributes) -> Result<CreativeDna> {
        let Some(m) = self.prelaunch else {
            return Ok(CreativeDna::default());
        };
        let x = encode_creative(attrs, self.priors)?;
        let r = encode_creative(&attrs.reference(), self.priors)?;
        let w = m.weights();
        let part = |range: &dyn Fn(usize) -> bool| -> f64 {
            let z: f64 = (0..PRELAUNCH_COLUMNS)
                .filter(|&j| range(j))
                .map(|j| f64::from(w[j]) * (f64::from(x[j]) - f64::from(r[j])))
                .sum();
            super::logistic::sigmoid(z)
        };
        let hook = |j: usize| {
            (col::HOOK..col::CTA).contains(&j) || (col::X_HOOK..col::X_VISUAL).contains(&j)
        };
        let visual = |j: usize| {
            (col::VISUAL..col::DURATION).contains(&j) || (col::X_VISUAL..col::X_FORMAT).contains(&j)
        };
        Ok(CreativeDna {
            composite_score: Some(part(&|_| true)),
            hook_strength: Some(part(&hook)),
            visual_appeal: Some(part(&visual)),
        })
    }

    /// One in-flight row ([`INFLIGHT_COLUMNS`] values): predict `target`'s next-period CTR from
    /// every platform's `early` metrics (each platform at most once) and the creative's
    /// attributes (`attrs.platform` is ignored; `target` is used).
    pub fn encode(
        &self,
        target: Platform,
        early: &[PlatformMetrics],
        attrs: &CreativeAttributes,
    ) -> Result<Vec<f32>> {
        if target == Platform::Unknown {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "target",
                "the target platform must be meta, tiktok or google_ads",
            ));
        }
        let on_target = CreativeAttributes {
            platform: target,
            ..attrs.clone()
        };
        let dna = self
            .creative_dna(&on_target)
            .map_err(|e| e.within("attributes"))?;
        let f = self.builder.unified(early, Some(&dna))?;
        let mut out = vec![0f32; INFLIGHT_COLUMNS];
        out[..N_FEATURES].copy_from_slice(&f.to_array());
        write_early_columns(target, early, &mut out[N_FEATURES..]);
        Ok(out)
    }
}

/// Writes the 13 early-period columns of an in-flight row (after the 19 unified features): the
/// target's one-hot, its own smoothed log-odds x reliability, and the per-platform reliabilities
/// and log-odds x reliability of the target and of the other platforms. `target` must be known.
pub(crate) fn write_early_columns(target: Platform, early: &[PlatformMetrics], out: &mut [f32]) {
    let mut own = 0.0;
    let mut own_rel = [0.0; 3];
    let mut other = [0.0; 3];
    let mut other_rel = [0.0; 3];
    for m in early {
        if m.platform == Platform::Unknown {
            continue;
        }
        let (c, n) = (m.clicks as f64, m.impressions as f64);
        let c = c.min(n);
        let lo = ((c + 0.5) / (n - c + 0.5)).ln();
        let rel = c / (c + 10.0);
        let k = m.platform.index();
        if m.platform == target {
            own = lo * rel;
            own_rel[k] = rel;
        } else {
            other[k] = lo * rel;
            other_rel[k] = rel;
        }
    }
    let mut i = 0;
    let mut put = |v: f32| {
        out[i] = v;
        i += 1;
    };
    for p in Platform::KNOWN {
        put(if p == target { 1.0 } else { 0.0 });
    }
    put(own as f32);
    own_rel.iter().for_each(|&v| put(v as f32));
    other.iter().for_each(|&v| put(v as f32));
    other_rel.iter().for_each(|&v| put(v as f32));
}

/// Per-platform metrics of a run of days (CTR, CPC and CPM derived from the counts; 0 when
/// undefined).
pub fn metrics_of_days(
    platform: Platform,
    days: &[crate::record::DailyOutcome],
) -> PlatformMetrics {
    let (mut n, mut c, mut conv, mut spend, mut rev) = (0u64, 0u64, 0u64, 0.0, 0.0);
    for d in days {
        n = n.saturating_add(d.impressions);
        c = c.saturating_add(d.clicks);
        conv = conv.saturating_add(d.conversions.unwrap_or(0));
        spend += d.spend;
        rev += d.revenue.unwrap_or(0.0);
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let mut m = PlatformMetrics::new(
        platform,
        ratio(c as f64, n as f64).min(1.0),
        ratio(spend, c as f64),
        ratio(spend * 1000.0, n as f64),
        n,
        c,
        spend,
    );
    m.conversions = conv;
    m.revenue = rev;
    m
}

/// In-flight training rows built from records' daily series (module doc: split rule).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InflightRows {
    /// Row-major `rows x INFLIGHT_COLUMNS` features.
    pub x: Vec<f32>,
    /// Next-period clicks per row.
    pub clicks: Vec<f64>,
    /// Next-period impressions per row.
    pub impressions: Vec<f64>,
    /// Early-period clicks of the target platform (for the "early CTR" baseline).
    pub early_clicks: Vec<f64>,
    /// Early-period impressions of the target platform.
    pub early_impressions: Vec<f64>,
    /// Index of the source record of each row.
    pub record: Vec<usize>,
}

impl InflightRows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.clicks.len()
    }
    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.clicks.is_empty()
    }
}

/// Build in-flight rows: records sharing `account_id` and `headline`-independent creative key
/// (the record id without its platform suffix, `sim-a0001-c03`) form one creative whose platforms'
/// early metrics are combined; each record with more than `early_days` days gives one row.
pub fn inflight_rows(
    records: &[CreativeRecord],
    early_days: usize,
    encoder: &InflightEncoder<'_>,
) -> Result<InflightRows> {
    if early_days == 0 {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "early_days",
            "must be >= 1",
        ));
    }
    let key = |r: &CreativeRecord| -> String {
        let suffix = format!("-{}", r.platform.as_str());
        r.record_id
            .strip_suffix(&suffix)
            .unwrap_or(&r.record_id)
            .to_string()
    };
    let mut groups: std::collections::BTreeMap<(String, String), Vec<usize>> = Default::default();
    for (i, r) in records.iter().enumerate() {
        groups
            .entry((r.account_id.clone(), key(r)))
            .or_default()
            .push(i);
    }
    let mut order: Vec<(usize, Vec<usize>)> = groups.into_values().map(|v| (v[0], v)).collect();
    order.sort_by_key(|(first, _)| *first);
    let mut out = InflightRows::default();
    for (_, members) in order {
        let early: Vec<PlatformMetrics> = members
            .iter()
            .map(|&i| &records[i])
            .filter(|r| r.daily.len() > early_days && r.platform != Platform::Unknown)
            .map(|r| metrics_of_days(r.platform, &r.daily[..early_days]))
            .collect();
        if early.is_empty() {
            continue;
        }
        for &i in &members {
            let r = &records[i];
            if r.daily.len() <= early_days || r.platform == Platform::Unknown {
                continue;
            }
            let row = encoder
                .encode(r.platform, &early, &CreativeAttributes::from(r))
                .map_err(|e| e.within(&format!("records[{i}]")))?;
            let late = metrics_of_days(r.platform, &r.daily[early_days..]);
            let first = metrics_of_days(r.platform, &r.daily[..early_days]);
            out.x.extend_from_slice(&row);
            out.clicks.push(late.clicks as f64);
            out.impressions.push(late.impressions as f64);
            out.early_clicks.push(first.clicks as f64);
            out.early_impressions.push(first.impressions as f64);
            out.record.push(i);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::fnv1a64;

    fn attrs() -> CreativeAttributes {
        CreativeAttributes {
            niche: Some(Niche::Beauty),
            visual_tags: vec![VisualTag::BeforeAfter, VisualTag::Other],
            duration_s: Some(60.0),
            posting_hour: Some(23),
            ..CreativeAttributes::new(
                Platform::Tiktok,
                HookType::Offer,
                CtaStyle::ShopNow,
                AdFormat::Video,
            )
        }
    }

    #[test]
    fn layout_ids_and_names_agree() {
        let names = prelaunch_feature_names();
        assert_eq!(names.len(), PRELAUNCH_COLUMNS);
        assert_eq!(
            fnv1a64(names.join("\n").as_bytes()) as u32,
            PRELAUNCH_LAYOUT
        );
        let set: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(set.len(), names.len(), "duplicate names");
        let inf = inflight_feature_names();
        assert_eq!(inf.len(), INFLIGHT_COLUMNS);
        assert_eq!(fnv1a64(inf.join("\n").as_bytes()) as u32, INFLIGHT_LAYOUT);
    }

    #[test]
    fn row_sets_the_named_columns() {
        let x = encode_creative(&attrs(), &NoPriors).unwrap();
        let names = prelaunch_feature_names();
        let on: Vec<&str> = names
            .iter()
            .zip(&x)
            .filter(|(_, v)| **v != 0.0)
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(
            on,
            [
                "platform=tiktok",
                "niche=beauty",
                "hook=offer",
                "cta=shop_now",
                "format=video",
                "visual=before_after",
                "visual=other",
                "duration_above_30s_log2",
                "hour=21-23",
                "tiktok x hook=offer",
                "tiktok x visual=before_after",
                "tiktok x format=video",
            ]
        );
        let i = names
            .iter()
            .position(|n| n == "duration_above_30s_log2")
            .unwrap();
        assert_eq!(x[i], 1.0);
    }

    struct Fixed(f64);
    impl NichePriors for Fixed {
        fn ctr_prior(&self, _: Niche, _: Platform) -> Option<f64> {
            Some(self.0)
        }
    }

    #[test]
    fn priors_and_bad_inputs() {
        let x = encode_creative(&attrs(), &Fixed(0.5)).unwrap();
        assert_eq!(x[col::PRIOR..col::PRIOR + 2], [0.0, 1.0]);
        let e = encode_creative(&attrs(), &Fixed(1.5)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("niche"));
        let mut a = attrs();
        a.posting_hour = Some(24);
        let e = encode_creatives(&[attrs(), a], &NoPriors).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("creatives[1].posting_hour"));
        for d in [0.0, -1.0, 601.0, f64::NAN] {
            let mut a = attrs();
            a.duration_s = Some(d);
            assert_eq!(
                a.validate().unwrap_err().field.as_deref(),
                Some("duration_s")
            );
        }
        let json = r#"{"platform":"meta","hook_type":"offer","cta_style":"shop_now","format":"image","colour":"red"}"#;
        assert!(serde_json::from_str::<CreativeAttributes>(json).is_err());
        let ok =
            r#"{"platform":"meta","hook_type":"offer","cta_style":"shop_now","format":"image"}"#;
        let a: CreativeAttributes = serde_json::from_str(ok).unwrap();
        assert_eq!(
            encode_creatives(&[a], &NoPriors).unwrap().len(),
            PRELAUNCH_COLUMNS
        );
    }

    #[test]
    fn inflight_rows_split_days_and_never_see_the_label() {
        let net = crate::sim::generate_network(&crate::sim::SimOptions {
            seed: 3,
            accounts: 6,
            effect_scale: None,
        })
        .unwrap();
        let enc = InflightEncoder::new(FeatureBuilder::default(), None, &NoPriors).unwrap();
        let rows = inflight_rows(&net.records, 3, &enc).unwrap();
        assert_eq!(rows.len(), net.records.len());
        assert_eq!(rows.x.len(), rows.len() * INFLIGHT_COLUMNS);
        for (k, &i) in rows.record.iter().enumerate() {
            let r = &net.records[i];
            let late: u64 = r.daily[3..].iter().map(|d| d.clicks).sum();
            assert_eq!(rows.clicks[k], late as f64);
            assert_eq!(rows.early_clicks[k] + rows.clicks[k], r.clicks as f64);
        }
        // Changing only the later days leaves the features unchanged.
        let mut recs = net.records.clone();
        for r in &mut recs {
            for d in &mut r.daily[3..] {
                d.clicks = 0;
            }
        }
        let again = inflight_rows(&recs, 3, &enc).unwrap();
        assert_eq!(again.x, rows.x);
        assert!(enc.encode(Platform::Unknown, &[], &attrs()).is_err());
        assert!(inflight_rows(&net.records, 0, &enc).is_err());
    }

    #[test]
    fn prior_tables_are_checked_once_in_the_core() {
        let p = |niche, platform, ctr| NichePrior {
            niche,
            platform,
            ctr,
        };
        let ok = PriorTable::new(vec![
            p(Niche::Beauty, Platform::Meta, 0.02),
            p(Niche::Beauty, Platform::Tiktok, 0.01),
        ])
        .unwrap();
        assert_eq!(ok.ctr_prior(Niche::Beauty, Platform::Tiktok), Some(0.01));
        assert_eq!(ok.ctr_prior(Niche::Fitness, Platform::Meta), None);
        assert_eq!(ok.priors().len(), 2);
        let field = |list| PriorTable::new(list).unwrap_err().field;
        for bad in [0.0, 1.0, -0.1, f64::NAN, f64::INFINITY] {
            let f = field(vec![
                p(Niche::Beauty, Platform::Meta, 0.02),
                p(Niche::Fitness, Platform::Meta, bad),
            ]);
            assert_eq!(f.as_deref(), Some("priors[1].ctr"), "{bad}");
        }
        let f = field(vec![p(Niche::Unknown, Platform::Meta, 0.02)]);
        assert_eq!(f.as_deref(), Some("priors[0].niche"));
        let e = PriorTable::new(vec![
            p(Niche::Beauty, Platform::Meta, 0.02),
            p(Niche::Beauty, Platform::Meta, 0.03),
        ])
        .unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Duplicate, Some("priors[1]"))
        );
    }
}
