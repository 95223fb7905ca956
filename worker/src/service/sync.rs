//! The outbox protocol that keeps the aggregate store (Redis) consistent with D1, the source of
//! truth (design and failure model: `docs/redis.md`):
//!
//! 1. **mark**: bump the account's outbox `seq` *before* the change is written (aggregate store
//!    configured or not), so a change D1 acknowledges is never unknown to the outbox;
//! 2. **write** the change to D1 (the caller's closure);
//! 3. **sync**: apply the account's state as of now to the aggregate store (a contribution, or a
//!    tombstone for an opted-out or erased account) and record the `seq` as synced. A failure here
//!    never fails the request: the change stays pending and the next drain, rebuild or
//!    publication replays it. After repeated failures the link's circuit breaker skips this step
//!    for a cool-down.
//!
//! Every account change (ingest, consent, erasure) goes through [`change`]; the publication's
//! choice of aggregates is [`publication`]. Both are generic over the ports, so the whole protocol
//! is tested natively with [`crate::testing::MemoryLink`].

use crate::error::ApiError;
use crate::ports::History;
use crate::ports::Releases;
use crate::ports::{Accounts, AggregateStore, AggregatesLink, LinkMode, Outbox, Records};
use crate::service::aggregates::{self, Source, SyncOutcome};
use crate::service::auth::internal;
use crate::service::publish::{self, PublishReport};
use crosslearn::privacy::zcdp::BudgetPolicy;
use crosslearn::wisdom::ReleaseConfig;

/// The ports an account change needs: D1 (`store`), the D1 outbox and the aggregate store's link.
/// In the Worker `store` and `outbox` are one D1 database.
#[derive(Debug)]
pub struct Ports<'a, S, O, L> {
    /// Accounts and records (D1).
    pub store: &'a S,
    /// The outbox table (D1).
    pub outbox: &'a O,
    /// The aggregate store (Redis), or its absence.
    pub link: &'a L,
}

/// The answer of an account change, and what happened to the aggregate store after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<T> {
    /// The change's answer.
    pub value: T,
    /// `None` in D1-only mode; otherwise synced, superseded or queued (with the reason).
    pub sync: Option<SyncOutcome>,
    /// A failure to log (the outbox update failed in D1); never sent to the client.
    pub log: Option<String>,
}

/// Run `write` (the D1 write of one change of `account_id`) under the outbox protocol: mark,
/// write, sync. An error of `mark` or `write` is the request's error (nothing was written); the
/// sync never fails the request. The change is marked whether or not an aggregate store is
/// configured: a Redis that comes back later must find every change since it last synced.
pub async fn change<S, O, L, T>(
    ports: &Ports<'_, S, O, L>,
    account_id: &str,
    write: impl AsyncFnOnce() -> Result<T, ApiError>,
) -> Result<Changed<T>, ApiError>
where
    S: Accounts + Records,
    O: Outbox,
    L: AggregatesLink,
{
    let seq = ports.outbox.mark(account_id).await.map_err(internal)?;
    let value = write().await?;
    if ports.link.mode() == LinkMode::Off {
        return Ok(Changed {
            value,
            sync: None,
            log: None,
        });
    }
    let (sync, log) = sync_account(ports, account_id, seq).await;
    Ok(Changed {
        value,
        sync: Some(sync),
        log,
    })
}

/// Step 3 of [`change`]: the outcome, and what to log (never the account id: logs outlive an
/// erasure). Skipped while the link's circuit breaker is open; every attempt feeds it.
async fn sync_account<S, O, L>(
    ports: &Ports<'_, S, O, L>,
    account_id: &str,
    seq: u64,
) -> (SyncOutcome, Option<String>)
where
    S: Accounts + Records,
    O: Outbox,
    L: AggregatesLink,
{
    let outcome = match ports.link.mode() {
        LinkMode::Off => return (SyncOutcome::Disabled, None),
        LinkMode::Broken(reason) => Ok(SyncOutcome::Queued { reason }),
        LinkMode::On => match (ports.link.release_config(), ports.link.admit()) {
            (Err(reason), _) | (_, Err(reason)) => Ok(SyncOutcome::Queued { reason }),
            (Ok(config), Ok(())) => match ports.link.open().await {
                Ok(mut redis) => {
                    let out = aggregates::sync_account(
                        ports.store,
                        ports.outbox,
                        Ok(&mut redis),
                        account_id,
                        seq,
                        &config,
                    )
                    .await;
                    redis.close().await;
                    if let Ok(o) = &out {
                        ports.link.outcome(!matches!(o, SyncOutcome::Queued { .. }));
                    }
                    out
                }
                Err(e) => {
                    ports.link.outcome(false);
                    Ok(SyncOutcome::Queued {
                        reason: e.to_string(),
                    })
                }
            },
        },
    };
    match outcome {
        Ok(SyncOutcome::Queued { reason }) => {
            let log = format!("redis sync of an account change queued: {reason}");
            (SyncOutcome::Queued { reason }, Some(log))
        }
        Ok(o) => (o, None),
        Err(e) => (
            SyncOutcome::Queued {
                reason: "outbox update failed".into(),
            },
            Some(format!("redis sync of an account change failed in D1: {e}")),
        ),
    }
}

