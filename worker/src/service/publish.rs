//! Publication of niche releases (the cron's work, also the operator's publish route), over the
//! ports.
//!
//! Every run: rebuild the niche aggregates from D1, reading the opted-in accounts a page at a
//! time ([`PAGE_ACCOUNTS`] accounts, then each one's records through the core's
//! `wisdom_contribution`: consent, data gate, clipping), then, niche by niche, obtain the release
//! of the current period with the core's `get_or_release`. The stored history of the current
//! budget window is loaded into the core's `MemoryReleaseStore` first, so an existing
//! `(period, niche)` release is returned unchanged (no fresh noise) and the window's spent
//! epsilon is respected. New releases get a history row in D1 and replace the niche's key in KV.
//!
//! Robustness rules:
//! - **One niche cannot stop the others.** Each niche is released on its own; a failure (budget
//!   spent, a storage error) is reported in [`PublishReport::failed`] with its reason and the
//!   other niches still publish. The run fails only when every niche failed. An account whose
//!   records the core refuses is skipped ([`PublishReport::skipped_accounts`]), not fatal.
//! - **One noisy draw per (period, niche).** When two runs overlap (the cron and the operator's
//!   publish route) and the other one recorded the release first, this run re-reads the stored
//!   release and serves that, never its own draw.
//! - **Niche membership is frozen per period** ([`Membership`]): the first niche an account is
//!   counted in during a period is the only one it can count in for that period, so an account
//!   whose records move to another niche between two runs of one period is counted once.
//!
//! Because the aggregates are rebuilt from D1 on every run, an erased or opted-out account is
//! absent from every release made after its erasure (the next period's). Time and the noise seed
//! are passed in.

use crate::error::ApiError;
use crate::ports::{
    Accounts, Aggregates, History, HistoryRow, Ledger, LiftCharge, Membership, Records, Releases,
    Spent, StoreResult, StoredRelease,
};
use crate::service::auth::internal;
use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::privacy::dgauss::noise_rng_from_seed;
use crosslearn::privacy::zcdp::{BudgetPolicy, ACCOUNTING_DELTA, BUDGET_EXCEEDED};
use crosslearn::wisdom::{
    get_or_release, period_of_day, wisdom_contribution, AccountConsent, ContributionPool,
    MemoryReleaseStore, NicheWisdom, ReleaseConfig, ReleaseId, ReleaseStore,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Opted-in accounts read per page during a publication (their records are read, turned into
/// contributions and dropped before the next page).
pub const PAGE_ACCOUNTS: u32 = 50;

/// What one publication run did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PublishReport {
    /// The release period (`days since epoch / cadence_days`).
    pub period: u32,
    /// Opted-in accounts read.
    pub opted_in_accounts: usize,
    /// Of those, accounts that contributed (passed the data gate).
    pub contributing_accounts: usize,
    /// Opted-in accounts left out of this run: their records were refused by the core, or
    /// their niche changed after it was frozen for the period (they count again next period).
    pub skipped_accounts: usize,
    /// Niches released in this run (new history rows).
    pub released: Vec<String>,
    /// Niches whose release for this period already existed (left unchanged).
    pub unchanged: Vec<String>,
    /// Niches with a published (k-passing) release for this period.
    pub published: Vec<String>,
    /// Niches that failed in this run, with why; the others were released regardless.
    pub failed: Vec<NicheFailure>,
    /// The distribution releases of the same run (absent unless `RELEASE_CONFIG.distributions`
    /// is set): released before the regular ones, whose benchmarks they provide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distributions: Option<crate::service::distributions::DistributionReport>,
    /// The format-2 release of the same run (absent when only format 1 was run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format2: Option<crate::service::format2::Format2Report>,
}

/// One niche that failed during a publication run.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NicheFailure {
    /// The niche.
    pub niche: String,
    /// The error code (`budget_exhausted`, `storage_unavailable`, `internal`, ...).
    pub code: String,
    /// What went wrong (storage causes are not included).
    pub message: String,
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

/// The release period of `now_ms` under `config`.
pub fn period_at(now_ms: u64, config: &ReleaseConfig) -> u32 {
    period_of_day((now_ms / 86_400_000) as i64, config.cadence_days)
}

/// The accounts counted in each niche in a period (its frozen members that contributed).
pub type Members = BTreeMap<Niche, Vec<String>>;

/// A period's niche aggregates from D1 ([`frozen_aggregates`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Frozen {
    /// The niche aggregates.
    pub aggregates: Aggregates,
    /// Opted-in accounts read.
    pub opted_in: usize,
    /// Of those, the accounts that contributed.
    pub contributing: usize,
    /// Accounts left out (records refused, or niche changed after it was frozen).
    pub skipped: usize,
    /// The contributing accounts of each niche: who its format-1 release is charged to.
    pub members: Members,
}

