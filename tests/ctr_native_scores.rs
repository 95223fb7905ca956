//! Native CTR scores the wasm build must reproduce (tests/web.rs, `|diff| <= 1e-6`).
//!
//! `tests/data/ctr_native_scores.json` holds, for each CTR model file, encoded rows of
//! **simulated** creatives (simulator v1), the model's native `score_batch` over them and the
//! native `score` (CTR and interval) of the first rows. Regenerate it (after a model file changes)
//! with
//!
//! ```sh
//! cargo test --test ctr_native_scores -- --ignored write_fixture
//! ```
//!
//! `fixture_is_current` recomputes everything from the model files on disk and requires the file
//! to be byte-identical, so the fixture cannot go stale: a retrained model without a regenerated
//! fixture fails here, not silently in wasm.
//!
//! `tests/data/ctr_small_prelaunch.bin` is a small pre-launch model trained by `write_fixture` on
//! a 40-account simulated network, so the cross-target check does not depend on the shipped
//! models alone.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::features::FeatureBuilder;
use crosslearn::model::ctr::{CtrModel, ModelKind, TrainOptions};
use crosslearn::model::encode::{
    encode_creatives, inflight_rows, prelaunch_feature_names, CreativeAttributes, InflightEncoder,
    NoPriors, PRELAUNCH_LAYOUT,
};
use crosslearn::model::file::fnv1a64;
use crosslearn::model::logistic::FitOptions;
use crosslearn::normalize::{Mode, Normalizer};
use crosslearn::sim::{generate_network, Network, SimOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The fixture, relative to the crate root.
const FIXTURE: &str = "tests/data/ctr_native_scores.json";
/// The small model trained by `write_fixture`.
const SMALL_MODEL: &str = "tests/data/ctr_small_prelaunch.bin";
/// The model files covered, in fixture order (missing shipped models are skipped).
const MODELS: &[&str] = &[
    SMALL_MODEL,
    "models/ctr-prelaunch-v1.bin",
    "models/ctr-inflight-v1.bin",
];
/// Rows per model in the fixture.
const ROWS: usize = 96;
/// Rows whose interval (`score`) is stored too.
const SCORED: usize = 12;
/// Seed and size of the simulated network the rows come from.
const SEED: u64 = 20_261_121;
const ACCOUNTS: u32 = 12;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn network(seed: u64, accounts: u32) -> Network {
    generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale: None,
    })
    .expect("simulated network")
}

/// Pre-launch creatives: the network's records, then edge cases (unknown platform, every
/// optional part missing, extreme durations and hours).
fn creatives(net: &Network) -> Vec<CreativeAttributes> {
    let mut out: Vec<CreativeAttributes> = net
        .records
        .iter()
        .map(CreativeAttributes::from)
        .take(ROWS - 3)
        .collect();
    let base = out[0].clone();
    out.push(CreativeAttributes {
        platform: crosslearn::platform::Platform::Unknown,
        niche: None,
        duration_s: None,
        posting_hour: None,
        visual_tags: Vec::new(),
        ..base.clone()
    });
    out.push(CreativeAttributes {
        duration_s: Some(0.5),
        posting_hour: Some(23),
        ..base.clone()
    });
    out.push(CreativeAttributes {
        duration_s: Some(600.0),
        posting_hour: Some(0),
        ..base
    });
    out
}

/// Rows in the model's own layout (pre-launch: encoded creatives; in-flight: rows built from the
/// simulated daily series, with the shipped pre-launch model's creative DNA when present).
fn rows_for(model: &CtrModel, net: &Network) -> (Vec<f32>, Option<Vec<CreativeAttributes>>) {
    match model.kind() {
        ModelKind::PreLaunch => {
            let c = creatives(net);
            (encode_creatives(&c, &NoPriors).expect("encode"), Some(c))
        }
        ModelKind::InFlight => {
            let pre = std::fs::read(root().join("models/ctr-prelaunch-v1.bin"))
                .ok()
                .and_then(|b| CtrModel::from_bytes(&b).ok());
            let builder = FeatureBuilder::new(Normalizer::new(Mode::Corrected));
            let enc = InflightEncoder::new(builder, pre.as_ref(), &NoPriors).expect("encoder");
            let rows = inflight_rows(&net.records, 3, &enc).expect("in-flight rows");
            let d = model.n_features();
            let n = rows.len().min(ROWS);
            (rows.x[..n * d].to_vec(), None)
        }
    }
}

/// One model's fixture entry, from the file's bytes.
fn entry(file: &str, bytes: &[u8], net: &Network) -> Value {
    let model = CtrModel::from_bytes(bytes).expect("model file loads");
    let (x, creatives) = rows_for(&model, net);
    let d = model.n_features();
    let n = x.len() / d;
    let scores = model.score_batch(&x, n).expect("score_batch");
    let intervals: Vec<Value> = x
        .chunks_exact(d)
        .take(SCORED)
        .map(|row| {
            let s = model.score(row).expect("score");
            json!([s.ctr, s.low, s.high])
        })
        .collect();
    json!({
        "file": file,
        "fnv1a64": format!("{:016x}", fnv1a64(bytes)),
        "kind": model.kind(),
        "layout": model.layout(),
        "n_features": d,
        "n_rows": n,
        "creatives": creatives,
        "rows": x,
        "scores": scores,
        "intervals": intervals,
    })
}

