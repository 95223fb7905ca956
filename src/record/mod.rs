//! Creative performance records: the unit of data the whole system learns from.
//!
//! A [`CreativeRecord`] is one creative (ad) on one platform over a date or date range: who ran it
//! (account, optional campaign), what it was (declared niche, hook type, CTA style, visual tags,
//! format, duration, posting hour, headline and body copy) and what it did (impressions, clicks,
//! conversions, spend, revenue, engagements, video views; optionally a per-day series).
//!
//! Records only exist in validated form. External input arrives as a [`RecordInput`] (loose types:
//! strings for vocabulary terms, `f64` for counts, everything optional) from JSON, JS or CSV, and
//! [`validate_records`] turns a batch of inputs into accepted records plus rejected ones with every
//! reason, so one bad record never invalidates the good ones (see [`validate`] for the rules).
//!
//! Counts are `u64`, money is `f64` in the account's currency, rates are never stored (CTR =
//! clicks / impressions is derived). `source` says where a record came from; simulated records are
//! always `source: "simulated"`.

mod checker;
mod date;
pub mod validate;
pub mod vocab;

pub use date::{format_day, iso_utc, parse_day};
pub use validate::{
    validate_json_records, validate_json_values, validate_records, RecordIssue, RejectedRecord,
    ValidationReport,
};
pub use vocab::{AdFormat, Assignment, CtaStyle, HookType, VisualTag};

use crate::network::AdNetwork;
use crate::niche::Niche;
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

/// Where a record came from. Shown wherever records are shown, so simulated data is never
/// mistaken for real data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum RecordSource {
    /// Entered or posted by a user or API client.
    User,
    /// Imported from the Facebook (Meta) ads export format.
    FacebookExport,
    /// Imported from the TikTok ads export format.
    TiktokExport,
    /// Imported from the Kaggle `KAG_conversion_data.csv` format.
    KagConversion,
    /// Imported from the documented generic CSV format.
    GenericCsv,
    /// Imported from a Microsoft Advertising (Bing) report.
    MicrosoftAdsExport,
    /// Imported from an X (Twitter) Ads export.
    XExport,
    /// Imported from a LinkedIn ad performance export.
    LinkedinExport,
    /// Imported from an export in no known shape through a column mapping.
    MappedCsv,
    /// Imported from an MCDM `paid_ads__basic_performance` table.
    Mcdm,
    /// Produced by the simulator ([`crate::sim`]): not real data.
    Simulated,
}

/// Which conversions the `conversions` count includes. This decides whether
/// `conversions <= clicks` is enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum ConversionScope {
    /// Only conversions after a click: `conversions <= clicks` must hold. Google Ads' default.
    ClickThrough,
    /// Also view-through conversions (no click), so conversions may exceed clicks. The default
    /// attribution of Meta (7-day click, 1-day view) and TikTok.
    IncludesViewThrough,
}

impl ConversionScope {
    /// The platform's default attribution scope.
    pub fn default_for(platform: Platform) -> Self {
        match platform {
            Platform::GoogleAds => ConversionScope::ClickThrough,
            _ => ConversionScope::IncludesViewThrough,
        }
    }
}

/// A validated creative performance record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct CreativeRecord {
    /// Unique id of the record within its batch (opaque).
    pub record_id: String,
    /// The advertiser account (opaque).
    pub account_id: String,
    /// The campaign, when known (opaque).
    pub campaign_id: Option<String>,
    /// Where the record came from.
    pub source: RecordSource,
    /// The platform class the creative ran on (never `unknown`); for a network beyond the three
    /// classes, the class it maps onto ([`crate::network`]).
    pub platform: Platform,
    /// The ad network, when it is not the class itself (`microsoft_ads`, `x`, `linkedin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<AdNetwork>,
    /// ISO 4217 code of `spend` and `revenue`, when the source states it. Records of one
    /// account in different currencies are never summed silently (see docs/data-layer.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// First day (`YYYY-MM-DD`), when known.
    pub date_start: Option<String>,
    /// Last day (`YYYY-MM-DD`, inclusive; equals `date_start` for a single day), when known.
    pub date_end: Option<String>,
    /// The niche the advertiser declared, when declared (detection is separate).
    pub niche: Option<Niche>,
    /// How the creative opens.
    pub hook_type: HookType,
    /// The call to action.
    pub cta_style: CtaStyle,
    /// Visual patterns present (no duplicates; empty when none are known).
    pub visual_tags: Vec<VisualTag>,
    /// Creative format.
    pub format: AdFormat,
    /// Video duration in seconds (0 < d <= 600), when a video and known.
    pub duration_s: Option<f64>,
    /// Hour of day the creative was posted or started delivering (0-23, account time), when known.
    pub posting_hour: Option<u8>,
    /// Headline (may be empty).
    pub headline: String,
    /// Body / primary text (may be empty).
    pub body: String,
    /// Impressions served.
    pub impressions: u64,
    /// Clicks (<= impressions).
    pub clicks: u64,
    /// Conversions, when tracked.
    pub conversions: Option<u64>,
    /// What `conversions` includes.
    pub conversion_scope: ConversionScope,
    /// Spend in currency units.
    pub spend: f64,
    /// Attributed revenue in currency units, when tracked.
    pub revenue: Option<f64>,
    /// Engagements (likes + comments + shares), when reported.
    pub engagements: Option<u64>,
    /// Video views as the platform counts them, when reported (may exceed impressions on TikTok).
    pub video_views: Option<u64>,
    /// Optional per-day series; when present its sums equal the totals above.
    pub daily: Vec<DailyOutcome>,
    /// How the attributes were decided: `chosen` (default, not serialised) or `randomised`.
    #[serde(default, skip_serializing_if = "Assignment::is_chosen")]
    pub assignment: Assignment,
}

