//! The grounded CTR model (`crosslearn::model::grounded`): the shipped file is reproduced bit for
//! bit from the real exports in `../shared/data`, a small configuration retrains identically,
//! malformed files and priors are named errors, release priors move the effects, and
//! personalisation moves the prediction (or leaves it unchanged and says why), and a release's
//! base rates replace the exports' where given.

use crosslearn::error::ErrorCode;
use crosslearn::hash::fnv1a64;
use crosslearn::model::grounded::{
    click_covered, click_interval, fit_grounded, personalise, Audience, CreativeObs, EffectFactor,
    EffectPrior, EffectPriors, GroundedConfig, GroundedModel, Provenance, ReleasedRate,
};
use crosslearn::model::real::{fit_real, real_creatives, REAL_EXPORTS, REPRO_COMMAND};
use crosslearn::model::CreativeAttributes;
use crosslearn::niche::{Niche, NicheModel};
use crosslearn::platform::Platform;
use crosslearn::record::{AdFormat, CtaStyle, HookType, VisualTag};
use crosslearn::rng::Rng;
use crosslearn::wisdom::suffstat::{
    Cell, Factor, PosteriorSource, PosteriorTable, ValuePosterior, SUFFSTAT_VERSION,
};
use crosslearn::wisdom::{MetricBenchmark, NicheWisdom, PlatformWisdom, PrivacyParams};

