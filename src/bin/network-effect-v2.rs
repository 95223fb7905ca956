//! The network-effect study of release format 2 (logic in `crosslearn::study_v2`); prints the
//! markdown tables of `docs/network-effect.md` ("Release format 2", "Simulator v2"). **All
//! numbers are SIMULATED.**
//!
//! `cargo run --release --bin network-effect-v2 -- [--sim v1|v2] [--seeds 101,102,103,104,105]
//! [--sizes 200,2000,10000] [--new-accounts 900] [--config FILE] [--truth-prior FILE]
//! [--truth-seed 1001,1002,1003,1004,1005] [--explore SHARE] [--explore-creatives SHARE]
//! [--release-from all|explorers|split] [--mislabel SHARE] [--briefs uniform|thompson|plausible|plausible-after-uniform]
//! [--grounding DATA_DIR]`
//!
//! `--config FILE`: a release configuration (JSON, `SuffStatConfig`; unknown keys are errors).
//! `--sim v2` uses simulator v2 with the prior `--truth-prior FILE` (default: the committed
//! `data/sim-v2-prior.json`) and the truth seeds `--truth-seed` (one seed for every replicate, or
//! one per `--seeds` entry, paired in order; default the reporting truths 1001-1005).
//! `--explore SHARE` (simulator v2): that share of the network's accounts is an exploration
//! cohort whose creatives' attributes are randomised (`--explore-creatives SHARE`: that share of
//! each cohort account's creatives, default 1); `--release-from explorers` releases only the
//! randomised records, `split` keeps them apart as production does (default `all`);
//! `--mislabel SHARE`: that share of the creatives marked randomised were in fact chosen.
//! `--briefs thompson`: the cohort's randomised creatives are Thompson draws from the release
//! the network had before the cohort (default `uniform`: every value alike).
//! `--grounding DATA_DIR` prints the export over-dispersion table the prior is derived from.

use crosslearn::privacy::zcdp::{epsilon_of_rho, BudgetPolicy};
use crosslearn::sim::v2::SimV2Prior;
use crosslearn::study_v2::{
    mean_ci95, summarise_pairs, Briefs, ReleaseFrom, SimVersion, StudyV2Config, StudyV2Summary,
    HORIZONS,
};
use crosslearn::wisdom::suffstat::SuffStatConfig;

fn list(args: &[String], name: &str, default: &[u64]) -> Vec<u64> {
    let Some(i) = args.iter().position(|a| a == name) else {
        return default.to_vec();
    };
    let parsed: Option<Vec<u64>> = args
        .get(i + 1)
        .map(|v| v.split(',').map(|x| x.trim().parse::<u64>().ok()).collect())
        .unwrap_or(None);
    match parsed {
        Some(v) if !v.is_empty() => v,
        _ => {
            eprintln!("{name} needs a comma-separated list of non-negative integers");
            std::process::exit(2);
        }
    }
}

fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("network-effect-v2 failed: {e}");
    std::process::exit(1);
}