impl CreativeRecord {
    /// Clicks / impressions, or `None` without impressions.
    pub fn ctr(&self) -> Option<f64> {
        (self.impressions > 0).then(|| self.clicks as f64 / self.impressions as f64)
    }
}

/// One day of a record's delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct DailyOutcome {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Impressions that day.
    pub impressions: u64,
    /// Clicks that day.
    pub clicks: u64,
    /// Conversions that day, when tracked.
    pub conversions: Option<u64>,
    /// Spend that day.
    pub spend: f64,
    /// Revenue that day, when tracked.
    pub revenue: Option<f64>,
}

/// A record as it arrives from outside, before validation: every field optional, vocabulary terms
/// as strings, counts as numbers. Field names match [`CreativeRecord`] (and the generic CSV
/// columns), except `date`/`date_end` for the date or range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct RecordInput {
    /// Required, non-empty.
    pub record_id: Option<String>,
    /// Required, non-empty.
    pub account_id: Option<String>,
    /// Optional.
    pub campaign_id: Option<String>,
    /// Required: `meta`, `tiktok` or `google_ads` (aliases `facebook`, `google`), or a network
    /// beyond them, `microsoft_ads` (`bing`), `x` (`twitter`), `linkedin`, stored under its class.
    pub platform: Option<String>,
    /// ISO 4217 code of `spend`/`revenue` (three letters), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The day, or the first day of a range (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The last day of a range (inclusive); requires `date`.
    pub date_end: Option<String>,
    /// A niche name, or `unknown`.
    pub niche: Option<String>,
    /// A [`HookType`] term; absent = `unknown`.
    pub hook_type: Option<String>,
    /// A [`CtaStyle`] term; absent = `unknown`.
    pub cta_style: Option<String>,
    /// [`VisualTag`] terms.
    pub visual_tags: Option<Vec<String>>,
    /// An [`AdFormat`] term; absent = `unknown`.
    pub format: Option<String>,
    /// Seconds.
    pub duration_s: Option<f64>,
    /// 0-23.
    pub posting_hour: Option<f64>,
    /// Headline text.
    pub headline: Option<String>,
    /// Body text.
    pub body: Option<String>,
    /// Required count.
    pub impressions: Option<f64>,
    /// Required count.
    pub clicks: Option<f64>,
    /// Optional count.
    pub conversions: Option<f64>,
    /// `click_through` or `includes_view_through`; absent = the platform's default.
    pub conversion_scope: Option<String>,
    /// Required money amount.
    pub spend: Option<f64>,
    /// Optional money amount.
    pub revenue: Option<f64>,
    /// Optional count.
    pub engagements: Option<f64>,
    /// Optional count.
    pub video_views: Option<f64>,
    /// Optional per-day series.
    pub daily: Option<Vec<DailyInput>>,
    /// `chosen` or `randomised` (an [`Assignment`] term); absent = `chosen`.
    pub assignment: Option<String>,
}

/// One day of a [`RecordInput`]'s series, before validation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct DailyInput {
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Count.
    pub impressions: Option<f64>,
    /// Count.
    pub clicks: Option<f64>,
    /// Optional count.
    pub conversions: Option<f64>,
    /// Money.
    pub spend: Option<f64>,
    /// Optional money.
    pub revenue: Option<f64>,
}

impl From<&CreativeRecord> for RecordInput {
    /// The input that validates back to the same record (given the same source).
    fn from(r: &CreativeRecord) -> Self {
        RecordInput {
            record_id: Some(r.record_id.clone()),
            account_id: Some(r.account_id.clone()),
            campaign_id: r.campaign_id.clone(),
            platform: Some(
                r.network
                    .map_or(r.platform.as_str(), AdNetwork::as_str)
                    .to_string(),
            ),
            currency: r.currency.clone(),
            date: r.date_start.clone(),
            date_end: r.date_end.clone(),
            niche: r.niche.map(|n| n.as_str().to_string()),
            hook_type: Some(r.hook_type.as_str().to_string()),
            cta_style: Some(r.cta_style.as_str().to_string()),
            visual_tags: Some(
                r.visual_tags
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect(),
            ),
            format: Some(r.format.as_str().to_string()),
            duration_s: r.duration_s,
            posting_hour: r.posting_hour.map(f64::from),
            headline: Some(r.headline.clone()),
            body: Some(r.body.clone()),
            impressions: Some(r.impressions as f64),
            clicks: Some(r.clicks as f64),
            conversions: r.conversions.map(|v| v as f64),
            conversion_scope: Some(
                match r.conversion_scope {
                    ConversionScope::ClickThrough => "click_through",
                    ConversionScope::IncludesViewThrough => "includes_view_through",
                }
                .to_string(),
            ),
            spend: Some(r.spend),
            revenue: r.revenue,
            engagements: r.engagements.map(|v| v as f64),
            video_views: r.video_views.map(|v| v as f64),
            daily: (!r.daily.is_empty()).then(|| {
                r.daily
                    .iter()
                    .map(|d| DailyInput {
                        date: Some(d.date.clone()),
                        impressions: Some(d.impressions as f64),
                        clicks: Some(d.clicks as f64),
                        conversions: d.conversions.map(|v| v as f64),
                        spend: Some(d.spend),
                        revenue: d.revenue,
                    })
                    .collect()
            }),
            assignment: (!r.assignment.is_chosen()).then(|| r.assignment.as_str().to_string()),
        }
    }
}
