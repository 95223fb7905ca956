//! Golden tests of the CSV importers on the real exports in `../shared/data` (read here and passed
//! as bytes: the core does no file I/O), plus corrupted and generic inputs.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::import::{detect_format, import_csv, import_csv_as, ImportFormat};
use crosslearn::record::{AdFormat, ConversionScope, CtaStyle, HookType, RecordSource};
use crosslearn::{ErrorCode, Platform};

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

const FB: &str = "src_ads_creative_facebook_all_data.csv";
const TT: &str = "src_ads_tiktok_ads_all_data.csv";
const KAG: &str = "KAG_conversion_data.csv";

#[test]
fn facebook_export_golden() {
    let r = import_csv(&data(FB)).unwrap();
    assert_eq!(r.format, ImportFormat::FacebookExport);
    assert_eq!(
        (r.rows, r.accepted.len(), r.rejected.len()),
        (3212, 3212, 0)
    );
    let first = &r.accepted[0];
    assert!(
        first.record_id.starts_with("fb-27-2023-02-07-"),
        "{}",
        first.record_id
    );
    assert_eq!(first.account_id, "facebook-export");
    assert_eq!(
        (first.platform, first.source),
        (Platform::Meta, RecordSource::FacebookExport)
    );
    assert_eq!(first.date_start.as_deref(), Some("2023-02-07"));
    assert_eq!(
        (first.impressions, first.clicks, first.conversions),
        (20, 1, Some(0))
    );
    assert_eq!(
        (first.spend, first.revenue, first.video_views),
        (0.0, Some(0.0), Some(4))
    );
    assert_eq!(
        (first.hook_type, first.cta_style),
        (HookType::Unknown, CtaStyle::Unknown)
    );
    assert_eq!(first.conversion_scope, ConversionScope::IncludesViewThrough);
    // Row 8 of the file (line 8): "Shop Earrings" with body copy.
    let earrings = r
        .accepted
        .iter()
        .find(|x| x.headline == "Shop Earrings" && x.impressions == 88)
        .unwrap();
    assert!(earrings.record_id.starts_with("fb-31-"));
    assert_eq!(earrings.headline, "Shop Earrings");
    assert!(earrings.body.starts_with("The new ear candy"));
    assert_eq!(
        (earrings.impressions, earrings.clicks, earrings.video_views),
        (88, 0, Some(17))
    );
    assert_eq!(earrings.cta_style, CtaStyle::ShopNow);
    let last = r.accepted.last().unwrap();
    assert!(last.record_id.starts_with("fb-22-"));
    assert_eq!(
        (last.impressions, last.clicks, last.spend),
        (2770, 10, 52.0)
    );
    assert_eq!(last.hook_type, HookType::Offer);
    // Totals (data/README.md: spend sums to 65,431).
    let spend: f64 = r.accepted.iter().map(|x| x.spend).sum();
    let imp: u64 = r.accepted.iter().map(|x| x.impressions).sum();
    let clicks: u64 = r.accepted.iter().map(|x| x.clicks).sum();
    assert_eq!((spend, imp, clicks), (65_431.0, 7_145_448, 65_527));
    assert!(r.unrecoverable.iter().any(|u| u.contains("scrambled")));
}

#[test]
fn tiktok_export_golden() {
    let r = import_csv(&data(TT)).unwrap();
    assert_eq!(r.format, ImportFormat::TiktokExport);
    assert_eq!(
        (r.rows, r.accepted.len(), r.rejected.len()),
        (2345, 2345, 0)
    );
    let first = &r.accepted[0];
    assert!(first.record_id.starts_with("tt-33-2023-02-07-"));
    assert_eq!(
        (first.platform, first.format),
        (Platform::Tiktok, AdFormat::Video)
    );
    assert_eq!(
        (first.impressions, first.clicks, first.video_views),
        (101, 0, Some(92))
    );
    assert_eq!(first.revenue, None);
    assert!(first.body.starts_with("Don’t miss a chance to win!"));
    let last = r.accepted.last().unwrap();
    assert!(last.record_id.starts_with("tt-8-2023-01-08-"));
    assert_eq!(last.date_start.as_deref(), Some("2023-01-08"));
    assert_eq!(
        (last.impressions, last.clicks, last.spend, last.video_views),
        (6028, 14, 5.0, Some(5585))
    );
    let imp: u64 = r.accepted.iter().map(|x| x.impressions).sum();
    let conv: u64 = r.accepted.iter().filter_map(|x| x.conversions).sum();
    assert_eq!((imp, conv), (37_887_685, 36));
    // video_views > impressions in 17 rows is kept (views are not a subset of impressions).
    assert_eq!(
        r.accepted
            .iter()
            .filter(|x| x.video_views.unwrap_or(0) > x.impressions)
            .count(),
        17
    );
}

