//! Measuring the simulator's grounding numbers from real records.
//!
//! [`measure`] summarises a set of records (one platform's export, imported with
//! [`crate::import`]) into the figures that `models/simulator-v1.json` records under `grounding`
//! and uses for the platform parameters. Definitions (rows = records):
//!
//! - `pooled_ctr` = sum clicks / sum impressions; `pooled_cpm` = 1000 sum spend / sum impressions;
//!   `pooled_cpc` = sum spend / sum clicks.
//! - `cvr` = sum conversions / sum clicks (as the export counts conversions; view-through
//!   included for Meta/TikTok).
//! - `revenue_per_conversion` = sum revenue / sum conversions over rows that report revenue.
//! - `log_impressions_mean`, `log_impressions_sd`: mean and population standard deviation of
//!   ln(impressions) over delivered rows (impressions > 0). The exports are daily rows, so this is
//!   the daily-impressions distribution of one ad.
//! - `cpm_log_sd`: population standard deviation of ln(1000 spend / impressions) over rows with
//!   spend >= 10 (spend is integer-rounded, so smaller rows are dominated by rounding).
//! - `ctr_logit_sd`: population standard deviation of logit(clicks / impressions) over rows with
//!   impressions >= 1000 and clicks >= 1: the spread of CTR between ads, which bounds
//!   how much the simulator's account, creative and attribute effects together may spread it.

use crate::record::CreativeRecord;
use serde::{Deserialize, Serialize};

/// Grounding figures measured from one set of records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Grounding {
    /// Records measured.
    pub rows: u64,
    /// Records with impressions > 0.
    pub delivered_rows: u64,
    /// Sum clicks / sum impressions.
    pub pooled_ctr: f64,
    /// 1000 sum spend / sum impressions.
    pub pooled_cpm: f64,
    /// Sum spend / sum clicks.
    pub pooled_cpc: f64,
    /// Sum conversions / sum clicks.
    pub cvr: f64,
    /// Sum revenue / sum conversions (rows with revenue), 0 without revenue.
    pub revenue_per_conversion: f64,
    /// Mean ln(impressions) of delivered rows.
    pub log_impressions_mean: f64,
    /// Population sd of ln(impressions) of delivered rows.
    pub log_impressions_sd: f64,
    /// Population sd of ln(CPM) over rows with spend >= 10.
    pub cpm_log_sd: f64,
    /// Population sd of logit(CTR) over rows with impressions >= 1000 and clicks >= 1.
    pub ctr_logit_sd: f64,
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, libm::sqrt(var))
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Measure the grounding figures of `records` (see module docs).
pub fn measure(records: &[CreativeRecord]) -> Grounding {
    let (mut imp, mut clk, mut spend, mut conv) = (0.0, 0.0, 0.0, 0.0);
    let (mut rev, mut rev_conv) = (0.0, 0.0);
    let (mut log_imp, mut log_cpm, mut logit_ctr) = (Vec::new(), Vec::new(), Vec::new());
    for r in records {
        let (i, c) = (r.impressions as f64, r.clicks as f64);
        imp += i;
        clk += c;
        spend += r.spend;
        conv += r.conversions.unwrap_or(0) as f64;
        if let Some(v) = r.revenue {
            rev += v;
            rev_conv += r.conversions.unwrap_or(0) as f64;
        }
        if r.impressions > 0 {
            log_imp.push(libm::log(i));
        }
        if r.spend >= 10.0 && r.impressions > 0 {
            log_cpm.push(libm::log(1000.0 * r.spend / i));
        }
        if r.impressions >= 1000 && r.clicks >= 1 && r.clicks < r.impressions {
            let p = c / i;
            logit_ctr.push(libm::log(p / (1.0 - p)));
        }
    }
    let (log_impressions_mean, log_impressions_sd) = mean_sd(&log_imp);
    Grounding {
        rows: records.len() as u64,
        delivered_rows: log_imp.len() as u64,
        pooled_ctr: ratio(clk, imp),
        pooled_cpm: ratio(1000.0 * spend, imp),
        pooled_cpc: ratio(spend, clk),
        cvr: ratio(conv, clk),
        revenue_per_conversion: ratio(rev, rev_conv),
        log_impressions_mean,
        log_impressions_sd,
        cpm_log_sd: mean_sd(&log_cpm).1,
        ctr_logit_sd: mean_sd(&logit_ctr).1,
    }
}
