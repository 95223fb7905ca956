//! Niche aggregates kept in a Redis-compatible store, so a publication reads 15 hashes instead of
//! every opted-in account's records in D1. Design and failure model: `docs/redis.md`.
//!
//! **Data.** Each account's contribution is the core's fixed-point integer vector
//! ([`crosslearn::wisdom::wisdom_contribution`], the same function D1 publication uses). Redis
//! holds, under the hash tag `{cl}` (one cluster slot) and the layout version:
//! - `{cl}:w1:a:<account>` = `"<seq>|<niche>|<v0>,<v1>,..."`: the account's applied contribution
//!   (`"<seq>||"` after an opt-out: a tombstone, so an older change can never be re-applied);
//! - `{cl}:w1:n:<niche>` = hash `accounts` -> number of accounts, `<i>` -> exact sum of field `i`
//!   (HINCRBY; zero fields are skipped);
//! - `{cl}:w1:ready` = set once a full rebuild finished (absent after Redis lost its data).
//!
//! **Updates** are one Lua script per account ([`crate::adapters::redis::APPLY_SCRIPT`]): it ignores a `seq` not newer
//! than the stored one, subtracts the old vector, adds the new one and stores it, atomically.
//!
//! **Source of truth.** D1. Every change bumps the account's `seq` in the D1 outbox *before* the
//! change is written ([`crate::adapters::outbox`]); Redis is updated after D1 acknowledged, and
//! `synced` recorded. A Redis failure leaves the row pending; [`drain`] replays pending rows (and
//! [`rebuild`]s everything when the `ready` marker is missing). Publication uses Redis only when it
//! answers, is ready and nothing is pending ([`publication_aggregates`]); otherwise it aggregates
//! from D1. [`check`] compares Redis with a fresh D1 aggregation.

use crate::error::ApiError;
use crate::ports::{
    config_fingerprint, niches, Accounts, AggregateStore, Aggregates, Apply, Outbox, OutboxTotals,
    Records, RedisError, StoreState,
};
use crate::service::auth::internal;
use crate::service::publish::Members;
use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::privacy::aggregate::Aggregate;
use crosslearn::rng::Rng;
use crosslearn::wisdom::{
    empty_aggregate, release_wisdom, wisdom_contribution, AccountConsent, ReleaseConfig, ReleaseId,
    WisdomContribution,
};
use serde::Serialize;
use std::fmt;

/// A failure of an aggregate operation.
#[derive(Debug)]
pub enum AggError {
    /// Redis failed (unreachable, timed out, refused AUTH, ...).
    Redis(RedisError),
    /// D1 or the core failed.
    Api(ApiError),
}

impl From<RedisError> for AggError {
    fn from(e: RedisError) -> Self {
        AggError::Redis(e)
    }
}

impl From<ApiError> for AggError {
    fn from(e: ApiError) -> Self {
        AggError::Api(e)
    }
}

impl fmt::Display for AggError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AggError::Redis(e) => write!(f, "{e}"),
            AggError::Api(ApiError::Storage(cause)) => write!(f, "D1: {cause}"),
            AggError::Api(e) => write!(f, "{e}"),
        }
    }
}

/// The account's current contribution, from D1: None unless it exists, opted in and passes the
/// data gate. `config` must be the publication's (its bounds shape the vector).
pub async fn contribution_of<S: Accounts + Records>(
    store: &S,
    account_id: &str,
    config: &ReleaseConfig,
) -> Result<Option<WisdomContribution>, ApiError> {
    let consent = store.consent(account_id).await.map_err(internal)?;
    if !consent.opted_in {
        return Ok(None);
    }
    opted_in_contribution(store, account_id, config).await
}

/// [`contribution_of`] for an account known to be opted in (from `opted_in_accounts`): one D1
/// read instead of two.
async fn opted_in_contribution<S: Records>(
    store: &S,
    account_id: &str,
    config: &ReleaseConfig,
) -> Result<Option<WisdomContribution>, ApiError> {
    let records = store.records(account_id).await.map_err(internal)?;
    // Opted in before sending any record: nothing to contribute yet (the core refuses an empty
    // record list).
    if records.is_empty() {
        return Ok(None);
    }
    Ok(wisdom_contribution(
        &records,
        AccountConsent { opted_in: true },
        &InsightOptions::default(),
        config,
    )?)
}

/// The publication's D1-only aggregation: every opted-in account's contribution, summed per
/// niche. Returns the aggregates, the opted-in and the contributing account counts.
pub async fn d1_aggregates<S: Accounts + Records>(
    store: &S,
    config: &ReleaseConfig,
) -> Result<(Aggregates, usize, usize), ApiError> {
    let accounts = store.opted_in_accounts().await.map_err(internal)?;
    let mut pool = crosslearn::wisdom::ContributionPool::new();
    for id in &accounts {
        let c = opted_in_contribution(store, id, config).await?;
        pool.set(id, c)?;
    }
    let aggregates = niches()
        .map(|n| (n, pool.aggregate(n)))
        .filter(|(_, a)| a.accounts != 0)
        .collect();
    Ok((aggregates, accounts.len(), pool.len()))
}

