//! The D1 write fault hook (dev and tests only; docs/robustness.md, "D1 write faults").
//!
//! Every D1 write the adapters make ([`crate::adapters::d1`], [`crate::adapters::outbox`]) first asks
//! [`check_write`]. While a fault is set, the asked write fails as a real D1 write failure would
//! ([`StoreError::write`], answered 503 `storage_unavailable`) before any SQL is sent, so a
//! failing write batch changes nothing. Reads never ask and keep working.
//!
//! The fault is per isolate (one `wrangler dev` = one isolate) and set by the operator route
//! `POST /api/admin/faults` ([`crate::routes::admin::faults`]), which only works when the Worker var
//! [`SWITCH_VAR`] is `on` and [`ENVIRONMENT_VAR`] is not `production` ([`injection_allowed`]).
//! Neither wrangler.toml nor its `[env.production]` sets the switch, so a deployment cannot turn a
//! fault on; and while no fault was set the hook is one thread-local read per write.

use crate::ports::{StoreError, StoreResult};
use std::cell::Cell;

/// The Worker var that must be `on` for `POST /api/admin/faults` to set a fault (dev only).
pub const SWITCH_VAR: &str = "FAULT_INJECTION";
/// The Worker var marking a deployment; `production` refuses fault injection whatever the switch.
pub const ENVIRONMENT_VAR: &str = "ENVIRONMENT";

/// Which D1 writes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteFault {
    /// None (the default).
    #[default]
    Off,
    /// Every write.
    All,
    /// Every write once `remaining` more write batches have passed (`after:N` sets N).
    After {
        /// Write batches still allowed through.
        remaining: u64,
    },
}

impl WriteFault {
    /// Parse `off`, `all` or `after:N` (N a whole number). Errors name the field `d1_writes`.
    pub fn parse(s: &str) -> Result<Self, crate::error::ApiError> {
        let bad = || crate::error::ApiError::Invalid {
            code: "invalid_value",
            field: Some("d1_writes".into()),
            message: format!("d1_writes must be off, all or after:N (N a whole number), not {s:?}"),
        };
        match s {
            "off" => Ok(WriteFault::Off),
            "all" => Ok(WriteFault::All),
            _ => {
                let n = s.strip_prefix("after:").ok_or_else(bad)?;
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                Ok(WriteFault::After {
                    remaining: n.parse().map_err(|_| bad())?,
                })
            }
        }
    }

    /// The wire form: `off`, `all` or `after:N` with the writes still allowed.
    pub fn label(self) -> String {
        match self {
            WriteFault::Off => "off".into(),
            WriteFault::All => "all".into(),
            WriteFault::After { remaining } => format!("after:{remaining}"),
        }
    }
}

thread_local! {
    // Worker isolates are single-threaded; natively each test thread gets its own.
    static FAULT: Cell<WriteFault> = const { Cell::new(WriteFault::Off) };
    static REFUSED: Cell<u64> = const { Cell::new(0) };
}

/// The current fault.
pub fn current() -> WriteFault {
    FAULT.with(Cell::get)
}

/// Writes refused since the fault was last set.
pub fn refused() -> u64 {
    REFUSED.with(Cell::get)
}

/// Set the fault (and reset the refused count).
pub fn set(fault: WriteFault) {
    FAULT.with(|f| f.set(fault));
    REFUSED.with(|r| r.set(0));
}

/// Called by the D1 adapter before each write batch of `what`: `Err` if the fault refuses it.
pub fn check_write(what: &'static str) -> StoreResult<()> {
    let refuse = FAULT.with(|f| match f.get() {
        WriteFault::Off => false,
        WriteFault::All => true,
        WriteFault::After { remaining: 0 } => true,
        WriteFault::After { remaining } => {
            f.set(WriteFault::After {
                remaining: remaining - 1,
            });
            false
        }
    });
    if refuse {
        REFUSED.with(|r| r.set(r.get() + 1));
        return Err(StoreError::write(
            what,
            "injected D1 write fault (POST /api/admin/faults)",
        ));
    }
    Ok(())
}

