//! Platform metrics onto comparable 0..1 scales.
//!
//! Each raw metric is clamped min-max normalized against its platform's [`Benchmarks`] range
//! (`v <= min -> 0`, `v >= max -> 1`, else `(v - min) / (max - min)`); CPC and CPM are inverted
//! (`1 - x`: cheaper is better). The composite is a weighted sum
//!
//! ```text
//! composite = 0.30 ctr + 0.25 cpc + 0.15 cpm + 0.15 engagement + 0.15 quality
//! ```
//!
//! and `confidence` is a piecewise-linear function of impressions (0.3 below 100, 0.6 at 1,000,
//! 0.9 at 10,000, 1.0 from 50,000).
//!
//! Two modes, chosen explicitly:
//! - [`Mode::Seed`] reproduces the original system bit for bit, defects included: quality is read
//!   on the wrong scales (TikTok engagement against 0.3-1.0, `ctr * 10` against 1-10 when no score
//!   is given), a TikTok engagement of 0.0 counts as missing, missing engagement falls back to CTR,
//!   `unknown` silently uses Meta's row, duplicate platforms overwrite each other.
//! - [`Mode::Corrected`] (the default) reads quality only from a real signal: Google's quality
//!   score and Meta's relevance score on their 1-10 scales, TikTok's engagement rate on TikTok's
//!   engagement range. A missing signal (quality or engagement) is `None`, and the composite
//!   re-weights the components that are present instead of scoring the missing one 0.
//!   Fractions above 1 and scores outside 1-10 are rejected, `unknown` needs its own benchmark
//!   row, duplicate platforms are an error. See docs/normalizer.md, "Differences from the original".

use crate::benchmarks::{Benchmarks, PlatformBenchmarks};
use crate::error::{Error, ErrorCode, Result};
use crate::metrics::PlatformMetrics;
use crate::network::AdNetwork;
use crate::numeric::clamp_unit;
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// Composite weights for ctr, cpc, cpm, engagement, quality (they sum to 1).
pub const COMPOSITE_WEIGHTS: [f64; 5] = [0.30, 0.25, 0.15, 0.15, 0.15];

/// Which behaviour to follow: the original's, bit for bit, or the corrected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Mode {
    /// Reproduce the original Python system exactly (for parity tests and migration).
    Seed,
    /// Fix the original's defects (the default).
    #[default]
    Corrected,
}

/// The normalized view of one platform's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NormalizedMetrics {
    /// The benchmark row actually used (`meta` for `unknown` input in `Seed` mode).
    pub platform: Platform,
    /// CTR on 0..1.
    pub normalized_ctr: f64,
    /// Inverted CPC on 0..1 (1 = cheapest).
    pub normalized_cpc: f64,
    /// Inverted CPM on 0..1 (1 = cheapest).
    pub normalized_cpm: f64,
    /// Engagement on 0..1; `None` in `Corrected` mode when no engagement rate was reported.
    pub normalized_engagement: Option<f64>,
    /// Quality on 0..1; `None` in `Corrected` mode when the platform gave no quality signal.
    pub normalized_quality: Option<f64>,
    /// Weighted composite on 0..1 (re-weighted over present components in `Corrected` mode).
    pub composite_score: f64,
    /// ROAS = revenue / spend (0 when spend is 0; saturates at `f64::MAX`, see [`roas`]).
    pub roas: f64,
    /// Confidence from impressions, 0.3..1.
    pub confidence: f64,
    /// The reported CTR, unchanged.
    pub original_ctr: f64,
    /// The reported CPC, unchanged.
    pub original_cpc: f64,
    /// The reported CPM, unchanged.
    pub original_cpm: f64,
    /// Spend, unchanged.
    pub spend: f64,
    /// Conversions, unchanged.
    pub conversions: u64,
}

