//! The contracts the fuzz targets assert, as plain functions over the core's public API.
//!
//! Shared by the libFuzzer targets (`fuzz/fuzz_targets/*.rs`) and by the native regression tests
//! (`tests/fuzz_regressions.rs` includes this file with `#[path]`), so a crashing input is checked
//! against exactly the same contract in both places. Every function panics (with the reason) when
//! the contract is broken: that is what makes libFuzzer report a crash.
//!
//! Depends only on `crosslearn` and `serde_json`.

#![allow(dead_code)] // each user calls a subset

use crosslearn::copy::anatomy::{read_platform_copy, PlatformCopy};
use crosslearn::copy::{
    extract_copy_attributes, extract_copy_attributes_v2, CopyAttributes, CopyExtractor,
};
use crosslearn::error::{Error, ErrorCode};
use crosslearn::features::{
    CreativeDna, CrossPlatformInsight, FeatureBuilder, UnifiedFeatures, COLUMNS, N_FEATURES,
};
use crosslearn::import::{import_csv, import_csv_as, ImportFormat, ImportReport};
use crosslearn::metrics::PlatformMetrics;
use crosslearn::model::ctr::{CtrModel, CtrScore};
use crosslearn::model::file::fnv1a64;
use crosslearn::niche::keyword::{corrected_keyword_niche, seed_keyword_niche, KeywordDetection};
use crosslearn::niche::model::crc32;
use crosslearn::niche::model::NicheModel;
use crosslearn::niche::{Niche, NicheDetection};
use crosslearn::normalize::{Mode, NormalizedMetrics, Normalizer};
use crosslearn::platform::Platform;
use crosslearn::record::validate::{
    validate_json_records, validate_record, RecordIssue, RejectedRecord, ValidationReport,
};
use crosslearn::record::{CreativeRecord, RecordInput, RecordSource};

/// `v` is a number in `lo..=hi` (so not NaN).
pub fn in_range(what: &str, v: f64, lo: f64, hi: f64) {
    assert!(
        v >= lo && v <= hi,
        "{what} = {v} is outside {lo}..={hi} (or not a number)"
    );
}

/// `v` is finite.
pub fn finite(what: &str, v: f64) {
    assert!(v.is_finite(), "{what} = {v} is not finite");
}

/// An error from a per-value API: a code, a non-empty message and a non-empty field path.
pub fn field_error(e: &Error) {
    assert!(
        !e.message.trim().is_empty(),
        "error without a message: {e:?}"
    );
    let field = e.field.as_deref().unwrap_or("");
    assert!(
        !field.trim().is_empty(),
        "error does not name a field: {e:?}"
    );
}

/// An error about a whole input (not valid JSON, no CSV header): a message; a field if any is
/// non-empty.
pub fn whole_input_error(e: &Error) {
    assert!(
        !e.message.trim().is_empty(),
        "error without a message: {e:?}"
    );
    if let Some(f) = &e.field {
        assert!(!f.trim().is_empty(), "empty field path: {e:?}");
    }
}

/// A record issue names its field, except `malformed` for an element that is not a record at all.
pub fn issue(i: &RecordIssue) {
    assert!(
        !i.message.trim().is_empty(),
        "issue without a message: {i:?}"
    );
    assert!(!i.code.is_empty(), "issue without a code: {i:?}");
    if i.code != ErrorCode::Malformed.as_str() {
        assert!(!i.field.is_empty(), "issue does not name a field: {i:?}");
    }
}

/// A rejected record carries at least one issue, each well-formed.
pub fn rejected(r: &RejectedRecord) {
    assert!(!r.issues.is_empty(), "rejected without a reason: {r:?}");
    r.issues.iter().for_each(issue);
}

