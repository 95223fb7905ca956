//! Native side of the native-vs-wasm differential test.
//!
//! The same inputs (`tests/differential/cases.rs`: a fixed seed through `crosslearn::rng`, a
//! quarter of the values hostile: NaN, ±Inf, subnormals, huge values and counts, negatives) go
//! through the normalizer (both modes), the feature builder (single campaigns and the columnar
//! batch) and CTR scoring (every model file). `tests/data/differential_native.json` holds the
//! native outputs; `tests/web_differential.rs` recomputes them in wasm (Node) and requires every
//! number within 1e-6 and every error with the same code and field. Regenerate with
//!
//! ```sh
//! cargo test --test differential_native -- --ignored write_fixture
//! ```
//!
//! `fixture_is_current` requires the file to equal a fresh native render, byte for byte.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

#[path = "differential/cases.rs"]
#[allow(dead_code)] // each side uses a part
mod cases;

use crosslearn::model::ctr::CtrModel;
use serde_json::Value;
use std::path::PathBuf;

const FIXTURE: &str = "tests/data/differential_native.json";
/// The CTR model files scored (the wasm test compiles the same ones in).
const MODELS: [&str; 3] = [
    "tests/data/ctr_small_prelaunch.bin",
    "models/ctr-prelaunch-v1.bin",
    "models/ctr-inflight-v1.bin",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn render() -> String {
    let models: Vec<(&str, CtrModel)> = MODELS
        .iter()
        .map(|f| {
            let b = std::fs::read(root().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            (*f, CtrModel::from_bytes(&b).expect("model loads"))
        })
        .collect();
    let refs: Vec<(&str, &CtrModel)> = models.iter().map(|(f, m)| (*f, m)).collect();
    let mut s = serde_json::to_string(&cases::render(&refs)).expect("json");
    s.push('\n');
    s
}

#[test]
#[ignore = "writes tests/data/differential_native.json"]
fn write_fixture() {
    std::fs::write(root().join(FIXTURE), render()).expect("write fixture");
}

#[test]
fn fixture_is_current() {
    let on_disk = std::fs::read_to_string(root().join(FIXTURE)).expect("fixture");
    assert!(
        on_disk == render(),
        "{FIXTURE} is stale; regenerate: cargo test --test differential_native -- --ignored write_fixture"
    );
}

/// Count (ok, error) outcomes and check every `Ok` number is finite.
fn tally(v: &Value, ok: &mut usize, err: &mut usize) {
    match v {
        Value::Object(o) if o.contains_key("error") => {
            *err += 1;
            let field = o["field"].as_str().unwrap_or("");
            assert!(!field.is_empty(), "an error without a field: {v}");
        }
        Value::String(s) => panic!("a non-finite output: {s}"),
        Value::Array(a) if a.iter().all(|x| x.is_number() || x.is_null()) => *ok += 1,
        Value::Array(a) => a.iter().for_each(|x| tally(x, ok, err)),
        Value::Object(o) => {
            *ok += 1;
            for x in o.values() {
                let (mut a, mut b) = (0, 0);
                tally(x, &mut a, &mut b);
                assert_eq!(b, 0, "an error inside a success: {v}");
            }
        }
        _ => {}
    }
}

/// The cases exercise both sides: successes AND rejections in every group, and the rejections
/// include the non-finite inputs (so the wasm comparison of errors is not vacuous).
#[test]
fn cases_cover_successes_and_rejections() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(FIXTURE)).expect("fixture"))
            .expect("json");
    for mode in ["corrected", "seed_mode"] {
        for group in ["singles", "campaigns", "batches"] {
            let (mut ok, mut err) = (0, 0);
            for v in fixture[mode][group].as_array().expect("group") {
                tally(v, &mut ok, &mut err);
            }
            assert!(
                ok >= 10 && err >= 10,
                "{mode}.{group}: {ok} ok, {err} errors"
            );
        }
    }
    for m in fixture["ctr"].as_array().expect("ctr") {
        let rows = m["scores"]["rows"].as_array().expect("rows");
        let errs = rows.iter().filter(|r| r.get("error").is_some()).count();
        assert!(
            errs >= 1 && errs < rows.len(),
            "{}: {errs} errors",
            m["file"]
        );
        assert!(m["scores"]["all_rows"].get("error").is_some());
        assert!(m["scores"]["batch"].is_array());
    }
    let c = cases::cases();
    let hostile = c
        .singles
        .iter()
        .filter(|m| !(m.ctr.is_finite() && m.cpc.is_finite() && m.spend.is_finite()))
        .count();
    assert!(hostile >= 5, "{hostile} non-finite singles");
}

/// Spot check against the core called directly (the fixture is not just self-consistent).
#[test]
fn fixture_matches_direct_calls() {
    use crosslearn::normalize::{Mode, Normalizer};
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(FIXTURE)).expect("fixture"))
            .expect("json");
    let c = cases::cases();
    assert_eq!(fixture["inputs_fnv"], cases::inputs_fnv(&c));
    let n = Normalizer::new(Mode::Corrected);
    let mut checked = 0;
    for (m, out) in c
        .singles
        .iter()
        .zip(fixture["corrected"]["singles"].as_array().expect("x"))
    {
        match n.normalize(m) {
            Ok(v) => {
                assert_eq!(out[5].as_f64(), Some(v.composite_score));
                checked += 1;
            }
            Err(e) => assert_eq!(out["field"].as_str(), e.field.as_deref()),
        }
    }
    assert!(checked > 0);
}
