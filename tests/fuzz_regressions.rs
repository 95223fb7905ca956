//! Inputs the fuzzers (`fuzz/`, `scripts/fuzz.sh`, docs/robustness.md) found breaking a contract,
//! replayed natively through the very same contract code (`fuzz/src/contracts.rs`), plus focused
//! tests of each fix. Every file under `tests/data/fuzz/<target>/` is replayed through that
//! target's body: to keep a new crashing input, copy it from `fuzz/artifacts/<target>/` there.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/src/contracts.rs"]
mod contracts;

use crosslearn::copy::CopyExtractor;
use crosslearn::import::import_csv;
use crosslearn::niche::model::{crc32, NicheModel};
use std::path::PathBuf;

fn saved(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.expect("entry").path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("read"))
        })
        .collect();
    out.sort();
    out
}

fn shipped_niche_model() -> NicheModel {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/niche-v1.bin");
    NicheModel::from_bytes(&std::fs::read(p).expect("models/niche-v1.bin")).expect("loads")
}

#[test]
fn saved_model_inputs_keep_their_contract() {
    let inputs = saved("model_load");
    assert!(!inputs.is_empty());
    for (name, bytes) in inputs {
        eprintln!("replaying model_load/{name}");
        contracts::model_load_input(&bytes);
    }
}

#[test]
fn saved_csv_inputs_keep_their_contract() {
    let inputs = saved("csv_import");
    assert!(!inputs.is_empty());
    for (name, bytes) in inputs {
        eprintln!("replaying csv_import/{name}");
        contracts::csv_import_input(&bytes);
    }
}

#[test]
fn saved_text_and_json_inputs_keep_their_contract() {
    let model = shipped_niche_model();
    let mut ex = CopyExtractor::new();
    for (_, bytes) in saved("csv_import").iter().chain(&saved("model_load")) {
        // Any bytes are text and JSON candidates too.
        contracts::text_input(&model, &mut ex, bytes);
        contracts::record_json_input(bytes);
    }
}

/// Found by `model_load`: a niche model whose parameters are finite but so large that a logit
/// overflows `f32` (and `Inf - Inf` gave NaN): the softmax returned NaN probabilities. Fixed in
/// `niche::classifier::softmax_in_place` (non-finite logits are clamped first).
#[test]
fn niche_model_with_overflowing_logits_still_gives_a_distribution() {
    let bytes = &saved("model_load")
        .into_iter()
        .find(|(n, _)| n == "niche-logit-overflow")
        .expect("saved input")
        .1;
    // The saved input is flag byte 1 (repair the CRC) + the model bytes.
    let mut body = bytes[1..].to_vec();
    let at = body.len() - 4;
    let sum = crc32(&body[..at]);
    body[at..].copy_from_slice(&sum.to_le_bytes());
    let model = NicheModel::from_bytes(&body).expect("the saved model loads");
    for text in [
        "Lose weight fast Join our gym today, 50% off!",
        "gym",
        "beach holiday",
    ] {
        let p = model.niche_probabilities(text);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{text}: {p:?}");
        assert!(p.iter().sum::<f64>() <= 1.0 + 1e-4, "{text}: {p:?}");
        let d = model.detect(text);
        assert!((0.0..=1.0).contains(&d.confidence), "{text}: {d:?}");
    }
    // The fix changes nothing for the shipped model (its logits are always finite).
    let shipped = shipped_niche_model();
    let p = shipped.niche_probabilities("Lose weight fast. Join our gym today");
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 0.5 && p.iter().all(|v| v.is_finite()));
}

/// Found by `csv_import`: with lone `\r` line ends (old Mac files) every rejected row was
/// reported on line 1, the header's line. Fixed in `import::LineCounter`.
#[test]
fn csv_line_numbers_count_lone_carriage_returns() {
    let cr = b"record_id,account_id,platform,impressions,clicks,spend\r\
r1,a1,meta,100,5,2.5\rr2,a1,meta,10,50,1\rr3,a1,meta,10,500,1\r";
    let rep = import_csv(cr).expect("imports");
    assert_eq!(rep.rows, 3);
    assert_eq!(rep.accepted.len(), 1);
    let lines: Vec<Option<u64>> = rep.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![Some(3), Some(4)]);
    // The same rows with \n and \r\n ends report the same lines.
    for sep in [&b"\n"[..], b"\r\n"] {
        let text: Vec<u8> = cr
            .split(|&b| b == b'\r')
            .filter(|l| !l.is_empty())
            .flat_map(|l| [l, sep].concat())
            .collect();
        let rep = import_csv(&text).expect("imports");
        let l: Vec<Option<u64>> = rep.rejected.iter().map(|r| r.line).collect();
        assert_eq!(l, lines, "separator {sep:?}");
    }
}

/// Found by `normalize_features`: one platform's best-platform boost (feature 7) came out as
/// -1.1e-16 (the confidence-weighted mean `c·w / w` rounds one ulp above `c`). Corrected mode now
/// clamps it to 0; Seed mode keeps the original's arithmetic (a documented defect).
#[test]
fn single_platform_boost_is_not_negative_in_corrected_mode() {
    use crosslearn::features::FeatureBuilder;
    use crosslearn::metrics::PlatformMetrics;
    use crosslearn::normalize::{Mode, Normalizer};
    use crosslearn::platform::Platform;
    let m = PlatformMetrics::new(Platform::Meta, 0.215, 0.0, 0.0, 0, 0, 0.0);
    for mode in [Mode::Corrected, Mode::Seed] {
        contracts::campaign(Normalizer::new(mode), std::slice::from_ref(&m), None);
    }
    let f = FeatureBuilder::new(Normalizer::new(Mode::Corrected))
        .unified(std::slice::from_ref(&m), None)
        .expect("features");
    assert_eq!(f.best_platform_boost, 0.0);
    let seed = FeatureBuilder::new(Normalizer::new(Mode::Seed))
        .unified(&[m], None)
        .expect("features");
    assert!(seed.best_platform_boost <= 0.0 && seed.best_platform_boost > -1e-12);
}

/// Found by the differential test: a subnormal spend with a large revenue made ROAS `inf`, and two
/// spends near `f64::MAX` made the insight's total spend `inf`. Both saturate at `f64::MAX` now.
#[test]
fn roas_and_total_spend_stay_finite() {
    use crosslearn::features::FeatureBuilder;
    use crosslearn::metrics::PlatformMetrics;
    use crosslearn::normalize::{roas, Mode, Normalizer};
    use crosslearn::platform::Platform;
    assert_eq!(roas(1e300, 5e-324), f64::MAX);
    assert_eq!(roas(10.0, 4.0), 2.5);
    assert_eq!(roas(10.0, 0.0), 0.0);
    let mut a = PlatformMetrics::new(Platform::Meta, 0.02, 1.0, 10.0, 1000, 20, f64::MAX);
    a.revenue = 1e300;
    let mut b = a.clone();
    b.platform = Platform::Tiktok;
    b.spend = 5e-324;
    for mode in [Mode::Corrected, Mode::Seed] {
        let n = Normalizer::new(mode);
        assert_eq!(n.normalize(&b).expect("normalizes").roas, f64::MAX);
        let mut c = b.clone();
        c.spend = f64::MAX;
        let s = FeatureBuilder::new(n)
            .aggregate(&[a.clone(), c])
            .expect("aggregates");
        assert_eq!(s.total_spend, f64::MAX);
        contracts::campaign(n, &[a.clone(), b.clone()], None);
    }
}