/// The documented invariants of a validated record, and that it validates back to itself.
pub fn record(r: &CreativeRecord) {
    assert!(!r.record_id.trim().is_empty(), "empty record_id");
    assert!(!r.account_id.trim().is_empty(), "empty account_id");
    assert_ne!(r.platform, Platform::Unknown, "platform unknown");
    assert!(r.clicks <= r.impressions, "clicks > impressions: {r:?}");
    finite("spend", r.spend);
    in_range("spend", r.spend, 0.0, f64::MAX);
    if let Some(v) = r.revenue {
        in_range("revenue", v, 0.0, f64::MAX);
    }
    if let Some(d) = r.duration_s {
        assert!(d > 0.0 && d <= 600.0, "duration_s = {d}");
    }
    if let Some(h) = r.posting_hour {
        assert!(h <= 23, "posting_hour = {h}");
    }
    if let Some(c) = r.ctr() {
        in_range("ctr", c, 0.0, 1.0);
    }
    if !r.daily.is_empty() {
        let imps: u64 = r.daily.iter().map(|d| d.impressions).sum();
        let clicks: u64 = r.daily.iter().map(|d| d.clicks).sum();
        assert_eq!(
            imps, r.impressions,
            "daily impressions do not sum to the total"
        );
        assert_eq!(clicks, r.clicks, "daily clicks do not sum to the total");
    }
    let again = validate_record(&RecordInput::from(r), r.source);
    assert_eq!(
        again.as_ref(),
        Ok(r),
        "a validated record does not validate back to itself"
    );
    // A record serializes to JSON (no non-finite number can hide in it).
    serde_json::to_string(r).expect("a record serializes");
}

/// A validation report: every accepted record valid, every rejection explained, `n` inputs in all.
pub fn report(rep: &ValidationReport, n: Option<usize>) {
    rep.accepted.iter().for_each(record);
    rep.rejected.iter().for_each(rejected);
    if let Some(n) = n {
        assert_eq!(
            rep.accepted.len() + rep.rejected.len(),
            n,
            "records lost or invented"
        );
        let mut idx: Vec<usize> = rep.rejected.iter().map(|r| r.index).collect();
        idx.dedup();
        assert_eq!(idx.len(), rep.rejected.len(), "an index rejected twice");
        assert!(idx.iter().all(|&i| i < n), "rejected index out of range");
    }
}

/// An import report: accepted records valid, rejections explained with a line, no rows invented.
pub fn import_report(rep: &ImportReport) {
    rep.accepted.iter().for_each(record);
    rep.rejected.iter().for_each(rejected);
    assert!(
        rep.accepted.len() + rep.rejected.len() <= rep.rows,
        "{} accepted + {} rejected > {} rows",
        rep.accepted.len(),
        rep.rejected.len(),
        rep.rows
    );
    for r in &rep.rejected {
        assert!(
            r.line.is_some_and(|l| l >= 2),
            "rejected row without a data line: {r:?}"
        );
    }
}

/// A normalized platform: every score on 0..1, confidence 0.3..1, ROAS finite.
pub fn normalized(n: &NormalizedMetrics) {
    in_range("normalized_ctr", n.normalized_ctr, 0.0, 1.0);
    in_range("normalized_cpc", n.normalized_cpc, 0.0, 1.0);
    in_range("normalized_cpm", n.normalized_cpm, 0.0, 1.0);
    if let Some(v) = n.normalized_engagement {
        in_range("normalized_engagement", v, 0.0, 1.0);
    }
    if let Some(v) = n.normalized_quality {
        in_range("normalized_quality", v, 0.0, 1.0);
    }
    in_range("composite_score", n.composite_score, 0.0, 1.0);
    in_range("confidence", n.confidence, 0.3, 1.0);
    in_range("roas", n.roas, 0.0, f64::MAX);
}

/// The 19 features: finite, and on their documented ranges. Seed mode reproduces the original's
/// arithmetic, whose best-platform boost (feature 7) can round to -1e-16; Corrected mode may not.
pub fn feature_vector(x: &[f32], mode: Mode) {
    assert_eq!(x.len(), N_FEATURES);
    let boost_min = match mode {
        Mode::Seed => -1e-12,
        Mode::Corrected => 0.0,
    };
    for (i, &v) in x.iter().enumerate() {
        let v = f64::from(v);
        let what = format!("feature[{i}]");
        match i {
            7 => in_range(&what, v, boost_min, 1.0),
            0..=6 | 16..=18 => in_range(&what, v, 0.0, 1.0),
            8 => assert!([0.0f32, 0.1, 0.2].contains(&x[i]), "{what} = {v}"),
            9..=11 => in_range(&what, v, 0.0, 45.0), // ln(1 + u64::MAX) ~ 44.4
            12 => in_range(&what, v, 0.3, 1.0),
            13..=15 => assert!(v == 0.0 || v == 1.0, "{what} = {v}"),
            _ => unreachable!(),
        }
    }
}

