//! The grounded CTR model on SIMULATED truths (simulator v2), where the true CTR is known:
//! new-account interval coverage and the gain from personalisation with the account's own
//! records (0, 5, 20, 100 creatives).
//!
//! ```text
//! cargo run --release --example ctr-sim-eval -- --truth-prior data/sim-v2-prior.json \
//!     --truths 201,202,203 --seed 7 --accounts 600 --new 150
//! ```
//!
//! Per truth (drawn from the prior by its seed): the model is fitted (default
//! `GroundedConfig`, nothing tuned on any truth) to a v2 network of `--accounts` accounts; then
//! `--new` accounts that were not in it (indices from 1,000,000) each get 100 own creatives and
//! 40 test creatives on one platform, drawn as v2 draws them (confounded hook/CTA choice,
//! heavy-tailed creative noise, per-account deviations), 2,000-20,000 impressions each.
//! Coverage: the share of test creatives whose TRUE CTR lies in the 95 % interval. Log loss:
//! the cross-entropy of the true CTR (mean over test creatives). Gap closed with k own records:
//! `(LL_0 − LL_k) / (LL_0 − LL_oracle)`, the per-account oracle knowing the account's quality and
//! deviations but not the creative's noise (its CTR is the mean over the noise distribution).
//! v2 confounds choices with quality and noise, so the attributes a creative carries reveal part
//! of its noise: that oracle is then no lower bound (a model can beat it), and the gap to the
//! full oracle (the true CTR) is reported too.

use crosslearn::model::grounded::{
    fit_grounded, personalise, CreativeObs, EffectPriors, GroundedConfig, Provenance, SourceNote,
};
use crosslearn::model::CreativeAttributes;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::rng::Rng;
use crosslearn::sim::v2::{
    draw_attributes, draw_hook_cta, generate_network_v2, SimV2Prior, TruthTable,
};
use std::path::PathBuf;

const OWN: [usize; 4] = [0, 5, 20, 100];
const TEST: usize = 40;

struct Args {
    prior: PathBuf,
    truths: Vec<u64>,
    seed: u64,
    accounts: u32,
    new: u64,
    deviation_sd: Option<f64>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        prior: PathBuf::from("data/sim-v2-prior.json"),
        truths: vec![201, 202, 203],
        seed: 7,
        accounts: 600,
        new: 150,
        deviation_sd: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--truth-prior" => a.prior = val()?.into(),
            "--truths" => {
                a.truths = val()?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--truths: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--seed" => a.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--accounts" => a.accounts = val()?.parse().map_err(|e| format!("--accounts: {e}"))?,
            "--new" => a.new = val()?.parse().map_err(|e| format!("--new: {e}"))?,
            "--deviation-sd" => {
                a.deviation_sd = Some(val()?.parse().map_err(|e| format!("--deviation-sd: {e}"))?)
            }
            x => return Err(format!("unknown flag {x}")),
        }
    }
    Ok(a)
}

