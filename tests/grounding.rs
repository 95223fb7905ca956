//! Recomputes the simulator's grounding numbers from the real exports and checks that
//! `models/simulator-v1.json` carries them. Run with `--nocapture` to print the table.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::import::import_csv;
use crosslearn::sim::grounding::{measure, Grounding};
use crosslearn::sim::SimParams;
use crosslearn::Platform;

fn measured(file: &str) -> Grounding {
    let path = format!("{}/../shared/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    measure(&import_csv(&bytes).unwrap().accepted)
}

/// Equal to 3 significant digits (the file stores rounded values).
fn close(file_value: f64, measured: f64) -> bool {
    (file_value - measured).abs() <= 5e-3 * measured.abs()
}

#[test]
fn simulator_parameters_match_the_measured_exports() {
    let params = SimParams::v1();
    let sources = [
        (Platform::Meta, "src_ads_creative_facebook_all_data.csv"),
        (Platform::Tiktok, "src_ads_tiktok_ads_all_data.csv"),
    ];
    for (platform, file) in sources {
        let g = measured(file);
        println!(
            "{platform} <- {file}:\n{}",
            serde_json::to_string_pretty(&g).unwrap()
        );
        let p = params.platform(platform);
        let pairs = [
            ("base_ctr", p.base_ctr, g.pooled_ctr),
            ("cpm_median", p.cpm_median, g.pooled_cpm),
            ("cpm_log_sd", p.cpm_log_sd, g.cpm_log_sd),
            (
                "log_impressions_mean",
                p.log_impressions_mean,
                g.log_impressions_mean,
            ),
            (
                "log_impressions_sd",
                p.log_impressions_sd,
                g.log_impressions_sd,
            ),
            ("cvr", p.cvr, g.cvr),
        ];
        for (name, file_value, m) in pairs {
            assert!(
                close(file_value, m),
                "{platform}.{name}: file {file_value}, measured {m}"
            );
        }
    }
    let meta = measured("src_ads_creative_facebook_all_data.csv");
    assert!(close(
        params.platform(Platform::Meta).revenue_per_conversion,
        meta.revenue_per_conversion
    ));
    // KAG (also Meta) is reported for comparison, not used: its CPM (0.28) is far from the
    // creative-level export's and it has no dates or copy.
    let kag = measured("KAG_conversion_data.csv");
    println!(
        "meta (KAG, comparison only):\n{}",
        serde_json::to_string_pretty(&kag).unwrap()
    );
    assert_eq!(kag.rows, 1143);
}

#[test]
fn simulated_spread_stays_below_the_measured_between_ad_spread() {
    // The account + creative + niche + attribute spread of logit(CTR) in the simulator should not
    // exceed the between-ad spread seen in the exports (which also holds objectives, placements
    // and audiences the simulator does not model).
    let n = crosslearn::sim::generate_network(&crosslearn::sim::SimOptions {
        seed: 5,
        accounts: 300,
        effect_scale: None,
    })
    .unwrap();
    for platform in [Platform::Meta, Platform::Tiktok] {
        let logits: Vec<f64> = n
            .records
            .iter()
            .zip(&n.oracle)
            .filter(|(r, _)| r.platform == platform)
            .map(|(_, o)| (o.true_ctr / (1.0 - o.true_ctr)).ln())
            .collect();
        let mean = logits.iter().sum::<f64>() / logits.len() as f64;
        let sd =
            (logits.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / logits.len() as f64).sqrt();
        let real = if platform == Platform::Meta {
            1.169
        } else {
            0.787
        };
        println!(
            "{platform}: simulated true-CTR logit sd {sd:.3} vs measured between-ad sd {real}"
        );
        assert!(sd < real, "{platform}: {sd}");
    }
}