/// What happened to Redis after a change of one account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SyncOutcome {
    /// Redis mode is off (no `REDIS_HOST`).
    Disabled,
    /// Redis reflects the change.
    Synced,
    /// Redis already had a newer change of the account.
    Superseded,
    /// Redis failed; the change waits in the outbox.
    Queued {
        /// Why.
        reason: String,
    },
}

/// After a change of `account_id` that D1 acknowledged (its seq, from [`Outbox::mark`] before the
/// write): apply the account's state as of now to Redis and record it as synced. A Redis failure
/// is not an error: the change stays pending. An erased or opted-out account is applied as a
/// tombstone with its seq (never a deleted key), so an older update still in flight is refused.
pub async fn sync_account<S: Accounts + Records, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: Result<&mut A, RedisError>,
    account_id: &str,
    seq: u64,
    config: &ReleaseConfig,
) -> Result<SyncOutcome, ApiError> {
    let redis = match redis {
        Ok(r) => r,
        Err(e) => {
            return Ok(SyncOutcome::Queued {
                reason: e.to_string(),
            })
        }
    };
    let update = read_update(store, account_id, seq, config).await?;
    match redis.apply(std::slice::from_ref(&update)).await {
        Ok(applied) => {
            outbox.synced(account_id, seq).await.map_err(internal)?;
            Ok(if applied.first() == Some(&true) {
                SyncOutcome::Synced
            } else {
                SyncOutcome::Superseded
            })
        }
        Err(e) => Ok(SyncOutcome::Queued {
            reason: e.to_string(),
        }),
    }
}

/// The account's state in D1 as of `seq`: its contribution, and whether it exists and is opted
/// in (an erased account reads as not opted in, without a contribution: a tombstone).
async fn read_update<S: Accounts + Records>(
    store: &S,
    account_id: &str,
    seq: u64,
    config: &ReleaseConfig,
) -> Result<Apply, ApiError> {
    let exists = store.account(account_id).await.map_err(internal)?.is_some();
    let opted_in = exists && store.consent(account_id).await.map_err(internal)?.opted_in;
    let contribution = if opted_in {
        opted_in_contribution(store, account_id, config).await?
    } else {
        None
    };
    Ok(Apply {
        account_id: account_id.to_string(),
        seq,
        contribution,
        opted_in,
    })
}

/// What [`drain`] or [`rebuild`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SyncReport {
    /// Whether a full rebuild ran (asked for, or Redis could not be trusted).
    pub rebuilt: bool,
    /// Why a drain rebuilt (not ready, another epoch, behind D1, counts differ).
    pub rebuild_reason: Option<String>,
    /// Accounts whose state was (re)applied (tombstones included).
    pub applied: usize,
    /// Of those, contributing accounts (opted in, enough data).
    pub contributing: usize,
    /// Outbox rows still pending afterwards.
    pub pending: u64,
    /// Redis may be served now: its epoch and totals match D1 and nothing is pending.
    pub trusted: bool,
    /// Why not, when it may not.
    pub untrusted_reason: Option<String>,
}

/// Updates applied per Redis round trip, and outbox rows read per D1 query in a rebuild.
pub const BATCH: usize = 200;

/// D1's side of the trust check: the outbox totals and the opted-in count, read so that no
/// change slipped in between (`stable`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct D1View {
    /// The outbox totals (after the count).
    pub totals: OutboxTotals,
    /// Accounts opted in, in D1.
    pub opted_in: u64,
    /// The totals were the same before and after the count (no change started in between).
    pub stable: bool,
    /// The fingerprint of the release config contributions must be clipped with.
    pub config: String,
}

/// Whether Redis may be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Its epoch and totals match D1 and nothing is pending.
    Trusted,
    /// Not now (changes pending or in flight): use D1 this time; nothing to rebuild.
    Wait(String),
    /// It holds data D1 never confirmed or lost some it did: rebuild it, never serve it.
    Rebuild(String),
}

/// The trust check, pure. `d1` must be read before `redis` (Redis only gains seqs between the
/// two reads, D1's `synced` only after Redis has them), so:
/// - no ready marker, or a marker of another epoch than D1's: rebuild (Redis lost its data, or
///   holds data from before the last rebuild, e.g. it was switched off and came back);
/// - Redis's seq sum below D1's `synced` sum: Redis lost changes it had confirmed (a restart
///   from an older snapshot): rebuild;
/// - changes pending or in flight: wait (D1 this time);
/// - otherwise every entry is at its D1 seq, so the opted-in counts must be equal (else rebuild).
pub fn verdict(d1: &D1View, redis: &StoreState) -> Trust {
    let epoch = d1.totals.epoch;
    match redis.epoch {
        None => {
            return Trust::Rebuild("redis is not ready (never rebuilt, or lost its data)".into())
        }
        Some(e) if epoch == 0 || e != epoch => {
            return Trust::Rebuild(format!(
            "redis holds epoch {e} but D1 is at epoch {epoch}: its data predates the last rebuild"
        ))
        }
        Some(_) => {}
    }
    if redis.config.as_deref() != Some(d1.config.as_str()) {
        return Trust::Rebuild(
            "redis was built under another release config (RELEASE_CONFIG changed)".into(),
        );
    }
    if redis.seq_sum < d1.totals.synced_sum {
        return Trust::Rebuild(format!(
            "redis is behind D1 (seq sum {} < {} confirmed): it lost changes, e.g. restarted \
             from an older snapshot",
            redis.seq_sum, d1.totals.synced_sum
        ));
    }
    if d1.totals.pending > 0 {
        return Trust::Wait(format!(
            "{} accounts still pending in the outbox",
            d1.totals.pending
        ));
    }
    if !d1.stable || redis.seq_sum > d1.totals.synced_sum {
        return Trust::Wait("changes in flight".into());
    }
    if redis.opted_in != d1.opted_in {
        return Trust::Rebuild(format!(
            "opted-in accounts differ: D1 {} vs redis {}",
            d1.opted_in, redis.opted_in
        ));
    }
    Trust::Trusted
}

