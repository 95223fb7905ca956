//! The privacy guarantees of niche-wisdom releases, as tests that can fail. Networks are small
//! simulated ones (SIMULATED DATA), so everything runs fast in debug.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::privacy::aggregate::{Aggregate, Contribution};
use crosslearn::privacy::mechanism::{discrete_laplace, discrete_laplace_variance};
use crosslearn::record::CreativeRecord;
use crosslearn::rng::Rng;
use crosslearn::sim::{generate_network, Network, SimOptions};
use crosslearn::wisdom::{
    empty_aggregate, get_or_release, niche_gate, noisy_aggregate, release_wisdom,
    wisdom_contribution, AccountConsent, ContributionPool, Layout, MemoryReleaseStore,
    ReleaseConfig, ReleaseId, WisdomContribution,
};
use crosslearn::ErrorCode;
use std::collections::BTreeMap;

fn network(seed: u64, accounts: u32) -> Network {
    generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale: None,
    })
    .unwrap()
}

fn by_account(net: &Network) -> BTreeMap<String, Vec<CreativeRecord>> {
    let mut m: BTreeMap<String, Vec<CreativeRecord>> = BTreeMap::new();
    for r in &net.records {
        m.entry(r.account_id.clone()).or_default().push(r.clone());
    }
    m
}

/// The simulator makes one campaign per account and platform: gate on 1 campaign here.
fn insight_options() -> InsightOptions {
    InsightOptions {
        min_campaigns: 1,
        ..Default::default()
    }
}

fn opted_in() -> AccountConsent {
    AccountConsent { opted_in: true }
}

fn contributions(
    accounts: &BTreeMap<String, Vec<CreativeRecord>>,
    consent: impl Fn(&str) -> AccountConsent,
    config: &ReleaseConfig,
) -> BTreeMap<String, WisdomContribution> {
    accounts
        .iter()
        .filter_map(|(id, rs)| {
            wisdom_contribution(rs, consent(id), &insight_options(), config)
                .unwrap()
                .map(|c| (id.clone(), c))
        })
        .collect()
}

fn pool_of<'a>(
    cs: impl IntoIterator<Item = (&'a String, &'a WisdomContribution)>,
) -> ContributionPool {
    let mut pool = ContributionPool::new();
    for (id, c) in cs {
        pool.set(id, Some(c.clone())).unwrap();
    }
    pool
}

#[test]
fn consent_defaults_to_off_and_opted_out_data_never_changes_a_release() {
    assert!(!AccountConsent::default().opted_in);
    // About 3 opted-in accounts per niche (a network small enough for a debug test): k 2 and
    // ε 10 make the niche gate 2 accounts, so releases are published and can change.
    let config = ReleaseConfig {
        k: 2,
        epsilon: 10.0,
        budget_per_window: 40.0,
        ..Default::default()
    };
    let net = network(3, 90);
    let mut accounts = by_account(&net);
    // Odd-numbered accounts have not opted in.
    let consent = |id: &str| AccountConsent {
        opted_in: id.ends_with(['0', '2', '4', '6', '8']),
    };
    let release = |accounts: &BTreeMap<String, Vec<CreativeRecord>>| {
        let pool = pool_of(&contributions(accounts, consent, &config));
        Niche::ALL
            .iter()
            .map(|n| {
                let id = ReleaseId {
                    period: 7,
                    niche: *n,
                };
                release_wisdom(&pool.aggregate(*n), id, &config, &mut Rng::new(99)).unwrap()
            })
            .collect::<Vec<_>>()
    };
    let before = release(&accounts);
    assert!(before.iter().filter(|w| w.published).count() >= 5);
    let opted_out: Vec<String> = accounts
        .keys()
        .filter(|id| !consent(id).opted_in)
        .cloned()
        .collect();
    assert!(opted_out.len() >= 40);
    for id in &opted_out {
        for r in accounts.get_mut(id).unwrap() {
            r.clicks = r.impressions / 2;
            r.hook_type = crosslearn::record::HookType::Offer;
        }
        let rs = &accounts[id];
        assert_eq!(
            wisdom_contribution(rs, AccountConsent::default(), &insight_options(), &config)
                .unwrap(),
            None
        );
    }
    assert_eq!(release(&accounts), before);
    // Control: the same change to the opted-IN accounts does change the releases.
    let mut changed = accounts.clone();
    for (id, rs) in changed.iter_mut() {
        if consent(id).opted_in {
            for r in rs {
                r.clicks = r.impressions / 2;
            }
        }
    }
    assert_ne!(release(&changed), before);
}