/// An insight: averages on 0..1, confidence 0.3..1, totals finite.
pub fn insight(s: &CrossPlatformInsight) {
    in_range("avg_normalized_ctr", s.avg_normalized_ctr, 0.0, 1.0);
    in_range("avg_normalized_cpc", s.avg_normalized_cpc, 0.0, 1.0);
    in_range(
        "avg_normalized_engagement",
        s.avg_normalized_engagement,
        0.0,
        1.0,
    );
    in_range("avg_composite_score", s.avg_composite_score, 0.0, 1.0);
    in_range("consistency_score", s.consistency_score, 0.0, 1.0);
    in_range("confidence", s.confidence, 0.3, 1.0);
    in_range("total_spend", s.total_spend, 0.0, f64::MAX);
    assert_eq!(s.platforms.len(), s.platform_breakdown.len());
    for b in &s.platform_breakdown {
        in_range("breakdown.composite_score", b.composite_score, 0.0, 1.0);
        in_range("breakdown.spend", b.spend, 0.0, f64::MAX);
    }
}

/// Everything the normalizer and the feature builder do with one campaign, checked: each platform
/// alone, the insight + features, the one-row matrix (equal to the single vector).
pub fn campaign(normalizer: Normalizer, data: &[PlatformMetrics], dna: Option<&CreativeDna>) {
    for m in data {
        match normalizer.normalize(m) {
            Ok(n) => normalized(&n),
            Err(e) => field_error(&e),
        }
    }
    let builder = FeatureBuilder::new(normalizer);
    let single = builder.insight_and_features(data, dna);
    match &single {
        Ok((s, f)) => {
            insight(s);
            unified(f);
        }
        Err(e) => field_error(e),
    }
    let c = crosslearn::features::Campaign {
        campaign_id: None,
        platform_data: data.to_vec(),
        creative_dna: dna.copied(),
    };
    match (builder.matrix(std::slice::from_ref(&c)), &single) {
        (Ok(m), Ok((_, f))) => {
            let row: Vec<f32> = m.iter().copied().collect();
            assert_eq!(row, f.to_array().to_vec(), "matrix row != unified features");
        }
        (Err(e), Err(_)) => field_error(&e),
        (a, b) => panic!("matrix and unified disagree: {a:?} vs {b:?}"),
    }
}

/// Unified features: the vector's contract.
pub fn unified(f: &UnifiedFeatures) {
    feature_vector(&f.to_array(), f.mode);
}

/// The columnar batch: `Ok` gives `n x 19` checked features; errors name the column.
pub fn columns(normalizer: Normalizer, cols: &[f64], n: usize) {
    match FeatureBuilder::new(normalizer).from_columns(cols, n) {
        Ok(x) => {
            assert_eq!(x.len(), n * N_FEATURES);
            assert_eq!(cols.len(), n * COLUMNS);
            for row in x.chunks_exact(N_FEATURES) {
                feature_vector(row, normalizer.mode());
            }
        }
        Err(e) => field_error(&e),
    }
}

/// A CTR score: probabilities on 0..1 with `low <= ctr <= high`.
pub fn ctr_score(s: &CtrScore) {
    in_range("ctr", s.ctr, 0.0, 1.0);
    in_range("low", s.low, 0.0, 1.0);
    in_range("high", s.high, 0.0, 1.0);
    assert!(s.low <= s.ctr && s.ctr <= s.high, "interval {s:?}");
}