/// D1's view, then Redis's state (in that order: see [`verdict`]).
async fn look<S: Accounts, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: &mut A,
    config: &ReleaseConfig,
) -> Result<(D1View, StoreState), AggError> {
    let before = outbox.totals().await.map_err(internal)?;
    let opted_in = store.opted_in_count().await.map_err(internal)?;
    let totals = outbox.totals().await.map_err(internal)?;
    let view = D1View {
        totals,
        opted_in,
        stable: before == totals,
        config: config_fingerprint(config),
    };
    Ok((view, redis.read().await?))
}

/// Catch up: when Redis cannot be trusted ([`verdict`]: not ready, another epoch, behind D1),
/// [`rebuild`]; otherwise replay the pending outbox rows (up to `max_rows`) from D1, then check
/// again (a rollback shows fully only once nothing is pending) and rebuild if needed. At most
/// one rebuild per call. Returns the report, the final verdict and Redis's state.
async fn catch_up<S: Accounts + Records, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: &mut A,
    config: &ReleaseConfig,
    max_rows: u32,
) -> Result<(SyncReport, Trust, StoreState), AggError> {
    let (view, state) = look(store, outbox, redis, config).await?;
    let mut report = SyncReport::default();
    if let Trust::Rebuild(reason) = verdict(&view, &state) {
        report = rebuild(store, outbox, redis, config).await?;
        report.rebuild_reason = Some(reason);
    } else {
        let pending = outbox.pending(max_rows.max(1)).await.map_err(internal)?;
        for chunk in pending.chunks(BATCH) {
            let mut updates = Vec::with_capacity(chunk.len());
            for (id, seq) in chunk {
                updates.push(read_update(store, id, *seq, config).await?);
            }
            redis.apply(&updates).await?;
            for u in &updates {
                outbox
                    .synced(&u.account_id, u.seq)
                    .await
                    .map_err(internal)?;
            }
            report.applied += updates.len();
            report.contributing += updates.iter().filter(|u| u.contribution.is_some()).count();
        }
    }
    let (mut view, mut state) = look(store, outbox, redis, config).await?;
    let mut trust = verdict(&view, &state);
    if let (Trust::Rebuild(reason), false) = (&trust, report.rebuilt) {
        let reason = reason.clone();
        report = rebuild(store, outbox, redis, config).await?;
        report.rebuild_reason = Some(reason);
        (view, state) = look(store, outbox, redis, config).await?;
        trust = verdict(&view, &state);
    }
    report.pending = view.totals.pending;
    report.trusted = trust == Trust::Trusted;
    report.untrusted_reason = match &trust {
        Trust::Trusted => None,
        Trust::Wait(r) | Trust::Rebuild(r) => Some(r.clone()),
    };
    Ok((report, trust, state))
}

/// Catch up ([`catch_up`]): replay the outbox, or rebuild when Redis cannot be trusted.
pub async fn drain<S: Accounts + Records, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: &mut A,
    config: &ReleaseConfig,
    max_rows: u32,
) -> Result<SyncReport, AggError> {
    Ok(catch_up(store, outbox, redis, config, max_rows).await?.0)
}

/// Rebuild Redis from D1: clear Redis, start a new epoch in D1, walk the outbox in pages of
/// [`BATCH`] rows (every account that ever changed has a row; erased ones keep theirs) and apply
/// each account's state with its seq (a contribution, or a tombstone), mark the rows read as
/// synced, set the ready marker to the new epoch. Changes made while it runs get newer seqs and
/// stay pending for the next [`drain`]; an older update still in flight is refused by the seqs.
pub async fn rebuild<S: Accounts + Records, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: &mut A,
    config: &ReleaseConfig,
) -> Result<SyncReport, AggError> {
    redis.clear().await?;
    // After the clear: a rebuild that cannot reach Redis changes nothing in D1.
    let epoch = outbox.next_epoch().await.map_err(internal)?;
    let mut report = SyncReport {
        rebuilt: true,
        ..SyncReport::default()
    };
    let mut after: Option<String> = None;
    loop {
        let page = outbox
            .page(after.as_deref(), BATCH as u32)
            .await
            .map_err(internal)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = Some(last.clone());
        let mut updates = Vec::with_capacity(page.len());
        for (id, row) in &page {
            updates.push(read_update(store, id, row.seq, config).await?);
        }
        redis.apply(&updates).await?;
        for (id, row) in page.iter().filter(|(_, r)| r.seq > r.synced) {
            outbox.synced(id, row.seq).await.map_err(internal)?;
        }
        report.applied += updates.len();
        report.contributing += updates.iter().filter(|u| u.contribution.is_some()).count();
        if page.len() < BATCH {
            break;
        }
    }
    redis.set_ready(epoch, &config_fingerprint(config)).await?;
    report.pending = outbox.pending_count().await.map_err(internal)?;
    Ok(report)
}

