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
//!
//! **Standing on a release** (the editor's case, `--release-accounts N`, default 6,000; 0 skips
//! it): a second v2 network of N accounts (indices from 2,000,000, none of them new or training
//! accounts) is released as the Worker releases format 1 (`--release-config FILE`, default the
//! production format-1 config `docs/release-production-format1.json`: k 50, ε 0.45; every account
//! opted in and contributing, without the 3-campaign data gate), noise from a seeded generator. The population
//! model then takes each published (niche, platform)'s base rate and between-account spread
//! (`with_released_rates`) and predicts the new accounts' test creatives with no own record.
//! Three readings of the same release: the published quantiles (denoised histograms), the
//! quantiles of the same noisy counts clamped at 0 (what releases published before
//! `denoise_histogram`), and the exact noise-free histograms (the best a release could give).
//! Coverage and log loss over the test creatives whose (niche, platform) has a released rate in
//! all three, beside the model without a release on the same creatives.

use crosslearn::insights::InsightOptions;
use crosslearn::model::grounded::{
    fit_grounded, personalise, CreativeObs, EffectPriors, GroundedConfig, Provenance, SourceNote,
};
use crosslearn::model::grounded::{GroundedModel, ReleasedRate};
use crosslearn::model::CreativeAttributes;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::rng::Rng;
use crosslearn::sim::v2::{
    draw_attributes, draw_hook_cta, generate_network_v2, SimV2Prior, TruthTable,
};
use crosslearn::wisdom::layout::{GroupKind, Layout, CTR_BINS};
use crosslearn::wisdom::release::{histogram_benchmark, noisy_aggregate};
use crosslearn::wisdom::{
    release_wisdom, wisdom_contribution, AccountConsent, ContributionPool, ReleaseConfig, ReleaseId,
};
use std::collections::{BTreeMap, BTreeSet};
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
    release_accounts: u32,
    release_config: PathBuf,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        prior: PathBuf::from("data/sim-v2-prior.json"),
        truths: vec![201, 202, 203],
        seed: 7,
        accounts: 600,
        new: 150,
        deviation_sd: None,
        release_accounts: 6_000,
        release_config: PathBuf::from("docs/release-production-format1.json"),
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
            "--release-accounts" => {
                a.release_accounts = val()?
                    .parse()
                    .map_err(|e| format!("--release-accounts: {e}"))?
            }
            "--release-config" => a.release_config = val()?.into(),
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

