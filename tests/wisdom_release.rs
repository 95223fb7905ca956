//! Release post-processing: bins, quantiles, the CTR prior lookup, and an end-to-end check that a
//! nearly noise-free release recovers the niche's real median CTR (SIMULATED DATA).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::privacy::mechanism::{discrete_laplace, discrete_laplace_variance};
use crosslearn::rng::Rng;
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::wisdom::layout::{GroupKind, Layout, CTR_BINS};
use crosslearn::wisdom::release::{
    denoise_histogram, histogram_benchmark, noisy_histogram_benchmark,
};
use crosslearn::wisdom::{
    period_of_day, release_wisdom, wisdom_contribution, AccountConsent, ContributionPool,
    ReleaseConfig, ReleaseId, WisdomBook,
};
use std::collections::BTreeMap;

#[test]
fn bins_and_quantiles() {
    assert_eq!(CTR_BINS.index(0.0), Some(0));
    assert_eq!(CTR_BINS.index(0.000_999), Some(0));
    assert_eq!(CTR_BINS.index(0.001), Some(1));
    assert_eq!(
        CTR_BINS.index(0.001 * std::f64::consts::SQRT_2 * 1.000_001),
        Some(2)
    );
    assert_eq!(CTR_BINS.index(0.9), Some(CTR_BINS.len() - 1));
    assert_eq!(CTR_BINS.index(f64::NAN), None);
    assert_eq!(CTR_BINS.index(-0.1), None);
    for b in 1..CTR_BINS.len() - 1 {
        let (lo, hi) = CTR_BINS.range(b);
        assert_eq!(CTR_BINS.index(lo), Some(b));
        assert_eq!(CTR_BINS.index((lo * hi).sqrt()), Some(b));
    }
    // 100 accounts, all in one bin: every quantile inside it, interpolated geometrically.
    let mut h = vec![0.0; CTR_BINS.len()];
    h[6] = 100.0;
    let (lo, hi) = CTR_BINS.range(6);
    let m = histogram_benchmark(&h, CTR_BINS, 5.0).unwrap();
    assert!((m.p50 - (lo * hi).sqrt()).abs() < 1e-12);
    assert!(lo < m.p10 && m.p10 < m.p25 && m.p25 < m.p50 && m.p50 < m.p75 && m.p75 < m.p90);
    assert!(m.p90 < hi);
    // Negative noisy counts are clamped; a total below the minimum publishes nothing.
    h[7] = -40.0;
    assert_eq!(histogram_benchmark(&h, CTR_BINS, 5.0).unwrap(), m);
    assert_eq!(histogram_benchmark(&h, CTR_BINS, 101.0), None);
    assert_eq!(
        histogram_benchmark(&vec![0.0; CTR_BINS.len()], CTR_BINS, 0.0),
        None
    );
    assert_eq!(period_of_day(20_000, 7), 2857);
}

/// With ε = 10,000 the noise is negligible: the published median CTR of each (niche, platform)
/// must be within a factor 2^0.35 of the exact median of the contributing accounts' CTRs
/// (the residual is the √2-wide binning). The contributing platform of each account is read
/// back from its contribution's one-hot platform field.
#[test]
fn nearly_noise_free_release_recovers_the_median_ctr() {
    let config = ReleaseConfig {
        k: 3,
        epsilon: 10_000.0,
        budget_per_window: 40_000.0,
        ..Default::default()
    };
    let layout = Layout::new(&config).unwrap();
    let pc = layout.group(GroupKind::PlatformCount).start;
    let net = generate_network(&SimOptions {
        seed: 21,
        accounts: 450,
        effect_scale: None,
    })
    .unwrap();
    let mut by: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for r in &net.records {
        by.entry(r.account_id.as_str()).or_default().push(r.clone());
    }
    let opts = InsightOptions {
        min_campaigns: 1,
        ..Default::default()
    };
    let mut pool = ContributionPool::new();
    let mut truth: BTreeMap<(Niche, usize), Vec<f64>> = BTreeMap::new();
    for (id, rs) in &by {
        let Some(c) =
            wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, &config).unwrap()
        else {
            continue;
        };
        let p = (0..3).find(|p| c.values[pc + p] == 1).unwrap();
        let (imp, clk) = rs
            .iter()
            .filter(|r| r.platform == Platform::KNOWN[p])
            .fold((0u64, 0u64), |a, r| (a.0 + r.impressions, a.1 + r.clicks));
        truth
            .entry((c.niche, p))
            .or_default()
            .push(clk as f64 / imp as f64);
        pool.set(id, Some(c)).unwrap();
    }
    let mut book = WisdomBook::default();
    for n in Niche::ALL {
        let id = ReleaseId {
            period: 1,
            niche: n,
        };
        book.insert(release_wisdom(&pool.aggregate(n), id, &config, &mut Rng::new(3)).unwrap());
    }
    let mut checked = 0;
    for ((niche, p), mut ctrs) in truth {
        if ctrs.len() < 8 {
            continue;
        }
        ctrs.sort_by(|a, b| a.total_cmp(b));
        let exact = ctrs[ctrs.len() / 2];
        let published = book.ctr_prior(niche, Platform::KNOWN[p]).unwrap();
        let err = (published / exact).log2().abs();
        assert!(err < 0.35, "{niche} {p}: {published} vs {exact}");
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
    // The book is the pre-launch CTR model's source of niche priors.
    let names = crosslearn::model::prelaunch_feature_names();
    let col = |n: &str| names.iter().position(|x| x == n).unwrap();
    let creative = crosslearn::model::CreativeAttributes::from(&net.records[0]);
    let (niche, platform) = (creative.niche.unwrap(), creative.platform);
    let row = crosslearn::model::encode_creatives(std::slice::from_ref(&creative), &book).unwrap();
    let prior = book.ctr_prior(niche, platform).unwrap();
    assert_eq!(row[col("has_prior")], 1.0);
    assert!((f64::from(row[col("prior_logit")]) - (prior / (1.0 - prior)).ln()).abs() < 1e-5);
    // The book keeps the latest period per niche.
    let older = release_wisdom(
        &pool.aggregate(Niche::Food),
        ReleaseId {
            period: 0,
            niche: Niche::Food,
        },
        &config,
        &mut Rng::new(4),
    )
    .unwrap();
    let before = book.get(Niche::Food).cloned();
    book.insert(older);
    assert_eq!(book.get(Niche::Food).cloned(), before);
}

