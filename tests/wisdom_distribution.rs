//! The distribution release (`ReleaseConfig::distributions`, `src/wisdom/distribution.rs`):
//! validation, unchanged releases without it, the regular release's draws with it, the
//! distribution release's noise, combining the two, and the yearly accounting (SIMULATED DATA).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::privacy::aggregate::Aggregate;
use crosslearn::privacy::mechanism::{discrete_laplace, discrete_laplace_variance};
use crosslearn::rng::Rng;
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::wisdom::distribution::{periods_intersecting, YEAR_DAYS};
use crosslearn::wisdom::layout::{validate_config, GroupKind, Layout};
use crosslearn::wisdom::release::noisy_aggregate;
use crosslearn::wisdom::{
    combine_releases, release_distributions, release_wisdom, wisdom_contribution,
    yearly_pure_epsilon, AccountConsent, ContributionPool, DistributionConfig, DistributionId,
    DistributionSplit, EpsilonSplit, NicheWisdom, ReleaseConfig, ReleaseId,
};
use std::collections::BTreeMap;

/// A pool of every account of a simulated network (simulator-v1), all opted in.
fn pool(seed: u64, accounts: u32, config: &ReleaseConfig) -> ContributionPool {
    let net = generate_network(&SimOptions {
        seed,
        accounts,
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
    for (id, rs) in &by {
        let c = wisdom_contribution(rs, AccountConsent { opted_in: true }, &opts, config).unwrap();
        pool.set(id, c).unwrap();
    }
    pool
}

/// Production's format 1 (docs/release-production-format1.json).
fn production() -> ReleaseConfig {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/release-production-format1.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

/// Production with the distributions moved out (docs/release-production-distributions.json).
fn with_distributions() -> ReleaseConfig {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/release-production-distributions.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn field_of(config: &ReleaseConfig) -> String {
    validate_config(config)
        .expect_err("invalid")
        .field
        .expect("a named field")
}

#[test]
fn invalid_distribution_configs_name_the_field() {
    let base = with_distributions();
    assert_eq!(validate_config(&base), Ok(()));
    let d = base.distributions.unwrap();
    let with = |d: DistributionConfig| ReleaseConfig {
        distributions: Some(d),
        ..base
    };
    let cases = [
        (
            with(DistributionConfig { epsilon: 0.0, ..d }),
            "distributions.epsilon",
        ),
        (
            with(DistributionConfig {
                epsilon: f64::NAN,
                ..d
            }),
            "distributions.epsilon",
        ),
        (
            with(DistributionConfig {
                cadence_days: base.cadence_days - 1,
                ..d
            }),
            "distributions.cadence_days",
        ),
        (
            with(DistributionConfig {
                split: DistributionSplit {
                    ctr_histogram: -0.1,
                    ..d.split
                },
                ..d
            }),
            "distributions.split.ctr_histogram",
        ),
        (
            with(DistributionConfig {
                split: DistributionSplit {
                    count: 0.0,
                    ..d.split
                },
                ..d
            }),
            "distributions.split.count",
        ),
        (
            with(DistributionConfig {
                split: DistributionSplit {
                    roas_histogram: 0.9,
                    ..d.split
                },
                ..d
            }),
            "distributions.split",
        ),
        // With distributions, the regular release's histogram shares must be 0 ...
        (
            ReleaseConfig {
                split: EpsilonSplit {
                    cvr_histogram: 0.1,
                    ..base.split
                },
                ..base
            },
            "split.cvr_histogram",
        ),
        // ... and without, they must be > 0 as before.
        (
            ReleaseConfig {
                distributions: None,
                ..base
            },
            "split.ctr_histogram",
        ),
    ];
    for (config, field) in cases {
        assert_eq!(field_of(&config), field, "{config:?}");
    }
    // A missing section: the distribution layout and release name it.
    let none = production();
    let err = Layout::distribution(&none).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("distributions"));
    let agg = pool(3, 150, &none).aggregate(Niche::Fitness);
    let err = release_distributions(
        &agg,
        DistributionId {
            period: 0,
            niche: Niche::Fitness,
        },
        &none,
        &mut Rng::new(1),
    )
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("distributions"));
    // Unknown keys are refused in the section and in its split; absent keys take the defaults.
    let parse = |json: &str| serde_json::from_str::<ReleaseConfig>(json);
    let err = parse(r#"{"distributions": {"cadence_days": 91, "epsilonn": 1}}"#).unwrap_err();
    assert!(err.to_string().contains("epsilonn"), "{err}");
    let err = parse(r#"{"distributions": {"split": {"lifts": 0.1}}}"#).unwrap_err();
    assert!(err.to_string().contains("lifts"), "{err}");
    let c = parse(r#"{"distributions": {}}"#).unwrap();
    assert_eq!(c.distributions, Some(DistributionConfig::default()));
    assert_eq!(
        parse(r#"{"distributions": null}"#).unwrap().distributions,
        None
    );
}

/// FNV-1a, 64 bits.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Without the section, every release is byte for byte what it was before the section existed:
/// the hash of all 15 niches' releases at two configs and fixed seeds was computed on the code
/// before this change (main at 5bad7a4), and the configs serialize without the new key.
#[test]
fn absent_section_releases_exactly_as_before() {
    let mut json = Vec::new();
    for config in [ReleaseConfig::default(), production()] {
        assert!(!serde_json::to_string(&config)
            .unwrap()
            .contains("distributions"));
        let pool = pool(5, 1500, &config);
        for niche in Niche::ALL {
            let w = release_wisdom(
                &pool.aggregate(niche),
                ReleaseId { period: 3, niche },
                &config,
                &mut Rng::stream(11, niche as u64),
            )
            .unwrap();
            assert_eq!(w.distribution_period, None);
            json.extend(serde_json::to_vec(&w).unwrap());
        }
    }
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.contains("\"ctr\":{"), "some benchmarks are published");
    assert!(!text.contains("distribution_period"));
    assert_eq!(fnv(&json), GOLDEN, "{:#x}", fnv(&json));
}

const GOLDEN: u64 = 0xf25a_93f9_2f48_42d8;

/// The noise values a layout's release draws, replayed one by one on a copy of the generator.
fn replay(layout: &Layout, rng: &mut Rng) -> usize {
    discrete_laplace(rng, 1.0 / layout.count_epsilon);
    let mut n = 1;
    for g in layout.groups.iter().filter(|g| g.released()) {
        for _ in 0..g.len {
            discrete_laplace(rng, g.noise_scale());
            n += 1;
        }
    }
    n
}

#[test]
fn with_distributions_the_regular_release_has_no_benchmarks_and_draws_no_histogram_noise() {
    let config = with_distributions();
    let layout = Layout::new(&config).unwrap();
    for kind in [
        GroupKind::CtrHistogram,
        GroupKind::CvrHistogram,
        GroupKind::RoasHistogram,
    ] {
        assert!(!layout.group(kind).released());
    }
    let histogram_fields: usize = layout
        .groups
        .iter()
        .filter(|g| g.name.contains("histogram"))
        .map(|g| g.len)
        .sum();
    assert_eq!(histogram_fields, 3 * (18 + 20 + 24));
    let pool = pool(5, 3000, &config);
    let mut published = 0;
    for (i, niche) in Niche::ALL.into_iter().enumerate() {
        let agg = pool.aggregate(niche);
        let id = ReleaseId { period: 1, niche };
        // Same stream for the release and for the replay of exactly the expected draws: the two
        // generators end in the same state, so the release drew those values and no others.
        let mut rng = Rng::stream(21, i as u64);
        let w = release_wisdom(&agg, id, &config, &mut rng).unwrap();
        let mut expected = Rng::stream(21, i as u64);
        let draws = replay(&layout, &mut expected);
        // count + 3 platform counts + (lift counts, lift sums, top lists) over 56 values.
        assert_eq!(draws, 1 + 3 + 3 * 56);
        assert_eq!(
            draws,
            1 + Layout::field_count() - histogram_fields,
            "no histogram draw"
        );
        assert_eq!(rng.next_u64(), expected.next_u64(), "{niche:?}");
        // Data-independent: an empty aggregate draws the same.
        let mut empty_rng = Rng::stream(21, i as u64);
        release_wisdom(
            &Aggregate::new(Layout::field_count()),
            id,
            &config,
            &mut empty_rng,
        )
        .unwrap();
        let mut again = Rng::stream(21, i as u64);
        replay(&layout, &mut again);
        assert_eq!(empty_rng.next_u64(), again.next_u64());
        // Nothing of the histograms is published, and their groups are not in its privacy.
        for p in &w.platforms {
            assert_eq!(
                (p.ctr, p.conversion_rate, p.roas),
                (None, None, None),
                "{niche:?}"
            );
        }
        assert_eq!(w.niche_avg_ctr, None);
        assert!(w
            .privacy
            .groups
            .iter()
            .all(|g| !g.group.contains("histogram")));
        assert!((w.privacy.epsilon - config.epsilon).abs() < 1e-9);
        published += usize::from(w.published);
    }
    assert!(published > 0);
}

#[test]
fn the_distribution_release_draws_a_fixed_number_of_values_and_publishes_the_benchmarks() {
    let config = with_distributions();
    let layout = Layout::distribution(&config).unwrap();
    let pool = pool(5, 3000, &config);
    let mut with_benchmarks = 0;
    for (i, niche) in Niche::ALL.into_iter().enumerate() {
        let agg = pool.aggregate(niche);
        let id = DistributionId { period: 2, niche };
        let mut rng = Rng::stream(33, i as u64);
        let w = release_distributions(&agg, id, &config, &mut rng).unwrap();
        let mut expected = Rng::stream(33, i as u64);
        // count + 3 platform counts + every histogram bin; no lift or top-list draw.
        assert_eq!(replay(&layout, &mut expected), 1 + 3 + 3 * (18 + 20 + 24));
        assert_eq!(rng.next_u64(), expected.next_u64(), "{niche:?}");
        assert_eq!((w.niche, w.period), (niche, 2));
        assert_eq!(w.privacy.cadence_days, 91);
        let d = config.distributions.unwrap();
        assert!((w.privacy.epsilon - d.epsilon).abs() < 1e-12);
        assert_eq!(
            w.privacy
                .groups
                .iter()
                .map(|g| g.group.as_str())
                .collect::<Vec<_>>(),
            [
                "count",
                "platform_count",
                "ctr_histogram",
                "cvr_histogram",
                "roas_histogram"
            ]
        );
        with_benchmarks += w.platforms.iter().filter(|p| p.ctr.is_some()).count();
    }
    assert!(with_benchmarks > 0);
}

/// Like `noise_scale_is_sensitivity_over_epsilon` (tests/wisdom_privacy.rs): 1,000 noisy copies of
/// one aggregate under the distribution layout; each group's noise variance is the discrete
/// Laplace variance of `Δ_g / ε_g` with `ε_g` = the distribution epsilon × its share, within 4
/// standard errors, and unreleased groups get no noise (their sums are 0).
#[test]
fn distribution_noise_scale_is_sensitivity_over_its_epsilon() {
    let config = with_distributions();
    let d = config.distributions.unwrap();
    let layout = Layout::distribution(&config).unwrap();
    let agg = pool(4, 675, &config).aggregate(Niche::Fitness);
    let share = |kind: GroupKind| match kind {
        GroupKind::PlatformCount => d.split.platform_counts,
        GroupKind::CtrHistogram => d.split.ctr_histogram,
        GroupKind::CvrHistogram => d.split.cvr_histogram,
        GroupKind::RoasHistogram => d.split.roas_histogram,
        _ => 0.0,
    };
    assert!((layout.count_epsilon - d.epsilon * d.split.count).abs() < 1e-12);
    let mut rng = Rng::new(2026);
    let reps = 1000;
    let mut count_dev = Vec::new();
    let mut dev: Vec<Vec<f64>> = vec![Vec::new(); layout.groups.len()];
    for _ in 0..reps {
        let noisy = noisy_aggregate(&layout, &agg, &mut rng);
        count_dev.push((noisy.accounts - agg.accounts) as f64);
        for (gi, g) in layout.groups.iter().enumerate() {
            for i in g.start..g.start + g.len {
                if g.released() {
                    dev[gi].push((noisy.sums[i] - agg.sums[i]) as f64);
                } else {
                    assert_eq!(noisy.sums[i], 0, "{}", g.name);
                }
            }
        }
    }
    let check = |name: &str, xs: &[f64], t: f64| {
        let n = xs.len() as f64;
        let var = xs.iter().map(|x| x * x).sum::<f64>() / n;
        let expect = discrete_laplace_variance(t);
        let rse = (5.0 / n).sqrt();
        eprintln!(
            "{name}: t {t:.2}, n {n}, var/expected {:.4} (relative s.e. {rse:.4})",
            var / expect
        );
        assert!(
            (var / expect - 1.0).abs() < 4.0 * rse,
            "{name}: {var} vs {expect}"
        );
    };
    check("count", &count_dev, 1.0 / (d.epsilon * d.split.count));
    let mut checked = 0;
    for (gi, g) in layout.groups.iter().enumerate() {
        let eps = d.epsilon * share(g.kind);
        assert!((g.epsilon - eps).abs() < 1e-12, "{}", g.name);
        if g.released() {
            check(&g.name, &dev[gi], g.l1_sensitivity / eps);
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}

#[test]
fn combining_takes_the_benchmarks_from_the_distribution_release() {
    let config = with_distributions();
    let pool = pool(5, 3000, &config);
    let niche = Niche::Fitness;
    let agg = pool.aggregate(niche);
    let regular = release_wisdom(
        &agg,
        ReleaseId { period: 40, niche },
        &config,
        &mut Rng::new(1),
    )
    .unwrap();
    let dist = release_distributions(
        &agg,
        DistributionId { period: 13, niche },
        &config,
        &mut Rng::new(2),
    )
    .unwrap();
    assert!(regular.published && dist.published);
    assert!(dist.platforms.iter().any(|p| p.ctr.is_some()));
    let w = combine_releases(&regular, &dist).unwrap();
    assert_eq!(w.platforms, dist.platforms);
    assert_eq!(w.niche_avg_ctr, dist.niche_avg_ctr);
    assert_eq!(w.distribution_period, Some(13));
    assert_eq!(w.distribution_privacy.as_ref(), Some(&dist.privacy));
    // Everything else is the regular release's.
    let back = NicheWisdom {
        platforms: regular.platforms.clone(),
        niche_avg_ctr: regular.niche_avg_ctr,
        distribution_period: None,
        distribution_privacy: None,
        ..w.clone()
    };
    assert_eq!(back, regular);
    // Readers' lookups work on the combined record.
    let p = dist.platforms.iter().find(|p| p.ctr.is_some()).unwrap();
    assert_eq!(w.ctr_prior(p.platform), p.ctr.map(|c| c.p50));
    // The field round-trips, and a stored release without it still parses.
    let json = serde_json::to_value(&w).unwrap();
    assert_eq!(json["distribution_period"], 13);
    assert_eq!(serde_json::from_value::<NicheWisdom>(json).unwrap(), w);
    let mut old = serde_json::to_value(&regular).unwrap();
    assert!(old.get("distribution_period").is_none());
    old.as_object_mut().unwrap().remove("distribution_period");
    assert!(old.get("distribution_privacy").is_none());
    assert_eq!(serde_json::from_value::<NicheWisdom>(old).unwrap(), regular);

    // An unpublished distribution release: the regular release's platforms (counts only) stay.
    let unpublished = crosslearn::wisdom::DistributionWisdom {
        published: false,
        sample_size: None,
        platforms: Vec::new(),
        niche_avg_ctr: None,
        ..dist.clone()
    };
    assert_eq!(combine_releases(&regular, &unpublished).unwrap(), regular);
    // An unpublished regular release stays unpublished.
    let empty = release_wisdom(
        &Aggregate::new(Layout::field_count()),
        ReleaseId { period: 40, niche },
        &config,
        &mut Rng::new(1),
    )
    .unwrap();
    assert!(!empty.published);
    assert_eq!(combine_releases(&empty, &dist).unwrap(), empty);
    // Named errors: another niche, another version, a regular release with its own benchmarks.
    let other = crosslearn::wisdom::DistributionWisdom {
        niche: Niche::Beauty,
        ..dist.clone()
    };
    let field = |r: crosslearn::Result<NicheWisdom>| r.unwrap_err().field.unwrap();
    assert_eq!(
        field(combine_releases(&regular, &other)),
        "distributions.niche"
    );
    let newer = crosslearn::wisdom::DistributionWisdom {
        version: dist.version + 1,
        ..dist.clone()
    };
    assert_eq!(
        field(combine_releases(&regular, &newer)),
        "distributions.version"
    );
    let old_style = release_wisdom(
        &agg,
        ReleaseId { period: 40, niche },
        &production(),
        &mut Rng::new(1),
    )
    .unwrap();
    assert!(old_style.platforms.iter().any(|p| p.ctr.is_some()));
    assert_eq!(
        field(combine_releases(&old_style, &dist)),
        "regular.platforms"
    );
}

#[test]
fn yearly_loss_counts_every_period_that_can_touch_365_days() {
    // Brute force: the most distinct periods over any 365 consecutive days.
    let brute = |cadence: u32| -> u32 {
        (0..2 * cadence)
            .map(|start| {
                let first = start / cadence;
                let last = (start + YEAR_DAYS - 1) / cadence;
                last - first + 1
            })
            .max()
            .unwrap()
    };
    for cadence in [1, 7, 28, 30, 31, 90, 91, 92, 121, 122, 182, 365, 366, 1000] {
        assert_eq!(
            periods_intersecting(cadence, YEAR_DAYS),
            brute(cadence),
            "{cadence}"
        );
    }
    assert_eq!(periods_intersecting(30, 365), 14);
    assert_eq!(periods_intersecting(91, 365), 5);
    assert_eq!(periods_intersecting(122, 365), 4);
    assert_eq!(periods_intersecting(30, 0), 0);
    // Production's format 1: 14 monthly releases at 0.45 (the docs' 5.85 counts 13 period starts).
    assert!((yearly_pure_epsilon(&production()) - 14.0 * 0.45).abs() < 1e-12);
    // With the distributions on their own quarterly release: 14 regular + 5 distribution
    // releases, no more than production's format 1 by either count.
    let c = with_distributions();
    let d = c.distributions.unwrap();
    let y = yearly_pure_epsilon(&c);
    assert!((y - (14.0 * c.epsilon + 5.0 * d.epsilon)).abs() < 1e-12);
    assert!(y <= 5.85 + 1e-12, "{y}");
    // The regular release keeps exactly production's non-histogram epsilons.
    let (p, q) = (production(), c);
    let groups = |c: &ReleaseConfig| {
        let l = Layout::new(c).unwrap();
        let mut v: Vec<(String, f64)> = l
            .groups
            .iter()
            .filter(|g| g.released())
            .map(|g| (g.name.clone(), g.epsilon))
            .collect();
        v.push(("count".into(), l.count_epsilon));
        v
    };
    let (a, b) = (groups(&p), groups(&q));
    assert_eq!(a.len(), b.len() + 3);
    for (name, eps) in &b {
        let before = a.iter().find(|(n, _)| n == name).unwrap().1;
        assert!((before - eps).abs() < 1e-9, "{name}: {before} vs {eps}");
    }
}
