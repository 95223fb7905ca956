//! Publication of release format 2 (the core's `crosslearn::wisdom::suffstat`: within-account
//! sufficient statistics, discrete Gaussian noise, zCDP accounting) and the per-account privacy
//! ledger it is held to (docs/privacy.md, "Release format 2").
//!
//! One run at `now_ms`, for the period of the configured cadence (`cadence_days`):
//! 1. **Contributions from D1**, a page of [`PAGE_ACCOUNTS`] opted-in accounts at a time: each
//!    account's niche is the one its records give (format 1's rule, but not format 1's data gate
//!    of 3 campaigns: the core's `period_contribution`), frozen for the period in
//!    `niche_membership` (first write wins, shared with format 1, which runs first), and its
//!    records are encoded with `encode_account` (clipped to the L2 norm, fixed-point integers).
//!    An account none of whose records is eligible (no platform with 2 records) adds nothing and
//!    is neither counted nor charged. Under `contribute: split` an account with a usable group of
//!    randomised records goes to its niche's explorers' pool with only those, any other to the
//!    main pool (the core's `account_contribution`): one pool per account.
//!    The niche sums are exact integer sums of the pool rebuilt from D1 on every run, so an erased
//!    or opted-out account never changes a later release.
//! 2. **Budget from D1**: each page's accounts' `ρ` and pure `ε` (format-1 releases) spent
//!    within the rolling window (`privacy_budget.window_days`, days `today - window < day <=
//!    today`) are read from `privacy_ledger`. A niche whose release would take any of its
//!    accounts past `privacy_budget.rho_cap`, or past `privacy_budget.epsilon_cap` in total `ε`
//!    at `δ` 1e-6 (pure `ε` + `ε(ρ, δ)`), is refused with `privacy_budget_exceeded` and listed under
//!    [`Format2Report::failed`]: nothing of it is released, recorded or charged.
//! 3. **One noisy draw per release id** (`"<period>/<niche>"`; under `contribute: split` also
//!    `"<period>/<niche>/explorers"` for every niche, after every main one): a release already in
//!    `release_log` is left as it is (no new noise, nobody charged again); otherwise
//!    `release_niche` draws, and the release row and its accounts' ledger rows are written in one
//!    transaction, only by the run whose draw was recorded (an overlapping run that lost the
//!    insert serves the recorded one).
//! 4. **Posteriors** (free post-processing of the recorded releases of the period, each niche
//!    combined with its recorded releases of the `combine_periods - 1` periods before, by the
//!    core's `combine_periods`): the global release from the published niches, each niche shrunk
//!    towards it (under `split`, a niche is served from its explorers' release once enough of them
//!    are in it, else from the union of both pools: the core's `posteriors`); each niche released
//!    this period gets its `PosteriorTable` in KV
//!    (`release2:<niche>`, `releases2:all`).
//!
//! The noise generator is passed in: ChaCha20 seeded from the OS in the Worker
//! (`noise_rng_from_entropy`), a seeded one in tests. The Worker runs this after format 1 in the
//! same publication; a run that fails as a whole is reported ([`failed_run`]), never fatal.

use crate::error::ApiError;
use crate::ports::{
    Accounts, Ledger, Membership, PublishConfig, Records, ReleaseLogRow, Releases, Spent,
    KIND_SUFFSTAT,
};
use crate::service::auth::internal;
use crate::service::publish::{keep_failed, period_at, NicheFailure, PAGE_ACCOUNTS};
use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::privacy::zcdp::{ACCOUNTING_DELTA, BUDGET_EXCEEDED};
use crosslearn::wisdom::suffstat::{
    combine_periods, period_contribution, posteriors, release_id, release_niche_in, Arm,
    NicheSuffRelease, SuffStatPool,
};
use crosslearn::wisdom::AccountConsent;
use rand_core::Rng;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one format-2 publication did.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Format2Report {
    /// The release period.
    pub period: u32,
    /// `ρ` one release spends on each of its accounts.
    pub rho_per_release: f64,
    /// Accounts in the period's pool (opted in, a known niche, at least one eligible record; niche
    /// frozen for the period).
    pub contributing_accounts: usize,
    /// Niches released in this run (new `release_log` rows, their accounts charged).
    pub released: Vec<String>,
    /// Niches whose release for this period already existed (left unchanged).
    pub unchanged: Vec<String>,
    /// Niches whose release passed the noisy niche-count gate (`"<niche>/explorers"` for an
    /// explorers' release).
    pub published: Vec<String>,
    /// Niches whose posteriors this run serves from their explorers' release (`contribute:
    /// split`, enough explorers in it); empty otherwise.
    pub served_by_explorers: Vec<String>,
    /// Niches refused or failed in this run (`privacy_budget_exceeded`, `storage_unavailable`,
    /// ...), with why; nothing of them was released.
    pub failed: Vec<NicheFailure>,
}