/// Whether a network had its own benchmark row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum BenchmarkState {
    /// Normalized against the network's own row.
    Own,
    /// The table has no row for the network: nothing was normalized (shown as "no benchmark").
    NoBenchmark,
}

/// The normalized view of one network's metrics ([`Normalizer::normalize_network`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct NetworkNormalized {
    /// The network the metrics came from.
    pub network: AdNetwork,
    /// Its platform class.
    pub class: Platform,
    /// Whether the network had its own benchmark row.
    pub benchmark: BenchmarkState,
    /// The normalized metrics; `None` exactly when `benchmark` is `no_benchmark`.
    pub metrics: Option<NormalizedMetrics>,
}

/// Confidence in a platform's numbers, from impressions only (SEED-SPEC §1.4 step 9).
pub fn impression_confidence(impressions: u64) -> f64 {
    let i = impressions as f64;
    if impressions < 100 {
        0.3
    } else if impressions < 1_000 {
        0.3 + (i - 100.0) / 900.0 * 0.3
    } else if impressions < 10_000 {
        0.6 + (i - 1_000.0) / 9_000.0 * 0.3
    } else {
        (0.9 + (i - 10_000.0) / 40_000.0 * 0.1).min(1.0)
    }
}

/// ROAS = revenue / spend, 0 when spend is 0. Saturates at `f64::MAX` when the quotient
/// overflows (a subnormal spend with a large revenue gave `inf`; found by the differential and
/// fuzz tests), so the output is always finite. Inputs are validated finite and `>= 0` first.
pub fn roas(revenue: f64, spend: f64) -> f64 {
    if spend > 0.0 {
        (revenue / spend).min(f64::MAX)
    } else {
        0.0
    }
}

/// The normalizer: a benchmark table and a mode. Stateless otherwise; cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalizer {
    benchmarks: Benchmarks,
    mode: Mode,
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new(Mode::Corrected)
    }
}

impl Normalizer {
    /// A normalizer with the seed benchmark table.
    pub const fn new(mode: Mode) -> Self {
        Normalizer {
            benchmarks: Benchmarks::seed(),
            mode,
        }
    }