/// The three readings of a format-1 release of a v2 network (see the module docs): the model on
/// each reading's rates, and the (niche, platform) pairs all three have.
type ReleaseModels = (
    Vec<(&'static str, GroundedModel)>,
    BTreeSet<(Niche, Platform)>,
);

fn release_models(
    a: &Args,
    truth: &TruthTable,
    model: &GroundedModel,
) -> Result<ReleaseModels, String> {
    let e = |x: crosslearn::error::Error| x.to_string();
    let text = std::fs::read_to_string(&a.release_config)
        .map_err(|x| format!("{}: {x}", a.release_config.display()))?;
    let config: ReleaseConfig = serde_json::from_str(&text).map_err(|x| x.to_string())?;
    let exact_config = ReleaseConfig {
        epsilon: 1e6,
        budget_per_window: 1e9,
        ..config
    };
    let layout = Layout::new(&config).map_err(e)?;
    let g = layout.group(GroupKind::CtrHistogram).clone();
    let net = generate_network_v2(truth, a.seed + 1, 2_000_000, a.release_accounts).map_err(e)?;
    let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in &net.records {
        by.entry(r.account_id.as_str()).or_default().push(r.clone());
    }
    // Every account contributes (no 3-campaign data gate: v2 accounts have few campaigns).
    let every = InsightOptions {
        min_campaigns: 1,
        ..InsightOptions::default()
    };
    let mut pool = ContributionPool::new();
    for (id, rs) in &by {
        let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &every, &config)
            .map_err(e)?;
        pool.set(id, c).map_err(e)?;
    }
    let (mut now, mut clamped, mut exact) = (Vec::new(), Vec::new(), Vec::new());
    for niche in Niche::ALL {
        let agg = pool.aggregate(niche);
        let id = ReleaseId { period: 1, niche };
        let w =
            release_wisdom(&agg, id, &config, &mut Rng::stream(a.seed, niche as u64)).map_err(e)?;
        let noisy = noisy_aggregate(&layout, &agg, &mut Rng::stream(a.seed, niche as u64));
        let x = release_wisdom(&agg, id, &exact_config, &mut Rng::new(1)).map_err(e)?;
        let published = ReleasedRate::of_release(&w);
        for r in &published {
            let p = Platform::KNOWN
                .iter()
                .position(|q| *q == r.platform)
                .expect("a known platform");
            let slice: Vec<f64> = (0..CTR_BINS.len())
                .map(|b| (noisy.sums[g.start + p * CTR_BINS.len() + b] as f64).max(0.0))
                .collect();
            let q = histogram_benchmark(&slice, CTR_BINS, 0.0).expect("a published histogram");
            if 0.0 < q.p10 && q.p90 < 1.0 {
                clamped.push(ReleasedRate {
                    p10: q.p10,
                    p50: q.p50,
                    p90: q.p90,
                    ..r.clone()
                });
            }
        }
        now.extend(published);
        exact.extend(ReleasedRate::of_release(&x));
    }
    let pairs = |v: &[ReleasedRate]| -> BTreeSet<(Niche, Platform)> {
        v.iter().map(|r| (r.niche, r.platform)).collect()
    };
    let common: BTreeSet<_> = pairs(&now)
        .intersection(&pairs(&clamped))
        .copied()
        .collect::<BTreeSet<_>>()
        .intersection(&pairs(&exact))
        .copied()
        .collect();
    let keep = |v: Vec<ReleasedRate>| -> Vec<ReleasedRate> {
        v.into_iter()
            .filter(|r| common.contains(&(r.niche, r.platform)))
            .collect()
    };
    Ok((
        vec![
            (
                "published (denoised)",
                model.with_released_rates(keep(now)).map_err(e)?,
            ),
            (
                "clamped at 0 (before)",
                model.with_released_rates(keep(clamped)).map_err(e)?,
            ),
            (
                "exact histograms (no noise)",
                model.with_released_rates(keep(exact)).map_err(e)?,
            ),
            ("no release", model.clone()),
        ],
        common,
    ))
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
    let mut release_rows = Vec::new();
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
        let rel = if a.release_accounts > 0 {
            Some(release_models(a, &truth, &model)?)
        } else {
            None
        };
        // Per reading: covered, creatives, log loss sum.
        let mut rel_acc = vec![(0usize, 0usize, 0.0f64); rel.as_ref().map_or(0, |r| r.0.len())];
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
            if let Some((models, common)) = &rel {
                if common.contains(&(niche, platform)) {
                    for (m, acc) in models.iter().zip(rel_acc.iter_mut()) {
                        for c in test {
                            let p = m.1.predict(&c.attrs).map_err(e)?;
                            acc.0 += usize::from(p.low <= c.ctr && c.ctr <= p.high);
                            acc.1 += 1;
                            acc.2 += xent(c.ctr, p.mean);
                        }
                    }
                }
            }
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
        if let Some((models, common)) = &rel {
            for ((name, _), acc) in models.iter().zip(&rel_acc) {
                release_rows.push(format!(
                    "| {ts} | {name} | {} | {} | {:.1} % | {:.6} |",
                    common.len(),
                    acc.1,
                    100.0 * acc.0 as f64 / acc.1.max(1) as f64,
                    acc.2 / acc.1.max(1) as f64
                ));
            }
        }
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
    if !release_rows.is_empty() {
        println!(
            "\n#### New accounts standing on a format-1 release of {} other v2 accounts (`{}`; SIMULATED)\n",
            a.release_accounts,
            a.release_config.display()
        );
        println!("| truth | base rates from | (niche, platform) pairs released | test creatives | 95 % coverage of true CTR (k = 0) | LL k = 0 |");
        println!("|---|---|---|---|---|---|");
        for r in &release_rows {
            println!("{r}");
        }
    }
    Ok(())
}