/// The niche aggregates of the period `period` from D1, read a page of opted-in accounts at a
/// time, with niche membership frozen for the period, with the account counts and each niche's
/// contributing accounts.
pub async fn frozen_aggregates<S: Accounts + Records + Membership>(
    store: &S,
    period: u32,
    config: &ReleaseConfig,
) -> Result<Frozen, ApiError> {
    let mut pool = ContributionPool::new();
    let mut by_niche = Members::new();
    let options = InsightOptions::default();
    let (mut opted, mut skipped) = (0, 0);
    let mut after = String::new();
    loop {
        let page = store
            .opted_in_page(&after, PAGE_ACCOUNTS)
            .await
            .map_err(internal)?;
        let Some(last) = page.last() else { break };
        after = last.clone();
        opted += page.len();
        let mut contributions = Vec::new();
        for account_id in &page {
            let records = store.records(account_id).await.map_err(internal)?;
            // Opted in without records yet: no contribution (the core refuses an empty list).
            if records.is_empty() {
                continue;
            }
            let consent = AccountConsent { opted_in: true };
            match wisdom_contribution(&records, consent, &options, config) {
                Ok(Some(c)) => contributions.push((account_id.clone(), c)),
                Ok(None) => {}
                // One account's data cannot stop the publication for everyone.
                Err(_) => skipped += 1,
            }
        }
        let members: Vec<(String, Niche)> = contributions
            .iter()
            .map(|(a, c)| (a.clone(), c.niche))
            .collect();
        let frozen = store
            .freeze_niches(period, &members)
            .await
            .map_err(internal)?;
        for ((account_id, c), niche) in contributions.into_iter().zip(frozen) {
            if niche == c.niche {
                pool.set(&account_id, Some(c))?;
                by_niche.entry(niche).or_default().push(account_id);
            } else {
                skipped += 1;
            }
        }
        if page.len() < PAGE_ACCOUNTS as usize {
            break;
        }
    }
    let aggregates = crate::ports::niches()
        .map(|n| (n, pool.aggregate(n)))
        .collect();
    Ok(Frozen {
        aggregates,
        opted_in: opted,
        contributing: pool.len(),
        skipped,
        members: by_niche,
    })
}

/// What a format-1 publication charges to the per-account privacy ledger, and the cap it is
/// held to (docs/privacy.md, "An account's total loss").
#[derive(Debug, Clone, PartialEq)]
pub struct Charging {
    /// The accounts counted in each niche's release.
    pub members: Members,
    /// Each member's spend within the window ending on [`Charging::day`].
    pub spent: BTreeMap<String, Spent>,
    /// The cap (`epsilon_cap`) and window.
    pub budget: BudgetPolicy,
    /// The day charged: the period's first day.
    pub day: i64,
    /// Id of this run's draw (the ledger rows follow the recorded draw only).
    pub draw: String,
}

impl Charging {
    /// The charging of `members` for the period `period`: each member's spend over the window
    /// ending on the period's first day, read from the ledger.
    pub async fn read<S: Ledger>(
        store: &S,
        members: Members,
        budget: &BudgetPolicy,
        period: u32,
        config: &ReleaseConfig,
        seed: u64,
    ) -> Result<Self, ApiError> {
        let day = crate::service::format2::period_day(period, config.cadence_days);
        let ids: Vec<String> = members.values().flatten().cloned().collect();
        let spent = store
            .spent(&ids, day - budget.window_days, day)
            .await
            .map_err(internal)?;
        Ok(Charging {
            members,
            spent,
            budget: *budget,
            day,
            draw: format!("lift-{seed:016x}"),
        })
    }

