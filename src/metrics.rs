//! Raw platform metrics, as the platform reported them.
//!
//! `ctr`, `cpc` and `cpm` are taken as given and never recomputed from the counts: platforms
//! count clicks differently (link clicks vs. all clicks), so a reported CTR that differs from
//! `clicks / impressions` is legitimate. Consistency checks between counts (clicks <= impressions,
//! ...) belong to record ingest, not to the normalizer.

use crate::error::{check_non_negative, Error, ErrorCode, Result};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// One platform's metrics for a campaign or ad, in the platform's own units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct PlatformMetrics {
    /// The platform that reported these numbers.
    pub platform: Platform,
    /// Click-through rate as a fraction (0.025 = 2.5 %).
    pub ctr: f64,
    /// Cost per click, in currency units.
    pub cpc: f64,
    /// Cost per 1,000 impressions, in currency units.
    pub cpm: f64,
    /// Impressions served.
    pub impressions: u64,
    /// Clicks, as the platform counts them.
    pub clicks: u64,
    /// Spend, in currency units.
    pub spend: f64,
    /// Conversions (0 when not tracked).
    #[serde(default)]
    pub conversions: u64,
    /// Revenue attributed to the ads, in currency units (0 when not tracked).
    #[serde(default)]
    pub revenue: f64,
    /// Engagement rate as a fraction (TikTok reports it; others may). `null` = not reported.
    #[serde(default)]
    pub engagement_rate: Option<f64>,
    /// Google Ads quality score, 1-10. `null` = not reported.
    #[serde(default)]
    pub quality_score: Option<f64>,
    /// Meta relevance score, 1-10. `null` = not reported.
    #[serde(default)]
    pub relevance_score: Option<f64>,
    /// Optional campaign identifier (opaque).
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// Optional ad identifier (opaque).
    #[serde(default)]
    pub ad_id: Option<String>,
}

impl PlatformMetrics {
    /// Metrics with the required fields set and every optional field empty.
    pub fn new(
        platform: Platform,
        ctr: f64,
        cpc: f64,
        cpm: f64,
        impressions: u64,
        clicks: u64,
        spend: f64,
    ) -> Self {
        PlatformMetrics {
            platform,
            ctr,
            cpc,
            cpm,
            impressions,
            clicks,
            spend,
            conversions: 0,
            revenue: 0.0,
            engagement_rate: None,
            quality_score: None,
            relevance_score: None,
            campaign_id: None,
            ad_id: None,
        }
    }

    /// Reject non-finite or negative values, naming the field and value.
    ///
    /// This is the check both modes apply. `Corrected` mode adds range checks of its own (see
    /// [`crate::normalize`]).
    pub fn validate(&self) -> Result<()> {
        // Fast path (it runs for every platform of every campaign): one branch-free test of all
        // values; only a failing record walks the checks below to name the first bad field.
        let ok = |v: f64| v.is_finite() & (v >= 0.0);
        let ok_opt = |v: Option<f64>| v.is_none_or(ok);
        if ok(self.ctr)
            & ok(self.cpc)
            & ok(self.cpm)
            & ok(self.spend)
            & ok(self.revenue)
            & ok_opt(self.engagement_rate)
            & ok_opt(self.quality_score)
            & ok_opt(self.relevance_score)
        {
            return Ok(());
        }
        check_non_negative("ctr", self.ctr)?;
        check_non_negative("cpc", self.cpc)?;
        check_non_negative("cpm", self.cpm)?;
        check_non_negative("spend", self.spend)?;
        check_non_negative("revenue", self.revenue)?;
        if let Some(v) = self.engagement_rate {
            check_non_negative("engagement_rate", v)?;
        }
        if let Some(v) = self.quality_score {
            check_non_negative("quality_score", v)?;
        }
        if let Some(v) = self.relevance_score {
            check_non_negative("relevance_score", v)?;
        }
        Ok(())
    }

    /// The stricter checks of `Corrected` mode: fractions are fractions and 1-10 scores are 1-10.
    pub(crate) fn validate_ranges(&self) -> Result<()> {
        let score = |v: Option<f64>| v.is_none_or(|v| (1.0..=10.0).contains(&v));
        if (self.ctr <= 1.0)
            & self.engagement_rate.is_none_or(|v| v <= 1.0)
            & score(self.quality_score)
            & score(self.relevance_score)
        {
            return Ok(());
        }
        fraction("ctr", self.ctr)?;
        if let Some(v) = self.engagement_rate {
            fraction("engagement_rate", v)?;
        }
        if let Some(v) = self.quality_score {
            one_to_ten("quality_score", v)?;
        }
        if let Some(v) = self.relevance_score {
            one_to_ten("relevance_score", v)?;
        }
        Ok(())
    }
}

fn fraction(field: &str, v: f64) -> Result<()> {
    if v > 1.0 {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            field,
            format!("is a fraction between 0 and 1 (0.025 = 2.5 %), got {v}"),
        ));
    }
    Ok(())
}

fn one_to_ten(field: &str, v: f64) -> Result<()> {
    if !(1.0..=10.0).contains(&v) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            field,
            format!("is a score on the platform's 1-10 scale, got {v}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_names_the_field() {
        let mut m = PlatformMetrics::new(Platform::Meta, 0.02, 1.0, 10.0, 1000, 20, 20.0);
        assert!(m.validate().is_ok());
        m.cpc = f64::NAN;
        assert_eq!(m.validate().unwrap_err().field.as_deref(), Some("cpc"));
        m.cpc = 1.0;
        m.relevance_score = Some(-1.0);
        assert_eq!(
            m.validate().unwrap_err().field.as_deref(),
            Some("relevance_score")
        );
    }

    #[test]
    fn ranges_catch_percent_and_bad_scores() {
        let mut m = PlatformMetrics::new(Platform::Meta, 2.5, 1.0, 10.0, 1000, 20, 20.0);
        let e = m.validate_ranges().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("ctr"));
        m.ctr = 0.025;
        m.quality_score = Some(0.5);
        assert_eq!(
            m.validate_ranges().unwrap_err().field.as_deref(),
            Some("quality_score")
        );
    }

    #[test]
    fn json_rejects_unknown_fields() {
        let j = r#"{"platform":"meta","ctr":0.01,"cpc":1,"cpm":5,"impressions":10,"clicks":1,"spend":1,"bogus":1}"#;
        assert!(serde_json::from_str::<PlatformMetrics>(j).is_err());
    }
}