/// Where a publication's aggregates came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `redis` or `d1`.
    pub source: &'static str,
    /// Why D1 was used, when it was (Redis off, failing, untrusted, or changes pending).
    pub fallback_reason: Option<String>,
}

/// The aggregates a publication of `period` should use: Redis's when it answers and, after a
/// [`drain`], is trusted ([`verdict`]); otherwise D1's, read a page of accounts at a time with
/// niche membership frozen for the period, exactly as in D1-only mode
/// ([`crate::service::publish::frozen_aggregates`]). Returns them with the opted-in and
/// contributing counts, where they came from, and, when they came from D1, each niche's
/// contributing accounts (who its release is charged to; Redis keeps no membership).
pub async fn publication_aggregates<
    S: Accounts + Records + crate::ports::Membership,
    O: Outbox,
    A: AggregateStore,
>(
    store: &S,
    outbox: &O,
    redis: Option<Result<&mut A, RedisError>>,
    period: u32,
    config: &ReleaseConfig,
) -> Result<(Aggregates, usize, usize, Source, Option<Members>), ApiError> {
    let reason = match redis {
        None => "redis is not configured".to_string(),
        Some(Err(e)) => e.to_string(),
        Some(Ok(r)) => match catch_up(store, outbox, r, config, 10_000).await {
            Ok((_, Trust::Trusted, state)) => {
                let n = state
                    .aggregates
                    .values()
                    .map(|a| a.accounts.max(0) as usize)
                    .sum();
                return Ok((
                    state.aggregates,
                    state.opted_in as usize,
                    n,
                    Source {
                        source: "redis",
                        fallback_reason: None,
                    },
                    None,
                ));
            }
            Ok((_, Trust::Wait(r) | Trust::Rebuild(r), _)) => r,
            Err(AggError::Api(e)) => return Err(e),
            Err(AggError::Redis(e)) => e.to_string(),
        },
    };
    let frozen = crate::service::publish::frozen_aggregates(store, period, config).await?;
    Ok((
        frozen.aggregates,
        frozen.opted_in,
        frozen.contributing,
        Source {
            source: "d1",
            fallback_reason: Some(reason),
        },
        Some(frozen.members),
    ))
}

/// One niche in a [`CheckReport`].
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NicheCheck {
    /// The niche.
    pub niche: Niche,
    /// Accounts in D1's aggregate.
    pub d1_accounts: i64,
    /// Accounts in Redis's aggregate.
    pub redis_accounts: i64,
    /// Every sum and the count equal.
    pub equal: bool,
    /// The releases made from both with the same noise seed are identical.
    pub same_release: bool,
}

/// [`check`]'s answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CheckReport {
    /// Redis is trusted and equals a fresh aggregation from D1 in every niche.
    pub consistent: bool,
    /// Redis had its ready marker.
    pub ready: bool,
    /// Redis's epoch and totals match D1 and nothing is pending (it may be served).
    pub trusted: bool,
    /// Why it may not be served, when it may not.
    pub reason: Option<String>,
    /// Outbox rows pending.
    pub pending: u64,
    /// Per niche (all 15).
    pub niches: Vec<NicheCheck>,
}

