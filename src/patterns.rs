//! Cross-platform winning patterns over a set of campaigns (SEED-SPEC §2.5).
//!
//! A campaign is a **winner** when its ROAS is at least `min_roas` (default 2.0). Winners are
//! summarized: their mean normalized CTR, engagement, composite and consistency, per-platform
//! statistics, how many run on two or more platforms, and the platform combination with the
//! highest average ROAS (ties to the first seen).
//!
//! `Seed` mode reproduces the original: campaign ROAS is the unweighted mean over platforms of
//! `revenue / spend` (a zero-spend platform counts as 0), and each platform's stats are the means of
//! the *campaign-level* averages of the winners on it. `Corrected` mode pools ROAS as
//! `Σ revenue / Σ spend` and reports each platform's own normalized CTR and engagement.

use crate::error::{Error, ErrorCode, Result};
use crate::features::{Campaign, FeatureBuilder, NEUTRAL};
use crate::normalize::Mode;
use crate::numeric::np_mean;
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// Default ROAS threshold for a winner.
pub const DEFAULT_MIN_ROAS: f64 = 2.0;

/// Per-platform winner statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformStats {
    /// The platform.
    pub platform: Platform,
    /// Winners that ran on it.
    pub winner_count: u32,
    /// Mean normalized CTR (see module docs for which one).
    pub avg_ctr: f64,
    /// Mean normalized engagement.
    pub avg_engagement: f64,
}

/// The platform combination whose winners have the highest average ROAS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformCombo {
    /// Sorted platform names; empty when there are no winners.
    pub combo: Vec<Platform>,
    /// Average ROAS of the winners with exactly this combination.
    pub avg_roas: f64,
    /// How many winners have it.
    pub count: u32,
}

/// Summary of the winners among a set of campaigns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PatternSummary {
    /// Number of winners.
    pub total_winners: u32,
    /// Number of campaigns.
    pub total_campaigns: u32,
    /// winners / campaigns (0 without campaigns).
    pub win_rate: f64,
    /// Mean of winners' weighted normalized CTR.
    pub avg_winner_ctr: f64,
    /// Mean of winners' weighted normalized engagement.
    pub avg_winner_engagement: f64,
    /// Mean of winners' weighted composite.
    pub avg_winner_composite: f64,
    /// Mean of winners' consistency.
    pub avg_consistency: f64,
    /// Stats for meta, tiktok and google_ads, always all three, in that order.
    pub platform_stats: Vec<PlatformStats>,
    /// Winners on two or more platforms.
    pub multi_platform_winners: u32,
    /// The best combination.
    pub best_platform_combo: PlatformCombo,
}

