//! Release format 2 (`wisdom::suffstat`): the exact discrete Gaussian, zCDP accounting, L2
//! sensitivity after fixed-point rounding, a Clopper-Pearson audit with a negative control,
//! erasure, consent, the release's contents, config errors and a small study.
//! Everything random uses fixed seeds, so every outcome is deterministic.

use crosslearn::niche::Niche;
use crosslearn::privacy::dgauss::{
    discrete_gaussian, discrete_gaussian_pmf, discrete_laplace, noise_rng_from_seed,
    rational_at_least,
};
use crosslearn::privacy::zcdp::{epsilon_of_rho, BudgetPolicy, PrivacyLedger, BUDGET_EXCEEDED};
use crosslearn::record::CreativeRecord;
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::study_v2::{greedy_choice, run_study_v2, StudyV2Config};
use crosslearn::wisdom::suffstat::{
    clip_and_encode, combine_periods, contribute, dimension, encode_account, niche_count_gate,
    period_contribution, posteriors, release_niche, release_period, Cell, Factor, PosteriorSource,
    PosteriorTable, RawMoments, SuffStatConfig, SuffStatPool, ValueGate, ValuePosterior,
};
use crosslearn::wisdom::AccountConsent;
use std::collections::BTreeMap;

const IN: AccountConsent = AccountConsent { opted_in: true };

/// Chi-square of `counts` against `probs` over cells with expected count >= 5 (the rest pooled),
/// and its degrees of freedom.
fn chi_square(counts: &[u64], probs: &[f64], n: u64) -> (f64, usize) {
    let (mut chi, mut df, mut rest_o, mut rest_e) = (0.0, 0usize, 0.0, 0.0);
    for (c, p) in counts.iter().zip(probs) {
        let e = p * n as f64;
        if e >= 5.0 {
            chi += (*c as f64 - e).powi(2) / e;
            df += 1;
        } else {
            rest_o += *c as f64;
            rest_e += e;
        }
    }
    let tail = 1.0 - probs.iter().sum::<f64>();
    rest_e += tail * n as f64;
    if rest_e > 0.0 {
        chi += (rest_o - rest_e).powi(2) / rest_e;
        df += 1;
    }
    (chi, df.saturating_sub(1))
}

/// The exact sampler's empirical law at a fixed seed matches the exact pmf (chi-square below
/// df + 5·sqrt(2 df), far in the upper tail), for a small and a large rational σ², and the
/// discrete Laplace's too; a sampler with the wrong variance (σ² · 1.1) fails the same check.
#[test]
fn discrete_gaussian_matches_its_exact_law() {
    let mut r = noise_rng_from_seed(11);
    for sigma2 in [2.5f64, 40.0] {
        let (num, den) = rational_at_least(sigma2);
        let used = num as f64 / den as f64;
        let support = (used.sqrt() * 6.0) as i64;
        let n = 60_000u64;
        let draws: Vec<i128> = (0..n)
            .map(|_| discrete_gaussian(&mut r, num, den))
            .collect();
        let histogram = |xs: &[i128]| {
            let mut c = vec![0u64; (2 * support + 1) as usize];
            for x in xs {
                if x.unsigned_abs() as i64 <= support {
                    c[(*x as i64 + support) as usize] += 1;
                }
            }
            c
        };
        let counts = histogram(&draws);
        let (chi, df) = chi_square(&counts, &discrete_gaussian_pmf(used, support), n);
        let bound = df as f64 + 5.0 * (2.0 * df as f64).sqrt();
        println!("sigma2 {sigma2}: chi2 {chi:.1} on {df} df (bound {bound:.1})");
        assert!(chi < bound, "sigma2 {sigma2}: chi2 {chi} df {df}");
        // Negative control: the same draws against a law with 1.1x the variance fail.
        let (chi_wrong, _) = chi_square(&counts, &discrete_gaussian_pmf(used * 1.1, support), n);
        assert!(chi_wrong > bound, "wrong law not detected: {chi_wrong}");
    }
    // Discrete Laplace with scale 3/2: P(x) ∝ exp(-|x| · 2/3).
    let n = 60_000u64;
    let support = 15i64;
    let mut counts = vec![0u64; (2 * support + 1) as usize];
    for _ in 0..n {
        let x = discrete_laplace(&mut r, 3, 2) as i64;
        if x.abs() <= support {
            counts[(x + support) as usize] += 1;
        }
    }
    let a = (-2.0f64 / 3.0).exp();
    let probs: Vec<f64> = (-support..=support)
        .map(|x| (1.0 - a) / (1.0 + a) * a.powi(x.abs() as i32))
        .collect();
    let (chi, df) = chi_square(&counts, &probs, n);
    assert!(
        chi < df as f64 + 5.0 * (2.0 * df as f64).sqrt(),
        "dlap chi2 {chi} df {df}"
    );
}

/// ε(δ) follows analytically from the accounted ρ; the noise actually used is never weaker than
/// requested (ρ used <= ρ requested, so ε <= the configured ε).
#[test]
fn epsilon_follows_from_rho() {
    for eps in [0.5, 1.0, 2.0] {
        let cfg = SuffStatConfig {
            epsilon: eps,
            ..SuffStatConfig::default()
        };
        let plan = cfg.validate().unwrap();
        let expect = plan.rho + 2.0 * (plan.rho * (1.0f64 / cfg.delta).ln()).sqrt();
        assert!((plan.epsilon - expect).abs() < 1e-12);
        assert!(
            plan.epsilon <= eps * (1.0 + 1e-12) && plan.epsilon > 0.999 * eps,
            "{}",
            plan.epsilon
        );
        let rho_sums = plan.sensitivity.powi(2) / (2.0 * plan.sigma * plan.sigma);
        assert!((rho_sums + plan.rho_count - plan.rho).abs() < 1e-12);
        assert!((plan.rho_count - cfg.count_epsilon.powi(2) / 2.0).abs() < 1e-6);
    }
}