    /// How many of `niche`'s members a release spending pure `epsilon` would take past the cap.
    pub(crate) fn over(&self, niche: Niche, epsilon: f64) -> usize {
        let cap = self.budget.epsilon_cap * (1.0 + 1e-12);
        self.accounts(niche)
            .iter()
            .filter(|a| {
                let mut spent = self.spent.get(*a).copied().unwrap_or_default();
                spent.epsilon += epsilon;
                spent.total_epsilon(ACCOUNTING_DELTA) > cap
            })
            .count()
    }

    /// Adds a pure `epsilon` charged in this run to each of `niche`'s members' spend.
    pub(crate) fn charge(&mut self, niche: Niche, epsilon: f64) {
        for a in self.members.get(&niche).map_or(&[][..], |v| &v[..]) {
            self.spent.entry(a.clone()).or_default().epsilon += epsilon;
        }
    }

    fn accounts(&self, niche: Niche) -> &[String] {
        self.members.get(&niche).map_or(&[][..], |v| &v[..])
    }
}

/// Run one publication at `now_ms` with `config`, drawing noise from `seed`, charging each
/// release to its accounts under `budget`.
pub async fn publish<S: Accounts + Records + History + Membership + Ledger, R: Releases>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    budget: &BudgetPolicy,
    seed: u64,
) -> Result<PublishReport, ApiError> {
    let period = period_at(now_ms, config);
    let frozen = frozen_aggregates(store, period, config).await?;
    let charging = Charging::read(store, frozen.members, budget, period, config, seed).await?;
    let mut report = publish_with(
        store,
        kv,
        now_ms,
        config,
        seed,
        &frozen.aggregates,
        (frozen.opted_in, frozen.contributing),
        &charging,
    )
    .await?;
    report.skipped_accounts = frozen.skipped;
    Ok(report)
}

/// The window's history as the core's release store: existing releases and spent budget.
async fn window_store<S: History>(
    store: &S,
    period: u32,
    config: &ReleaseConfig,
) -> Result<MemoryReleaseStore, ApiError> {
    let window_periods = config.window_periods.max(1);
    let window = period / window_periods;
    let mut releases = MemoryReleaseStore::new();
    let from = window * window_periods;
    for row in store
        .history(from, from.saturating_add(window_periods))
        .await
        .map_err(internal)?
    {
        let w = decode_row(&row)?;
        releases.add_spent(w.niche, window, row.epsilon)?;
        releases.put(&w)?;
    }
    Ok(releases)
}

fn decode_row(row: &HistoryRow) -> Result<NicheWisdom, ApiError> {
    serde_json::from_str(&row.release_json)
        .map_err(|e| ApiError::Storage(format!("release_history row unreadable: {e}")))
}

/// The release of (period, niche) another run recorded first: the one to serve.
async fn stored_release<S: History>(
    store: &S,
    period: u32,
    niche: Niche,
) -> Result<NicheWisdom, ApiError> {
    let rows = store
        .history(period, period.saturating_add(1))
        .await
        .map_err(internal)?;
    let row = rows
        .iter()
        .find(|r| r.niche == niche.as_str())
        .ok_or_else(|| ApiError::Storage(format!("release {period}:{niche} vanished")))?;
    decode_row(row)
}

/// What one niche's step did.
enum Outcome {
    Released(NicheWisdom),
    Unchanged(NicheWisdom),
    /// Not drawn: it would take accounts past the cap (the message says how many).
    Refused(String),
}