fn ci(t: (f64, f64, f64)) -> String {
    format!(
        "{:.1} % [{:.1}, {:.1}]",
        100.0 * t.0,
        100.0 * t.1,
        100.0 * t.2
    )
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// `--grounding DIR`: the over-dispersion of CTR in the real exports (simulator v2's prior).
fn grounding(dir: &str) {
    use crosslearn::import::import_csv;
    use crosslearn::sim::v2::grounding::measure_dispersion;
    println!("| export | units | strata | Pearson dispersion | tau (logit sd beyond binomial) | tau DL (weighted) | robust tau | excess kurtosis of z | share abs(z) > 3 | hook tau (values) | CTA tau (values) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for file in [
        "src_ads_creative_facebook_all_data.csv",
        "src_ads_tiktok_ads_all_data.csv",
        "KAG_conversion_data.csv",
    ] {
        let bytes = std::fs::read(format!("{dir}/{file}")).unwrap_or_else(|e| fail(e));
        let records = import_csv(&bytes).unwrap_or_else(|e| fail(e)).accepted;
        let d = measure_dispersion(&records, 1000);
        println!(
            "| {file} | {} | {} | {:.1} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} % | {:.3} ({}) | {:.3} ({}) |",
            d.units,
            d.strata,
            d.pearson_dispersion,
            d.tau,
            d.tau_dl,
            d.robust_tau,
            d.excess_kurtosis,
            100.0 * d.tail_share,
            d.hook_tau,
            d.hook_values,
            d.cta_tau,
            d.cta_values
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--grounding") {
        let dir = args
            .get(i + 1)
            .unwrap_or_else(|| fail("--grounding needs a directory"));
        grounding(dir);
        return;
    }
    let seeds = list(&args, "--seeds", &[101, 102, 103, 104, 105]);
    let sizes = list(&args, "--sizes", &[200, 2000, 10000]);
    let new_accounts = list(&args, "--new-accounts", &[900])[0] as u32;
    let release = match args.iter().position(|a| a == "--config") {
        Some(i) => {
            let path = args
                .get(i + 1)
                .unwrap_or_else(|| fail("--config needs a file"));
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(e));
            SuffStatConfig::from_json(&text).unwrap_or_else(|e| fail(e))
        }
        None => SuffStatConfig::default(),
    };
    let plan = release.validate().unwrap_or_else(|e| fail(e));
    let sim = match args.iter().position(|a| a == "--sim") {
        None => SimVersion::V1,
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("v1") => SimVersion::V1,
            Some("v2") => SimVersion::V2,
            _ => fail("--sim needs v1 or v2"),
        },
    };
    let (prior, prior_name) = match args.iter().position(|a| a == "--truth-prior") {
        Some(i) => {
            let path = args
                .get(i + 1)
                .unwrap_or_else(|| fail("--truth-prior needs a file"));
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(e));
            let p = SimV2Prior::from_json(&text).unwrap_or_else(|e| fail(e));
            let hash = format!("{:016x}", crosslearn::sim::fnv1a64(text.as_bytes()));
            (Some(p), format!("{path} (FNV-1a 64 {hash})"))
        }
        None => (
            None,
            format!(
                "data/sim-v2-prior.json (FNV-1a 64 {})",
                crosslearn::sim::v2::SIM_V2_PRIOR_HASH
            ),
        ),
    };
    if sim == SimVersion::V1 && (prior.is_some() || args.iter().any(|a| a == "--truth-seed")) {
        fail("--truth-prior and --truth-seed need --sim v2");
    }
    let truths = list(&args, "--truth-seed", &[1001, 1002, 1003, 1004, 1005]);
    let exploration_share = match args.iter().position(|a| a == "--explore") {
        None => 0.0,
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| (0.0..=1.0).contains(v))
            .unwrap_or_else(|| fail("--explore needs a share in 0..=1")),
    };
    let creative_share = match args.iter().position(|a| a == "--explore-creatives") {
        None => 1.0,
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| (0.0..=1.0).contains(v))
            .unwrap_or_else(|| fail("--explore-creatives needs a share in 0..=1")),
    };
    let release_from = match args.iter().position(|a| a == "--release-from") {
        None => ReleaseFrom::All,
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("all") => ReleaseFrom::All,
            Some("explorers") => ReleaseFrom::Explorers,
            Some("split") => ReleaseFrom::Split,
            _ => fail("--release-from needs all, explorers or split"),
        },
    };
    let mislabel_share = match args.iter().position(|a| a == "--mislabel") {
        None => 0.0,
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| (0.0..=1.0).contains(v))
            .unwrap_or_else(|| fail("--mislabel needs a share in 0..=1")),
    };
    let briefs = match args.iter().position(|a| a == "--briefs") {
        None => Briefs::Uniform,
        Some(i) => match args.get(i + 1).map(String::as_str) {
            Some("uniform") => Briefs::Uniform,
            Some("thompson") => Briefs::Thompson,
            Some("plausible") => Briefs::Plausible,
            Some("plausible-after-uniform") => Briefs::PlausibleAfterUniform,
            _ => fail("--briefs needs uniform, thompson, plausible or plausible-after-uniform"),
        },
    };
    let pairs: Vec<(u64, u64)> = if sim == SimVersion::V1 {
        seeds.iter().map(|s| (*s, 0)).collect()
    } else if truths.len() == 1 {
        seeds.iter().map(|s| (*s, truths[0])).collect()
    } else if truths.len() == seeds.len() {
        seeds.iter().copied().zip(truths.iter().copied()).collect()
    } else {
        fail("--truth-seed needs one seed or as many as --seeds (paired in order)")
    };
    let policy = BudgetPolicy::default();
    // The most releases one rolling window can hold at this cadence.
    let per_year = (policy.window_days as f64 / f64::from(release.period_days)).ceil();
    let sim_name = match sim {
        SimVersion::V1 => "frozen simulator `simulator-v1`".to_string(),
        SimVersion::V2 => format!(
            "simulator v2, prior {prior_name}, (network seed, truth seed) pairs {:?}; exploration cohort {:.0} % of the network ({:.0} % of each cohort account's creatives randomised, {:.0} % of those in fact chosen, {}), release from {}",
            pairs,
            100.0 * exploration_share,
            100.0 * creative_share,
            100.0 * mislabel_share,
            match briefs {
                Briefs::Uniform => "uniform briefs",
                Briefs::Thompson => "Thompson briefs from the release before the cohort",
                Briefs::Plausible => "uniform briefs among the values the release before the cohort does not rule out",
                Briefs::PlausibleAfterUniform => "uniform briefs among the values a period of uniform briefs' release does not rule out",
            },
            match release_from {
                ReleaseFrom::All => "all accounts",
                ReleaseFrom::Explorers => "the randomised records only",
                ReleaseFrom::Split => "explorers kept apart (contribute: split)",
            }
        ),
    };
    println!(
        "**SIMULATED DATA - not real ad performance.** {sim_name}; release format 2 \
         (k {}, epsilon {} at delta {:e} per release: rho {:.4}, of which the count's {:.5}; clip norm {}), \
         one release per {} days; {}; seeds {:?}; {} new accounts per seed; greedy policy on the posterior means.\n",
        release.k,
        release.epsilon,
        release.delta,
        plan.rho,
        plan.rho_count,
        release.clip_norm,
        release.period_days,
        if release.combine_periods > 1 {
            format!(
                "posteriors combine the niche's last {} releases (the same pool released once per period with fresh noise, every release charged)",
                release.combine_periods
            )
        } else {
            "posteriors from the latest release alone".to_string()
        },
        seeds,
        new_accounts
    );
    println!(
        "Privacy per account: rho {:.4} per release; {} releases per 365-day window -> rho {:.3}, epsilon {:.2} at delta {:e} per year (cap rho {} = epsilon {:.2}).\n",
        plan.rho,
        per_year,
        plan.rho * per_year,
        epsilon_of_rho(plan.rho * per_year, release.delta),
        release.delta,
        policy.rho_cap,
        epsilon_of_rho(policy.rho_cap, release.delta),
    );
    let mut sums: Vec<(u64, StudyV2Summary)> = Vec::new();
    for &size in &sizes {
        let base = StudyV2Config {
            accounts_per_niche: size as u32,
            new_accounts,
            release: release.clone(),
            sim,
            prior: prior.clone(),
            exploration_share,
            creative_share,
            release_from,
            briefs,
            mislabel_share,
            ..StudyV2Config::default()
        };
        let started = std::time::Instant::now();
        let s = summarise_pairs(&base, &pairs).unwrap_or_else(|e| fail(e));
        let net_ctr = |k: usize| {
            let v: Vec<f64> = s.runs.iter().filter_map(|r| r.network_ctr[k]).collect();
            if v.is_empty() {
                "-".to_string()
            } else {
                format!("{:.3} %", 100.0 * mean(v.into_iter()))
            }
        };
        eprintln!(
            "size {size}: share {} (per-account oracle {}), network CTR chosen / randomised records {} / {}, {:.0} s",
            ci(s.share),
            ci(s.share_account_oracle),
            net_ctr(0),
            net_ctr(1),
            started.elapsed().as_secs_f64()
        );
        sums.push((size, s));
    }
    println!("### Share of the oracle's gain (first 10 launches)\n");
    println!("| accounts per niche | share of the niche-level oracle's gain (mean [95 % CI]) | per replicate | meta | tiktok | google_ads | share of the per-account oracle's gain | per-account: meta / tiktok / google_ads | guided / unguided / niche oracle / per-account oracle CTR | niches published | values: niche / global-only (per niche) | contributions clipped |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (size, s) in &sums {
        let per_seed: Vec<String> = s
            .runs
            .iter()
            .map(|r| format!("{:.1}", 100.0 * r.share))
            .collect();
        let plat: Vec<String> = (0..3)
            .map(|k| {
                format!(
                    "{:.1} %",
                    100.0 * mean(s.runs.iter().map(|r| r.share_by_platform[k]))
                )
            })
            .collect();
        let mut ctr: Vec<String> = (0..3)
            .map(|a| {
                format!(
                    "{:.3} %",
                    100.0 * mean(s.runs.iter().map(|r| r.mean_ctr[a]))
                )
            })
            .collect();
        ctr.push(format!(
            "{:.3} %",
            100.0 * mean(s.runs.iter().map(|r| r.mean_ctr_account_oracle))
        ));
        let plat_a: Vec<String> = (0..3)
            .map(|k| {
                format!(
                    "{:.1} %",
                    100.0 * mean(s.runs.iter().map(|r| r.share_account_oracle_by_platform[k]))
                )
            })
            .collect();
        println!(
            "| {size} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1}/15 | {:.1} / {:.1} | {:.1} % |",
            ci(s.share),
            per_seed.join(", "),
            plat[0],
            plat[1],
            plat[2],
            ci(s.share_account_oracle),
            plat_a.join(" / "),
            ctr.join(" / "),
            mean(s.runs.iter().map(|r| f64::from(r.published_niches))),
            mean(s.runs.iter().map(|r| f64::from(r.niche_values) / 15.0)),
            mean(s.runs.iter().map(|r| f64::from(r.global_values) / 15.0)),
            100.0 * mean(s.runs.iter().map(|r| r.clipped_share)),
        );
    }
    println!("\n### Regret (niche-level oracle minus guided true CTR, percentage points; mean over replicates)\n");
    let hz: Vec<String> = HORIZONS.iter().map(|h| h.to_string()).collect();
    println!(
        "| accounts per niche | greedy: per launch over {} launches | greedy: cumulative over {} launches | greedy vs the per-account oracle: cumulative | Thompson in a loop on own clicks: cumulative | Thompson: share of the oracle's gain, first 10 | unguided cumulative (reference) |",
        hz.join(" / "),
        hz.join(" / ")
    );
    println!("|---|---|---|---|---|---|---|");
    for (size, s) in &sums {
        let f = |g: &dyn Fn(&crosslearn::study_v2::StudyV2Result) -> [f64; 3], d: usize| {
            (0..3)
                .map(|h| format!("{:.*}", d, mean(s.runs.iter().map(|r| g(r)[h]))))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        println!(
            "| {size} | {} | {} | {} | {} | {:.1} % | {} |",
            f(&|r| r.regret_per_launch, 4),
            f(&|r| r.regret_cumulative, 3),
            f(&|r| r.account_oracle_regret_cumulative, 3),
            f(&|r| r.thompson_regret_cumulative, 3),
            100.0 * mean(s.runs.iter().map(|r| r.thompson_share)),
            f(&|r| r.unguided_regret_cumulative, 3),
        );
    }
    if sim == SimVersion::V2 {
        explorers_cost(&sums, creative_share);
    }
}

