//! Write a wisdom release made by the core from a SIMULATED network, in the shape the Worker's
//! bulk endpoint serves (`{"niches": [...]}`), for trying `crosslearn score --wisdom FILE`
//! without a Worker (docs/cli.md):
//!
//! ```text
//! cargo run -p crosslearn-cli --example simulated_release -- release.json
//! ```
//!
//! Simulator seed 5, 240 accounts, all opted in, k = 3 and a very large epsilon (nearly
//! noise-free): the numbers are simulated, not anyone's real benchmarks.

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::rng::Rng;
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::wisdom::{
    release_wisdom, wisdom_contribution, AccountConsent, ContributionPool, ReleaseConfig,
    ReleaseId, WisdomBook,
};
use std::collections::BTreeMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: simulated_release OUT.json");
        return ExitCode::from(2);
    };
    match write(&out) {
        Ok(n) => {
            println!("{n} SIMULATED niche releases -> {out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("simulated_release: {e}");
            ExitCode::FAILURE
        }
    }
}

fn write(out: &str) -> Result<usize, String> {
    let config = ReleaseConfig {
        k: 3,
        epsilon: 10_000.0,
        budget_per_window: 40_000.0,
        ..Default::default()
    };
    let net = generate_network(&SimOptions {
        seed: 5,
        accounts: 240,
        effect_scale: None,
    })
    .map_err(|e| e.to_string())?;
    let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in &net.records {
        by.entry(r.account_id.as_str()).or_default().push(r.clone());
    }
    let opts = InsightOptions {
        min_campaigns: 1,
        ..Default::default()
    };
    let mut pool = ContributionPool::new();
    for (id, rs) in &by {
        let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, &config)
            .map_err(|e| e.to_string())?;
        pool.set(id, c).map_err(|e| e.to_string())?;
    }
    let mut book = WisdomBook::default();
    for n in Niche::ALL {
        let id = ReleaseId {
            period: 1,
            niche: n,
        };
        let w = release_wisdom(&pool.aggregate(n), id, &config, &mut Rng::new(3))
            .map_err(|e| e.to_string())?;
        if w.published {
            book.insert(w);
        }
    }
    let json = serde_json::to_string_pretty(&serde_json::json!({ "niches": book.releases }))
        .map_err(|e| e.to_string())?;
    std::fs::write(out, json).map_err(|e| format!("{out}: {e}"))?;
    Ok(book.releases.len())
}
