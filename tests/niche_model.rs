//! The niche model: deterministic training, the binary format's error handling, detection and
//! account aggregation on a tiny model, and sanity checks of the shipped `models/niche-v1.bin`.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::niche::hashing::HashingConfig;
use crosslearn::niche::model::{crc32, NicheModel, FORMAT_VERSION, MAGIC};
use crosslearn::niche::train::{train, Example, TrainConfig};
use crosslearn::niche::{
    account_niche, account_niche_with_declared, combine_declared, Niche, DECLARED_TRUST,
};

#[path = "common/plain_ads.rs"]
mod plain_ads;
use crosslearn::ErrorCode;

const TINY: &[(&str, Niche)] = &[
    ("Join our gym today, first month free", Niche::Fitness),
    (
        "HIIT classes and personal training at our fitness studio",
        Niche::Fitness,
    ),
    ("Build muscle with kettlebells and cardio", Niche::Fitness),
    ("Craving pizza? Large pizza for 9.99 tonight", Niche::Food),
    (
        "Fresh coffee and breakfast sandwiches every morning",
        Niche::Food,
    ),
    ("Our chef's new pasta menu is here", Niche::Food),
    (
        "Book your beach resort getaway and save on flights",
        Niche::Travel,
    ),
    ("Hotels and cruises for your winter vacation", Niche::Travel),
    ("Explore the island on a guided trip", Niche::Travel),
];

fn tiny_config() -> TrainConfig {
    TrainConfig {
        hashing: HashingConfig {
            buckets: 512,
            ..HashingConfig::default()
        },
        epochs: 30,
        threshold: 0.0,
        ..TrainConfig::default()
    }
}

fn tiny_model() -> NicheModel {
    let classes = [Some(Niche::Fitness), Some(Niche::Food), Some(Niche::Travel)];
    let examples: Vec<Example> = TINY
        .iter()
        .map(|&(text, niche)| Example {
            text: text.to_string(),
            class: classes.iter().position(|c| *c == Some(niche)).unwrap_or(0),
            weight: 1.0,
        })
        .collect();
    train(&classes, &examples, &examples, &tiny_config()).expect("tiny model trains")
}

#[test]
fn training_is_deterministic_bit_for_bit() {
    let a = tiny_model().to_bytes();
    let b = tiny_model().to_bytes();
    assert_eq!(a, b);
    assert_eq!(&a[..8], &MAGIC);
}

#[test]
fn round_trips_through_bytes() {
    let m = tiny_model();
    let back = NicheModel::from_bytes(&m.to_bytes()).expect("round trip");
    assert_eq!(back, m);
}

