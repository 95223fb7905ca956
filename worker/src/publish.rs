//! Publication of niche releases (the cron handler's work), over the storage traits.
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

use crate::auth::internal;
use crate::error::ApiError;
use crate::store::{Accounts, History, HistoryRow, Records, Releases};
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

/// The name of the optional Worker var holding the release config as JSON (any subset of the
/// core's `ReleaseConfig` fields, e.g. `{"k": 10}`; absent or empty = the core's defaults).
pub const RELEASE_CONFIG_VAR: &str = "RELEASE_CONFIG";

/// The release config from the `RELEASE_CONFIG` var's value: the core's defaults for fields it
/// does not set; errors name the field (`RELEASE_CONFIG.k`) and the reason.
pub fn release_config(raw: Option<&str>) -> Result<ReleaseConfig, ApiError> {
    let config = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => ReleaseConfig::default(),
        Some(json) => crate::json::parse(json.as_bytes()).map_err(|e| within_var(&e))?,
    };
    crosslearn::wisdom::layout::validate_config(&config)
        .map_err(|e| ApiError::Core(e.within(RELEASE_CONFIG_VAR)))?;
    Ok(config)
}

fn within_var(e: &ApiError) -> ApiError {
    let field = match e.field() {
        Some(f) => format!("{RELEASE_CONFIG_VAR}.{f}"),
        None => RELEASE_CONFIG_VAR.to_string(),
    };
    ApiError::Invalid {
        code: e.code(),
        field: Some(field),
        message: e.body().error.message,
    }
}

/// `POST /api/admin/publish` body (operator only): run the cron's publication now.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The time to publish at, in ms since the Unix epoch (default: now). It picks the release
    /// period, as the cron's scheduled time does; for backfills and for tests of period changes.
    #[serde(default)]
    pub at_ms: Option<u64>,
}

/// The operator's publication: the same run as the cron's, at `at_ms` from the body or `now_ms`.
/// An empty body means `{}`.
pub async fn publish_route<S: Accounts + Records + History, R: Releases>(
    store: &S,
    kv: &R,
    caller: &crate::auth::Caller,
    body: &[u8],
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
) -> Result<PublishReport, ApiError> {
    let at_ms = publish_time(caller, body, now_ms)?;
    publish(store, kv, at_ms, config, seed).await
}

