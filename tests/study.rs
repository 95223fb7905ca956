//! The simulator's truth for arbitrary creatives and the network-effect study (simulated data).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::record::{AdFormat, CtaStyle, HookType, VisualTag};
use crosslearn::sim::{generate_network, true_ctr, CreativeSpec, SimOptions, SimParams};
use crosslearn::Platform;

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[test]
fn truth_reproduces_the_generators_oracle() {
    // The generator's oracle must be exactly what true_ctr says for each record's attributes:
    // attribute_logit bit for bit; the creative noise (not exposed) is the remaining logit, and is
    // the same on every platform of one creative.
    let p = SimParams::v1();
    for scale in [0.5, 1.0, 2.0] {
        let net = generate_network(&SimOptions {
            seed: 5,
            accounts: 30,
            effect_scale: Some(scale),
        })
        .unwrap();
        let mut noise_of: std::collections::BTreeMap<String, f64> = Default::default();
        for (r, o) in net.records.iter().zip(&net.oracle) {
            let account = net
                .accounts
                .iter()
                .find(|a| a.account_id == r.account_id)
                .unwrap();
            let spec = CreativeSpec {
                niche: account.niche,
                platform: r.platform,
                hook: r.hook_type,
                cta: r.cta_style,
                visual_tags: r.visual_tags.clone(),
                format: r.format,
                duration_s: r.duration_s,
                posting_hour: r.posting_hour.unwrap(),
                account_effect: account.ctr_effect,
                creative_noise: 0.0,
            };
            let t = true_ctr(&p, scale, &spec).unwrap();
            assert_eq!(t.attribute_logit, o.attribute_logit, "{}", r.record_id);
            let noise = logit(o.true_ctr) - logit(t.ctr);
            let creative = r.record_id.rsplit_once('-').unwrap().0.to_string();
            let first = *noise_of.entry(creative).or_insert(noise);
            assert!((noise - first).abs() < 1e-9, "{}", r.record_id);
            let exact = true_ctr(
                &p,
                scale,
                &CreativeSpec {
                    creative_noise: noise,
                    ..spec
                },
            )
            .unwrap();
            assert!((exact.ctr - o.true_ctr).abs() < 1e-12 * o.true_ctr.max(1e-3));
        }
    }
}

fn spec() -> CreativeSpec {
    CreativeSpec {
        niche: crosslearn::niche::Niche::Beauty,
        platform: Platform::Meta,
        hook: HookType::Offer,
        cta: CtaStyle::GetOffer,
        visual_tags: vec![VisualTag::BeforeAfter],
        format: AdFormat::Video,
        duration_s: Some(20.0),
        posting_hour: 18,
        account_effect: 0.0,
        creative_noise: 0.0,
    }
}