#[test]
fn kag_golden_bom_crlf_and_view_through() {
    let bytes = data(KAG);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let r = import_csv(&bytes).unwrap();
    assert_eq!(r.format, ImportFormat::KagConversion);
    assert_eq!(
        (r.rows, r.accepted.len(), r.rejected.len()),
        (1143, 1143, 0)
    );
    let first = &r.accepted[0];
    assert_eq!(first.record_id, "kag-708746");
    assert_eq!(first.campaign_id.as_deref(), Some("916"));
    assert_eq!(
        (first.impressions, first.clicks, first.conversions),
        (7350, 1, Some(2))
    );
    assert_eq!(first.spend, 1.429999948);
    assert_eq!(first.date_start, None);
    let over = r
        .accepted
        .iter()
        .filter(|x| x.conversions.unwrap_or(0) > x.clicks)
        .count();
    assert_eq!(over, 218);
    let spend: f64 = r.accepted.iter().map(|x| x.spend).sum();
    assert!((spend - 58_705.23).abs() < 0.01);
}

#[test]
fn malformed_rows_are_reported_with_line_numbers_and_good_rows_kept() {
    let text = String::from_utf8(data(FB)).unwrap();
    let mut lines: Vec<String> = text.lines().take(4).map(str::to_string).collect();
    // Line 5: the duplicate clicks columns disagree (position 7 says 1, position 20 says 2).
    let mut f: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    f[19] = "2".into();
    lines.push(f.join(","));
    // Line 6: too few fields. Line 7: clicks not a number. Line 8: clicks > impressions.
    lines.push("2023-02-07 11:54:19,\"27\",0".into());
    let mut g: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    g[6] = "many".into();
    g[19] = "many".into();
    lines.push(g.join(","));
    let mut h: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    h[6] = "500".into();
    h[19] = "500".into();
    lines.push(h.join(","));
    lines.push(lines[2].clone());
    let r = import_csv(lines.join("\r\n").as_bytes()).unwrap();
    assert_eq!((r.rows, r.accepted.len()), (8, 4));
    let got: Vec<(u64, &str)> = r
        .rejected
        .iter()
        .map(|x| (x.line.unwrap(), x.issues[0].field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![(5, "clicks"), (6, ""), (7, "clicks"), (8, "clicks")]
    );
    assert!(r.rejected[1].issues[0]
        .message
        .contains("expected 30 fields, got 3"));
    assert_eq!(r.rejected[2].issues[0].value, "many");
    assert!(r.rejected[3].issues[0]
        .message
        .contains("must not exceed impressions (20)"));
    assert!(r.rejected[3]
        .record_id
        .as_deref()
        .is_some_and(|id| id.starts_with("fb-27-2023-02-07-")));
}

#[test]
fn generic_format_reports_unknown_terms_columns_and_duplicates() {
    let csv = "record_id,account_id,platform,date,impressions,clicks,spend,hook_type,visual_tags,colour,headline,body\n\
               r1,acc,meta,2024-05-01,1000,20,12.5,question,fast_cuts|text_overlay,red,,\n\
               r2,acc,tiktok,2024-05-01,1000,20,12.5,jump_scare,,blue,,\n\
               r1,acc,meta,2024-05-02,10,1,1,,,,Shop now,Tired of slow Wi-Fi?\n\
               r4,acc,myspace,2024-13-01,-5,1,x,,sparkles,,,\n\
               r5,acc,google_ads,,\"1,000\",5,3,,,,,\n";
    let r = import_csv(csv.as_bytes()).unwrap();
    assert_eq!(r.format, ImportFormat::Generic);
    assert_eq!(r.accepted.len(), 1);
    assert_eq!(r.accepted[0].visual_tags.len(), 2);
    assert!(r.warnings[0].contains("colour"));
    let by_line = |l: u64| r.rejected.iter().find(|x| x.line == Some(l)).unwrap();
    let hook = &by_line(3).issues[0];
    assert_eq!(
        (hook.field.as_str(), hook.value.as_str(), hook.code.as_str()),
        ("hook_type", "jump_scare", "unknown_value")
    );
    assert_eq!(by_line(4).issues[0].code, "duplicate");
    let fields: Vec<&str> = by_line(5).issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["spend", "platform", "date", "visual_tags[0]", "impressions"]
    );
    assert_eq!(by_line(6).issues[0].value, "1,000");
}