/// The fixture's text, from the model files on disk.
fn render() -> String {
    let net = network(SEED, ACCOUNTS);
    let models: Vec<String> = MODELS
        .iter()
        .filter_map(|file| {
            let bytes = std::fs::read(root().join(file)).ok()?;
            Some(serde_json::to_string(&entry(file, &bytes, &net)).expect("json"))
        })
        .collect();
    let head = json!({
        "label": "SIMULATED creatives (crosslearn simulator v1), not real ad performance",
        "generated_by": "cargo test --test ctr_native_scores -- --ignored write_fixture",
        "network": { "seed": SEED, "accounts": ACCOUNTS },
    });
    let head = serde_json::to_string(&head).expect("json");
    format!(
        "{{\"about\":{head},\n\"models\":[\n{}\n]}}\n",
        models.join(",\n")
    )
}

/// The small pre-launch model: simulated records of a 40-account network, fitted natively.
fn small_model() -> CtrModel {
    let net = network(7, 40);
    let c: Vec<CreativeAttributes> = net.records.iter().map(CreativeAttributes::from).collect();
    let x = encode_creatives(&c, &NoPriors).expect("encode");
    let clicks: Vec<f64> = net.records.iter().map(|r| r.clicks as f64).collect();
    let imps: Vec<f64> = net.records.iter().map(|r| r.impressions as f64).collect();
    let names = prelaunch_feature_names();
    let view = ndarray::ArrayView2::from_shape((c.len(), names.len()), &x).expect("shape");
    let opts = TrainOptions {
        kind: ModelKind::PreLaunch,
        layout: PRELAUNCH_LAYOUT,
        feature_names: names,
        fit: FitOptions {
            l2: 5.0,
            ..FitOptions::default()
        },
        calibration_share: 0.2,
        seed: 7,
        trained_on: "simulator v1, seed 7, 40 accounts (SIMULATED; test model)".into(),
    };
    CtrModel::train(view, &clicks, &imps, &opts).expect("train")
}

#[test]
#[ignore = "writes tests/data/ctr_native_scores.json (and the small test model)"]
fn write_fixture() {
    let small = root().join(SMALL_MODEL);
    std::fs::write(&small, small_model().to_bytes()).expect("write small model");
    std::fs::write(root().join(FIXTURE), render()).expect("write fixture");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn fixture_is_current() {
    let on_disk = read(&root().join(FIXTURE));
    assert!(
        on_disk == render(),
        "{FIXTURE} is stale: a model file changed; regenerate it with \
         `cargo test --test ctr_native_scores -- --ignored write_fixture`"
    );
    // Every model file present is covered (a shipped model cannot be left out).
    let fixture: Value = serde_json::from_str(&on_disk).expect("fixture JSON");
    let files: Vec<&str> = fixture["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(|m| m["file"].as_str())
        .collect();
    for file in MODELS {
        assert_eq!(
            files.contains(file),
            root().join(file).exists(),
            "{file} coverage"
        );
    }
    assert!(files.contains(&SMALL_MODEL));
}

#[test]
fn fixture_scores_are_plausible_probabilities() {
    let fixture: Value = serde_json::from_str(&read(&root().join(FIXTURE))).expect("JSON");
    for m in fixture["models"].as_array().expect("models") {
        let n = m["n_rows"].as_u64().expect("n_rows") as usize;
        let d = m["n_features"].as_u64().expect("n_features") as usize;
        assert!(n >= SCORED, "{}: {n} rows", m["file"]);
        assert_eq!(m["rows"].as_array().expect("rows").len(), n * d);
        let scores: Vec<f64> = m["scores"]
            .as_array()
            .expect("scores")
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        assert_eq!(scores.len(), n);
        assert!(scores.iter().all(|&p| p > 0.0 && p < 1.0));
        // The rows differ, so the scores do too (a constant model would pass nothing useful).
        let (lo, hi) = scores
            .iter()
            .fold((1.0f64, 0.0f64), |(a, b), &p| (a.min(p), b.max(p)));
        assert!(hi > lo * 1.05, "{}: scores {lo}..{hi}", m["file"]);
        for (i, iv) in m["intervals"]
            .as_array()
            .expect("intervals")
            .iter()
            .enumerate()
        {
            let v: Vec<f64> = iv
                .as_array()
                .expect("triple")
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            assert!(v[1] <= v[0] && v[0] <= v[2], "{}: interval {i}", m["file"]);
            assert!(
                (v[0] - scores[i]).abs() < 1e-6,
                "score and score_batch agree"
            );
        }
    }
}

#[test]
fn small_model_is_the_one_write_fixture_trains() {
    let bytes = std::fs::read(root().join(SMALL_MODEL)).expect("small model");
    assert_eq!(bytes, small_model().to_bytes());
}