/// The period's pool: contributions, each account's window spend, and the skipped count.
struct Pool {
    pool: SuffStatPool,
    spent: BTreeMap<String, Spent>,
}

/// The first day of `period` (days since 1970-01-01): the day the ledger charges.
pub fn period_day(period: u32, cadence_days: u32) -> i64 {
    i64::from(period) * i64::from(cadence_days)
}

/// The format-2 pool of `period` from D1, read a page of opted-in accounts at a time, with
/// niche membership frozen for the period, and each account's `ρ` spent in the window ending
/// on `day`.
async fn period_pool<S: Accounts + Records + Membership + Ledger>(
    store: &S,
    period: u32,
    day: i64,
    config: &PublishConfig,
) -> Result<Pool, ApiError> {
    let options = InsightOptions::default();
    let mut pool = SuffStatPool::new();
    let mut spent = BTreeMap::new();
    let mut after = String::new();
    loop {
        let page = store
            .opted_in_page(&after, PAGE_ACCOUNTS)
            .await
            .map_err(internal)?;
        let Some(last) = page.last() else { break };
        after = last.clone();
        let mut members = Vec::new();
        let mut encoded = Vec::new();
        for account_id in &page {
            let records = store.records(account_id).await.map_err(internal)?;
            if records.is_empty() {
                continue;
            }
            let consent = AccountConsent { opted_in: true };
            // Format 1's niche rule without its data gate (`period_contribution`); one niche per
            // account and period. One account's data cannot stop the publication for everyone.
            let Ok(Some((niche, arm, contribution))) =
                period_contribution(&records, consent, &options, &config.format2)
            else {
                continue;
            };
            members.push((account_id.clone(), niche));
            encoded.push((arm, contribution));
        }
        let frozen = store
            .freeze_niches(period, &members)
            .await
            .map_err(internal)?;
        let mut ids = Vec::new();
        for (((account_id, niche), (arm, c)), frozen) in
            members.into_iter().zip(encoded).zip(frozen)
        {
            if niche == frozen {
                pool.set_in(&account_id, niche, arm, c)?;
                ids.push(account_id);
            }
        }
        let from = day - config.budget.window_days;
        spent.extend(store.spent(&ids, from, day).await.map_err(internal)?);
        if page.len() < PAGE_ACCOUNTS as usize {
            break;
        }
    }
    Ok(Pool { pool, spent })
}

fn decode(row: &ReleaseLogRow) -> Result<NicheSuffRelease, ApiError> {
    serde_json::from_str(&row.release_json)
        .map_err(|e| ApiError::Storage(format!("release_log row unreadable: {e}")))
}

/// A failure of release `name` (`"<niche>"`, or `"<niche>/explorers"`).
fn failure(name: &str, e: &ApiError) -> NicheFailure {
    NicheFailure {
        niche: name.to_string(),
        code: e.code().to_string(),
        message: e.body().error.message,
    }
}