fn shared(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn repo(name: &str) -> Vec<u8> {
    let path = format!("{}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn attrs(platform: Platform, hook: HookType, cta: CtaStyle) -> CreativeAttributes {
    CreativeAttributes::new(platform, hook, cta, AdFormat::Image)
}

const HOOKS: [HookType; 4] = [
    HookType::Question,
    HookType::Offer,
    HookType::SocialProof,
    HookType::Other,
];
const CTAS: [CtaStyle; 3] = [CtaStyle::ShopNow, CtaStyle::LearnMore, CtaStyle::SignUp];

/// A small synthetic network: 3 accounts x 60 creatives, hook `question` +0.5 log-odds, a
/// logit-normal creative effect of sd 0.3.
fn synthetic(seed: u64) -> Vec<CreativeObs> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for (a, (platform, base)) in [
        (Platform::Meta, -4.5),
        (Platform::Meta, -4.0),
        (Platform::Tiktok, -5.0),
    ]
    .into_iter()
    .enumerate()
    {
        for i in 0..60 {
            let hook = HOOKS[i % HOOKS.len()];
            let cta = CTAS[(i / 4) % CTAS.len()];
            let mut x = attrs(platform, hook, cta);
            x.niche = Some(if i % 2 == 0 {
                Niche::Beauty
            } else {
                Niche::Fitness
            });
            let lift = if hook == HookType::Question { 0.5 } else { 0.0 };
            let eta: f64 = base + lift + 0.3 * rng.normal();
            let p = 1.0 / (1.0 + (-eta).exp());
            let n = 2_000 + rng.range(0, 20_000);
            out.push(CreativeObs {
                account: format!("acc{a}"),
                attrs: x,
                impressions: n,
                clicks: rng.binomial(n, p),
            });
        }
    }
    out
}

fn fit_small(obs: &[CreativeObs], priors: &EffectPriors) -> GroundedModel {
    fit_grounded(
        obs,
        priors,
        &GroundedConfig::default(),
        Provenance {
            command: "test".into(),
            ..Provenance::default()
        },
    )
    .unwrap()
}

#[test]
fn shipped_file_is_reproduced_bit_for_bit_from_the_real_exports() {
    let bytes: Vec<Vec<u8>> = REAL_EXPORTS.iter().map(|f| shared(f)).collect();
    let files: Vec<(&str, &[u8])> = REAL_EXPORTS
        .iter()
        .zip(&bytes)
        .map(|(n, b)| (*n, b.as_slice()))
        .collect();
    let niche = NicheModel::from_bytes(&repo("models/niche-v2.bin")).unwrap();
    let data = real_creatives(&files, Some(&niche)).unwrap();
    let m = fit_real(
        &data,
        &EffectPriors::none(),
        &GroundedConfig::default(),
        REPRO_COMMAND,
    )
    .unwrap();
    let shipped = String::from_utf8(repo("models/ctr-grounded-v1.json")).unwrap();
    assert!(
        m.to_json() == shipped,
        "models/ctr-grounded-v1.json differs from a retrain (a changed copy extractor or niche \
         model changes the fit); regenerate with: {REPRO_COMMAND}"
    );
    let loaded = GroundedModel::from_json(&shipped).unwrap();
    assert_eq!(loaded, m);
    // Provenance: every source real, the assumptions stated, the command given.
    assert_eq!(loaded.provenance.sources.len(), 3);
    assert!(loaded
        .provenance
        .sources
        .iter()
        .all(|s| s.real && s.creatives > 0));
    assert_eq!(loaded.provenance.command, REPRO_COMMAND);
    assert!(loaded
        .provenance
        .assumptions
        .iter()
        .any(|a| a.contains("No simulated data")));
}

#[test]
fn small_config_retrains_bit_for_bit() {
    let obs = synthetic(5);
    let a = fit_small(&obs, &EffectPriors::none()).to_json();
    let b = fit_small(&obs, &EffectPriors::none()).to_json();
    assert_eq!(a, b);
    // Recorded by running this test (x86-64 Linux; every exp/ln in the fit is libm).
    assert_eq!(
        format!("{:016x}", fnv1a64(a.as_bytes())),
        "82f1eaeff5961f0f",
        "small-config model hash"
    );
}

#[test]
fn recovers_a_planted_effect_and_the_creative_sd() {
    let m = fit_small(&synthetic(5), &EffectPriors::none());
    let q = m
        .effects
        .iter()
        .find(|e| e.factor == EffectFactor::Hook && e.value == "question")
        .unwrap();
    let o = m
        .effects
        .iter()
        .find(|e| e.factor == EffectFactor::Hook && e.value == "offer")
        .unwrap();
    let diff = q.coef.mean - o.coef.mean;
    assert!((diff - 0.5).abs() < 0.25, "question - offer = {diff}");
    assert!(
        (m.creative_sd - 0.3).abs() < 0.12,
        "creative sd {}",
        m.creative_sd
    );
}

#[test]
fn malformed_files_are_named_errors() {
    let m = fit_small(&synthetic(5), &EffectPriors::none());
    let json = m.to_json();
    assert_eq!(GroundedModel::from_json(&json).unwrap(), m);
    let e = GroundedModel::from_json(&json[..json.len() / 2]).unwrap_err();
    assert_eq!(e.code, ErrorCode::Malformed);
    assert_eq!(e.field.as_deref(), Some("ctr_grounded_model"));
    let e =
        GroundedModel::from_json(&json.replace("ctr-grounded-v1", "ctr-grounded-v0")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("version"));
    let mut bad = m.clone();
    bad.covariance.pop();
    let e = GroundedModel::from_json(&bad.to_json()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("covariance"));
    let mut bad = m.clone();
    bad.effects[0].value = "no_such_hook".into();
    let e = GroundedModel::from_json(&bad.to_json()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("effects[0].value"));
}

#[test]
fn release_priors_are_checked_and_pull_the_effects() {
    let e = EffectPriors::new(
        Some("3/beauty".into()),
        vec![EffectPrior {
            factor: EffectFactor::Hook,
            value: "question".into(),
            mean: 0.1,
            sd: 0.0,
        }],
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("effect_priors[0].sd"));
    let e = EffectPriors::new(
        None,
        vec![EffectPrior {
            factor: EffectFactor::Cta,
            value: "question".into(),
            mean: 0.1,
            sd: 0.1,
        }],
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("effect_priors[0].value"));
    // A tight prior on a value the data says nothing special about dominates its estimate.
    let priors = EffectPriors::new(
        Some("3/beauty".into()),
        vec![EffectPrior {
            factor: EffectFactor::Cta,
            value: "sign_up".into(),
            mean: 0.8,
            sd: 0.02,
        }],
    )
    .unwrap();
    let obs = synthetic(5);
    let wide = fit_small(&obs, &EffectPriors::none());
    let with = fit_small(&obs, &priors);
    let su = |m: &GroundedModel| {
        m.effects
            .iter()
            .find(|e| e.factor == EffectFactor::Cta && e.value == "sign_up")
            .unwrap()
            .clone()
    };
    assert!(su(&wide).coef.mean.abs() < 0.3, "{:?}", su(&wide));
    assert!((su(&with).coef.mean - 0.8).abs() < 0.05, "{:?}", su(&with));
    assert!(su(&with).prior_from_release && !su(&wide).prior_from_release);
    assert_eq!(with.provenance.release_id.as_deref(), Some("3/beauty"));
}

#[test]
fn predictions_intervals_and_batches() {
    let m = fit_small(&synthetic(5), &EffectPriors::none());
    let mut x = attrs(Platform::Meta, HookType::Question, CtaStyle::ShopNow);
    x.niche = Some(Niche::Beauty);
    let new = m.predict(&x).unwrap();
    let known = m.predict_for(&x, Audience::Account("acc0")).unwrap();
    assert!(new.low < new.ctr && new.ctr < new.high);
    // A new account's interval carries between-account variation: wider than a known one's.
    assert!(new.sd > known.sd, "{} vs {}", new.sd, known.sd);
    let (lo, hi) = click_interval(&known, 10_000);
    assert!(lo as f64 <= known.ctr * 1e4 && known.ctr * 1e4 <= hi as f64);
    assert!(click_covered(&known, 10_000, (lo + hi) / 2));
    assert!(!click_covered(&known, 10_000, hi * 3 + 10));
    let mut bad = x.clone();
    bad.duration_s = Some(-1.0);
    let e = m.predict_batch(&[x.clone(), bad]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("creatives[1].duration_s"));
    assert_eq!(m.predict_batch(&[x.clone(), x]).unwrap().len(), 2);
}

#[test]
fn personalisation_moves_the_prediction_or_says_why_not() {
    let m = fit_small(&synthetic(5), &EffectPriors::none());
    let x = attrs(Platform::Meta, HookType::Offer, CtaStyle::LearnMore);
    let before = m.predict(&x).unwrap();
    // No usable record: unchanged, with the reason.
    let none = personalise(&m, &[]).unwrap();
    assert_eq!(none.model, m);
    assert!(none.unchanged_reason.unwrap().contains("no records"));
    let zero = CreativeObs {
        account: "me".into(),
        attrs: x.clone(),
        impressions: 0,
        clicks: 0,
    };
    let p = personalise(&m, std::slice::from_ref(&zero)).unwrap();
    assert_eq!(p.model, m);
    assert_eq!(p.skipped, vec!["records[0]: no impressions".to_string()]);
    assert!(p.unchanged_reason.is_some());
    // An account at about 3x the population rate: the prediction rises and the interval narrows.
    let own: Vec<CreativeObs> = (0..20)
        .map(|i| CreativeObs {
            account: "me".into(),
            attrs: attrs(Platform::Meta, HOOKS[i % 4], CTAS[i % 3]),
            impressions: 5_000,
            clicks: (5_000.0 * 3.0 * before.ctr) as u64,
        })
        .collect();
    let p = personalise(&m, &own).unwrap();
    assert_eq!(p.used, 20);
    assert!(p.unchanged_reason.is_none());
    let after = p.model.predict(&x).unwrap();
    assert!(
        after.ctr > 2.0 * before.ctr,
        "{} -> {}",
        before.ctr,
        after.ctr
    );
    assert!(after.sd < before.sd, "{} -> {}", before.sd, after.sd);
    // Pure: the population model is untouched, and the personal part survives the file.
    assert!(m.personal.is_none());
    let back = GroundedModel::from_json(&p.model.to_json()).unwrap();
    assert_eq!(back.predict(&x).unwrap(), after);
}

fn rate(niche: Niche, platform: Platform, p10: f64, p50: f64, p90: f64) -> ReleasedRate {
    ReleasedRate {
        niche,
        platform,
        p10,
        p50,
        p90,
        accounts: 200,
        release_id: format!("{niche}/2026-48"),
    }
}

#[test]
fn released_base_rates_replace_the_exports_rate_where_given() {
    let m =
        GroundedModel::from_json(&String::from_utf8(repo("models/ctr-grounded-v1.json")).unwrap())
            .unwrap();
    let mut x = attrs(Platform::Meta, HookType::Question, CtaStyle::ShopNow);
    x.niche = Some(Niche::Fitness);
    let mut other = x.clone();
    other.hook_type = HookType::Offer;
    let mut elsewhere = x.clone();
    elsewhere.niche = Some(Niche::Beauty);
    let before = m.predict(&x).unwrap();
    let r = m
        .with_released_rates(vec![rate(
            Niche::Fitness,
            Platform::Meta,
            0.004,
            0.012,
            0.03,
        )])
        .unwrap();
    let after = r.predict(&x).unwrap();
    // Near the release's median (the effects are centred on the exports' average creative),
    // not near the exports' rate.
    assert!(
        (after.ctr / 0.012 - 1.0).abs() < 0.5 && (after.ctr / before.ctr - 1.0).abs() > 1.0,
        "{} -> {}",
        before.ctr,
        after.ctr
    );
    // The accounts' spread replaces the between-account sd: p10..p90 is 2 x 1.28 sds.
    let spread = (0.03f64 / 0.97).ln() - (0.004f64 / 0.996).ln();
    assert!(
        after.sd > spread / 2.6 && after.sd < before.sd,
        "{} vs {}",
        after.sd,
        before.sd
    );
    assert!(after.low < after.ctr && after.ctr < after.high);
    // The effects are the model's: the same ratio between two hooks.
    let (b2, a2) = (m.predict(&other).unwrap(), r.predict(&other).unwrap());
    assert!(((a2.eta - after.eta) - (b2.eta - before.eta)).abs() < 1e-12);
    // Other pairs keep the exports' rate; an empty list gives the model back.
    assert_eq!(
        r.predict(&elsewhere).unwrap(),
        m.predict(&elsewhere).unwrap()
    );
    assert_eq!(r.with_released_rates(Vec::new()).unwrap(), m);
    // It survives the file, and personalisation keeps it as the base.
    let back = GroundedModel::from_json(&r.to_json()).unwrap();
    assert_eq!(back.predict(&x).unwrap(), after);
    let own: Vec<CreativeObs> = (0..10)
        .map(|_| CreativeObs {
            account: "me".into(),
            attrs: x.clone(),
            impressions: 10_000,
            clicks: 120,
        })
        .collect();
    let p = personalise(&r, &own).unwrap();
    assert_eq!(p.model.released, r.released);
    let mine = p.model.predict(&x).unwrap();
    assert!((mine.ctr / 0.012 - 1.0).abs() < 0.3, "{}", mine.ctr);
    // Bad rates are named errors.
    let e = m
        .with_released_rates(vec![rate(Niche::Fitness, Platform::Meta, 0.02, 0.01, 0.03)])
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rates[0].p50"));
    let e = m
        .with_released_rates(vec![rate(Niche::Fitness, Platform::Meta, 0.0, 0.01, 0.03)])
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rates[0].p10"));
    let mut zero = rate(Niche::Fitness, Platform::Meta, 0.004, 0.01, 0.03);
    zero.accounts = 0;
    let e = m.with_released_rates(vec![zero]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("rates[0].accounts"));
    let twice = rate(Niche::Fitness, Platform::Meta, 0.004, 0.01, 0.03);
    let e = m
        .with_released_rates(vec![twice.clone(), twice])
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::Duplicate, Some("rates[1]"))
    );
}

