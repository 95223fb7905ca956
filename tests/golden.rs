//! Golden tests: every case of `../shared/fixtures/seed_golden.json` (except `keyword_niche`, which
//! the niche module tests) run through the core in `Mode::Seed` and compared with `==`.
//!
//! Fixture numbers were produced by running the original Python system; floats are written in
//! shortest round-trip form, so they parse back to the identical f64. The only tolerance is the one
//! the fixtures document: `cpu_dependent_values` may also take their `numpy_avx512` value.

#![cfg(not(target_arch = "wasm32"))]

use crosslearn::features::{Campaign, FeatureBuilder};
use crosslearn::metrics::PlatformMetrics;
use crosslearn::normalize::{Mode, Normalizer};
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixtures() -> &'static Value {
    static F: OnceLock<Value> = OnceLock::new();
    F.get_or_init(|| {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/seed_golden.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        serde_json::from_str(&text).expect("fixture JSON parses")
    })
}

fn cases(section: &str) -> &'static Vec<Value> {
    fixtures()["cases"][section]
        .as_array()
        .unwrap_or_else(|| panic!("section {section}"))
}

/// The AVX-512 alternatives the fixtures document for a case (1 ulp off the canonical value).
fn cpu_alternatives(section: &str, id: &str) -> Vec<f64> {
    fixtures()["cpu_dependent_values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["section"] == section && v["id"] == id)
        .filter_map(|v| v["numpy_avx512"].as_f64())
        .collect()
}

fn metrics(v: &Value) -> PlatformMetrics {
    serde_json::from_value(v.clone()).expect("fixture metrics deserialize")
}

/// Every key of `expected` must be in `actual` with an equal value (numbers with `==`).
fn assert_same(section: &str, id: &str, path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{section}/{id}: {path}.{k} missing in output"));
                assert_same(section, id, &format!("{path}.{k}"), ev, av);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{section}/{id}: {path} length");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_same(section, id, &format!("{path}[{i}]"), ev, av);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            if e != a && !cpu_alternatives(section, id).contains(&a) {
                panic!("{section}/{id}: {path} expected {e:?}, got {a:?}");
            }
        }
        (e, a) => assert_eq!(e, a, "{section}/{id}: {path}"),
    }
}

/// Our list-of-entries shape -> the original's map keyed by platform.
fn keyed_by_platform(list: &Value) -> Value {
    let mut m = Map::new();
    for entry in list.as_array().into_iter().flatten() {
        let mut e = entry.as_object().cloned().unwrap_or_default();
        if let Some(Value::String(p)) = e.remove("platform") {
            m.insert(p, Value::Object(e));
        }
    }
    Value::Object(m)
}

fn seed() -> FeatureBuilder {
    FeatureBuilder::new(Normalizer::new(Mode::Seed))
}

fn run_normalize(section: &str, list: &[Value]) -> usize {
    let n = Normalizer::new(Mode::Seed);
    for c in list {
        let id = c["id"].as_str().unwrap_or("?");
        let out = n.normalize(&metrics(&c["input"])).expect("normalize");
        assert_same(
            section,
            id,
            "",
            &c["expected"],
            &serde_json::to_value(out).unwrap(),
        );
    }
    list.len()
}

#[test]
fn normalize_cases() {
    assert_eq!(run_normalize("normalize", cases("normalize")), 520);
}

fn run_best(section: &str, list: &[Value]) -> usize {
    let n = Normalizer::new(Mode::Seed);
    for c in list {
        let id = c["id"].as_str().unwrap_or("?");
        let input: Vec<PlatformMetrics> = c["input"]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(metrics)
            .collect();
        let min_conf = c["input"]["min_confidence"].as_f64().unwrap_or(0.6);
        let (p, m) = n.best_platform(&input, min_conf).expect("best platform");
        let actual = json!({
            "platform": p, "composite_score": m.composite_score,
            "confidence": m.confidence, "normalized_platform": m.platform,
        });
        assert_same(section, id, "", &c["expected"], &actual);
    }
    list.len()
}

#[test]
fn best_platform_cases() {
    assert_eq!(run_best("best_platform", cases("best_platform")), 75);
}

fn run_meta_equivalent(section: &str, list: &[Value]) -> usize {
    let n = Normalizer::new(Mode::Seed);
    for c in list {
        let id = c["id"].as_str().unwrap_or("?");
        let input = metrics(&c["input"]);
        let out = n.to_meta_equivalent(&input).expect("meta equivalent");
        let mut expected = c["expected"].clone();
        let identity = expected["is_identity"].as_bool().unwrap_or(false);
        expected.as_object_mut().unwrap().remove("is_identity");
        assert_eq!(identity, out == input, "{section}/{id}: identity");
        assert_same(
            section,
            id,
            "",
            &expected,
            &serde_json::to_value(out).unwrap(),
        );
    }
    list.len()
}

