//! Evaluate the grounded CTR model on the REAL exports (docs/ctr.md has the output), and write
//! the model file:
//!
//! ```text
//! cargo run --release --example ctr-eval -- --data ../shared/data --seed 7 [--folds 5] \
//!     [--models models] [--write models/ctr-grounded-v1.json]
//! ```
//!
//! Seeded grouped K-fold: every creative (platform + copy; a KAG ad) is one group, shuffled by
//! a seeded hash and dealt round-robin into K folds, so no held-out creative's copy is seen in
//! training. Advertisers cannot be held out: each export is one advertiser (and the lists of
//! ids are scrambled), so held-out creatives are scored with their account's fitted intercept.
//! Per source (= platform x advertiser) and fold: log loss per impression of the model, the
//! platform mean and the platform x niche mean (fitted on the training folds), AUC over
//! impressions as trials (the probability that a random clicked impression scores above a
//! random unclicked one, ties half), calibration (expected / observed clicks) and the coverage of
//! the 95 % posterior-predictive interval of each held-out creative's clicks given its
//! impressions, stratified by impressions (creatives under the floor of 100 are left out).
//! Fold means with a 95 % t interval over the folds. "Enough data" for a source: >= 100
//! held-out creatives and >= 1,000 held-out clicks over all folds.

use crosslearn::hash::fnv1a64;
use crosslearn::model::ctr::CtrModel;
use crosslearn::model::grounded::{
    click_covered, Audience, EffectPriors, GroundedConfig, GroundedModel,
};
use crosslearn::model::metrics::auc;
use crosslearn::model::real::{
    fit_real, real_creatives, RealCreatives, REAL_EXPORTS, REPRO_COMMAND,
};
use crosslearn::model::{encode_creative, NoPriors};
use crosslearn::niche::NicheModel;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Impression strata for coverage (lower bounds; the first is the floor).
const STRATA: [u64; 4] = [100, 1_000, 10_000, 100_000];

struct Args {
    data: PathBuf,
    models: PathBuf,
    seed: u64,
    folds: usize,
    write: Option<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        data: PathBuf::from("../shared/data"),
        models: PathBuf::from("models"),
        seed: 7,
        folds: 5,
        write: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => a.data = val()?.into(),
            "--models" => a.models = val()?.into(),
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--folds" => a.folds = val()?.parse().map_err(|e| format!("--folds: {e}"))?,
            "--write" => a.write = Some(val()?.into()),
            x => return Err(format!("unknown flag {x}")),
        }
    }
    if !(2..=10).contains(&a.folds) {
        return Err("--folds must be 2-10".into());
    }
    Ok(a)
}

/// t quantile 0.975 for 1..=9 degrees of freedom.
const T975: [f64; 9] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262,
];

/// Mean and 95 % t half-width over folds (NaN entries skipped).
fn mean_ci(v: &[f64]) -> (f64, f64, usize) {
    let x: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let n = x.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, 0);
    }
    let m = x.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (m, f64::NAN, 1);
    }
    let var = x.iter().map(|y| (y - m) * (y - m)).sum::<f64>() / (n as f64 - 1.0);
    (m, T975[n - 2] * (var / n as f64).sqrt(), n)
}

fn fmt_ci(v: &[f64], digits: usize, scale: f64) -> String {
    let (m, h, n) = mean_ci(v);
    if n == 0 {
        return "-".into();
    }
    if h.is_finite() {
        format!("{:.*} ± {:.*}", digits, m * scale, digits, h * scale)
    } else {
        format!("{:.*}", digits, m * scale)
    }
}

fn ll(p: &[f64], c: &[f64], n: &[f64]) -> f64 {
    crosslearn::model::metrics::log_loss(p, c, n)
}

/// Per-fold metrics of one predictor on one source.
#[derive(Default, Clone)]
struct Fold {
    log_loss: Vec<f64>,
    gain_pn: Vec<f64>,
    gain_p: Vec<f64>,
    auc: Vec<f64>,
    calibration: Vec<f64>,
    coverage: Vec<f64>,
    strata: Vec<Vec<f64>>,
    width: Vec<f64>,
}

