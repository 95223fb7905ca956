//! Exports read by column name: Microsoft Advertising (Bing), X (Twitter) and LinkedIn report
//! downloads, API reports and connector dumps, and any export described by a column-mapping
//! file ([`super::mapping`]).
//!
//! Each format is a [`Spec`]: for every record field, the column names it may have, in the
//! spellings the platform's UI download, its reporting API and common connectors use (matched
//! case-insensitively, whitespace collapsed). The column sets and their sources are in
//! docs/data-layer.md ("Microsoft Advertising, X and LinkedIn").
//!
//! Per row: counts and money in the file's locale ([`super::locale`]), the currency from the
//! currency column, else from an unambiguous sign or code on the spend cell, else the mapping's
//! constant (a row whose cells disagree on the currency is rejected, naming both); copy with
//! HTML entities decoded (and, for X, `t.co` links dropped); the row's network stamped on the
//! record and its platform set to the network's class ([`crate::network`]).

use super::ids::IdParts;
use super::locale::{
    clean_text, money_currency, parse_date, parse_number, parse_percent, FileLocale,
};
use super::{Row, RowMapper};
use crate::error::{Error, ErrorCode, Result};
use crate::network::AdNetwork;
use crate::record::{RecordInput, RecordIssue};

/// A record field an export column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    AdId,
    Date,
    Account,
    Campaign,
    Headline,
    Body,
    Impressions,
    Clicks,
    Spend,
    /// Spend in millionths (X's `billed_charge_local_micro`, connectors' `spend_micro`).
    SpendMicros,
    Conversions,
    Revenue,
    Engagements,
    VideoViews,
    Currency,
    /// The report's CTR (percent string or fraction): checked against clicks / impressions.
    Ctr,
    /// The row's channel (MCDM `channel`: `Facebook Ads`, `Microsoft Advertising`, ...): the
    /// row's network, overriding the spec's.
    Channel,
}

impl Field {
    /// Every field, in the order the mapping file lists them.
    pub(crate) const ALL: [Field; 17] = [
        Field::AdId,
        Field::Date,
        Field::Account,
        Field::Campaign,
        Field::Headline,
        Field::Body,
        Field::Impressions,
        Field::Clicks,
        Field::Spend,
        Field::SpendMicros,
        Field::Conversions,
        Field::Revenue,
        Field::Engagements,
        Field::VideoViews,
        Field::Currency,
        Field::Ctr,
        Field::Channel,
    ];

    /// The key of the field in a mapping file, and the record field it names in messages.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Field::AdId => "ad_id",
            Field::Date => "date",
            Field::Account => "account_id",
            Field::Campaign => "campaign_id",
            Field::Headline => "headline",
            Field::Body => "body",
            Field::Impressions => "impressions",
            Field::Clicks => "clicks",
            Field::Spend => "spend",
            Field::SpendMicros => "spend_micros",
            Field::Conversions => "conversions",
            Field::Revenue => "revenue",
            Field::Engagements => "engagements",
            Field::VideoViews => "video_views",
            Field::Currency => "currency",
            Field::Ctr => "ctr",
            Field::Channel => "channel",
        }
    }
}

/// A format described by column names.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    /// The network every row comes from.
    pub network: AdNetwork,
    /// Record id prefix ([`super::ids`]).
    pub prefix: &'static str,
    /// Account id when the export has no account column.
    pub account_default: String,
    /// Currency when the export states none (a mapping's constant).
    pub currency_default: Option<String>,
    /// Candidate column names per field (first found wins).
    pub columns: Vec<(Field, Vec<String>)>,
    /// Whether `t.co` links are dropped from the copy.
    pub strip_tco: bool,
}

/// Collapse whitespace and lower-case: how header names are compared.
pub(crate) fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| norm(s)).collect()
}