/// [`publish`] with the niche aggregates already computed (from D1 or from Redis, see
/// [`crate::service::aggregates::publication_aggregates`]); `counts` = (opted-in, contributing)
/// accounts. A new release is drawn only if it keeps every member of its niche within
/// `charging`'s cap (else the niche fails with `privacy_budget_exceeded` and nothing of it is
/// drawn or charged), and is recorded with its charges in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn publish_with<S: History + Ledger, R: Releases>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
    aggregates: &Aggregates,
    counts: (usize, usize),
    charging: &Charging,
) -> Result<PublishReport, ApiError> {
    let now = crate::service::accounts::iso_utc(now_ms);
    let period = period_at(now_ms, config);
    let mut releases = window_store(store, period, config).await?;
    // ChaCha20 (a cryptographic generator) keyed by the run's seed: 64 bits from the OS in
    // production (`routes::admin::noise_seed`), a fixed one in tests.
    let mut rng = noise_rng_from_seed(seed);
    let mut report = PublishReport {
        period,
        opted_in_accounts: counts.0,
        contributing_accounts: counts.1,
        skipped_accounts: 0,
        released: Vec::new(),
        unchanged: Vec::new(),
        published: Vec::new(),
        failed: Vec::new(),
        distributions: None,
        format2: None,
    };
    // The distribution releases first (when configured): their charges count against this
    // run's regular releases, and their benchmarks are served with them.
    let mut charging = charging.clone();
    let dists = crate::service::distributions::distributions_of_period(
        store,
        now_ms,
        &now,
        config,
        aggregates,
        &mut charging,
        &mut rng,
    )
    .await?;
    let dists = dists.map(|(r, m)| {
        report.distributions = Some(r);
        m
    });
    let serve = |w: NicheWisdom| crate::service::distributions::served(w, dists.as_ref());
    let params_json = serde_json::to_string(config).map_err(|_| ApiError::Internal)?;
    let mut current = Vec::new();
    let mut first_error = None;
    for niche in crate::ports::niches() {
        let aggregate = aggregates
            .get(&niche)
            .cloned()
            .unwrap_or_else(crosslearn::wisdom::empty_aggregate);
        let step = async {
            let id = ReleaseId { period, niche };
            if let Some(existing) = releases.get(id)? {
                // Already released this period (D1 history): no new noise, but KV is rewritten
                // from it, so a lost or corrupted KV value is repaired by the next run.
                let shown = serve(existing)?;
                kv.publish(&shown).await.map_err(internal)?;
                return Ok::<Outcome, ApiError>(Outcome::Unchanged(shown));
            }
            let over = charging.over(niche, config.epsilon);
            if over > 0 {
                return Ok(Outcome::Refused(format!(
                    "the release (epsilon {}) would take {over} account(s) past epsilon {} \
                     within {} days; nothing is published for this niche",
                    config.epsilon, charging.budget.epsilon_cap, charging.budget.window_days
                )));
            }
            let wisdom = get_or_release(&mut releases, &aggregate, id, config, &mut rng)?;
            let row = HistoryRow {
                period,
                niche: niche.as_str().to_string(),
                epsilon: config.epsilon,
                published: wisdom.published,
                sample_size: wisdom.sample_size,
                params_json: params_json.clone(),
                release_json: serde_json::to_string(&wisdom).map_err(|_| ApiError::Internal)?,
                published_at: now.clone(),
            };
            // History first: a crash after it leaves the release recorded (and its budget
            // spent), and the next run re-reads it instead of drawing new noise.
            let charge = LiftCharge {
                day: charging.day,
                draw: charging.draw.clone(),
                accounts: charging.accounts(niche).to_vec(),
            };
            if store
                .record_release(&row, &charge)
                .await
                .map_err(internal)?
            {
                let shown = serve(wisdom)?;
                kv.publish(&shown).await.map_err(internal)?;
                Ok(Outcome::Released(shown))
            } else {
                // Another run recorded this (period, niche) first: serve its release, never
                // this run's own draw.
                let stored = serve(stored_release(store, period, niche).await?)?;
                kv.publish(&stored).await.map_err(internal)?;
                Ok(Outcome::Unchanged(stored))
            }
        };
        let name = niche.as_str().to_string();
        let wisdom = match step.await {
            Ok(Outcome::Released(w)) => {
                report.released.push(name.clone());
                w
            }
            Ok(Outcome::Unchanged(w)) => {
                report.unchanged.push(name.clone());
                w
            }
            Ok(Outcome::Refused(message)) => {
                report.failed.push(NicheFailure {
                    niche: name,
                    code: BUDGET_EXCEEDED.to_string(),
                    message,
                });
                continue;
            }
            Err(e) => {
                report.failed.push(NicheFailure {
                    niche: name,
                    code: e.code().to_string(),
                    message: e.body().error.message,
                });
                first_error.get_or_insert(e);
                continue;
            }
        };
        if wisdom.published {
            report.published.push(name);
        }
        current.push(wisdom);
    }
    if current.is_empty() {
        if let Some(e) = first_error {
            return Err(e);
        }
    }
    if !report.failed.is_empty() {
        keep_failed(
            &mut current,
            kv.published_all().await,
            &report.failed,
            |w| w.niche,
        );
    }
    // Always rewritten (one KV write per run), for the same reason.
    kv.publish_all(&current).await.map_err(internal)?;
    Ok(report)
}

