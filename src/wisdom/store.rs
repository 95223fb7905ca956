//! Where releases live: one release per `(period, niche)`, and each niche's budget per window.

use super::release::release_wisdom;
use super::{NicheWisdom, ReleaseConfig, ReleaseId};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::privacy::aggregate::Aggregate;
use crate::privacy::aggregate::Budget;
use std::collections::BTreeMap;

/// Storage of releases and spent budget (the Worker implements it over D1/KV; tests use
/// [`MemoryReleaseStore`]).
pub trait ReleaseStore {
    /// The stored release with this id, if any.
    fn get(&self, id: ReleaseId) -> Result<Option<NicheWisdom>>;
    /// Store a new release (an error if one with the same id exists: releases are immutable).
    fn put(&mut self, release: &NicheWisdom) -> Result<()>;
    /// Epsilon already spent by `niche` in budget window `window`.
    fn spent(&self, niche: Niche, window: u32) -> Result<f64>;
    /// Record that `niche` spent `epsilon` more in `window`.
    fn add_spent(&mut self, niche: Niche, window: u32, epsilon: f64) -> Result<()>;
}

/// In-memory [`ReleaseStore`].
#[derive(Debug, Clone, Default)]
pub struct MemoryReleaseStore {
    releases: BTreeMap<ReleaseId, NicheWisdom>,
    spent: BTreeMap<(Niche, u32), f64>,
}

impl MemoryReleaseStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ReleaseStore for MemoryReleaseStore {
    fn get(&self, id: ReleaseId) -> Result<Option<NicheWisdom>> {
        Ok(self.releases.get(&id).cloned())
    }
    fn put(&mut self, release: &NicheWisdom) -> Result<()> {
        let id = ReleaseId {
            period: release.period,
            niche: release.niche,
        };
        if self.releases.contains_key(&id) {
            return Err(Error::general(
                ErrorCode::Duplicate,
                format!(
                    "a release of {} for period {} already exists",
                    id.niche, id.period
                ),
            ));
        }
        self.releases.insert(id, release.clone());
        Ok(())
    }
    fn spent(&self, niche: Niche, window: u32) -> Result<f64> {
        Ok(self.spent.get(&(niche, window)).copied().unwrap_or(0.0))
    }
    fn add_spent(&mut self, niche: Niche, window: u32, epsilon: f64) -> Result<()> {
        *self.spent.entry((niche, window)).or_insert(0.0) += epsilon;
        Ok(())
    }
}

/// The release `id`: the stored one if it exists (no new noise is ever drawn for an existing
/// id), else a new release of `aggregate` after charging `config.epsilon` to the niche's budget
/// window (`period / window_periods`); fails without releasing when the budget is exhausted.
pub fn get_or_release<S: ReleaseStore + ?Sized, R: rand_core::Rng + ?Sized>(
    store: &mut S,
    aggregate: &Aggregate,
    id: ReleaseId,
    config: &ReleaseConfig,
    rng: &mut R,
) -> Result<NicheWisdom> {
    if let Some(existing) = store.get(id)? {
        return Ok(existing);
    }
    super::layout::validate_config(config)?;
    let window = id.period / config.window_periods;
    let spent = store.spent(id.niche, window)?;
    let mut budget = Budget {
        per_period: config.budget_per_window,
        spent,
    };
    budget.charge(config.epsilon)?;
    let release = release_wisdom(aggregate, id, config, rng)?;
    // Charge before storing: a crash between the two leaves budget spent and no release, never
    // a release whose cost was not recorded.
    store.add_spent(id.niche, window, config.epsilon)?;
    store.put(&release)?;
    Ok(release)
}
