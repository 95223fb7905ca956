//! One account's contribution, and the pool that keeps the latest one per account.

use super::layout::Layout;
use super::{AccountConsent, ReleaseConfig, WisdomContribution};
use crate::error::{Error, ErrorCode, Result};
use crate::insights::InsightOptions;
use crate::niche::Niche;
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
    let _ = (records, consent, insight_options, config);
    todo!()
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
