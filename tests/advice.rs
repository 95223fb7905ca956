//! Recommendations and the dashboard from a niche-wisdom release (hand-made releases here, so the
//! expected outputs follow from the inputs; the study in tests/study.rs uses real releases).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::advice::dashboard::{percentile, Metric, Performance};
use crosslearn::advice::recommend::AccountFit;
use crosslearn::advice::{dashboard, recommend, DashboardOptions, RecommendOptions, Strength};
use crosslearn::insights::{AccountInsight, Attribute, AttributeStat};
use crosslearn::niche::Niche;
use crosslearn::wisdom::{
    AttributeLift, MetricBenchmark, NicheWisdom, PlatformWisdom, PrivacyParams,
};
use crosslearn::Platform;

fn bench(mean: f64) -> MetricBenchmark {
    MetricBenchmark {
        mean,
        p10: mean * 0.4,
        p25: mean * 0.7,
        p50: mean,
        p75: mean * 1.4,
        p90: mean * 2.0,
    }
}

fn lift(
    attribute: Attribute,
    value: &str,
    accounts: u64,
    lift: f64,
    lo: f64,
    hi: f64,
) -> AttributeLift {
    AttributeLift {
        attribute,
        value: value.into(),
        accounts,
        lift,
        lift_interval: [lo, hi],
    }
}

fn wisdom(published: bool) -> NicheWisdom {
    NicheWisdom {
        version: 1,
        niche: Niche::Fitness,
        period: 2900,
        published,
        sample_size: published.then_some(80),
        confidence: if published { 0.8 } else { 0.0 },
        platforms: if published {
            vec![PlatformWisdom {
                platform: Platform::Meta,
                accounts: 60,
                ctr: Some(bench(0.01)),
                conversion_rate: Some(bench(0.05)),
                roas: Some(bench(2.0)),
            }]
        } else {
            vec![]
        },
        niche_avg_ctr: published.then_some(0.01),
        lifts: if published {
            vec![
                lift(Attribute::HookType, "pain_point", 40, 1.30, 1.10, 1.50),
                lift(Attribute::HookType, "question", 30, 1.10, 0.95, 1.25),
                lift(Attribute::HookType, "story", 50, 0.80, 0.70, 0.90),
                // Below k (a tampered or hand-made release): must never be used.
                lift(Attribute::HookType, "offer", 3, 3.0, 2.0, 4.0),
                lift(Attribute::CtaStyle, "get_offer", 25, 1.20, 1.05, 1.35),
                lift(Attribute::VisualTag, "before_after", 20, 1.25, 1.02, 1.50),
                lift(Attribute::PostingHour, "18-20", 45, 1.15, 1.05, 1.25),
            ]
        } else {
            vec![]
        },
        top_hook_types: vec![],
        optimal_duration: None,
        peak_hours: vec![],
        proven_cta_styles: vec![],
        winning_visual_patterns: vec![],
        privacy: PrivacyParams {
            unit: "account".into(),
            k: 5,
            epsilon: 1.0,
            cadence_days: 7,
            window_periods: 4,
            budget_per_window: 4.0,
            groups: vec![],
        },
        distribution_period: None,
        distribution_privacy: None,
    }
}

fn stat(value: &str, records: u32, clicks: u64, expected: f64) -> AttributeStat {
    AttributeStat {
        value: value.into(),
        records,
        winners: 0,
        impressions: 100_000,
        clicks,
        ctr: clicks as f64 / 100_000.0,
        ctr_interval: [0.0, 1.0],
        expected_clicks: expected,
        lift: clicks as f64 / expected,
        lift_interval: [0.0, 2.0],
        z: 0.0,
        significant: false,
        conversions: None,
        conversion_rate: None,
        conversion_lift: None,
    }
}

fn insight(impressions: u64, clicks: u64) -> AccountInsight {
    let ctr = (impressions > 0).then(|| clicks as f64 / impressions as f64);
    AccountInsight {
        version: 1,
        account_id: "acct-1".into(),
        niche: Niche::Fitness,
        niche_confidence: 1.0,
        platforms: vec![Platform::Meta],
        total_records: 6,
        total_campaigns: 3,
        enough_data: true,
        impressions,
        clicks,
        conversions: Some(clicks / 25),
        spend: 1000.0,
        revenue: Some(1500.0),
        avg_ctr: ctr,
        platform_ctr: [ctr, None, None, None],
        avg_conversion_rate: (clicks > 0).then(|| (clicks / 25) as f64 / clicks as f64),
        avg_roas: Some(1.5),
        winners: 0,
        dispersion: 2.0,
        hook_types: vec![
            stat("pain_point", 2, 800, 1000.0),
            stat("story", 3, 1200, 1000.0),
        ],
        durations: vec![],
        posting_hours: vec![stat("19", 2, 1300, 1000.0)],
        cta_styles: vec![],
        visual_tags: vec![],
        top_hook_types: vec![],
        optimal_duration_range: None,
        best_posting_times: vec![],
        effective_cta_styles: vec![],
        visual_preferences: vec![],
    }
}

