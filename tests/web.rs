// wasm tests (wasm-bindgen-test): the golden fixtures through the core AND through the JS
// bindings, some Corrected-mode cases, the JS error objects, and cross-target byte equality.
//
//   wasm-pack test --node --release --features wasm --test web
//   wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver --release \
//     --features wasm --test web_browser        # tests/web_browser.rs include!s this file
//
// Kept free of inner attributes (`#![...]`, `//!`) so that tests/web_browser.rs can include! it
// after `wasm_bindgen_test_configure!(run_in_browser)`. Native builds compile it to nothing.

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod common;

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod wasm_tests {
    use super::common::{self, Backend, Core, Unified};
    use crosslearn::features::{FeatureBuilder, COLUMNS, N_FEATURES};
    use crosslearn::normalize::{Mode, Normalizer};
    use crosslearn::synth::{campaign_columns, fingerprint, DEFAULT_SEED};
    use crosslearn::wasm::{self, BestPlatformOptions, Options};
    use crosslearn::ErrorCode;
    use js_sys::{Float32Array, Reflect};
    use serde::Serialize;
    use serde_json::{json, Value};
    use tsify::{Ts, Tsify};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Plain JS objects (not `Map`s), `null` for JSON null: what a JS caller passes.
    fn js(v: &Value) -> JsValue {
        v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .expect("JSON to JS")
    }

    fn ts<T: Tsify>(v: &Value) -> Ts<T> {
        Ts::new_unchecked(js(v))
    }

    fn back(v: JsValue) -> Value {
        serde_wasm_bindgen::from_value(v).expect("JS to JSON")
    }

    fn seed() -> Option<Ts<Options>> {
        Some(ts(&json!({ "mode": "seed" })))
    }

    fn get(obj: &JsValue, key: &str) -> JsValue {
        Reflect::get(obj, &key.into()).expect("property")
    }

    /// The JS API, called exactly as JS would (JS values in, JS values out), in seed mode.
    struct Bindings;

    impl Backend for Bindings {
        fn normalize(&self, m: &Value) -> Value {
            back(wasm::normalize(ts(m), seed()).expect("normalize").into())
        }

        fn best_platform(&self, list: &Value, min_confidence: Option<f64>) -> Value {
            let mut o = json!({ "mode": "seed" });
            if let Some(c) = min_confidence {
                o["minConfidence"] = json!(c);
            }
            let options: Option<Ts<BestPlatformOptions>> = Some(ts(&o));
            back(wasm::best_platform(js(list), options).expect("best").into())
        }

        fn meta_equivalent(&self, m: &Value) -> Value {
            back(wasm::meta_equivalent(ts(m), seed()).expect("meta").into())
        }

        fn unified(&self, platform_data: &Value, dna: &Value) -> Unified {
            let dna = (!dna.is_null()).then(|| ts(dna));
            let out: JsValue = wasm::unified_features(js(platform_data), dna, seed())
                .expect("unified")
                .into();
            let vector: Float32Array = get(&out, "vector").dyn_into().expect("Float32Array");
            Unified {
                insight: back(get(&out, "insight")),
                features: back(get(&out, "features")),
                vector: vector.to_vec(),
            }
        }

        fn patterns(&self, campaigns: &Value, min_roas: Option<f64>) -> Value {
            let out = wasm::cross_platform_patterns(js(campaigns), min_roas, seed());
            back(out.expect("patterns").into())
        }
    }

    #[wasm_bindgen_test]
    fn golden_normalize() {
        let cases = common::cases("normalize");
        assert_eq!(common::run_normalize(&Core, "normalize", cases), 520);
        assert_eq!(common::run_normalize(&Bindings, "normalize", cases), 520);
    }

    #[wasm_bindgen_test]
    fn golden_best_platform() {
        let (s, cases) = ("best_platform", common::cases("best_platform"));
        assert_eq!(common::run_best_platform(&Core, s, cases), 75);
        assert_eq!(common::run_best_platform(&Bindings, s, cases), 75);
    }

    #[wasm_bindgen_test]
    fn golden_meta_equivalent() {
        let (s, cases) = ("meta_equivalent", common::cases("meta_equivalent"));
        assert_eq!(common::run_meta_equivalent(&Core, s, cases), 70);
        assert_eq!(common::run_meta_equivalent(&Bindings, s, cases), 70);
    }

    #[wasm_bindgen_test]
    fn golden_aggregate() {
        let cases = common::cases("aggregate");
        assert_eq!(common::run_aggregate(&Core, "aggregate", cases), 170);
        assert_eq!(common::run_aggregate(&Bindings, "aggregate", cases), 170);
        if let Ok(diffs) = common::LIBM_ULP_DIFFS.lock() {
            let list = diffs.join("\n  ");
            wasm_bindgen_test::console_log!("exp values 1 ulp off glibc (accepted):\n  {list}");
        }
    }

    #[wasm_bindgen_test]
    fn golden_patterns() {
        let cases = common::cases("patterns");
        assert_eq!(common::run_patterns(&Core, "patterns", cases), 31);
        assert_eq!(common::run_patterns(&Bindings, "patterns", cases), 31);
    }

    #[wasm_bindgen_test]
    fn golden_worked_examples() {
        assert_eq!(common::run_worked_examples(&Core), 9);
        assert_eq!(common::run_worked_examples(&Bindings), 9);
    }

    fn tiktok() -> Value {
        json!({
            "platform": "tiktok", "ctr": 0.045, "cpc": 0.6, "cpm": 8.0, "impressions": 15000,
            "clicks": 675, "spend": 405.0, "conversions": 30, "revenue": 2400.0,
            "engagement_rate": 0.08,
        })
    }

    /// (code, field, message) of what a binding threw; asserts it is a real `Error`.
    fn thrown<T: std::fmt::Debug>(r: Result<T, JsValue>) -> (String, Option<String>, String) {
        let e = r.expect_err("should throw");
        assert!(e.is_instance_of::<js_sys::Error>(), "a real Error: {e:?}");
        let code = get(&e, "code").as_string().expect("code is a string");
        let field = get(&e, "field").as_string();
        let message: String = e.unchecked_into::<js_sys::Error>().message().into();
        (code, field, message)
    }

    #[wasm_bindgen_test]
    fn corrected_mode_is_the_default_and_fixes_the_seed_defects() {
        // TikTok quality: engagement on TikTok's range (0.08 - 0.02) / 0.13, not 0 as in seed.
        let n = back(
            wasm::normalize(ts(&tiktok()), None)
                .expect("normalize")
                .into(),
        );
        assert_eq!(n["normalized_quality"], json!((0.08 - 0.02) / 0.13));
        let s = back(wasm::normalize(ts(&tiktok()), seed()).expect("seed").into());
        assert_eq!(s["normalized_quality"].as_f64(), Some(0.0));
        // Without a quality signal the field is null, not 0.
        let mut meta = tiktok();
        meta["platform"] = json!("meta");
        meta["engagement_rate"] = Value::Null;
        let n = back(wasm::normalize(ts(&meta), None).expect("meta").into());
        assert_eq!(n["normalized_quality"], Value::Null);
        assert_eq!(n["normalized_engagement"], Value::Null);
        // `unknown` needs a benchmark row; duplicates are an error.
        let mut unknown = tiktok();
        unknown["platform"] = json!("unknown");
        let (code, field, _) = thrown(wasm::normalize(ts(&unknown), None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("unsupported", Some("metrics.platform"))
        );
        let (code, field, _) = thrown(wasm::best_platform(js(&json!([tiktok(), tiktok()])), None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("duplicate", Some("list[1].platform"))
        );
        // A real DNA 0.0 stays 0.0 (seed turns it into 0.5).
        let dna = json!({ "hook_strength": 0.0 });
        let out: JsValue = wasm::unified_features(js(&json!([tiktok()])), Some(ts(&dna)), None)
            .expect("unified")
            .into();
        let v: Float32Array = get(&out, "vector").dyn_into().expect("Float32Array");
        assert_eq!((v.get_index(16), v.get_index(17)), (0.5, 0.0));
        // Pooled ROAS: meta 300/100 and tiktok 900/0 pool to 12 (seed: (3 + 0) / 2 = 1.5).
        let mut m = tiktok();
        m["platform"] = json!("meta");
        m["spend"] = json!(100.0);
        m["revenue"] = json!(300.0);
        let mut t = tiktok();
        t["spend"] = json!(0.0);
        t["revenue"] = json!(900.0);
        let campaigns = js(&json!([{ "platform_data": [m, t] }]));
        let p = back(
            wasm::cross_platform_patterns(campaigns.clone(), None, None)
                .unwrap()
                .into(),
        );
        assert_eq!(p["best_platform_combo"]["avg_roas"].as_f64(), Some(12.0));
        let p = back(
            wasm::cross_platform_patterns(campaigns, None, seed())
                .unwrap()
                .into(),
        );
        assert_eq!(p["total_winners"].as_u64(), Some(0));
    }

    #[wasm_bindgen_test]
    fn errors_are_js_errors_naming_the_field() {
        let cases: Vec<(Result<(), JsValue>, &str, &str)> = vec![
            (
                wasm::normalize(ts(&json!({ "platform": "meta" })), None).map(drop),
                "missing_field",
                "metrics.ctr",
            ),
            {
                let mut m = tiktok();
                m["cpc"] = json!(-1.0);
                let r = wasm::normalize(ts(&m), None).map(drop);
                (r, "invalid_value", "metrics.cpc")
            },
            {
                let mut m = tiktok();
                m["cpc"] = json!("cheap");
                let r = wasm::normalize(ts(&m), None).map(drop);
                (r, "invalid_type", "metrics.cpc")
            },
            {
                let mut m = tiktok();
                m["engagment_rate"] = json!(0.1);
                let r = wasm::normalize(ts(&m), None).map(drop);
                (r, "unknown_field", "metrics.engagment_rate")
            },
            {
                let mut m = tiktok();
                m["platform"] = json!("myspace");
                let r = wasm::normalize(ts(&m), None).map(drop);
                (r, "unknown_value", "metrics.platform")
            },
            (
                wasm::normalize(ts(&tiktok()), Some(ts(&json!({ "mdoe": "seed" })))).map(drop),
                "unknown_field",
                "options.mdoe",
            ),
            (
                wasm::normalize(ts(&tiktok()), Some(ts(&json!({ "mode": "fast" })))).map(drop),
                "unknown_value",
                "options.mode",
            ),
            (
                wasm::best_platform(js(&json!([])), None).map(drop),
                "empty_input",
                "list",
            ),
            (
                wasm::unified_features_batch(&[0.0; COLUMNS], 2.0, None).map(drop),
                "invalid_value",
                "columns",
            ),
            (
                wasm::unified_features_batch(&[0.0; COLUMNS], 0.5, None).map(drop),
                "invalid_value",
                "nCampaigns",
            ),
            (
                wasm::cross_platform_patterns(js(&json!([])), Some(f64::NAN), None).map(drop),
                "invalid_value",
                "minRoas",
            ),
        ];
        for (result, code, field) in cases {
            let (c, f, message) = thrown(result);
            assert_eq!((c.as_str(), f.as_deref()), (code, Some(field)), "{message}");
            assert!(message.starts_with(&format!("{field}: ")), "{message}");
        }
        // A NaN inside an object is named too (JSON cannot hold it, so it never becomes null).
        let m = js(&tiktok());
        Reflect::set(&m, &"spend".into(), &f64::NAN.into()).expect("set");
        let (code, field, _) = thrown(wasm::normalize(Ts::new_unchecked(m), None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_value", Some("metrics.spend"))
        );
    }

    #[wasm_bindgen_test]
    fn every_error_code_is_in_the_typescript_union() {
        use ErrorCode::*;
        let all = [
            InvalidValue,
            InvalidType,
            UnknownField,
            MissingField,
            UnknownValue,
            EmptyInput,
            Duplicate,
            Malformed,
            Unsupported,
        ];
        // Exhaustive: a new variant fails to compile here until it is added to the list and to
        // the `ErrorCode` union in src/wasm/convert.rs.
        for code in all {
            match code {
                InvalidValue | InvalidType | UnknownField | MissingField | UnknownValue
                | EmptyInput | Duplicate | Malformed | Unsupported => {}
            }
            let quoted = format!("\"{}\"", code.as_str());
            assert!(wasm::convert::TS_ERROR.contains(&quoted), "{quoted}");
        }
    }

    /// Native `src/synth.rs` asserts the same three fingerprints (keep them in sync).
    const NATIVE_FINGERPRINTS: [u64; 3] = [
        17_693_799_284_896_201_924,
        12_771_486_868_639_996_841,
        4_313_003_048_382_703_704,
    ];

    #[wasm_bindgen_test]
    fn batch_gives_native_bytes_and_equals_single_calls() {
        let n = 1_000;
        let cols = wasm::synthetic_columns(n as f64, None).expect("columns");
        let core_cols = campaign_columns(n, DEFAULT_SEED).expect("core");
        assert_eq!(fingerprint(&cols), fingerprint(&core_cols));
        let seed_rows = wasm::unified_features_batch(&cols, n as f64, seed()).expect("batch");
        let corrected_rows = wasm::unified_features_batch(&cols, n as f64, None).expect("batch");
        assert_eq!(
            [
                fingerprint(&cols),
                fingerprint(&seed_rows),
                fingerprint(&corrected_rows),
            ],
            NATIVE_FINGERPRINTS,
            "same bytes as natively"
        );
        // Row i of the batch = unifiedFeatures of campaign i rebuilt as objects.
        let names = wasm::batch_layout().expect("layout");
        let layout = back(names.into());
        let per = layout["columns_per_platform"].as_u64().expect("n") as usize;
        for i in [0, 1, 499, 999] {
            let col = |c: usize| cols[c * n + i];
            let mut data = Vec::new();
            for (k, p) in ["meta", "tiktok", "google_ads"].iter().enumerate() {
                let b = k * per;
                let opt = |c: usize| (!col(c).is_nan()).then(|| col(c));
                data.push(json!({
                    "platform": p, "ctr": col(b + 1), "cpc": col(b + 2), "cpm": col(b + 3),
                    "impressions": col(b + 4), "clicks": col(b + 5), "spend": col(b + 6),
                    "conversions": col(b + 7), "revenue": col(b + 8),
                    "engagement_rate": opt(b + 9), "quality_score": opt(b + 10),
                    "relevance_score": opt(b + 11),
                }));
            }
            let dna_at = |d: usize| {
                let v = col(3 * per + d);
                (!v.is_nan()).then_some(v)
            };
            let dna = json!({
                "composite_score": dna_at(0), "hook_strength": dna_at(1),
                "visual_appeal": dna_at(2),
            });
            let u = Bindings.unified(&Value::Array(data.clone()), &dna);
            assert_eq!(
                &seed_rows[i * N_FEATURES..(i + 1) * N_FEATURES],
                &u.vector[..]
            );
            let out: JsValue =
                wasm::unified_features(js(&Value::Array(data)), Some(ts(&dna)), None)
                    .expect("corrected")
                    .into();
            let v: Float32Array = get(&out, "vector").dyn_into().expect("Float32Array");
            assert_eq!(
                &corrected_rows[i * N_FEATURES..(i + 1) * N_FEATURES],
                &v.to_vec()[..]
            );
        }
        // The core on wasm agrees with the binding.
        let core = FeatureBuilder::new(Normalizer::new(Mode::Seed)).from_columns(&cols, n);
        assert_eq!(core.expect("core"), seed_rows);
    }

    #[wasm_bindgen_test]
    fn names_layout_and_synthetic_input_checks() {
        let names = wasm::feature_names();
        assert_eq!(names.len(), N_FEATURES);
        assert_eq!(
            (names[0].as_str(), names[18].as_str()),
            ("normalized_ctr", "visual_appeal")
        );
        let layout = back(wasm::batch_layout().expect("layout").into());
        assert_eq!(layout["columns"], json!(COLUMNS));
        assert_eq!(layout["platforms"], json!(["meta", "tiktok", "google_ads"]));
        assert_eq!(
            wasm::synthetic_columns(3.0, Some(1.0)).expect("ok").len(),
            3 * COLUMNS
        );
        let (code, field, _) = thrown(wasm::synthetic_columns(-1.0, None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_value", Some("nCampaigns"))
        );
        let (_, field, _) = thrown(wasm::synthetic_columns(1.0, Some(0.5)));
        assert_eq!(field.as_deref(), Some("seed"));
        // Custom benchmarks are validated and named.
        let mut b = serde_json::to_value(crosslearn::benchmarks::Benchmarks::seed()).expect("b");
        b["tiktok"]["cpm"] = json!({ "min": 5.0, "max": 5.0 });
        let options = Some(ts(&json!({ "benchmarks": b })));
        let (_, field, _) = thrown(wasm::normalize(ts(&tiktok()), options));
        assert_eq!(field.as_deref(), Some("options.benchmarks.tiktok.cpm"));
    }

    // ---- data layer, simulator and niche bindings ----

    /// A typed value back from a binding's JS result.
    fn typed<T: serde::de::DeserializeOwned>(v: impl Into<JsValue>) -> T {
        serde_wasm_bindgen::from_value(v.into()).expect("JS to Rust")
    }

    /// The digest tests/simulator.rs pins natively (`golden_digest_pins_the_generator`).
    const NATIVE_DIGEST_SEED7_15: &str = "3823c590d3611b4f";

    #[wasm_bindgen_test]
    fn simulator_gives_the_native_digest_through_core_and_binding() {
        use crosslearn::sim::{generate_network, network_digest, Network, SimOptions};
        let options = SimOptions {
            seed: 7,
            accounts: 15,
            effect_scale: None,
        };
        let core = generate_network(&options).expect("core network");
        assert_eq!(
            format!("{:016x}", network_digest(&core)),
            NATIVE_DIGEST_SEED7_15
        );
        let js_net: JsValue = wasm::generate_network(ts(&json!({ "seed": 7, "accounts": 15 })))
            .expect("binding network")
            .into();
        assert_eq!(get(&js_net, "simulated"), JsValue::TRUE);
        assert_eq!(
            get(&js_net, "params_hash").as_string().as_deref(),
            Some(wasm::simulator_params_hash().as_str())
        );
        // The network survives the trip through JS bit for bit.
        let digest = wasm::network_digest(Ts::new_unchecked(js_net.clone())).expect("digest");
        assert_eq!(digest, NATIVE_DIGEST_SEED7_15);
        let back_net: Network = typed(js_net);
        assert_eq!(back_net, core);
        // Bad options name the field.
        let (code, field, _) = thrown(wasm::generate_network(ts(
            &json!({ "seed": 7, "accounts": 0 }),
        )));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_value", Some("options.accounts"))
        );
        let (code, field, _) = thrown(wasm::generate_network(ts(
            &json!({ "seed": 0.5, "accounts": 1 }),
        )));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_type", Some("options.seed"))
        );
        let (code, field, _) = thrown(wasm::generate_network(ts(
            &json!({ "seed": 1, "accounts": 1, "efect_scale": 2 }),
        )));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("unknown_field", Some("options.efect_scale"))
        );
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .expect("string list")
            .iter()
            .map(|s| s.as_str().expect("string").to_string())
            .collect()
    }

    #[wasm_bindgen_test]
    fn golden_keyword_niche_through_core_and_binding() {
        use crosslearn::niche::{seed_keyword_niche, KeywordDetection, Niche};
        let cases = common::cases("keyword_niche");
        assert_eq!(cases.len(), 187);
        for case in cases {
            let id = case["id"].as_str().expect("id");
            let (titles, descriptions) = (&case["input"]["titles"], &case["input"]["descriptions"]);
            let niche: Niche = case["expected"]["niche"]
                .as_str()
                .expect("niche")
                .parse()
                .expect("known niche");
            let expected = KeywordDetection {
                niche,
                confidence: case["expected"]["confidence"].as_f64().expect("confidence"),
            };
            let core = seed_keyword_niche(&strings(titles), &strings(descriptions));
            assert_eq!(core, expected, "{id} (core)");
            let got = wasm::seed_keyword_niche(js(titles), js(descriptions)).expect(id);
            assert_eq!(typed::<KeywordDetection>(got), expected, "{id} (binding)");
        }
        let (code, field, _) = thrown(wasm::seed_keyword_niche(
            js(&json!(["a", 5])),
            js(&json!([])),
        ));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_type", Some("titles[1]"))
        );
    }

    const NICHE_MODEL: &[u8] = include_bytes!("../models/niche-v2.bin");

    #[wasm_bindgen_test]
    fn niche_model_binding_equals_the_core() {
        use crosslearn::niche::{account_niche, AccountNiche, Niche, NicheDetection, NicheModel};
        let core = NicheModel::from_bytes(NICHE_MODEL).expect("core model");
        let model = wasm::NicheModel::load(NICHE_MODEL).expect("binding model");
        let texts = [
            "Join our gym: HIIT classes, cardio and free weights. First month free!",
            "New matte lipstick and mascara, shop the beauty collection",
            "Book your beach resort getaway: flights and hotels included",
            "Craving pizza? Large 2-topping pizza for $9.99 tonight",
            "",
            "zzz qqq",
        ];
        for t in texts {
            let got: NicheDetection = typed(model.detect(t).expect("detect"));
            assert_eq!(got, core.detect(t), "{t:?}");
        }
        let first: NicheDetection = typed(model.detect(texts[0]).expect("detect"));
        assert_eq!(first.niche, Niche::Fitness);
        let list = js(&json!(texts));
        let batch: Vec<NicheDetection> = typed(model.detect_batch(list.clone()).expect("batch"));
        assert_eq!(batch, core.detect_batch(&texts));
        let probs = model
            .probabilities_batch(list.clone())
            .expect("probabilities");
        assert_eq!(probs.len(), texts.len() * 15);
        assert_eq!(probs, core.niche_probabilities_batch(&texts));
        let names: Vec<Niche> = typed(wasm::niche_names().expect("names"));
        assert_eq!(names, Niche::ALL.to_vec());
        // Account niche: detected over the texts, or declared.
        let acc: AccountNiche =
            typed(wasm::account_niche(&model, None, list.clone()).expect("acc"));
        assert_eq!(acc, account_niche(&core, None, &texts));
        let declared = Some(ts(&json!("travel")));
        let acc: AccountNiche = typed(wasm::account_niche(&model, declared, list).expect("acc"));
        assert_eq!((acc.niche, acc.declared), (Niche::Travel, true));
        // Errors.
        let (code, field, _) = thrown(wasm::NicheModel::load(&NICHE_MODEL[..100]));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("malformed", Some("bytes"))
        );
        let declared = Some(ts(&json!("myspace")));
        let (_, field, _) = thrown(wasm::account_niche(&model, declared, js(&json!([]))));
        assert_eq!(field.as_deref(), Some("declared"));
    }

    #[wasm_bindgen_test]
    fn csv_import_reports_the_bad_row_with_its_line() {
        let csv = "record_id,account_id,platform,impressions,clicks,spend,body\n\
                   r1,a1,meta,1000,20,15.5,Looking for a new coffee shop?\n\
                   r2,a1,tiktok,100,200,3,\n\
                   r3,a1,google_ads,500,5,2.25,\n";
        let report: JsValue = wasm::import_csv(csv.as_bytes(), None)
            .expect("import")
            .into();
        let report = back(report);
        assert_eq!(report["format"], json!("generic"));
        assert_eq!(report["rows"], json!(3));
        let accepted: Vec<&str> = report["accepted"]
            .as_array()
            .expect("accepted")
            .iter()
            .map(|r| r["record_id"].as_str().expect("id"))
            .collect();
        assert_eq!(accepted, ["r1", "r3"]);
        assert_eq!(report["accepted"][0]["source"], json!("generic_csv"));
        assert_eq!(report["accepted"][0]["hook_type"], json!("question"));
        let rejected = report["rejected"].as_array().expect("rejected");
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0]["record_id"], json!("r2"));
        assert_eq!(rejected[0]["line"], json!(3));
        let fields: Vec<&str> = rejected[0]["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| i["field"].as_str().expect("field"))
            .collect();
        assert!(fields.contains(&"clicks"), "{fields:?}");
        // The same through the core on wasm.
        let core = crosslearn::import::import_csv(csv.as_bytes()).expect("core");
        assert_eq!(
            serde_json::to_value(&core).expect("json")["rejected"][0]["line"],
            json!(3)
        );
        let (code, field, _) = thrown(wasm::import_csv(b"a,b\n1,2\n", None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("unsupported", Some("bytes"))
        );
        let (_, field, _) = thrown(wasm::import_csv(csv.as_bytes(), Some(ts(&json!("xls")))));
        assert_eq!(field.as_deref(), Some("format"));
    }

    #[wasm_bindgen_test]
    fn validation_keeps_good_records_and_names_bad_fields() {
        use crosslearn::record::{validate_records, RecordInput, RecordSource};
        let good = json!({
            "record_id": "r1", "account_id": "a1", "platform": "meta", "impressions": 1000,
            "clicks": 20, "spend": 15.5, "hook_type": "question", "campaign_id": null,
        });
        let mut bad = good.clone();
        bad["record_id"] = json!("r2");
        bad["platform"] = json!("myspace");
        bad["clicks"] = json!(2000);
        let mut odd = good.clone();
        odd["record_id"] = json!("r3");
        odd["clikcs"] = json!(1);
        let batch = json!([good, bad, odd]);
        let report = back(
            wasm::validate_records(js(&batch), None)
                .expect("validate")
                .into(),
        );
        assert_eq!(report["accepted"].as_array().expect("accepted").len(), 1);
        assert_eq!(report["accepted"][0]["source"], json!("user"));
        assert_eq!(report["accepted"][0]["campaign_id"], Value::Null);
        let rejected = report["rejected"].as_array().expect("rejected");
        assert_eq!(rejected.len(), 2);
        assert_eq!(
            (rejected[0]["index"].clone(), rejected[0]["line"].clone()),
            (json!(1), Value::Null)
        );
        let fields: Vec<&str> = rejected[0]["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| i["field"].as_str().expect("field"))
            .collect();
        assert!(
            fields.contains(&"platform") && fields.contains(&"clicks"),
            "{fields:?}"
        );
        assert_eq!(rejected[1]["index"], json!(2));
        assert_eq!(rejected[1]["issues"][0]["code"], json!("malformed"));
        // The core agrees on the first two records.
        let inputs: Vec<RecordInput> =
            serde_json::from_value(json!([batch[0], batch[1]])).expect("inputs");
        let core = validate_records(&inputs, RecordSource::User);
        assert_eq!(core.accepted.len(), 1);
        assert_eq!(
            core.rejected[0].issues.len(),
            rejected[0]["issues"].as_array().unwrap().len()
        );
        // A source; JSON text; what throws.
        let imported = Some(ts(&json!("generic_csv")));
        let r = back(
            wasm::validate_records(js(&json!([batch[0]])), imported)
                .expect("ok")
                .into(),
        );
        assert_eq!(r["accepted"][0]["source"], json!("generic_csv"));
        let text = serde_json::to_string(&batch).expect("text");
        let r = back(wasm::validate_json(&text, None).expect("json").into());
        assert_eq!(r, report);
        let (code, field, _) = thrown(wasm::validate_json("{", None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("malformed", Some("json"))
        );
        let (_, field, _) = thrown(wasm::validate_records(js(&json!({})), None));
        assert_eq!(field.as_deref(), Some("records"));
        let (_, field, _) = thrown(wasm::validate_records(
            js(&json!([])),
            Some(ts(&json!("fax"))),
        ));
        assert_eq!(field.as_deref(), Some("source"));
    }

    #[wasm_bindgen_test]
    fn copy_extraction_reads_a_question_hook() {
        use crosslearn::copy::{extract_copy_attributes, CopyAttributes};
        use crosslearn::record::HookType;
        let (headline, body) = (
            "Fresh beans daily",
            "Looking for a new coffee shop? Visit us today.",
        );
        let core = extract_copy_attributes(headline, body);
        assert_eq!(core.hook_type, HookType::Question);
        let one: CopyAttributes =
            typed(wasm::extract_copy_attributes(headline, body).expect("one"));
        assert_eq!(one, core);
        let out: JsValue = wasm::extract_copy_attributes(headline, body)
            .expect("one")
            .into();
        assert_eq!(
            get(&out, "hook_type").as_string().as_deref(),
            Some("question")
        );
        assert_eq!(get(&out, "question_count").as_f64(), Some(1.0));
        // The editor's reusable extractor gives the same, call after call.
        let mut x = wasm::CopyExtractor::new();
        for _ in 0..3 {
            let a: CopyAttributes = typed(x.extract(headline, body).expect("extract"));
            assert_eq!(a, core);
        }
        let items = js(&json!([{ "headline": headline, "body": body }, { "body": "" }, {}]));
        let batch: Vec<CopyAttributes> = typed(wasm::extract_copy_batch(items).expect("batch"));
        assert_eq!(batch.len(), 3);
        assert_eq!(batch[0], core);
        assert_eq!(batch[1].hook_type, HookType::Unknown);
        let (_, field, _) = thrown(wasm::extract_copy_batch(js(&json!([{ "title": "x" }]))));
        assert_eq!(field.as_deref(), Some("items[0].title"));
    }

    #[wasm_bindgen_test]
    fn platform_copy_reads_the_field_shown_first() {
        use crosslearn::copy::anatomy::{read_platform_copy, CopyField, PlatformCopy, ReadCopy};
        use crosslearn::record::HookType;
        let ad = json!({
            "platform": "google_ads",
            "headlines": ["Still paying too much for car insurance?", "Compare 40 insurers"],
            "descriptions": ["Get a quote in 2 minutes."],
        });
        let core_copy: PlatformCopy = serde_json::from_value(ad.clone()).expect("copy");
        let core = read_platform_copy(&core_copy).expect("core read");
        assert_eq!(core.attributes.hook_type, HookType::PainPoint);
        let mut x = wasm::CopyExtractor::with_rules(js(&json!("v2"))).expect("v2");
        let read: ReadCopy = typed(x.read_platform_copy(js(&ad)).expect("read"));
        assert_eq!(read, core);
        assert_eq!(read.hook_field.as_deref(), Some("headlines"));
        let fields: Vec<CopyField> = serde_wasm_bindgen::from_value(
            wasm::copy_anatomy(js(&json!("meta"))).expect("anatomy"),
        )
        .expect("fields");
        let keys: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["primary_text", "headline", "description"]);
        let too_many = json!({ "platform": "google_ads", "headlines": vec!["h"; 16] });
        let (code, field, _) = thrown(x.read_platform_copy(js(&too_many)));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("invalid_value", Some("copy.headlines"))
        );
        let (_, field, _) = thrown(x.read_platform_copy(js(&json!({ "platform": "fax" }))));
        assert!(
            field.as_deref().is_some_and(|f| f.starts_with("copy")),
            "{field:?}"
        );
        let (_, field, _) = thrown(wasm::CopyExtractor::with_rules(js(&json!("v9"))));
        assert_eq!(field.as_deref(), Some("rules"));
    }

    fn advice_wisdom() -> Value {
        json!({
            "version": 1, "niche": "fitness", "period": 2900, "published": true,
            "sample_size": 80, "confidence": 0.8,
            "platforms": [{ "platform": "meta", "accounts": 60,
                "ctr": { "mean": 0.01, "p10": 0.004, "p25": 0.007, "p50": 0.01, "p75": 0.014, "p90": 0.02 },
                "conversion_rate": null, "roas": null }],
            "niche_avg_ctr": 0.01,
            "lifts": [
                { "attribute": "hook_type", "value": "pain_point", "accounts": 40, "lift": 1.3, "lift_interval": [1.1, 1.5] },
                { "attribute": "hook_type", "value": "question", "accounts": 30, "lift": 1.1, "lift_interval": [0.95, 1.25] },
                { "attribute": "hook_type", "value": "offer", "accounts": 3, "lift": 3.0, "lift_interval": [2.0, 4.0] }
            ],
            "top_hook_types": [], "optimal_duration": null, "peak_hours": [],
            "proven_cta_styles": [], "winning_visual_patterns": [],
            "privacy": { "unit": "account", "k": 5, "epsilon": 1.0, "cadence_days": 7,
                "window_periods": 4, "budget_per_window": 4.0, "groups": [] }
        })
    }

    #[wasm_bindgen_test]
    fn advice_recommend_and_dashboard_match_the_core_and_are_total() {
        use crosslearn::advice::{self, Dashboard, Recommendations};
        use crosslearn::wisdom::NicheWisdom;
        let w = advice_wisdom();
        let core_w: NicheWisdom = serde_json::from_value(w.clone()).expect("wisdom");
        let r: Recommendations = typed(wasm::recommend(ts(&w), None, None).expect("recommend"));
        assert_eq!(
            r,
            advice::recommend(&core_w, None, &Default::default()).expect("core")
        );
        let values: Vec<&str> = r.items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(values, ["pain_point", "question"]); // below-k "offer" never used
        let out: JsValue = wasm::recommend(ts(&w), None, None)
            .expect("recommend")
            .into();
        assert_eq!(
            get(&out, "release_id").as_string().as_deref(),
            Some("fitness/2900")
        );
        // Dashboard with nothing at all, and for a new account in a published niche.
        let empty: Dashboard =
            typed(wasm::dashboard(None, None, js(&json!([])), None).expect("empty dashboard"));
        assert!(empty.performance_comparison.is_empty());
        assert_eq!(empty.network_stats.published_niches, 0);
        let d: Dashboard = typed(
            wasm::dashboard(Some(ts(&w)), None, js(&json!([w.clone()])), None).expect("dashboard"),
        );
        assert_eq!(d.network_stats.contributing_accounts, 80);
        assert_eq!(d.niche.release_id.as_deref(), Some("fitness/2900"));
        let mut bad = w.clone();
        bad["niche"] = json!("astrology");
        let (_, field, _) = thrown(wasm::recommend(ts(&bad), None, None));
        assert_eq!(field.as_deref(), Some("wisdom.niche"));
    }

    // ---- account insights and private niche wisdom ----

    #[wasm_bindgen_test]
    fn insights_and_wisdom_bindings_equal_the_core() {
        use crosslearn::insights::{account_insights, AccountInsight, InsightOptions};
        use crosslearn::niche::Niche;
        use crosslearn::rng::Rng;
        use crosslearn::sim::{generate_network, SimOptions};
        use crosslearn::wisdom::{
            release_wisdom, wisdom_contribution, AccountConsent, ContributionPool, NicheWisdom,
            ReleaseConfig, ReleaseId, WisdomContribution,
        };
        // SIMULATED DATA.
        let net = generate_network(&SimOptions {
            seed: 3,
            accounts: 45,
            effect_scale: None,
        })
        .expect("network");
        let opts = InsightOptions {
            min_campaigns: 1,
            ..Default::default()
        };
        let config = ReleaseConfig {
            k: 2,
            ..Default::default()
        };
        let js_opts = json!({ "insights": { "minCampaigns": 1 }, "release": config });
        let mut pool = ContributionPool::new();
        let mut food = Vec::new();
        for a in &net.accounts {
            let rs: Vec<_> = net
                .records
                .iter()
                .filter(|r| r.account_id == a.account_id)
                .cloned()
                .collect();
            let records = js(&serde_json::to_value(&rs).expect("records"));
            let core = account_insights(&rs, &opts).expect("insight");
            let bound: AccountInsight = typed(
                wasm::account_insights(records.clone(), Some(ts(&json!({ "minCampaigns": 1 }))))
                    .expect("binding insight"),
            );
            assert_eq!(bound, core);
            let consent = AccountConsent { opted_in: true };
            let c = wisdom_contribution(&rs, consent, &opts, &config).expect("contribution");
            let bound = wasm::wisdom_contribution(
                records.clone(),
                Some(ts(&json!({ "opted_in": true }))),
                Some(ts(&js_opts)),
            )
            .expect("binding contribution");
            let bound: Option<WisdomContribution> = (!bound.is_null())
                .then(|| serde_wasm_bindgen::from_value(bound).expect("a contribution"));
            assert_eq!(bound, c);
            // Consent defaults to off: no contribution, returned as `null`.
            assert!(wasm::wisdom_contribution(records, None, Some(ts(&js_opts)))
                .expect("no consent")
                .is_null());
            if let Some(c) = c {
                pool.set(&a.account_id, Some(c.clone())).expect("pool");
                if c.niche == Niche::Food {
                    food.push(c);
                }
            }
        }
        let id = ReleaseId {
            period: 4,
            niche: Niche::Food,
        };
        let core = release_wisdom(&pool.aggregate(Niche::Food), id, &config, &mut Rng::new(77))
            .expect("core release");
        let contributions = js(&serde_json::to_value(&food).expect("contributions"));
        let id_js = json!({ "period": 4, "niche": "food" });
        let bound: NicheWisdom = typed(
            wasm::release_wisdom(
                contributions.clone(),
                ts(&id_js),
                Some(ts(&json!({ "release": config, "seed": 77 }))),
            )
            .expect("binding release"),
        );
        assert_eq!(bound, core);
        // Without a seed the noise comes from crypto.getRandomValues.
        let fresh: NicheWisdom =
            typed(wasm::release_wisdom(contributions, ts(&id_js), None).expect("entropy release"));
        assert_eq!(fresh.niche, Niche::Food);
        // Errors name the field.
        let wrong = js(&serde_json::to_value(&food).expect("contributions"));
        let (_, field, _) = thrown(wasm::release_wisdom(
            wrong,
            ts(&json!({ "period": 4, "niche": "travel" })),
            None,
        ));
        assert_eq!(field.as_deref(), Some("contributions[0].niche"));
        let (_, field, _) = thrown(wasm::account_insights(js(&json!([])), None));
        assert_eq!(field.as_deref(), Some("records"));
        let (_, field, _) = thrown(wasm::wisdom_contribution(
            js(&serde_json::to_value(&net.records[..3]).expect("records")),
            Some(ts(&json!({ "opted_in": true }))),
            Some(ts(&json!({ "release": { "epsilon": 0 } }))),
        ));
        assert_eq!(field.as_deref(), Some("options.release.epsilon"));
    }

    // ---- CTR models (src/wasm/ctr.rs) ----

    /// Native scores of every CTR model file (tests/ctr_native_scores.rs writes and checks it).
    const CTR_FIXTURE: &str = include_str!("data/ctr_native_scores.json");
    const CTR_SMALL: &[u8] = include_bytes!("data/ctr_small_prelaunch.bin");

    /// The bytes of a model file the fixture covers.
    fn ctr_bytes(file: &str) -> &'static [u8] {
        match file {
            "tests/data/ctr_small_prelaunch.bin" => CTR_SMALL,
            "models/ctr-prelaunch-v1.bin" => include_bytes!("../models/ctr-prelaunch-v1.bin"),
            "models/ctr-inflight-v1.bin" => include_bytes!("../models/ctr-inflight-v1.bin"),
            other => panic!("{other} is in the fixture but not compiled into tests/web.rs"),
        }
    }

    fn f32s(v: &Value) -> Vec<f32> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect()
    }

    #[wasm_bindgen_test]
    fn ctr_models_score_as_natively() {
        use crosslearn::model::ctr::CtrScore;
        use crosslearn::model::file::fnv1a64;
        let fixture: Value = serde_json::from_str(CTR_FIXTURE).expect("fixture");
        let models = fixture["models"].as_array().expect("models");
        assert!(!models.is_empty());
        for m in models {
            let file = m["file"].as_str().expect("file");
            let bytes = ctr_bytes(file);
            assert_eq!(format!("{:016x}", fnv1a64(bytes)), m["fnv1a64"], "{file}");
            let model = wasm::CtrModel::load(bytes, None).expect("load");
            let kind: String = typed(model.kind().expect("kind"));
            assert_eq!(kind, m["kind"].as_str().expect("kind"));
            assert_eq!(Value::from(model.layout()), m["layout"]);
            let d = model.n_features();
            assert_eq!(Value::from(d), m["n_features"]);
            assert_eq!(model.feature_names().len(), d);
            let n = m["n_rows"].as_u64().expect("n_rows") as usize;
            let rows = f32s(&m["rows"]);
            let native = f32s(&m["scores"]);
            let got = model.score_batch(&rows, n as f64).expect("scoreBatch");
            assert_eq!(got.len(), n);
            let max = got
                .iter()
                .zip(&native)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
                .fold(0.0, f64::max);
            wasm_bindgen_test::console_log!("{file}: {n} rows, max |wasm - native| = {max:e}");
            assert!(max <= 1e-6, "{file}: max |diff| {max}");
            for (i, iv) in m["intervals"]
                .as_array()
                .expect("intervals")
                .iter()
                .enumerate()
            {
                let want: Vec<f64> = iv
                    .as_array()
                    .expect("iv")
                    .iter()
                    .filter_map(Value::as_f64)
                    .collect();
                let row = &rows[i * d..(i + 1) * d];
                let s: CtrScore = typed(model.score_row(row).expect("scoreRow"));
                for (a, b) in [s.ctr, s.low, s.high].iter().zip(&want) {
                    assert!((a - b).abs() <= 1e-6, "{file} row {i}: {s:?} vs {want:?}");
                }
                if let Some(c) = m["creatives"].get(i) {
                    let s: CtrScore =
                        typed(model.score_creative(ts(c), None).expect("scoreCreative"));
                    assert!((s.ctr - want[0]).abs() <= 1e-6, "{file} creative {i}");
                }
            }
            if m["kind"] == "pre_launch" {
                let encoded = wasm::encode_creatives_js(js(&m["creatives"]), None).expect("encode");
                assert_eq!(
                    encoded, rows,
                    "{file}: encodeCreatives gives the native rows"
                );
            }
            assert_eq!(model.to_bytes(), bytes, "{file}: toBytes round-trips");
        }
    }

    #[wasm_bindgen_test]
    fn ctr_bad_bytes_and_bad_input_throw_named_errors() {
        let load =
            |b: &[u8], kind: Option<&str>| wasm::CtrModel::load(b, kind.map(|k| ts(&json!(k))));
        let (code, field, msg) = thrown(load(&CTR_SMALL[..12], None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("malformed", Some("bytes"))
        );
        assert!(msg.contains("truncated"), "{msg}");
        let (_, field, msg) = thrown(load(&CTR_SMALL[..CTR_SMALL.len() - 100], None));
        assert_eq!(field.as_deref(), Some("bytes"));
        assert!(msg.contains("checksum"), "{msg}");
        let mut flipped = CTR_SMALL.to_vec();
        flipped[40] ^= 0x10;
        let (code, _, msg) = thrown(load(&flipped, None));
        assert_eq!(code, "malformed");
        assert!(msg.contains("corrupted"), "{msg}");
        let (code, field, msg) = thrown(load(NICHE_MODEL, None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("malformed", Some("bytes"))
        );
        assert!(msg.contains("not a crosslearn CTR model"), "{msg}");
        let (code, field, msg) = thrown(load(CTR_SMALL, Some("in_flight")));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("unsupported", Some("bytes"))
        );
        assert!(
            msg.contains("this file is pre_launch, expected in_flight"),
            "{msg}"
        );
        let (_, field, _) = thrown(load(CTR_SMALL, Some("mid_flight")));
        assert_eq!(field.as_deref(), Some("kind"));
        assert!(load(CTR_SMALL, Some("pre_launch")).is_ok());

        let model = load(CTR_SMALL, None).expect("load");
        let d = model.n_features();
        let (_, field, msg) = thrown(model.score_batch(&vec![0.0; 2 * d + 1], 2.0));
        assert_eq!(field.as_deref(), Some("x"));
        assert!(msg.contains(&format!("2 rows x {d} features")), "{msg}");
        let mut x = vec![0.0; 2 * d];
        x[d + 3] = f32::NAN;
        let (_, field, msg) = thrown(model.score_batch(&x, 2.0));
        assert_eq!(field.as_deref(), Some(format!("x[{}]", d + 3).as_str()));
        assert!(msg.contains("row 1, feature 3"), "{msg}");
        let (_, field, _) = thrown(model.score_batch(&[], 1.5));
        assert_eq!(field.as_deref(), Some("nRows"));
        let creative = json!({ "platform": "meta", "hook_type": "question", "cta_style": "shop_now",
                               "format": "video", "duration_s": 900 });
        let (_, field, _) = thrown(model.score_creative(ts(&creative), None));
        assert_eq!(field.as_deref(), Some("creative.duration_s"));
        let creative = json!({ "platform": "meta", "hook_type": "question", "cta_style": "shop_now",
                               "format": "video", "niche": "fitness" });
        let bad = ts(&json!([{ "niche": "fitness", "platform": "meta", "ctr": 1.5 }]));
        let (_, field, _) = thrown(model.score_creative(ts(&creative), Some(bad)));
        assert_eq!(field.as_deref(), Some("priors[0].ctr"));
        // A prior moves the score (the prior columns are in the model).
        let prior = ts(&json!([{ "niche": "fitness", "platform": "meta", "ctr": 0.05 }]));
        let rows = wasm::encode_creatives_js(js(&json!([creative])), Some(prior)).expect("rows");
        let names = wasm::prelaunch_feature_names_js();
        let has = names
            .iter()
            .position(|n| n == "has_prior")
            .expect("has_prior");
        assert_eq!(rows[has], 1.0);
        let (_, field, _) = thrown(wasm::encode_creatives_js(
            js(&json!([creative, { "platform": "meta" }])),
            None,
        ));
        assert_eq!(field.as_deref(), Some("creatives[1].hook_type"));
        assert_eq!(wasm::inflight_feature_names_js().len(), 32);
    }

    #[wasm_bindgen_test]
    fn ctr_train_on_columns_validates_and_round_trips() {
        use crosslearn::model::ctr::CtrScore;
        // Two features; CTR rises with the first. Deterministic rows, no randomness needed.
        let n = 400;
        let mut x = Vec::with_capacity(2 * n);
        let (mut clicks, mut imps) = (Vec::new(), Vec::new());
        for i in 0..n {
            let a = (i % 20) as f32 / 20.0;
            let b = ((i * 7) % 13) as f32 / 13.0;
            x.extend([a, b]);
            imps.push(1000.0);
            let p = 1.0 / (1.0 + (4.6 - 1.7 * f64::from(a)).exp());
            clicks.push((1000.0 * p).round());
        }
        let columns = |x: &[f32], c: &[f64], m: &[f64]| -> Ts<wasm::TrainColumns> {
            let o = js_sys::Object::new();
            let set = |k: &str, v: JsValue| Reflect::set(&o, &k.into(), &v).expect("set");
            set("x", Float32Array::from(x).into());
            set("clicks", js_sys::Float64Array::from(c).into());
            set("impressions", js_sys::Float64Array::from(m).into());
            Ts::new_unchecked(o.into())
        };
        let options =
            json!({ "kind": "in_flight", "layout": 7, "featureNames": ["a", "b"], "seed": 3 });
        let model =
            wasm::CtrModel::train(columns(&x, &clicks, &imps), ts(&options)).expect("train");
        let lo: CtrScore = typed(model.score_row(&[0.0, 0.5]).expect("score"));
        let hi: CtrScore = typed(model.score_row(&[0.95, 0.5]).expect("score"));
        assert!((lo.ctr - 0.0100).abs() < 0.001, "{lo:?}");
        assert!((hi.ctr - 0.0493).abs() < 0.005, "{hi:?}");
        assert!(lo.low < lo.ctr && lo.ctr < lo.high, "{lo:?}");
        let again =
            wasm::CtrModel::load(&model.to_bytes(), Some(ts(&json!("in_flight")))).expect("load");
        assert_eq!(again.to_bytes(), model.to_bytes());
        let creative = json!({ "platform": "meta", "hook_type": "question", "cta_style": "shop_now", "format": "video" });
        let (code, field, _) = thrown(model.score_creative(ts(&creative), None));
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("unsupported", Some("model"))
        );

        let bad = |o: Value, c: Ts<wasm::TrainColumns>| thrown(wasm::CtrModel::train(c, ts(&o))).1;
        let with = |k: &str, v: Value| {
            let mut o = options.clone();
            o[k] = v;
            o
        };
        let ok = || columns(&x, &clicks, &imps);
        assert_eq!(
            bad(with("l2", json!(-1)), ok()).as_deref(),
            Some("options.l2")
        );
        assert_eq!(
            bad(with("maxIter", json!(0)), ok()).as_deref(),
            Some("options.maxIter")
        );
        assert_eq!(
            bad(with("calibrationShare", json!(0.95)), ok()).as_deref(),
            Some("options.calibrationShare")
        );
        assert_eq!(
            bad(with("featureNames", json!(["a"])), ok()).as_deref(),
            Some("columns.x")
        );
        assert_eq!(
            bad(with("kind", json!("later")), ok()).as_deref(),
            Some("options.kind")
        );
        assert_eq!(
            bad(with("l3", json!(1)), ok()).as_deref(),
            Some("options.l3")
        );
        let mut c2 = clicks.clone();
        c2[5] = 2000.0;
        assert_eq!(
            bad(options.clone(), columns(&x, &c2, &imps)).as_deref(),
            Some("columns.clicks[5]")
        );
        let mut x2 = x.clone();
        x2[9] = f32::INFINITY;
        assert_eq!(
            bad(options.clone(), columns(&x2, &clicks, &imps)).as_deref(),
            Some("columns.x[9]")
        );
        assert_eq!(
            bad(options.clone(), columns(&x, &clicks, &imps[1..])).as_deref(),
            Some("columns.impressions")
        );
        let wrong: Ts<wasm::TrainColumns> =
            ts(&json!({ "x": [0.5, 0.5], "clicks": [1], "impressions": [2] }));
        assert_eq!(bad(options.clone(), wrong).as_deref(), Some("columns.x"));
        let extra: Ts<wasm::TrainColumns> = ts(&json!({ "y": 1 }));
        assert_eq!(bad(options, extra).as_deref(), Some("columns.y"));
    }

    /// `exploreBriefs` with a seed draws exactly the core's `randomised_brief` sequence (so the
    /// CLI's `crosslearn explore --seed` too); without one the draws differ between calls; bad
    /// arguments are JS errors naming the argument.
    #[wasm_bindgen_test]
    fn explore_briefs_are_the_cores_draws_and_name_bad_arguments() {
        use crosslearn::platform::Platform;
        use crosslearn::privacy::dgauss::noise_rng_from_seed;
        use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions};
        let opts = || -> Option<Ts<wasm::ExploreBriefsOptions>> {
            Some(ts(
                &json!({ "formats": ["video", "image"], "tagProbability": 0.5, "seed": 42 }),
            ))
        };
        let got = back(wasm::explore_briefs(ts(&json!("tiktok")), 7.0, opts()).expect("briefs"));
        let mut rng = noise_rng_from_seed(42);
        let core = ExploreOptions {
            formats: vec![
                crosslearn::record::AdFormat::Video,
                crosslearn::record::AdFormat::Image,
            ],
            tag_probability: 0.5,
        };
        let want: Vec<_> = (0..7)
            .map(|_| randomised_brief(Platform::Tiktok, &core, &mut rng).expect("draw"))
            .collect();
        let got: Vec<crosslearn::wisdom::explore::RandomisedBrief> =
            serde_json::from_value(got).expect("briefs");
        assert_eq!(got, want);
        let a = back(wasm::explore_briefs(ts(&json!("meta")), 20.0, None).expect("a"));
        let b = back(wasm::explore_briefs(ts(&json!("meta")), 20.0, None).expect("b"));
        assert_eq!(a.as_array().map(Vec::len), Some(20));
        assert_ne!(a, b, "crypto.getRandomValues seeds every call");
        let cases: Vec<(Result<JsValue, JsValue>, &str)> = vec![
            (
                wasm::explore_briefs(ts(&json!("linkedin")), 1.0, None),
                "platform",
            ),
            (wasm::explore_briefs(ts(&json!("meta")), 0.0, None), "count"),
            (
                wasm::explore_briefs(ts(&json!("meta")), 101.0, None),
                "count",
            ),
            (wasm::explore_briefs(ts(&json!("meta")), 1.5, None), "count"),
            (
                wasm::explore_briefs(ts(&json!("meta")), 1.0, Some(ts(&json!({ "formats": [] })))),
                "options.formats",
            ),
            (
                wasm::explore_briefs(
                    ts(&json!("meta")),
                    1.0,
                    Some(ts(&json!({ "tagProbability": 2 }))),
                ),
                "options.tagProbability",
            ),
            (
                wasm::explore_briefs(ts(&json!("meta")), 1.0, Some(ts(&json!({ "sead": 1 })))),
                "options.sead",
            ),
        ];
        for (r, field) in cases {
            let (_, f, message) = thrown(r);
            assert_eq!(f.as_deref(), Some(field), "{message}");
        }
    }
}