/// Run one format-2 publication at `now_ms` (see the module docs), drawing noise from `rng`.
pub async fn publish_format2<S, R, G>(
    store: &S,
    kv: &R,
    now_ms: u64,
    config: &PublishConfig,
    rng: &mut G,
) -> Result<Format2Report, ApiError>
where
    S: Accounts + Records + Membership + Ledger,
    R: Releases,
    G: Rng + ?Sized,
{
    let cfg = &config.format2;
    let plan = cfg.validate()?;
    let period = period_at(now_ms, &config.release);
    let day = period_day(period, config.release.cadence_days);
    let Pool { pool, spent } = period_pool(store, period, day, config).await?;
    // Keyed by release id: a niche has one release per pool (`contribute: split`: two).
    let existing: BTreeMap<String, ReleaseLogRow> = store
        .release_log(KIND_SUFFSTAT, period)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| (r.release_id.clone(), r))
        .collect();
    let params_json = serde_json::to_string(cfg).map_err(|_| ApiError::Internal)?;
    let now = crate::service::accounts::iso_utc(now_ms);
    let draw = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    let mut report = Format2Report {
        period,
        rho_per_release: plan.rho,
        contributing_accounts: pool.len(),
        released: Vec::new(),
        unchanged: Vec::new(),
        published: Vec::new(),
        served_by_explorers: Vec::new(),
        failed: Vec::new(),
    };
    let rho_cap = config.budget.rho_cap * (1.0 + 1e-12);
    let epsilon_cap = config.budget.epsilon_cap * (1.0 + 1e-12);
    for (arm, niche) in Arm::released(cfg)
        .iter()
        .flat_map(|a| crate::ports::niches().map(move |n| (*a, n)))
    {
        let name = arm.release_name(niche);
        if existing.contains_key(&release_id(i64::from(period), niche, arm)) {
            report.unchanged.push(name);
            continue;
        }
        let accounts: Vec<String> = pool.accounts_in(niche, arm).map(str::to_string).collect();
        // Both caps: rho of the zCDP releases, and the total epsilon with format 1's pure epsilon.
        let over = accounts
            .iter()
            .filter(|a| {
                let mut after = spent.get(*a).copied().unwrap_or_default();
                after.rho += plan.rho;
                after.rho > rho_cap || after.total_epsilon(ACCOUNTING_DELTA) > epsilon_cap
            })
            .count();
        if over > 0 {
            report.failed.push(NicheFailure {
                niche: name,
                code: BUDGET_EXCEEDED.to_string(),
                message: format!(
                    "the release (rho {:.6}) would take {over} account(s) past rho {} or epsilon \
                     {} within {} days; nothing is published for this niche",
                    plan.rho,
                    config.budget.rho_cap,
                    config.budget.epsilon_cap,
                    config.budget.window_days
                ),
            });
            continue;
        }
        let step = async {
            let release = release_niche_in(
                &pool.aggregate_in(niche, arm),
                niche,
                arm,
                i64::from(period),
                cfg,
                rng,
            )?;
            let row = ReleaseLogRow {
                release_id: release.release_id.clone(),
                kind: KIND_SUFFSTAT.to_string(),
                niche: niche.as_str().to_string(),
                period,
                day,
                rho: release.rho,
                epsilon: release.epsilon,
                delta: release.delta,
                published: release.published,
                noisy_count: release.noisy_count,
                draw: draw.clone(),
                params_json: params_json.clone(),
                release_json: serde_json::to_string(&release).map_err(|_| ApiError::Internal)?,
                published_at: now.clone(),
            };
            store
                .record_charged(&row, &accounts)
                .await
                .map_err(internal)
        };
        match step.await {
            Ok(true) => report.released.push(name),
            // Another run recorded this release first: its draw is the one served.
            Ok(false) => report.unchanged.push(name),
            Err(e) => report.failed.push(failure(&name, &e)),
        }
    }
    // Post-processing of what is recorded for the period (whoever drew it), combined with the
    // niches' recorded releases of the `combine_periods - 1` periods before it.
    let releases: Vec<NicheSuffRelease> = store
        .release_log(KIND_SUFFSTAT, period)
        .await
        .map_err(internal)?
        .iter()
        .map(decode)
        .collect::<Result<_, _>>()?;
    report.published = releases
        .iter()
        .filter(|r| r.published)
        .map(|r| r.arm.release_name(r.niche))
        .collect();
    if !releases.is_empty() {
        let current: Vec<Niche> = releases.iter().map(|r| r.niche).collect();
        let combined = if cfg.combine_periods > 1 {
            let mut all = releases;
            let from = period.saturating_sub(cfg.combine_periods - 1);
            for earlier in from..period {
                for row in store
                    .release_log(KIND_SUFFSTAT, earlier)
                    .await
                    .map_err(internal)?
                {
                    all.push(decode(&row)?);
                }
            }
            combine_periods(&all)?
        } else {
            releases
        };
        // Tables for the niches released this period (a niche refused now keeps its entry).
        let mut tables = posteriors(&combined, cfg);
        tables.retain(|t| current.contains(&t.niche));
        report.served_by_explorers = tables
            .iter()
            .filter(|t| t.release_id.ends_with(Arm::Explorers.suffix()))
            .map(|t| t.niche.as_str().to_string())
            .collect();
        for t in &tables {
            kv.publish_v2(t).await.map_err(internal)?;
        }
        // A refused or failed niche keeps its previous entry in the bulk value (its own key is
        // untouched), so a refusal never makes a niche vanish from the bulk read.
        // (Under `contribute: split` a niche whose other pool was released has its table.)
        let missing: Vec<NicheFailure> = report
            .failed
            .iter()
            .filter(|f| !tables.iter().any(|t| t.niche.as_str() == f.niche))
            .cloned()
            .collect();
        if !missing.is_empty() {
            keep_failed(&mut tables, kv.published_v2_all().await, &missing, |t| {
                t.niche
            });
        }
        kv.publish_v2_all(&tables).await.map_err(internal)?;
    }
    Ok(report)
}