#[test]
fn corrupt_truncated_and_foreign_bytes_are_errors() {
    let bytes = tiny_model().to_bytes();
    // Every truncation, including empty input.
    for len in 0..bytes.len() {
        let e = NicheModel::from_bytes(&bytes[..len]).expect_err("truncated must fail");
        assert_eq!(e.code, ErrorCode::Malformed, "len {len}: {e}");
    }
    // Any single flipped byte after the magic and version is caught by the checksum.
    for i in (12..bytes.len()).step_by(37) {
        let mut b = bytes.clone();
        b[i] ^= 0x5a;
        assert!(NicheModel::from_bytes(&b).is_err(), "flip at {i} accepted");
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert!(NicheModel::from_bytes(&padded).is_err());
    let e = NicheModel::from_bytes(b"PK\x03\x04 not a model").expect_err("bad magic");
    assert_eq!(e.code, ErrorCode::Malformed);
    assert!(e.to_string().contains("magic"));
}

#[test]
fn other_versions_are_unsupported() {
    let mut b = tiny_model().to_bytes();
    b[8..10].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let n = b.len();
    let crc = crc32(&b[..n - 4]);
    b[n - 4..].copy_from_slice(&crc.to_le_bytes());
    let e = NicheModel::from_bytes(&b).expect_err("future version");
    assert_eq!(e.code, ErrorCode::Unsupported);
    // Wrong keyword-list version.
    let mut b = tiny_model().to_bytes();
    b[10] = b[10].wrapping_add(1);
    let crc = crc32(&b[..n - 4]);
    b[n - 4..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        NicheModel::from_bytes(&b)
            .expect_err("keyword version")
            .code,
        ErrorCode::Unsupported
    );
}

#[test]
fn detects_with_calibrated_confidence_and_alternatives() {
    let m = tiny_model();
    let d = m.detect("Gym membership with free personal training");
    assert_eq!(d.niche, Niche::Fitness);
    assert!(d.confidence > 0.34 && d.confidence <= 1.0);
    assert!(d.alternatives.len() <= 3);
    assert!(d.alternatives.iter().all(|a| a.niche != Niche::Fitness));
    assert!(d
        .alternatives
        .windows(2)
        .all(|w| w[0].probability >= w[1].probability));
    let empty = m.detect("  🔥🔥 !!! ");
    assert_eq!((empty.niche, empty.confidence), (Niche::Unknown, 0.0));
    // A threshold above any probability makes everything unknown, best guesses kept.
    let mixed = "pizza at the beach hotel, then the gym";
    let top = m.detect(mixed).confidence;
    let strict = m.clone().with_threshold(top + 1e-6).detect(mixed);
    assert_eq!(strict.niche, Niche::Unknown);
    assert_eq!(strict.confidence, top);
    assert_eq!(strict.alternatives.len(), 3);
    assert_eq!(strict.alternatives[0].probability, top);
    // Batch = one by one.
    let texts = ["pizza night", "beach hotel deals", ""];
    let batch = m.detect_batch(&texts);
    let single: Vec<_> = texts.iter().map(|t| m.detect(t)).collect();
    assert_eq!(batch, single);
    let probs = m.niche_probabilities_batch(&texts);
    assert_eq!(probs.len(), 3 * 15);
    let food = Niche::Food.index().unwrap_or(0);
    assert!(probs[food] > 0.5);
    assert!(probs[30..45].iter().all(|&p| p == 0.0));
}

#[test]
fn account_niche_prefers_declared_then_aggregates() {
    let m = tiny_model();
    let texts = ["Pizza for 9.99", "Fresh pasta tonight", "Morning coffee"];
    let declared = account_niche(&m, Some(Niche::Travel), &texts);
    assert_eq!((declared.niche, declared.declared), (Niche::Travel, true));
    assert_eq!(declared.confidence, 1.0);
    let detected = account_niche(&m, None, &texts);
    assert_eq!((detected.niche, detected.declared), (Niche::Food, false));
    assert_eq!(detected.texts_used, 3);
    let unknown_declared = account_niche(&m, Some(Niche::Unknown), &texts);
    assert_eq!(unknown_declared.niche, Niche::Food);
    let none = account_niche::<&str>(&m, None, &[]);
    assert_eq!((none.niche, none.texts_used), (Niche::Unknown, 0));
}

#[test]
fn declared_niche_is_combined_with_the_ads() {
    let m = tiny_model();
    let food = ["Pizza for 9.99", "Fresh pasta tonight", "Morning coffee"];
    // No text: the declaration, with its trust as the confidence.
    let alone = account_niche_with_declared::<&str>(&m, Some(Niche::Travel), 0.8, &[]);
    assert_eq!((alone.niche, alone.declared), (Niche::Travel, true));
    assert!((alone.confidence - 0.8).abs() < 1e-6);
    // No declaration (or `unknown`): the same as detecting from the ads.
    for d in [None, Some(Niche::Unknown)] {
        assert_eq!(
            account_niche_with_declared(&m, d, DECLARED_TRUST, &food),
            account_niche(&m, None, &food)
        );
    }
    // A declaration that agrees with the ads is kept, more surely than the ads alone.
    let agree = account_niche_with_declared(&m, Some(Niche::Food), DECLARED_TRUST, &food);
    let ads = account_niche(&m, None, &food);
    assert_eq!((agree.niche, agree.declared), (Niche::Food, true));
    assert!(agree.confidence >= ads.confidence);
    // A declaration the ads contradict wins at a high trust and loses at a low one.
    let p = [0.2, 0.7, 0.1]; // fitness, food, travel: the ads lean to food
    let q = combine_declared(m.classes(), &p, Niche::Fitness, 0.9);
    assert!(
        q[0] > q[1] && (q.iter().sum::<f32>() - 1.0).abs() < 1e-6,
        "{q:?}"
    );
    let q = combine_declared(m.classes(), &p, Niche::Fitness, 1.0 / 3.0);
    assert!(q[1] > q[0], "no information at trust 1/K: {q:?}");
    let weak = account_niche_with_declared(&m, Some(Niche::Fitness), 0.1, &food);
    assert_eq!((weak.niche, weak.declared), (Niche::Food, false));
    assert_eq!(weak.texts_used, 3);
    // Bad trust values never panic and still give a distribution.
    for t in [f32::NAN, -1.0, 2.0, f32::INFINITY] {
        let r = account_niche_with_declared(&m, Some(Niche::Fitness), t, &food);
        assert!(r.confidence.is_finite() && (0.0..=1.0).contains(&r.confidence));
        let q = combine_declared(m.classes(), &[0.5, 0.3, 0.2, 0.0], Niche::Fitness, t);
        assert!((q.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{t}: {q:?}");
    }
}

fn shipped() -> (Vec<u8>, NicheModel) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/niche-v1.bin");
    let bytes = std::fs::read(path).expect("models/niche-v1.bin exists");
    let model = NicheModel::from_bytes(&bytes).expect("shipped model loads");
    (bytes, model)
}

#[test]
fn shipped_model_is_small_and_detects_plain_ads() {
    let (bytes, m) = shipped();
    assert!(bytes.len() <= 200_000, "{} bytes", bytes.len());
    let cases = plain_ads::PLAIN_ADS;
    for (text, want) in cases {
        let d = m.detect(text);
        assert_eq!(d.niche, want, "{text}: {d:?}");
    }
}