    /// A normalizer with a deployment's own table (validated).
    pub fn with_benchmarks(benchmarks: Benchmarks, mode: Mode) -> Result<Self> {
        benchmarks.validate()?;
        Ok(Normalizer { benchmarks, mode })
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The benchmark table.
    pub fn benchmarks(&self) -> &Benchmarks {
        &self.benchmarks
    }

    /// The benchmark row for `platform` under this mode's rules.
    fn row(&self, platform: Platform) -> Result<(Platform, &PlatformBenchmarks)> {
        if let Some(row) = self.benchmarks.get(platform) {
            return Ok((platform, row));
        }
        match self.mode {
            Mode::Seed => Ok((Platform::Meta, &self.benchmarks.meta)),
            Mode::Corrected => Err(Error::field(
                ErrorCode::Unsupported,
                "platform",
                "platform 'unknown' has no benchmark row; pass the real platform or add an \
                 'unknown' row to the benchmarks",
            )),
        }
    }

    /// Normalize one platform's metrics.
    pub fn normalize(&self, m: &PlatformMetrics) -> Result<NormalizedMetrics> {
        m.validate()?;
        if self.mode == Mode::Corrected {
            m.validate_ranges()?;
        }
        let (used, b) = self.row(m.platform)?;
        Ok(self.normalize_row(m, used, b))
    }

    /// Normalize one network's metrics against the network's own benchmark row.
    ///
    /// `m.platform` must be the network's class. A network that is its own class behaves as
    /// [`Normalizer::normalize`]. A network without a row in the table (Microsoft Advertising, X
    /// and LinkedIn in the seed table) gives [`BenchmarkState::NoBenchmark`] and no normalized
    /// metrics: the class's row is never used in its place silently. Seed mode is untouched
    /// (it only ever sees the three classes).
    pub fn normalize_network(
        &self,
        network: AdNetwork,
        m: &PlatformMetrics,
    ) -> Result<NetworkNormalized> {
        if m.platform != network.class() {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "platform",
                format!(
                    "network {network} maps onto the {} class, but the metrics say {}",
                    network.class(),
                    m.platform
                ),
            ));
        }
        let class = network.class();
        if network.is_class() {
            return Ok(NetworkNormalized {
                network,
                class,
                benchmark: BenchmarkState::Own,
                metrics: Some(self.normalize(m)?),
            });
        }
        m.validate()?;
        if self.mode == Mode::Corrected {
            m.validate_ranges()?;
        }
        Ok(match self.benchmarks.get_network(network) {
            Some(b) => NetworkNormalized {
                network,
                class,
                benchmark: BenchmarkState::Own,
                metrics: Some(self.normalize_row(m, class, b)),
            },
            None => NetworkNormalized {
                network,
                class,
                benchmark: BenchmarkState::NoBenchmark,
                metrics: None,
            },
        })
    }

    fn normalize_row(
        &self,
        m: &PlatformMetrics,
        used: Platform,
        b: &PlatformBenchmarks,
    ) -> NormalizedMetrics {
        let n_ctr = clamp_unit(m.ctr, b.ctr.min, b.ctr.max);
        let n_cpc = 1.0 - clamp_unit(m.cpc, b.cpc.min, b.cpc.max);
        let n_cpm = 1.0 - clamp_unit(m.cpm, b.cpm.min, b.cpm.max);
        let (n_eng, n_q, composite) = match self.mode {
            Mode::Seed => {
                let e = m.engagement_rate.unwrap_or(m.ctr);
                let n_eng = clamp_unit(e, b.engagement.min, b.engagement.max);
                let n_q = self.seed_quality(m, b);
                let [w0, w1, w2, w3, w4] = COMPOSITE_WEIGHTS;
                let c = w0 * n_ctr + w1 * n_cpc + w2 * n_cpm + w3 * n_eng + w4 * n_q;
                (Some(n_eng), Some(n_q), c.clamp(0.0, 1.0))
            }
            Mode::Corrected => {
                let n_eng = m
                    .engagement_rate
                    .map(|e| clamp_unit(e, b.engagement.min, b.engagement.max));
                let n_q = corrected_quality(m, b);
                let parts = [Some(n_ctr), Some(n_cpc), Some(n_cpm), n_eng, n_q];
                let (mut sum, mut wsum) = (0.0, 0.0);
                for (w, x) in COMPOSITE_WEIGHTS.iter().zip(parts) {
                    if let Some(x) = x {
                        sum += w * x;
                        wsum += w;
                    }
                }
                (n_eng, n_q, (sum / wsum).clamp(0.0, 1.0))
            }
        };
        NormalizedMetrics {
            platform: used,
            normalized_ctr: n_ctr,
            normalized_cpc: n_cpc,
            normalized_cpm: n_cpm,
            normalized_engagement: n_eng,
            normalized_quality: n_q,
            composite_score: composite,
            roas: roas(m.revenue, m.spend),
            confidence: impression_confidence(m.impressions),
            original_ctr: m.ctr,
            original_cpc: m.cpc,
            original_cpm: m.cpm,
            spend: m.spend,
            conversions: m.conversions,
        }
    }

    /// The original's quality branch (SEED-SPEC §1.4 step 6), reproduced as is.
    fn seed_quality(&self, m: &PlatformMetrics, b: &PlatformBenchmarks) -> f64 {
        let q = match (m.platform, m.quality_score, m.relevance_score) {
            (Platform::GoogleAds, Some(q), _) => q,
            (Platform::Meta, _, Some(r)) => r,
            // Python truthiness: an engagement rate of 0.0 counts as missing.
            (Platform::Tiktok, _, _) => match m.engagement_rate {
                Some(e) if e != 0.0 => e,
                _ => m.ctr * 10.0,
            },
            _ => m.ctr * 10.0,
        };
        clamp_unit(q, b.quality.min, b.quality.max)
    }

    /// Normalize each element, keyed by its platform, in first-insertion order.
    ///
    /// `Seed`: a later duplicate overwrites the earlier value but keeps its position.
    /// `Corrected`: a duplicate platform is an error naming its index.
    pub fn compare_platforms(
        &self,
        list: &[PlatformMetrics],
    ) -> Result<Vec<(Platform, NormalizedMetrics)>> {
        let mut out: Vec<(Platform, NormalizedMetrics)> = Vec::with_capacity(list.len());
        for (i, m) in list.iter().enumerate() {
            let n = self.normalize(m).map_err(|e| e.within(&format!("[{i}]")))?;
            match out.iter_mut().find(|(p, _)| *p == m.platform) {
                Some(slot) if self.mode == Mode::Seed => slot.1 = n,
                Some(_) => {
                    return Err(Error::field(
                        ErrorCode::Duplicate,
                        format!("[{i}].platform"),
                        format!("platform {} appears more than once", m.platform),
                    ))
                }
                None => out.push((m.platform, n)),
            }
        }
        Ok(out)
    }

    /// The platform with the highest composite among those with `confidence >= min_confidence`
    /// (all of them when none qualifies). Ties go to the earliest. Empty input is an error.
    pub fn best_platform(
        &self,
        list: &[PlatformMetrics],
        min_confidence: f64,
    ) -> Result<(Platform, NormalizedMetrics)> {
        if !min_confidence.is_finite() {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "min_confidence",
                format!("must be a finite number, got {min_confidence}"),
            ));
        }
        if list.is_empty() {
            return Err(Error::general(
                ErrorCode::EmptyInput,
                "best platform needs at least one platform's metrics",
            ));
        }
        let all = self.compare_platforms(list)?;
        let qualifies = |n: &NormalizedMetrics| n.confidence >= min_confidence;
        let any = all.iter().any(|(_, n)| qualifies(n));
        let mut best: Option<&(Platform, NormalizedMetrics)> = None;
        for entry in all.iter().filter(|(_, n)| !any || qualifies(n)) {
            if best.is_none_or(|b| entry.1.composite_score > b.1.composite_score) {
                best = Some(entry);
            }
        }
        // `all` is non-empty because `list` is, so `best` is set.
        best.copied().ok_or_else(|| {
            Error::general(
                ErrorCode::EmptyInput,
                "best platform needs at least one platform",
            )
        })
    }

    /// Express another platform's metrics on Meta's scales (ctr/cpc/cpm mapped back through the
    /// normalized values onto Meta's ranges). Meta input is returned unchanged.
    ///
    /// `Seed`: clicks = `trunc(impressions * ctr)`, relevance = `normalized_quality * 10` (0-10),
    /// missing ids become `"meta_equiv_None"`. `Corrected`: clicks are rounded, relevance is put on
    /// Meta's 1-10 scale (`1 + 9 q`) or left empty when there is no quality signal, and ids are
    /// prefixed only when present.
    pub fn to_meta_equivalent(&self, m: &PlatformMetrics) -> Result<PlatformMetrics> {
        if m.platform == Platform::Meta {
            m.validate()?;
            return Ok(m.clone());
        }
        let n = self.normalize(m)?;
        let mb = &self.benchmarks.meta;
        let ctr = n.normalized_ctr * (mb.ctr.max - mb.ctr.min) + mb.ctr.min;
        let cpc = (1.0 - n.normalized_cpc) * (mb.cpc.max - mb.cpc.min) + mb.cpc.min;
        let cpm = (1.0 - n.normalized_cpm) * (mb.cpm.max - mb.cpm.min) + mb.cpm.min;
        let prefixed = |id: &Option<String>| match (self.mode, id) {
            (Mode::Seed, None) => Some("meta_equiv_None".to_string()),
            (_, Some(s)) => Some(format!("meta_equiv_{s}")),
            (Mode::Corrected, None) => None,
        };
        let (clicks, relevance) = match self.mode {
            Mode::Seed => (
                (m.impressions as f64 * ctr) as u64,
                n.normalized_quality.map(|q| q * 10.0),
            ),
            Mode::Corrected => (
                (m.impressions as f64 * ctr).round() as u64,
                n.normalized_quality.map(|q| 1.0 + 9.0 * q),
            ),
        };
        Ok(PlatformMetrics {
            platform: Platform::Meta,
            ctr,
            cpc,
            cpm,
            impressions: m.impressions,
            clicks,
            spend: m.spend,
            conversions: m.conversions,
            revenue: m.revenue,
            engagement_rate: None,
            quality_score: None,
            relevance_score: relevance,
            campaign_id: prefixed(&m.campaign_id),
            ad_id: prefixed(&m.ad_id),
        })
    }
}