/// Microsoft Advertising: UI downloads (display names such as `Impr.`, `Conv.`, `Currency code`,
/// `Gregorian date`) and the Reporting API's `AdPerformanceReportColumn` names.
pub(crate) fn bing() -> Spec {
    Spec {
        network: AdNetwork::MicrosoftAds,
        prefix: "bing",
        account_default: "microsoft-ads-export".into(),
        currency_default: None,
        strip_tco: false,
        columns: vec![
            (Field::AdId, names(&["AdId", "Ad ID"])),
            (
                Field::Date,
                names(&["TimePeriod", "Gregorian date", "Day", "Date"]),
            ),
            (
                Field::Account,
                names(&[
                    "AccountId",
                    "Account ID",
                    "AccountNumber",
                    "Account number",
                    "AccountName",
                    "Account name",
                ]),
            ),
            (
                Field::Campaign,
                names(&[
                    "CampaignId",
                    "Campaign ID",
                    "CampaignName",
                    "Campaign name",
                    "Campaign",
                ]),
            ),
            (
                Field::Headline,
                names(&["AdTitle", "Ad title", "Title", "Title part 1", "Headline"]),
            ),
            (
                Field::Body,
                names(&["AdDescription", "Ad description", "Description", "Text"]),
            ),
            (Field::Impressions, names(&["Impressions", "Impr."])),
            (Field::Clicks, names(&["Clicks"])),
            (Field::Ctr, names(&["Ctr", "CTR"])),
            (Field::Spend, names(&["Spend", "Cost"])),
            (Field::Conversions, names(&["Conversions", "Conv."])),
            (Field::Revenue, names(&["Revenue"])),
            (
                Field::Currency,
                names(&["CurrencyCode", "Currency code", "Currency"]),
            ),
        ],
    }
}

/// X (Twitter): the Ads Manager CSV export (post-level: `Tweet ID`/`Post ID`, `Tweet text`/
/// `Post text`, `Time`), the Ads API's analytics metric names and connector dumps.
pub(crate) fn x() -> Spec {
    Spec {
        network: AdNetwork::X,
        prefix: "x",
        account_default: "x-export".into(),
        currency_default: None,
        strip_tco: true,
        columns: vec![
            (
                Field::AdId,
                names(&[
                    "Tweet ID",
                    "Post ID",
                    "promoted_tweet_id",
                    "tweet_id",
                    "Ad ID",
                ]),
            ),
            (Field::Date, names(&["Time", "Date", "date_day", "Day"])),
            (
                Field::Account,
                names(&[
                    "Account ID",
                    "account_id",
                    "Account name",
                    "account_name",
                    "Account",
                ]),
            ),
            (
                Field::Campaign,
                names(&[
                    "Campaign ID",
                    "campaign_id",
                    "Campaign name",
                    "campaign_name",
                    "Campaign",
                ]),
            ),
            (
                Field::Body,
                names(&["Tweet text", "Post text", "full_text", "Text"]),
            ),
            (Field::Impressions, names(&["Impressions"])),
            (Field::Clicks, names(&["Clicks"])),
            (Field::Spend, names(&["Spend"])),
            (
                Field::SpendMicros,
                names(&["billed_charge_local_micro", "spend_micro"]),
            ),
            (Field::Conversions, names(&["Conversions"])),
            (Field::Engagements, names(&["Engagements"])),
            (
                Field::VideoViews,
                names(&["Video views", "video_total_views", "video_views"]),
            ),
            (Field::Currency, names(&["Currency"])),
        ],
    }
}

/// LinkedIn: Campaign Manager's ad performance export (`Ad Introduction Text`, `Ad Headline`,
/// `Total Spent`), the Marketing API's `adAnalytics` metric names and connector dumps.
pub(crate) fn linkedin() -> Spec {
    Spec {
        network: AdNetwork::Linkedin,
        prefix: "li",
        account_default: "linkedin-export".into(),
        currency_default: None,
        strip_tco: false,
        columns: vec![
            (
                Field::AdId,
                names(&[
                    "Creative ID",
                    "Ad ID",
                    "creative_id",
                    "pivotValues",
                    "pivotValue",
                ]),
            ),
            (
                Field::Date,
                names(&[
                    "Start Date (in UTC)",
                    "Date",
                    "date_day",
                    "Day",
                    "dateRange",
                ]),
            ),
            (
                Field::Account,
                names(&["Account ID", "account_id", "Account Name", "account_name"]),
            ),
            (
                Field::Campaign,
                names(&[
                    "Campaign ID",
                    "campaign_id",
                    "Campaign Name",
                    "campaign_name",
                ]),
            ),
            (Field::Headline, names(&["Ad Headline", "Headline"])),
            (
                Field::Body,
                names(&["Ad Introduction Text", "Introductory Text"]),
            ),
            (Field::Impressions, names(&["Impressions"])),
            (Field::Clicks, names(&["Clicks"])),
            (Field::Ctr, names(&["Average CTR", "CTR"])),
            (
                Field::Spend,
                names(&[
                    "Total Spent",
                    "Amount Spent",
                    "costInLocalCurrency",
                    "cost_in_local_currency",
                ]),
            ),
            (
                Field::Conversions,
                names(&[
                    "Conversions",
                    "externalWebsiteConversions",
                    "external_website_conversions",
                ]),
            ),
            (
                Field::Engagements,
                names(&["Total Engagements", "totalEngagements", "total_engagements"]),
            ),
            (
                Field::VideoViews,
                names(&["Video Views", "videoViews", "video_views"]),
            ),
            (Field::Currency, names(&["Currency", "currency"])),
        ],
    }
}