#[test]
fn file_level_errors() {
    assert_eq!(import_csv(b"").unwrap_err().code, ErrorCode::EmptyInput);
    assert_eq!(
        import_csv(b"a,b\n1,2\n").unwrap_err().code,
        ErrorCode::Unsupported
    );
    let e = import_csv_as(&data(KAG), ImportFormat::TiktokExport).unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported);
    assert_eq!(
        import_csv(b"record_id,platform\n").unwrap_err().code,
        ErrorCode::Malformed
    );
    assert_eq!(
        detect_format(&["record_id"]).unwrap(),
        ImportFormat::Generic
    );
    // Not UTF-8 in one row: that row only.
    let mut bytes =
        b"record_id,account_id,platform,impressions,clicks,spend\nr1,a,meta,1,0,0\nr2,a,".to_vec();
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(b",1,0,0\n");
    let r = import_csv(&bytes).unwrap();
    assert_eq!((r.accepted.len(), r.rejected[0].line), (1, Some(3)));
}

/// The rows of a CSV text (header first), split at record boundaries (quoted fields may hold
/// line breaks), each with its line end.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    let mut starts = Vec::new();
    loop {
        let pos = reader.position().byte() as usize;
        if !reader.read_byte_record(&mut rec).unwrap() {
            break;
        }
        starts.push(pos);
    }
    starts.push(bytes.len());
    starts
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

/// A deterministic shuffle (splitmix64-driven Fisher-Yates): the test needs a fixed permutation.
fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut s = seed;
    for i in (1..v.len()).rev() {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        v.swap(i, (z % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn record_ids_are_the_same_set_after_the_rows_are_shuffled() {
    for name in [FB, TT, KAG] {
        let bytes = data(name);
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut rows = csv_rows(body);
        // Every row ends with a line break except possibly the last: give it one.
        if let Some(last) = rows.last_mut() {
            if !last.ends_with(b"\n") {
                last.extend_from_slice(b"\r\n");
            }
        }
        let header = rows.remove(0);
        let original = import_csv(&bytes).unwrap();
        let ids = |r: &crosslearn::import::ImportReport| {
            let mut by_id: Vec<(String, String)> = r
                .accepted
                .iter()
                .map(|x| {
                    let mut c = x.clone();
                    c.record_id.clear();
                    (x.record_id.clone(), serde_json::to_string(&c).unwrap())
                })
                .collect();
            by_id.sort();
            by_id
        };
        let want = ids(&original);
        assert_eq!(want.len(), original.rows, "{name}: every row accepted");
        let unique: std::collections::HashSet<&String> = want.iter().map(|(i, _)| i).collect();
        assert_eq!(unique.len(), want.len(), "{name}: ids are unique");
        assert!(
            want.iter().all(|(id, _)| !id.contains("-L")),
            "{name}: no line numbers in ids"
        );
        for seed in [1, 2] {
            let mut text = header.clone();
            for row in shuffled(rows.clone(), seed) {
                text.extend_from_slice(&row);
            }
            let r = import_csv(&text).unwrap();
            assert_ne!(
                r.accepted[0].record_id, original.accepted[0].record_id,
                "{name}: the shuffle moved the first row"
            );
            // The same ids, each naming the same record.
            assert_eq!(ids(&r), want, "{name}, shuffle {seed}");
        }
    }
}
