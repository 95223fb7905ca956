// wasm side of the native-vs-wasm differential test (tests/differential_native.rs writes the
// native outputs to tests/data/differential_native.json).
//
//   wasm-pack test --node --release --features wasm --test web_differential
//
// The inputs are regenerated here with the same generator and seed (tests/differential/cases.rs,
// `crosslearn::rng`), and must be the same bits (`inputs_fnv`). Then the normalizer (both
// modes), the feature builder (single campaigns and the columnar batch) and CTR scoring run in
// wasm, twice: through the core directly and through the JS bindings (typed arrays in and out,
// as a JS caller uses them). Every number must be within 1e-6 of the native one, every rejection
// must have the same code and field (non-finite and extreme inputs included).
//
// Kept free of inner attributes (like tests/web.rs). Native builds compile it to nothing.

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
#[path = "differential/cases.rs"]
#[allow(dead_code)] // each side uses a part
mod cases;

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod wasm_differential {
    use super::cases;
    use crosslearn::model::ctr::CtrModel;
    use crosslearn::normalize::Mode;
    use crosslearn::wasm::{self, Options};
    use js_sys::Reflect;
    use serde::Serialize;
    use serde_json::{json, Value};
    use tsify::Ts;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    const FIXTURE: &str = include_str!("data/differential_native.json");
    const TOL: f64 = 1e-6;

    fn fixture() -> Value {
        serde_json::from_str(FIXTURE).expect("fixture JSON")
    }

    fn model_bytes(file: &str) -> &'static [u8] {
        match file {
            "tests/data/ctr_small_prelaunch.bin" => include_bytes!("data/ctr_small_prelaunch.bin"),
            "models/ctr-prelaunch-v1.bin" => include_bytes!("../models/ctr-prelaunch-v1.bin"),
            "models/ctr-inflight-v1.bin" => include_bytes!("../models/ctr-inflight-v1.bin"),
            other => panic!("{other} is in the fixture but not compiled into this test"),
        }
    }

    fn options(mode: Mode) -> Option<Ts<Options>> {
        let m = match mode {
            Mode::Seed => "seed",
            Mode::Corrected => "corrected",
        };
        let v = json!({ "mode": m })
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .expect("options");
        Some(Ts::new_unchecked(v))
    }

    /// What a binding threw, as the fixture's `{error, field}` (the JS error's `code`/`field`).
    fn thrown(e: JsValue) -> Value {
        let get = |k: &str| Reflect::get(&e, &k.into()).expect("property");
        json!({ "error": get("code").as_string(), "field": get("field").as_string() })
    }

    fn f32s(x: &[f32]) -> Value {
        Value::Array(x.iter().map(|&v| cases::num(f64::from(v))).collect())
    }

    #[wasm_bindgen_test]
    fn inputs_are_the_same_bits() {
        let c = cases::cases();
        assert_eq!(fixture()["inputs_fnv"], cases::inputs_fnv(&c));
    }

    /// The core compiled to wasm reproduces every native output (numbers within 1e-6, errors equal).
    #[wasm_bindgen_test]
    fn core_in_wasm_matches_native() {
        let f = fixture();
        let c = cases::cases();
        let mut n = 0;
        for (key, mode) in [("corrected", Mode::Corrected), ("seed_mode", Mode::Seed)] {
            n += cases::compare(key, &cases::outputs(&c, mode), &f[key], TOL);
        }
        for m in f["ctr"].as_array().expect("ctr") {
            let file = m["file"].as_str().expect("file");
            let model = CtrModel::from_bytes(model_bytes(file)).expect("model");
            n += cases::compare(
                file,
                &cases::ctr_outputs(&model, c.rows_seed),
                &m["scores"],
                TOL,
            );
        }
        assert!(n > 5_000, "only {n} numbers compared");
    }

    /// The JS bindings (typed arrays, as JS calls them) reproduce the native batch features and
    /// CTR scores; a binding's error has the core's code and names the same value.
    #[wasm_bindgen_test]
    fn bindings_match_native() {
        let f = fixture();
        let c = cases::cases();
        let mut n = 0;
        for (key, mode) in [("corrected", Mode::Corrected), ("seed_mode", Mode::Seed)] {
            for (i, ((cols, rows), want)) in c
                .batches
                .iter()
                .zip(f[key]["batches"].as_array().expect("batches"))
                .enumerate()
            {
                let got = match wasm::unified_features_batch(cols, *rows as f64, options(mode)) {
                    Ok(x) => f32s(&x),
                    Err(e) => thrown(e),
                };
                n += cases::compare(&format!("{key}.batches[{i}]"), &got, want, TOL);
            }
        }
        for m in f["ctr"].as_array().expect("ctr") {
            let file = m["file"].as_str().expect("file");
            let model = wasm::CtrModel::load(model_bytes(file), None).expect("load");
            let d = model.n_features();
            let x = cases::ctr_rows(c.rows_seed, d);
            let finite: Vec<f32> = x
                .chunks_exact(d)
                .filter(|r| r.iter().all(|v| v.is_finite()))
                .flatten()
                .copied()
                .collect();
            let got = f32s(
                &model
                    .score_batch(&finite, (finite.len() / d) as f64)
                    .expect("batch"),
            );
            n += cases::compare(file, &got, &m["scores"]["batch"], TOL);
            // A non-finite row: the binding names the value (`x[k]`) where the core names
            // `rows[i].features[j]`; both are invalid_value errors.
            let e = thrown(
                model
                    .score_batch(&x, cases::CTR_ROWS as f64)
                    .expect_err("non-finite rows are rejected"),
            );
            let native = &m["scores"]["all_rows"];
            assert_eq!(e["error"], native["error"], "{file}");
            assert!(
                e["field"].as_str().is_some_and(|s| s.starts_with("x")),
                "{file}: {e}"
            );
            assert!(native["field"]
                .as_str()
                .is_some_and(|s| s.starts_with("rows[")));
        }
        assert!(n > 1_000, "only {n} numbers compared");
    }
}