/// With ε 10 the niche gate is exactly k (its noise term `t · ln 20` is 2 accounts), so this
/// checks the k threshold itself, applied to the NOISY count, with crossings both ways.
#[test]
fn below_the_noisy_k_nothing_is_published() {
    let config = ReleaseConfig {
        k: 5,
        epsilon: 10.0,
        budget_per_window: 40.0,
        ..Default::default()
    };
    let layout = Layout::new(&config).unwrap();
    assert_eq!(niche_gate(&layout, &config), 5.0);
    let net = network(5, 150);
    let accounts = by_account(&net);
    let cs = contributions(&accounts, |_| opted_in(), &config);
    let (mut published, mut suppressed, mut noisy_rescued, mut noisy_dropped) = (0, 0, 0, 0);
    for true_n in [1usize, 3, 4, 5, 6, 8] {
        let agg = fitness_aggregate(&cs, true_n);
        assert_eq!(agg.accounts as usize, true_n);
        for seed in 0..200 {
            let w = release_wisdom(&agg, fitness_id(), &config, &mut Rng::new(seed)).unwrap();
            // Replay the draw: the count's noise is the first draw of the stream.
            let noisy_n =
                agg.accounts + discrete_laplace(&mut Rng::new(seed), 1.0 / layout.count_epsilon);
            assert_eq!(w.published, noisy_n >= 5, "seed {seed}");
            if w.published {
                published += 1;
                assert_eq!(w.sample_size, Some(noisy_n as u64));
                noisy_rescued += usize::from(true_n < 5);
                for p in &w.platforms {
                    assert!(p.accounts >= 5);
                }
                for l in &w.lifts {
                    assert!(l.accounts >= 5);
                }
            } else {
                suppressed += 1;
                noisy_dropped += usize::from(true_n >= 5);
                assert_eq!(w.sample_size, None);
                assert!(w.platforms.is_empty() && w.lifts.is_empty());
                assert!(w.top_hook_types.is_empty() && w.peak_hours.is_empty());
                assert_eq!(w.niche_avg_ctr, None);
            }
        }
    }
    eprintln!(
        "published {published}, suppressed {suppressed}; true n < k but noisy >= k: {noisy_rescued}; \
         true n >= k but noisy < k: {noisy_dropped}"
    );
    // The threshold is applied to the noisy count, so both kinds of crossing occur.
    assert!(noisy_rescued > 0 && noisy_dropped > 0);
}

/// At the default ε the count noise (t ≈ 6.7) alone would carry an EMPTY niche past k = 5 about
/// a quarter of the time; the noise-aware niche gate (20 accounts) keeps that below 5 %.
#[test]
fn count_noise_alone_rarely_publishes_an_empty_niche() {
    let config = ReleaseConfig::default();
    let layout = Layout::new(&config).unwrap();
    let gate = niche_gate(&layout, &config);
    assert!(gate > f64::from(config.k), "{gate}");
    let empty = ContributionPool::new().aggregate(Niche::Fitness);
    assert_eq!(empty.accounts, 0);
    let (mut published, mut past_k) = (0, 0);
    let draws = 4000;
    for seed in 0..draws {
        let w = release_wisdom(&empty, fitness_id(), &config, &mut Rng::new(seed)).unwrap();
        let noisy_n = discrete_laplace(&mut Rng::new(seed), 1.0 / layout.count_epsilon);
        assert_eq!(w.published, noisy_n as f64 >= gate, "seed {seed}");
        published += usize::from(w.published);
        past_k += usize::from(noisy_n >= i64::from(config.k));
    }
    let (rate, k_rate) = (
        published as f64 / draws as f64,
        past_k as f64 / draws as f64,
    );
    eprintln!("empty niche published {rate:.4}; would pass k alone {k_rate:.4}");
    assert!(rate < 0.05, "{rate}");
    assert!(k_rate > 0.15, "{k_rate}");
}