#[test]
fn meta_equivalent_cases() {
    assert_eq!(
        run_meta_equivalent("meta_equivalent", cases("meta_equivalent")),
        70
    );
}

fn run_aggregate(section: &str, list: &[Value]) -> usize {
    let b = seed();
    for c in list {
        let id = c["id"].as_str().unwrap_or("?");
        let data: Vec<PlatformMetrics> = c["input"]["platform_data"]
            .as_array()
            .unwrap()
            .iter()
            .map(metrics)
            .collect();
        let dna = match &c["input"]["creative_dna"] {
            Value::Null => None,
            v => Some(serde_json::from_value(v.clone()).expect("dna")),
        };
        let exp = &c["expected"];
        let insight = serde_json::to_value(b.aggregate(&data).expect("aggregate")).unwrap();
        let mut insight = insight.as_object().cloned().unwrap();
        let breakdown = keyed_by_platform(&insight["platform_breakdown"]);
        insight.insert("platform_breakdown".into(), breakdown);
        insight.insert("insight_type".into(), json!("campaign_aggregation"));
        assert_same(
            section,
            id,
            "insight",
            &exp["insight"],
            &Value::Object(insight),
        );

        let uf = b.unified(&data, dna.as_ref()).expect("unified");
        let uv = serde_json::to_value(uf).unwrap();
        assert_same(
            section,
            id,
            "unified_features",
            &exp["unified_features"],
            &uv,
        );
        let arr = uf.to_array();
        let want = exp["unified_features_array_f32"].as_array().unwrap();
        assert_eq!(want.len(), arr.len());
        for (i, (w, a)) in want.iter().zip(arr).enumerate() {
            let w = w.as_f64().unwrap();
            let path = format!("unified_features_array_f32[{i}]");
            let alt = cpu_alternatives(section, id);
            assert!(
                a as f64 == w || alt.iter().any(|x| *x as f32 == a),
                "{section}/{id}: {path} expected {w:?}, got {a:?}"
            );
        }
        // The batch matrix gives the same rows.
        let campaign = Campaign {
            campaign_id: None,
            platform_data: data,
            creative_dna: dna,
        };
        let m = b.matrix(std::slice::from_ref(&campaign)).expect("matrix");
        assert_eq!(
            m.row(0).to_vec(),
            arr.to_vec(),
            "{section}/{id}: matrix row"
        );
    }
    list.len()
}

#[test]
fn aggregate_cases() {
    assert_eq!(run_aggregate("aggregate", cases("aggregate")), 170);
}

fn run_patterns(section: &str, list: &[Value]) -> usize {
    let b = seed();
    for c in list {
        let id = c["id"].as_str().unwrap_or("?");
        let campaigns: Vec<Campaign> = c["input"]["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Campaign {
                campaign_id: c["campaign_id"].as_str().map(String::from),
                platform_data: c["platform_data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(metrics)
                    .collect(),
                creative_dna: None,
            })
            .collect();
        let min_roas = c["input"]["min_roas"].as_f64().unwrap_or(2.0);
        let out = b.patterns(&campaigns, min_roas).expect("patterns");
        let mut v = serde_json::to_value(out).unwrap();
        let stats = keyed_by_platform(&v["platform_stats"]);
        v["platform_stats"] = stats;
        assert_same(section, id, "", &c["expected"], &v);
    }
    list.len()
}

#[test]
fn patterns_cases() {
    assert_eq!(run_patterns("patterns", cases("patterns")), 31);
}

#[test]
fn worked_examples() {
    let w = &fixtures()["cases"]["worked_examples"];
    // Some entries are one case, some a list of cases.
    let arr = |k: &str| match &w[k] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![w[k].clone()],
        _ => panic!("worked_examples.{k} missing"),
    };
    let n = run_normalize("worked_examples", &arr("normalize"))
        + run_best("worked_examples", &arr("best_platform"))
        + run_meta_equivalent("worked_examples", &arr("meta_equivalent"))
        + run_aggregate("worked_examples", &arr("aggregate"))
        + run_aggregate("worked_examples", &arr("aggregate_with_dna"))
        + run_patterns("worked_examples", &arr("patterns"));
    assert_eq!(n, 3 + 1 + 2 + 1 + 1 + 1, "worked examples ran");
}