#[test]
fn new_account_recommendations_cite_evidence_and_respect_k_and_intervals() {
    let w = wisdom(true);
    let r = recommend(&w, None, &RecommendOptions::default()).unwrap();
    assert!(r.published);
    assert_eq!(r.based_on_accounts, Some(80));
    assert_eq!(r.release_id, "fitness/2900");
    let values: Vec<&str> = r.items.iter().map(|i| i.value.as_str()).collect();
    // Strong first, by interval lower end; then the weak one; never the below-k or the < 1 lift.
    assert_eq!(
        values,
        [
            "pain_point",
            "18-20",
            "get_offer",
            "before_after",
            "question"
        ]
    );
    assert!(!values.contains(&"offer") && !values.contains(&"story"));
    let q = r.items.iter().find(|i| i.value == "question").unwrap();
    assert_eq!(q.strength, Strength::Weak);
    assert!(q.message.starts_with("WEAK"), "{}", q.message);
    let p = &r.items[0];
    assert_eq!(p.strength, Strength::Strong);
    assert_eq!(p.account, AccountFit::Unknown);
    assert_eq!(
        (
            p.evidence.lift,
            p.evidence.lift_interval,
            p.evidence.accounts
        ),
        (1.30, [1.10, 1.50], 40)
    );
    assert_eq!(p.evidence.release_id, "fitness/2900");
    assert!(
        p.message.contains("+30 %") && p.message.contains("40 fitness accounts"),
        "{}",
        p.message
    );
    assert_eq!(r.recommended_patterns.hook_types, ["pain_point"]);
    assert_eq!(r.recommended_patterns.best_posting_hours, [18]);
    assert_eq!(r.benchmarks.niche_avg_conversion_rate, Some(0.05));
    // Without weak ones.
    let strong = recommend(
        &w,
        None,
        &RecommendOptions {
            include_weak: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(strong.items.iter().all(|i| i.strength == Strength::Strong));
    assert_eq!(strong.items.len(), 4);
}

#[test]
fn existing_account_gets_its_own_fit_and_untried_patterns_first() {
    let w = wisdom(true);
    let i = insight(1_000_000, 10_000);
    let r = recommend(&w, Some(&i), &RecommendOptions::default()).unwrap();
    assert_eq!(r.account_id.as_deref(), Some("acct-1"));
    let by = |v: &str| r.items.iter().find(|x| x.value == v).unwrap();
    assert_eq!(
        by("pain_point").account,
        AccountFit::Underperforms {
            records: 2,
            lift: 0.8
        }
    );
    assert_eq!(by("get_offer").account, AccountFit::NotTried);
    // Hour 19 lies in the 18-20 bucket and works for the account: kept, ranked last among strong.
    assert!(matches!(
        by("18-20").account,
        AccountFit::AlreadyWorks { records: 2, .. }
    ));
    let pos = |v: &str| r.items.iter().position(|x| x.value == v).unwrap();
    assert!(pos("18-20") > pos("before_after") && pos("18-20") > pos("question"));
    // Another niche's release is refused.
    let mut other = i.clone();
    other.niche = Niche::Beauty;
    let e = recommend(&w, Some(&other), &RecommendOptions::default()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("insight.niche"));
    // An unpublished release recommends nothing and says why.
    let u = recommend(&wisdom(false), None, &RecommendOptions::default()).unwrap();
    assert!(u.items.is_empty() && u.note.unwrap().contains("k = 5"));
}

#[test]
fn percentile_interpolates_the_released_quantiles() {
    let b = bench(0.01);
    assert!((percentile(&b, 0.01).unwrap() - 50.0).abs() < 1e-9);
    assert!((percentile(&b, 0.014).unwrap() - 75.0).abs() < 1e-9);
    // Geometric midpoint of p25 and p50 -> 37.5.
    let mid = (0.007f64 * 0.01).sqrt();
    assert!((percentile(&b, mid).unwrap() - 37.5).abs() < 1e-9);
    assert_eq!(percentile(&b, 1e-9), Some(1.0));
    assert_eq!(percentile(&b, 0.9), Some(99.0));
    assert_eq!(percentile(&b, 0.0), None);
    assert_eq!(percentile(&b, f64::NAN), None);
    let mut last = 0.0;
    for i in 1..200 {
        let p = percentile(&b, 0.0002 * f64::from(i)).unwrap();
        assert!(p >= last);
        last = p;
    }
}

fn all_finite(d: &crosslearn::advice::Dashboard) {
    for c in &d.performance_comparison {
        for v in [
            c.account,
            c.niche_avg,
            c.niche_median,
            c.difference_pct,
            c.z,
            c.percentile,
        ]
        .into_iter()
        .flatten()
        {
            assert!(v.is_finite(), "{c:?}");
        }
    }
    for v in [
        d.network_stats.avg_accounts_per_niche,
        d.network_stats.wisdom_quality,
        d.niche.confidence,
    ]
    .into_iter()
    .flatten()
    {
        assert!(v.is_finite());
    }
    serde_json::to_string(d).unwrap();
}

#[test]
fn dashboard_is_total_for_empty_new_and_unreleased_accounts() {
    let o = DashboardOptions::default();
    let w = wisdom(true);
    let cases = [
        dashboard(None, None, &[], &o).unwrap(),
        dashboard(Some(&wisdom(false)), None, &[wisdom(false)], &o).unwrap(),
        dashboard(Some(&w), None, std::slice::from_ref(&w), &o).unwrap(),
        dashboard(Some(&w), Some(&insight(0, 0)), &[], &o).unwrap(),
        dashboard(None, Some(&insight(1000, 10)), &[], &o).unwrap(),
    ];
    for d in &cases {
        all_finite(d);
        assert!(d.network_stats.counts_are_noisy);
    }
    assert_eq!(cases[0].niche.category, Niche::Unknown);
    assert!(cases[0].notes.iter().any(|n| n.contains("No release")));
    assert_eq!(cases[1].network_stats.published_niches, 0);
    assert_eq!(cases[1].network_stats.contributing_accounts, 0);
    // A new account in a published niche: untried strong patterns as the opportunity.
    assert_eq!(cases[2].improvement_opportunities.len(), 1);
    assert_eq!(
        cases[2].improvement_opportunities[0].area,
        "Untried patterns"
    );
    // An empty account: rows exist but are unknown, nothing is NaN.
    assert!(cases[3]
        .performance_comparison
        .iter()
        .all(|c| c.metric == Metric::Roas || c.performance == Performance::Unknown));
    assert!(cases[4]
        .performance_comparison
        .iter()
        .all(|c| c.niche_avg.is_none()));
    let e = dashboard(
        Some(&w),
        Some(&insight(10, 1)),
        &[],
        &DashboardOptions {
            z_critical: f64::NAN,
            ..o
        },
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("options.z_critical"));
}

#[test]
fn dashboard_compares_tests_and_counts_from_the_releases() {
    let o = DashboardOptions::default();
    let w = wisdom(true);
    let mut beauty = wisdom(true);
    beauty.niche = Niche::Beauty;
    beauty.sample_size = Some(37);
    beauty.confidence = 0.6;
    let network = [w.clone(), beauty, wisdom(false)];
    // CTR 2 % vs a niche mean of 1 % over a million impressions: above, significant, at p90.
    let d = dashboard(Some(&w), Some(&insight(1_000_000, 20_000)), &network, &o).unwrap();
    all_finite(&d);
    let meta = d
        .performance_comparison
        .iter()
        .find(|c| c.platform == Some(Platform::Meta))
        .unwrap();
    assert_eq!(meta.performance, Performance::Above);
    assert_eq!(meta.significant, Some(true));
    assert!((meta.difference_pct.unwrap() - 100.0).abs() < 1e-9);
    assert!((meta.percentile.unwrap() - 90.0).abs() < 1e-9); // 2 % is the p90
                                                             // Conversion rate 4 % vs 5 % on 20,000 clicks: below -> an opportunity citing a CTA pattern.
    let cvr = d
        .performance_comparison
        .iter()
        .find(|c| c.metric == Metric::ConversionRate)
        .unwrap();
    assert_eq!(cvr.performance, Performance::Below);
    let opp = d
        .improvement_opportunities
        .iter()
        .find(|x| x.area == "Conversion Rate")
        .unwrap();
    assert_eq!(opp.evidence[0].value, "get_offer");
    assert!(opp.issue.contains("20 % below"), "{}", opp.issue);
    // Same CTR as the niche: similar.
    let same = dashboard(Some(&w), Some(&insight(1_000_000, 10_000)), &network, &o).unwrap();
    let m = same
        .performance_comparison
        .iter()
        .find(|c| c.platform == Some(Platform::Meta))
        .unwrap();
    assert_eq!(m.performance, Performance::Similar);
    // Network stats are sums of the releases' noisy counts.
    assert_eq!(d.network_stats.releases, 3);
    assert_eq!(d.network_stats.published_niches, 2);
    assert_eq!(d.network_stats.contributing_accounts, 80 + 37);
    assert!((d.network_stats.wisdom_quality.unwrap() - 0.7).abs() < 1e-12);
    assert_eq!(d.niche.contributing_accounts, Some(80));
}
