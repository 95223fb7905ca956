//! What a private niche-wisdom release publishes as the network grows (SIMULATED DATA): print
//! markdown tables (the numbers in docs/privacy.md):
//! `cargo run --release --bin eval-wisdom [-- --config release.json]`.
//!
//! For 10, 50, 200 and 500 opted-in accounts per niche (simulator-v1, seed 1, all 15 niches,
//! every account opted in and gated on 1 campaign), each niche is released with 5 noise seeds at
//! the given (default) configuration. Reported per size: share of niche releases published,
//! share of (niche, platform) cells with a published CTR benchmark, the median absolute error of
//! the published CTR median against the exact (noise-free) histogram's median, in log2 units
//! (1.0 = off by a factor 2), the same for p10 and p90 with their mean signed error (bias), each
//! beside what clamping the noisy counts at 0 gave on the same noise (the quantiles before
//! `denoise_histogram`), the median of |noisy count − true count|, and the average number of
//! published attribute lifts and frequency-list entries per release.

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::rng::Rng;
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::wisdom::layout::{GroupKind, Layout, CTR_BINS};
use crosslearn::wisdom::release::{histogram_benchmark, noisy_aggregate};
use crosslearn::wisdom::{
    release_wisdom, wisdom_contribution, AccountConsent, ContributionPool, ReleaseConfig, ReleaseId,
};
use std::collections::BTreeMap;

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let config: ReleaseConfig = match args.iter().position(|a| a == "--config") {
        Some(i) => {
            let path = args.get(i + 1).expect("--config needs a path");
            let text = std::fs::read_to_string(path).expect("reading the config");
            serde_json::from_str(&text).expect("a ReleaseConfig JSON")
        }
        None => ReleaseConfig::default(),
    };
    let layout = Layout::new(&config).expect("valid config");
    let opts = InsightOptions {
        min_campaigns: 1,
        ..Default::default()
    };
    println!("SIMULATED DATA (simulator-v1, seed 1). Release config: k {}, epsilon {} per release, max_platforms {}.\n", config.k, config.epsilon, config.bounds.max_platforms);
    println!("| accounts / niche | releases published | CTR cells published | CTR p50 error (median abs log2) | p10 error: denoised (clamped) | p90 error: denoised (clamped) | p10 / p90 bias, mean log2: denoised (clamped) | count error (median abs) | lifts / release | frequency entries / release |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for per_niche in [10u32, 50, 200, 500] {
        let net = generate_network(&SimOptions {
            seed: 1,
            accounts: per_niche * 15,
            effect_scale: None,
        })
        .expect("network");
        let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
        for r in &net.records {
            by.entry(r.account_id.as_str()).or_default().push(r.clone());
        }
        let mut pool = ContributionPool::new();
        for (id, rs) in &by {
            let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, &config)
                .expect("contribution");
            pool.set(id, c).expect("pool");
        }
        let (mut releases, mut published, mut cells, mut cells_pub) = (0, 0, 0, 0);
        let (mut errs, mut count_errs) = (Vec::new(), Vec::new());
        // p10 and p90 log2 errors: [denoised, clamped] x [p10, p90].
        let mut tails: [[Vec<f64>; 2]; 2] = Default::default();
        let (mut lifts, mut freqs) = (0usize, 0usize);
        let g = layout.group(GroupKind::CtrHistogram);
        for niche in Niche::ALL {
            let agg = pool.aggregate(niche);
            for seed in 0..5u64 {
                let id = ReleaseId {
                    period: seed as u32,
                    niche,
                };
                let w = release_wisdom(&agg, id, &config, &mut Rng::stream(seed, niche as u64))
                    .expect("release");
                // The same noise draw (release_wisdom draws exactly this, in this order).
                let noisy = noisy_aggregate(&layout, &agg, &mut Rng::stream(seed, niche as u64));
                releases += 1;
                if let Some(n) = w.sample_size {
                    count_errs.push((n as f64 - agg.accounts as f64).abs());
                }
                if !w.published {
                    continue;
                }
                published += 1;
                lifts += w.lifts.len();
                freqs += w.top_hook_types.len()
                    + w.proven_cta_styles.len()
                    + w.winning_visual_patterns.len()
                    + w.peak_hours.len()
                    + usize::from(w.optimal_duration.is_some());
                for (p, platform) in Platform::KNOWN.into_iter().enumerate() {
                    let exact: Vec<f64> = (0..CTR_BINS.len())
                        .map(|b| agg.sums[g.start + p * CTR_BINS.len() + b] as f64)
                        .collect();
                    let Some(truth) = histogram_benchmark(&exact, CTR_BINS, 1.0) else {
                        continue;
                    };
                    cells += 1;
                    if let Some(published) = w.ctr_prior(platform) {
                        cells_pub += 1;
                        errs.push((published / truth.p50).log2().abs());
                        let now = w
                            .platforms
                            .iter()
                            .find(|x| x.platform == platform)
                            .and_then(|x| x.ctr)
                            .expect("a published CTR benchmark");
                        let slice: Vec<f64> = (0..CTR_BINS.len())
                            .map(|b| noisy.sums[g.start + p * CTR_BINS.len() + b] as f64)
                            .collect();
                        let clamped: Vec<f64> = slice.iter().map(|v| v.max(0.0)).collect();
                        let before =
                            histogram_benchmark(&clamped, CTR_BINS, 0.0).expect("a positive total");
                        for (i, m) in [now, before].iter().enumerate() {
                            tails[i][0].push((m.p10 / truth.p10).log2());
                            tails[i][1].push((m.p90 / truth.p90).log2());
                        }
                    }
                }
            }
        }
        let abs = |v: &Vec<f64>| median(v.iter().map(|x| x.abs()).collect());
        let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
        let (p10, p90) = if errs.is_empty() {
            ("n/a".to_string(), "n/a".to_string())
        } else {
            (
                format!("{:.2} ({:.2})", abs(&tails[0][0]), abs(&tails[1][0])),
                format!("{:.2} ({:.2})", abs(&tails[0][1]), abs(&tails[1][1])),
            )
        };
        let bias = if errs.is_empty() {
            "n/a".to_string()
        } else {
            format!(
                "{:+.2} / {:+.2} ({:+.2} / {:+.2})",
                mean(&tails[0][0]),
                mean(&tails[0][1]),
                mean(&tails[1][0]),
                mean(&tails[1][1])
            )
        };
        println!(
            "| {per_niche} | {:.0} % | {:.0} % | {} | {p10} | {p90} | {bias} | {:.1} | {:.1} | {:.1} |",
            100.0 * published as f64 / releases as f64,
            100.0 * cells_pub as f64 / cells.max(1) as f64,
            // No published cell: no error to report (not NaN).
            if errs.is_empty() {
                "n/a".to_string()
            } else {
                format!("{:.2}", median(errs))
            },
            median(count_errs),
            lifts as f64 / published.max(1) as f64,
            freqs as f64 / published.max(1) as f64,
        );
    }
}
