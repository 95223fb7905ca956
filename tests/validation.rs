//! Record validation: examples and property tests. Native only (proptest is a native
//! dev-dependency; `wasm-pack test` builds every test target for wasm32).
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::record::{
    validate_json_records, validate_records, ConversionScope, DailyInput, RecordInput, RecordSource,
};
use proptest::prelude::*;

fn good() -> RecordInput {
    RecordInput {
        record_id: Some("r1".into()),
        account_id: Some("acc".into()),
        platform: Some("meta".into()),
        date: Some("2024-03-01".into()),
        impressions: Some(1000.0),
        clicks: Some(20.0),
        spend: Some(12.5),
        ..RecordInput::default()
    }
}

fn fields_of(input: RecordInput) -> Vec<String> {
    let r = validate_records(&[input], RecordSource::User);
    r.rejected
        .first()
        .map(|x| x.issues.iter().map(|i| i.field.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn examples_name_field_and_value() {
    assert!(fields_of(good()).is_empty());
    let mut r = good();
    r.clicks = Some(2000.0);
    assert_eq!(fields_of(r), vec!["clicks"]);
    let mut r = good();
    r.platform = Some("unknown".into());
    r.posting_hour = Some(24.0);
    r.duration_s = Some(0.0);
    r.cta_style = Some("click_here".into());
    assert_eq!(
        fields_of(r),
        vec!["platform", "cta_style", "duration_s", "posting_hour"]
    );
    // Google Ads conversions are click-through by default: more conversions than clicks fails.
    let mut r = good();
    r.platform = Some("google_ads".into());
    r.conversions = Some(21.0);
    assert_eq!(fields_of(r.clone()), vec!["conversions"]);
    r.conversion_scope = Some("includes_view_through".into());
    assert!(fields_of(r).is_empty());
    // Meta's default scope includes view-through conversions.
    let mut r = good();
    r.conversions = Some(50.0);
    let rep = validate_records(&[r], RecordSource::User);
    assert_eq!(
        rep.accepted[0].conversion_scope,
        ConversionScope::IncludesViewThrough
    );
    // Daily series must add up.
    let mut r = good();
    r.daily = Some(vec![DailyInput {
        date: Some("2024-03-01".into()),
        impressions: Some(999.0),
        clicks: Some(20.0),
        spend: Some(12.5),
        ..DailyInput::default()
    }]);
    assert_eq!(fields_of(r), vec!["impressions"]);
}

/// `assignment`: absent is `chosen` (and not serialised), `randomised` (or `randomized`) is kept
/// and survives a JSON round trip and the record -> input -> record round trip; anything else
/// is a named error.
#[test]
fn assignment_is_chosen_by_default_and_randomised_when_said() {
    use crosslearn::record::{Assignment, CreativeRecord};
    let rep = validate_records(&[good()], RecordSource::User);
    let chosen = &rep.accepted[0];
    assert_eq!(chosen.assignment, Assignment::Chosen);
    assert!(!serde_json::to_string(chosen)
        .unwrap()
        .contains("assignment"));
    for spelling in ["randomised", "Randomized"] {
        let mut r = good();
        r.assignment = Some(spelling.into());
        let rep = validate_records(&[r], RecordSource::User);
        let rec = &rep.accepted[0];
        assert_eq!(rec.assignment, Assignment::Randomised);
        let json = serde_json::to_string(rec).unwrap();
        assert!(json.contains(r#""assignment":"randomised""#), "{json}");
        let back: CreativeRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, rec);
        let again = validate_records(&[RecordInput::from(rec)], RecordSource::User);
        assert_eq!(&again.accepted[0], rec);
    }
    let mut r = good();
    r.assignment = Some("random-ish".into());
    assert_eq!(fields_of(r), vec!["assignment"]);
}

#[test]
fn json_batches_keep_good_records() {
    let json = r#"[
        {"record_id":"a","account_id":"x","platform":"tiktok","impressions":10,"clicks":1,"spend":1},
        {"record_id":"b","account_id":"x","platform":"tiktok","impressions":10,"clicks":1,"spend":1,"colour":"red"},
        42,
        {"record_id":"a","account_id":"x","platform":"tiktok","impressions":10,"clicks":1,"spend":1},
        {"record_id":"c","account_id":"x","platform":"tiktok","impressions":10.5,"clicks":1,"spend":1}
    ]"#;
    let rep = validate_json_records(json, RecordSource::User).unwrap();
    assert_eq!(rep.accepted.len(), 1);
    let idx: Vec<usize> = rep.rejected.iter().map(|r| r.index).collect();
    assert_eq!(idx, vec![1, 2, 3, 4]);
    assert_eq!(rep.rejected[2].issues[0].code, "duplicate");
    assert_eq!(rep.rejected[3].issues[0].value, "10.5");
    assert!(validate_json_records("{}", RecordSource::User).is_err());
}

fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-1.0),
        Just(0.5),
        (0u32..5000).prop_map(f64::from),
        any::<f64>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Accepted iff the rules hold; accepted records satisfy every invariant.
    #[test]
    fn accepted_records_satisfy_the_invariants(imp in any_number(), clk in any_number(), spend in any_number(), hour in any_number()) {
        let mut r = good();
        r.impressions = Some(imp);
        r.clicks = Some(clk);
        r.spend = Some(spend);
        r.posting_hour = Some(hour);
        let count_ok = |x: f64| x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9_007_199_254_740_992.0;
        let expect_ok = count_ok(imp) && count_ok(clk) && clk <= imp && spend.is_finite() && spend >= 0.0
            && hour.is_finite() && hour.fract() == 0.0 && (0.0..=23.0).contains(&hour);
        let rep = validate_records(&[r], RecordSource::User);
        prop_assert_eq!(rep.accepted.len() == 1, expect_ok);
        for rec in &rep.accepted {
            prop_assert!(rec.clicks <= rec.impressions);
            prop_assert!(rec.spend.is_finite() && rec.spend >= 0.0);
            prop_assert!(rec.posting_hour.is_some_and(|h| h <= 23));
        }
        for rej in &rep.rejected {
            prop_assert!(!rej.issues.is_empty());
            prop_assert!(rej.issues.iter().all(|i| !i.field.is_empty() && !i.message.is_empty()));
        }
    }

    /// One bad record never costs a good one: the accepted set is exactly the good inputs.
    #[test]
    fn bad_records_never_invalidate_good_ones(mask in proptest::collection::vec(any::<bool>(), 1..30)) {
        let inputs: Vec<RecordInput> = mask.iter().enumerate().map(|(i, ok)| {
            let mut r = good();
            r.record_id = Some(format!("r{i}"));
            if !ok { r.clicks = Some(-1.0); }
            r
        }).collect();
        let rep = validate_records(&inputs, RecordSource::User);
        let good_ids: Vec<String> = mask.iter().enumerate().filter(|(_, ok)| **ok).map(|(i, _)| format!("r{i}")).collect();
        let got: Vec<String> = rep.accepted.iter().map(|r| r.record_id.clone()).collect();
        prop_assert_eq!(got, good_ids);
        prop_assert_eq!(rep.rejected.len(), mask.iter().filter(|ok| !**ok).count());
        prop_assert!(rep.rejected.iter().all(|r| r.issues[0].field == "clicks" && r.issues[0].value == "-1"));
    }

    /// Arbitrary strings for vocabulary fields are either known terms or reported, never dropped.
    #[test]
    fn vocabulary_strings_are_accepted_or_reported(s in "[a-z_ ]{0,14}") {
        let mut r = good();
        r.hook_type = Some(s.clone());
        let rep = validate_records(&[r], RecordSource::User);
        match rep.accepted.first() {
            Some(rec) => prop_assert_eq!(rec.hook_type.as_str().parse::<crosslearn::record::HookType>().ok(), s.parse().ok()),
            None => {
                let issue = &rep.rejected[0].issues[0];
                prop_assert_eq!(issue.field.as_str(), "hook_type");
                prop_assert_eq!(issue.value.as_str(), s.as_str());
            }
        }
    }

    /// Accepted records round-trip through RecordInput and JSON unchanged.
    #[test]
    fn accepted_records_round_trip(imp in 0u32..100_000, frac in 0.0f64..1.0, spend in 0.0f64..1e6) {
        let mut r = good();
        r.impressions = Some(f64::from(imp));
        r.clicks = Some((f64::from(imp) * frac).floor());
        r.spend = Some(spend);
        let rec = validate_records(&[r], RecordSource::User).accepted.remove(0);
        let again = validate_records(&[RecordInput::from(&rec)], RecordSource::User).accepted.remove(0);
        prop_assert_eq!(&again, &rec);
        let json = serde_json::to_string(&rec).unwrap();
        prop_assert_eq!(serde_json::from_str::<crosslearn::record::CreativeRecord>(&json).unwrap(), rec);
    }
}
