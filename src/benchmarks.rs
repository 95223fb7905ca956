//! The per-platform benchmark table: the min/max range each raw metric is normalized against.
//!
//! This is data, not code: a deployment can supply its own table (e.g. from its own market's
//! numbers) through [`Benchmarks`]'s serde form, validated by [`Benchmarks::validate`].
//! [`Benchmarks::seed`] is the original system's table (SEED-SPEC §1.2); its unused `ideal`
//! column is dropped. Meta's `quality` row is the original's `relevance` key (Meta relevance,
//! 1-10); TikTok's `quality` row (0.3-1.0) is only used in `Seed` mode.

use crate::error::{Error, ErrorCode, Result};
use crate::network::AdNetwork;
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// A closed min/max range (`min < max`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Range {
    /// At or below this, the normalized value is 0.
    pub min: f64,
    /// At or above this, the normalized value is 1.
    pub max: f64,
}

impl Range {
    const fn new(min: f64, max: f64) -> Self {
        Range { min, max }
    }
}

/// One platform's ranges.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformBenchmarks {
    /// Click-through rate (fraction). Higher is better.
    pub ctr: Range,
    /// Cost per click. Lower is better (normalized value inverted).
    pub cpc: Range,
    /// Cost per mille. Lower is better (normalized value inverted).
    pub cpm: Range,
    /// Engagement rate (fraction).
    pub engagement: Range,
    /// The platform's quality signal (Meta relevance 1-10, Google quality score 1-10, TikTok's
    /// seed-only 0.3-1.0 "quality").
    pub quality: Range,
}

/// The full table: one row per known platform, plus an optional row for `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct Benchmarks {
    /// Meta.
    pub meta: PlatformBenchmarks,
    /// TikTok.
    pub tiktok: PlatformBenchmarks,
    /// Google Ads.
    pub google_ads: PlatformBenchmarks,
    /// Optional row for `unknown`. Without it, `Seed` mode uses Meta's row (as the original did)
    /// and `Corrected` mode rejects `unknown` input.
    #[serde(default)]
    pub unknown: Option<PlatformBenchmarks>,
    /// Microsoft Advertising's own row. `None` in the seed table: no public min/max ranges
    /// were found (docs/normalizer.md, "Networks beyond the three classes"), and the normalizer
    /// reports "no benchmark" rather than using the `google_ads` class row silently.
    #[serde(default)]
    pub microsoft_ads: Option<PlatformBenchmarks>,
    /// X (Twitter)'s own row; `None` in the seed table (as `microsoft_ads`).
    #[serde(default)]
    pub x: Option<PlatformBenchmarks>,
    /// LinkedIn's own row; `None` in the seed table (as `microsoft_ads`).
    #[serde(default)]
    pub linkedin: Option<PlatformBenchmarks>,
    /// Pinterest's own row; `None` in the seed table (as `microsoft_ads`).
    #[serde(default)]
    pub pinterest: Option<PlatformBenchmarks>,
    /// Snapchat's own row; `None` in the seed table (as `microsoft_ads`).
    #[serde(default)]
    pub snapchat: Option<PlatformBenchmarks>,
}

impl Default for Benchmarks {
    fn default() -> Self {
        Benchmarks::seed()
    }
}

impl Benchmarks {
    /// The original system's table (SEED-SPEC §1.2).
    pub const fn seed() -> Self {
        Benchmarks {
            meta: PlatformBenchmarks {
                ctr: Range::new(0.005, 0.030),
                cpc: Range::new(0.20, 3.00),
                cpm: Range::new(3.0, 20.0),
                engagement: Range::new(0.01, 0.10),
                quality: Range::new(1.0, 10.0),
            },
            tiktok: PlatformBenchmarks {
                ctr: Range::new(0.010, 0.060),
                cpc: Range::new(0.10, 1.50),
                cpm: Range::new(2.0, 15.0),
                engagement: Range::new(0.02, 0.15),
                quality: Range::new(0.3, 1.0),
            },
            google_ads: PlatformBenchmarks {
                ctr: Range::new(0.015, 0.100),
                cpc: Range::new(0.50, 6.00),
                cpm: Range::new(5.0, 40.0),
                engagement: Range::new(0.01, 0.08),
                quality: Range::new(1.0, 10.0),
            },
            unknown: None,
            microsoft_ads: None,
            x: None,
            linkedin: None,
            pinterest: None,
            snapchat: None,
        }
    }

    /// The network's own row, if the table has one (the three classes always do).
    pub fn get_network(&self, network: AdNetwork) -> Option<&PlatformBenchmarks> {
        match network {
            AdNetwork::Meta => Some(&self.meta),
            AdNetwork::Tiktok => Some(&self.tiktok),
            AdNetwork::GoogleAds => Some(&self.google_ads),
            AdNetwork::MicrosoftAds => self.microsoft_ads.as_ref(),
            AdNetwork::X => self.x.as_ref(),
            AdNetwork::Linkedin => self.linkedin.as_ref(),
            AdNetwork::Pinterest => self.pinterest.as_ref(),
            AdNetwork::Snapchat => self.snapchat.as_ref(),
        }
    }

    /// The row for `platform`, if the table has one.
    pub fn get(&self, platform: Platform) -> Option<&PlatformBenchmarks> {
        match platform {
            Platform::Meta => Some(&self.meta),
            Platform::Tiktok => Some(&self.tiktok),
            Platform::GoogleAds => Some(&self.google_ads),
            Platform::Unknown => self.unknown.as_ref(),
        }
    }

    /// Check every range is finite with `min < max`, naming the first bad one.
    pub fn validate(&self) -> Result<()> {
        let rows = [
            ("meta", Some(&self.meta)),
            ("tiktok", Some(&self.tiktok)),
            ("google_ads", Some(&self.google_ads)),
            ("unknown", self.unknown.as_ref()),
            ("microsoft_ads", self.microsoft_ads.as_ref()),
            ("x", self.x.as_ref()),
            ("linkedin", self.linkedin.as_ref()),
            ("pinterest", self.pinterest.as_ref()),
            ("snapchat", self.snapchat.as_ref()),
        ];
        for (name, row) in rows {
            let Some(row) = row else { continue };
            let ranges = [
                ("ctr", row.ctr),
                ("cpc", row.cpc),
                ("cpm", row.cpm),
                ("engagement", row.engagement),
                ("quality", row.quality),
            ];
            for (metric, r) in ranges {
                if !(r.min.is_finite() && r.max.is_finite() && r.min < r.max) {
                    return Err(Error::field(
                        ErrorCode::InvalidValue,
                        format!("benchmarks.{name}.{metric}"),
                        format!("needs finite min < max, got min {} max {}", r.min, r.max),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_table_is_valid_and_overridable() {
        Benchmarks::seed().validate().unwrap();
        let mut b = Benchmarks::seed();
        b.tiktok.cpm = Range { min: 5.0, max: 5.0 };
        let e = b.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("benchmarks.tiktok.cpm"));
        let json = serde_json::to_string(&Benchmarks::seed()).unwrap();
        let back: Benchmarks = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Benchmarks::seed());
    }
}