fn posterior(factor: Factor, value: &str, mean: f64, sd: f64) -> ValuePosterior {
    ValuePosterior {
        cell: Cell {
            factor,
            platform: None,
            value: value.to_string(),
        },
        mean,
        sd,
        source: PosteriorSource::Niche,
        release_id: "48/fitness".to_string(),
    }
}

fn table(niche: Niche, values: Vec<ValuePosterior>) -> PosteriorTable {
    PosteriorTable {
        version: SUFFSTAT_VERSION,
        niche,
        release_id: format!("48/{niche}"),
        published: true,
        values,
    }
}

#[test]
fn release_posteriors_combine_with_the_exports_effects_by_precision() {
    let m =
        GroundedModel::from_json(&String::from_utf8(repo("models/ctr-grounded-v1.json")).unwrap())
            .unwrap();
    let effect = |f: EffectFactor, v: &str| {
        m.effects
            .iter()
            .find(|e| e.factor == f && e.value == v)
            .unwrap()
            .clone()
    };
    let offer = effect(EffectFactor::Hook, "offer");
    let mut x = attrs(Platform::Meta, HookType::Offer, CtaStyle::LearnMore);
    x.niche = Some(Niche::Fitness);
    let mut elsewhere = x.clone();
    elsewhere.niche = Some(Niche::Beauty);
    let mut tagged = x.clone();
    tagged.visual_tags = vec![VisualTag::Ugc];
    // A sharp release posterior on `offer` (+0.6, sd 0.02) dominates; a vague one (sd 5) leaves
    // about the exports' evidence; `ugc`, which the exports never saw, takes the release's.
    let sharp = m
        .with_effect_posteriors(&[table(
            Niche::Fitness,
            vec![
                posterior(Factor::Hook, "offer", 0.6, 0.02),
                posterior(Factor::Visual, "ugc", 0.3, 0.1),
                posterior(Factor::Format, "video", 9.0, 0.1),
            ],
        )])
        .unwrap();
    let vague = m
        .with_effect_posteriors(&[table(
            Niche::Fitness,
            vec![posterior(Factor::Hook, "offer", 0.6, 5.0)],
        )])
        .unwrap();
    let base = m.predict(&x).unwrap();
    let d_sharp = sharp.predict(&x).unwrap().eta - base.eta;
    let d_vague = vague.predict(&x).unwrap().eta - base.eta;
    assert!(
        (d_sharp - (0.6 - offer.coef.mean)).abs() < 0.02,
        "{d_sharp}"
    );
    // (A posterior wider than the fit's own prior leaves about the exports' likelihood alone.)
    assert!(
        d_vague.abs() < (0.6 - offer.coef.mean).abs() / 2.0,
        "{d_vague}"
    );
    // The exact precision-weighted combination.
    let ne = &sharp.niche_effects[0];
    let c = ne.effects.iter().find(|e| e.value == "offer").unwrap();
    let (post, prior, rel) = (
        offer.coef.sd.powi(-2),
        offer.prior.sd.powi(-2),
        0.02f64.powi(-2),
    );
    let want =
        (offer.coef.mean * post - offer.prior.mean * prior + 0.6 * rel) / (post - prior + rel);
    assert!((c.coef.mean - want).abs() < 1e-12);
    assert!((c.coef.sd - (post - prior + rel).powf(-0.5)).abs() < 1e-12);
    let ugc = ne.effects.iter().find(|e| e.value == "ugc").unwrap();
    assert_eq!((ugc.coef.mean, ugc.coef.sd), (0.3, 0.1));
    assert!(!ne.effects.iter().any(|e| e.factor == EffectFactor::Format));
    let d_tag = sharp.predict(&tagged).unwrap().eta - sharp.predict(&x).unwrap().eta;
    assert!((d_tag - 0.3).abs() < 1e-12, "{d_tag}");
    // Other niches keep the model's effects; the combination survives the file.
    assert_eq!(
        sharp.predict(&elsewhere).unwrap(),
        m.predict(&elsewhere).unwrap()
    );
    assert_eq!(sharp.with_effect_posteriors(&[]).unwrap(), m);
    let back = GroundedModel::from_json(&sharp.to_json()).unwrap();
    assert_eq!(back.predict(&x).unwrap(), sharp.predict(&x).unwrap());
    // Named errors.
    let e = m
        .with_effect_posteriors(&[table(
            Niche::Fitness,
            vec![posterior(Factor::Hook, "offer", 0.1, 0.0)],
        )])
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("tables[0].values[0].sd"));
    let e = m
        .with_effect_posteriors(&[table(Niche::Fitness, vec![]), table(Niche::Fitness, vec![])])
        .unwrap_err();
    assert_eq!(
        (e.code, e.field.as_deref()),
        (ErrorCode::Duplicate, Some("tables[1]"))
    );
}

