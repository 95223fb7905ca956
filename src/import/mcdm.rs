//! Writing records as Improvado's MCDM `paid_ads__basic_performance` table (the interchange
//! format; column set in `mcdm_paid_ads_basic_performance_structure.csv`: 7 string/date keys
//! and 18 `int64` metrics).
//!
//! One row per record, or one row per day when the record has a per-day series (MCDM is a daily
//! table). The mapping:
//!
//! | MCDM | from the record |
//! |---|---|
//! | `ad_id`, `creative_id` | `record_id` (the exports' own ad ids are not join keys, see [`super::exports`]) |
//! | `campaign_id` | `campaign_id` |
//! | `adset_id`, `placement_id` | empty (not kept by the importers) |
//! | `channel` | [`record_channel`]: the platform's (`Facebook Ads`, `TikTok Ads`, `Google Ads`) or the network's (`Microsoft Advertising`, `X Ads`, `LinkedIn Ads`) |
//! | `date` | the day; a multi-day record without a series is written at its first day |
//! | `impressions`, `clicks`, `spend`, `revenue` | the same (per day from the series) |
//! | `total_conversions` | `conversions` |
//! | `post_click_conversions` | `conversions` when the scope is click-through, else empty |
//! | `engagements`, `video_views` | the same (record rows only: the series has no such column) |
//! | other metrics | empty (not kept by the importers) |
//!
//! MCDM types `spend` and `revenue` as `int64`, so money is rounded to whole currency units
//! (half away from zero); [`McdmTable::rounded_money`] counts the values that changed, so the
//! caller can say so. The exact amounts stay in the records (`--to records-json`).

use crate::network::AdNetwork;
use crate::platform::Platform;
use crate::record::{ConversionScope, CreativeRecord};

/// The 25 columns of `paid_ads__basic_performance`, in the structure file's order.
pub const MCDM_COLUMNS: [&str; 25] = [
    "ad_id",
    "add_to_cart",
    "adset_id",
    "campaign_id",
    "channel",
    "clicks",
    "comments",
    "creative_id",
    "date",
    "engagements",
    "impressions",
    "installs",
    "likes",
    "link_clicks",
    "placement_id",
    "post_click_conversions",
    "post_view_conversions",
    "posts",
    "purchase",
    "registrations",
    "revenue",
    "shares",
    "spend",
    "total_conversions",
    "video_views",
];

/// The MCDM `channel` value of a platform.
pub fn channel(p: Platform) -> &'static str {
    match p {
        Platform::Meta => "Facebook Ads",
        Platform::Tiktok => "TikTok Ads",
        Platform::GoogleAds => "Google Ads",
        Platform::Unknown => "",
    }
}

/// The MCDM `channel` value of a record: its network's when it is not the class itself.
pub fn record_channel(r: &CreativeRecord) -> &'static str {
    match r.network {
        Some(AdNetwork::MicrosoftAds) => "Microsoft Advertising",
        Some(AdNetwork::X) => "X Ads",
        Some(AdNetwork::Linkedin) => "LinkedIn Ads",
        Some(AdNetwork::Pinterest) => "Pinterest Ads",
        Some(AdNetwork::Snapchat) => "Snapchat Ads",
        _ => channel(r.platform),
    }
}

/// A written table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McdmTable {
    /// CSV text: the header row, then the data rows (LF line ends, RFC 4180 quoting).
    pub csv: String,
    /// Data rows written.
    pub rows: usize,
    /// Money values (spend, revenue) that had a fractional part and were rounded.
    pub rounded_money: usize,
    /// The distinct currencies of the records (sorted; empty when none states one). MCDM has
    /// no currency column: more than one here means the table's money columns mix
    /// currencies, which the caller must say (the CLI does).
    pub currencies: Vec<String>,
}