/// Clopper-Pearson bound at confidence 1 − alpha/2 on each side (bisection on the binomial CDF).
fn clopper_pearson(k: u64, n: u64, alpha: f64) -> (f64, f64) {
    let ln_pmf = |i: u64, p: f64| {
        libm::lgamma(n as f64 + 1.0)
            - libm::lgamma(i as f64 + 1.0)
            - libm::lgamma((n - i) as f64 + 1.0)
            + i as f64 * p.ln()
            + (n - i) as f64 * (1.0 - p).ln()
    };
    // P(X <= k) and P(X >= k).
    let cdf_le = |p: f64| (0..=k).map(|i| ln_pmf(i, p).exp()).sum::<f64>();
    let cdf_ge = |p: f64| 1.0 - (0..k).map(|i| ln_pmf(i, p).exp()).sum::<f64>();
    let solve = |f: &dyn Fn(f64) -> f64, increasing: bool| {
        let (mut lo, mut hi) = (1e-12, 1.0 - 1e-12);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            let v = f(mid);
            if (v < alpha / 2.0) == increasing {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    let lower = if k == 0 { 0.0 } else { solve(&cdf_ge, true) };
    let upper = if k == n { 1.0 } else { solve(&cdf_le, false) };
    (lower, upper)
}

/// Lower confidence bound on ε at δ from `n` draws per neighbour: the event "noisy value of the
/// worst-case coordinate > τ" under D (value 0) and D' (value Δ).
fn audit_epsilon(sigma2: (u128, u128), delta_int: i128, delta: f64, n: u64, seed: u64) -> f64 {
    let mut r = noise_rng_from_seed(seed);
    let sd = (sigma2.0 as f64 / sigma2.1 as f64).sqrt();
    let tau = (2.33 * sd) as i128;
    let hits = |shift: i128, r: &mut _| {
        (0..n)
            .filter(|_| shift + discrete_gaussian(r, sigma2.0, sigma2.1) > tau)
            .count() as u64
    };
    let k0 = hits(0, &mut r);
    let k1 = hits(delta_int, &mut r);
    let (_, p0_hi) = clopper_pearson(k0, n, 0.05);
    let (p1_lo, _) = clopper_pearson(k1, n, 0.05);
    ((p1_lo - delta) / p0_hi).max(1e-300).ln()
}

/// A 1-D projection audit on neighbouring datasets (one account whose whole clip norm sits on
/// one coordinate: the worst case of the L2 bound) at δ 1e-3 with Clopper-Pearson bounds stays
/// within the stated ε; the same audit of a mechanism with σ/4 exceeds it (negative control).
#[test]
fn clopper_pearson_audit_stays_within_epsilon_and_catches_sigma_over_4() {
    let cfg = SuffStatConfig::default();
    let plan = cfg.validate().unwrap();
    let delta = 1e-3;
    let stated = epsilon_of_rho(plan.rho, delta);
    let d = plan.sensitivity as i128;
    let n = 60_000;
    let real = audit_epsilon((plan.sigma2_num, plan.sigma2_den), d, delta, n, 5);
    let weak = audit_epsilon((plan.sigma2_num, plan.sigma2_den * 16), d, delta, n, 6);
    println!("audit: stated eps {stated:.3} at delta {delta}; lower bound {real:.3}; sigma/4 lower bound {weak:.3}");
    assert!(real <= stated, "audit {real} above stated {stated}");
    assert!(weak > stated, "sigma/4 not caught: {weak} <= {stated}");
}

/// Accounts with their niche, and each account's records.
type Network = (Vec<(String, Niche)>, BTreeMap<String, Vec<CreativeRecord>>);

fn network(seed: u64, accounts: u32) -> Network {
    let net = generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale: None,
    })
    .unwrap();
    let mut by: BTreeMap<String, Vec<CreativeRecord>> = BTreeMap::new();
    for r in net.records {
        by.entry(r.account_id.clone()).or_default().push(r);
    }
    (
        net.accounts
            .iter()
            .map(|a| (a.account_id.clone(), a.niche))
            .collect(),
        by,
    )
}