/// Compare Redis with a fresh aggregation from D1: exact integer equality per niche, and the
/// release made from each with one fixed seed (the pre-noise inputs being equal, the noisy
/// outputs must be byte-identical).
pub async fn check<S: Accounts + Records, O: Outbox, A: AggregateStore>(
    store: &S,
    outbox: &O,
    redis: &mut A,
    config: &ReleaseConfig,
) -> Result<CheckReport, AggError> {
    let (d1, _, _) = d1_aggregates(store, config).await?;
    let (view, state) = look(store, outbox, redis, config).await?;
    let trust = verdict(&view, &state);
    let pending = view.totals.pending;
    let ready = state.epoch.is_some();
    let stored = state.aggregates;
    let mut niches_out = Vec::new();
    for niche in niches() {
        let a = d1.get(&niche).cloned().unwrap_or_else(empty_aggregate);
        let b = stored.get(&niche).cloned().unwrap_or_else(empty_aggregate);
        let id = ReleaseId { period: 0, niche };
        let release = |agg: &Aggregate| {
            release_wisdom(agg, id, config, &mut Rng::new(0x5eed))
                .ok()
                .and_then(|w| serde_json::to_string(&w).ok())
        };
        niches_out.push(NicheCheck {
            niche,
            d1_accounts: a.accounts,
            redis_accounts: b.accounts,
            equal: a == b,
            same_release: release(&a).is_some() && release(&a) == release(&b),
        });
    }
    Ok(CheckReport {
        consistent: trust == Trust::Trusted && niches_out.iter().all(|n| n.equal && n.same_release),
        ready,
        trusted: trust == Trust::Trusted,
        reason: match trust {
            Trust::Trusted => None,
            Trust::Wait(r) | Trust::Rebuild(r) => Some(r),
        },
        pending,
        niches: niches_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{Account, Consent, Releases};
    use crate::service::publish::publish_with;
    use crate::testing::{run, MemoryStore};
    use crate::testing::{MemoryAggregates, MemoryOutbox};
    use crosslearn::record::{validate_records, RecordInput, RecordSource};

    const DAY_MS: u64 = 86_400_000;
    const NOW: u64 = 20_454 * DAY_MS;

    /// Store `n` made-up records of `niche` for `id` (created if new); ids continue from `from`.
    fn records(store: &MemoryStore, id: &str, niche: &str, from: usize, n: usize) {
        if run(store.account(id)).unwrap().is_none() {
            let account = Account {
                account_id: id.into(),
                created_at: "t".into(),
            };
            assert!(run(store.create_account(&account, &format!("h-{id}"))).unwrap());
        }
        let hooks = ["question", "pain_point", "offer", "social_proof"];
        let seed = id.bytes().map(u64::from).sum::<u64>();
        let inputs: Vec<RecordInput> = (from..from + n)
            .map(|i| RecordInput {
                record_id: Some(format!("{id}-{i}")),
                account_id: Some(id.into()),
                campaign_id: Some(format!("c{}", i % 3)),
                platform: Some(["meta", "tiktok"][i % 2].into()),
                niche: Some(niche.into()),
                hook_type: Some(hooks[(i + seed as usize) % 4].into()),
                cta_style: Some("shop_now".into()),
                format: Some("video".into()),
                duration_s: Some(10.0 + ((i as u64 * 7 + seed) % 40) as f64),
                posting_hour: Some(((i as u64 * 5 + seed) % 24) as f64),
                impressions: Some(20_000.0),
                clicks: Some(200.0 + ((i as u64 * 37 + seed * 11) % 300) as f64),
                conversions: Some(20.0),
                spend: Some(150.0),
                revenue: Some(300.0 + ((seed * 13) % 500) as f64),
                ..RecordInput::default()
            })
            .collect();
        let report = validate_records(&inputs, RecordSource::Simulated);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        run(store.insert_records(id, &report.accepted, "t")).unwrap();
    }

    fn consent(store: &MemoryStore, id: &str, opted_in: bool) {
        let c = Consent {
            opted_in,
            updated_at: None,
        };
        run(store.set_consent(id, &c)).unwrap();
    }

    /// One account change the way the Worker does it: mark, write to D1, sync.
    fn change(
        store: &MemoryStore,
        outbox: &MemoryOutbox,
        redis: &mut MemoryAggregates,
        id: &str,
        write: impl FnOnce(&MemoryStore),
    ) -> SyncOutcome {
        let seq = run(outbox.mark(id)).unwrap();
        write(store);
        let config = ReleaseConfig::default();
        let r = if redis.fail {
            Err(RedisError::Io("down".into()))
        } else {
            Ok(redis)
        };
        run(sync_account(store, outbox, r, id, seq, &config)).unwrap()
    }

    fn consistent(store: &MemoryStore, outbox: &MemoryOutbox, redis: &mut MemoryAggregates) {
        let report = run(check(store, outbox, redis, &ReleaseConfig::default())).unwrap();
        assert!(report.consistent, "{report:#?}");
        let (d1, _, _) = run(d1_aggregates(store, &ReleaseConfig::default())).unwrap();
        let state = run(redis.read()).unwrap();
        assert!(state.epoch.is_some());
        assert_eq!(state.aggregates, d1);
    }

    fn setup() -> (MemoryStore, MemoryOutbox, MemoryAggregates) {
        let store = MemoryStore::new();
        let outbox = MemoryOutbox::new();
        let mut redis = MemoryAggregates::new();
        run(rebuild(
            &store,
            &outbox,
            &mut redis,
            &ReleaseConfig::default(),
        ))
        .unwrap();
        (store, outbox, redis)
    }

    #[test]
    fn ingest_replace_opt_out_and_erasure_keep_redis_equal_to_d1() {
        let (store, outbox, mut redis) = setup();
        for (i, niche) in ["fitness", "fitness", "beauty", "fitness"]
            .iter()
            .enumerate()
        {
            let id = format!("a{i}");
            let out = change(&store, &outbox, &mut redis, &id, |s| {
                records(s, &id, niche, 0, 12);
                consent(s, &id, true);
            });
            assert_eq!(out, SyncOutcome::Synced);
        }
        consistent(&store, &outbox, &mut redis);
        let fitness = run(redis.read()).unwrap().aggregates[&Niche::Fitness].clone();
        assert_eq!(fitness.accounts, 3);

        // More records change a0's vector: the old one is subtracted, the new one added.
        change(&store, &outbox, &mut redis, "a0", |s| {
            records(s, "a0", "fitness", 12, 12)
        });
        consistent(&store, &outbox, &mut redis);
        assert_ne!(
            run(redis.read()).unwrap().aggregates[&Niche::Fitness],
            fitness
        );
        // a1 switches niche (its new records outnumber the old ones).
        change(&store, &outbox, &mut redis, "a1", |s| {
            records(s, "a1", "beauty", 12, 40)
        });
        consistent(&store, &outbox, &mut redis);
        // Opt-out and erasure leave tombstones (Redis entry and outbox row keep the seq).
        change(&store, &outbox, &mut redis, "a2", |s| {
            consent(s, "a2", false)
        });
        consistent(&store, &outbox, &mut redis);
        change(&store, &outbox, &mut redis, "a3", |s| {
            run(s.erase_account("a3")).unwrap();
        });
        consistent(&store, &outbox, &mut redis);
        let row = run(outbox.rows()).unwrap()["a3"];
        assert_eq!((row.seq, row.synced), (2, 2), "{row:?}");
        assert_eq!(run(outbox.pending_count()).unwrap(), 0);
    }

    #[test]
    fn an_opted_in_account_without_records_contributes_nothing_and_breaks_nothing() {
        let (store, outbox, mut redis) = setup();
        let out = change(&store, &outbox, &mut redis, "e", |s| {
            let account = Account {
                account_id: "e".into(),
                created_at: "t".into(),
            };
            assert!(run(s.create_account(&account, "h-e")).unwrap());
            consent(s, "e", true);
        });
        assert_eq!(out, SyncOutcome::Synced);
        consistent(&store, &outbox, &mut redis);
        let config = ReleaseConfig::default();
        let report = run(crate::service::publish::publish(
            &store,
            &store,
            NOW,
            &config,
            &crosslearn::privacy::zcdp::BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        assert_eq!(
            (report.opted_in_accounts, report.contributing_accounts),
            (1, 0)
        );
    }

    #[test]
    fn a_stale_update_is_never_applied() {
        let (store, outbox, mut redis) = setup();
        let first = run(outbox.mark("s")).unwrap();
        records(&store, "s", "tech", 0, 12);
        consent(&store, "s", true);
        let old = run(read_update(&store, "s", first, &ReleaseConfig::default())).unwrap();
        let second = run(outbox.mark("s")).unwrap();
        records(&store, "s", "tech", 12, 12);
        let new = run(read_update(&store, "s", second, &ReleaseConfig::default())).unwrap();
        assert_ne!(old.contribution, new.contribution);
        // The newer change lands first; the older one arrives late and is ignored.
        assert_eq!(run(redis.apply(&[new, old])).unwrap(), vec![true, false]);
        run(outbox.synced("s", second)).unwrap();
        consistent(&store, &outbox, &mut redis);
    }

    #[test]
    fn redis_down_queues_changes_publication_falls_back_then_catches_up() {
        let (store, outbox, mut redis) = setup();
        let config = ReleaseConfig::default();
        for i in 0..6 {
            let id = format!("f{i}");
            change(&store, &outbox, &mut redis, &id, |s| {
                records(s, &id, "fitness", 0, 12);
                consent(s, &id, true);
            });
        }
        redis.fail = true;
        for i in 6..9 {
            let id = format!("f{i}");
            let out = change(&store, &outbox, &mut redis, &id, |s| {
                records(s, &id, "food", 0, 12);
                consent(s, &id, true);
            });
            assert!(matches!(out, SyncOutcome::Queued { .. }), "{out:?}");
        }
        assert_eq!(run(outbox.pending_count()).unwrap(), 3);
        // Publication while Redis is down: the D1 aggregation.
        let (aggs, _, n, source, _) = run(publication_aggregates(
            &store,
            &outbox,
            Some(Ok(&mut redis)),
            1,
            &config,
        ))
        .unwrap();
        assert_eq!((source.source, n), ("d1", 9));
        assert_eq!(aggs[&Niche::Food].accounts, 3);
        // Redis returns: the drain replays the outbox, then Redis is used again.
        redis.fail = false;
        let (aggs_r, _, _, source, _) = run(publication_aggregates(
            &store,
            &outbox,
            Some(Ok(&mut redis)),
            1,
            &config,
        ))
        .unwrap();
        assert_eq!(source.source, "redis");
        // The D1 path lists every niche, Redis only those with contributions.
        let present = |a: Aggregates| -> Aggregates {
            a.into_iter().filter(|(_, v)| v.accounts != 0).collect()
        };
        assert_eq!(present(aggs_r), present(aggs));
        consistent(&store, &outbox, &mut redis);

        // Redis restarted empty (no persistence): not ready -> fallback until the drain rebuilds.
        redis.lose_data();
        assert_eq!(run(redis.read()).unwrap().epoch, None);
        let report = run(drain(&store, &outbox, &mut redis, &config, 100)).unwrap();
        assert!(report.rebuilt);
        assert_eq!(report.contributing, 9);
        consistent(&store, &outbox, &mut redis);
    }

    #[test]
    fn releases_from_redis_and_from_d1_are_identical() {
        let (store, outbox, mut redis) = setup();
        for i in 0..7 {
            let id = format!("b{i}");
            change(&store, &outbox, &mut redis, &id, |s| {
                records(s, &id, ["beauty", "travel"][i % 2], 0, 15);
                consent(s, &id, true);
            });
        }
        let config = ReleaseConfig::default();
        // D1 mode: history rows in `store`, releases in `d1_kv`; Redis mode: both in `redis_store`.
        let d1_kv = MemoryStore::new();
        let redis_store = MemoryStore::new();
        let d1 = run(crate::service::publish::publish(
            &store,
            &d1_kv,
            NOW,
            &config,
            &crosslearn::privacy::zcdp::BudgetPolicy::default(),
            9,
        ))
        .unwrap();
        let aggs = run(redis.read()).unwrap().aggregates;
        let n = aggs.values().map(|a| a.accounts as usize).sum();
        // Charged to the same members as the D1 run (read from the store the accounts are in).
        let members = run(crate::service::publish::frozen_aggregates(
            &store,
            crate::service::publish::period_at(NOW, &config),
            &config,
        ))
        .unwrap()
        .members;
        let charging = run(crate::service::publish::Charging::read(
            &redis_store,
            members,
            &crosslearn::privacy::zcdp::BudgetPolicy::default(),
            crate::service::publish::period_at(NOW, &config),
            &config,
            9,
        ))
        .unwrap();
        let via_redis = run(publish_with(
            &redis_store,
            &redis_store,
            NOW,
            &config,
            9,
            &aggs,
            (n, n),
            &charging,
        ))
        .unwrap();
        assert_eq!(d1.published, via_redis.published);
        for niche in [Niche::Beauty, Niche::Travel, Niche::Fitness] {
            let a = run(d1_kv.published(niche)).unwrap();
            let b = run(redis_store.published(niche)).unwrap();
            assert!(a.is_some());
            assert_eq!(a, b, "{niche}");
        }
    }

    #[test]
    fn an_erased_account_is_a_tombstone_no_stale_update_can_undo() {
        let (store, outbox, mut redis) = setup();
        let config = ReleaseConfig::default();
        change(&store, &outbox, &mut redis, "x", |s| {
            records(s, "x", "tech", 0, 12);
            consent(s, "x", true);
        });
        // A consent change read its state from D1 (opted in) but is slow to reach Redis...
        let seq = run(outbox.mark("x")).unwrap();
        let stale = run(read_update(&store, "x", seq, &config)).unwrap();
        assert!(stale.contribution.is_some());
        // ...while the erasure runs to the end.
        let out = change(&store, &outbox, &mut redis, "x", |s| {
            run(s.erase_account("x")).unwrap();
        });
        assert_eq!(out, SyncOutcome::Synced);
        // The late update is older than the tombstone: refused.
        assert_eq!(run(redis.apply(&[stale])).unwrap(), vec![false]);
        assert!(!run(redis.read())
            .unwrap()
            .aggregates
            .contains_key(&Niche::Tech));
        run(outbox.synced("x", seq)).unwrap();
        consistent(&store, &outbox, &mut redis);
        // A new account with the same id continues the seq (never restarts from 0).
        assert_eq!(run(outbox.mark("x")).unwrap(), seq + 2);
    }

    #[test]
    fn a_redis_restarted_from_an_older_snapshot_is_rebuilt_never_served() {
        let (store, outbox, mut redis) = setup();
        let config = ReleaseConfig::default();
        for i in 0..4 {
            let id = format!("s{i}");
            change(&store, &outbox, &mut redis, &id, |s| {
                records(s, &id, "food", 0, 12);
                consent(s, &id, true);
            });
        }
        let dump = redis.snapshot();
        // After the dump: an erasure, an opt-out and more records, all synced.
        change(&store, &outbox, &mut redis, "s0", |s| {
            run(s.erase_account("s0")).unwrap();
        });
        change(&store, &outbox, &mut redis, "s1", |s| {
            consent(s, "s1", false)
        });
        change(&store, &outbox, &mut redis, "s2", |s| {
            records(s, "s2", "food", 12, 12)
        });
        assert_eq!(run(outbox.pending_count()).unwrap(), 0);
        // Redis restarts from the dump: ready, same epoch, nothing pending, and wrong.
        redis.restore(&dump);
        let stale = run(redis.read()).unwrap();
        assert_eq!(stale.aggregates[&Niche::Food].accounts, 4);
        let report = run(check(&store, &outbox, &mut redis, &config)).unwrap();
        assert!(!report.consistent && !report.trusted, "{report:#?}");
        assert!(report.reason.unwrap().contains("older snapshot"));
        // The publication does not serve it; its drain rebuilt it, so the next one does.
        let (aggs, _, n, source, _) = run(publication_aggregates(
            &store,
            &outbox,
            Some(Ok(&mut redis)),
            1,
            &config,
        ))
        .unwrap();
        assert_eq!((aggs[&Niche::Food].accounts, n), (2, 2));
        assert_eq!(source.source, "redis", "{source:?}");
        consistent(&store, &outbox, &mut redis);
        // The erased account stays a tombstone after the rebuild: a stale update is refused.
        let late = Apply {
            account_id: "s0".into(),
            seq: 1,
            contribution: run(contribution_of(&store, "s3", &config)).unwrap(),
            opted_in: true,
        };
        assert_eq!(run(redis.apply(&[late])).unwrap(), vec![false]);
    }

    #[test]
    fn a_drain_rebuilds_a_redis_that_lost_an_opt_in_it_had_confirmed() {
        let (store, outbox, mut redis) = setup();
        change(&store, &outbox, &mut redis, "c0", |s| {
            records(s, "c0", "education", 0, 12);
            consent(s, "c0", true);
        });
        let dump = redis.snapshot();
        change(&store, &outbox, &mut redis, "c1", |s| {
            records(s, "c1", "education", 0, 12);
        });
        change(&store, &outbox, &mut redis, "c1", |s| {
            consent(s, "c1", true)
        });
        redis.restore(&dump);
        let config = ReleaseConfig::default();
        let (view, state) = run(look(&store, &outbox, &mut redis, &config)).unwrap();
        assert!(matches!(verdict(&view, &state), Trust::Rebuild(_)));
        let report = run(drain(
            &store,
            &outbox,
            &mut redis,
            &ReleaseConfig::default(),
            10,
        ))
        .unwrap();
        assert!(report.rebuilt && report.trusted, "{report:?}");
        consistent(&store, &outbox, &mut redis);
    }

    #[test]
    fn the_verdict() {
        let view = |epoch, synced_sum, pending, opted_in, stable| D1View {
            totals: OutboxTotals {
                epoch,
                synced_sum,
                pending,
            },
            opted_in,
            stable,
            config: "c1".into(),
        };
        let state = |epoch: Option<u64>, seq_sum, opted_in| StoreState {
            epoch,
            config: Some("c1".into()),
            seq_sum,
            opted_in,
            aggregates: Aggregates::new(),
        };
        let rebuild = |t: Trust, what: &str| match t {
            Trust::Rebuild(r) => assert!(r.contains(what), "{r}"),
            other => panic!("{other:?}"),
        };
        let other_config = StoreState {
            config: Some("c0".into()),
            ..state(Some(3), 10, 2)
        };
        rebuild(
            verdict(&view(3, 10, 0, 2, true), &other_config),
            "RELEASE_CONFIG",
        );
        assert_eq!(
            verdict(&view(3, 10, 0, 2, true), &state(Some(3), 10, 2)),
            Trust::Trusted
        );
        rebuild(
            verdict(&view(3, 10, 0, 2, true), &state(None, 10, 2)),
            "not ready",
        );
        rebuild(
            verdict(&view(3, 10, 0, 2, true), &state(Some(2), 10, 2)),
            "epoch 2",
        );
        rebuild(
            verdict(&view(0, 0, 0, 0, true), &state(Some(0), 0, 0)),
            "epoch 0",
        );
        rebuild(
            verdict(&view(3, 10, 0, 2, true), &state(Some(3), 9, 2)),
            "behind",
        );
        rebuild(
            verdict(&view(3, 10, 4, 2, true), &state(Some(3), 9, 2)),
            "behind",
        );
        rebuild(
            verdict(&view(3, 10, 0, 2, true), &state(Some(3), 10, 1)),
            "opted-in",
        );
        for (v, st) in [
            (view(3, 10, 1, 2, true), state(Some(3), 10, 1)),
            (view(3, 10, 0, 2, false), state(Some(3), 10, 1)),
            (view(3, 10, 0, 2, true), state(Some(3), 11, 1)),
        ] {
            assert!(matches!(verdict(&v, &st), Trust::Wait(_)), "{v:?} {st:?}");
        }
    }

    #[test]
    fn the_rebuild_reads_the_outbox_in_pages() {
        let (store, outbox, mut redis) = setup();
        // 450 accounts that changed (most of them erased since: tombstones) and 3 contributing.
        for i in 0..450 {
            run(outbox.mark(&format!("gone-{i:03}"))).unwrap();
        }
        for id in ["live-0", "live-1", "live-2"] {
            change(&store, &outbox, &mut redis, id, |s| {
                records(s, id, "finance", 0, 12);
                consent(s, id, true);
            });
        }
        outbox.pages.set((0, 0));
        let report = run(rebuild(
            &store,
            &outbox,
            &mut redis,
            &ReleaseConfig::default(),
        ))
        .unwrap();
        assert_eq!((report.applied, report.contributing), (453, 3));
        // 453 rows: pages of 200, 200, 53; never the whole table in one read.
        assert_eq!(outbox.pages.get(), (3, BATCH));
        assert_eq!(outbox.whole_reads.get(), 0);
        consistent(&store, &outbox, &mut redis);
        assert_eq!(run(redis.read()).unwrap().seq_sum, 450 + 3);
    }

    #[test]
    fn a_rebuild_that_cannot_reach_redis_changes_nothing_in_d1() {
        let (store, outbox, mut redis) = setup();
        change(&store, &outbox, &mut redis, "u", |s| {
            records(s, "u", "travel", 0, 12);
            consent(s, "u", true);
        });
        let before = run(outbox.totals()).unwrap();
        redis.fail = true;
        let e = run(rebuild(
            &store,
            &outbox,
            &mut redis,
            &ReleaseConfig::default(),
        ));
        assert!(matches!(e, Err(AggError::Redis(_))));
        assert_eq!(run(outbox.totals()).unwrap(), before);
        redis.fail = false;
        consistent(&store, &outbox, &mut redis);
    }
}