/// One publication run at `now_ms`: the aggregate store's aggregates when it is configured,
/// answers, is ready and has nothing pending after a drain; D1's otherwise
/// ([`aggregates::publication_aggregates`]). Returns the report and where the aggregates came
/// from; a misconfigured link is reported as D1 with its reason.
pub async fn publication<S, O, L, R>(
    ports: &Ports<'_, S, O, L>,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    budget: &BudgetPolicy,
    seed: u64,
) -> Result<(PublishReport, Source), ApiError>
where
    S: Accounts + Records + History + crate::ports::Membership + crate::ports::Ledger,
    O: Outbox,
    L: AggregatesLink,
    R: Releases,
{
    let (aggs, opted, contributing, source, members) = match ports.link.mode() {
        LinkMode::Off | LinkMode::Broken(_) => {
            let report = publish::publish(ports.store, kv, now_ms, config, budget, seed).await?;
            let reason = match ports.link.mode() {
                LinkMode::Broken(reason) => reason,
                _ => "redis is not configured".into(),
            };
            let source = Source {
                source: "d1",
                fallback_reason: Some(reason),
            };
            return Ok((report, source));
        }
        LinkMode::On => match ports.link.open().await {
            Ok(mut redis) => {
                let out = aggregates::publication_aggregates(
                    ports.store,
                    ports.outbox,
                    Some(Ok(&mut redis)),
                    publish::period_at(now_ms, config),
                    config,
                )
                .await;
                redis.close().await;
                out?
            }
            Err(e) => {
                aggregates::publication_aggregates::<_, _, L::Store>(
                    ports.store,
                    ports.outbox,
                    Some(Err(e)),
                    publish::period_at(now_ms, config),
                    config,
                )
                .await?
            }
        },
    };
    // Who each release is charged to: the period's frozen members from D1. A D1 fallback already
    // read them; aggregates from Redis (which keeps no membership) need the D1 pass format 2
    // makes as well.
    let period = publish::period_at(now_ms, config);
    let members = match members {
        Some(members) => members,
        None => {
            publish::frozen_aggregates(ports.store, period, config)
                .await?
                .members
        }
    };
    let charging =
        publish::Charging::read(ports.store, members, budget, period, config, seed).await?;
    let report = publish::publish_with(
        ports.store,
        kv,
        now_ms,
        config,
        seed,
        &aggs,
        (opted, contributing),
        &charging,
    )
    .await?;
    Ok((report, source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{Accounts, Outbox};
    use crate::service::accounts::{self, owned, ConsentRequest, IngestRequest};
    use crate::service::auth::Caller;
    use crate::testing::fixtures::{account, NOW};
    use crate::testing::memory::Hook;
    use crate::testing::{run, MemoryLink, MemoryOutbox, MemoryStore};
    use crosslearn::niche::Niche;
    use serde_json::json;
    use std::rc::Rc;

    fn ingest(
        ports: &Ports<'_, MemoryStore, MemoryOutbox, MemoryLink>,
        id: &str,
        n: usize,
    ) -> Changed<accounts::IngestReport> {
        let owner = run(owned(ports.store, &Caller::Operator, id)).unwrap();
        let records = (0..n)
            .map(|i| {
                json!({"record_id": format!("{id}-new-{i}"), "platform": "meta", "niche": "fitness",
                       "hook_type": "question", "campaign_id": "c9", "impressions": 20000,
                       "clicks": 400, "spend": 150.0})
            })
            .collect();
        run(accounts::ingest(
            ports,
            &owner,
            IngestRequest { records },
            "t",
            accounts::DEFAULT_MAX_RECORDS,
        ))
        .unwrap()
    }

    fn consent(
        ports: &Ports<'_, MemoryStore, MemoryOutbox, MemoryLink>,
        id: &str,
        opted_in: bool,
    ) -> Changed<accounts::ConsentResponse> {
        let owner = run(owned(ports.store, &Caller::Operator, id)).unwrap();
        run(accounts::set_consent(
            ports,
            &owner,
            ConsentRequest { opted_in },
            "t",
        ))
        .unwrap()
    }

    /// Rebuild the aggregate store from D1 (it is then ready and exact).
    fn rebuild(store: &MemoryStore, outbox: &MemoryOutbox, link: &MemoryLink) {
        let mut conn = run(link.open()).unwrap();
        run(aggregates::rebuild(
            store,
            outbox,
            &mut conn,
            &ReleaseConfig::default(),
        ))
        .unwrap();
    }

    /// The aggregate store equals a fresh aggregation from D1, and nothing is pending.
    fn consistent(store: &MemoryStore, outbox: &MemoryOutbox, link: &MemoryLink) -> bool {
        let mut conn = run(link.open()).unwrap();
        let report = run(aggregates::check(
            store,
            outbox,
            &mut conn,
            &ReleaseConfig::default(),
        ))
        .unwrap();
        report.consistent
    }

    #[test]
    fn d1_only_mode_still_marks_every_change_and_reports_no_sync() {
        let store = MemoryStore::new();
        account(&store, "a", "fitness", true);
        let (outbox, link) = (MemoryOutbox::new(), MemoryLink::off());
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        let changed = ingest(&ports, "a", 2);
        assert_eq!(
            (changed.value.stored, changed.sync, changed.log),
            (2, None, None)
        );
        // Counted, pending: a Redis switched on later must find it.
        let row = run(outbox.rows()).unwrap()["a"];
        assert_eq!((row.seq, row.synced), (1, 0));
    }

    #[test]
    fn every_change_is_marked_written_and_synced() {
        let store = MemoryStore::new();
        let (outbox, link) = (MemoryOutbox::new(), MemoryLink::on());
        for id in ["a", "b", "c"] {
            account(&store, id, "fitness", false);
        }
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        // A rebuild makes the empty store ready; from then on every change keeps it exact.
        rebuild(&store, &outbox, &link);
        for id in ["a", "b", "c"] {
            assert_eq!(consent(&ports, id, true).sync, Some(SyncOutcome::Synced));
        }
        assert!(consistent(&store, &outbox, &link));
        assert_eq!(ingest(&ports, "a", 3).sync, Some(SyncOutcome::Synced));
        assert!(consistent(&store, &outbox, &link));
        assert_eq!(consent(&ports, "b", false).sync, Some(SyncOutcome::Synced));
        assert!(consistent(&store, &outbox, &link));
        let owner = run(owned(&store, &Caller::Operator, "c")).unwrap();
        let erased = run(accounts::erase(&ports, owner)).unwrap();
        assert_eq!(erased.sync, Some(SyncOutcome::Synced));
        assert!(consistent(&store, &outbox, &link));
        // The erased account's outbox row stays, as a tombstone with its last seq.
        let row = run(outbox.rows()).unwrap()["c"];
        assert_eq!((row.seq, row.synced), (2, 2));
        assert_eq!(run(outbox.pending_count()).unwrap(), 0);
    }

    #[test]
    fn a_failing_store_never_fails_the_change_and_the_drain_catches_up() {
        let store = MemoryStore::new();
        let (outbox, link) = (MemoryOutbox::new(), MemoryLink::on());
        account(&store, "a", "fitness", true);
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        rebuild(&store, &outbox, &link);

        link.store.borrow_mut().fail = true;
        let changed = ingest(&ports, "a", 2);
        assert_eq!(changed.value.stored, 2, "D1 has the change");
        assert!(
            matches!(changed.sync, Some(SyncOutcome::Queued { .. })),
            "{:?}",
            changed.sync
        );
        assert!(changed.log.is_some());
        assert_eq!(run(outbox.pending_count()).unwrap(), 1);
        // The publication falls back to D1 and says why.
        let (_, source) = run(publication(
            &ports,
            &store,
            NOW,
            &ReleaseConfig::default(),
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        assert_eq!(source.source, "d1");
        assert!(source.fallback_reason.unwrap().contains("refused"));

        link.store.borrow_mut().fail = false;
        assert!(!consistent(&store, &outbox, &link));
        let mut conn = run(link.open()).unwrap();
        run(aggregates::drain(
            &store,
            &outbox,
            &mut conn,
            &ReleaseConfig::default(),
            100,
        ))
        .unwrap();
        assert!(consistent(&store, &outbox, &link));
        let (_, source) = run(publication(
            &ports,
            &store,
            NOW,
            &ReleaseConfig::default(),
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        assert_eq!((source.source, source.fallback_reason), ("redis", None));
    }

    #[test]
    fn the_fallback_from_an_untrusted_redis_freezes_niches_like_d1_only_mode() {
        let store = MemoryStore::new();
        let outbox = MemoryOutbox::new();
        for i in 0..60 {
            account(&store, &format!("f{i:02}"), "fitness", true);
            account(&store, &format!("b{i:02}"), "beauty", true);
        }
        let config = ReleaseConfig::default();
        let period = publish::period_at(NOW, &config);
        let down = || Some(Err(crate::ports::RedisError::Io("refused".into())));
        let fallback = || {
            run(aggregates::publication_aggregates::<
                _,
                _,
                crate::testing::MemoryConn,
            >(&store, &outbox, down(), period, &config))
            .unwrap()
        };
        let (first, _, _, source, _) = fallback();
        assert_eq!(source.source, "d1");
        assert_eq!(first[&Niche::Beauty].accounts, 60);
        // f00's records now say beauty; within the period it stays counted in fitness only.
        crate::testing::fixtures::add_records(&store, "f00", "beauty", 50);
        let (second, opted, _, _, _) = fallback();
        assert_eq!(opted, 120);
        assert_eq!(second[&Niche::Beauty].accounts, 60, "counted twice");
    }

    #[test]
    fn a_broken_config_still_marks_and_a_failed_write_is_the_error() {
        let store = MemoryStore::new();
        account(&store, "a", "fitness", true);
        let outbox = MemoryOutbox::new();
        let link = MemoryLink {
            mode: Some(LinkMode::Broken("REDIS_PORT must be a port".into())),
            ..MemoryLink::default()
        };
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        let changed = ingest(&ports, "a", 1);
        assert_eq!(
            changed.sync,
            Some(SyncOutcome::Queued {
                reason: "REDIS_PORT must be a port".into()
            })
        );
        assert_eq!(run(outbox.rows()).unwrap()["a"].seq, 1);

        // The write fails: the request fails with it, and the change was counted before it.
        let e = run(change(&ports, "a", async || -> Result<(), ApiError> {
            Err(ApiError::Internal)
        }))
        .unwrap_err();
        assert_eq!(e, ApiError::Internal);
        assert_eq!(run(outbox.rows()).unwrap()["a"].seq, 2);
        // D1-only publication when the config is unusable, with its reason.
        let (report, source) = run(publication(
            &ports,
            &store,
            NOW,
            &ReleaseConfig::default(),
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        assert_eq!((source.source, report.opted_in_accounts), ("d1", 1));
        assert_eq!(
            source.fallback_reason.as_deref(),
            Some("REDIS_PORT must be a port")
        );
        assert!(run(store.account("a")).unwrap().is_some());
    }

    /// The store's aggregates equal a fresh D1 aggregation under `config`.
    fn redis_equals_d1(store: &MemoryStore, link: &MemoryLink, config: &ReleaseConfig) -> bool {
        let (d1, _, _) = run(aggregates::d1_aggregates(store, config)).unwrap();
        let state = run(link.store.borrow_mut().read()).unwrap();
        state.aggregates == d1
    }

    /// Erase `id` as its owner's DELETE does (mark, erase, sync), on its own ports.
    fn erase_now(store: &MemoryStore, outbox: &MemoryOutbox, link: &MemoryLink, id: &str) {
        let ports = Ports {
            store,
            outbox,
            link,
        };
        let owner = run(owned(store, &Caller::Operator, id)).unwrap();
        let erased = run(accounts::erase(&ports, owner)).unwrap();
        assert_eq!(erased.sync, Some(SyncOutcome::Synced));
    }

    #[test]
    fn a_consent_put_racing_an_erasure_never_brings_the_account_back() {
        let store = Rc::new(MemoryStore::new());
        let outbox = Rc::new(MemoryOutbox::new());
        let link = MemoryLink::on();
        account(&store, "v", "fitness", false);
        rebuild(&store, &outbox, &link);
        let ports = Ports {
            store: &*store,
            outbox: &*outbox,
            link: &link,
        };
        // The PUT has written its consent and read its contribution; before it reaches Redis,
        // the DELETE runs from start to end.
        let (s, o, l) = (store.clone(), outbox.clone(), link.clone());
        link.store.borrow_mut().before_apply =
            Some(Hook(Box::new(move || erase_now(&s, &o, &l, "v"))));
        let put = consent(&ports, "v", true);
        assert_eq!(
            put.sync,
            Some(SyncOutcome::Superseded),
            "the stale PUT is refused"
        );
        assert!(run(store.account("v")).unwrap().is_none());
        assert!(redis_equals_d1(&store, &link, &ReleaseConfig::default()));
        assert!(consistent(&store, &outbox, &link));
        let row = run(outbox.rows()).unwrap()["v"];
        assert_eq!((row.seq, row.synced), (2, 2));
    }

    #[test]
    fn an_erasure_during_the_outbox_drain_is_never_undone() {
        let store = Rc::new(MemoryStore::new());
        let outbox = Rc::new(MemoryOutbox::new());
        let link = MemoryLink::on();
        account(&store, "d", "beauty", false);
        account(&store, "e", "beauty", false);
        rebuild(&store, &outbox, &link);
        let ports = Ports {
            store: &*store,
            outbox: &*outbox,
            link: &link,
        };
        consent(&ports, "e", true);
        // Redis is down while d opts in: the change waits in the outbox.
        link.store.borrow_mut().fail = true;
        assert!(matches!(
            consent(&ports, "d", true).sync,
            Some(SyncOutcome::Queued { .. })
        ));
        link.store.borrow_mut().fail = false;
        // The drain reads d's contribution; the erasure of d completes before its apply lands.
        let (s, o, l) = (store.clone(), outbox.clone(), link.clone());
        link.store.borrow_mut().before_apply =
            Some(Hook(Box::new(move || erase_now(&s, &o, &l, "d"))));
        let mut conn = run(link.open()).unwrap();
        let report = run(aggregates::drain(
            &*store,
            &*outbox,
            &mut conn,
            &ReleaseConfig::default(),
            100,
        ))
        .unwrap();
        assert_eq!(report.pending, 0, "{report:?}");
        assert!(redis_equals_d1(&store, &link, &ReleaseConfig::default()));
        let beauty = run(link.store.borrow_mut().read()).unwrap().aggregates;
        assert_eq!(beauty[&Niche::Beauty].accounts, 1, "only e");
        assert!(consistent(&store, &outbox, &link));
    }

    #[test]
    fn redis_switched_off_then_back_with_old_data_is_caught_up_or_rebuilt_never_served_stale() {
        let store = MemoryStore::new();
        let outbox = MemoryOutbox::new();
        let mut link = MemoryLink::on();
        for id in ["a", "b", "c", "d"] {
            account(&store, id, "travel", false);
        }
        rebuild(&store, &outbox, &link);
        let config = ReleaseConfig::default();
        {
            let ports = Ports {
                store: &store,
                outbox: &outbox,
                link: &link,
            };
            for id in ["a", "b", "c", "d"] {
                consent(&ports, id, true);
            }
        }
        // REDIS_HOST unset for a while: an erasure, an opt-out, an ingest. Redis keeps old data.
        link.mode = Some(LinkMode::Off);
        {
            let ports = Ports {
                store: &store,
                outbox: &outbox,
                link: &link,
            };
            erase_now_off(&ports, "a");
            consent(&ports, "b", false);
            ingest(&ports, "c", 5);
        }
        // Back on, with the old data: the publication replays the outbox first.
        link.mode = Some(LinkMode::On);
        let publish = |link: &MemoryLink| {
            let ports = Ports {
                store: &store,
                outbox: &outbox,
                link,
            };
            let kv = MemoryStore::new();
            let (report, source) = run(publication(
                &ports,
                &kv,
                NOW,
                &config,
                &BudgetPolicy::default(),
                1,
            ))
            .unwrap();
            (report.contributing_accounts, source)
        };
        let (n, source) = publish(&link);
        assert_eq!((n, source.source), (2, "redis"), "{source:?}");
        assert!(consistent(&store, &outbox, &link));

        // Another Redis served (and was rebuilt, a new epoch) while the first was away; the
        // first comes back with its data, epoch and all: rebuilt before use.
        let old = link.store.borrow().snapshot();
        let other = MemoryLink::on();
        rebuild(&store, &outbox, &other);
        {
            let ports = Ports {
                store: &store,
                outbox: &outbox,
                link: &other,
            };
            consent(&ports, "d", false);
        }
        link.store.borrow_mut().restore(&old);
        let mut conn = run(link.open()).unwrap();
        let report = run(aggregates::drain(&store, &outbox, &mut conn, &config, 100)).unwrap();
        assert!(report.rebuilt, "{report:?}");
        assert!(report.rebuild_reason.unwrap().contains("epoch"));
        let (n, source) = publish(&link);
        assert_eq!((n, source.source), (1, "redis"), "{source:?}");
        assert!(consistent(&store, &outbox, &link));
    }

    fn erase_now_off(ports: &Ports<'_, MemoryStore, MemoryOutbox, MemoryLink>, id: &str) {
        let owner = run(owned(ports.store, &Caller::Operator, id)).unwrap();
        let erased = run(accounts::erase(ports, owner)).unwrap();
        assert_eq!(erased.sync, None);
    }

    #[test]
    fn contributions_are_clipped_with_the_configured_release_config() {
        let store = MemoryStore::new();
        let outbox = MemoryOutbox::new();
        let mut tight = ReleaseConfig::default();
        tight.bounds.max_log_lift = 0.05;
        let link = MemoryLink {
            release: Some(tight),
            ..MemoryLink::on()
        };
        for id in ["p", "q", "r"] {
            account(&store, id, "education", false);
        }
        let mut conn = run(link.open()).unwrap();
        run(aggregates::rebuild(&store, &outbox, &mut conn, &tight)).unwrap();
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        for id in ["p", "q", "r"] {
            assert_eq!(consent(&ports, id, true).sync, Some(SyncOutcome::Synced));
        }
        ingest(&ports, "p", 4);
        // The bound matters for these records, and Redis holds what the publication noises for.
        assert!(!redis_equals_d1(&store, &link, &ReleaseConfig::default()));
        assert!(redis_equals_d1(&store, &link, &tight));
        let report = run(aggregates::check(&store, &outbox, &mut conn, &tight)).unwrap();
        assert!(report.consistent, "{report:#?}");
        // RELEASE_CONFIG changes: Redis, clipped under the old one, is rebuilt before any use.
        let default = ReleaseConfig::default();
        let report = run(aggregates::check(&store, &outbox, &mut conn, &default)).unwrap();
        assert!(!report.consistent && !report.trusted, "{report:#?}");
        let report = run(aggregates::drain(&store, &outbox, &mut conn, &default, 100)).unwrap();
        assert!(report.rebuilt && report.trusted, "{report:?}");
        assert!(report.rebuild_reason.unwrap().contains("RELEASE_CONFIG"));
        assert!(redis_equals_d1(&store, &link, &default));
    }

    #[test]
    fn a_down_store_is_skipped_after_repeated_failures_and_retried_after_the_cool_down() {
        use crate::adapters::redis::{BREAKER_COOLDOWN_MS, BREAKER_FAILURES};
        let store = MemoryStore::new();
        let outbox = MemoryOutbox::new();
        let link = MemoryLink::on();
        account(&store, "acct-private-7", "food", false);
        rebuild(&store, &outbox, &link);
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        link.clock.set(NOW);
        link.store.borrow_mut().fail = true;
        for _ in 0..BREAKER_FAILURES {
            let c = consent(&ports, "acct-private-7", true);
            let Some(SyncOutcome::Queued { reason }) = c.sync else {
                panic!("{:?}", c.sync)
            };
            assert!(reason.contains("refused"), "{reason}");
            // Logs outlive an erasure: they never name the account.
            let log = c.log.unwrap();
            assert!(!log.contains("acct-private-7"), "{log}");
        }
        // Open: the store is not even tried (its own failure would say "refused").
        let c = consent(&ports, "acct-private-7", false);
        let Some(SyncOutcome::Queued { reason }) = c.sync else {
            panic!("{:?}", c.sync)
        };
        assert!(reason.contains("circuit breaker"), "{reason}");
        // Nothing is lost: every change is pending in the outbox.
        assert_eq!(run(outbox.rows()).unwrap()["acct-private-7"].seq, 4);
        // After the cool-down, a store that answers again is used again.
        link.store.borrow_mut().fail = false;
        link.clock.set(NOW + BREAKER_COOLDOWN_MS);
        assert_eq!(
            consent(&ports, "acct-private-7", true).sync,
            Some(SyncOutcome::Synced)
        );
        assert!(link.admit().is_ok());
        let mut conn = run(link.open()).unwrap();
        run(aggregates::drain(
            &store,
            &outbox,
            &mut conn,
            &ReleaseConfig::default(),
            100,
        ))
        .unwrap();
        assert!(consistent(&store, &outbox, &link));
    }
}