#[derive(Default)]
struct SourceTotals {
    creatives: usize,
    clicks: u64,
    impressions: u64,
}

type Pred = (f64, bool, f64);

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(m) => {
            eprintln!("{m}");
            std::process::exit(2);
        }
    };
    if let Err(m) = run(&a) {
        eprintln!("ctr-eval: {m}");
        std::process::exit(1);
    }
}

fn run(a: &Args) -> Result<(), String> {
    let mut bytes = Vec::new();
    for f in REAL_EXPORTS {
        let p = a.data.join(f);
        bytes.push(std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    let files: Vec<(&str, &[u8])> = REAL_EXPORTS
        .iter()
        .zip(&bytes)
        .map(|(n, b)| (*n, b.as_slice()))
        .collect();
    let niche_path = a.models.join("niche-v2.bin");
    let niche = NicheModel::from_bytes(
        &std::fs::read(&niche_path).map_err(|e| format!("{}: {e}", niche_path.display()))?,
    )
    .map_err(|e| e.to_string())?;
    let data = real_creatives(&files, Some(&niche)).map_err(|e| e.to_string())?;
    let cfg = GroundedConfig::default();
    println!(
        "### Real exports (REAL DATA), grounded model, {}-fold grouped CV, seed {}\n",
        a.folds, a.seed
    );
    for (name, rows, no_copy, no_imps) in &data.rows {
        let c: Vec<_> = data
            .creatives
            .iter()
            .filter(|c| &c.source == name)
            .collect();
        println!(
            "- `{name}`: {rows} rows; {} creatives; left out: {no_copy} rows without copy, {no_imps} without impressions",
            c.len()
        );
    }
    let shipped = std::fs::read(a.models.join("ctr-prelaunch-v1.bin"))
        .ok()
        .and_then(|b| CtrModel::from_bytes(&b).ok());

    // Seeded fold assignment: sort group keys by a seeded hash, deal round-robin.
    let mut order: Vec<usize> = (0..data.creatives.len()).collect();
    let h = |i: usize| fnv1a64(format!("{}|{}", a.seed, data.creatives[i].key).as_bytes());
    order.sort_by_key(|&i| (h(i), i));
    let mut fold_of = vec![0usize; data.creatives.len()];
    for (r, &i) in order.iter().enumerate() {
        fold_of[i] = r % a.folds;
    }

    let sources: Vec<String> = data.rows.iter().map(|r| r.0.clone()).collect();
    let names = [
        "grounded model (ours)",
        "platform mean",
        "platform x niche mean",
        "shipped ctr-prelaunch-v1 (simulator-trained)",
        "grounded model, point = predictive mean",
    ];
    let mut res: BTreeMap<(usize, usize), Fold> = BTreeMap::new();
    let mut totals: Vec<SourceTotals> = sources.iter().map(|_| SourceTotals::default()).collect();
    for k in 0..a.folds {
        let train = RealCreatives {
            creatives: data
                .creatives
                .iter()
                .zip(&fold_of)
                .filter(|(_, f)| **f != k)
                .map(|(c, _)| c.clone())
                .collect(),
            rows: data.rows.clone(),
        };
        let model = fit_real(&train, &EffectPriors::none(), &cfg, REPRO_COMMAND)
            .map_err(|e| e.to_string())?;
        for (s, src) in sources.iter().enumerate() {
            let test: Vec<_> = data
                .creatives
                .iter()
                .zip(&fold_of)
                .filter(|(c, f)| **f == k && &c.source == src)
                .map(|(c, _)| c)
                .collect();
            if test.is_empty() {
                continue;
            }
            let tr: Vec<_> = train
                .creatives
                .iter()
                .filter(|c| &c.source == src)
                .collect();
            let (tc, tn) = tr.iter().fold((0.0, 0.0), |(c, n), x| {
                (c + x.obs.clicks as f64, n + x.obs.impressions as f64)
            });
            let pmean = (tc + 0.5) / (tn + 1.0);
            let mut cell: BTreeMap<Option<_>, (f64, f64)> = BTreeMap::new();
            for x in &tr {
                let e = cell.entry(x.obs.attrs.niche).or_default();
                e.0 += x.obs.clicks as f64;
                e.1 += x.obs.impressions as f64;
            }
            let clicks: Vec<f64> = test.iter().map(|c| c.obs.clicks as f64).collect();
            let imps: Vec<f64> = test.iter().map(|c| c.obs.impressions as f64).collect();
            totals[s].creatives += test.len();
            totals[s].clicks += test.iter().map(|c| c.obs.clicks).sum::<u64>();
            totals[s].impressions += test.iter().map(|c| c.obs.impressions).sum::<u64>();
            // (prediction, covered, relative interval width) per creative and predictor.
            let mut preds: Vec<Vec<Pred>> = vec![Vec::new(); names.len()];
            let mut median = Vec::new();
            for c in &test {
                let o = &c.obs;
                let g = model
                    .predict_for(&o.attrs, Audience::Account(&o.account))
                    .map_err(|e| e.to_string())?;
                let cov = click_covered(&g, o.impressions, o.clicks);
                median.push(g.mean);
                preds[0].push((g.ctr, cov, (g.high - g.low) / g.ctr));
                preds[1].push((pmean, false, f64::NAN));
                let (cc, cn) = cell.get(&o.attrs.niche).copied().unwrap_or((0.0, 0.0));
                // One pseudo-click towards the platform mean.
                let pn = (cc + 1.0) / (cn + 1.0 / pmean);
                preds[2].push((pn, false, f64::NAN));
                if let Some(m) = &shipped {
                    let x = encode_creative(&o.attrs, &NoPriors).map_err(|e| e.to_string())?;
                    let sc = m.score(&x).map_err(|e| e.to_string())?;
                    let r = o.clicks as f64 / o.impressions as f64;
                    preds[3].push((
                        sc.ctr,
                        sc.low <= r && r <= sc.high,
                        (sc.high - sc.low) / sc.ctr,
                    ));
                }
            }
            preds[4] = median.iter().map(|&m| (m, false, f64::NAN)).collect();
            let p_pn: Vec<f64> = preds[2].iter().map(|x| x.0).collect();
            let p_p: Vec<f64> = preds[1].iter().map(|x| x.0).collect();
            let (ll_pn, ll_p) = (ll(&p_pn, &clicks, &imps), ll(&p_p, &clicks, &imps));
            for (j, pr) in preds.iter().enumerate() {
                if pr.is_empty() {
                    continue;
                }
                let p: Vec<f64> = pr.iter().map(|x| x.0).collect();
                let f = res.entry((s, j)).or_default();
                let l = ll(&p, &clicks, &imps);
                f.log_loss.push(l);
                f.gain_pn.push((ll_pn - l) / ll_pn);
                f.gain_p.push((ll_p - l) / ll_p);
                f.auc.push(auc(&p, &clicks, &imps).unwrap_or(f64::NAN));
                let exp: f64 = p.iter().zip(&imps).map(|(p, n)| p * n).sum();
                f.calibration.push(exp / clicks.iter().sum::<f64>());
                if j == 0 || j == 3 {
                    let cov = |lo: u64, hi: u64| {
                        let sel: Vec<bool> = pr
                            .iter()
                            .zip(&test)
                            .filter(|(_, c)| c.obs.impressions >= lo && c.obs.impressions < hi)
                            .map(|(x, _)| x.1)
                            .collect();
                        if sel.is_empty() {
                            f64::NAN
                        } else {
                            sel.iter().filter(|b| **b).count() as f64 / sel.len() as f64
                        }
                    };
                    f.coverage.push(cov(STRATA[0], u64::MAX));
                    if f.strata.is_empty() {
                        f.strata = vec![Vec::new(); STRATA.len()];
                    }
                    for (q, lo) in STRATA.iter().enumerate() {
                        let hi = STRATA.get(q + 1).copied().unwrap_or(u64::MAX);
                        f.strata[q].push(cov(*lo, hi));
                    }
                    let w: Vec<f64> = pr.iter().map(|x| x.2).filter(|x| x.is_finite()).collect();
                    f.width.push(w.iter().sum::<f64>() / w.len().max(1) as f64);
                }
            }
        }
    }
    for (s, src) in sources.iter().enumerate() {
        let t = &totals[s];
        let enough = t.creatives >= 100 && t.clicks >= 1000;
        println!(
            "\n#### `{src}` (REAL): {} held-out creatives, {} clicks, {} impressions over all folds; enough data: {}\n",
            t.creatives,
            t.clicks,
            t.impressions,
            if enough { "yes" } else { "NO" }
        );
        println!("| predictor | log loss | vs platform mean | vs platform x niche mean | AUC | calibration | 95 % PI coverage (>= 100 imps) | mean relative PI width |");
        println!("|---|---|---|---|---|---|---|---|");
        for (j, n) in names.iter().enumerate() {
            let Some(f) = res.get(&(s, j)) else { continue };
            let has_pi = j == 0 || j == 3;
            println!(
                "| {} | {} | {} % | {} % | {} | {} | {} | {} |",
                if j == 0 {
                    format!("**{n}**")
                } else {
                    n.to_string()
                },
                fmt_ci(&f.log_loss, 6, 1.0),
                fmt_ci(&f.gain_p, 2, 100.0),
                fmt_ci(&f.gain_pn, 2, 100.0),
                fmt_ci(&f.auc, 3, 1.0),
                fmt_ci(&f.calibration, 3, 1.0),
                if has_pi {
                    format!("{} %", fmt_ci(&f.coverage, 1, 100.0))
                } else {
                    "-".into()
                },
                if has_pi {
                    fmt_ci(&f.width, 2, 1.0)
                } else {
                    "-".into()
                },
            );
        }
        if let Some(f) = res.get(&(s, 0)) {
            let strata: Vec<String> = STRATA
                .iter()
                .enumerate()
                .map(|(q, lo)| {
                    let hi = STRATA
                        .get(q + 1)
                        .map_or("inf".to_string(), |h| h.to_string());
                    format!("[{lo}, {hi}): {} %", fmt_ci(&f.strata[q], 1, 100.0))
                })
                .collect();
            println!("\nOurs, coverage by impressions (fold means over folds with creatives in the stratum): {}", strata.join("; "));
        }
    }
    let full =
        fit_real(&data, &EffectPriors::none(), &cfg, REPRO_COMMAND).map_err(|e| e.to_string())?;
    summary(&full);
    if let Some(p) = &a.write {
        std::fs::write(p, full.to_json()).map_err(|e| format!("{}: {e}", p.display()))?;
        println!(
            "\nwrote {} (fnv1a64 {:016x})",
            p.display(),
            fnv1a64(full.to_json().as_bytes())
        );
    }
    Ok(())
}

fn summary(m: &GroundedModel) {
    println!("\n### Fitted on every real creative\n");
    println!(
        "creative sd σ_c = {:.3}, account sd σ_a = {:.3} (log-odds)\n",
        m.creative_sd, m.account_sd
    );
    println!("| term | mean (log-odds) | sd | creatives |");
    println!("|---|---|---|---|");
    for p in &m.platforms {
        println!(
            "| platform {} | {:.3} | {:.3} | - |",
            p.platform, p.coef.mean, p.coef.sd
        );
    }
    for a in &m.accounts {
        println!(
            "| account {} | {:+.3} | {:.3} | {} |",
            a.account, a.coef.mean, a.coef.sd, a.creatives
        );
    }
    for c in &m.cells {
        println!(
            "| {} x {} | {:+.3} | {:.3} | {} |",
            c.platform, c.niche, c.coef.mean, c.coef.sd, c.creatives
        );
    }
    for e in &m.effects {
        println!(
            "| {:?} {} | {:+.3} | {:.3} | {} |",
            e.factor, e.value, e.coef.mean, e.coef.sd, e.creatives
        );
    }
}
