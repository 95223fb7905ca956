//! The computation behind [`account_insights`] (method in the module docs).

use super::{
    duration_bucket, duration_bucket_label, AccountInsight, AttributeStat, DurationRange,
    InsightOptions, WinnerRule, DURATION_BUCKETS, INSIGHT_VERSION,
};
use crate::benchmarks::Benchmarks;
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{CreativeRecord, CtaStyle, HookType, VisualTag};
use std::collections::{BTreeMap, BTreeSet};

/// What every attribute's stats are measured against: the account's own per-platform pooled CTR,
/// its over-dispersion, its pooled conversion rate, and the winner thresholds.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Pooled CTR per platform (index [`Platform::index`]); `None` without impressions.
    pub platform_ctr: [Option<f64>; 4],
    /// φ >= 1.
    pub dispersion: f64,
    /// Pooled conversions / clicks over records that track conversions.
    pub account_cvr: Option<f64>,
    /// CTR a record needs to be a winner, per platform.
    pub thresholds: [f64; 4],
    /// The options' gate and z.
    pub min_impressions: u64,
    /// Critical z.
    pub z: f64,
}

#[derive(Default)]
struct Acc {
    records: u32,
    winners: u32,
    impressions: u64,
    clicks: u64,
    expected: f64,
    variance: f64,
    conv_clicks: u64,
    conversions: u64,
    tracked: bool,
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| num / den)
}

/// Wilson score interval for `k` successes in `n` trials at `z`.
pub(crate) fn wilson(k: u64, n: u64, z: f64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let den = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / den;
    [(center - half).max(0.0), (center + half).min(1.0)]
}

impl Context {
    fn winner(&self, r: &CreativeRecord) -> bool {
        r.ctr()
            .is_some_and(|c| c >= self.thresholds[r.platform.index()])
    }

    /// Ranked stats of the values `key` assigns to each record (`(order, label)` pairs; a record
    /// may have several, e.g. visual tags). Values under the impression gate are left out.
    pub fn stats<F>(&self, records: &[CreativeRecord], key: F) -> Vec<AttributeStat>
    where
        F: Fn(&CreativeRecord) -> Vec<(usize, String)>,
    {
        let mut accs: BTreeMap<(usize, String), Acc> = BTreeMap::new();
        for r in records {
            let p = self.platform_ctr[r.platform.index()].unwrap_or(0.0);
            let winner = self.winner(r);
            for k in key(r) {
                let a = accs.entry(k).or_default();
                a.records += 1;
                a.winners += u32::from(winner);
                a.impressions += r.impressions;
                a.clicks += r.clicks;
                a.expected += r.impressions as f64 * p;
                a.variance += r.impressions as f64 * p * (1.0 - p);
                if let Some(c) = r.conversions {
                    a.tracked = true;
                    a.conversions += c;
                    a.conv_clicks += r.clicks;
                }
            }
        }
        let mut out: Vec<(usize, AttributeStat)> = accs
            .into_iter()
            .filter(|(_, a)| a.impressions >= self.min_impressions.max(1))
            .map(|((order, value), a)| (order, self.stat(value, &a)))
            .collect();
        out.sort_by(|(oa, a), (ob, b)| {
            b.lift
                .total_cmp(&a.lift)
                .then_with(|| {
                    b.conversion_lift
                        .unwrap_or(f64::NEG_INFINITY)
                        .total_cmp(&a.conversion_lift.unwrap_or(f64::NEG_INFINITY))
                })
                .then_with(|| b.impressions.cmp(&a.impressions))
                .then_with(|| oa.cmp(ob))
        });
        out.into_iter().map(|(_, s)| s).collect()
    }

    fn stat(&self, value: String, a: &Acc) -> AttributeStat {
        let o = a.clicks as f64;
        let (lift, z, lift_interval) = if a.expected > 0.0 {
            let sd = (self.dispersion * a.variance).sqrt();
            let z = if sd > 0.0 { (o - a.expected) / sd } else { 0.0 };
            let lo = ((o - self.z * sd) / a.expected).max(0.0);
            let hi = (o + self.z * sd) / a.expected;
            (o / a.expected, z, [lo, hi])
        } else {
            // No clicks expected: the account has no clicks on these records' platforms at all.
            (1.0, 0.0, [0.0, f64::MAX.min(1e9)])
        };
        let conversion_rate = if a.tracked {
            ratio(a.conversions as f64, a.conv_clicks as f64)
        } else {
            None
        };
        let conversion_lift = match (conversion_rate, self.account_cvr) {
            (Some(c), Some(base)) if base > 0.0 => Some(c / base),
            _ => None,
        };
        AttributeStat {
            value,
            records: a.records,
            winners: a.winners,
            impressions: a.impressions,
            clicks: a.clicks,
            ctr: o / a.impressions as f64,
            ctr_interval: wilson(a.clicks, a.impressions, self.z),
            expected_clicks: a.expected,
            lift,
            lift_interval,
            z,
            significant: z >= self.z,
            conversions: a.tracked.then_some(a.conversions),
            conversion_rate,
            conversion_lift,
        }
    }
}