/// What exploring costs an account that would otherwise follow the release (simulator v2): the
/// new accounts' first 10 launches as randomised briefs beside the guided ones, and an explorer
/// randomising a share of its launches (relative to following the release on every launch).
fn explorers_cost(sums: &[(u64, StudyV2Summary)], creative_share: f64) {
    println!("\n### What exploring costs (first 10 launches of the new accounts, true CTR)\n");
    let mut shares = vec![0.25, 0.5];
    if !shares.contains(&creative_share) && creative_share < 1.0 {
        shares.push(creative_share);
    }
    let head: Vec<String> = shares
        .iter()
        .map(|c| {
            format!(
                "randomising {:.0} %: CTR, vs guided on every launch",
                100.0 * c
            )
        })
        .collect();
    println!(
        "| accounts per niche | guided | unguided (own choices) | randomised brief | {} |",
        head.join(" | ")
    );
    println!("|---|---|---|---|{}", "---|".repeat(shares.len()));
    for (size, s) in sums {
        let cells: Vec<String> = shares
            .iter()
            .map(|&c| {
                let ctr: Vec<f64> = s
                    .runs
                    .iter()
                    .map(|r| r.explorer_ctr(c).unwrap_or_else(|e| fail(e)))
                    .collect();
                let rel: Vec<f64> = s
                    .runs
                    .iter()
                    .zip(&ctr)
                    .map(|(r, x)| x / r.mean_ctr[0] - 1.0)
                    .collect();
                let (m, lo, hi) = mean_ci95(&rel);
                format!(
                    "{:.3} %, {:+.1} % [{:+.1}, {:+.1}]",
                    100.0 * mean(ctr.iter().copied()),
                    100.0 * m,
                    100.0 * lo,
                    100.0 * hi
                )
            })
            .collect();
        println!(
            "| {size} | {:.3} % | {:.3} % | {:.3} % | {} |",
            100.0 * mean(s.runs.iter().map(|r| r.mean_ctr[0])),
            100.0 * mean(s.runs.iter().map(|r| r.mean_ctr[1])),
            100.0 * mean(s.runs.iter().filter_map(|r| r.randomised_ctr)),
            cells.join(" | ")
        );
    }
}