/// `Corrected` quality: only a real signal on its own scale.
fn corrected_quality(m: &PlatformMetrics, b: &PlatformBenchmarks) -> Option<f64> {
    match m.platform {
        Platform::GoogleAds => m
            .quality_score
            .map(|q| clamp_unit(q, b.quality.min, b.quality.max)),
        Platform::Meta => m
            .relevance_score
            .map(|r| clamp_unit(r, b.quality.min, b.quality.max)),
        Platform::Tiktok => m
            .engagement_rate
            .map(|e| clamp_unit(e, b.engagement.min, b.engagement.max)),
        // An `unknown` row supplied by the deployment: take whichever 1-10 score is given.
        Platform::Unknown => m
            .quality_score
            .or(m.relevance_score)
            .map(|q| clamp_unit(q, b.quality.min, b.quality.max)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> PlatformMetrics {
        let mut m = PlatformMetrics::new(Platform::Meta, 0.025, 1.50, 12.0, 10_000, 250, 375.0);
        m.revenue = 2000.0;
        m.conversions = 25;
        m.relevance_score = Some(8.5);
        m.engagement_rate = Some(0.055);
        m
    }

    #[test]
    fn corrected_hand_computed_meta() {
        // ctr (0.025-0.005)/0.025 = 0.8; cpc 1-(1.3/2.8); cpm 1-(9/17); eng (0.055-0.01)/0.09 = 0.5;
        // relevance (8.5-1)/9.
        let n = Normalizer::new(Mode::Corrected).normalize(&meta()).unwrap();
        let (c, p, k, e, q) = (0.8, 1.0 - 1.3 / 2.8, 1.0 - 9.0 / 17.0, 0.5, 7.5 / 9.0);
        assert!((n.normalized_ctr - c).abs() < 1e-12);
        assert!((n.normalized_engagement.unwrap() - e).abs() < 1e-12);
        assert!((n.normalized_quality.unwrap() - q).abs() < 1e-12);
        let expect = 0.3 * c + 0.25 * p + 0.15 * k + 0.15 * e + 0.15 * q;
        assert!((n.composite_score - expect).abs() < 1e-12);
        assert!((n.roas - 2000.0 / 375.0).abs() < 1e-12);
        assert_eq!(n.confidence, 0.9);
    }

    #[test]
    fn corrected_reweights_missing_signals() {
        let mut m = meta();
        m.relevance_score = None;
        m.engagement_rate = None;
        let n = Normalizer::new(Mode::Corrected).normalize(&m).unwrap();
        assert_eq!(n.normalized_quality, None);
        assert_eq!(n.normalized_engagement, None);
        let expect = (0.3 * 0.8 + 0.25 * (1.0 - 1.3 / 2.8) + 0.15 * (1.0 - 9.0 / 17.0)) / 0.7;
        assert!((n.composite_score - expect).abs() < 1e-12);
    }

    #[test]
    fn corrected_tiktok_quality_is_engagement_on_tiktok_scale() {
        let mut m = PlatformMetrics::new(Platform::Tiktok, 0.045, 0.60, 8.0, 15_000, 675, 405.0);
        m.engagement_rate = Some(0.08);
        let n = Normalizer::new(Mode::Corrected).normalize(&m).unwrap();
        let e = (0.08 - 0.02) / 0.13;
        assert!((n.normalized_quality.unwrap() - e).abs() < 1e-12);
        // The seed scores this 0.0 (0.08 against 0.3..1.0).
        let s = Normalizer::new(Mode::Seed).normalize(&m).unwrap();
        assert_eq!(s.normalized_quality, Some(0.0));
        // A real 0.0 engagement is a value, not "missing".
        m.engagement_rate = Some(0.0);
        let n = Normalizer::new(Mode::Corrected).normalize(&m).unwrap();
        assert_eq!(n.normalized_quality, Some(0.0));
    }

    #[test]
    fn corrected_rejects_unknown_platform_and_duplicates() {
        let mut m = meta();
        m.platform = Platform::Unknown;
        let e = Normalizer::new(Mode::Corrected).normalize(&m).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
        assert_eq!(
            Normalizer::new(Mode::Seed).normalize(&m).unwrap().platform,
            Platform::Meta
        );
        let e = Normalizer::new(Mode::Corrected)
            .compare_platforms(&[meta(), meta()])
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Duplicate);
        assert_eq!(e.field.as_deref(), Some("[1].platform"));
    }

    #[test]
    fn errors_name_field_in_lists() {
        let mut bad = meta();
        bad.spend = -1.0;
        let e = Normalizer::default()
            .best_platform(&[meta(), bad], 0.6)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("[1].spend"));
        assert_eq!(
            Normalizer::default()
                .best_platform(&[], 0.6)
                .unwrap_err()
                .code,
            ErrorCode::EmptyInput
        );
    }

    #[test]
    fn confidence_knots() {
        assert_eq!(impression_confidence(0), 0.3);
        assert_eq!(impression_confidence(100), 0.3);
        assert_eq!(impression_confidence(1_000), 0.6);
        assert_eq!(impression_confidence(10_000), 0.9);
        assert_eq!(impression_confidence(50_000), 1.0);
        assert_eq!(impression_confidence(u64::MAX), 1.0);
    }

    #[test]
    fn a_network_without_a_row_is_no_benchmark_never_its_class_row() {
        let n = Normalizer::new(Mode::Corrected);
        let mut m = meta();
        m.platform = Platform::GoogleAds;
        m.relevance_score = None;
        m.quality_score = Some(7.0);
        let bing = n.normalize_network(AdNetwork::MicrosoftAds, &m).unwrap();
        assert_eq!(
            (bing.class, bing.benchmark, bing.metrics),
            (Platform::GoogleAds, BenchmarkState::NoBenchmark, None)
        );
        // The class itself is normalized as before.
        let google = n.normalize_network(AdNetwork::GoogleAds, &m).unwrap();
        assert_eq!(google.metrics, Some(n.normalize(&m).unwrap()));
        // A deployment's own row is used when given.
        let mut table = Benchmarks::seed();
        let mut row = table.google_ads;
        row.ctr.max = 0.05;
        table.microsoft_ads = Some(row);
        let with_row = Normalizer::with_benchmarks(table, Mode::Corrected).unwrap();
        let own = with_row
            .normalize_network(AdNetwork::MicrosoftAds, &m)
            .unwrap();
        assert_eq!(own.benchmark, BenchmarkState::Own);
        let got = own.metrics.unwrap().normalized_ctr;
        assert!(got > google.metrics.unwrap().normalized_ctr, "{got}");
        // The metrics must be of the network's class.
        let e = n.normalize_network(AdNetwork::X, &m).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("platform"));
    }
}