fn check_options(o: &InsightOptions) -> Result<Benchmarks> {
    if !(o.z_critical.is_finite() && o.z_critical > 0.0) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "options.z_critical",
            format!("must be finite and > 0, got {}", o.z_critical),
        ));
    }
    if o.top_n == 0 {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "options.top_n",
            "must be >= 1",
        ));
    }
    match o.winner {
        WinnerRule::BenchmarkPosition { position } if !(0.0..=1.0).contains(&position) => {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "options.winner.position",
                format!("must be in [0, 1], got {position}"),
            ))
        }
        WinnerRule::FixedCtr { ctr } if !(0.0..=1.0).contains(&ctr) => {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "options.winner.ctr",
                format!("must be in [0, 1], got {ctr}"),
            ))
        }
        _ => {}
    }
    let b = o.benchmarks.unwrap_or_default();
    b.validate().map_err(|e| e.within("options"))?;
    Ok(b)
}

fn threshold(rule: WinnerRule, b: &Benchmarks, platform: Platform) -> f64 {
    match rule {
        WinnerRule::FixedCtr { ctr } => ctr,
        WinnerRule::BenchmarkPosition { position } => {
            let row = b.get(platform).unwrap_or(&b.meta);
            let (lo, hi) = (row.ctr.min.max(1e-9), row.ctr.max.max(1e-9));
            lo * (hi / lo).powf(position)
        }
    }
}

/// Validate the batch and build the [`Context`] plus the insight's totals (lists empty).
pub(crate) fn prepare(
    records: &[CreativeRecord],
    o: &InsightOptions,
) -> Result<(AccountInsight, Context)> {
    let bench = check_options(o)?;
    let first = records.first().ok_or_else(|| {
        Error::field(
            ErrorCode::EmptyInput,
            "records",
            "needs at least one record",
        )
    })?;
    if let Some(i) = records
        .iter()
        .position(|r| r.account_id != first.account_id)
    {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            format!("records[{i}].account_id"),
            format!(
                "{:?} differs from {:?}: an insight covers one account",
                records[i].account_id, first.account_id
            ),
        ));
    }
    let mut imp = [0u64; 4];
    let mut clk = [0u64; 4];
    let (mut conv, mut conv_clicks, mut conv_tracked) = (0u64, 0u64, false);
    let (mut spend, mut rev, mut rev_spend, mut rev_tracked) = (0.0, 0.0, 0.0, false);
    let mut campaigns = BTreeSet::new();
    let mut declared: BTreeMap<Niche, u32> = BTreeMap::new();
    for r in records {
        let p = r.platform.index();
        imp[p] += r.impressions;
        clk[p] += r.clicks;
        spend += r.spend;
        if let Some(c) = r.conversions {
            conv_tracked = true;
            conv += c;
            conv_clicks += r.clicks;
        }
        if let Some(v) = r.revenue {
            rev_tracked = true;
            rev += v;
            rev_spend += r.spend;
        }
        campaigns.insert(match &r.campaign_id {
            Some(c) => (0, c.as_str()),
            None => (1, r.record_id.as_str()),
        });
        if let Some(n) = r.niche.filter(|n| *n != Niche::Unknown) {
            *declared.entry(n).or_default() += 1;
        }
    }
    let platform_ctr: [Option<f64>; 4] =
        std::array::from_fn(|p| ratio(clk[p] as f64, imp[p] as f64));
    // Over-dispersion: Pearson chi-square of the records against their platform's pooled CTR.
    let (mut chi2, mut used) = (0.0, 0usize);
    for r in records {
        let p = platform_ctr[r.platform.index()].unwrap_or(0.0);
        if r.impressions > 0 && p > 0.0 && p < 1.0 {
            let e = r.impressions as f64 * p;
            chi2 += (r.clicks as f64 - e).powi(2) / (e * (1.0 - p));
            used += 1;
        }
    }
    let groups = platform_ctr
        .iter()
        .filter(|p| p.is_some_and(|v| v > 0.0 && v < 1.0))
        .count();
    let df = used.saturating_sub(groups);
    let dispersion = if df > 0 {
        (chi2 / df as f64).max(1.0)
    } else {
        1.0
    };
    let account_cvr = if conv_tracked {
        ratio(conv as f64, conv_clicks as f64)
    } else {
        None
    };
    let (niche, niche_confidence) = match o.niche {
        Some(n) => (n, 1.0),
        None => declared
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(n, c)| (*n, f64::from(*c) / records.len() as f64))
            .unwrap_or((Niche::Unknown, 0.0)),
    };
    let ctx = Context {
        platform_ctr,
        dispersion,
        account_cvr,
        thresholds: std::array::from_fn(|p| threshold(o.winner, &bench, Platform::ALL[p])),
        min_impressions: o.min_impressions_per_value,
        z: o.z_critical,
    };
    let impressions: u64 = imp.iter().sum();
    let clicks: u64 = clk.iter().sum();
    let total_campaigns = campaigns.len() as u32;
    let insight = AccountInsight {
        version: INSIGHT_VERSION,
        account_id: first.account_id.clone(),
        niche,
        niche_confidence,
        platforms: Platform::ALL
            .into_iter()
            .filter(|p| records.iter().any(|r| r.platform == *p))
            .collect(),
        total_records: records.len() as u32,
        total_campaigns,
        enough_data: total_campaigns >= o.min_campaigns,
        impressions,
        clicks,
        conversions: conv_tracked.then_some(conv),
        spend,
        revenue: rev_tracked.then_some(rev),
        avg_ctr: ratio(clicks as f64, impressions as f64),
        platform_ctr,
        avg_conversion_rate: account_cvr,
        avg_roas: if rev_tracked {
            ratio(rev, rev_spend)
        } else {
            None
        },
        winners: records.iter().filter(|r| ctx.winner(r)).count() as u32,
        dispersion,
        hook_types: Vec::new(),
        durations: Vec::new(),
        posting_hours: Vec::new(),
        cta_styles: Vec::new(),
        visual_tags: Vec::new(),
        top_hook_types: Vec::new(),
        optimal_duration_range: None,
        best_posting_times: Vec::new(),
        effective_cta_styles: Vec::new(),
        visual_preferences: Vec::new(),
    };
    Ok((insight, ctx))
}

