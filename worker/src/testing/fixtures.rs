//! Fixtures shared by the services' tests: a fixed "now" and accounts with made-up records
//! (SIMULATED: generated here, not real data).

use crate::ports::{Account, Accounts, Consent, Records};
use crate::testing::{run, MemoryStore};
use crosslearn::record::{validate_records, RecordInput, RecordSource};

/// One day, ms.
pub const DAY_MS: u64 = 86_400_000;
/// A Thursday, 2026-01-01 (day 20454): period 2922 of the weekly cadence.
pub const NOW: u64 = 20_454 * DAY_MS + 3_600_000;

/// An account of `niche` with 12 made-up records over 3 campaigns, opted in or not.
pub fn account(store: &MemoryStore, id: &str, niche: &str, opted_in: bool) {
    account_with(store, id, niche, opted_in, 12, 3);
}

/// An account of `niche` with `n` made-up records over `campaigns` campaigns, opted in or not.
fn account_with(
    store: &MemoryStore,
    id: &str,
    niche: &str,
    opted_in: bool,
    n: usize,
    campaigns: usize,
) {
    let account = Account {
        account_id: id.into(),
        created_at: "t".into(),
    };
    assert!(run(store.create_account(&account, &format!("h-{id}"))).unwrap());
    insert(store, id, niche, 0, n, campaigns);
    let consent = Consent {
        opted_in,
        updated_at: None,
    };
    run(store.set_consent(id, &consent)).unwrap();
}

/// Add `n` more made-up records of `niche` to the account (ids after its first 12).
pub fn add_records(store: &MemoryStore, id: &str, niche: &str, n: usize) {
    insert(store, id, niche, 12, n, 3);
}

/// An opted-in account of `niche` with `n` made-up records over `campaigns` campaigns (fewer
/// than 3 fails format 1's data gate).
pub fn account_in_campaigns(
    store: &MemoryStore,
    id: &str,
    niche: &str,
    n: usize,
    campaigns: usize,
) {
    account_with(store, id, niche, true, n, campaigns);
}

/// An opted-in account of `niche` whose 12 made-up records were all made from randomised briefs
/// (`assignment: randomised`): an explorer.
pub fn explorer(store: &MemoryStore, id: &str, niche: &str) {
    account_with(store, id, niche, true, 0, 3);
    insert_as(store, id, niche, 0, 12, 3, Some("randomised"));
}

fn insert(store: &MemoryStore, id: &str, niche: &str, from: usize, n: usize, campaigns: usize) {
    insert_as(store, id, niche, from, n, campaigns, None);
}

fn insert_as(
    store: &MemoryStore,
    id: &str,
    niche: &str,
    from: usize,
    n: usize,
    campaigns: usize,
    assignment: Option<&str>,
) {
    let hooks = ["question", "pain_point", "offer", "social_proof"];
    let inputs: Vec<RecordInput> = (from..from + n)
        .map(|i| RecordInput {
            record_id: Some(format!("{id}-{i}")),
            account_id: Some(id.into()),
            campaign_id: Some(format!("c{}", i % campaigns)),
            platform: Some("meta".into()),
            niche: Some(niche.into()),
            hook_type: Some(hooks[i % 4].into()),
            cta_style: Some("shop_now".into()),
            format: Some("video".into()),
            duration_s: Some(15.0 + i as f64),
            posting_hour: Some((8 + i % 12) as f64),
            impressions: Some(20_000.0),
            clicks: Some(300.0 + 10.0 * i as f64),
            conversions: Some(20.0),
            spend: Some(150.0),
            revenue: Some(600.0),
            assignment: assignment.map(str::to_string),
            ..RecordInput::default()
        })
        .collect();
    let report = validate_records(&inputs, RecordSource::Simulated);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    run(store.insert_records(id, &report.accepted, "t")).unwrap();
}

/// A per-account budget no test publication reaches: for functional tests that publish at a
/// large epsilon (noise negligible, counts exact) and are not about the cap.
pub fn uncapped() -> crosslearn::privacy::zcdp::BudgetPolicy {
    crosslearn::privacy::zcdp::BudgetPolicy {
        rho_cap: 1e9,
        epsilon_cap: 1e9,
        ..Default::default()
    }
}

/// The repository's `models/<name>` (native tests read it from the checkout; empty where there
/// is no file system).
pub fn repository_model(name: &str) -> Vec<u8> {
    let path = format!("{}/../models/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_default()
}

/// The niche classifier as the Worker loads it: the repository's file through
/// [`crate::service::models::load`] over a seeded [`crate::testing::MemoryModels`], once per
/// test binary.
pub fn niche_model() -> &'static crosslearn::niche::NicheModel {
    use crate::service::models::{load, NicheCache};
    static CACHE: NicheCache = NicheCache::new();
    let store = crate::testing::MemoryModels::seeded();
    &run(load(&store, &CACHE))
        .expect("models/niche-v2.bin loads")
        .model
}

/// A small SIMULATED fitness network, 8 opted-in accounts made by [`account`] (returned), with
/// both release formats published into `kv` by the cron's own code at [`NOW`]: format 1 at k 3,
/// ε 100 (so the noisy counts are about exact: a test setting, never a privacy setting), then
/// format 2 (k 3, ε 5) under the returned config. Returns the network, both publication reports
/// and that config.
pub fn published_fitness_network(
    kv: &MemoryStore,
) -> (
    MemoryStore,
    crate::service::publish::PublishReport,
    crate::service::format2::Format2Report,
    crate::ports::PublishConfig,
) {
    let net = MemoryStore::new();
    for i in 0..8 {
        account(&net, &format!("f{i}"), "fitness", true);
    }
    let release = crosslearn::wisdom::ReleaseConfig {
        k: 3,
        epsilon: 100.0,
        budget_per_window: 400.0,
        ..Default::default()
    };
    let report = run(crate::service::publish::publish(
        &net,
        kv,
        NOW,
        &release,
        &uncapped(),
        7,
    ))
    .unwrap();
    let config = crate::http::json::publish_config(Some(
        r#"{"k": 3, "epsilon": 100.0, "budget_per_window": 400.0,
            "format2": {"k": 3, "epsilon": 5.0, "count_epsilon": 0.5},
            "privacy_budget": {"epsilon_cap": 1000}}"#,
    ))
    .unwrap();
    let format2 = run(crate::service::format2::publish_format2(
        &net,
        kv,
        NOW,
        &config,
        &mut crosslearn::privacy::dgauss::noise_rng_from_seed(7),
    ))
    .unwrap();
    (net, report, format2, config)
}