/// Score one row both ways (`score`, `score_batch`): both succeed and agree, or both fail naming
/// a field.
pub fn ctr_row(model: &CtrModel, x: &[f32]) {
    let one = model.score(x);
    let batch = if x.len() == model.n_features() {
        Some(model.score_batch(x, 1))
    } else {
        None
    };
    match (&one, &batch) {
        (Ok(s), Some(Ok(b))) => {
            ctr_score(s);
            in_range("score_batch", f64::from(b[0]), 0.0, 1.0);
            assert!(
                (f64::from(b[0]) - s.ctr).abs() <= 1e-6,
                "score {s:?} != score_batch {b:?}"
            );
        }
        (Err(e), Some(Err(b))) => {
            field_error(e);
            field_error(b);
        }
        (Err(e), None) => field_error(e),
        _ => panic!("score and score_batch disagree: {one:?} vs {batch:?}"),
    }
}

/// A loaded CTR model: reserializes to a file that loads back equal, and scores in range.
pub fn ctr_model(m: &CtrModel) {
    let again = CtrModel::from_bytes(&m.to_bytes());
    assert_eq!(again.as_ref(), Ok(m), "CTR model does not round-trip");
    let d = m.n_features();
    assert_eq!(m.weights().len(), d);
    assert_eq!(m.metadata().feature_names.len(), d);
    for v in [0.0f32, 1.0, -1.0] {
        ctr_row(m, &vec![v; d]);
    }
}

/// Probabilities of a niche model over one text: on 0..1, summing to at most 1.
pub fn niche_probabilities(p: &[f64]) {
    let mut sum = 0.0;
    for (i, &v) in p.iter().enumerate() {
        in_range(&format!("p[{i}]"), v, 0.0, 1.0);
        sum += v;
    }
    assert!(sum <= 1.0 + 1e-4, "niche probabilities sum to {sum}");
}

/// A niche detection: confidence on 0..1, at most 3 alternatives on 0..1, none above the top.
pub fn niche_detection(d: &NicheDetection, threshold: f64) {
    in_range("confidence", d.confidence, 0.0, 1.0);
    assert!(
        d.alternatives.len() <= 3,
        "{} alternatives",
        d.alternatives.len()
    );
    for a in &d.alternatives {
        in_range("alternative", a.probability, 0.0, 1.0);
        assert!(
            a.probability <= d.confidence + 1e-12,
            "alternative above the top: {d:?}"
        );
        assert_ne!(
            a.niche, d.niche,
            "the detected niche among its alternatives"
        );
    }
    if d.niche != Niche::Unknown {
        assert!(
            d.confidence >= threshold,
            "known niche below the threshold: {d:?}"
        );
    }
}

/// A keyword detection: confidence on 0..1, `unknown` exactly when it is 0.
pub fn keyword_detection(d: &KeywordDetection) {
    in_range("keyword confidence", d.confidence, 0.0, 1.0);
    assert_eq!(d.niche == Niche::Unknown, d.confidence == 0.0, "{d:?}");
}

/// Copy attributes: counts consistent with each other.
pub fn copy_attributes(a: &CopyAttributes) {
    assert!(a.word_count <= a.char_count, "{a:?}");
    assert!(a.emoji_count <= a.char_count, "{a:?}");
    assert!(
        a.exclamation_count + a.question_count <= a.char_count,
        "{a:?}"
    );
    assert!(a.number_count <= a.char_count, "{a:?}");
    assert!(
        !(a.has_percent && a.number_count == 0),
        "% without a number: {a:?}"
    );
}

/// Niche detection (model and keywords) and copy extraction over one headline and body.
pub fn text(model: &NicheModel, extractor: &mut CopyExtractor, headline: &str, body: &str) {
    let joined = format!("{headline} {body}");
    let p = model.niche_probabilities(&joined);
    niche_probabilities(&p);
    let d = model.detect(&joined);
    niche_detection(&d, model.threshold());
    keyword_detection(&corrected_keyword_niche(&joined));
    keyword_detection(&seed_keyword_niche(&[headline], &[body]));
    let a = extractor.extract(headline, body);
    copy_attributes(&a);
    // A reused extractor (its buffer holds the previous text) equals a fresh one.
    assert_eq!(
        a,
        extract_copy_attributes(headline, body),
        "extractor state leaks"
    );
    // Rules v2 and the platform anatomy read any text too; the signals do not depend on rules.
    let v2 = extract_copy_attributes_v2(headline, body);
    copy_attributes(&v2);
    assert_eq!(
        (v2.char_count, v2.emoji_count, v2.number_count, v2.has_price),
        (a.char_count, a.emoji_count, a.number_count, a.has_price),
        "v2 changed a signal"
    );
    for copy in [
        PlatformCopy::Meta {
            primary_text: body.to_string(),
            headline: headline.to_string(),
            description: String::new(),
        },
        PlatformCopy::GoogleAds {
            headlines: vec![headline.to_string(), body.to_string()],
            descriptions: vec![body.to_string()],
        },
    ] {
        let r = read_platform_copy(&copy).expect("within the platform's entry limits");
        copy_attributes(&r.attributes);
    }
}