/// The report of a format-2 run that failed as a whole (e.g. D1 refused the membership write):
/// every niche listed under `failed` with the error's code and message; nothing was released.
pub fn failed_run(now_ms: u64, config: &PublishConfig, e: &ApiError) -> Format2Report {
    Format2Report {
        period: period_at(now_ms, &config.release),
        rho_per_release: config.format2.validate().map_or(0.0, |p| p.rho),
        contributing_accounts: 0,
        released: Vec::new(),
        unchanged: Vec::new(),
        published: Vec::new(),
        served_by_explorers: Vec::new(),
        failed: crate::ports::niches()
            .map(|n| failure(n.as_str(), e))
            .collect(),
    }
}

/// What `GET /api/accounts/{id}/privacy` answers: the releases the account's data entered (both
/// formats) and what each spent, its window's totals, and the caps.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PrivacyAnswer {
    /// The account.
    pub account_id: String,
    /// Every release its data entered, oldest first.
    pub releases: Vec<crate::ports::LedgerRow>,
    /// The rolling window's length in days.
    pub window_days: i64,
    /// `ρ` of the zCDP releases (format 2) within the window ending today.
    pub window_rho: f64,
    /// Pure `ε` of the format-1 releases within the window ending today.
    pub window_pure_epsilon: f64,
    /// The window's total loss as `ε` at [`PrivacyAnswer::delta`]: `window_pure_epsilon +
    /// ε(window_rho, δ)` (basic composition).
    pub window_epsilon: f64,
    /// The cap on `ρ` within any window.
    pub rho_cap: f64,
    /// The cap on the total `ε` at [`PrivacyAnswer::delta`] within any window.
    pub epsilon_cap: f64,
    /// The `δ` the `ε` values are stated at (1e-6).
    pub delta: f64,
}

/// The `δ` at which the privacy route states `ε` (the core's accounting `δ`).
pub const PRIVACY_DELTA: f64 = ACCOUNTING_DELTA;