fn money(v: f64, rounded: &mut usize) -> String {
    let r = v.round();
    if r != v {
        *rounded += 1;
    }
    format!("{r:.0}")
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Write records as the MCDM table.
pub fn write_mcdm(records: &[CreativeRecord]) -> McdmTable {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut rows = 0;
    let mut rounded = 0;
    // Writing to a Vec cannot fail; errors are ignored rather than unwrapped.
    let _ = w.write_record(MCDM_COLUMNS);
    for r in records {
        let click_through = r.conversion_scope == ConversionScope::ClickThrough;
        let mut row = |date: &str,
                       impressions: u64,
                       clicks: u64,
                       conversions: Option<u64>,
                       spend: f64,
                       revenue: Option<f64>,
                       engagements: Option<u64>,
                       video_views: Option<u64>| {
            let rev = revenue.map(|v| money(v, &mut rounded)).unwrap_or_default();
            let sp = money(spend, &mut rounded);
            let fields: [String; 25] = [
                r.record_id.clone(),
                String::new(),
                String::new(),
                r.campaign_id.clone().unwrap_or_default(),
                record_channel(r).to_string(),
                clicks.to_string(),
                String::new(),
                r.record_id.clone(),
                date.to_string(),
                opt(engagements),
                impressions.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                if click_through {
                    opt(conversions)
                } else {
                    String::new()
                },
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                rev,
                String::new(),
                sp,
                opt(conversions),
                opt(video_views),
            ];
            let _ = w.write_record(&fields);
            rows += 1;
        };
        if r.daily.is_empty() {
            row(
                r.date_start.as_deref().unwrap_or_default(),
                r.impressions,
                r.clicks,
                r.conversions,
                r.spend,
                r.revenue,
                r.engagements,
                r.video_views,
            );
        } else {
            for d in &r.daily {
                row(
                    &d.date,
                    d.impressions,
                    d.clicks,
                    d.conversions,
                    d.spend,
                    d.revenue,
                    None,
                    None,
                );
            }
        }
    }
    let bytes = w.into_inner().unwrap_or_default();
    McdmTable {
        csv: String::from_utf8(bytes).unwrap_or_default(),
        rows,
        rounded_money: rounded,
        currencies: records
            .iter()
            .filter_map(|r| r.currency.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::import_csv;

    #[test]
    fn columns_match_the_structure_file() {
        // The structure file in ../shared/data (read there: its licence allows no copy here).
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/data/mcdm_paid_ads_basic_performance_structure.csv"
        );
        let structure = std::fs::read_to_string(path).unwrap();
        let fields: Vec<String> = structure
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').nth(1).unwrap_or_default().to_string())
            .collect();
        assert_eq!(fields, MCDM_COLUMNS);
    }

    #[test]
    fn writes_one_row_per_record_with_rounded_money() {
        let csv = "record_id,account_id,platform,date,impressions,clicks,spend,revenue,conversions,conversion_scope,campaign_id\n\
                   a,acc,google_ads,2024-01-02,1000,30,12.6,40,3,click_through,c1\n\
                   b,acc,tiktok,2024-01-03,500,5,7,,,,\n";
        let rep = import_csv(csv.as_bytes()).unwrap();
        assert_eq!(rep.accepted.len(), 2);
        let t = write_mcdm(&rep.accepted);
        assert_eq!(t.rows, 2);
        assert_eq!(t.rounded_money, 1);
        let mut r = csv::Reader::from_reader(t.csv.as_bytes());
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, MCDM_COLUMNS);
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        let get = |i: usize, c: &str| {
            let at = MCDM_COLUMNS.iter().position(|x| *x == c).unwrap();
            rows[i][at].to_string()
        };
        assert_eq!(get(0, "ad_id"), "a");
        assert_eq!(get(0, "channel"), "Google Ads");
        assert_eq!(get(0, "campaign_id"), "c1");
        assert_eq!(get(0, "date"), "2024-01-02");
        assert_eq!(get(0, "spend"), "13");
        assert_eq!(get(0, "revenue"), "40");
        assert_eq!(get(0, "total_conversions"), "3");
        assert_eq!(get(0, "post_click_conversions"), "3");
        assert_eq!(get(1, "channel"), "TikTok Ads");
        assert_eq!(get(1, "spend"), "7");
        assert_eq!(get(1, "revenue"), "");
        assert_eq!(get(1, "post_click_conversions"), "");
    }

    #[test]
    fn a_daily_series_becomes_one_row_per_day() {
        let json = r#"[{"record_id":"r","account_id":"a","platform":"meta","date":"2024-03-01",
            "date_end":"2024-03-02","impressions":300,"clicks":9,"spend":3.0,
            "daily":[{"date":"2024-03-01","impressions":100,"clicks":4,"spend":1.0},
                     {"date":"2024-03-02","impressions":200,"clicks":5,"spend":2.0}]}]"#;
        let rep =
            crate::record::validate_json_records(json, crate::record::RecordSource::User).unwrap();
        assert_eq!(rep.accepted.len(), 1, "{:?}", rep.rejected);
        let t = write_mcdm(&rep.accepted);
        assert_eq!(t.rows, 2);
        let lines: Vec<&str> = t.csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains(",2024-03-01,") && lines[1].contains(",100,"));
        assert!(lines[2].contains(",2024-03-02,") && lines[2].contains(",200,"));
    }
}
