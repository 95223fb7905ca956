//! Cross-platform aggregation of one campaign and the 19-feature vector.
//!
//! A campaign is an ordered list of per-platform metrics (each platform at most once). Every
//! platform is normalized, then (SEED-SPEC §2.2-2.4):
//!
//! - ctr, cpc, engagement and composite are **confidence-weighted** means
//!   `Σ(x·c) / Σc` (summed in input order);
//! - cpm and quality are **unweighted** means, as is the overall confidence;
//! - consistency = `exp(-10 · popvar(composites))`, or 1 with a single platform;
//! - best_platform_boost = max composite − weighted mean composite (0 if that mean is <= 0);
//! - multi_platform_bonus = `min(n − 1, 2) · 0.1`;
//! - volume features are `ln(1 + total)`.
//!
//! The feature order ([`FEATURE_NAMES`]) is the seed's and is what the in-flight CTR model reads.
//! In `Corrected` mode, a platform without an engagement (quality) signal is left out of the
//! engagement (quality) mean; with no signal at all the feature is the neutral 0.5. The creative
//! DNA features 16-18 are 0.5 only when missing; a real 0.0 stays 0.0 (the seed turns 0.0 into
//! 0.5).
//!
//! [`FeatureBuilder::matrix`] fills an `N x 19` `ndarray` matrix directly, with no per-row heap
//! allocation; [`FeatureBuilder::from_columns`] does the same from a columnar `f64` buffer (the
//! layout the JS batch API takes, see [`COLUMNS_PER_PLATFORM`]).

use crate::error::{Error, ErrorCode, Result};
use crate::metrics::PlatformMetrics;
use crate::normalize::{Mode, NormalizedMetrics, Normalizer};
use crate::numeric::{np_mean, np_var};
use crate::platform::Platform;
use ndarray::{Array2, ArrayViewMut1};
use serde::{Deserialize, Serialize};

/// Number of features in [`UnifiedFeatures::to_array`].
pub const N_FEATURES: usize = 19;

/// Feature names in vector order.
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "normalized_ctr",
    "normalized_cpc",
    "normalized_cpm",
    "normalized_engagement",
    "normalized_quality",
    "composite_score",
    "platform_consistency",
    "best_platform_boost",
    "multi_platform_bonus",
    "log_impressions",
    "log_clicks",
    "log_conversions",
    "confidence",
    "has_meta_data",
    "has_tiktok_data",
    "has_google_data",
    "creative_dna_score",
    "hook_strength",
    "visual_appeal",
];

/// Value used for a feature with no signal at all.
pub const NEUTRAL: f64 = 0.5;

/// Creative-DNA scores of the campaign's creative, each on 0..1 and optional.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct CreativeDna {
    /// Overall creative score (feature 16).
    #[serde(default)]
    pub composite_score: Option<f64>,
    /// Hook strength (feature 17).
    #[serde(default)]
    pub hook_strength: Option<f64>,
    /// Visual appeal (feature 18).
    #[serde(default)]
    pub visual_appeal: Option<f64>,
}

