//! The Microsoft Advertising (Bing), X and LinkedIn importers and the column-mapping import, on
//! the samples in `tests/data/imports/` (constructed from the platforms' documented columns by
//! `construct.py` there: invented values, real shapes).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::import::{
    import_csv, import_csv_mapped, ColumnMapping, ImportFormat, ImportReport,
};
use crosslearn::metrics::PlatformMetrics;
use crosslearn::network::AdNetwork;
use crosslearn::normalize::{BenchmarkState, Mode, Normalizer};
use crosslearn::record::{CreativeRecord, CtaStyle, HookType, RecordSource};
use crosslearn::Platform;

fn sample(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/imports/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn import(name: &str) -> ImportReport {
    let r = import_csv(&sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(r.rejected.is_empty(), "{name}: {:?}", r.rejected);
    r
}

/// Records without their source (which names the file's shape), for comparing two shapes.
fn strip(r: &[CreativeRecord]) -> Vec<CreativeRecord> {
    r.iter()
        .map(|x| {
            let mut x = x.clone();
            x.source = RecordSource::User;
            x
        })
        .collect()
}

#[test]
fn bing_ui_download_skips_preamble_totals_and_footer() {
    let r = import("bing_ad_performance_us.csv");
    assert_eq!(r.format, ImportFormat::MicrosoftAds);
    assert_eq!((r.rows, r.accepted.len()), (5, 5));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("skipped 9 report preamble")));
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("skipped 2 total/footer")));
    let a = &r.accepted[0];
    assert_eq!(
        (a.platform, a.network, a.source),
        (
            Platform::GoogleAds,
            Some(AdNetwork::MicrosoftAds),
            RecordSource::MicrosoftAdsExport
        )
    );
    assert_eq!(a.account_id, "F12345678");
    assert_eq!(a.date_start.as_deref(), Some("2024-01-15"));
    // "12,480" impressions and "1,104.50" revenue in an en-US download.
    assert_eq!(
        (a.impressions, a.clicks, a.conversions),
        (12_480, 312, Some(11))
    );
    assert_eq!((a.spend, a.revenue), (248.73, Some(1104.5)));
    assert_eq!(a.currency.as_deref(), Some("USD"));
    assert_eq!(a.headline, "Running Shoes -40% | Free Delivery");
    assert_eq!(a.hook_type, HookType::Offer);
    // Empty description: the copy is the title only.
    let brand = &r.accepted[3];
    assert_eq!(
        (brand.headline.as_str(), brand.body.as_str()),
        ("Stride Athletics Official Site", "")
    );
    assert!(a.record_id.starts_with("bing-81234567890-2024-01-15-"));
    // The report's CTR column agrees with clicks / impressions: no warning.
    assert!(
        !r.warnings.iter().any(|w| w.contains("CTR")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_utf16_decimal_comma_download_gives_the_same_records_in_its_own_currency() {
    let us = import("bing_ad_performance_us.csv");
    let de = import("bing_ad_performance_de_utf16.csv");
    assert!(sample("bing_ad_performance_de_utf16.csv").starts_with(b"\xFF\xFE"));
    assert_eq!(de.format, ImportFormat::MicrosoftAds);
    assert!(de
        .accepted
        .iter()
        .all(|r| r.currency.as_deref() == Some("EUR")));
    let mut de = strip(&de.accepted);
    for r in &mut de {
        r.currency = Some("USD".into());
    }
    // Same ids, same numbers, same dates: only the currency differs.
    assert_eq!(de, strip(&us.accepted));
}

#[test]
fn bing_api_columns_import_like_the_download() {
    let api = import("bing_api_ad_performance.csv");
    let ui = import("bing_ad_performance_us.csv");
    assert_eq!(api.format, ImportFormat::MicrosoftAds);
    assert!(api.warnings.iter().all(|w| !w.contains("preamble")));
    let ids = |r: &ImportReport| {
        r.accepted
            .iter()
            .map(|x| x.record_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&api), ids(&ui), "ids come from ad id, date and copy");
    assert_eq!(api.accepted[0].account_id, "149000123");
}

#[test]
fn bing_ids_survive_reordered_rows() {
    let text = String::from_utf8(sample("bing_ad_performance_us.csv")).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    // Preamble (9) + blank + header = 11 lines, then 5 data rows, totals, footer.
    let mut shuffled: Vec<&str> = lines[..11].to_vec();
    shuffled.extend([lines[15], lines[13], lines[11], lines[14], lines[12]]);
    shuffled.extend(&lines[16..]);
    let a = import("bing_ad_performance_us.csv");
    let b = import_csv(shuffled.join("\r\n").as_bytes()).unwrap();
    let set = |r: &ImportReport| {
        let mut v: Vec<String> = r.accepted.iter().map(|x| x.record_id.clone()).collect();
        v.sort();
        v
    };
    assert_ne!(a.accepted[0].record_id, b.accepted[0].record_id);
    assert_eq!(set(&a), set(&b));
}

#[test]
fn x_export_decodes_entities_drops_tco_links_and_keeps_empty_posts() {
    let r = import("x_ads_manager_export.csv");
    assert_eq!(r.format, ImportFormat::XAds);
    assert_eq!(r.accepted.len(), 4);
    let a = &r.accepted[0];
    assert_eq!(
        (a.platform, a.network),
        (Platform::Meta, Some(AdNetwork::X))
    );
    assert_eq!(
        a.body,
        "New drop: the Stride Trail 2 is here & it's built for mud. Grab yours before Friday …"
    );
    assert_eq!((a.impressions, a.clicks, a.spend), (18_230, 512, 41.0));
    assert_eq!(a.engagements, Some(655));
    assert_eq!(a.account_id, "x-export");
    assert!(r.accepted[1].body.ends_with("Our coach explains >>"));
    let empty = &r.accepted[3];
    assert_eq!(empty.body, "");
    assert_eq!(
        (empty.hook_type, empty.cta_style),
        (HookType::Unknown, CtaStyle::Unknown)
    );
    assert!(a.record_id.starts_with("x-1746912384756102145-2024-01-15-"));
}

#[test]
fn x_connector_dump_reads_spend_in_micros_with_the_same_ids() {
    let c = import("x_ads_api_promoted_tweets.csv");
    let ui = import("x_ads_manager_export.csv");
    assert_eq!(c.format, ImportFormat::XAds);
    assert_eq!(c.accepted[0].spend, 41.37);
    assert_eq!(c.accepted[0].account_id, "18ce54d4x5t");
    let ids = |r: &ImportReport| {
        r.accepted
            .iter()
            .map(|x| x.record_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&c), ids(&ui));
}

#[test]
fn linkedin_export_keeps_each_records_currency() {
    let r = import("linkedin_campaign_manager_export.csv");
    assert_eq!(r.format, ImportFormat::LinkedinAds);
    assert_eq!(r.accepted.len(), 3);
    let cur: Vec<Option<&str>> = r.accepted.iter().map(|x| x.currency.as_deref()).collect();
    assert_eq!(cur, vec![Some("USD"), Some("USD"), Some("EUR")]);
    let eu = &r.accepted[2];
    assert_eq!(
        (eu.spend, eu.impressions, eu.video_views),
        (1204.75, 88_210, Some(12_840))
    );
    assert_eq!(eu.body, "A 60-second explainer for controllers & CFOs.");
    assert_eq!(eu.date_start.as_deref(), Some("2024-01-15"));
    assert_eq!(
        (eu.platform, eu.network),
        (Platform::Meta, Some(AdNetwork::Linkedin))
    );
    assert!(eu.record_id.starts_with("li-301239999-2024-01-15-"));
    // MCDM has no currency column: the writer reports the mix for the caller to show.
    let t = crosslearn::import::mcdm::write_mcdm(&r.accepted);
    assert_eq!(t.currencies, vec!["EUR".to_string(), "USD".to_string()]);
    assert!(t.csv.contains(",LinkedIn Ads,"));
}

#[test]
fn a_currency_cell_that_contradicts_the_currency_column_is_rejected() {
    let csv = "TimePeriod,AdId,AdTitle,CurrencyCode,Impressions,Clicks,Spend\n\
               2024-01-15,1,Shoes,USD,100,2,€3.00\n\
               2024-01-15,2,Boots,USD,100,2,$3.00\n";
    let r = import_csv(csv.as_bytes()).unwrap();
    assert_eq!(r.accepted.len(), 1);
    let issue = &r.rejected[0].issues[0];
    assert_eq!(
        (issue.field.as_str(), r.rejected[0].line),
        ("currency", Some(2))
    );
    assert!(issue.value.contains("USD") && issue.value.contains("EUR"));
}

#[test]
fn an_export_in_no_known_shape_imports_through_a_mapping() {
    let bytes = sample("unknown_shape.csv");
    assert!(import_csv(&bytes).is_err(), "no known shape");
    let text = String::from_utf8(sample("unknown_shape.map")).unwrap();
    let m: ColumnMapping = text.parse().unwrap();
    let r = import_csv_mapped(&bytes, &m).unwrap();
    assert_eq!(r.format, ImportFormat::Mapped);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let a = &r.accepted[0];
    assert_eq!((a.impressions, a.clicks, a.spend), (10_500, 210, 84.2));
    assert_eq!(
        (a.account_id.as_str(), a.currency.as_deref()),
        ("pasta-place", Some("EUR"))
    );
    assert_eq!(a.source, RecordSource::MappedCsv);
    assert_eq!((a.platform, a.network), (Platform::Meta, None));
    assert!(r.accepted[1].body.contains("19,99 €"));
    // A mapping naming a column the file lacks: a clear error naming it.
    let bad: ColumnMapping = text.replace("Taps", "Clicks").parse().unwrap();
    let e = import_csv_mapped(&bytes, &bad).unwrap_err();
    assert!(e.message.contains("'Clicks'"), "{}", e.message);
}

#[test]
fn imported_networks_without_a_benchmark_row_say_so() {
    let r = import("bing_ad_performance_us.csv");
    let a = &r.accepted[0];
    let ctr = a.clicks as f64 / a.impressions as f64;
    let m = PlatformMetrics::new(
        a.platform,
        ctr,
        a.spend / a.clicks as f64,
        a.spend / a.impressions as f64 * 1000.0,
        a.impressions,
        a.clicks,
        a.spend,
    );
    let n = Normalizer::new(Mode::Corrected)
        .normalize_network(a.network.unwrap(), &m)
        .unwrap();
    assert_eq!(
        (n.class, n.benchmark, n.metrics),
        (Platform::GoogleAds, BenchmarkState::NoBenchmark, None)
    );
}

#[test]
fn records_round_trip_through_their_input_form_with_network_and_currency() {
    for name in [
        "bing_ad_performance_de_utf16.csv",
        "x_ads_manager_export.csv",
    ] {
        let r = import(name);
        for rec in &r.accepted {
            let input = crosslearn::record::RecordInput::from(rec);
            let back = crosslearn::record::validate::validate_record(&input, rec.source).unwrap();
            assert_eq!(&back, rec);
        }
    }
}

/// Mutated samples (truncated, bytes flipped, separators and quotes inserted, encodings mixed)
/// never panic the importer: every outcome is a report or an error naming the problem.
#[test]
fn mutated_samples_never_panic() {
    let names = [
        "bing_ad_performance_us.csv",
        "bing_ad_performance_de_utf16.csv",
        "x_ads_manager_export.csv",
        "x_ads_api_promoted_tweets.csv",
        "linkedin_campaign_manager_export.csv",
        "unknown_shape.csv",
    ];
    let mapping: ColumnMapping = String::from_utf8(sample("unknown_shape.map"))
        .unwrap()
        .parse()
        .unwrap();
    let inserts: [&[u8]; 8] = [
        b"\"",
        b",",
        b";",
        b"\t",
        b"\r\n",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        "€&#x;".as_bytes(),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    for name in names {
        let base = sample(name);
        for _ in 0..100 {
            let mut b = base.clone();
            for _ in 0..1 + next(4) {
                let at = next(b.len() + 1);
                match next(4) {
                    0 => b.truncate(at),
                    1 if at < b.len() => b[at] = next(256) as u8,
                    2 => {
                        let ins = inserts[next(inserts.len())];
                        b.splice(at..at, ins.iter().copied());
                    }
                    _ => {
                        let end = (at + next(40)).min(b.len());
                        b.drain(at..end);
                    }
                }
            }
            let _ = import_csv(&b);
            let _ = import_csv_mapped(&b, &mapping);
        }
    }
}

/// Excel's "Unicode text" save of the same report: UTF-16 LE, tab-separated.
#[test]
fn a_tab_separated_utf16_save_imports_like_the_csv() {
    let bytes = sample("bing_ad_performance_us.csv");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut tsv = String::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        tsv.push_str(&rec.iter().collect::<Vec<_>>().join("\t"));
        tsv.push_str("\r\n");
    }
    let mut utf16 = vec![0xFF, 0xFE];
    for u in tsv.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let r = import_csv(&utf16).unwrap();
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    assert_eq!(r.accepted, import("bing_ad_performance_us.csv").accepted);
}

/// Pinterest and Snapchat have no built-in shape: a mapping names the network, and the records
/// keep it under its class (Pinterest: social feed, meta; Snapchat: short video, tiktok).
#[test]
fn a_mapping_can_name_pinterest_or_snapchat() {
    let csv = "Ad ID,Date,Spend,Impressions,Pin clicks,Outbound clicks\n\
               687245109,2024-03-01,12.40,5210,88,31\n";
    let m: ColumnMapping = "network = pinterest\nad_id = Ad ID\ndate = Date\nspend = Spend\n\
                            impressions = Impressions\nclicks = Pin clicks\ncurrency_code = USD\n"
        .parse()
        .unwrap();
    let r = import_csv_mapped(csv.as_bytes(), &m).unwrap();
    let a = &r.accepted[0];
    assert_eq!(
        (a.platform, a.network),
        (Platform::Meta, Some(AdNetwork::Pinterest))
    );
    let csv = "ad_id,date,spend,impressions,swipes\nA1,2024-03-01,3.00,900,12\n";
    let m: ColumnMapping = "network = snapchat\nad_id = ad_id\ndate = date\nspend = spend\n\
                            impressions = impressions\nclicks = swipes\n"
        .parse()
        .unwrap();
    let r = import_csv_mapped(csv.as_bytes(), &m).unwrap();
    let a = &r.accepted[0];
    assert_eq!(
        (a.platform, a.network),
        (Platform::Tiktok, Some(AdNetwork::Snapchat))
    );
    assert!(a.record_id.starts_with("map-A1-2024-03-01-"));
}

/// MCDM, the interchange table every importer writes, is read back: same rows, same numbers
/// (money in whole units, as MCDM types it), the network from each row's channel.
#[test]
fn mcdm_tables_written_by_the_importers_read_back() {
    let fb = std::fs::read(format!(
        "{}/../shared/data/src_ads_creative_facebook_all_data.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut records = import_csv(&fb).unwrap().accepted;
    records.extend(import("bing_ad_performance_us.csv").accepted);
    records.extend(import("linkedin_campaign_manager_export.csv").accepted);
    let table = crosslearn::import::mcdm::write_mcdm(&records);
    let back = import_csv(table.csv.as_bytes()).unwrap();
    assert_eq!(back.format, ImportFormat::Mcdm);
    assert!(
        back.rejected.is_empty(),
        "{:?}",
        &back.rejected[..back.rejected.len().min(3)]
    );
    assert_eq!(back.accepted.len(), records.len());
    for (a, b) in records.iter().zip(&back.accepted) {
        assert_eq!(
            (a.impressions, a.clicks, a.conversions),
            (b.impressions, b.clicks, b.conversions)
        );
        assert_eq!((a.platform, a.network), (b.platform, b.network));
        assert_eq!(b.spend, a.spend.round());
        assert_eq!(a.date_start, b.date_start);
        assert_eq!(b.source, RecordSource::Mcdm);
    }
    // Reading the same table twice gives the same ids.
    let again = import_csv(table.csv.as_bytes()).unwrap();
    let ids = |r: &ImportReport| {
        r.accepted
            .iter()
            .map(|x| x.record_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&back), ids(&again));
}