fn top<T: Copy>(stats: &[AttributeStat], n: usize, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    stats
        .iter()
        .filter(|s| s.lift > 1.0)
        .filter_map(|s| parse(&s.value))
        .take(n)
        .collect()
}

/// Compute one account's insight from its records.
///
/// Errors: `records` empty ([`crate::ErrorCode::EmptyInput`]), records of more than one account
/// (`records[i].account_id`), invalid options (`options.<field>`).
pub fn account_insights(
    records: &[CreativeRecord],
    options: &InsightOptions,
) -> Result<AccountInsight> {
    let (mut ins, ctx) = prepare(records, options)?;
    if !ins.enough_data {
        return Ok(ins);
    }
    ins.hook_types = ctx.stats(records, |r| {
        (r.hook_type != HookType::Unknown)
            .then(|| (r.hook_type.index(), r.hook_type.as_str().to_string()))
            .into_iter()
            .collect()
    });
    ins.durations = ctx.stats(records, |r| {
        r.duration_s
            .and_then(duration_bucket)
            .and_then(|b| duration_bucket_label(b).map(|l| (b, l)))
            .into_iter()
            .collect()
    });
    ins.posting_hours = ctx.stats(records, |r| {
        r.posting_hour
            .map(|h| (usize::from(h), h.to_string()))
            .into_iter()
            .collect()
    });
    ins.cta_styles = ctx.stats(records, |r| {
        (r.cta_style != CtaStyle::Unknown)
            .then(|| (r.cta_style.index(), r.cta_style.as_str().to_string()))
            .into_iter()
            .collect()
    });
    ins.visual_tags = ctx.stats(records, |r| {
        r.visual_tags
            .iter()
            .filter(|t| **t != VisualTag::Unknown)
            .map(|t| (t.index(), t.as_str().to_string()))
            .collect()
    });
    let n = options.top_n as usize;
    ins.top_hook_types = top(&ins.hook_types, n, |s| {
        s.parse::<HookType>().ok().filter(|h| *h != HookType::Other)
    });
    ins.effective_cta_styles = top(&ins.cta_styles, n, |s| {
        s.parse::<CtaStyle>()
            .ok()
            .filter(|c| !matches!(c, CtaStyle::Other | CtaStyle::None))
    });
    ins.visual_preferences = top(&ins.visual_tags, n, |s| {
        s.parse::<VisualTag>()
            .ok()
            .filter(|v| *v != VisualTag::Other)
    });
    ins.best_posting_times = top(&ins.posting_hours, n + 2, |s| s.parse::<u8>().ok());
    ins.optimal_duration_range = ins
        .durations
        .iter()
        .find(|s| s.lift > 1.0)
        .and_then(|s| {
            (0..DURATION_BUCKETS.len())
                .find(|b| duration_bucket_label(*b).as_deref() == Some(s.value.as_str()))
        })
        .map(|b| DurationRange {
            min_s: DURATION_BUCKETS[b].0,
            max_s: DURATION_BUCKETS[b].1,
        });
    Ok(ins)
}
