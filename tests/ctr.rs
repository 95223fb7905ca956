//! CTR models end to end on small simulated networks (SIMULATED DATA), and the shipped model
//! files. Everything here is sized to run in a few seconds in debug builds; the full evaluation
//! is `cargo run --release --bin eval-ctr` (docs/ctr.md).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::features::FeatureBuilder;
use crosslearn::hash::fnv1a64;
use crosslearn::model::baseline::{attribute_oracle, ForestBaseline, ForestOptions, MeanBaseline};
use crosslearn::model::ctr::{CtrModel, ModelKind};
use crosslearn::model::metrics::{evaluate, log_loss};
use crosslearn::model::train::{
    fit_model, grouped_split, predict, train_on_simulator, Dataset, SimTrainOptions, TrainConfig,
};
use crosslearn::model::{
    inflight_feature_names, prelaunch_feature_names, InflightEncoder, NoPriors, INFLIGHT_LAYOUT,
    PRELAUNCH_LAYOUT,
};
use crosslearn::sim::{generate_network, Network, SimOptions, SimParams};

const SHIPPED_PRELAUNCH: &[u8] = include_bytes!("../models/ctr-prelaunch-v1.bin");
const SHIPPED_INFLIGHT: &[u8] = include_bytes!("../models/ctr-inflight-v1.bin");

fn small(kind: ModelKind) -> SimTrainOptions {
    let mut o = SimTrainOptions::standard(kind, 25, 5);
    o.l2_grid = vec![100.0];
    o.tau2_grid = vec![0.0, 0.3];
    o
}

#[test]
fn small_training_is_bit_reproducible_and_pinned() {
    let a = train_on_simulator(&small(ModelKind::PreLaunch), None).unwrap();
    let b = train_on_simulator(&small(ModelKind::PreLaunch), None).unwrap();
    let bytes = a.model.to_bytes();
    assert_eq!(bytes, b.model.to_bytes());
    // Recorded from running this configuration (`SimTrainOptions::standard(PreLaunch, 25, 5)` with
    // the grids above); a change to the simulator, encoder, solver or file format changes it.
    assert_eq!(format!("{:016x}", fnv1a64(&bytes)), "2cc7728dff82f80d");
    let i1 = train_on_simulator(&small(ModelKind::InFlight), Some(&a.model)).unwrap();
    let i2 = train_on_simulator(&small(ModelKind::InFlight), Some(&b.model)).unwrap();
    assert_eq!(i1.model.to_bytes(), i2.model.to_bytes());
    assert!(i1
        .model
        .metadata()
        .trained_on
        .contains("DNA features from pre-launch model"));
}

#[test]
fn shipped_models_load_and_say_what_they_were_trained_on() {
    let pre = CtrModel::from_bytes(SHIPPED_PRELAUNCH).unwrap();
    pre.expect(ModelKind::PreLaunch, PRELAUNCH_LAYOUT).unwrap();
    assert_eq!(pre.metadata().feature_names, prelaunch_feature_names());
    let inf = CtrModel::from_bytes(SHIPPED_INFLIGHT).unwrap();
    inf.expect(ModelKind::InFlight, INFLIGHT_LAYOUT).unwrap();
    assert_eq!(inf.metadata().feature_names, inflight_feature_names());
    for m in [&pre, &inf] {
        let t = &m.metadata().trained_on;
        assert!(
            t.starts_with("SIMULATED DATA: simulator-v1 1ef3db392658fb78"),
            "{t}"
        );
        assert!(m.metadata().rows > 10_000, "{}", m.metadata().rows);
    }
    assert!(SHIPPED_PRELAUNCH.len() <= 64 * 1024 && SHIPPED_INFLIGHT.len() <= 64 * 1024);
    // The in-flight model names the pre-launch model its DNA features came from.
    let h = format!("{:016x}", fnv1a64(SHIPPED_PRELAUNCH));
    assert!(
        inf.metadata().trained_on.contains(&h),
        "{}",
        inf.metadata().trained_on
    );
}

#[test]
fn corrupt_truncated_and_wrong_kind_bytes_are_clear_errors() {
    let mut b = SHIPPED_PRELAUNCH.to_vec();
    b[100] ^= 0x10;
    assert!(CtrModel::from_bytes(&b)
        .unwrap_err()
        .message
        .contains("checksum"));
    let e = CtrModel::from_bytes(&SHIPPED_PRELAUNCH[..SHIPPED_PRELAUNCH.len() / 3]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("model"));
    let inf = CtrModel::from_bytes(SHIPPED_INFLIGHT).unwrap();
    let e = inf
        .expect(ModelKind::PreLaunch, PRELAUNCH_LAYOUT)
        .unwrap_err();
    assert!(e.message.contains("incompatible"), "{}", e.message);
    // An in-flight model cannot stand in for the pre-launch model behind the DNA features.
    assert!(InflightEncoder::new(FeatureBuilder::default(), Some(&inf), &NoPriors).is_err());
    let pre = CtrModel::from_bytes(SHIPPED_PRELAUNCH).unwrap();
    assert!(pre.score(&[0.0; 31]).is_err());
}

fn network(accounts: u32, scale: f64) -> Network {
    generate_network(&SimOptions {
        seed: 21,
        accounts,
        effect_scale: Some(scale),
    })
    .unwrap()
}

