//! What a private niche-wisdom release publishes as the network grows (SIMULATED DATA): print
//! markdown tables (the numbers in docs/privacy.md):
//! `cargo run --release --bin eval-wisdom [-- --config release.json]`.
//!
//! `--compare BASE.json DIST.json` instead compares the benchmarks of two configurations, the
//! second with a `distributions` section (docs/privacy.md, "The distribution release"): BASE's
//! regular release against DIST's distribution release, on the same aggregates, with each
//! configuration's yearly pure epsilon (`yearly_pure_epsilon`). Options: `--split
//! c,p,ctr,cvr,roas` overrides DIST's distribution split (tuning), `--net-seeds a,b,..` the
//! simulator seeds (default 1), `--noise-seeds a..b` the noise seeds (default 0..5), `--sizes
//! a,b,..` accounts per niche (default 200,500,2000; a network holds at most 10,000 accounts, so
//! larger sizes pool several simulator-v1 networks, seeds `s`, `s + 1,000,000`, ...). Reported per
//! size, configuration and metric (CTR, conversion rate, ROAS): the share of (niche, platform)
//! cells with any contributing account whose benchmark is published, and over published cells the
//! median |log2(published / exact-histogram)| of p10, p50 and p90 with its mean signed value
//! (bias) in brackets; a final `score` line for DIST is what its split was tuned on: the mean over
//! (size, metric, quantile) of the per-cell loss min(|log2 error|, 2), 2 for an unpublished cell
//! (a fixed denominator, so publishing more cells is not penalised by their larger errors).
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

/// A bad argument or input file: one line on stderr and exit code 1 (no panic).
fn fail(e: impl std::fmt::Display) -> ! {
    eprintln!("eval-wisdom failed: {e}");
    std::process::exit(1);
}

/// A release configuration from a JSON file, or [`fail`] naming the file.
fn read_config(path: &str) -> ReleaseConfig {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| fail(format!("{path}: not a ReleaseConfig: {e}")))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--compare") {
        compare::run(&args, i);
        return;
    }
    let config: ReleaseConfig = match args.iter().position(|a| a == "--config") {
        Some(i) => read_config(
            args.get(i + 1)
                .unwrap_or_else(|| fail("--config needs a path")),
        ),
        None => ReleaseConfig::default(),
    };
    let layout = Layout::new(&config).unwrap_or_else(|e| fail(e));
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

mod compare {
    //! `--compare BASE.json DIST.json`: benchmarks of the regular release of BASE against the
    //! distribution release of DIST (module docs of the binary).

    use super::median;
    use crosslearn::insights::InsightOptions;
    use crosslearn::niche::Niche;
    use crosslearn::platform::Platform;
    use crosslearn::privacy::aggregate::Aggregate;
    use crosslearn::rng::Rng;
    use crosslearn::sim::{generate_network, SimOptions};
    use crosslearn::wisdom::layout::{GroupKind, Layout, LogBins, CTR_BINS, CVR_BINS, ROAS_BINS};
    use crosslearn::wisdom::release::histogram_benchmark;
    use crosslearn::wisdom::{
        release_distributions, release_wisdom, wisdom_contribution, yearly_pure_epsilon,
        AccountConsent, ContributionPool, DistributionId, DistributionSplit, MetricBenchmark,
        PlatformWisdom, ReleaseConfig, ReleaseId,
    };
    use std::collections::BTreeMap;

    const METRICS: [(&str, GroupKind, LogBins); 3] = [
        ("CTR", GroupKind::CtrHistogram, CTR_BINS),
        ("CVR", GroupKind::CvrHistogram, CVR_BINS),
        ("ROAS", GroupKind::RoasHistogram, ROAS_BINS),
    ];
    const MAX_NETWORK: u32 = 10_000;
    /// The tuning score's cap on a cell's |log2 error| (a factor 4), and an unpublished cell's loss.
    const CAP: f64 = 2.0;