/// The L2 bound holds after fixed-point rounding for every account of three simulated networks
/// under three settings (the default; a coarse fixed point where rounding matters; a tiny clip
/// norm), and for 2,000 random vectors placed exactly on the clip sphere; so the difference of
/// two neighbouring aggregates never exceeds the sensitivity.
#[test]
fn l2_sensitivity_holds_after_rounding_exhaustively() {
    let settings = [
        SuffStatConfig::default(),
        SuffStatConfig {
            fixed_point_scale: 7.0,
            ..SuffStatConfig::default()
        },
        SuffStatConfig {
            clip_norm: 0.013,
            fixed_point_scale: 1000.0,
            ..SuffStatConfig::default()
        },
    ];
    for cfg in &settings {
        let plan = cfg.validate().unwrap();
        let bound = plan.sensitivity.floor() as u128;
        let mut checked = 0;
        for seed in [1u64, 2, 3] {
            let (accounts, by) = network(seed, 150);
            for (id, _) in &accounts {
                let recs: Vec<&CreativeRecord> = by[id].iter().collect();
                let c = encode_account(&recs, cfg).unwrap();
                assert_eq!(c.sums.len(), dimension());
                assert!(
                    c.norm2() <= bound * bound,
                    "{id}: {} > {}",
                    c.norm2(),
                    bound * bound
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 450);
        let mut r = crosslearn::rng::Rng::new(3);
        for _ in 0..2_000 {
            let v: Vec<f64> = (0..dimension()).map(|_| r.normal()).collect();
            let c = clip_and_encode(&RawMoments { values: v }, cfg).unwrap();
            assert!(c.norm2() <= bound * bound);
        }
    }
}

fn pool_of(
    accounts: &[(String, Niche)],
    by: &BTreeMap<String, Vec<CreativeRecord>>,
    cfg: &SuffStatConfig,
    skip: Option<&str>,
) -> SuffStatPool {
    let mut pool = SuffStatPool::new();
    for (id, niche) in accounts {
        if Some(id.as_str()) == skip {
            continue;
        }
        let recs: Vec<&CreativeRecord> = by[id].iter().collect();
        contribute(&mut pool, id, *niche, &recs, IN, cfg).unwrap();
    }
    pool
}

/// Erase-then-aggregate equals aggregate-without exactly (every account of a network); an
/// erased or opted-out account never changes a release (same noise seed, identical release);
/// neither ids nor ad text appear in any release or posterior table.
#[test]
fn erasure_consent_and_release_contents() {
    let cfg = SuffStatConfig {
        k: 5,
        epsilon: 4.0,
        count_epsilon: 0.5,
        ..SuffStatConfig::default()
    };
    let (accounts, by) = network(9, 120);
    let full = pool_of(&accounts, &by, &cfg, None);
    let encoded: BTreeMap<&str, _> = accounts
        .iter()
        .map(|(id, _)| {
            let recs: Vec<&CreativeRecord> = by[id].iter().collect();
            (id.as_str(), encode_account(&recs, &cfg).unwrap())
        })
        .collect();
    for (id, niche) in &accounts {
        let mut erased = full.clone();
        assert!(erased.erase(id));
        let mut without = SuffStatPool::new();
        for (other, n) in accounts.iter().filter(|(o, _)| o != id) {
            without
                .set(other, *n, encoded[other.as_str()].clone())
                .unwrap();
        }
        assert_eq!(erased.aggregate(*niche), without.aggregate(*niche), "{id}");
    }
    // An opted-out account: contributing without consent removes it; releases are identical to
    // a pool that never saw it.
    let (victim, niche) = accounts[3].clone();
    let mut p = full.clone();
    let recs: Vec<&CreativeRecord> = by[&victim].iter().collect();
    let kept = contribute(
        &mut p,
        &victim,
        niche,
        &recs,
        AccountConsent::default(),
        &cfg,
    )
    .unwrap();
    assert!(!kept);
    let without = pool_of(&accounts, &by, &cfg, Some(&victim));
    let release = |pool: &SuffStatPool| {
        release_niche(
            &pool.aggregate(niche),
            niche,
            7,
            &cfg,
            &mut noise_rng_from_seed(42),
        )
        .unwrap()
    };
    assert_eq!(release(&p), release(&without));
    assert_ne!(release(&full), release(&without), "the check can fail");
    // No id or ad text in what is published.
    let mut ledger = PrivacyLedger::new();
    let releases = release_period(
        &full,
        7,
        &cfg,
        &mut ledger,
        &BudgetPolicy::default(),
        &mut noise_rng_from_seed(1),
    )
    .unwrap();
    let tables = posteriors(&releases, &cfg);
    let text = serde_json::to_string(&(&releases, &tables)).unwrap();
    for (id, _) in &accounts {
        assert!(!text.contains(id.as_str()), "{id} in a release");
        for r in &by[id] {
            assert!(!text.contains(&r.record_id));
            assert!(!text.contains(&r.headline) || r.headline.len() < 4);
            assert!(!text.contains(&r.body) || r.body.len() < 4);
        }
    }
    assert!(!text.contains("sim-a"));
    // The ledger shows each account the release its data entered, with its rho.
    let e = ledger.entries(&accounts[0].0);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].release_id, format!("7/{}", accounts[0].1.as_str()));
}

/// Publication refuses to exceed the rolling-window cap: nothing is released or charged.
#[test]
fn budget_cap_refuses_publication() {
    let cfg = SuffStatConfig::default();
    let plan = cfg.validate().unwrap();
    let policy = BudgetPolicy {
        rho_cap: plan.rho * 2.5,
        window_days: 365,
        ..BudgetPolicy::default()
    };
    let (accounts, by) = network(4, 30);
    let pool = pool_of(&accounts, &by, &cfg, None);
    let mut ledger = PrivacyLedger::new();
    let mut r = noise_rng_from_seed(2);
    for period in 0..2 {
        release_period(&pool, period, &cfg, &mut ledger, &policy, &mut r).unwrap();
    }
    let before = ledger.clone();
    let e = release_period(&pool, 2, &cfg, &mut ledger, &policy, &mut r).unwrap_err();
    assert!(e.message.starts_with(BUDGET_EXCEEDED), "{e}");
    assert_eq!(e.field.as_deref(), Some("budget.rho_cap"));
    assert_eq!(ledger, before);
    // 13 periods later (390 days) the first two have left the window.
    release_period(&pool, 15, &cfg, &mut ledger, &policy, &mut r).unwrap();
}