/// Cross-entropy of predictions against a reference probability (expected log loss per
/// impression if the reference were the truth): free of binomial and random-effect noise.
fn expected_loss(p: &[f64], truth: &[f64], n: &[f64]) -> f64 {
    let c: Vec<f64> = truth.iter().zip(n).map(|(t, n)| t * n).collect();
    log_loss(p, &c, n)
}

#[test]
fn prelaunch_model_beats_baselines_and_is_calibrated_on_a_small_network() {
    let net = network(200, 2.0);
    let ds = Dataset::prelaunch(&net.records, &NoPriors).unwrap();
    let s = grouped_split(&ds.account, 3, 0.0, 0.3).unwrap();
    let (train, test) = (ds.subset(&s.train), ds.subset(&s.test));
    fn acc(d: &Dataset) -> std::collections::BTreeSet<&String> {
        d.account.iter().collect()
    }
    assert!(acc(&train).is_disjoint(&acc(&test)));
    let cfg = TrainConfig::standard(ModelKind::PreLaunch, 3, "test".into());
    let m = fit_model(&train, 100.0, 0.1, &cfg).unwrap();
    let p = predict(&m, &test).unwrap();
    let cell = MeanBaseline::fit(&train, true).unwrap().predict(&test);
    let global = MeanBaseline::fit(&train, false).unwrap().predict(&test);
    let attr = attribute_oracle(&net, &SimParams::v1(), &test).unwrap();
    let n = &test.impressions;
    let (lm, lc, lg, la) = (
        expected_loss(&p, &attr, n),
        expected_loss(&cell, &attr, n),
        expected_loss(&global, &attr, n),
        expected_loss(&attr, &attr, n),
    );
    assert!(lm < lc && lc < lg, "model {lm}, cell {lc}, global {lg}");
    // Closes most of the way from the platform x niche mean to the attribute oracle.
    assert!(
        (lc - lm) / (lc - la) > 0.5,
        "closed {}",
        (lc - lm) / (lc - la)
    );
    // Realized clicks too.
    let ev = |q: &[f64]| evaluate(q, &test.clicks, n);
    assert!(ev(&p).log_loss < ev(&cell).log_loss);
    // Calibration against the attribute oracle's expected clicks.
    let expected = |q: &[f64]| q.iter().zip(n).map(|(q, n)| q * n).sum::<f64>();
    let ratio = expected(&p) / expected(&attr);
    assert!(
        (0.9..1.1).contains(&ratio),
        "calibration vs attribute oracle {ratio}"
    );
    // The smartcore forest runs on the same rows and gives probabilities.
    let opts = ForestOptions {
        trees: 5,
        max_depth: 6,
        ..ForestOptions::default()
    };
    let f = ForestBaseline::fit(&train, &opts)
        .unwrap()
        .predict(&test)
        .unwrap();
    assert!(f.iter().all(|v| (0.0..1.0).contains(v)));
    assert!(ev(&f).log_loss < ev(&global).log_loss);
}

#[test]
fn inflight_model_beats_the_mean_and_is_calibrated() {
    let net = network(150, 1.0);
    let enc = InflightEncoder::new(FeatureBuilder::default(), None, &NoPriors).unwrap();
    let ds = Dataset::inflight(&net.records, 3, &enc).unwrap();
    let s = grouped_split(&ds.account, 3, 0.0, 0.3).unwrap();
    let (train, test) = (ds.subset(&s.train), ds.subset(&s.test));
    let cfg = TrainConfig::standard(ModelKind::InFlight, 3, "test".into());
    let m = fit_model(&train, 1.0, 0.0, &cfg).unwrap();
    let p = predict(&m, &test).unwrap();
    let cell = MeanBaseline::fit(&train, true).unwrap().predict(&test);
    let ev = |q: &[f64]| evaluate(q, &test.clicks, &test.impressions);
    let (em, ec) = (ev(&p), ev(&cell));
    assert!(
        em.log_loss < ec.log_loss,
        "{} vs {}",
        em.log_loss,
        ec.log_loss
    );
    assert!(em.auc > ec.auc + 0.02, "{} vs {}", em.auc, ec.auc);
    assert!((0.95..1.05).contains(&em.calibration), "{}", em.calibration);
}

#[test]
fn bad_datasets_are_errors_not_panics() {
    let net = network(3, 1.0);
    let mut ds = Dataset::prelaunch(&net.records, &NoPriors).unwrap();
    let mut foreign = ds.clone();
    foreign.record[0] = net.records.len();
    let e = attribute_oracle(&net, &SimParams::v1(), &foreign).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("record"));
    ds.x.pop();
    assert_eq!(ds.view().unwrap_err().field.as_deref(), Some("x"));
    let cfg = TrainConfig::standard(ModelKind::InFlight, 3, "test".into());
    ds.x.push(0.0);
    // A pre-launch dataset cannot train an in-flight model.
    assert_eq!(
        fit_model(&ds, 1.0, 0.0, &cfg).unwrap_err().field.as_deref(),
        Some("kind")
    );
    assert!(grouped_split(&ds.account, 1, 0.6, 0.5).is_err());
}