impl CreativeDna {
    fn validate(&self) -> Result<()> {
        let fields = [
            ("creative_dna.composite_score", self.composite_score),
            ("creative_dna.hook_strength", self.hook_strength),
            ("creative_dna.visual_appeal", self.visual_appeal),
        ];
        for (name, v) in fields {
            if let Some(v) = v {
                if !(0.0..=1.0).contains(&v) {
                    return Err(Error::field(
                        ErrorCode::InvalidValue,
                        name,
                        format!("must be a number in 0..1, got {v}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One platform's line in an insight's breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformBreakdown {
    /// The platform (input key).
    pub platform: Platform,
    /// Normalized CTR.
    pub ctr: f64,
    /// Normalized (inverted) CPC.
    pub cpc: f64,
    /// Normalized engagement (`None` without a signal in `Corrected` mode).
    pub engagement: Option<f64>,
    /// Composite score.
    pub composite_score: f64,
    /// Confidence.
    pub confidence: f64,
    /// Raw spend.
    pub spend: f64,
    /// Raw conversions.
    pub conversions: u64,
}

/// A campaign aggregated across its platforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct CrossPlatformInsight {
    /// Platforms in input order.
    pub platforms: Vec<Platform>,
    /// Confidence-weighted mean normalized CTR.
    pub avg_normalized_ctr: f64,
    /// Confidence-weighted mean normalized CPC.
    pub avg_normalized_cpc: f64,
    /// Confidence-weighted mean normalized engagement.
    pub avg_normalized_engagement: f64,
    /// Confidence-weighted mean composite.
    pub avg_composite_score: f64,
    /// `exp(-10 · popvar(composites))`, 1 with one platform.
    pub consistency_score: f64,
    /// Unweighted mean of platform confidences.
    pub confidence: f64,
    /// Σ impressions.
    pub total_impressions: u64,
    /// Σ conversions.
    pub total_conversions: u64,
    /// Σ spend (in input order).
    pub total_spend: f64,
    /// Number of platforms.
    pub sample_size: u32,
    /// Per-platform numbers, in input order.
    pub platform_breakdown: Vec<PlatformBreakdown>,
}

/// The 19 unified features at f64 precision (see [`FEATURE_NAMES`] for the vector order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct UnifiedFeatures {
    /// 0: confidence-weighted normalized CTR.
    pub normalized_ctr: f64,
    /// 1: confidence-weighted normalized CPC.
    pub normalized_cpc: f64,
    /// 2: unweighted normalized CPM.
    pub normalized_cpm: f64,
    /// 3: confidence-weighted normalized engagement.
    pub normalized_engagement: f64,
    /// 4: unweighted normalized quality.
    pub normalized_quality: f64,
    /// 5: confidence-weighted composite.
    pub composite_score: f64,
    /// 6: cross-platform consistency.
    pub platform_consistency: f64,
    /// 7: best platform's composite above the mean.
    pub best_platform_boost: f64,
    /// 8: 0, 0.1 or 0.2 for 1, 2, 3+ platforms.
    pub multi_platform_bonus: f64,
    /// Σ impressions (feature 9 is `ln(1 + x)`).
    pub total_impressions: u64,
    /// Σ clicks (feature 10 is `ln(1 + x)`).
    pub total_clicks: u64,
    /// Σ conversions (feature 11 is `ln(1 + x)`).
    pub total_conversions: u64,
    /// 12: unweighted mean confidence.
    pub confidence: f64,
    /// 13: Meta present.
    pub has_meta_data: bool,
    /// 14: TikTok present.
    pub has_tiktok_data: bool,
    /// 15: Google Ads present.
    pub has_google_data: bool,
    /// 16: creative DNA composite, if known.
    pub creative_dna_score: Option<f64>,
    /// 17: hook strength, if known.
    pub hook_strength: Option<f64>,
    /// 18: visual appeal, if known.
    pub visual_appeal: Option<f64>,
    /// How features 16-18 default (`Seed`: 0.0 also becomes 0.5).
    pub mode: Mode,
}

impl UnifiedFeatures {
    /// The 19-feature vector, as `f32`, in [`FEATURE_NAMES`] order.
    pub fn to_array(&self) -> [f32; N_FEATURES] {
        let mut out = [0f32; N_FEATURES];
        self.write_into(&mut out);
        out
    }

    pub(crate) fn write_into(&self, out: &mut [f32]) {
        let dna = |v: Option<f64>| -> f64 {
            match (self.mode, v) {
                (Mode::Seed, Some(x)) if x != 0.0 => x,
                (Mode::Corrected, Some(x)) => x,
                _ => NEUTRAL,
            }
        };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let values = [
            self.normalized_ctr,
            self.normalized_cpc,
            self.normalized_cpm,
            self.normalized_engagement,
            self.normalized_quality,
            self.composite_score,
            self.platform_consistency,
            self.best_platform_boost,
            self.multi_platform_bonus,
            (self.total_impressions as f64).ln_1p(),
            (self.total_clicks as f64).ln_1p(),
            (self.total_conversions as f64).ln_1p(),
            self.confidence,
            flag(self.has_meta_data),
            flag(self.has_tiktok_data),
            flag(self.has_google_data),
            dna(self.creative_dna_score),
            dna(self.hook_strength),
            dna(self.visual_appeal),
        ];
        for (o, v) in out.iter_mut().zip(values) {
            *o = v as f32;
        }
    }
}

/// One campaign: its per-platform metrics and, optionally, its creative's DNA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Campaign {
    /// Opaque campaign id.
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// Per-platform metrics, each platform at most once, in a meaningful order.
    pub platform_data: Vec<PlatformMetrics>,
    /// Creative DNA, if known.
    #[serde(default)]
    pub creative_dna: Option<CreativeDna>,
}

/// At most one entry per platform, so four slots hold any campaign without heap allocation.
const SLOTS: usize = Platform::ALL.len();

/// A campaign's normalized platforms, on the stack.
pub(crate) struct Normalized {
    pub(crate) items: [Option<(Platform, NormalizedMetrics)>; SLOTS],
    pub(crate) len: usize,
    pub(crate) totals: (u64, u64, u64, f64),
}

impl Normalized {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(Platform, NormalizedMetrics)> {
        self.items[..self.len].iter().flatten()
    }
}

/// Aggregates campaigns with a given [`Normalizer`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeatureBuilder {
    normalizer: Normalizer,
}

impl FeatureBuilder {
    /// A builder over `normalizer` (its mode decides the seed/corrected rules here too).
    pub fn new(normalizer: Normalizer) -> Self {
        FeatureBuilder { normalizer }
    }

    /// The normalizer.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    pub(crate) fn normalize_all(&self, data: &[PlatformMetrics]) -> Result<Normalized> {
        if data.is_empty() {
            return Err(Error::field(
                ErrorCode::EmptyInput,
                "platform_data",
                "needs at least one platform's metrics",
            ));
        }
        let mut out = Normalized {
            items: [None; SLOTS],
            len: 0,
            totals: (0, 0, 0, 0.0),
        };
        let mut seen = [false; SLOTS];
        for (i, m) in data.iter().enumerate() {
            let at = |e: Error| e.within(&format!("platform_data[{i}]"));
            if std::mem::replace(&mut seen[m.platform.index()], true) {
                return Err(Error::field(
                    ErrorCode::Duplicate,
                    format!("platform_data[{i}].platform"),
                    format!("platform {} appears more than once", m.platform),
                ));
            }
            let n = self.normalizer.normalize(m).map_err(at)?;
            out.items[out.len] = Some((m.platform, n));
            out.len += 1;
            let t = &mut out.totals;
            t.0 = t.0.saturating_add(m.impressions);
            t.1 = t.1.saturating_add(m.clicks);
            t.2 = t.2.saturating_add(m.conversions);
            // Saturating: two spends near f64::MAX must not make the total infinite.
            t.3 = (t.3 + m.spend).min(f64::MAX);
        }
        Ok(out)
    }

    /// Aggregate a campaign into an insight (SEED-SPEC §2.2).
    pub fn aggregate(&self, platform_data: &[PlatformMetrics]) -> Result<CrossPlatformInsight> {
        let n = self.normalize_all(platform_data)?;
        Ok(self.insight(&n))
    }

    /// The unified features of a campaign (SEED-SPEC §2.3).
    pub fn unified(
        &self,
        platform_data: &[PlatformMetrics],
        creative_dna: Option<&CreativeDna>,
    ) -> Result<UnifiedFeatures> {
        let n = self.normalize_all(platform_data)?;
        if let Some(d) = creative_dna {
            d.validate()?;
        }
        Ok(self.features(&n, creative_dna))
    }

    /// Both the insight and the unified features, normalizing each platform once.
    pub fn insight_and_features(
        &self,
        platform_data: &[PlatformMetrics],
        creative_dna: Option<&CreativeDna>,
    ) -> Result<(CrossPlatformInsight, UnifiedFeatures)> {
        let n = self.normalize_all(platform_data)?;
        if let Some(d) = creative_dna {
            d.validate()?;
        }
        Ok((self.insight(&n), self.features(&n, creative_dna)))
    }

    fn insight(&self, n: &Normalized) -> CrossPlatformInsight {
        let s = self.summarize(n);
        CrossPlatformInsight {
            platforms: n.iter().map(|(p, _)| *p).collect(),
            avg_normalized_ctr: s.ctr,
            avg_normalized_cpc: s.cpc,
            avg_normalized_engagement: s.engagement,
            avg_composite_score: s.composite,
            consistency_score: s.consistency,
            confidence: s.confidence,
            total_impressions: n.totals.0,
            total_conversions: n.totals.2,
            total_spend: n.totals.3,
            sample_size: n.len as u32,
            platform_breakdown: n
                .iter()
                .map(|(p, m)| PlatformBreakdown {
                    platform: *p,
                    ctr: m.normalized_ctr,
                    cpc: m.normalized_cpc,
                    engagement: m.normalized_engagement,
                    composite_score: m.composite_score,
                    confidence: m.confidence,
                    spend: m.spend,
                    conversions: m.conversions,
                })
                .collect(),
        }
    }

    /// Build the `N x 19` feature matrix of many campaigns. Errors name the campaign index.
    pub fn matrix(&self, campaigns: &[Campaign]) -> Result<Array2<f32>> {
        let mut out = Array2::<f32>::zeros((campaigns.len(), N_FEATURES));
        for (i, (c, row)) in campaigns.iter().zip(out.rows_mut()).enumerate() {
            let at = |e: Error| e.within(&format!("campaigns[{i}]"));
            let n = self.normalize_all(&c.platform_data).map_err(at)?;
            if let Some(d) = &c.creative_dna {
                d.validate().map_err(at)?;
            }
            write_row(row, &self.features(&n, c.creative_dna.as_ref()));
        }
        Ok(out)
    }

    pub(crate) fn features(&self, n: &Normalized, dna: Option<&CreativeDna>) -> UnifiedFeatures {
        let s = self.summarize(n);
        let has = |p: Platform| n.iter().any(|(q, _)| *q == p);
        let boost = if s.composite > 0.0 {
            let max = n
                .iter()
                .map(|(_, m)| m.composite_score)
                .fold(f64::NEG_INFINITY, f64::max);
            let boost = max - s.composite;
            // The weighted mean can round one ulp above the maximum (one platform: `c·w / w`),
            // leaving a boost of -1e-16. Corrected mode clamps it to 0 (found by fuzzing); Seed
            // mode keeps the original's arithmetic bit for bit.
            match self.normalizer.mode() {
                Mode::Seed => boost,
                Mode::Corrected => boost.max(0.0),
            }
        } else {
            0.0
        };
        UnifiedFeatures {
            normalized_ctr: s.ctr,
            normalized_cpc: s.cpc,
            normalized_cpm: s.cpm,
            normalized_engagement: s.engagement,
            normalized_quality: s.quality,
            composite_score: s.composite,
            platform_consistency: s.consistency,
            best_platform_boost: boost,
            multi_platform_bonus: (n.len - 1).min(2) as f64 * 0.1,
            total_impressions: n.totals.0,
            total_clicks: n.totals.1,
            total_conversions: n.totals.2,
            confidence: s.confidence,
            has_meta_data: has(Platform::Meta),
            has_tiktok_data: has(Platform::Tiktok),
            has_google_data: has(Platform::GoogleAds),
            creative_dna_score: dna.and_then(|d| d.composite_score),
            hook_strength: dna.and_then(|d| d.hook_strength),
            visual_appeal: dna.and_then(|d| d.visual_appeal),
            mode: self.normalizer.mode(),
        }
    }

    fn summarize(&self, n: &Normalized) -> Summary {
        let mut w = 0.0;
        let (mut ctr, mut cpc, mut comp) = (0.0, 0.0, 0.0);
        let (mut eng, mut eng_w) = (0.0, 0.0);
        let mut composites = [0.0; SLOTS];
        let mut cpms = [0.0; SLOTS];
        let mut confs = [0.0; SLOTS];
        let mut quals = [0.0; SLOTS];
        let mut n_q = 0;
        for (k, (_, m)) in n.iter().enumerate() {
            let c = m.confidence;
            w += c;
            ctr += m.normalized_ctr * c;
            cpc += m.normalized_cpc * c;
            comp += m.composite_score * c;
            if let Some(e) = m.normalized_engagement {
                eng += e * c;
                eng_w += c;
            }
            composites[k] = m.composite_score;
            cpms[k] = m.normalized_cpm;
            confs[k] = c;
            if let Some(q) = m.normalized_quality {
                quals[n_q] = q;
                n_q += 1;
            }
        }
        let len = n.len;
        Summary {
            ctr: ctr / w,
            cpc: cpc / w,
            engagement: if eng_w > 0.0 { eng / eng_w } else { NEUTRAL },
            composite: comp / w,
            cpm: np_mean(&cpms[..len]),
            quality: if n_q > 0 {
                np_mean(&quals[..n_q])
            } else {
                NEUTRAL
            },
            consistency: if len < 2 {
                1.0
            } else {
                (-10.0 * np_var(&composites[..len])).exp()
            },
            confidence: np_mean(&confs[..len]),
        }
    }
}

struct Summary {
    ctr: f64,
    cpc: f64,
    engagement: f64,
    composite: f64,
    cpm: f64,
    quality: f64,
    consistency: f64,
    confidence: f64,
}

fn write_row(mut row: ArrayViewMut1<f32>, f: &UnifiedFeatures) {
    match row.as_slice_mut() {
        Some(s) => f.write_into(s),
        None => {
            for (o, v) in row.iter_mut().zip(f.to_array()) {
                *o = v;
            }
        }
    }
}

/// Number of `f64` columns each platform block has in the columnar batch layout.
///
/// For `n` campaigns the buffer holds `COLUMNS` columns of `n` values each, column-major (value of
/// column `c` for campaign `i` at `c * n + i`). Columns 0..36 are three platform blocks, in order
/// meta, tiktok, google_ads; within a block, at offset:
///
/// | offset | column | missing |
/// |---|---|---|
/// | 0 | present (1 = this platform has data, 0 = absent; other values are an error) | - |
/// | 1 | ctr (fraction) | required if present |
/// | 2 | cpc | required if present |
/// | 3 | cpm | required if present |
/// | 4 | impressions (whole number) | required if present |
/// | 5 | clicks (whole number) | required if present |
/// | 6 | spend | required if present |
/// | 7 | conversions (whole number) | required if present |
/// | 8 | revenue | required if present |
/// | 9 | engagement_rate | NaN = not reported |
/// | 10 | quality_score | NaN = not reported |
/// | 11 | relevance_score | NaN = not reported |
///
/// Columns 36, 37, 38 are the creative DNA composite, hook strength and visual appeal (NaN =
/// missing). Platforms are aggregated in block order (meta, tiktok, google_ads).
pub const COLUMNS_PER_PLATFORM: usize = 12;
/// Total number of columns in the columnar batch layout (3 platform blocks + 3 DNA columns).
pub const COLUMNS: usize = 3 * COLUMNS_PER_PLATFORM + 3;
/// Names of the columns in a platform block, in offset order.
pub const PLATFORM_COLUMN_NAMES: [&str; COLUMNS_PER_PLATFORM] = [
    "present",
    "ctr",
    "cpc",
    "cpm",
    "impressions",
    "clicks",
    "spend",
    "conversions",
    "revenue",
    "engagement_rate",
    "quality_score",
    "relevance_score",
];

impl FeatureBuilder {
    /// Build the `n x 19` features (row-major `f32`) from the columnar layout described at
    /// [`COLUMNS_PER_PLATFORM`]. Errors name the campaign and column.
    pub fn from_columns(&self, columns: &[f64], n: usize) -> Result<Vec<f32>> {
        check_columns(columns, n)?;
        let mut out = vec![0f32; n * N_FEATURES];
        let mut data = empty_platforms();
        for (i, row) in out.chunks_exact_mut(N_FEATURES).enumerate() {
            let (len, dna) = read_campaign(columns, n, i, &mut data)?;
            self.campaign_features(&data[..len], &dna)
                .map_err(|e| e.within(&format!("campaigns[{i}]")))?
                .write_into(row);
        }
        Ok(out)
    }

    /// The features of one campaign read by [`read_campaign`] (normalize, then aggregate).
    pub(crate) fn campaign_features(
        &self,
        data: &[PlatformMetrics],
        dna: &CreativeDna,
    ) -> Result<UnifiedFeatures> {
        let normalized = self.normalize_all(data)?;
        Ok(self.features(&normalized, Some(dna)))
    }
}

/// Checks that a column batch holds [`COLUMNS`] x `n` values.
pub(crate) fn check_columns(columns: &[f64], n: usize) -> Result<()> {
    let expected = n
        .checked_mul(COLUMNS)
        .ok_or_else(|| Error::field(ErrorCode::InvalidValue, "n_campaigns", "is too large"))?;
    if columns.len() != expected {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "columns",
            format!(
                "needs {COLUMNS} columns x {n} campaigns = {expected} values, got {}",
                columns.len()
            ),
        ));
    }
    Ok(())
}