fn fitness_aggregate(
    cs: &BTreeMap<String, WisdomContribution>,
    n: usize,
) -> crosslearn::privacy::aggregate::Aggregate {
    let mut pool = ContributionPool::new();
    for (id, c) in cs.iter().filter(|(_, c)| c.niche == Niche::Fitness).take(n) {
        pool.set(id, Some(c.clone())).unwrap();
    }
    pool.aggregate(Niche::Fitness)
}

fn fitness_id() -> ReleaseId {
    ReleaseId {
        period: 1,
        niche: Niche::Fitness,
    }
}

/// For every account of several small networks, removing it changes each group's pre-noise sums
/// by at most the group's stated L1 sensitivity, each field by at most its bound's sensitivity,
/// and the count by exactly 1.
#[test]
fn one_account_moves_each_aggregate_by_at_most_its_sensitivity() {
    for (seed, config) in [
        (1, ReleaseConfig::default()),
        (
            2,
            ReleaseConfig {
                bounds: crosslearn::wisdom::ContributionBounds {
                    max_log_lift: 0.5,
                    max_values_per_attribute: 2,
                    max_top_per_attribute: 1,
                    max_platforms: 3,
                },
                ..Default::default()
            },
        ),
        (3, ReleaseConfig::default()),
    ] {
        let layout = Layout::new(&config).unwrap();
        let schema = layout.schema();
        let net = network(seed, 60);
        let cs = contributions(&by_account(&net), |_| opted_in(), &config);
        assert!(cs.len() >= 50);
        let pool = pool_of(&cs);
        let mut checked = 0;
        for (id, c) in &cs {
            let mut without = pool.clone();
            without.erase(id).unwrap();
            let (a, b) = (pool.aggregate(c.niche), without.aggregate(c.niche));
            assert_eq!(a.accounts - b.accounts, 1);
            for g in &layout.groups {
                let l1: i64 = (g.start..g.start + g.len)
                    .map(|i| (a.sums[i] - b.sums[i]).abs())
                    .sum();
                assert!(
                    l1 as f64 <= g.l1_sensitivity,
                    "{id} {}: {l1} > {}",
                    g.name,
                    g.l1_sensitivity
                );
                for i in g.start..g.start + g.len {
                    assert!(
                        ((a.sums[i] - b.sums[i]).abs() as f64) <= schema.fields[i].1.sensitivity()
                    );
                }
            }
            checked += 1;
        }
        assert_eq!(checked, cs.len());
    }
}

/// The noise of every field group has the discrete-Laplace variance of `t = Δ_g / ε_g`. With a
/// fixed seed, 1,000 noisy copies of one aggregate: for each checked group the pooled sample
/// variance of (noisy − exact) over its fields must be within 4 standard errors of
/// `2a/(1−a)²`, `a = e^{−1/t}`. The sample variance of n discrete-Laplace draws has relative
/// standard error about sqrt(5 / n) (kurtosis ≈ 6): 7.1 % for the count (n = 1,000), 2.1 % for a
/// hook-type group (n = 11,000), under 1 % for the histograms (n ≥ 54,000), so the bands are
/// 28 %, 8.5 % and < 4 % (false-alarm rate about 6e-5 each under normality; the seed is fixed, so the
/// outcome is deterministic and printed). A wrong scale (Δ not divided by ε_g, or the per-field
/// instead of the group's sensitivity) would be off by a factor of 2 or more in variance.
#[test]
fn noise_scale_is_sensitivity_over_epsilon() {
    let config = ReleaseConfig::default();
    let layout = Layout::new(&config).unwrap();
    let net = network(4, 45);
    let cs = contributions(&by_account(&net), |_| opted_in(), &config);
    let pool = pool_of(&cs);
    let agg = pool.aggregate(Niche::Fitness);
    let w = release_wisdom(
        &agg,
        ReleaseId {
            period: 0,
            niche: Niche::Fitness,
        },
        &config,
        &mut Rng::new(0),
    )
    .unwrap();
    // The published parameters state t = Δ/ε for every group.
    for g in &w.privacy.groups {
        assert!((g.noise_scale - g.l1_sensitivity / g.epsilon).abs() < 1e-9 * g.noise_scale);
    }
    assert!((w.privacy.epsilon - config.epsilon).abs() < 1e-12);
    // The study's seeded generator, and ChaCha20 as the Worker and the bindings draw it.
    let mut study = Rng::new(2026);
    let mut chacha = crosslearn::privacy::dgauss::noise_rng_from_seed(2026);
    let generators: [(&str, &mut dyn rand_core::Rng); 2] =
        [("xoshiro", &mut study), ("chacha20", &mut chacha)];
    for (generator, rng) in generators {
        let reps = 1000;
        let mut count_dev = Vec::new();
        let mut dev: Vec<Vec<f64>> = vec![Vec::new(); layout.groups.len()];
        for _ in 0..reps {
            let noisy = noisy_aggregate(&layout, &agg, rng);
            count_dev.push((noisy.accounts - agg.accounts) as f64);
            for (gi, g) in layout.groups.iter().enumerate() {
                for i in g.start..g.start + g.len {
                    dev[gi].push((noisy.sums[i] - agg.sums[i]) as f64);
                }
            }
        }
        let check = |name: &str, xs: &[f64], t: f64| {
            let n = xs.len() as f64;
            let var = xs.iter().map(|x| x * x).sum::<f64>() / n;
            let expect = discrete_laplace_variance(t);
            let rse = (5.0 / n).sqrt();
            eprintln!(
            "{generator} {name}: t {t:.1}, n {n}, var/expected {:.4} (relative s.e. {:.4}, {:.1} s.e. from 1)",
            var / expect,
            rse,
            (var / expect - 1.0).abs() / rse
        );
            assert!(
                (var / expect - 1.0).abs() < 4.0 * rse,
                "{name}: {var} vs {expect}"
            );
        };
        check("count", &count_dev, 1.0 / layout.count_epsilon);
        for (gi, g) in layout.groups.iter().enumerate() {
            if g.name.contains("histogram") || g.name.ends_with("hook_type") {
                check(&g.name, &dev[gi], g.noise_scale());
            }
        }
    }
}