#[test]
fn truth_follows_the_documented_effects_and_rejects_bad_input() {
    let p = SimParams::v1();
    let s = spec();
    let t = true_ctr(&p, 1.0, &s).unwrap();
    // offer 0.15*1.0 + get_offer 0.08 + before_after 0.10 + beauty x before_after 0.15
    // + meta video 0.05 + 20 s (in range) 0 + hour 18 0.05
    assert!(
        (t.attribute_logit - 0.58).abs() < 1e-12,
        "{}",
        t.attribute_logit
    );
    let flat = true_ctr(&p, 0.0, &s).unwrap();
    assert_eq!(flat.attribute_logit, 0.0);
    assert!((logit(t.ctr) - logit(flat.ctr) - 0.58).abs() < 1e-9);
    // A 60 s video loses one doubling of the penalty.
    let long = true_ctr(
        &p,
        1.0,
        &CreativeSpec {
            duration_s: Some(60.0),
            ..s.clone()
        },
    )
    .unwrap();
    assert!((t.attribute_logit - long.attribute_logit - 0.10).abs() < 1e-12);
    for (bad, field) in [
        (
            CreativeSpec {
                posting_hour: 24,
                ..s.clone()
            },
            "posting_hour",
        ),
        (
            CreativeSpec {
                duration_s: Some(0.0),
                ..s.clone()
            },
            "duration_s",
        ),
        (
            CreativeSpec {
                account_effect: f64::NAN,
                ..s.clone()
            },
            "account_effect",
        ),
        (
            CreativeSpec {
                platform: Platform::Unknown,
                ..s.clone()
            },
            "platform",
        ),
    ] {
        let e = true_ctr(&p, 1.0, &bad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{e:?}");
    }
    assert!(true_ctr(&p, -1.0, &s).is_err());
}

mod study {
    use crosslearn::insights::Attribute;
    use crosslearn::niche::Niche;
    use crosslearn::record::{AdFormat, CtaStyle, HookType, VisualTag};
    use crosslearn::rng::Rng;
    use crosslearn::sim::truth::draw_record_attributes;
    use crosslearn::sim::{true_ctr, CreativeSpec, SimParams};
    use crosslearn::study::{guided_choice, oracle_choice, LiftTable};
    use crosslearn::wisdom::AttributeLift;
    use crosslearn::Platform;

    fn random_spec(p: &SimParams, niche: Niche, platform: Platform, r: &mut Rng) -> CreativeSpec {
        let hooks: Vec<HookType> = p.hook.keys().copied().collect();
        let ctas: Vec<CtaStyle> = p.cta.keys().copied().collect();
        let hook = hooks[r.range(0, hooks.len() as u64 - 1) as usize];
        let cta = ctas[r.range(0, ctas.len() as u64 - 1) as usize];
        let d = draw_record_attributes(p, platform, r);
        CreativeSpec {
            niche,
            platform,
            hook,
            cta,
            visual_tags: d.visual_tags,
            format: d.format,
            duration_s: d.duration_s,
            posting_hour: d.posting_hour,
            account_effect: 0.0,
            creative_noise: 0.0,
        }
    }

    #[test]
    fn oracle_beats_every_simulated_draw_with_at_most_three_tags() {
        let p = SimParams::v1();
        let mut r = Rng::new(9);
        for niche in Niche::ALL {
            for platform in Platform::KNOWN {
                let best = oracle_choice(&p, niche, platform, 3);
                assert!(best.visual_tags.len() <= 3);
                let top = true_ctr(&p, 1.0, &best).unwrap().ctr;
                for _ in 0..200 {
                    let mut s = random_spec(&p, niche, platform, &mut r);
                    s.visual_tags.truncate(3);
                    let c = true_ctr(&p, 1.0, &s).unwrap().ctr;
                    assert!(
                        c <= top + 1e-15,
                        "{niche} {platform}: {s:?} beats the oracle"
                    );
                }
            }
        }
        // Beauty's before_after interaction makes it the best Meta tag.
        let b = oracle_choice(&p, Niche::Beauty, Platform::Meta, 3);
        assert_eq!(b.visual_tags.first(), Some(&VisualTag::BeforeAfter));
        assert_eq!(b.hook, HookType::Offer);
        assert_eq!(b.cta, CtaStyle::GetOffer);
        assert_eq!(b.format, AdFormat::Carousel);
    }

    fn lift(attribute: Attribute, value: &str, lift: f64, lo: f64, hi: f64) -> AttributeLift {
        AttributeLift {
            attribute,
            value: value.into(),
            accounts: 60,
            lift,
            lift_interval: [lo, hi],
        }
    }

    #[test]
    fn guided_choice_follows_tight_lifts_and_falls_back_without_them() {
        let p = SimParams::v1();
        let mut r = Rng::new(3);
        let base = random_spec(&p, Niche::Fitness, Platform::Tiktok, &mut r);
        // Nothing published: the unguided creative, all 5 choices fell back (TikTok: a video).
        let (s, fb, chosen) = guided_choice(&LiftTable::from_lifts(&[]), &base, 3, &mut r);
        assert_eq!(s, base);
        assert_eq!((fb, chosen), (5, 5));
        let table = LiftTable::from_lifts(&[
            lift(Attribute::HookType, "pain_point", 1.3, 1.25, 1.35),
            lift(Attribute::HookType, "story", 0.9, 0.85, 0.95),
            lift(Attribute::CtaStyle, "get_offer", 1.1, 1.05, 1.15),
            lift(Attribute::VisualTag, "ugc", 1.2, 1.15, 1.25),
            lift(Attribute::VisualTag, "lifestyle", 0.8, 0.75, 0.85),
            lift(Attribute::Duration, "15-30s", 1.2, 1.15, 1.25),
            lift(Attribute::PostingHour, "18-20", 1.1, 1.05, 1.15),
            lift(Attribute::PostingHour, "00-02", 0.8, 0.75, 0.85),
        ]);
        assert_eq!(table.len(), 8);
        for _ in 0..50 {
            let (s, fb, _) = guided_choice(&table, &base, 3, &mut r);
            assert_eq!(fb, 0);
            assert_eq!(s.hook, HookType::PainPoint);
            assert_eq!(s.cta, CtaStyle::GetOffer);
            // ugc added first, lifestyle (below 1) never, the drawn unpublished tags kept.
            assert_eq!(s.visual_tags.first(), Some(&VisualTag::Ugc));
            assert!(!s.visual_tags.contains(&VisualTag::Lifestyle) && s.visual_tags.len() <= 3);
            for t in base
                .visual_tags
                .iter()
                .filter(|t| **t != VisualTag::Lifestyle)
            {
                assert!(
                    s.visual_tags.contains(t) || s.visual_tags.len() == 3,
                    "{t:?} dropped"
                );
            }
            assert_eq!(s.duration_s, Some(23.0)); // TikTok runs videos only
            assert!((18..=20).contains(&s.posting_hour));
            assert_eq!(
                (s.account_effect, s.creative_noise),
                (base.account_effect, base.creative_noise)
            );
        }
    }
}

mod run {
    use crosslearn::study::{run_study, Arm, StudyConfig};
    use crosslearn::wisdom::ReleaseConfig;

    fn tiny(effect_scale: f64, k: u32) -> StudyConfig {
        StudyConfig {
            seed: 11,
            network_accounts: 300,
            new_accounts: 45,
            winner_horizon: 30,
            effect_scale,
            release: ReleaseConfig {
                k,
                // Almost no noise, so 20 accounts per niche publish lifts (a debug-fast check of
                // the mechanics; the privacy trade-off is measured by the binary).
                epsilon: 1000.0,
                budget_per_window: 4000.0,
                ..ReleaseConfig::default()
            },
            ..StudyConfig::default()
        }
    }

    #[test]
    fn tiny_study_orders_the_arms_and_is_deterministic() {
        let r = run_study(&tiny(2.0, 3)).unwrap();
        assert!(r.label.contains("SIMULATED"));
        assert_eq!(r, run_study(&tiny(2.0, 3)).unwrap());
        let (g, u, o) = (
            r.arm(Arm::Guided).unwrap(),
            r.arm(Arm::Unguided).unwrap(),
            r.arm(Arm::Oracle).unwrap(),
        );
        println!("{r:#?}");
        assert!(r.contributing_accounts > 100, "{}", r.contributing_accounts);
        assert!(r.published_niches > 0 && r.published_lifts > 0);
        // The oracle is the best possible and unguided is the baseline: ordered per launch.
        assert!(o.mean_ctr > u.mean_ctr && o.mean_paired_gain > 0.0);
        assert!(o.mean_ctr >= g.mean_ctr);
        assert_eq!(u.ctr_gain, 0.0);
        assert!(o.mean_launches_to_winner <= u.mean_launches_to_winner);
        // Nearly noiseless wisdom from 20 accounts per niche at effect_scale 2 helps on average.
        assert!(
            g.mean_ctr > u.mean_ctr,
            "guided {} vs unguided {}",
            g.mean_ctr,
            u.mean_ctr
        );
        for a in &r.arms {
            assert!(a.mean_ctr.is_finite() && a.mean_ctr > 0.0);
            assert!((0.0..=1.0).contains(&a.never_won_share));
        }
    }

    #[test]
    fn without_effects_or_without_published_wisdom_guidance_cannot_help() {
        // effect_scale 0: every arm has the same true CTR, launch by launch.
        let r = run_study(&tiny(0.0, 3)).unwrap();
        let u = r.arm(Arm::Unguided).unwrap().mean_ctr;
        for a in &r.arms {
            assert!((a.mean_ctr - u).abs() < 1e-15 * u.max(1.0), "{:?}", a.arm);
        }
        // k above the network: nothing is published, the guided arm IS the unguided arm.
        let r = run_study(&tiny(1.0, 1000)).unwrap();
        assert_eq!(r.published_niches, 0);
        assert_eq!(r.guided_fallback_share, 1.0);
        assert_eq!(
            r.arm(Arm::Guided).unwrap().mean_ctr,
            r.arm(Arm::Unguided).unwrap().mean_ctr
        );
        assert!(run_study(&StudyConfig {
            winner_quantile: 1.5,
            ..tiny(1.0, 3)
        })
        .is_err());
    }
}