/// The noisy histogram's quantiles come from its denoised counts: unchanged for an exact unimodal
/// histogram; pure noise mostly removed; on a SIMULATED bump of 150 accounts with the production
/// CTR histogram's noise (discrete Laplace t = 8.9, sd 12.6 per bin), p10 and p90 much closer to
/// the exact ones than clamping the noise at 0 gives (which is what the quantiles used before).
#[test]
fn noisy_histograms_are_denoised_before_their_quantiles() {
    let nb = CTR_BINS.len();
    // An exact unimodal histogram (any noise sd 0) comes back as it is.
    let bump: Vec<f64> = (0..nb)
        .map(|b| match b {
            5 => 10.0,
            6 => 30.0,
            7 => 50.0,
            8 => 40.0,
            9 => 15.0,
            10 => 5.0,
            _ => 0.0,
        })
        .collect();
    assert_eq!(denoise_histogram(&bump, 0.0), bump);
    // So does an exact bimodal one: without noise every shape is real.
    let mut two = bump.clone();
    two[14] = 25.0;
    assert_eq!(denoise_histogram(&two, 0.0), two);
    assert!(denoise_histogram(&[], 1.0).is_empty());
    let t = 1.0 / (0.45 * 0.25);
    let sd = discrete_laplace_variance(t).sqrt();
    let exact = histogram_benchmark(&bump, CTR_BINS, 0.0).unwrap();
    let mut rng = Rng::new(41);
    let (mut noise_clamped, mut noise_left) = (0.0, 0.0);
    let mut err = [[0.0f64; 2]; 2]; // [denoised, clamped] x [p10, p90], mean abs log2
    let mut published = 0;
    let draws = 400;
    for _ in 0..draws {
        let noise: Vec<f64> = (0..nb)
            .map(|_| discrete_laplace(&mut rng, t) as f64)
            .collect();
        noise_clamped += noise.iter().map(|v| v.max(0.0)).sum::<f64>();
        noise_left += denoise_histogram(&noise, sd).iter().sum::<f64>();
        let noisy: Vec<f64> = bump.iter().zip(&noise).map(|(a, b)| a + b).collect();
        let clamped = histogram_benchmark(&noisy, CTR_BINS, 50.0).unwrap();
        let Some(now) = noisy_histogram_benchmark(&noisy, CTR_BINS, 50.0, sd) else {
            continue;
        };
        published += 1;
        for (i, m) in [now, clamped].iter().enumerate() {
            err[i][0] += (m.p10 / exact.p10).log2().abs() / draws as f64;
            err[i][1] += (m.p90 / exact.p90).log2().abs() / draws as f64;
        }
    }
    println!(
        "noise-only mass per histogram: clamped {:.1}, denoised {:.1}; p10 / p90 mean abs log2 error: \
         denoised {:.2} / {:.2}, clamped {:.2} / {:.2}",
        noise_clamped / draws as f64,
        noise_left / draws as f64,
        err[0][0],
        err[0][1],
        err[1][0],
        err[1][1]
    );
    assert_eq!(published, draws);
    assert!(
        noise_left < 0.5 * noise_clamped,
        "{noise_left} vs {noise_clamped}"
    );
    assert!(
        err[0][0] < 0.6 * err[1][0] && err[0][1] < 0.6 * err[1][1],
        "{err:?}"
    );
    // The publication decision is still the clamped total's.
    let mut low = vec![0.0; nb];
    low[6] = 30.0;
    low[9] = -20.0;
    assert_eq!(noisy_histogram_benchmark(&low, CTR_BINS, 31.0, sd), None);
    assert!(noisy_histogram_benchmark(&low, CTR_BINS, 30.0, 1.0).is_some());
}