fn sig(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn xent(t: f64, p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
}

struct Creative {
    attrs: CreativeAttributes,
    ctr: f64,
    oracle: f64,
    impressions: u64,
    clicks: u64,
}

fn main() {
    let a = match parse() {
        Ok(a) => a,
        Err(m) => {
            eprintln!("{m}");
            std::process::exit(2);
        }
    };
    if let Err(m) = run(&a) {
        eprintln!("ctr-sim-eval: {m}");
        std::process::exit(1);
    }
}

fn run(a: &Args) -> Result<(), String> {
    let e = |x: crosslearn::error::Error| x.to_string();
    let text =
        std::fs::read_to_string(&a.prior).map_err(|x| format!("{}: {x}", a.prior.display()))?;
    let prior = SimV2Prior::from_json(&text).map_err(e)?;
    println!("### SIMULATED DATA: simulator v2, prior `{}`, seed {}, {} training accounts, {} new accounts per truth\n", a.prior.display(), a.seed, a.accounts, a.new);
    println!("| truth | training records | σ_c / σ_a fitted | new-account 95 % coverage of true CTR (k = 0) | coverage k = 5 / 20 / 100 | LL k = 0 | LL k = 5 / 20 / 100 | LL per-account oracle | gap closed vs it, k = 5 / 20 / 100 | LL full oracle (true CTR) | gap closed vs full oracle, k = 5 / 20 / 100 |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut closed_all = vec![Vec::new(); OWN.len()];
    let mut cov0_all = Vec::new();
    let mut full_all = vec![Vec::new(); OWN.len()];
    for &ts in &a.truths {
        let truth = TruthTable::draw(&prior, ts).map_err(e)?;
        let net = generate_network_v2(&truth, a.seed, 0, a.accounts).map_err(e)?;
        let obs: Vec<CreativeObs> = net
            .records
            .iter()
            .filter(|r| r.impressions > 0)
            .map(|r| CreativeObs {
                account: r.account_id.clone(),
                attrs: CreativeAttributes::from(r),
                impressions: r.impressions,
                clicks: r.clicks.min(r.impressions),
            })
            .collect();
        let model = fit_grounded(
            &obs,
            &EffectPriors::none(),
            &GroundedConfig {
                deviation_sd: a
                    .deviation_sd
                    .unwrap_or(GroundedConfig::default().deviation_sd),
                ..GroundedConfig::default()
            },
            Provenance {
                sources: vec![SourceNote {
                    name: format!("simulator v2 truth {ts}"),
                    real: false,
                    creatives: obs.len() as u64,
                    impressions: obs.iter().map(|o| o.impressions).sum(),
                    clicks: obs.iter().map(|o| o.clicks).sum(),
                }],
                ..Provenance::default()
            },
        )
        .map_err(e)?;
        // A fixed sample of the creative noise for the oracle's mean over it.
        let mut nr = Rng::new(ts ^ 0x5eed);
        let noise: Vec<f64> = (0..256).map(|_| truth.creative_noise(&mut nr)).collect();
        let mut cov = vec![(0usize, 0usize); OWN.len()];
        let mut ll = vec![0.0; OWN.len()];
        let mut ll_or = 0.0;
        let mut ll_full = 0.0;
        for i in 0..a.new {
            let idx = 1_000_000 + i;
            let acct = truth.account(a.seed, idx);
            let niche = Niche::ALL[idx as usize % Niche::ALL.len()];
            let platform = Platform::KNOWN[(idx / 15) as usize % 3];
            let mut r = Rng::stream(a.seed ^ 0xc0ffee, idx);
            let mut cs: Vec<Creative> = Vec::with_capacity(100 + TEST);
            for _ in 0..100 + TEST {
                let noise_e = truth.creative_noise(&mut r);
                let conf = truth.confounders(acct.quality, noise_e);
                let (hook, cta) = draw_hook_cta(&truth, conf, &mut r);
                let spec = draw_attributes(
                    &truth,
                    niche,
                    platform,
                    hook,
                    cta,
                    acct.quality,
                    noise_e,
                    &mut r,
                );
                let ctr = truth.ctr(&spec, &acct, 0);
                let det = (ctr / (1.0 - ctr)).ln() - spec.creative_noise;
                let oracle = noise.iter().map(|x| sig(det + x)).sum::<f64>() / noise.len() as f64;
                let impressions = r.range(2_000, 20_000);
                let clicks = r.binomial(impressions, ctr);
                cs.push(Creative {
                    attrs: CreativeAttributes {
                        platform,
                        niche: Some(niche),
                        hook_type: spec.hook,
                        cta_style: spec.cta,
                        visual_tags: spec.visual_tags.clone(),
                        format: spec.format,
                        duration_s: spec.duration_s,
                        posting_hour: Some(spec.posting_hour),
                    },
                    ctr,
                    oracle,
                    impressions,
                    clicks,
                });
            }
            let (own, test) = cs.split_at(100);
            ll_or += test.iter().map(|c| xent(c.ctr, c.oracle)).sum::<f64>() / TEST as f64;
            ll_full += test.iter().map(|c| xent(c.ctr, c.ctr)).sum::<f64>() / TEST as f64;
            for (j, &k) in OWN.iter().enumerate() {
                let recs: Vec<CreativeObs> = own[..k]
                    .iter()
                    .map(|c| CreativeObs {
                        account: "own".into(),
                        attrs: c.attrs.clone(),
                        impressions: c.impressions,
                        clicks: c.clicks,
                    })
                    .collect();
                let m = personalise(&model, &recs).map_err(e)?.model;
                let mut l = 0.0;
                for c in test {
                    let p = m.predict(&c.attrs).map_err(e)?;
                    cov[j].0 += usize::from(p.low <= c.ctr && c.ctr <= p.high);
                    cov[j].1 += 1;
                    l += xent(c.ctr, p.mean);
                }
                ll[j] += l / TEST as f64;
            }
        }
        let n = a.new as f64;
        let ll: Vec<f64> = ll.iter().map(|x| x / n).collect();
        let ll_or = ll_or / n;
        let ll_full = ll_full / n;
        let full: Vec<f64> = ll
            .iter()
            .map(|l| 100.0 * (ll[0] - l) / (ll[0] - ll_full))
            .collect();
        for (j, x) in full.iter().enumerate() {
            full_all[j].push(*x);
        }
        let c: Vec<f64> = cov
            .iter()
            .map(|(h, t)| 100.0 * *h as f64 / *t as f64)
            .collect();
        let closed: Vec<f64> = ll
            .iter()
            .map(|l| 100.0 * (ll[0] - l) / (ll[0] - ll_or))
            .collect();
        for (j, x) in closed.iter().enumerate() {
            closed_all[j].push(*x);
        }
        cov0_all.push(c[0]);
        println!(
            "| {ts} | {} | {:.3} / {:.3} | {:.1} % | {:.1} / {:.1} / {:.1} % | {:.6} | {:.6} / {:.6} / {:.6} | {:.6} | {:.1} / {:.1} / {:.1} % | {:.6} | {:.2} / {:.2} / {:.2} % |",
            obs.len(),
            model.creative_sd,
            model.account_sd,
            c[0], c[1], c[2], c[3],
            ll[0], ll[1], ll[2], ll[3],
            ll_or,
            closed[1], closed[2], closed[3],
            ll_full,
            full[1], full[2], full[3],
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    println!(
        "\nMean over truths: new-account coverage {:.1} %; gap closed with 5 / 20 / 100 own creatives: to the per-account oracle {:.1} / {:.1} / {:.1} %, to the full oracle {:.2} / {:.2} / {:.2} %",
        mean(&cov0_all),
        mean(&closed_all[1]),
        mean(&closed_all[2]),
        mean(&closed_all[3]),
        mean(&full_all[1]),
        mean(&full_all[2]),
        mean(&full_all[3])
    );
    Ok(())
}
