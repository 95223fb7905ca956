//! Publication of niche releases (the cron's work, also the operator's publish route), over the
//! ports.
//!
//! Every run: rebuild the contribution pool from D1 (only opted-in accounts, each through the
//! core's `wisdom_contribution`: consent, data gate, clipping), then for every niche obtain the
//! release of the current period with the core's `get_or_release`. The stored history of the
//! current budget window is loaded into the core's `MemoryReleaseStore` first, so an existing
//! `(period, niche)` release is returned unchanged (no fresh noise) and the window's spent epsilon
//! is respected. New releases get a history row in D1 and replace the niche's key in KV.
//!
//! Because the pool is rebuilt from D1 on every run, an erased or opted-out account is absent
//! from every release made after its erasure (the next period's). Time and the noise seed are
//! passed in.

use crate::error::ApiError;
use crate::ports::{Accounts, History, HistoryRow, Records, Releases};
use crate::service::auth::internal;
use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::rng::Rng;
use crosslearn::wisdom::{
    get_or_release, period_of_day, wisdom_contribution, AccountConsent, ContributionPool,
    MemoryReleaseStore, NicheWisdom, ReleaseConfig, ReleaseId, ReleaseStore,
};
use serde::Serialize;

/// What one publication run did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublishReport {
    /// The release period (`days since epoch / cadence_days`).
    pub period: u32,
    /// Opted-in accounts read.
    pub opted_in_accounts: usize,
    /// Of those, accounts that contributed (passed the data gate).
    pub contributing_accounts: usize,
    /// Niches released in this run (new history rows).
    pub released: Vec<String>,
    /// Niches whose release for this period already existed (left unchanged).
    pub unchanged: Vec<String>,
    /// Niches with a published (k-passing) release for this period.
    pub published: Vec<String>,
}

/// `POST /api/admin/publish` body (operator only): run the cron's publication now.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The time to publish at, in ms since the Unix epoch (default: now). It picks the release
    /// period, as the cron's scheduled time does; for backfills and for tests of period changes.
    #[serde(default)]
    #[schemars(range(max = MAX_AT_MS))]
    pub at_ms: Option<u64>,
}

/// The latest publication time accepted in a request, in ms since the Unix epoch
/// (9999-12-31T23:59:59.999Z): the document states it, and a later one is a 422 naming `at_ms`.
pub const MAX_AT_MS: u64 = 253_402_300_799_999;

/// Run one publication at `now_ms` with `config`, drawing noise from `seed`.
pub async fn publish<S: Accounts + Records + History, R: Releases>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
) -> Result<PublishReport, ApiError> {
    let mut pool = ContributionPool::new();
    let accounts = store.opted_in_accounts().await.map_err(internal)?;
    let options = InsightOptions::default();
    for account_id in &accounts {
        let records = store.records(account_id).await.map_err(internal)?;
        // Opted in without records yet: no contribution (the core refuses an empty list, which
        // would otherwise fail the whole run).
        if records.is_empty() {
            continue;
        }
        let contribution = wisdom_contribution(
            &records,
            AccountConsent { opted_in: true },
            &options,
            config,
        )?;
        pool.set(account_id, contribution)?;
    }
    let aggregates: crate::ports::Aggregates = crate::ports::niches()
        .map(|n| (n, pool.aggregate(n)))
        .collect();
    publish_with(
        store,
        kv,
        now_ms,
        config,
        seed,
        &aggregates,
        (accounts.len(), pool.len()),
    )
    .await
}