impl FeatureBuilder {
    /// Extract cross-platform winning patterns. Errors name the campaign index.
    pub fn patterns(&self, campaigns: &[Campaign], min_roas: f64) -> Result<PatternSummary> {
        if !min_roas.is_finite() || min_roas < 0.0 {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "min_roas",
                format!("must be a finite number >= 0, got {min_roas}"),
            ));
        }
        let mode = self.normalizer().mode();
        let mut ctr = Vec::new();
        let mut eng = Vec::new();
        let mut comp = Vec::new();
        let mut cons = Vec::new();
        // Per known platform: the values its stats average.
        let mut per: [(Vec<f64>, Vec<f64>); 3] = Default::default();
        let mut multi = 0u32;
        let mut combos: Vec<(Vec<Platform>, f64, u32)> = Vec::new();
        for (i, c) in campaigns.iter().enumerate() {
            let at = |e: Error| e.within(&format!("campaigns[{i}]"));
            let n = self.normalize_all(&c.platform_data).map_err(at)?;
            let roas = match mode {
                Mode::Seed => {
                    let mut s = 0.0;
                    for m in &c.platform_data {
                        s += if m.spend > 0.0 {
                            m.revenue / m.spend
                        } else {
                            0.0
                        };
                    }
                    s / c.platform_data.len() as f64
                }
                Mode::Corrected => {
                    let (rev, spend) = c
                        .platform_data
                        .iter()
                        .fold((0.0, 0.0), |(r, s), m| (r + m.revenue, s + m.spend));
                    if spend > 0.0 {
                        rev / spend
                    } else {
                        0.0
                    }
                }
            };
            if roas < min_roas {
                continue;
            }
            let f = self.features(&n, None);
            ctr.push(f.normalized_ctr);
            eng.push(f.normalized_engagement);
            comp.push(f.composite_score);
            cons.push(f.platform_consistency);
            for (p, m) in n.iter() {
                let Some(k) = Platform::KNOWN.iter().position(|q| q == p) else {
                    continue;
                };
                match mode {
                    Mode::Seed => {
                        per[k].0.push(f.normalized_ctr);
                        per[k].1.push(f.normalized_engagement);
                    }
                    Mode::Corrected => {
                        per[k].0.push(m.normalized_ctr);
                        per[k].1.push(m.normalized_engagement.unwrap_or(NEUTRAL));
                    }
                }
            }
            if n.len >= 2 {
                multi += 1;
            }
            let mut key: Vec<Platform> = n.iter().map(|(p, _)| *p).collect();
            key.sort_by_key(|p| p.as_str());
            match combos.iter_mut().find(|(k, _, _)| *k == key) {
                Some(e) => {
                    e.1 += roas;
                    e.2 += 1;
                }
                None => combos.push((key, roas, 1)),
            }
        }
        let winners = ctr.len() as u32;
        let mut best = PlatformCombo {
            combo: Vec::new(),
            avg_roas: 0.0,
            count: 0,
        };
        for (k, sum, count) in combos {
            let avg = sum / count as f64;
            if best.count == 0 || avg > best.avg_roas {
                best = PlatformCombo {
                    combo: k,
                    avg_roas: avg,
                    count,
                };
            }
        }
        Ok(PatternSummary {
            total_winners: winners,
            total_campaigns: campaigns.len() as u32,
            win_rate: if campaigns.is_empty() {
                0.0
            } else {
                winners as f64 / campaigns.len() as f64
            },
            avg_winner_ctr: np_mean(&ctr),
            avg_winner_engagement: np_mean(&eng),
            avg_winner_composite: np_mean(&comp),
            avg_consistency: np_mean(&cons),
            platform_stats: Platform::KNOWN
                .iter()
                .zip(&per)
                .map(|(p, (c, e))| PlatformStats {
                    platform: *p,
                    winner_count: c.len() as u32,
                    avg_ctr: np_mean(c),
                    avg_engagement: np_mean(e),
                })
                .collect(),
            multi_platform_winners: multi,
            best_platform_combo: best,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::PlatformMetrics;
    use crate::normalize::Normalizer;

    fn campaign(spend: [f64; 2], revenue: [f64; 2]) -> Campaign {
        let mut m = PlatformMetrics::new(Platform::Meta, 0.02, 1.0, 10.0, 10_000, 200, spend[0]);
        m.revenue = revenue[0];
        let mut t = PlatformMetrics::new(Platform::Tiktok, 0.03, 0.5, 6.0, 10_000, 300, spend[1]);
        t.revenue = revenue[1];
        Campaign {
            campaign_id: None,
            platform_data: vec![m, t],
            creative_dna: None,
        }
    }

    #[test]
    fn corrected_pools_roas_seed_averages_ratios() {
        // Meta ROAS 3, TikTok spend 0 with revenue 900: seed mean (3 + 0)/2 = 1.5 < 2,
        // pooled (300 + 900) / 100 = 12.
        let c = campaign([100.0, 0.0], [300.0, 900.0]);
        let seed = FeatureBuilder::new(Normalizer::new(Mode::Seed));
        assert_eq!(
            seed.patterns(std::slice::from_ref(&c), 2.0)
                .unwrap()
                .total_winners,
            0
        );
        let fixed = FeatureBuilder::default();
        let s = fixed.patterns(&[c], 2.0).unwrap();
        assert_eq!(s.total_winners, 1);
        assert_eq!(s.best_platform_combo.avg_roas, 12.0);
        assert_eq!(
            s.best_platform_combo.combo,
            vec![Platform::Meta, Platform::Tiktok]
        );
    }

    #[test]
    fn corrected_platform_stats_are_platform_specific() {
        let c = campaign([100.0, 100.0], [400.0, 400.0]);
        let s = FeatureBuilder::default().patterns(&[c], 2.0).unwrap();
        // Meta ctr (0.02-0.005)/0.025 = 0.6; TikTok (0.03-0.01)/0.05 = 0.4.
        assert!((s.platform_stats[0].avg_ctr - 0.6).abs() < 1e-12);
        assert!((s.platform_stats[1].avg_ctr - 0.4).abs() < 1e-12);
        assert_eq!(s.platform_stats[2].winner_count, 0);
    }

    #[test]
    fn rejects_bad_threshold_and_names_campaign() {
        let b = FeatureBuilder::default();
        assert!(b.patterns(&[], f64::NAN).is_err());
        let mut c = campaign([1.0, 1.0], [1.0, 1.0]);
        c.platform_data[0].revenue = -1.0;
        let e = b.patterns(&[c], 2.0).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("campaigns[0].platform_data[0].revenue")
        );
    }
}