/// Invalid configurations are named errors.
#[test]
fn invalid_release_config_is_a_named_error() {
    let cases = [
        (r#"{"epsilon": 0}"#, "epsilon"),
        (r#"{"epsilon": -1}"#, "epsilon"),
        (r#"{"clip_norm": 0}"#, "clip_norm"),
        (r#"{"k": 0}"#, "k"),
        (r#"{"kk": 50}"#, "kk"),
        (r#"{"moment_scale": {"x": 1, "zz": 2}}"#, "zz"),
        (r#"{"count_epsilon": 5}"#, "count_epsilon"),
        (r#"{"delta": 1}"#, "delta"),
        (r#"{"combine_periods": 0}"#, "combine_periods"),
        (r#"{"combine_periods": 25}"#, "combine_periods"),
    ];
    for (json, field) in cases {
        let e = SuffStatConfig::from_json(json).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{json}: {e}");
    }
    assert!(SuffStatConfig::from_json("{}").is_ok());
}

/// The greedy policy takes the highest posterior mean above the average and keeps the own draw
/// otherwise.
#[test]
fn greedy_choice_follows_the_posterior_means() {
    let v = |factor, value: &str, mean| ValuePosterior {
        cell: Cell {
            factor,
            platform: None,
            value: value.into(),
        },
        mean,
        sd: 0.01,
        source: PosteriorSource::Global,
        release_id: "0/global".into(),
    };
    let table = PosteriorTable {
        version: 2,
        niche: Niche::Fitness,
        release_id: "0/fitness".into(),
        published: true,
        values: vec![
            v(Factor::Hook, "question", 0.01),
            v(Factor::Hook, "offer", 0.2),
            v(Factor::Cta, "shop_now", -0.1),
            v(Factor::Hour, "19", 0.05),
            v(Factor::Visual, "ugc", 0.1),
            v(Factor::Visual, "lifestyle", -0.1),
        ],
    };
    let own = crosslearn::sim::CreativeSpec {
        niche: Niche::Fitness,
        platform: crosslearn::platform::Platform::Meta,
        hook: crosslearn::record::HookType::Story,
        cta: crosslearn::record::CtaStyle::BookNow,
        visual_tags: vec![
            crosslearn::record::VisualTag::Lifestyle,
            crosslearn::record::VisualTag::CloseUp,
        ],
        format: crosslearn::record::AdFormat::Image,
        duration_s: None,
        posting_hour: 7,
        account_effect: 0.0,
        creative_noise: 0.0,
    };
    let g = greedy_choice(&table, &own, 3);
    assert_eq!(g.hook, crosslearn::record::HookType::Offer);
    assert_eq!(g.cta, crosslearn::record::CtaStyle::BookNow);
    assert_eq!(g.posting_hour, 19);
    assert_eq!(
        g.visual_tags,
        vec![
            crosslearn::record::VisualTag::Ugc,
            crosslearn::record::VisualTag::CloseUp
        ]
    );
}

/// A small study (seconds): the guided arm gains on unguided and stays below the oracle; the
/// posterior tables carry values; the release's epsilon is at most the configured one.
#[test]
fn small_study_guides_new_accounts() {
    let cfg = StudyV2Config {
        seed: 3,
        accounts_per_niche: 60,
        new_accounts: 45,
        release: SuffStatConfig {
            k: 20,
            epsilon: 4.0,
            count_epsilon: 0.5,
            ..SuffStatConfig::default()
        },
        ..StudyV2Config::default()
    };
    let r = run_study_v2(&cfg).unwrap();
    println!("small study: share {:.3}, ctr {:?}", r.share, r.mean_ctr);
    assert!(r.mean_ctr[2] >= r.mean_ctr[0] && r.mean_ctr[2] > r.mean_ctr[1]);
    assert!(r.share > 0.0 && r.share <= 1.0, "share {}", r.share);
    assert!(r.global_values > 0 || r.niche_values > 0);
    assert!(r.epsilon <= 4.0 + 1e-9);
    // The Thompson arm learns from its own clicks: its regret is finite and grows with launches.
    let t = r.thompson_regret_cumulative;
    assert!(
        t.iter().all(|x| x.is_finite()) && t[0] < t[1] && t[1] < t[2],
        "{t:?}"
    );
}

/// The niche gate: with the default count share, count noise alone would clear k = 50 for an
/// empty niche about 4 % of the time and clears the gate (60) less than 5 % of the time
/// (20,000 fixed-seed draws of the release's own count noise; also checked through
/// `release_niche` on an empty aggregate).
#[test]
fn count_noise_rarely_publishes_an_empty_niche() {
    let cfg = SuffStatConfig::default();
    let plan = cfg.validate().unwrap();
    let gate = niche_count_gate(&cfg).unwrap();
    assert_eq!(gate, 60);
    let mut r = noise_rng_from_seed(8);
    let n = 20_000;
    let draws: Vec<i128> = (0..n)
        .map(|_| discrete_laplace(&mut r, plan.count_scale_num, plan.count_scale_den))
        .collect();
    let past_k = draws.iter().filter(|x| **x >= 50).count() as f64 / n as f64;
    let past_gate = draws.iter().filter(|x| **x >= 60).count() as f64 / n as f64;
    println!("empty niche: past k {past_k:.4}, past the gate {past_gate:.4}");
    assert!(
        past_gate < 0.05 && past_gate < past_k,
        "{past_gate} {past_k}"
    );
    let empty = SuffStatPool::new().aggregate(Niche::Fitness);
    let published = (0..200)
        .filter(|s| {
            release_niche(
                &empty,
                Niche::Fitness,
                0,
                &cfg,
                &mut noise_rng_from_seed(*s),
            )
            .unwrap()
            .published
        })
        .count();
    assert!(
        published < 20,
        "{published} of 200 empty releases published"
    );
}

/// A release whose values all show the same rate (no between-value variance: the moment estimate
/// of the global prior variance is 0) still gives every shown value an honest, positive sd: the
/// degenerate empirical-Bayes prior would otherwise claim the contrast is exactly 0.
#[test]
fn no_between_value_variance_still_gives_positive_posterior_sds() {
    let cfg = SuffStatConfig::default();
    let nc = crosslearn::wisdom::suffstat::cell_count();
    let mut sums = vec![0.0; dimension()];
    for i in 0..nc {
        sums[i] = 200.0; // S_x: 200 effective accounts, above every gate
        sums[nc + i] = 60.0; // S_xx
        sums[2 * nc + i] = 0.0; // S_xy: no contrast at all
    }
    sums[3 * nc] = 400.0; // W
    sums[3 * nc + 1] = 100.0; // S_yy
    sums[3 * nc + 2] = 20.0; // S_uu
    let release = crosslearn::wisdom::suffstat::NicheSuffRelease {
        arm: Default::default(),
        release_id: "7/fitness".into(),
        niche: Niche::Fitness,
        period: 7,
        published: true,
        noisy_count: Some(400),
        sums,
        noise_sd: [1.0, 1.0, 1.0, 1.0],
        rho: 0.0175,
        epsilon: 1.0,
        delta: 1e-6,
        k: cfg.k,
    };
    let tables = posteriors(&[release], &cfg);
    assert_eq!(tables.len(), 1);
    assert!(!tables[0].values.is_empty());
    for v in &tables[0].values {
        assert!(v.mean.abs() < 1e-12, "{v:?}");
        assert!(v.sd > 0.0 && v.sd.is_finite(), "{v:?}");
    }
}

/// The value gate. `account_share` (the default) counts the accounts' worth of creatives using a
/// value, `S_x / W` times the noisy niche count, so an account clipped to a fraction of its
/// norm still counts whole; `effective_accounts` (before 2026-12-04) counts `S_x` itself. Both
/// hide a value whose `S_x` does not clear `3σ_x`. The setting parses; a bad one is a named error.
#[test]
fn the_value_gate_counts_accounts_not_clipped_weight() {
    let nc = crosslearn::wisdom::suffstat::cell_count();
    let cells = crosslearn::wisdom::suffstat::cells();
    let hook = |v: &str| {
        cells
            .iter()
            .position(|c| c.factor == Factor::Hook && c.value == v)
            .unwrap()
    };
    let (a, b, c) = (hook("question"), hook("offer"), hook("story"));
    let mut sums = vec![0.0; dimension()];
    for i in 0..nc {
        sums[nc + i] = 5.0; // S_xx
        sums[2 * nc + i] = 1.0; // S_xy
    }
    // 400 accounts clipped to a tenth: W 40. Question: 30 % of the weight (S_x 12, 120
    // accounts' worth); offer: 10 % (S_x 4, 40 accounts' worth); story: S_x 2, within 3 sigma.
    sums[a] = 12.0;
    sums[b] = 4.0;
    sums[c] = 2.0;
    sums[3 * nc] = 40.0;
    sums[3 * nc + 1] = 10.0;
    sums[3 * nc + 2] = 1.0;
    let release = crosslearn::wisdom::suffstat::NicheSuffRelease {
        arm: Default::default(),
        release_id: "7/fitness".into(),
        niche: Niche::Fitness,
        period: 7,
        published: true,
        noisy_count: Some(400),
        sums,
        noise_sd: [1.0, 0.1, 0.1, 0.1],
        rho: 0.0175,
        epsilon: 1.0,
        delta: 1e-6,
        k: 50,
    };
    let shown = |gate: ValueGate| -> Vec<String> {
        let cfg = SuffStatConfig {
            value_gate: gate,
            ..SuffStatConfig::default()
        };
        let t = posteriors(std::slice::from_ref(&release), &cfg);
        let mut v: Vec<String> = t[0]
            .factor(Factor::Hook, None)
            .filter(|v| v.source == PosteriorSource::Niche)
            .map(|v| v.cell.value.clone())
            .collect();
        v.sort();
        v
    };
    assert_eq!(shown(ValueGate::AccountShare), vec!["question".to_string()]);
    assert!(shown(ValueGate::EffectiveAccounts).is_empty());
    let c = SuffStatConfig::from_json(r#"{"value_gate": "effective_accounts"}"#).unwrap();
    assert_eq!(c.value_gate, ValueGate::EffectiveAccounts);
    assert_eq!(
        SuffStatConfig::from_json("{}").unwrap().value_gate,
        ValueGate::AccountShare
    );
    // The default is not serialised, so configurations written before the setting are unchanged.
    let text = serde_json::to_string(&SuffStatConfig::default()).unwrap();
    assert!(!text.contains("value_gate"), "{text}");
    let e = SuffStatConfig::from_json(r#"{"value_gate": "accounts"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("value_gate"), "{e:?}");
}

/// Format 2 takes every opted-in account with a known niche and an eligible record, not only
/// those past format 1's data gate (3 campaigns): on a simulated network most accounts have
/// fewer campaigns (one per platform) and format 1 refuses them; format 2's niche is format 1's
/// rule and its vector is `encode_account`'s. Not opted in, or no platform with 2 records: none.
#[test]
fn period_contribution_is_every_opted_in_account_with_an_eligible_record() {
    use crosslearn::insights::InsightOptions;
    use crosslearn::wisdom::{wisdom_contribution, ReleaseConfig};
    let (accounts, by) = network(31, 300);
    let cfg = SuffStatConfig::default();
    let ins = InsightOptions::default();
    let yes = AccountConsent { opted_in: true };
    let (mut format1, mut format2, mut only2) = (0, 0, 0);
    for (id, _) in &accounts {
        let recs = &by[id];
        let c2 = period_contribution(recs, yes, &ins, &cfg).unwrap();
        let c1 = wisdom_contribution(recs, yes, &ins, &ReleaseConfig::default()).unwrap();
        assert!(
            period_contribution(recs, AccountConsent::default(), &ins, &cfg)
                .unwrap()
                .is_none()
        );
        if let Some((niche, arm, c)) = &c2 {
            format2 += 1;
            assert_eq!(*arm, crosslearn::wisdom::suffstat::Arm::Main);
            let refs: Vec<&CreativeRecord> = recs.iter().collect();
            assert_eq!(*c, encode_account(&refs, &cfg).unwrap(), "{id}");
            if let Some(c1) = &c1 {
                assert_eq!(*niche, c1.niche, "{id}: the niche is format 1's");
            } else {
                only2 += 1;
            }
        }
        if c1.is_some() {
            format1 += 1;
            assert!(
                c2.is_some(),
                "{id}: a format-1 contributor is a format-2 one"
            );
        }
    }
    println!(
        "of 300 simulated accounts: format 1 {format1}, format 2 {format2} ({only2} only format 2)"
    );
    assert!(
        format2 > 2 * format1,
        "format 1 {format1}, format 2 {format2}"
    );
    // One record on a platform: no centred moment, so nothing to contribute.
    let one: Vec<CreativeRecord> = by[&accounts[0].0][..1].to_vec();
    assert!(period_contribution(&one, yes, &ins, &cfg)
        .unwrap()
        .is_none());
    // Records of two accounts: a named error.
    let mut mixed = by[&accounts[0].0].clone();
    mixed.extend(by[&accounts[1].0].iter().cloned());
    let e = period_contribution(&mixed, yes, &ins, &cfg).unwrap_err();
    assert!(e.to_string().contains("account_id"), "{e}");
}

/// `contribute: randomised` counts only an account's randomised records: its contribution equals
/// `all` on those records alone, and an account with none contributes the zero vector.
#[test]
fn contribute_randomised_counts_only_randomised_records() {
    use crosslearn::record::Assignment;
    use crosslearn::wisdom::suffstat::Contribute;
    let (_, by) = network(41, 60);
    let all = SuffStatConfig::default();
    let only = SuffStatConfig {
        contribute: Contribute::Randomised,
        ..SuffStatConfig::default()
    };
    let mut checked = 0;
    for recs in by.values() {
        let mut marked = recs.clone();
        for (i, r) in marked.iter_mut().enumerate() {
            if i % 2 == 0 {
                r.assignment = Assignment::Randomised;
            }
        }
        let refs: Vec<&CreativeRecord> = marked.iter().collect();
        let randomised: Vec<&CreativeRecord> = marked
            .iter()
            .filter(|r| r.assignment == Assignment::Randomised)
            .collect();
        assert_eq!(
            encode_account(&refs, &only).unwrap(),
            encode_account(&randomised, &all).unwrap()
        );
        let none: Vec<&CreativeRecord> = recs.iter().collect();
        assert_eq!(encode_account(&none, &only).unwrap().norm2(), 0);
        checked += 1;
    }
    assert!(checked > 50);
    let c = SuffStatConfig::from_json(r#"{"contribute": "randomised"}"#).unwrap();
    assert_eq!(c.contribute, Contribute::Randomised);
    assert!(!serde_json::to_string(&all).unwrap().contains("contribute"));
    let e = SuffStatConfig::from_json(r#"{"contribute": "some"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("contribute"));
}

/// Combining periods (free post-processing): one period is the release itself; several add the
/// published sums, their noise variances and their charged `ρ`, average the noisy count, and
/// name the span; two releases of one niche and period are an error. Posteriors over the
/// combination are less noisy: over 8 periods of one pool, the combined contrasts are closer to
/// the noise-free ones than a single period's.
#[test]
fn combining_periods_adds_sums_and_noise_variances() {
    let cfg = SuffStatConfig {
        k: 5,
        epsilon: 1.0,
        count_epsilon: 0.05,
        ..SuffStatConfig::default()
    };
    let (accounts, by) = network(21, 1500);
    let pool = pool_of(&accounts, &by, &cfg, None);
    let mut ledger = PrivacyLedger::new();
    let mut rng = noise_rng_from_seed(77);
    let mut all = Vec::new();
    for period in 0..8 {
        all.extend(
            release_period(
                &pool,
                period,
                &cfg,
                &mut ledger,
                &BudgetPolicy::default(),
                &mut rng,
            )
            .unwrap(),
        );
    }
    let first: Vec<_> = all.iter().filter(|r| r.period == 0).cloned().collect();
    assert_eq!(combine_periods(&first).unwrap(), first);
    let two: Vec<_> = all.iter().filter(|r| r.period < 2).cloned().collect();
    let c = combine_periods(&two).unwrap();
    assert_eq!(c.len(), Niche::ALL.len());
    for r in &c {
        let of = |p: i64| {
            two.iter()
                .find(|x| x.niche == r.niche && x.period == p)
                .unwrap()
        };
        let (a, b) = (of(0), of(1));
        assert_eq!(r.release_id, format!("0..1/{}", r.niche.as_str()));
        assert_eq!(r.period, 1);
        assert!((r.rho - 2.0 * a.rho).abs() < 1e-15);
        assert!((r.epsilon - epsilon_of_rho(2.0 * a.rho, 1e-6)).abs() < 1e-12);
        assert_eq!(r.published, a.published || b.published);
        if a.published && b.published {
            let mean = (a.noisy_count.unwrap() + b.noisy_count.unwrap()) as f64 / 2.0;
            assert_eq!(r.noisy_count, Some(mean.round() as i64));
            for i in 0..dimension() {
                assert_eq!(r.sums[i], a.sums[i] + b.sums[i]);
            }
            for j in 0..4 {
                let v = a.noise_sd[j].powi(2) + b.noise_sd[j].powi(2);
                assert!((r.noise_sd[j] - v.sqrt()).abs() < 1e-12 * v.sqrt());
            }
        }
    }
    let mut dup = first.clone();
    dup.push(first[0].clone());
    let e = combine_periods(&dup).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("releases"), "{e}");
    // Every account was charged once per period, nothing for combining.
    let spent = ledger.spent(&accounts[0].0, 7 * 30, &BudgetPolicy::default());
    assert!((spent - 8.0 * first[0].rho).abs() < 1e-12, "{spent}");

    // Less noisy: mean squared distance of the shown niche contrasts to the noise-free ones.
    let exact_cfg = SuffStatConfig {
        epsilon: 1e6,
        count_epsilon: 1e3,
        ..cfg.clone()
    };
    let mut exact_rng = noise_rng_from_seed(1);
    let exact_releases: Vec<_> = Niche::ALL
        .iter()
        .map(|n| release_niche(&pool.aggregate(*n), *n, 100, &exact_cfg, &mut exact_rng).unwrap())
        .collect();
    let exact = posteriors(&exact_releases, &exact_cfg);
    let err = |tables: &[PosteriorTable]| -> f64 {
        let (mut s, mut n) = (0.0, 0.0);
        for (t, e) in tables.iter().zip(&exact) {
            for v in &t.values {
                if let Some(x) = e.values.iter().find(|x| x.cell == v.cell) {
                    s += (v.mean - x.mean).powi(2);
                    n += 1.0;
                }
            }
        }
        s / n
    };
    let single = err(&posteriors(&first, &cfg));
    let eight = err(&posteriors(&combine_periods(&all).unwrap(), &cfg));
    println!(
        "mean squared error of the posterior means: 1 period {single:.5}, 8 periods {eight:.5}"
    );
    assert!(eight < 0.5 * single, "1 period {single}, 8 periods {eight}");
}

/// `contribute: split` keeps explorers apart: an account with a usable group of randomised
/// records contributes only those to the explorers' pool, any other account all its records to
/// the main pool; a period releases both pools of every niche (ids `<p>/<niche>` and
/// `<p>/<niche>/explorers`), each account charged once; combining keeps the pools apart; the
/// posteriors serve a niche from its explorers' release when it is published, else from the main
/// one, and with nobody exploring they equal `contribute: all`'s exactly.
#[test]
fn split_keeps_explorers_apart_and_switches_per_niche() {
    use crosslearn::record::Assignment;
    use crosslearn::wisdom::suffstat::{
        account_contribution, explorers_switch_count, Arm, Contribute,
    };
    let all = SuffStatConfig {
        k: 5,
        epsilon: 4.0,
        count_epsilon: 0.5,
        ..SuffStatConfig::default()
    };
    let split = SuffStatConfig {
        contribute: Contribute::Split,
        ..all.clone()
    };
    let only = SuffStatConfig {
        contribute: Contribute::Randomised,
        ..all.clone()
    };
    assert!(serde_json::to_string(&split)
        .unwrap()
        .contains(r#""contribute":"split""#));
    let (accounts, by) = network(47, 1500);
    // Every third account of the fitness niche explores (all its records randomised).
    let mut pool = SuffStatPool::new();
    let mut plain = SuffStatPool::new();
    let mut via = SuffStatPool::new();
    let (mut explorers, mut fitness) = (0, 0);
    for (j, (id, niche)) in accounts.iter().enumerate() {
        let mut recs = by.get(id).cloned().unwrap_or_default();
        if *niche == Niche::Fitness {
            fitness += 1;
            if j % 3 == 0 {
                for r in recs.iter_mut() {
                    r.assignment = Assignment::Randomised;
                }
            }
        }
        let refs: Vec<&CreativeRecord> = recs.iter().collect();
        let (arm, c) = account_contribution(&refs, &split).unwrap();
        let explored = encode_account(&refs, &only).unwrap();
        if explored.norm2() > 0 {
            assert_eq!((arm, &c), (Arm::Explorers, &explored), "{id}");
            explorers += 1;
        } else {
            assert_eq!(
                (arm, &c),
                (Arm::Main, &encode_account(&refs, &all).unwrap())
            );
        }
        assert_eq!(account_contribution(&refs, &all).unwrap().0, Arm::Main);
        pool.set_in(id, *niche, arm, c).unwrap();
        assert!(contribute(&mut via, id, *niche, &refs, IN, &split).unwrap());
        let by_id: Vec<&CreativeRecord> = by.get(id).into_iter().flatten().collect();
        plain
            .set(id, *niche, encode_account(&by_id, &all).unwrap())
            .unwrap();
    }
    assert!(explorers > 20 && fitness > 60, "{explorers} of {fitness}");
    // `contribute` picks the same pools.
    for arm in [Arm::Main, Arm::Explorers] {
        assert_eq!(
            via.aggregate_in(Niche::Fitness, arm),
            pool.aggregate_in(Niche::Fitness, arm)
        );
    }
    let mut ledger = PrivacyLedger::new();
    let policy = BudgetPolicy::default();
    let mut releases = Vec::new();
    let mut rng = noise_rng_from_seed(5);
    for period in 0..2 {
        releases
            .extend(release_period(&pool, period, &split, &mut ledger, &policy, &mut rng).unwrap());
    }
    assert_eq!(releases.len(), 2 * 2 * Niche::ALL.len());
    assert!(releases
        .iter()
        .any(|r| r.release_id == "1/fitness/explorers" && r.arm == Arm::Explorers));
    // Each account charged once per period.
    for (id, _) in accounts.iter().take(50) {
        let spent = ledger.spent(id, 30, &policy);
        assert!(
            (spent - 2.0 * releases[0].rho).abs() < 1e-12,
            "{id}: {spent}"
        );
    }
    let combined = combine_periods(&releases).unwrap();
    assert_eq!(combined.len(), 2 * Niche::ALL.len());
    let ex = combined
        .iter()
        .find(|r| r.niche == Niche::Fitness && r.arm == Arm::Explorers)
        .unwrap();
    assert_eq!(ex.release_id, "0..1/fitness/explorers");
    assert!(ex.published, "{ex:?}");
    let tables = posteriors(&combined, &split);
    assert_eq!(tables.len(), Niche::ALL.len());
    for t in &tables {
        let explored = combined
            .iter()
            .find(|r| r.niche == t.niche && r.arm == Arm::Explorers)
            .unwrap();
        if explored.published && explored.noisy_count.unwrap_or(0) >= 19 {
            assert_eq!(t.release_id, explored.release_id);
            assert!(
                t.values
                    .iter()
                    .all(|v| v.release_id.ends_with("/explorers")),
                "{}",
                t.niche.as_str()
            );
        } else if explored.published {
            // Too few explorers to switch: the union of both pools.
            assert_eq!(t.release_id, format!("0..1/{}+explorers", t.niche.as_str()));
        } else {
            assert_eq!(t.release_id, format!("0..1/{}", t.niche.as_str()));
            assert!(t.values.iter().all(|v| !v.release_id.contains("explorers")));
        }
    }
    // Every niche that does not switch is served exactly as the union of its two pools would be:
    // noisy sums added, noise variances added, the main release's noisy count.
    let union = |rs: &[crosslearn::wisdom::suffstat::NicheSuffRelease]| {
        rs.iter()
            .filter(|m| m.arm == Arm::Main)
            .map(|m| {
                let e = rs
                    .iter()
                    .find(|e| e.niche == m.niche && e.arm == Arm::Explorers)
                    .unwrap();
                if !(m.published && e.published) {
                    return m.clone();
                }
                let mut u = m.clone();
                u.release_id = format!("{}+explorers", m.release_id);
                for (a, b) in u.sums.iter_mut().zip(&e.sums) {
                    *a += b;
                }
                for j in 0..4 {
                    u.noise_sd[j] = (m.noise_sd[j].powi(2) + e.noise_sd[j].powi(2)).sqrt();
                }
                u
            })
            .collect::<Vec<_>>()
    };
    let by_union = posteriors(&union(&combined), &all);
    let mut unions = 0;
    for t in &tables {
        if !t.release_id.ends_with("/explorers") {
            let u = by_union.iter().find(|u| u.niche == t.niche).unwrap();
            assert_eq!(t.release_id, u.release_id);
            for (a, b) in t.values.iter().zip(&u.values) {
                assert_eq!((&a.cell, &a.release_id), (&b.cell, &b.release_id));
                assert!((a.mean - b.mean).abs() < 1e-12 && (a.sd - b.sd).abs() < 1e-12);
            }
            unions += usize::from(t.release_id.ends_with("+explorers"));
        }
    }
    println!("niches served from the union of both pools: {unions}");
    assert_eq!(
        tables
            .iter()
            .find(|t| t.niche == Niche::Fitness)
            .unwrap()
            .release_id,
        "0..1/fitness/explorers"
    );
    // Nobody exploring: the same draws and tables as `all` (the explorers' releases are drawn
    // after every main one, and published nowhere).
    let mut l1 = PrivacyLedger::new();
    let mut l2 = PrivacyLedger::new();
    let a = release_period(
        &plain,
        0,
        &all,
        &mut l1,
        &policy,
        &mut noise_rng_from_seed(9),
    )
    .unwrap();
    let b = release_period(
        &plain,
        0,
        &split,
        &mut l2,
        &policy,
        &mut noise_rng_from_seed(9),
    )
    .unwrap();
    assert_eq!(a[..], b[..Niche::ALL.len()]);
    // (An empty explorers' pool may pass the count gate, 5 % per niche, but not the switch.)
    let switch = explorers_switch_count(&split).unwrap();
    assert_eq!(switch, 19.0); // count_epsilon 0.5: t = 2, ceil(2 ln 10^4)
    assert!(b
        .iter()
        .filter(|r| r.arm == Arm::Explorers)
        .all(|r| r.noisy_count.unwrap_or(0) < 19));
    // (An empty explorers' release that passes the count gate only adds its noise, as a union.)
    let served = posteriors(&b, &split);
    assert_eq!(served, posteriors(&union(&b), &all));
    let mains: Vec<_> = b.iter().filter(|r| r.arm == Arm::Main).cloned().collect();
    if b.iter().all(|r| r.arm == Arm::Main || !r.published) {
        assert_eq!(served, posteriors(&mains, &all));
    }
    // A stored release without `arm` reads as the main pool.
    let mut json = serde_json::to_value(&a[0]).unwrap();
    assert!(json.get("arm").is_none());
    json.as_object_mut().unwrap().remove("arm");
    let back: crosslearn::wisdom::suffstat::NicheSuffRelease =
        serde_json::from_value(json).unwrap();
    assert_eq!(back.arm, Arm::Main);
    let e = SuffStatConfig::from_json(r#"{"contribute": "splits"}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("contribute"));
}