/// [`publish`] with the niche aggregates already computed (from D1 or from Redis, see
/// [`crate::service::aggregates::publication_aggregates`]); `counts` = (opted-in, contributing) accounts.
pub async fn publish_with<S: History, R: Releases>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
    aggregates: &crate::ports::Aggregates,
    counts: (usize, usize),
) -> Result<PublishReport, ApiError> {
    let now = crate::service::accounts::iso_utc(now_ms);
    let day = (now_ms / 86_400_000) as i64;
    let period = period_of_day(day, config.cadence_days);
    let window_periods = config.window_periods.max(1);
    let window = period / window_periods;

    // The window's history as the core's release store: existing releases and spent budget.
    let mut releases = MemoryReleaseStore::new();
    let from = window * window_periods;
    for row in store
        .history(from, from.saturating_add(window_periods))
        .await
        .map_err(internal)?
    {
        let w: NicheWisdom = serde_json::from_str(&row.release_json)
            .map_err(|e| ApiError::Storage(format!("release_history row unreadable: {e}")))?;
        releases.add_spent(w.niche, window, row.epsilon)?;
        releases.put(&w)?;
    }

    let mut rng = Rng::new(seed);
    let mut report = PublishReport {
        period,
        opted_in_accounts: counts.0,
        contributing_accounts: counts.1,
        released: Vec::new(),
        unchanged: Vec::new(),
        published: Vec::new(),
    };
    let params_json = serde_json::to_string(config).map_err(|_| ApiError::Internal)?;
    let mut current = Vec::new();
    for niche in Niche::ALL.into_iter().filter(|n| *n != Niche::Unknown) {
        let id = ReleaseId { period, niche };
        let existed = releases.get(id)?.is_some();
        let aggregate = aggregates
            .get(&niche)
            .cloned()
            .unwrap_or_else(crosslearn::wisdom::empty_aggregate);
        let wisdom = get_or_release(&mut releases, &aggregate, id, config, &mut rng)?;
        let name = niche.as_str().to_string();
        current.push(wisdom.clone());
        if wisdom.published {
            report.published.push(name.clone());
        }
        let release_json = serde_json::to_string(&wisdom).map_err(|_| ApiError::Internal)?;
        if existed {
            // Already released this period (D1 history): no new noise, but KV is rewritten
            // from it, so a lost or corrupted KV value is repaired by the next run.
            kv.publish(&name, &release_json).await.map_err(internal)?;
            report.unchanged.push(name);
            continue;
        }
        let row = HistoryRow {
            period,
            niche: name.clone(),
            epsilon: config.epsilon,
            published: wisdom.published,
            sample_size: wisdom.sample_size,
            params_json: params_json.clone(),
            release_json: release_json.clone(),
            published_at: now.clone(),
        };
        // History first: a crash after it leaves the release recorded (and its budget spent),
        // and the next run re-reads it instead of drawing new noise.
        if store.record_release(&row).await.map_err(internal)? {
            kv.publish(&name, &release_json).await.map_err(internal)?;
            report.released.push(name);
        } else {
            report.unchanged.push(name);
        }
    }
    // Always rewritten (one KV write per run), for the same reason.
    let all = serde_json::to_string(&current).map_err(|_| ApiError::Internal)?;
    kv.publish_all(&all).await.map_err(internal)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;
    use crate::testing::MemoryStore;

    use crate::testing::fixtures::{account, DAY_MS, NOW};

    fn niches() -> usize {
        Niche::ALL.iter().filter(|n| **n != Niche::Unknown).count()
    }

    #[test]
    fn publishes_every_niche_once_per_period() {
        let store = MemoryStore::new();
        for i in 0..6 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        account(&store, "out", "fitness", false);
        let config = ReleaseConfig::default();
        let first = run(publish(&store, &store, NOW, &config, 1)).unwrap();
        assert_eq!(first.period, period_of_day(20_454, 7));
        assert_eq!(
            (first.opted_in_accounts, first.contributing_accounts),
            (6, 6)
        );
        assert_eq!(first.released.len(), niches());
        assert!(first.unchanged.is_empty());
        let history = run(store.history(0, u32::MAX)).unwrap();
        assert_eq!(history.len(), niches());
        assert!(history
            .iter()
            .all(|r| r.period == first.period && r.epsilon == 1.0));
        let fitness = run(store.published("fitness")).unwrap().unwrap();
        let all: Vec<NicheWisdom> =
            serde_json::from_str(&run(store.published_all()).unwrap().unwrap()).unwrap();
        assert_eq!(all.len(), niches());
        let in_all = all.iter().find(|w| w.niche == Niche::Fitness).unwrap();
        assert_eq!(serde_json::to_string(in_all).unwrap(), fitness);

        // Same period, another seed: nothing new, no fresh noise; and KV values lost or
        // corrupted in between are rewritten from D1's history.
        let all_json = run(store.published_all()).unwrap().unwrap();
        run(Releases::publish(&store, "fitness", "garbage")).unwrap();
        run(store.publish_all("[]")).unwrap();
        let again = run(publish(&store, &store, NOW + 3_600_000, &config, 2)).unwrap();
        assert_eq!(run(store.published_all()).unwrap().unwrap(), all_json);
        assert!(again.released.is_empty());
        assert_eq!(again.unchanged.len(), niches());
        assert_eq!(again.published, first.published);
        assert_eq!(run(store.published("fitness")).unwrap().unwrap(), fitness);
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches());

        // After an erasure, the next period's release no longer counts the account.
        run(store.erase_account("f0")).unwrap();
        let next = run(publish(&store, &store, NOW + 7 * DAY_MS, &config, 3)).unwrap();
        assert_eq!(next.period, first.period + 1);
        assert_eq!((next.opted_in_accounts, next.contributing_accounts), (5, 5));
        assert_eq!(next.released.len(), niches());
        assert_ne!(run(store.published("fitness")).unwrap().unwrap(), fitness);
    }

    #[test]
    fn the_window_budget_is_respected() {
        let store = MemoryStore::new();
        account(&store, "a", "beauty", true);
        // One release per window: the second period of the same window must fail.
        let config = ReleaseConfig {
            budget_per_window: 1.0,
            ..ReleaseConfig::default()
        };
        let start = u64::from(period_of_day(20_454, 7) / 4 * 4 * 7) * DAY_MS;
        run(publish(&store, &store, start, &config, 1)).unwrap();
        let e = run(publish(&store, &store, start + 7 * DAY_MS, &config, 1)).unwrap_err();
        assert_eq!(e.status(), 422, "{e}");
        // The failed run released nothing.
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches());
    }
}