#[test]
fn no_account_id_or_source_text_in_any_serialized_release() {
    let config = ReleaseConfig {
        k: 2,
        epsilon: 10.0,
        budget_per_window: 40.0,
        ..Default::default()
    };
    let net = network(8, 120);
    let accounts = by_account(&net);
    let cs = contributions(&accounts, |_| opted_in(), &config);
    let pool = pool_of(&cs);
    let mut texts: Vec<&str> = Vec::new();
    for r in &net.records {
        for t in [&r.headline, &r.body, &r.record_id] {
            if t.len() >= 12 {
                texts.push(t);
            }
        }
    }
    texts.sort();
    texts.dedup();
    assert!(texts.len() > 50);
    let mut published = 0;
    for n in Niche::ALL {
        let w = release_wisdom(
            &pool.aggregate(n),
            ReleaseId {
                period: 3,
                niche: n,
            },
            &config,
            &mut Rng::new(5),
        )
        .unwrap();
        published += usize::from(w.published);
        let json = serde_json::to_string(&w).unwrap();
        assert!(!json.contains("sim-a"), "account id prefix in {n} release");
        for id in accounts.keys() {
            assert!(!json.contains(id.as_str()));
        }
        for t in &texts {
            assert!(!json.contains(t), "source text {t:?} in {n} release");
        }
    }
    assert!(published >= 10, "{published}");
    // Contributions carry no id or text either.
    let json = serde_json::to_string(&cs.values().collect::<Vec<_>>()).unwrap();
    assert!(!json.contains("sim-a") && texts.iter().all(|t| !json.contains(t)));
}

