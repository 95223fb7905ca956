//! One account's contribution, and the pool that keeps the latest one per account.

use super::layout::{
    attribute_values, hour_bucket, hour_bucket_label, GroupKind, Layout, LogBins, CTR_BINS,
    CVR_BINS, ROAS_BINS,
};
use super::WISDOM_VERSION;
use super::{AccountConsent, ReleaseConfig, WisdomContribution};
use crate::error::{Error, ErrorCode, Result};
use crate::insights::compute::prepare;
use crate::insights::InsightOptions;
use crate::insights::{duration_bucket, duration_bucket_label, Attribute, AttributeStat};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::privacy::aggregate::Aggregate;
use crate::privacy::aggregate::Contribution;
use crate::record::CreativeRecord;
use std::collections::BTreeMap;

/// The account's contribution for its niche, or `None` when it has not opted in, its niche is
/// `unknown`, or its records fail the insight's data gate.
pub fn wisdom_contribution(
    records: &[CreativeRecord],
    consent: AccountConsent,
    insight_options: &InsightOptions,
    config: &ReleaseConfig,
) -> Result<Option<WisdomContribution>> {
    if !consent.opted_in {
        return Ok(None);
    }
    let layout = Layout::new(config)?;
    let (ins, ctx) = prepare(records, insight_options)?;
    if !ins.enough_data || ins.niche == Niche::Unknown {
        return Ok(None);
    }
    let b = layout.bounds;
    let mut values = vec![0.0; Layout::field_count()];

    // Benchmarks: per platform, the account's pooled CTR / conversion rate / ROAS, one-hot.
    let mut per: [(u64, u64, u64, u64, f64, f64); 3] = [(0, 0, 0, 0, 0.0, 0.0); 3];
    let mut tracked = [(false, false); 3];
    for r in records {
        let Some(p) = Platform::KNOWN.iter().position(|p| *p == r.platform) else {
            continue;
        };
        let e = &mut per[p];
        e.0 += r.impressions;
        e.1 += r.clicks;
        if let Some(c) = r.conversions {
            tracked[p].0 = true;
            e.2 += c;
            e.3 += r.clicks;
        }
        if let Some(v) = r.revenue {
            tracked[p].1 = true;
            e.4 += v;
            e.5 += r.spend;
        }
    }
    // Which platforms (at most `max_platforms`): all when the bound allows, otherwise a rotation
    // of the account's platforms starting at one picked by a hash of its id, so multi-platform
    // accounts spread over their platforms instead of all feeding their biggest one.
    let present: Vec<usize> = (0..3).filter(|p| per[*p].0 > 0).collect();
    let mut order = present.clone();
    if !present.is_empty() {
        let start =
            (crate::hash::fnv1a64(ins.account_id.as_bytes()) % present.len() as u64) as usize;
        order.rotate_left(start);
    }
    order.truncate(b.max_platforms as usize);
    for &p in &order {
        let (imp, clk, conv, conv_clk, rev, rev_spend) = per[p];
        values[layout.group(GroupKind::PlatformCount).start + p] = 1.0;
        let mut one_hot = |kind, bins: LogBins, v: Option<f64>| {
            if let Some(i) = v.and_then(|v| bins.index(v)) {
                values[layout.group(kind).start + p * bins.len() + i] = 1.0;
            }
        };
        one_hot(
            GroupKind::CtrHistogram,
            CTR_BINS,
            Some(clk as f64 / imp as f64),
        );
        one_hot(
            GroupKind::CvrHistogram,
            CVR_BINS,
            (tracked[p].0 && conv_clk > 0).then(|| conv as f64 / conv_clk as f64),
        );
        one_hot(
            GroupKind::RoasHistogram,
            ROAS_BINS,
            (tracked[p].1 && rev_spend > 0.0).then(|| rev / rev_spend),
        );
    }

    // Lifts and top lists per attribute.
    for a in Attribute::ALL {
        let labels = attribute_values(a);
        let stats = ctx.stats(records, |r| wisdom_values(a, r, &labels));
        // Lifts for the (at most m) values with the most impressions.
        let mut by_imp: Vec<&AttributeStat> = stats.iter().collect();
        by_imp.sort_by(|x, y| {
            y.impressions
                .cmp(&x.impressions)
                .then(x.value.cmp(&y.value))
        });
        for s in by_imp.into_iter().take(b.max_values_per_attribute as usize) {
            let Some(i) = labels.iter().position(|l| *l == s.value) else {
                continue;
            };
            let l = if s.lift > 0.0 {
                s.lift.ln().clamp(-b.max_log_lift, b.max_log_lift)
            } else {
                -b.max_log_lift
            };
            values[layout.group(GroupKind::LiftCount(a)).start + i] = 1.0;
            values[layout.group(GroupKind::LiftSum(a)).start + i] = l;
        }
        // Top list: best lifts above 1 (stats are ranked), `other` and `none` excluded.
        for s in stats
            .iter()
            .filter(|s| s.lift > 1.0 && s.value != "other" && s.value != "none")
            .take(b.max_top_per_attribute as usize)
        {
            if let Some(i) = labels.iter().position(|l| *l == s.value) {
                values[layout.group(GroupKind::Top(a)).start + i] = 1.0;
            }
        }
    }
    let encoded = layout.schema().encode(&values)?;
    Ok(Some(WisdomContribution {
        version: WISDOM_VERSION,
        niche: ins.niche,
        values: encoded.values,
    }))
}