/// Keeps the failed niches' previous entries of a bulk value (`previous`, as read from KV) in
/// `current`, sorted by niche: their own KV keys are untouched, so a failure never makes a niche
/// vanish from the bulk read. An unreadable previous value adds nothing.
pub(crate) fn keep_failed<T: serde::de::DeserializeOwned>(
    current: &mut Vec<T>,
    previous: StoreResult<Option<StoredRelease>>,
    failed: &[NicheFailure],
    niche: impl Fn(&T) -> Niche,
) {
    let Some(previous) = previous
        .ok()
        .flatten()
        .and_then(|s| s.decode::<Vec<T>>().ok())
    else {
        return;
    };
    current.extend(
        previous
            .into_iter()
            .filter(|t| failed.iter().any(|f| f.niche == niche(t).as_str())),
    );
    current.sort_by_key(|t| niche(t));
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
        let first = run(publish(
            &store,
            &store,
            NOW,
            &config,
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
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
        let fitness = run(store.published(Niche::Fitness)).unwrap().unwrap();
        let all: Vec<NicheWisdom> = run(store.published_all())
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(all.len(), niches());
        let in_all = all.iter().find(|w| w.niche == Niche::Fitness).unwrap();
        assert_eq!(serde_json::to_string(in_all).unwrap(), fitness.text());

        // Same period, another seed: nothing new, no fresh noise; and KV values lost or
        // corrupted in between are rewritten from D1's history.
        let all_json = run(store.published_all()).unwrap().unwrap();
        store.put_raw_release(Some(Niche::Fitness), "garbage");
        store.put_raw_release(None, "[]");
        let again = run(publish(
            &store,
            &store,
            NOW + 3_600_000,
            &config,
            &BudgetPolicy::default(),
            2,
        ))
        .unwrap();
        assert_eq!(run(store.published_all()).unwrap().unwrap(), all_json);
        assert!(again.released.is_empty());
        assert_eq!(again.unchanged.len(), niches());
        assert_eq!(again.published, first.published);
        assert_eq!(
            run(store.published(Niche::Fitness)).unwrap().unwrap(),
            fitness
        );
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches());

        // After an erasure, the next period's release no longer counts the account.
        run(store.erase_account("f0")).unwrap();
        let next = run(publish(
            &store,
            &store,
            NOW + 7 * DAY_MS,
            &config,
            &BudgetPolicy::default(),
            3,
        ))
        .unwrap();
        assert_eq!(next.period, first.period + 1);
        assert_eq!((next.opted_in_accounts, next.contributing_accounts), (5, 5));
        assert_eq!(next.released.len(), niches());
        assert_ne!(
            run(store.published(Niche::Fitness)).unwrap().unwrap(),
            fitness
        );
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
        run(publish(
            &store,
            &store,
            start,
            &config,
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        let e = run(publish(
            &store,
            &store,
            start + 7 * DAY_MS,
            &config,
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap_err();
        assert_eq!(e.status(), 422, "{e}");
        // The failed run released nothing.
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches());
    }

    /// The test wrappers below change only [`History`]; their [`Ledger`] is the store's.
    macro_rules! ledger_of_store {
        ($t:ident) => {
            impl Ledger for $t<'_> {
                async fn release_log(
                    &self,
                    kind: &str,
                    period: u32,
                ) -> crate::ports::StoreResult<Vec<crate::ports::ReleaseLogRow>> {
                    self.store.release_log(kind, period).await
                }
                async fn record_charged(
                    &self,
                    row: &crate::ports::ReleaseLogRow,
                    accounts: &[String],
                ) -> crate::ports::StoreResult<bool> {
                    self.store.record_charged(row, accounts).await
                }
                async fn spent(
                    &self,
                    accounts: &[String],
                    from_day: i64,
                    to_day: i64,
                ) -> crate::ports::StoreResult<BTreeMap<String, Spent>> {
                    self.store.spent(accounts, from_day, to_day).await
                }
                async fn ledger(
                    &self,
                    account_id: &str,
                ) -> crate::ports::StoreResult<Vec<crate::ports::LedgerRow>> {
                    self.store.ledger(account_id).await
                }
            }
        };
    }
    ledger_of_store!(Overlapped);
    ledger_of_store!(FailingNiche);

    /// A [`History`] over a [`MemoryStore`] where another publication run (seed 99) records
    /// its releases just before this run's first `record_release`: two overlapping runs of one
    /// (period, niche), the other one winning the insert race.
    struct Overlapped<'a> {
        store: &'a MemoryStore,
        at_ms: u64,
        raced: std::cell::Cell<bool>,
    }

    impl History for Overlapped<'_> {
        async fn history(&self, from: u32, to: u32) -> crate::ports::StoreResult<Vec<HistoryRow>> {
            self.store.history(from, to).await
        }
        async fn record_release(
            &self,
            row: &HistoryRow,
            charge: &LiftCharge,
        ) -> crate::ports::StoreResult<bool> {
            if !self.raced.replace(true) {
                let config = ReleaseConfig::default();
                publish(
                    self.store,
                    self.store,
                    self.at_ms,
                    &config,
                    &BudgetPolicy::default(),
                    99,
                )
                .await
                .unwrap();
            }
            self.store.record_release(row, charge).await
        }
    }

    /// The charging of a publication at `NOW` over `store` with the default budget.
    fn charging_of(store: &MemoryStore, frozen: &Frozen, config: &ReleaseConfig) -> Charging {
        let period = period_at(NOW, config);
        let budget = BudgetPolicy::default();
        run(Charging::read(
            store,
            frozen.members.clone(),
            &budget,
            period,
            config,
            1,
        ))
        .unwrap()
    }

    #[test]
    fn overlapping_runs_serve_one_draw() {
        let store = MemoryStore::new();
        for i in 0..60 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let config = ReleaseConfig::default();
        let frozen = run(frozen_aggregates(&store, period_at(NOW, &config), &config)).unwrap();
        let charging = charging_of(&store, &frozen, &config);
        let racing = Overlapped {
            store: &store,
            at_ms: NOW,
            raced: false.into(),
        };
        let report = run(publish_with(
            &racing,
            &store,
            NOW,
            &config,
            1,
            &frozen.aggregates,
            (frozen.opted_in, frozen.contributing),
            &charging,
        ))
        .unwrap();
        // The other run recorded every niche first: this one released nothing of its own...
        assert!(report.released.is_empty(), "{report:?}");
        assert_eq!(report.unchanged.len(), niches());
        // ...and everything served is the recorded draw, in the niche key and the bulk array.
        let history = run(store.history(0, u32::MAX)).unwrap();
        let all: Vec<NicheWisdom> = run(store.published_all())
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(all.len(), niches());
        for row in &history {
            let niche: Niche = row.niche.parse().unwrap();
            let served = run(store.published(niche)).unwrap().unwrap();
            assert_eq!(served.text(), row.release_json, "{niche}");
            let in_all = all.iter().find(|w| w.niche == niche).unwrap();
            assert_eq!(serde_json::to_string(in_all).unwrap(), row.release_json);
        }
    }

    /// A [`History`] whose `record_release` fails for one niche (a storage fault).
    struct FailingNiche<'a> {
        store: &'a MemoryStore,
        niche: &'static str,
    }

    impl History for FailingNiche<'_> {
        async fn history(&self, from: u32, to: u32) -> crate::ports::StoreResult<Vec<HistoryRow>> {
            self.store.history(from, to).await
        }
        async fn record_release(
            &self,
            row: &HistoryRow,
            charge: &LiftCharge,
        ) -> crate::ports::StoreResult<bool> {
            if row.niche == self.niche {
                return Err(crate::ports::StoreError::write("release history", "down"));
            }
            self.store.record_release(row, charge).await
        }
    }

    #[test]
    fn one_failing_niche_does_not_stop_the_others() {
        let store = MemoryStore::new();
        for i in 0..60 {
            account(&store, &format!("f{i}"), "fitness", true);
            account(&store, &format!("b{i}"), "beauty", true);
        }
        let config = ReleaseConfig::default();
        let frozen = run(frozen_aggregates(&store, period_at(NOW, &config), &config)).unwrap();
        let charging = charging_of(&store, &frozen, &config);
        let failing = FailingNiche {
            store: &store,
            niche: "beauty",
        };
        let report = run(publish_with(
            &failing,
            &store,
            NOW,
            &config,
            1,
            &frozen.aggregates,
            (frozen.opted_in, frozen.contributing),
            &charging,
        ))
        .unwrap();
        assert_eq!(report.failed.len(), 1, "{report:?}");
        assert_eq!(
            (
                report.failed[0].niche.as_str(),
                report.failed[0].code.as_str()
            ),
            ("beauty", "storage_unavailable")
        );
        assert_eq!(report.released.len(), niches() - 1);
        assert!(report.published.contains(&"fitness".to_string()));
        assert!(run(store.published(Niche::Fitness)).unwrap().is_some());
        assert!(run(store.published(Niche::Beauty)).unwrap().is_none());
        // The next run (same period) releases the failed niche and leaves the others alone.
        let next = run(publish(
            &store,
            &store,
            NOW + 3_600_000,
            &config,
            &BudgetPolicy::default(),
            2,
        ))
        .unwrap();
        assert_eq!(next.released, vec!["beauty".to_string()]);
        assert!(next.failed.is_empty());
        assert!(next.published.contains(&"beauty".to_string()));
    }

    #[test]
    fn accounts_are_read_in_pages() {
        let store = MemoryStore::new();
        let n = PAGE_ACCOUNTS as usize * 2 + 7;
        for i in 0..n {
            account(&store, &format!("a{i:04}"), "fitness", true);
        }
        let config = ReleaseConfig::default();
        let f = run(frozen_aggregates(&store, 1, &config)).unwrap();
        assert_eq!((f.opted_in, f.contributing, f.skipped), (n, n, 0));
        assert_eq!(f.aggregates[&Niche::Fitness].accounts, n as i64);
        assert_eq!(f.members[&Niche::Fitness].len(), n);
    }

    /// An account that moves to another niche between two runs of one period (the first run
    /// failed for the new niche) is counted once: in the niche it was first counted in.
    #[test]
    fn niche_membership_is_frozen_per_period() {
        let store = MemoryStore::new();
        for i in 0..60 {
            account(&store, &format!("f{i:02}"), "fitness", true);
            account(&store, &format!("b{i:02}"), "beauty", true);
        }
        let config = ReleaseConfig::default();
        let period = period_at(NOW, &config);
        let first = run(frozen_aggregates(&store, period, &config))
            .unwrap()
            .aggregates;
        assert_eq!(first[&Niche::Fitness].accounts, 60);
        assert_eq!(first[&Niche::Beauty].accounts, 60);
        // f00 now sends many beauty records: its records' niche becomes beauty.
        crate::testing::fixtures::add_records(&store, "f00", "beauty", 50);
        let second = run(frozen_aggregates(&store, period, &config)).unwrap();
        assert_eq!(
            (second.opted_in, second.contributing, second.skipped),
            (120, 119, 1)
        );
        assert_eq!(
            second.aggregates[&Niche::Beauty].accounts,
            60,
            "counted twice"
        );
        // Left out of this run, it is charged by neither niche's release drawn in it.
        let f00 = "f00".to_string();
        assert!(!second.members.values().any(|m| m.contains(&f00)));
        // Next period it counts in its new niche.
        let next = run(frozen_aggregates(&store, period + 1, &config))
            .unwrap()
            .aggregates;
        assert_eq!(next[&Niche::Beauty].accounts, 61);
        assert_eq!(next[&Niche::Fitness].accounts, 59);
        // Erasure removes its frozen membership too.
        run(store.erase_account("f00")).unwrap();
        assert_eq!(store.rows_of("f00"), 0);
    }

    /// Format 1 is charged to the ledger: each release's `ε` to the accounts counted in it,
    /// once per release (a re-run of the period charges nothing), and a release that would take
    /// an account past `epsilon_cap` is refused: not drawn, not recorded, nobody charged.
    #[test]
    fn format_1_is_charged_once_and_refused_past_the_epsilon_cap() {
        use crate::ports::Ledger;
        let store = MemoryStore::new();
        for i in 0..6 {
            account(&store, &format!("f{i}"), "fitness", true);
            account(&store, &format!("b{i}"), "beauty", true);
        }
        let config = ReleaseConfig {
            epsilon: 4.0,
            budget_per_window: 1000.0,
            ..ReleaseConfig::default()
        };
        let budget = BudgetPolicy {
            epsilon_cap: 10.0,
            ..BudgetPolicy::default()
        };
        let first = run(publish(&store, &store, NOW, &config, &budget, 1)).unwrap();
        assert!(first.failed.is_empty(), "{first:?}");
        let f0 = run(store.ledger("f0")).unwrap();
        assert_eq!(f0.len(), 1, "{f0:?}");
        assert_eq!(
            (
                f0[0].kind.as_str(),
                f0[0].niche.as_str(),
                f0[0].epsilon,
                f0[0].rho
            ),
            ("lift", "fitness", 4.0, 0.0)
        );
        assert_eq!(f0[0].release_id, format!("{}:fitness", first.period));
        // The same period again (another run, another seed): nobody is charged twice.
        run(publish(
            &store,
            &store,
            NOW + 3_600_000,
            &config,
            &budget,
            2,
        ))
        .unwrap();
        assert_eq!(run(store.ledger("f0")).unwrap().len(), 1);
        assert_eq!(run(store.ledger("b0")).unwrap().len(), 1);
        // Niches without members charge no one and are not refused.
        let second = run(publish(
            &store,
            &store,
            NOW + 7 * DAY_MS,
            &config,
            &budget,
            3,
        ))
        .unwrap();
        assert!(second.failed.is_empty(), "{second:?}");
        assert_eq!(run(store.ledger("f0")).unwrap().len(), 2);
        // A third release would be epsilon 12 > 10: refused for the two niches with members.
        let history_before = run(store.history(0, u32::MAX)).unwrap().len();
        let third = run(publish(
            &store,
            &store,
            NOW + 14 * DAY_MS,
            &config,
            &budget,
            4,
        ))
        .unwrap();
        let mut refused: Vec<&str> = third.failed.iter().map(|f| f.niche.as_str()).collect();
        refused.sort_unstable();
        assert_eq!(refused, ["beauty", "fitness"], "{third:?}");
        assert!(third
            .failed
            .iter()
            .all(|f| f.code == BUDGET_EXCEEDED && f.message.contains("6 account(s)")));
        assert!(!third.released.contains(&"fitness".to_string()));
        let history = run(store.history(0, u32::MAX)).unwrap();
        assert_eq!(history.len(), history_before + third.released.len());
        assert!(!history
            .iter()
            .any(|r| r.period == third.period && r.niche == "fitness"));
        assert_eq!(run(store.ledger("f0")).unwrap().len(), 2);
        // The KV keeps the refused niche's previous release.
        assert!(run(store.published(Niche::Fitness)).unwrap().is_some());
        // Once the first release's day (its period's first day) leaves the 365-day window,
        // it is released again (53 weeks later, the window starts after that day).
        let later = NOW + 53 * 7 * DAY_MS;
        let again = run(publish(&store, &store, later, &config, &budget, 5)).unwrap();
        assert!(again.released.contains(&"fitness".to_string()), "{again:?}");
    }
}
