//! Seed-mode keyword detection against the original's golden vectors
//! (`../shared/fixtures/seed_golden.json`, `cases.keyword_niche`, 187 cases), compared with `==`.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::niche::{seed_keyword_niche, Niche};
use serde_json::Value;

fn cases() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/seed_golden.json"
    );
    let text = std::fs::read_to_string(path).expect("read seed_golden.json");
    let json: Value = serde_json::from_str(&text).expect("parse seed_golden.json");
    json["cases"]["keyword_niche"]
        .as_array()
        .expect("keyword_niche array")
        .clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("string list")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn all_keyword_niche_cases_match_exactly() {
    let cases = cases();
    assert_eq!(cases.len(), 187);
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().expect("id");
        let titles = strings(&case["input"]["titles"]);
        let descriptions = strings(&case["input"]["descriptions"]);
        let expected_niche: Niche = case["expected"]["niche"]
            .as_str()
            .expect("niche")
            .parse()
            .expect("known niche");
        let expected_conf = case["expected"]["confidence"].as_f64().expect("confidence");
        let got = seed_keyword_niche(&titles, &descriptions);
        if got.niche != expected_niche || got.confidence != expected_conf {
            failures.push(format!(
                "{id}: got {:?} {}, expected {expected_niche:?} {expected_conf}",
                got.niche, got.confidence
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