/// Improvado's MCDM `paid_ads__basic_performance` table (what `--to mcdm` writes): one row per
/// ad and day, the network from each row's `channel`.
pub(crate) fn mcdm() -> Spec {
    Spec {
        network: AdNetwork::Meta,
        prefix: "mcdm",
        account_default: "mcdm-export".into(),
        currency_default: None,
        strip_tco: false,
        columns: vec![
            (Field::AdId, names(&["ad_id"])),
            (Field::Date, names(&["date"])),
            (Field::Campaign, names(&["campaign_id"])),
            (Field::Channel, names(&["channel"])),
            (Field::Impressions, names(&["impressions"])),
            (Field::Clicks, names(&["clicks"])),
            (Field::Spend, names(&["spend"])),
            (Field::Conversions, names(&["total_conversions"])),
            (Field::Revenue, names(&["revenue"])),
            (Field::Engagements, names(&["engagements"])),
            (Field::VideoViews, names(&["video_views"])),
        ],
    }
}

/// Signature of an MCDM `paid_ads__basic_performance` table.
pub(crate) const MCDM_SIGNATURE: &[&[&str]] = &[
    &["channel"],
    &["post_click_conversions"],
    &["post_view_conversions"],
    &["total_conversions"],
    &["impressions"],
];

/// The network a `channel` value names: MCDM's channel names (`Facebook Ads`, `TikTok Ads`,
/// `Google Ads`, `Microsoft Advertising`, `X Ads`, `LinkedIn Ads`, ...) or a network name.
fn channel_network(channel: &str) -> Option<AdNetwork> {
    let n = norm(channel);
    let n = n.strip_suffix(" ads").unwrap_or(&n).replace(' ', "_");
    n.parse().ok()
}

/// A [`Spec`] resolved against one header.
pub(crate) struct Columns {
    spec: Spec,
    at: Vec<(Field, usize)>,
    locale: FileLocale,
    /// Rows whose CTR column disagrees with clicks / impressions: (count, first value).
    ctr_mismatch: (usize, Option<String>),
    /// Rows whose money has only an ambiguous sign (`$`, `¥`) and no stated currency.
    ambiguous_sign: usize,
}

impl Columns {
    /// Resolve the spec's columns; impressions, clicks and spend (or spend in micros) are
    /// required. Returns the mapper and warnings (columns that were not used).
    pub(crate) fn new(spec: Spec, header: &[&str]) -> Result<(Self, Vec<String>)> {
        let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
        let mut at = Vec::new();
        for (field, candidates) in &spec.columns {
            if let Some(i) = candidates
                .iter()
                .find_map(|c| normed.iter().position(|h| h == c))
            {
                at.push((*field, i));
            }
        }
        let has = |f: Field| at.iter().any(|(g, _)| *g == f);
        for f in [Field::Impressions, Field::Clicks] {
            if !has(f) {
                return Err(missing(&spec, f));
            }
        }
        if !has(Field::Spend) && !has(Field::SpendMicros) {
            return Err(missing(&spec, Field::Spend));
        }
        let warnings = header
            .iter()
            .enumerate()
            .filter(|(i, h)| !at.iter().any(|(_, j)| j == i) && !h.trim().is_empty())
            .map(|(i, h)| format!("column {} ('{}') is not mapped", i + 1, h.trim()))
            .collect();
        Ok((
            Columns {
                spec,
                at,
                locale: FileLocale::default(),
                ctr_mismatch: (0, None),
                ambiguous_sign: 0,
            },
            warnings,
        ))
    }