fn bench(p10: f64, p50: f64, p90: f64) -> MetricBenchmark {
    MetricBenchmark {
        mean: p50,
        p10,
        p25: p50,
        p50,
        p75: p50,
        p90,
    }
}

fn release(niche: Niche, published: bool, platforms: Vec<PlatformWisdom>) -> NicheWisdom {
    NicheWisdom {
        version: 1,
        niche,
        period: 2948,
        published,
        sample_size: published.then_some(300),
        confidence: 0.9,
        platforms,
        niche_avg_ctr: None,
        lifts: vec![],
        top_hook_types: vec![],
        optimal_duration: None,
        peak_hours: vec![],
        proven_cta_styles: vec![],
        winning_visual_patterns: vec![],
        privacy: PrivacyParams {
            unit: "account".into(),
            k: 50,
            epsilon: 1.0,
            cadence_days: 30,
            window_periods: 12,
            budget_per_window: 12.0,
            groups: vec![],
        },
        distribution_period: None,
        distribution_privacy: None,
    }
}

fn on(platform: Platform, accounts: u64, ctr: Option<MetricBenchmark>) -> PlatformWisdom {
    PlatformWisdom {
        platform,
        accounts,
        ctr,
        conversion_rate: None,
        roas: None,
    }
}

#[test]
fn releases_give_the_rates_and_priors_every_surface_uses() {
    let m =
        GroundedModel::from_json(&String::from_utf8(repo("models/ctr-grounded-v1.json")).unwrap())
            .unwrap();
    let fitness = release(
        Niche::Fitness,
        true,
        vec![
            on(Platform::Meta, 120, Some(bench(0.004, 0.011, 0.03))),
            // No rate: a platform the model has no intercept for, a degenerate histogram, no
            // CTR, no accounts.
            on(Platform::Unknown, 80, Some(bench(0.002, 0.004, 0.008))),
            on(Platform::Tiktok, 90, Some(bench(0.02, 0.01, 0.03))),
            on(Platform::GoogleAds, 70, None),
        ],
    );
    let rates = ReleasedRate::of_release(&fitness);
    assert_eq!(
        rates,
        vec![ReleasedRate {
            niche: Niche::Fitness,
            platform: Platform::Meta,
            p10: 0.004,
            p50: 0.011,
            p90: 0.03,
            accounts: 120,
            release_id: "fitness/2948".into(),
        }]
    );
    let hidden = release(Niche::Beauty, false, fitness.platforms.clone());
    assert!(ReleasedRate::of_release(&hidden).is_empty());

    let mut x = attrs(Platform::Meta, HookType::Offer, CtaStyle::LearnMore);
    x.niche = Some(Niche::Fitness);
    let mut beauty = x.clone();
    beauty.niche = Some(Niche::Beauty);
    let tables = [
        table(
            Niche::Fitness,
            vec![posterior(Factor::Hook, "offer", 0.6, 0.02)],
        ),
        PosteriorTable {
            published: false,
            ..table(
                Niche::Beauty,
                vec![posterior(Factor::Hook, "offer", -0.6, 0.02)],
            )
        },
    ];
    let all = m
        .on_releases(&[fitness.clone(), hidden.clone()], &tables, None)
        .unwrap();
    // The same as applying the two steps by hand; the unpublished table and release are skipped.
    let by_hand = m
        .with_released_rates(rates)
        .unwrap()
        .with_effect_posteriors(&tables[..1])
        .unwrap();
    assert_eq!(all, by_hand);
    assert_eq!(
        all.release_ids(),
        vec!["48/fitness".to_string(), "fitness/2948".into()]
    );
    assert_eq!(all.predict(&beauty).unwrap(), m.predict(&beauty).unwrap());
    assert_ne!(all.predict(&x).unwrap(), m.predict(&x).unwrap());
    // Only the niches asked for.
    let only_beauty = m
        .on_releases(&[fitness, hidden], &tables, Some(&[Niche::Beauty]))
        .unwrap();
    assert_eq!(only_beauty, m);
    assert!(only_beauty.release_ids().is_empty());
    // A malformed table is a named error.
    let bad = [table(
        Niche::Fitness,
        vec![posterior(Factor::Hook, "offer", 0.1, -1.0)],
    )];
    let e = m.on_releases(&[], &bad, None).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("tables[0].values[0].sd"));
}