/// The wisdom-layout values of attribute `a` on record `r`, as `(index, label)`.
fn wisdom_values(a: Attribute, r: &CreativeRecord, labels: &[String]) -> Vec<(usize, String)> {
    let label = |s: String| labels.iter().position(|l| *l == s).map(|i| (i, s));
    match a {
        Attribute::HookType => label(r.hook_type.as_str().to_string())
            .into_iter()
            .collect(),
        Attribute::Duration => r
            .duration_s
            .and_then(duration_bucket)
            .and_then(duration_bucket_label)
            .and_then(label)
            .into_iter()
            .collect(),
        Attribute::PostingHour => r
            .posting_hour
            .map(|h| hour_bucket_label(hour_bucket(h)))
            .and_then(label)
            .into_iter()
            .collect(),
        Attribute::CtaStyle => label(r.cta_style.as_str().to_string())
            .into_iter()
            .collect(),
        Attribute::VisualTag => r
            .visual_tags
            .iter()
            .filter_map(|t| label(t.as_str().to_string()))
            .collect(),
    }
}

/// Same as [`wisdom_contribution`] (kept as the name the bindings use).
pub fn contribution_from_records(
    records: &[CreativeRecord],
    consent: AccountConsent,
    insight_options: &InsightOptions,
    config: &ReleaseConfig,
) -> Result<Option<WisdomContribution>> {
    wisdom_contribution(records, consent, insight_options, config)
}

/// The latest contribution of every account (keyed by account id, which never leaves the pool),
/// and each niche's exact aggregate, maintained incrementally.
#[derive(Debug, Clone, Default)]
pub struct ContributionPool {
    by_account: BTreeMap<String, WisdomContribution>,
    by_niche: BTreeMap<Niche, Aggregate>,
}

impl ContributionPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set an account's contribution: replaces its previous one (possibly of another niche);
    /// `None` (opted out, or no longer eligible) removes it.
    pub fn set(
        &mut self,
        account_id: &str,
        contribution: Option<WisdomContribution>,
    ) -> Result<()> {
        if let Some(c) = &contribution {
            check_contribution(c)?;
        }
        // Compute the updated aggregates before touching the pool, so an error leaves it as it was.
        let old = self.by_account.get(account_id);
        let mut updates: Vec<(Niche, Aggregate)> = Vec::new();
        if let Some(o) = old {
            let mut a = self.aggregate(o.niche);
            a.remove(&Contribution {
                values: o.values.clone(),
            })?;
            updates.push((o.niche, a));
        }
        if let Some(c) = &contribution {
            let mut a = match updates.iter().position(|(n, _)| *n == c.niche) {
                Some(i) => updates.remove(i).1,
                None => self.aggregate(c.niche),
            };
            a.add(&Contribution {
                values: c.values.clone(),
            })?;
            updates.push((c.niche, a));
        }
        for (n, a) in updates {
            self.by_niche.insert(n, a);
        }
        match contribution {
            Some(c) => {
                self.by_account.insert(account_id.to_string(), c);
            }
            None => {
                self.by_account.remove(account_id);
            }
        }
        Ok(())
    }

    /// Erase an account (right to be forgotten); returns whether it had a contribution.
    pub fn erase(&mut self, account_id: &str) -> Result<bool> {
        let had = self.by_account.contains_key(account_id);
        self.set(account_id, None)?;
        Ok(had)
    }

    /// The exact aggregate of a niche (empty when nobody contributed).
    pub fn aggregate(&self, niche: Niche) -> Aggregate {
        self.by_niche
            .get(&niche)
            .cloned()
            .unwrap_or_else(super::empty_aggregate)
    }

    /// The current contribution of an account, if any.
    pub fn get(&self, account_id: &str) -> Option<&WisdomContribution> {
        self.by_account.get(account_id)
    }

    /// Number of contributing accounts (all niches).
    pub fn len(&self) -> usize {
        self.by_account.len()
    }

    /// Whether nobody contributes.
    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty()
    }
}

/// Reject a contribution of another layout version, of `unknown` niche or of the wrong length.
fn check_contribution(c: &WisdomContribution) -> Result<()> {
    if c.version != super::WISDOM_VERSION {
        return Err(Error::field(
            ErrorCode::Unsupported,
            "contribution.version",
            format!(
                "layout version {} (expected {})",
                c.version,
                super::WISDOM_VERSION
            ),
        ));
    }
    if c.niche == Niche::Unknown {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "contribution.niche",
            "an unknown niche cannot be contributed to",
        ));
    }
    if c.values.len() != Layout::field_count() {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "contribution.values",
            format!(
                "{} values (expected {})",
                c.values.len(),
                Layout::field_count()
            ),
        ));
    }
    Ok(())
}