    /// Compare the report's CTR with clicks / impressions. Reports round CTR to two decimals of
    /// a percent; API reports may give a fraction or a percent number: either reading that
    /// agrees within rounding passes.
    fn check_ctr(&mut self, row: &Row<'_>, impressions: Option<f64>, clicks: Option<f64>) {
        let (Some(i), Some(c), Some(cell)) = (impressions, clicks, self.cell(row, Field::Ctr))
        else {
            return;
        };
        if i <= 0.0 {
            return;
        }
        let Ok(v) = parse_percent(cell, self.locale) else {
            return;
        };
        let real = c / i;
        let ok =
            (v - real).abs() <= 6e-5 || (!cell.contains('%') && (v / 100.0 - real).abs() <= 6e-5);
        if !ok {
            self.ctr_mismatch.0 += 1;
            self.ctr_mismatch.1.get_or_insert_with(|| cell.to_string());
        }
    }

    fn col(&self, f: Field) -> Option<usize> {
        self.at.iter().find(|(g, _)| *g == f).map(|(_, i)| *i)
    }

    fn cell<'a>(&self, row: &Row<'a>, f: Field) -> Option<&'a str> {
        self.col(f)
            .and_then(|i| row.fields.get(i).copied())
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "--")
    }

    fn num(&self, row: &Row<'_>, f: Field, issues: &mut Vec<RecordIssue>) -> Option<f64> {
        let s = self.cell(row, f)?;
        match parse_number(s, self.locale) {
            Ok(v) => Some(v),
            Err(why) => {
                let column = self.col(f).map_or(0, |i| i + 1);
                issues.push(RecordIssue::new(
                    ErrorCode::Malformed,
                    field_name(f),
                    s,
                    &format!("column {column} {why}"),
                ));
                None
            }
        }
    }

    /// The row's currency: column, sign on the money cells, or the spec's constant.
    fn currency(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> Option<String> {
        let column = self
            .cell(row, Field::Currency)
            .map(|c| c.to_ascii_uppercase());
        let mut signs = [Field::Spend, Field::Revenue]
            .into_iter()
            .filter_map(|f| self.cell(row, f).and_then(money_currency));
        let sign = signs.next();
        let stated = column
            .clone()
            .or_else(|| self.spec.currency_default.clone());
        match (stated, sign) {
            // `$` and `¥` name several currencies: they never contradict a stated code.
            (Some(c), Some(s)) if s.len() == 3 && s != c => {
                issues.push(RecordIssue::new(
                    ErrorCode::InvalidValue,
                    "currency",
                    format!("{c} / {s}"),
                    "the currency column and the money cells name different currencies",
                ));
                None
            }
            (Some(c), _) => Some(c),
            (None, Some(s)) if s.len() == 3 => Some(s),
            (None, Some(_)) => {
                self.ambiguous_sign += 1;
                None
            }
            _ => None,
        }
    }
}

fn field_name(f: Field) -> &'static str {
    match f {
        Field::SpendMicros => "spend",
        f => f.key(),
    }
}

fn missing(spec: &Spec, f: Field) -> Error {
    let names = spec
        .columns
        .iter()
        .find(|(g, _)| *g == f)
        .map(|(_, n)| n.join("', '"))
        .unwrap_or_default();
    Error::general(
        ErrorCode::Malformed,
        format!(
            "the {} header has no {} column (looked for '{names}')",
            spec.network,
            f.key()
        ),
    )
}