    fn opt<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    }

    fn list(text: &str) -> Vec<f64> {
        text.split(',')
            .map(|v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| super::fail(format!("{v:?} is not a number")))
            })
            .collect()
    }

    fn metric(p: &PlatformWisdom, m: usize) -> Option<MetricBenchmark> {
        [p.ctr, p.conversion_rate, p.roas][m]
    }

    /// Per metric: cells with any account, published cells, signed log2 errors of p10/p50/p90.
    #[derive(Default)]
    struct Stats {
        cells: [usize; 3],
        published: [usize; 3],
        errors: [[Vec<f64>; 3]; 3],
    }

    impl Stats {
        fn add(&mut self, m: usize, truth: &MetricBenchmark, got: Option<MetricBenchmark>) {
            self.cells[m] += 1;
            if let Some(b) = got {
                self.published[m] += 1;
                for (q, (x, t)) in [(b.p10, truth.p10), (b.p50, truth.p50), (b.p90, truth.p90)]
                    .into_iter()
                    .enumerate()
                {
                    self.errors[m][q].push((x / t).log2());
                }
            }
        }
    }

    /// The pool of `per_niche × 15` simulated accounts (several networks when above 10,000).
    fn pool(seed: u64, per_niche: u32, config: &ReleaseConfig) -> ContributionPool {
        let opts = InsightOptions {
            min_campaigns: 1,
            ..Default::default()
        };
        let mut pool = ContributionPool::new();
        let mut left = per_niche * 15;
        let mut chunk = 0u64;
        while left > 0 {
            let n = left.min(MAX_NETWORK);
            let net = generate_network(&SimOptions {
                seed: seed + 1_000_000 * chunk,
                accounts: n,
                effect_scale: None,
            })
            .expect("network");
            let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
            for r in &net.records {
                by.entry(r.account_id.as_str()).or_default().push(r.clone());
            }
            for (id, rs) in &by {
                let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, config)
                    .expect("contribution");
                pool.set(&format!("{chunk}/{id}"), c).expect("pool");
            }
            left -= n;
            chunk += 1;
        }
        pool
    }

    fn truth(layout: &Layout, agg: &Aggregate, m: usize, p: usize) -> Option<MetricBenchmark> {
        let (_, kind, bins) = METRICS[m];
        let g = layout.group(kind);
        let exact: Vec<f64> = (0..bins.len())
            .map(|b| agg.sums[g.start + p * bins.len() + b] as f64)
            .collect();
        histogram_benchmark(&exact, bins, 1.0)
    }

    pub fn run(args: &[String], i: usize) {
        let usage = || super::fail("--compare BASE.json DIST.json");
        let base = super::read_config(args.get(i + 1).unwrap_or_else(usage));
        let mut dist = super::read_config(args.get(i + 2).unwrap_or_else(usage));
        if let Some(s) = opt(args, "--split") {
            let v = list(s);
            if v.len() != 5 {
                super::fail("--split needs count,platform_counts,ctr,cvr,roas");
            }
            let d = dist
                .distributions
                .as_mut()
                .unwrap_or_else(|| super::fail("DIST has no `distributions` section"));
            d.split = DistributionSplit {
                count: v[0],
                platform_counts: v[1],
                ctr_histogram: v[2],
                cvr_histogram: v[3],
                roas_histogram: v[4],
            };
        }
        let d = dist
            .distributions
            .unwrap_or_else(|| super::fail("DIST has no `distributions` section"));
        let layout = Layout::new(&base).unwrap_or_else(|e| super::fail(format!("BASE: {e}")));
        Layout::distribution(&dist).unwrap_or_else(|e| super::fail(format!("DIST: {e}")));
        let net_seeds: Vec<u64> = opt(args, "--net-seeds")
            .map(|s| list(s).into_iter().map(|v| v as u64).collect())
            .unwrap_or(vec![1]);
        let noise: std::ops::Range<u64> = opt(args, "--noise-seeds")
            .map(|s| {
                const BAD: &str = "--noise-seeds needs a..b (two seeds)";
                let (a, b) = s.split_once("..").unwrap_or_else(|| super::fail(BAD));
                a.parse().unwrap_or_else(|_| super::fail(BAD))
                    ..b.parse().unwrap_or_else(|_| super::fail(BAD))
            })
            .unwrap_or(0..5);
        let sizes: Vec<u32> = opt(args, "--sizes")
            .map(|s| list(s).into_iter().map(|v| v as u32).collect())
            .unwrap_or(vec![200, 500, 2000]);
        println!(
            "SIMULATED DATA (simulator-v1, network seeds {net_seeds:?}, noise seeds {noise:?}, 15 niches, every account opted in).\n"
        );
        println!(
            "- BASE: regular release every {} days at epsilon {} (histograms {:.4} / {:.4} / {:.4} of it); yearly pure epsilon {:.3} (`yearly_pure_epsilon`).",
            base.cadence_days,
            base.epsilon,
            base.split.ctr_histogram,
            base.split.cvr_histogram,
            base.split.roas_histogram,
            yearly_pure_epsilon(&base)
        );
        println!(
            "- DIST: regular release every {} days at epsilon {}, distribution release every {} days at epsilon {} (split count {}, platform counts {}, CTR {}, CVR {}, ROAS {}); yearly pure epsilon {:.3}.\n",
            dist.cadence_days,
            dist.epsilon,
            d.cadence_days,
            d.epsilon,
            d.split.count,
            d.split.platform_counts,
            d.split.ctr_histogram,
            d.split.cvr_histogram,
            d.split.roas_histogram,
            yearly_pure_epsilon(&dist)
        );
        println!("| accounts / niche | config | metric | cells published | p10 error (bias) | p50 error (bias) | p90 error (bias) |");
        println!("|---|---|---|---|---|---|---|");
        let (mut score, mut terms, mut share, mut shares) = (0.0, 0usize, 0.0, 0usize);
        for &per_niche in &sizes {
            let mut stats = [Stats::default(), Stats::default()];
            for &seed in &net_seeds {
                let pool = pool(seed, per_niche, &base);
                for niche in Niche::ALL {
                    let agg = pool.aggregate(niche);
                    for s in noise.clone() {
                        let a = release_wisdom(
                            &agg,
                            ReleaseId {
                                period: s as u32,
                                niche,
                            },
                            &base,
                            &mut Rng::stream(s, niche as u64),
                        )
                        .expect("release");
                        let b = release_distributions(
                            &agg,
                            DistributionId {
                                period: s as u32,
                                niche,
                            },
                            &dist,
                            &mut Rng::stream(s, niche as u64),
                        )
                        .expect("distribution release");
                        for (p, platform) in Platform::KNOWN.into_iter().enumerate() {
                            for m in 0..METRICS.len() {
                                let Some(t) = truth(&layout, &agg, m, p) else {
                                    continue;
                                };
                                let find = |ps: &[PlatformWisdom]| {
                                    ps.iter()
                                        .find(|x| x.platform == platform)
                                        .and_then(|x| metric(x, m))
                                };
                                stats[0].add(m, &t, find(&a.platforms));
                                stats[1].add(m, &t, find(&b.platforms));
                            }
                        }
                    }
                }
            }
            for (c, st) in stats.iter().enumerate() {
                for (m, (name, _, _)) in METRICS.iter().enumerate() {
                    let pubd = st.published[m] as f64 / st.cells[m].max(1) as f64;
                    let cell = |q: usize| {
                        let e = &st.errors[m][q];
                        if e.is_empty() {
                            return "n/a".to_string();
                        }
                        let abs = median(e.iter().map(|x| x.abs()).collect());
                        let bias = e.iter().sum::<f64>() / e.len() as f64;
                        format!("{abs:.2} ({bias:+.2})")
                    };
                    if c == 1 {
                        share += pubd;
                        shares += 1;
                        for q in 0..3 {
                            let capped: f64 =
                                st.errors[m][q].iter().map(|x| x.abs().min(CAP)).sum();
                            let missing = (st.cells[m] - st.published[m]) as f64 * CAP;
                            score += (capped + missing) / st.cells[m].max(1) as f64;
                            terms += 1;
                        }
                    }
                    println!(
                        "| {per_niche} | {} | {name} | {:.0} % ({} of {}) | {} | {} | {} |",
                        ["BASE", "DIST"][c],
                        100.0 * pubd,
                        st.published[m],
                        st.cells[m],
                        cell(0),
                        cell(1),
                        cell(2)
                    );
                }
            }
        }
        println!(
            "\nscore (DIST): mean capped loss {:.3} over {terms} (size, metric, quantile) terms (per cell min(|log2 error|, {CAP}), {CAP} when unpublished); mean share of cells published {:.3}",
            score / terms.max(1) as f64,
            share / shares.max(1) as f64
        );
    }
}