/// The checks of `POST /api/admin/publish` before it runs: the caller must be the operator and
/// the body a [`PublishRequest`] (an empty body means `{}`). Returns the time to publish at.
pub fn publish_time(
    caller: &crate::auth::Caller,
    body: &[u8],
    now_ms: u64,
) -> Result<u64, ApiError> {
    crate::auth::require_operator(caller)?;
    let req: PublishRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PublishRequest::default()
    } else {
        crate::json::parse(body)?
    };
    Ok(req.at_ms.unwrap_or(now_ms))
}

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
    let aggregates: crate::aggregates::Aggregates = crate::aggregates::niches()
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
/// [`crate::aggregates::publication_aggregates`]); `counts` = (opted-in, contributing) accounts.
pub async fn publish_with<S: History, R: Releases>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
    aggregates: &crate::aggregates::Aggregates,
    counts: (usize, usize),
) -> Result<PublishReport, ApiError> {
    let now = crate::service::iso_utc(now_ms);
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
pub(crate) mod tests {
    use super::*;
    use crate::store::memory::run;
    use crate::store::memory::MemoryStore;
    use crate::store::{Account, Consent};
    use crosslearn::record::{validate_records, RecordInput, RecordSource};

    const DAY_MS: u64 = 86_400_000;
    /// A Thursday, 2026-01-01 (day 20454): period 2922 of the weekly cadence.
    pub(crate) const NOW: u64 = 20_454 * DAY_MS + 3_600_000;

    /// An account of `niche` with 12 made-up records over 3 campaigns, opted in or not.
    pub(crate) fn account(store: &MemoryStore, id: &str, niche: &str, opted_in: bool) {
        let account = Account {
            account_id: id.into(),
            created_at: "t".into(),
        };
        assert!(run(store.create_account(&account, &format!("h-{id}"))).unwrap());
        let hooks = ["question", "pain_point", "offer", "social_proof"];
        let inputs: Vec<RecordInput> = (0..12)
            .map(|i| RecordInput {
                record_id: Some(format!("{id}-{i}")),
                account_id: Some(id.into()),
                campaign_id: Some(format!("c{}", i % 3)),
                platform: Some("meta".into()),
                niche: Some(niche.into()),
                hook_type: Some(hooks[i % 4].into()),
                cta_style: Some("shop_now".into()),
                format: Some("video".into()),
                duration_s: Some(15.0 + i as f64),
                posting_hour: Some((8 + i) as f64),
                impressions: Some(20_000.0),
                clicks: Some(300.0 + 10.0 * i as f64),
                conversions: Some(20.0),
                spend: Some(150.0),
                revenue: Some(600.0),
                ..RecordInput::default()
            })
            .collect();
        let report = validate_records(&inputs, RecordSource::Simulated);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        run(store.insert_records(id, &report.accepted, "t")).unwrap();
        let consent = Consent {
            opted_in,
            updated_at: None,
        };
        run(store.set_consent(id, &consent)).unwrap();
    }

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
    fn the_operator_route_publishes_at_the_given_time() {
        use crate::auth::Caller;
        let store = MemoryStore::new();
        for i in 0..3 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let config = ReleaseConfig::default();
        let e = run(publish_route(
            &store,
            &store,
            &Caller::Account("f0".into()),
            b"",
            NOW,
            &config,
            1,
        ))
        .unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(run(store.history(0, u32::MAX)).unwrap().is_empty());
        let later = format!(r#"{{"at_ms": {}}}"#, NOW + 7 * DAY_MS);
        let r = run(publish_route(
            &store,
            &store,
            &Caller::Operator,
            later.as_bytes(),
            NOW,
            &config,
            1,
        ))
        .unwrap();
        assert_eq!(r.period, period_of_day(20_454, 7) + 1);
        let r = run(publish_route(
            &store,
            &store,
            &Caller::Operator,
            b" ",
            NOW,
            &config,
            1,
        ))
        .unwrap();
        assert_eq!(r.period, period_of_day(20_454, 7));
        for bad in [&br#"{"at_ms": -1}"#[..], br#"{"at": 1}"#, b"{"] {
            let e = run(publish_route(
                &store,
                &store,
                &Caller::Operator,
                bad,
                NOW,
                &config,
                1,
            ))
            .unwrap_err();
            assert!(e.status() == 400 || e.status() == 422);
        }
    }

    #[test]
    fn release_config_from_the_var() {
        assert_eq!(release_config(None).unwrap(), ReleaseConfig::default());
        assert_eq!(release_config(Some(" ")).unwrap(), ReleaseConfig::default());
        let c =
            release_config(Some(r#"{"k": 3, "epsilon": 2.0, "budget_per_window": 8}"#)).unwrap();
        assert_eq!((c.k, c.epsilon, c.cadence_days), (3, 2.0, 7));
        for (raw, field) in [
            (r#"{"k": 0}"#, "RELEASE_CONFIG.k"),
            (r#"{"kk": 3}"#, "RELEASE_CONFIG.kk"),
            (r#"{"k": "3"}"#, "RELEASE_CONFIG.k"),
            (r#"{"epsilon": 5}"#, "RELEASE_CONFIG.budget_per_window"),
            ("{", "RELEASE_CONFIG"),
        ] {
            let e = release_config(Some(raw)).unwrap_err();
            assert_eq!(e.field(), Some(field), "{raw}");
            assert!(e.status() == 422 || e.status() == 400, "{raw}");
        }
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