#[test]
fn erasure_then_reaggregation_equals_aggregation_without_the_account() {
    let config = ReleaseConfig::default();
    let net = network(6, 60);
    let cs = contributions(&by_account(&net), |_| opted_in(), &config);
    let all = pool_of(&cs);
    for (id, c) in &cs {
        let mut erased = all.clone();
        assert!(erased.erase(id).unwrap());
        assert!(!erased.erase(id).unwrap());
        let without = pool_of(cs.iter().filter(|(j, _)| *j != id).rev());
        for n in Niche::ALL {
            assert_eq!(erased.aggregate(n), without.aggregate(n), "erasing {id}");
        }
        // Releases from the two are identical too.
        let rid = ReleaseId {
            period: 2,
            niche: c.niche,
        };
        assert_eq!(
            release_wisdom(&erased.aggregate(c.niche), rid, &config, &mut Rng::new(1)).unwrap(),
            release_wisdom(&without.aggregate(c.niche), rid, &config, &mut Rng::new(1)).unwrap()
        );
    }
    // Replacement, including a move to another niche, is exact as well.
    let (id, c) = cs.iter().next().unwrap();
    let mut moved = c.clone();
    moved.niche = Niche::Automotive;
    let mut p = all.clone();
    p.set(id, Some(moved.clone())).unwrap();
    let mut expect = all.aggregate(Niche::Automotive);
    expect
        .add(&Contribution {
            values: moved.values.clone(),
        })
        .unwrap();
    assert_eq!(p.aggregate(Niche::Automotive), expect);
    let mut old = all.aggregate(c.niche);
    old.remove(&Contribution {
        values: c.values.clone(),
    })
    .unwrap();
    assert_eq!(p.aggregate(c.niche), old);
    // Everyone erased: back to the empty aggregate.
    let mut p = all.clone();
    for id in cs.keys() {
        p.erase(id).unwrap();
    }
    for n in Niche::ALL {
        assert_eq!(p.aggregate(n), empty_aggregate());
    }
    assert!(p.is_empty());
}

#[test]
fn a_release_is_made_once_per_period_and_niche_and_budget_is_enforced() {
    let config = ReleaseConfig {
        epsilon: 1.5,
        budget_per_window: 3.0,
        window_periods: 4,
        ..Default::default()
    };
    let net = network(9, 90);
    let pool = pool_of(&contributions(&by_account(&net), |_| opted_in(), &config));
    let agg = pool.aggregate(Niche::Food);
    let mut store = MemoryReleaseStore::new();
    let id = |period| ReleaseId {
        period,
        niche: Niche::Food,
    };
    let first = get_or_release(&mut store, &agg, id(8), &config, &mut Rng::new(1)).unwrap();
    // Asking again (even with other randomness, even after the data changed) returns the same.
    for seed in 2..6 {
        let again = get_or_release(
            &mut store,
            &empty_aggregate(),
            id(8),
            &config,
            &mut Rng::new(seed),
        )
        .unwrap();
        assert_eq!(again, first);
    }
    // Window 2 (periods 8..12) has room for two releases of 1.5.
    get_or_release(&mut store, &agg, id(9), &config, &mut Rng::new(7)).unwrap();
    let e = get_or_release(&mut store, &agg, id(10), &config, &mut Rng::new(8)).unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported);
    assert!(e.message.contains("budget"));
    // Another niche has its own budget (its accounts are disjoint); the next window is fresh.
    get_or_release(
        &mut store,
        &pool.aggregate(Niche::Travel),
        ReleaseId {
            period: 10,
            niche: Niche::Travel,
        },
        &config,
        &mut Rng::new(9),
    )
    .unwrap();
    get_or_release(&mut store, &agg, id(12), &config, &mut Rng::new(10)).unwrap();
    // A fresh release with the same data but a different period differs (new noise), which is
    // exactly why repeated reads must not create releases.
    let a = release_wisdom(&agg, id(8), &config, &mut Rng::new(1)).unwrap();
    let b = release_wisdom(&agg, id(8), &config, &mut Rng::new(2)).unwrap();
    assert_ne!(a, b);
}

#[test]
fn bad_inputs_are_errors_naming_the_field() {
    let mut config = ReleaseConfig {
        epsilon: -1.0,
        ..Default::default()
    };
    let agg = empty_aggregate();
    let id = ReleaseId {
        period: 0,
        niche: Niche::Tech,
    };
    let e = release_wisdom(&agg, id, &config, &mut Rng::new(0)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("epsilon"));
    config.epsilon = 1.0;
    config.split.lifts = 0.9;
    let e = release_wisdom(&agg, id, &config, &mut Rng::new(0)).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("split"));
    let e = release_wisdom(
        &Aggregate::new(3),
        id,
        &ReleaseConfig::default(),
        &mut Rng::new(0),
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("aggregate.sums"));
    let mut pool = ContributionPool::new();
    let bad = WisdomContribution {
        version: 1,
        niche: Niche::Tech,
        values: vec![1, 2],
    };
    assert_eq!(
        pool.set("a", Some(bad)).unwrap_err().field.as_deref(),
        Some("contribution.values")
    );
}