/// The source stamped on records validated from JSON in the targets.
pub const JSON_SOURCE: RecordSource = RecordSource::User;

// ---- The byte-input targets' whole bodies (the fuzz targets call these; the regression tests
// replay saved inputs through them). ----

/// `record_json`: arbitrary text through `validate_json_records`. A JSON array gives one outcome
/// per element; anything else is a whole-input error.
pub fn record_json_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let n = serde_json::from_str::<Vec<serde_json::Value>>(text)
        .ok()
        .map(|v| v.len());
    match validate_json_records(text, JSON_SOURCE) {
        Ok(rep) => {
            assert!(n.is_some(), "accepted text that is not a JSON array");
            report(&rep, n);
        }
        Err(e) => {
            assert!(n.is_none(), "rejected a JSON array: {e:?}");
            whole_input_error(&e);
        }
    }
}

/// `csv_import`: arbitrary bytes through `import_csv` and `import_csv_as` (each format).
pub fn csv_import_input(data: &[u8]) {
    let detected = import_csv(data);
    match &detected {
        Ok(rep) => import_report(rep),
        Err(e) => whole_input_error(e),
    }
    let formats = [
        ImportFormat::FacebookExport,
        ImportFormat::TiktokExport,
        ImportFormat::KagConversion,
        ImportFormat::Generic,
    ];
    for f in formats {
        match import_csv_as(data, f) {
            Ok(rep) => {
                import_report(&rep);
                // Forcing the detected format changes nothing.
                assert_eq!(Some(&rep), detected.as_ref().ok(), "forced {f:?} differs");
            }
            Err(e) => whole_input_error(&e),
        }
    }
}

/// `model_load`: the bytes after the flag byte as a CTR model file and as a niche model file;
/// flag bit 0 repairs the checksum first (FNV-1a 64 / CRC-32) so the parser behind it is reached.
pub fn model_load_input(data: &[u8]) {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let repair = flags & 1 == 1;
    let mut ctr = body.to_vec();
    if repair && ctr.len() >= 8 {
        let at = ctr.len() - 8;
        let sum = fnv1a64(&ctr[..at]);
        ctr[at..].copy_from_slice(&sum.to_le_bytes());
    }
    match CtrModel::from_bytes(&ctr) {
        Ok(m) => ctr_model(&m),
        Err(e) => field_error(&e),
    }
    let mut niche = body.to_vec();
    if repair && niche.len() >= 4 {
        let at = niche.len() - 4;
        let sum = crc32(&niche[..at]);
        niche[at..].copy_from_slice(&sum.to_le_bytes());
    }
    match NicheModel::from_bytes(&niche) {
        Ok(m) => {
            assert_eq!(
                NicheModel::from_bytes(&m.to_bytes()).as_ref(),
                Ok(&m),
                "round trip"
            );
            let mut ex = CopyExtractor::new();
            for (h, b) in [
                ("Lose weight fast", "Join our gym today, 50% off!"),
                ("Cheap flights", "Book your beach holiday now"),
                ("", "x"),
            ] {
                text(&m, &mut ex, h, b);
            }
        }
        Err(e) => field_error(&e),
    }
}

/// `niche_copy_text`: the bytes, lossily decoded, split at the first newline into headline and
/// body.
pub fn text_input(model: &NicheModel, extractor: &mut CopyExtractor, data: &[u8]) {
    let t = String::from_utf8_lossy(data);
    let (headline, body) = t.split_once('\n').unwrap_or((&t, ""));
    text(model, extractor, headline, body);
}