/// Whether fault injection may be used: the switch var is `on` and the environment is not
/// `production` (values as read from the Worker's vars; `None` = unset).
pub fn injection_allowed(switch: Option<&str>, environment: Option<&str>) -> bool {
    switch.map(str::trim) == Some("on") && environment.map(str::trim) != Some("production")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::auth::Caller;
    use crate::testing::requests as service;

    #[test]
    fn modes_parse_and_refuse_writes() {
        assert_eq!(WriteFault::parse("off").unwrap(), WriteFault::Off);
        assert_eq!(WriteFault::parse("all").unwrap(), WriteFault::All);
        assert_eq!(
            WriteFault::parse("after:2").unwrap(),
            WriteFault::After { remaining: 2 }
        );
        for bad in [
            "",
            "on",
            "after:",
            "after:-1",
            "after:x",
            "after:1.5",
            "ALL",
        ] {
            let e = WriteFault::parse(bad).unwrap_err();
            assert_eq!((e.status(), e.field()), (422, Some("d1_writes")), "{bad}");
        }

        set(WriteFault::After { remaining: 2 });
        assert!(check_write("records").is_ok());
        assert!(check_write("records").is_ok());
        let e = check_write("consent").unwrap_err();
        assert_eq!(e.write, Some("consent"));
        assert!(check_write("records").is_err());
        assert_eq!(refused(), 2);
        set(WriteFault::All);
        assert_eq!(refused(), 0);
        assert!(check_write("account").is_err());
        set(WriteFault::Off);
        assert!(check_write("account").is_ok());
        assert_eq!(refused(), 0);
    }

    /// The service layer over the in-memory store (which asks the same hook as the D1 adapter):
    /// every write route answers 503 `storage_unavailable` and changes nothing, the read routes
    /// keep answering, a publication cut off half-way is completed by the next run, and a retried
    /// ingest after healing is stored exactly once.
    #[test]
    fn service_under_d1_write_faults() {
        use crate::ports::{Accounts, Events, History, Insights, Records, Releases};
        use crate::service::crosslearning::{self as cl, ApplyWisdomResponse};
        use crate::testing::fixtures::{account, NOW};
        use crate::testing::{run, MemoryStore};
        use crosslearn::niche::Niche;
        use crosslearn::wisdom::{NicheWisdom, ReleaseConfig};

        const WEEK_MS: u64 = 7 * 86_400_000;
        set(WriteFault::Off);
        let store = MemoryStore::new();
        for i in 0..10 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        // A small k and a large epsilon, so the fitness release surely passes the noisy k gate.
        let config = ReleaseConfig {
            k: 3,
            epsilon: 100.0,
            budget_per_window: 400.0,
            ..ReleaseConfig::default()
        };
        let first = run(crate::service::publish::publish(
            &store,
            &store,
            NOW,
            &config,
            &crate::testing::fixtures::uncapped(),
            1,
        ))
        .unwrap();
        let niches = first.released.len();
        let op = Caller::Operator;
        let owner = Caller::Account("f0".into());
        let model = crate::testing::fixtures::niche_model();
        let records = |ids: std::ops::Range<u32>| {
            let recs: Vec<serde_json::Value> = ids
                .map(|i| {
                    serde_json::json!({"record_id": format!("new-{i}"), "campaign_id": "c9",
                    "platform": "meta", "niche": "fitness", "hook_type": "question",
                    "cta_style": "shop_now", "format": "video", "duration_s": 15,
                    "posting_hour": 9, "impressions": 20000, "clicks": 310,
                    "conversions": 20, "spend": 150, "revenue": 600})
                })
                .collect();
            serde_json::to_vec(&serde_json::json!({ "records": recs })).unwrap()
        };
        let unavailable = |e: crate::error::ApiError, what: &str| {
            assert_eq!((e.status(), e.code()), (503, "storage_unavailable"), "{e}");
            assert!(e.body().error.message.contains(what), "{e}");
        };
        let rows_before = store.rows_of("f0");
        let kv_fitness = run(store.published(Niche::Fitness)).unwrap();

        set(WriteFault::All);
        let body = br#"{"account_id":"new"}"#;
        let e = run(service::create_account(
            &store,
            &op,
            body,
            "t",
            "g".into(),
            "tok".into(),
        ));
        unavailable(e.unwrap_err(), "account");
        assert_eq!(run(store.account("new")).unwrap(), None);
        // An account change first counts itself in the outbox (Redis configured or not): that
        // is the write that fails.
        let e = run(service::ingest(&store, &owner, "f0", &records(0..5), "t"));
        unavailable(e.unwrap_err(), "redis outbox");
        let e = run(service::set_consent(
            &store,
            &owner,
            "f0",
            br#"{"opted_in":false}"#,
            "t",
        ));
        unavailable(e.unwrap_err(), "redis outbox");
        assert!(run(store.consent("f0")).unwrap().opted_in);
        let body = br#"{"account_id":"f0"}"#;
        let e = run(service::extract_insights(
            &store,
            &owner,
            model,
            body,
            "t",
            "evt_1".into(),
        ));
        unavailable(e.unwrap_err(), "insight");
        assert_eq!(run(store.insight("f0")).unwrap(), None, "no half write");
        assert!(run(store.events("f0")).unwrap().is_empty(), "no half write");
        unavailable(
            run(service::erase(&store, &owner, "f0")).unwrap_err(),
            "redis outbox",
        );
        let e = run(crate::service::publish::publish(
            &store,
            &store,
            NOW + WEEK_MS,
            &config,
            &crate::testing::fixtures::uncapped(),
            2,
        ));
        // The first write of a run freezes the period's niche membership.
        unavailable(e.unwrap_err(), "niche membership");
        assert_eq!(store.rows_of("f0"), rows_before);
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches);
        assert_eq!(run(store.published(Niche::Fitness)).unwrap(), kv_fitness);
        // Reads keep answering; apply-wisdom answers and says its event was not stored.
        assert_eq!(
            run(service::export(&store, &owner, "f0", "t"))
                .unwrap()
                .records
                .len(),
            12
        );
        let applied = run(service::apply_wisdom(
            &store,
            &store,
            &owner,
            model,
            br#"{"account_id":"f0"}"#,
            "t",
            "evt_2".into(),
        ))
        .unwrap();
        assert!(
            matches!(
                applied,
                ApplyWisdomResponse::Applied {
                    event_recorded: false,
                    ..
                }
            ),
            "{applied:?}"
        );
        assert!(run(cl::account_dashboard(
            &store, &store, &owner, model, "f0", "t"
        ))
        .is_ok());
        assert!(run(crate::service::wisdom::niche_wisdom(
            &store, "fitness", None
        ))
        .is_ok());
        assert!(refused() >= 6);

        // A publication cut off after the membership write and 3 history rows: those 3 are
        // released (D1 and KV), every other niche is reported failed (one niche's failure
        // never stops the others, so the run itself answers).
        set(WriteFault::After { remaining: 4 });
        let cut = run(crate::service::publish::publish(
            &store,
            &store,
            NOW + WEEK_MS,
            &config,
            &crate::testing::fixtures::uncapped(),
            3,
        ))
        .unwrap();
        assert_eq!((cut.released.len(), cut.failed.len()), (3, niches - 3));
        assert!(cut.failed.iter().all(|f| f.code == "storage_unavailable"));
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), niches + 3);

        // Both or neither: with one write batch left, an insight and its event go in together
        // (as two writes, the insight would be stored and the event refused).
        set(WriteFault::After { remaining: 1 });
        let f1 = Caller::Account("f1".into());
        let one = run(service::extract_insights(
            &store,
            &f1,
            model,
            br#"{"account_id":"f1"}"#,
            "t",
            "evt_4".into(),
        ));
        let stored = (
            run(store.insight("f1")).unwrap().is_some(),
            run(store.events("f1")).unwrap().len(),
        );
        assert!(one.is_ok(), "{one:?}");
        assert_eq!(stored, (true, 1));

        // Healed: retries succeed, exactly once.
        set(WriteFault::Off);
        let first_try = run(service::ingest(&store, &owner, "f0", &records(0..5), "t")).unwrap();
        assert_eq!((first_try.stored, first_try.already_stored), (5, 0));
        let again = run(service::ingest(&store, &owner, "f0", &records(0..5), "t")).unwrap();
        assert_eq!((again.stored, again.already_stored), (0, 5));
        assert_eq!(run(store.records("f0")).unwrap().len(), 17);
        let done = run(crate::service::publish::publish(
            &store,
            &store,
            NOW + WEEK_MS,
            &config,
            &crate::testing::fixtures::uncapped(),
            4,
        ))
        .unwrap();
        assert_eq!((done.unchanged.len(), done.released.len()), (3, niches - 3));
        // D1's history of the period and KV agree, niche by niche and in the bulk value.
        let rows: Vec<_> = run(store.history(done.period, done.period + 1)).unwrap();
        assert_eq!(rows.len(), niches);
        let all: Vec<NicheWisdom> = run(store.published_all())
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        for row in &rows {
            let niche: Niche = row.niche.parse().unwrap();
            assert_eq!(
                run(store.published(niche))
                    .unwrap()
                    .map(|s| s.text().to_string()),
                Some(row.release_json.clone()),
                "{}",
                row.niche
            );
            let bulk = all.iter().find(|w| w.niche.as_str() == row.niche).unwrap();
            assert_eq!(serde_json::to_string(bulk).unwrap(), row.release_json);
        }
        let extracted = run(service::extract_insights(
            &store,
            &owner,
            model,
            br#"{"account_id":"f0"}"#,
            "t",
            "evt_3".into(),
        ));
        assert!(extracted.is_ok());
        assert!(run(store.insight("f0")).unwrap().is_some());
    }
}