/// The account's privacy ledger as of `now_ms` (the caller is its owner).
pub async fn account_privacy<S: Ledger>(
    store: &S,
    account_id: &str,
    now_ms: u64,
    config: &PublishConfig,
) -> Result<PrivacyAnswer, ApiError> {
    let releases = store.ledger(account_id).await.map_err(internal)?;
    let today = (now_ms / 86_400_000) as i64;
    let window = config.budget.window_days;
    let spent = releases
        .iter()
        .filter(|r| r.day > today - window && r.day <= today)
        .fold(Spent::default(), |s, r| Spent {
            rho: s.rho + r.rho,
            epsilon: s.epsilon + r.epsilon,
        });
    Ok(PrivacyAnswer {
        account_id: account_id.to_string(),
        releases,
        window_days: window,
        window_rho: spent.rho,
        window_pure_epsilon: spent.epsilon,
        window_epsilon: spent.total_epsilon(PRIVACY_DELTA),
        rho_cap: config.budget.rho_cap,
        epsilon_cap: config.budget.epsilon_cap,
        delta: PRIVACY_DELTA,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::json::publish_config;
    use crate::ports::Membership;
    use crate::testing::fixtures::{account, DAY_MS, NOW};
    use crate::testing::{run, MemoryStore};
    use crosslearn::privacy::dgauss::noise_rng_from_seed;
    use crosslearn::wisdom::suffstat::PosteriorTable;

    /// Small enough gates for a few identical test accounts to show values; rho 4.40 per
    /// release (epsilon 20 at 1e-6), under a cap of 10 unless `extra` sets another.
    fn config(extra: &str) -> PublishConfig {
        let budget = if extra.is_empty() {
            r#", "privacy_budget": {"rho_cap": 10, "epsilon_cap": 1000}"#
        } else {
            extra
        };
        let raw =
            format!(r#"{{"format2": {{"k": 1, "epsilon": 20.0, "count_epsilon": 0.5}}{budget}}}"#);
        publish_config(Some(&raw)).unwrap()
    }

    fn store_with(n: usize) -> MemoryStore {
        let store = MemoryStore::new();
        for i in 0..n {
            account(&store, &format!("f{i:02}"), "fitness", true);
        }
        account(&store, "out", "fitness", false);
        store
    }

    fn publish(store: &MemoryStore, at: u64, c: &PublishConfig, seed: u64) -> Format2Report {
        run(publish_format2(
            store,
            store,
            at,
            c,
            &mut noise_rng_from_seed(seed),
        ))
        .unwrap()
    }

    fn niches() -> usize {
        crate::ports::niches().count()
    }

    #[test]
    fn one_release_per_period_and_niche_charged_once() {
        let store = store_with(60);
        let c = config("");
        let first = publish(&store, NOW, &c, 1);
        assert_eq!(first.released.len(), niches(), "{first:?}");
        assert_eq!(first.contributing_accounts, 60);
        assert!(
            first.published.contains(&"fitness".to_string()),
            "{first:?}"
        );
        let id = format!("{}/fitness", first.period);
        let table = run(store.published_v2(Niche::Fitness)).unwrap().unwrap();
        let decoded: PosteriorTable = table.decode().unwrap();
        assert_eq!(
            (decoded.version, decoded.release_id.as_str()),
            (2, id.as_str())
        );
        assert!(!decoded.values.is_empty());
        assert!(decoded.values.iter().all(|v| v.sd > 0.0
            && v.mean.is_finite()
            && (v.release_id == id || v.release_id.ends_with("/global"))));
        let ledger = run(store.ledger("f00")).unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!(
            (ledger[0].release_id.as_str(), ledger[0].kind.as_str()),
            (id.as_str(), "suffstat")
        );
        assert!((ledger[0].rho - first.rho_per_release).abs() < 1e-12);
        assert!(
            run(store.ledger("out")).unwrap().is_empty(),
            "opted out: never charged"
        );

        // A second publication of the same period (another seed): the stored draw, nobody
        // charged again.
        let again = publish(&store, NOW + 3_600_000, &c, 2);
        assert!(again.released.is_empty(), "{again:?}");
        assert_eq!(again.unchanged.len(), niches());
        assert_eq!(
            run(store.published_v2(Niche::Fitness)).unwrap().unwrap(),
            table
        );
        assert_eq!(run(store.ledger("f00")).unwrap().len(), 1);
    }

    #[test]
    fn posteriors_combine_the_recorded_releases_of_recent_periods() {
        let store = store_with(60);
        let c = publish_config(Some(
            r#"{"format2": {"k": 1, "epsilon": 20.0, "count_epsilon": 0.5, "combine_periods": 2},
                "privacy_budget": {"rho_cap": 10, "epsilon_cap": 1000}}"#,
        ))
        .unwrap();
        let table = |s: &MemoryStore| -> PosteriorTable {
            run(s.published_v2(Niche::Fitness))
                .unwrap()
                .unwrap()
                .decode()
                .unwrap()
        };
        let p0 = publish(&store, NOW, &c, 1);
        // One period recorded: the latest release alone.
        assert_eq!(table(&store).release_id, format!("{}/fitness", p0.period));
        let p1 = publish(&store, NOW + 7 * DAY_MS, &c, 2);
        assert_eq!(p1.period, p0.period + 1, "{p1:?}");
        let combined = table(&store);
        assert_eq!(
            combined.release_id,
            format!("{}..{}/fitness", p0.period, p1.period)
        );
        // Exactly the core's combination of the two recorded releases, post-processed.
        let mut rows = Vec::new();
        for p in [p0.period, p1.period] {
            for r in run(store.release_log(KIND_SUFFSTAT, p)).unwrap() {
                rows.push(decode(&r).unwrap());
            }
        }
        let expected = posteriors(&combine_periods(&rows).unwrap(), &c.format2)
            .into_iter()
            .find(|t| t.niche == Niche::Fitness)
            .unwrap();
        assert_eq!(combined, expected);
        // The latest period's release alone would give other posteriors.
        let latest: Vec<NicheSuffRelease> = rows
            .iter()
            .filter(|r| r.period == i64::from(p1.period))
            .cloned()
            .collect();
        let alone = posteriors(&latest, &c.format2)
            .into_iter()
            .find(|t| t.niche == Niche::Fitness)
            .unwrap();
        assert_ne!(alone.values, combined.values);
        // Combining spends nothing: two releases, two charges.
        assert_eq!(run(store.ledger("f00")).unwrap().len(), 2);
    }

    #[test]
    fn split_releases_both_pools_and_serves_the_explorers_release() {
        let store = store_with(60);
        for i in 0..40 {
            crate::testing::fixtures::explorer(&store, &format!("x{i:02}"), "fitness");
        }
        let c = publish_config(Some(
            r#"{"format2": {"k": 1, "epsilon": 20.0, "count_epsilon": 0.5, "contribute": "split"},
                "privacy_budget": {"rho_cap": 10, "epsilon_cap": 1000}}"#,
        ))
        .unwrap();
        let r = publish(&store, NOW, &c, 3);
        assert_eq!(r.contributing_accounts, 100);
        assert_eq!(r.released.len(), 2 * niches(), "{r:?}");
        assert!(r.released.contains(&"fitness/explorers".to_string()));
        for name in ["fitness", "fitness/explorers"] {
            assert!(r.published.contains(&name.to_string()), "{r:?}");
        }
        // Each account is in one pool and charged once, for its pool's release.
        let p = r.period;
        for (account, id) in [
            ("f00", format!("{p}/fitness")),
            ("x00", format!("{p}/fitness/explorers")),
        ] {
            let ledger = run(store.ledger(account)).unwrap();
            assert_eq!(ledger.len(), 1, "{account}");
            assert_eq!(ledger[0].release_id, id);
        }
        // Fitness is served from its explorers' release, exactly the core's post-processing.
        let rows: Vec<NicheSuffRelease> = run(store.release_log(KIND_SUFFSTAT, p))
            .unwrap()
            .iter()
            .map(|row| decode(row).unwrap())
            .collect();
        assert_eq!(rows.len(), 2 * niches());
        let served: PosteriorTable = run(store.published_v2(Niche::Fitness))
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(served.release_id, format!("{p}/fitness/explorers"));
        assert_eq!(r.served_by_explorers, vec!["fitness".to_string()]);
        let expected = posteriors(&rows, &c.format2)
            .into_iter()
            .find(|t| t.niche == Niche::Fitness)
            .unwrap();
        assert_eq!(served, expected);
        // Again in the same period: nothing new is drawn or charged.
        let again = publish(&store, NOW + 1_000, &c, 4);
        assert!(again.released.is_empty(), "{again:?}");
        assert_eq!(again.unchanged.len(), 2 * niches());
        assert_eq!(run(store.ledger("x00")).unwrap().len(), 1);
    }

    #[test]
    fn a_release_past_an_accounts_cap_is_refused() {
        let store = store_with(60);
        // Two releases fit under the cap (2 x 4.40), a third does not.
        let c = config(
            r#", "privacy_budget": {"rho_cap": 10, "epsilon_cap": 1000, "window_days": 365}"#,
        );
        let p0 = publish(&store, NOW, &c, 1);
        publish(&store, NOW + 7 * DAY_MS, &c, 2);
        let bulk = run(store.published_v2_all()).unwrap().unwrap();
        let kept = run(store.published_v2(Niche::Fitness)).unwrap().unwrap();
        let third = publish(&store, NOW + 14 * DAY_MS, &c, 3);
        assert_eq!(third.failed.len(), 1, "{third:?}");
        assert_eq!(
            (
                third.failed[0].niche.as_str(),
                third.failed[0].code.as_str()
            ),
            ("fitness", BUDGET_EXCEEDED)
        );
        assert!(third.failed[0].message.contains("60 account(s)"));
        // Nothing of it released, recorded or charged; the niches without accounts released.
        assert_eq!(third.released.len(), niches() - 1);
        assert!(run(store.release_log(KIND_SUFFSTAT, third.period))
            .unwrap()
            .iter()
            .all(|r| r.niche != "fitness"));
        assert_eq!(run(store.ledger("f00")).unwrap().len(), 2);
        assert_eq!(
            run(store.published_v2(Niche::Fitness)).unwrap().unwrap(),
            kept
        );
        // The bulk value still carries the refused niche's previous table.
        let all: Vec<PosteriorTable> = run(store.published_v2_all())
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_ne!(run(store.published_v2_all()).unwrap().unwrap(), bulk);
        assert_eq!(
            serde_json::to_string(all.iter().find(|t| t.niche == Niche::Fitness).unwrap()).unwrap(),
            kept.text()
        );
        // Once the first release leaves the 365-day window, the niche is released again.
        let later = publish(&store, NOW + 53 * 7 * DAY_MS, &c, 4);
        assert!(later.failed.is_empty(), "{later:?}");
        assert!(later.released.contains(&"fitness".to_string()));
        assert_eq!(run(store.ledger("f00")).unwrap().len(), 3);
        assert!(later.period > p0.period + 52);
    }

    /// Erasing an account, then publishing, gives exactly the release made without it.
    #[test]
    fn erase_then_publish_equals_publish_without() {
        let c = config("");
        let with = store_with(60);
        account(&with, "x", "fitness", true);
        let first = publish(&with, NOW, &c, 1);
        assert_eq!(first.contributing_accounts, 61);
        assert_eq!(run(with.ledger("x")).unwrap().len(), 1);
        run(with.erase_account("x")).unwrap();
        assert_eq!(with.rows_of("x"), 0, "ledger rows go with the account");
        let without = store_with(60);
        let next = NOW + 7 * DAY_MS;
        let a = publish(&with, next, &c, 9);
        let b = publish(&without, next, &c, 9);
        assert_eq!((a.contributing_accounts, b.contributing_accounts), (60, 60));
        let rows = |s: &MemoryStore| -> Vec<String> {
            run(s.release_log(KIND_SUFFSTAT, a.period))
                .unwrap()
                .into_iter()
                .map(|r| r.release_json)
                .collect()
        };
        assert_eq!(rows(&with), rows(&without));
        assert_eq!(
            run(with.published_v2_all()).unwrap(),
            run(without.published_v2_all()).unwrap()
        );
    }

    /// The niche an account is frozen in for the period is the one it is charged in.
    /// Format 1's data gate (3 campaigns) is not format 2's: an account with 1-2 campaigns
    /// contributes and is charged; one with no platform of 2 records adds nothing and is not.
    #[test]
    fn accounts_below_format_ones_data_gate_contribute_to_format_two() {
        use crate::testing::fixtures::account_in_campaigns;
        let store = store_with(3);
        account_in_campaigns(&store, "two-campaigns", "fitness", 8, 2);
        account_in_campaigns(&store, "one-campaign", "fitness", 4, 1);
        account_in_campaigns(&store, "one-record", "fitness", 1, 1);
        let c = config("");
        let rows = run(store.records("two-campaigns")).unwrap();
        let f1 = crosslearn::wisdom::wisdom_contribution(
            &rows,
            AccountConsent { opted_in: true },
            &InsightOptions::default(),
            &c.release,
        )
        .unwrap();
        assert!(
            f1.is_none(),
            "format 1's data gate should refuse 2 campaigns"
        );
        let r = publish(&store, NOW, &c, 1);
        assert_eq!(r.contributing_accounts, 5, "{r:?}");
        for id in ["two-campaigns", "one-campaign", "f00"] {
            let ledger = run(store.ledger(id)).unwrap();
            assert_eq!(ledger.len(), 1, "{id}: {ledger:?}");
            assert_eq!(ledger[0].release_id, format!("{}/fitness", r.period));
        }
        assert!(run(store.ledger("one-record")).unwrap().is_empty());
        assert!(run(store.ledger("out")).unwrap().is_empty());
    }

    #[test]
    fn membership_is_shared_with_format_one() {
        let store = store_with(3);
        let c = config("");
        let period = period_at(NOW, &c.release);
        // Frozen earlier in the period (as a format-1 run would have) in another niche.
        run(store.freeze_niches(period, &[("f00".to_string(), Niche::Beauty)])).unwrap();
        let r = publish(&store, NOW, &c, 1);
        assert_eq!(r.contributing_accounts, 2);
        assert!(run(store.ledger("f00")).unwrap().is_empty());
    }

    #[test]
    fn the_privacy_answer_sums_the_window() {
        let store = store_with(60);
        let c = config("");
        let r = publish(&store, NOW, &c, 1);
        let answer = run(account_privacy(&store, "f00", NOW, &c)).unwrap();
        assert_eq!(answer.releases.len(), 1);
        assert!((answer.window_rho - r.rho_per_release).abs() < 1e-12);
        assert!((answer.window_epsilon - 20.0).abs() < 1e-6, "{answer:?}");
        assert_eq!(answer.epsilon_cap, 1000.0);
        // A year later the release has left the window (still listed).
        let later = run(account_privacy(&store, "f00", NOW + 366 * DAY_MS, &c)).unwrap();
        assert_eq!((later.releases.len(), later.window_rho), (1, 0.0));
    }

    /// A run that fails as a whole (storage down) is a report listing every niche, not an error.
    #[test]
    fn a_failed_run_is_reported_per_niche() {
        let store = store_with(3);
        let c = config("");
        store.fail.set(true);
        let e = run(publish_format2(
            &store,
            &store,
            NOW,
            &c,
            &mut noise_rng_from_seed(1),
        ))
        .unwrap_err();
        let r = failed_run(NOW, &c, &e);
        assert_eq!(r.failed.len(), niches());
        assert!(r.failed.iter().all(|f| f.code == e.code()));
        assert!(r.released.is_empty() && r.rho_per_release > 0.0);
    }

    /// Format 2's cap counts format 1's pure epsilon: after a format-1 release at epsilon 5, a
    /// format-2 release (epsilon 20 at 1e-6) would be 25 > 24, so it is refused; the account's
    /// answer states both parts.
    #[test]
    fn format_2_is_refused_when_format_1_already_spent_the_rest() {
        let store = store_with(60);
        let c = publish_config(Some(
            r#"{"epsilon": 5.0, "budget_per_window": 100.0,
                "format2": {"k": 1, "epsilon": 20.0, "count_epsilon": 0.5},
                "privacy_budget": {"rho_cap": 10, "epsilon_cap": 24}}"#,
        ))
        .unwrap();
        let f1 = run(crate::service::publish::publish(
            &store, &store, NOW, &c.release, &c.budget, 1,
        ))
        .unwrap();
        assert!(f1.failed.is_empty(), "{f1:?}");
        let r = publish(&store, NOW, &c, 1);
        assert!(!r.released.contains(&"fitness".to_string()), "{r:?}");
        let fitness = r.failed.iter().find(|f| f.niche == "fitness").unwrap();
        assert_eq!(fitness.code, BUDGET_EXCEEDED);
        assert!(!run(store.release_log(KIND_SUFFSTAT, r.period))
            .unwrap()
            .iter()
            .any(|row| row.niche == "fitness"));
        let answer = run(account_privacy(&store, "f00", NOW, &c)).unwrap();
        assert_eq!(answer.releases.len(), 1);
        assert_eq!(
            (
                answer.window_pure_epsilon,
                answer.window_rho,
                answer.window_epsilon
            ),
            (5.0, 0.0, 5.0)
        );
    }
}