impl RowMapper for Columns {
    fn prepare(&mut self, rows: &[&Row<'_>]) {
        let money: Vec<&str> = rows
            .iter()
            .flat_map(|r| {
                [Field::Spend, Field::Revenue]
                    .into_iter()
                    .filter_map(|f| self.cell(r, f))
            })
            .collect();
        let dates: Vec<&str> = rows
            .iter()
            .filter_map(|r| self.cell(r, Field::Date))
            .collect();
        self.locale = FileLocale::sniff(money.into_iter(), dates.into_iter());
    }

    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput {
        let date = self
            .cell(row, Field::Date)
            .and_then(|d| match parse_date(d, self.locale) {
                Ok(d) => Some(d),
                Err(why) => {
                    issues.push(RecordIssue::new(ErrorCode::InvalidValue, "date", d, &why));
                    None
                }
            });
        let spend = match self.col(Field::Spend) {
            Some(_) => self.num(row, Field::Spend, issues),
            None => self
                .num(row, Field::SpendMicros, issues)
                .map(|m| m / 1_000_000.0),
        };
        let currency = self.currency(row, issues);
        let impressions = self.num(row, Field::Impressions, issues);
        let clicks = self.num(row, Field::Clicks, issues);
        self.check_ctr(row, impressions, clicks);
        let text = |f: Field| {
            self.cell(row, f)
                .and_then(|t| clean_text(t, self.spec.strip_tco))
        };
        let network = match self.cell(row, Field::Channel) {
            None => self.spec.network,
            Some(c) => channel_network(c).unwrap_or_else(|| {
                issues.push(RecordIssue::new(
                    ErrorCode::UnknownValue,
                    "platform",
                    c,
                    "the channel names no known ad network",
                ));
                self.spec.network
            }),
        };
        RecordInput {
            account_id: Some(
                self.cell(row, Field::Account)
                    .map_or_else(|| self.spec.account_default.clone(), str::to_string),
            ),
            campaign_id: self.cell(row, Field::Campaign).map(str::to_string),
            platform: Some(network.as_str().to_string()),
            currency,
            date,
            headline: text(Field::Headline),
            body: text(Field::Body),
            impressions,
            clicks,
            spend,
            conversions: self.num(row, Field::Conversions, issues),
            revenue: self.num(row, Field::Revenue, issues),
            engagements: self.num(row, Field::Engagements, issues),
            video_views: self.num(row, Field::VideoViews, issues),
            ..RecordInput::default()
        }
    }

    fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let (n @ 1.., Some(first)) = &self.ctr_mismatch {
            w.push(format!(
                "{n} row(s) have a CTR column that disagrees with clicks / impressions (first: \
                 {first:?}); clicks and impressions were used"
            ));
        }
        if self.ambiguous_sign > 0 {
            w.push(format!(
                "{} row(s) show money with '$' or '¥' and no currency column: their currency is \
                 not recorded (add a currency column, or a mapping's currency_code)",
                self.ambiguous_sign
            ));
        }
        w
    }

    fn id_parts(&self, row: &Row<'_>) -> Option<IdParts> {
        Some(IdParts {
            prefix: self.spec.prefix,
            ad_id: self.cell(row, Field::AdId).map(|a| {
                // LinkedIn API pivots are URNs (`urn:li:sponsoredCreative:123`): keep the number.
                a.rsplit(':').next().unwrap_or(a).to_string()
            }),
            hash_text: true,
        })
    }
}

/// Whether a header is a given spec's: its signature columns are all present.
pub(crate) fn matches(header: &[&str], signature: &[&[&str]]) -> bool {
    let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
    signature
        .iter()
        .all(|alts| alts.iter().any(|a| normed.contains(&norm(a))))
}

/// Signature of a Microsoft Advertising report: an ad id, impressions and spend, plus a column
/// only its reports have.
pub(crate) const BING_SIGNATURE: &[&[&str]] = &[
    &["AdId", "Ad ID"],
    &["Impressions", "Impr."],
    &["Spend"],
    &[
        "TimePeriod",
        "Gregorian date",
        "CurrencyCode",
        "Currency code",
        "AdTitle",
        "AdDescription",
        "Ad description",
        "Title part 1",
    ],
];

/// Signature of an X report: the post's id or text, and impressions.
pub(crate) const X_SIGNATURE: &[&[&str]] = &[
    &[
        "Tweet ID",
        "Post ID",
        "Tweet text",
        "Post text",
        "promoted_tweet_id",
        "billed_charge_local_micro",
    ],
    &["Impressions"],
];

/// Signature of a LinkedIn report: its creative columns or API names, and impressions.
pub(crate) const LINKEDIN_SIGNATURE: &[&[&str]] = &[
    &[
        "Ad Introduction Text",
        "Ad Headline",
        "Creative ID",
        "costInLocalCurrency",
        "cost_in_local_currency",
        "Total Spent",
    ],
    &["Impressions"],
];