/// 2^63: counts must be below it (they become `u64`s).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

#[cold]
#[inline(never)]
fn count_error(field: String, v: f64) -> Error {
    Error::field(
        ErrorCode::InvalidValue,
        field,
        format!("must be a whole number >= 0, got {v}"),
    )
}

/// Reusable per-campaign storage for [`read_campaign`].
pub(crate) fn empty_platforms() -> [PlatformMetrics; 3] {
    std::array::from_fn(|k| PlatformMetrics::new(Platform::KNOWN[k], 0.0, 0.0, 0.0, 0, 0, 0.0))
}

/// Reads campaign `i` of a checked column batch ([`check_columns`]) into `data`: returns how
/// many platforms are present (the first ones of `data`) and the creative DNA. Errors name the
/// campaign and column (`campaigns[7].tiktok.impressions`).
pub(crate) fn read_campaign(
    columns: &[f64],
    n: usize,
    i: usize,
    data: &mut [PlatformMetrics; 3],
) -> Result<(usize, CreativeDna)> {
    let col = |c: usize| columns[c * n + i];
    let at = |e: Error| e.within(&format!("campaigns[{i}]"));
    let mut len = 0;
    for (k, platform) in Platform::KNOWN.into_iter().enumerate() {
        let base = k * COLUMNS_PER_PLATFORM;
        let name = |off: usize| format!("{}.{}", platform, PLATFORM_COLUMN_NAMES[off]);
        let present = col(base);
        if present == 0.0 {
            continue;
        }
        if present != 1.0 {
            return Err(at(Error::field(
                ErrorCode::InvalidValue,
                name(0),
                format!("must be 0 or 1, got {present}"),
            )));
        }
        let count = |off: usize| -> Result<u64> {
            let v = col(base + off);
            // Whole and in 0..2^63 (NaN fails the comparisons). `v as i64` truncates, so the
            // round trip is exact iff `v` is whole: no `fract()` (a libm call on baseline
            // x86-64), and i64 conversions are single instructions where u64 ones are not.
            if (0.0..TWO_POW_63).contains(&v) && (v as i64) as f64 == v {
                Ok(v as i64 as u64)
            } else {
                Err(at(count_error(name(off), v)))
            }
        };
        let opt = |off: usize| {
            let v = col(base + off);
            (!v.is_nan()).then_some(v)
        };
        let m = &mut data[len];
        m.platform = platform;
        m.ctr = col(base + 1);
        m.cpc = col(base + 2);
        m.cpm = col(base + 3);
        m.impressions = count(4)?;
        m.clicks = count(5)?;
        m.spend = col(base + 6);
        m.conversions = count(7)?;
        m.revenue = col(base + 8);
        m.engagement_rate = opt(9);
        m.quality_score = opt(10);
        m.relevance_score = opt(11);
        len += 1;
    }
    let dna_col = |off: usize| {
        let v = col(3 * COLUMNS_PER_PLATFORM + off);
        (!v.is_nan()).then_some(v)
    };
    let dna = CreativeDna {
        composite_score: dna_col(0),
        hook_strength: dna_col(1),
        visual_appeal: dna_col(2),
    };
    dna.validate().map_err(at)?;
    Ok((len, dna))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Vec<PlatformMetrics> {
        let mut meta = PlatformMetrics::new(Platform::Meta, 0.028, 1.30, 10.5, 12_000, 336, 436.8);
        meta.conversions = 28;
        let mut tt = PlatformMetrics::new(Platform::Tiktok, 0.042, 0.55, 7.5, 18_000, 756, 415.8);
        tt.conversions = 35;
        let mut g =
            PlatformMetrics::new(Platform::GoogleAds, 0.058, 2.20, 18.0, 9_000, 522, 1148.4);
        g.conversions = 45;
        vec![meta, tt, g]
    }

    #[test]
    fn seed_worked_example_b() {
        let b = FeatureBuilder::new(Normalizer::new(Mode::Seed));
        let ins = b.aggregate(&three()).unwrap();
        assert!((ins.avg_composite_score - 0.520710).abs() < 1e-6);
        assert!((ins.consistency_score - 0.997015).abs() < 1e-6);
        let f = b.unified(&three(), None).unwrap().to_array();
        assert!((f[2] - 0.588106).abs() < 1e-6);
        assert!((f[4] - 0.057143).abs() < 1e-6);
        assert!((f[9] - 10.571343).abs() < 1e-5);
        assert_eq!(f[8], 0.2);
        assert_eq!(&f[16..], &[0.5, 0.5, 0.5]);
    }

    #[test]
    fn corrected_keeps_real_zero_dna_and_neutral_quality() {
        let b = FeatureBuilder::new(Normalizer::new(Mode::Corrected));
        let dna = CreativeDna {
            composite_score: Some(0.0),
            hook_strength: None,
            visual_appeal: Some(0.81),
        };
        let f = b.unified(&three(), Some(&dna)).unwrap().to_array();
        assert_eq!(f[16], 0.0);
        assert_eq!(f[17], 0.5);
        assert_eq!(f[18], 0.81);
        // No platform gave an engagement or quality signal: neutral.
        assert_eq!(f[3], 0.5);
        assert_eq!(f[4], 0.5);
        let seed = FeatureBuilder::new(Normalizer::new(Mode::Seed));
        assert_eq!(
            seed.unified(&three(), Some(&dna)).unwrap().to_array()[16],
            0.5
        );
    }

    #[test]
    fn matrix_equals_single_rows_and_names_bad_campaign() {
        let b = FeatureBuilder::default();
        let c = Campaign {
            campaign_id: None,
            platform_data: three(),
            creative_dna: None,
        };
        let mut bad = c.clone();
        bad.platform_data[1].cpm = f64::INFINITY;
        let m = b.matrix(&[c.clone(), c.clone()]).unwrap();
        assert_eq!(m.shape(), &[2, N_FEATURES]);
        let one = b.unified(&c.platform_data, None).unwrap().to_array();
        assert_eq!(m.row(1).to_vec(), one.to_vec());
        let e = b.matrix(&[c, bad]).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("campaigns[1].platform_data[1].cpm")
        );
    }

    #[test]
    fn empty_and_duplicate_platforms_are_errors() {
        let b = FeatureBuilder::new(Normalizer::new(Mode::Seed));
        assert_eq!(b.aggregate(&[]).unwrap_err().code, ErrorCode::EmptyInput);
        let d = vec![three()[0].clone(), three()[0].clone()];
        assert_eq!(b.aggregate(&d).unwrap_err().code, ErrorCode::Duplicate);
    }

    #[test]
    fn columns_match_structs() {
        let b = FeatureBuilder::default();
        let data = three();
        let n = 2;
        let mut cols = vec![f64::NAN; COLUMNS * n];
        for i in 0..n {
            for (k, m) in data.iter().enumerate() {
                let base = k * COLUMNS_PER_PLATFORM;
                let vals = [
                    1.0,
                    m.ctr,
                    m.cpc,
                    m.cpm,
                    m.impressions as f64,
                    m.clicks as f64,
                    m.spend,
                    m.conversions as f64,
                    m.revenue,
                ];
                for (off, v) in vals.into_iter().enumerate() {
                    cols[(base + off) * n + i] = v;
                }
            }
        }
        // Campaign 1 has no google block.
        cols[2 * COLUMNS_PER_PLATFORM * n + 1] = 0.0;
        let out = b.from_columns(&cols, n).unwrap();
        assert_eq!(
            &out[..N_FEATURES],
            &b.unified(&data, None).unwrap().to_array()
        );
        assert_eq!(
            &out[N_FEATURES..],
            &b.unified(&data[..2], None).unwrap().to_array()
        );
        cols[4 * n] = 1.5; // meta impressions of campaign 0
        let e = b.from_columns(&cols, n).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("campaigns[0].meta.impressions"));
        assert!(b.from_columns(&cols[1..], n).is_err());
    }
}
