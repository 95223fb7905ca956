//! Column mappings of the supported CSV formats.
//!
//! Columns are resolved by name (and, for the Facebook export's duplicated names, by occurrence),
//! so a reordered export still maps correctly; a missing column is a file-level error.
//!
//! **Facebook export** (`src_ads_creative_facebook_all_data.csv`), platform `meta`:
//! `record_id` = `fb-<ad_id>-<date>-<copy hash>` (the rule in [`super::ids`]), `account_id` = `facebook-export`, `date` = `date`,
//! `headline` = `creative_title`, `body` = `creative_body`, `impressions` = `impressions`,
//! `clicks` = `clicks`, `conversions` = `purchase`, `revenue` = `purchase_value`, `spend` =
//! `spend`, `engagements` = `likes + comments + shares`, `video_views` = `views`. The five
//! duplicated columns (`clicks`, `comments`, `shares`, `views`, `purchase`) are read at both
//! positions and a row whose copies disagree is rejected.
//!
//! **TikTok export** (`src_ads_tiktok_ads_all_data.csv`), platform `tiktok`, format `video`:
//! `record_id` = `tt-<ad_id>-<date>-<copy hash>`, `account_id` = `tiktok-export`, `date` = `date`, `body` =
//! `ad_text`, `impressions`, `clicks`, `conversions` = `conversions`, `spend`, `video_views` =
//! `video_views`.
//!
//! **KAG conversion data** (`KAG_conversion_data.csv`), platform `meta`: `record_id` =
//! `kag-<ad_id>`, `account_id` = `kag-xyz` (one advertiser), `campaign_id` = `xyz_campaign_id`,
//! `impressions` = `Impressions`, `clicks` = `Clicks`, `spend` = `Spent`, `conversions` =
//! `Total_Conversion` (includes view-through: it exceeds clicks in 218 rows).

use super::ids::IdParts;
use super::{ImportFormat, Row, RowMapper};
use crate::error::{Error, ErrorCode, Result};
use crate::record::{RecordInput, RecordIssue};

/// What each format cannot provide; shown in [`super::ImportReport::unrecoverable`].
pub fn unrecoverable(format: ImportFormat) -> &'static [&'static str] {
    match format {
        ImportFormat::FacebookExport => &[
            "account and campaign: ad_id/adset_id/campaign_id/creative_id are one scrambled number (1-50) per row, not join keys; every row is its own record under account 'facebook-export'",
            "per-creative history: (ad_id, date) is not unique, so rows of one creative cannot be linked across days",
            "niche, format, visual tags, duration, posting hour: not in the export",
            "hook type and CTA style: read from the copy by the extractor, not declared",
            "money is integer-rounded (spend, purchase_value)",
            "not mapped: add_to_cart, mobile_app_install, complete_registration, inline_link_clicks, objective, buying_type, campaign_type",
        ],
        ImportFormat::TiktokExport => &[
            "account and campaign: ad_id/adgroup_id/campaign_id are one scrambled number (1-50) per row, not join keys; every row is its own record under account 'tiktok-export'",
            "per-creative history: (ad_id, date) is not unique, so rows of one creative cannot be linked across days",
            "revenue and engagements: not in the export",
            "niche, visual tags, duration, posting hour, headline: not in the export; format is assumed video",
            "hook type and CTA style: read from the copy by the extractor, not declared",
            "spend is integer-rounded",
            "not mapped: add_to_cart, rt_installs, skan_app_install, skan_conversion, purchase, registrations, ad_status",
        ],
        ImportFormat::KagConversion => &[
            "dates: the file has no date column",
            "copy: no headline or body, so hook type and CTA style are unknown",
            "niche, format, visual tags, duration, posting hour, revenue, engagements: not in the file",
            "not mapped: fb_campaign_id, age, gender, interest (audience, not creative), Approved_Conversion",
        ],
        ImportFormat::Generic => &["per-day series: not expressible in CSV (use JSON records)"],
        ImportFormat::MicrosoftAds => &[
            "platform class google_ads (search); the record keeps network microsoft_ads, which has no benchmark row (docs/normalizer.md)",
            "engagements and video views: not in search ad reports",
            "niche, format, visual tags, duration, posting hour: not in the report",
            "hook type and CTA style: read from the ad title and description, not declared",
        ],
        ImportFormat::XAds => &[
            "platform class meta (social feed); the record keeps network x, which has no benchmark row (docs/normalizer.md)",
            "copy: the post text only (no headline); t.co links are dropped and text truncated by the export stays truncated",
            "clicks are X's 'Clicks' (every click on the post, as the Facebook export's clicks), not link clicks",
            "revenue: not in the export; niche, format, visual tags, duration, posting hour: not in the export",
        ],
        ImportFormat::LinkedinAds => &[
            "platform class meta (social feed); the record keeps network linkedin, which has no benchmark row (docs/normalizer.md)",
            "revenue: not in the export; niche, format, visual tags, duration, posting hour: not in the export",
            "hook type and CTA style: read from the headline and introduction text, not declared",
        ],
        ImportFormat::Mcdm => &[
            "account: MCDM has no account column; every row is under account 'mcdm-export' (a push puts them in the account of its URL)",
            "copy: MCDM has no headline or body, so hook type and CTA style are unknown and niches are not detected",
            "currency: MCDM has no currency column",
            "one record per row (ad and day); spend and revenue are whole units as MCDM types them",
        ],
        ImportFormat::Mapped => &[
            "only the columns named in the mapping are read; niche, format, visual tags, duration and posting hour are not mapped",
        ],
    }
}

fn missing(name: &str) -> Error {
    Error::general(
        ErrorCode::Malformed,
        format!("the header has no '{name}' column"),
    )
}

/// Index of the `nth` (0-based) column called `name`.
fn col(header: &[&str], name: &str, nth: usize) -> Result<usize> {
    header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.trim() == name)
        .nth(nth)
        .map(|(i, _)| i)
        .ok_or_else(|| missing(name))
}

fn text(row: &Row<'_>, c: usize) -> Option<String> {
    let t = row.fields[c].trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Parse a numeric cell; empty = `None`; unparsable = an issue naming the field and column.
fn num(
    row: &Row<'_>,
    c: usize,
    field: &str,
    column: &str,
    issues: &mut Vec<RecordIssue>,
) -> Option<f64> {
    let t = row.fields[c].trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) => Some(v),
        Err(_) => {
            issues.push(RecordIssue::new(
                ErrorCode::Malformed,
                field,
                t,
                &format!("column '{column}' is not a number"),
            ));
            None
        }
    }
}

/// Facebook ads export.
pub(crate) struct Facebook {
    ad_id: usize,
    date: usize,
    title: usize,
    body: usize,
    impressions: usize,
    spend: usize,
    purchase_value: usize,
    likes: usize,
    /// (name, first position, second position) of the duplicated columns.
    dups: [(&'static str, usize, usize); 5],
}

impl Facebook {
    pub(crate) fn new(h: &[&str]) -> Result<Self> {
        let pair = |n: &'static str| Ok::<_, Error>((n, col(h, n, 0)?, col(h, n, 1)?));
        Ok(Facebook {
            ad_id: col(h, "ad_id", 0)?,
            date: col(h, "date", 0)?,
            title: col(h, "creative_title", 0)?,
            body: col(h, "creative_body", 0)?,
            impressions: col(h, "impressions", 0)?,
            spend: col(h, "spend", 0)?,
            purchase_value: col(h, "purchase_value", 0)?,
            likes: col(h, "likes", 0)?,
            dups: [
                pair("clicks")?,
                pair("comments")?,
                pair("shares")?,
                pair("views")?,
                pair("purchase")?,
            ],
        })
    }
}

impl RowMapper for Facebook {
    fn id_parts(&self, row: &Row<'_>) -> Option<IdParts> {
        Some(IdParts {
            prefix: "fb",
            ad_id: text(row, self.ad_id),
            hash_text: true,
        })
    }

    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput {
        let mut d = [None; 5];
        for (k, &(name, a, b)) in self.dups.iter().enumerate() {
            let (x, y) = (
                num(row, a, name, name, issues),
                num(row, b, name, name, issues),
            );
            if x != y {
                issues.push(RecordIssue::new(
                    ErrorCode::InvalidValue,
                    name,
                    format!("{} / {}", row.fields[a].trim(), row.fields[b].trim()),
                    &format!(
                        "the two '{name}' columns (positions {} and {}) disagree",
                        a + 1,
                        b + 1
                    ),
                ));
            }
            d[k] = x;
        }
        let [clicks, comments, shares, views, purchase] = d;
        let likes = num(row, self.likes, "engagements", "likes", issues);
        let engagements = match (likes, comments, shares) {
            (Some(l), Some(c), Some(s)) => Some(l + c + s),
            _ => None,
        };
        RecordInput {
            account_id: Some("facebook-export".into()),
            platform: Some("meta".into()),
            date: text(row, self.date),
            headline: text(row, self.title),
            body: text(row, self.body),
            impressions: num(row, self.impressions, "impressions", "impressions", issues),
            clicks,
            conversions: purchase,
            spend: num(row, self.spend, "spend", "spend", issues),
            revenue: num(
                row,
                self.purchase_value,
                "revenue",
                "purchase_value",
                issues,
            ),
            engagements,
            video_views: views,
            ..RecordInput::default()
        }
    }
}

/// TikTok ads export.
pub(crate) struct Tiktok {
    ad_id: usize,
    date: usize,
    text: usize,
    impressions: usize,
    clicks: usize,
    conversions: usize,
    spend: usize,
    video_views: usize,
}

impl Tiktok {
    pub(crate) fn new(h: &[&str]) -> Result<Self> {
        Ok(Tiktok {
            ad_id: col(h, "ad_id", 0)?,
            date: col(h, "date", 0)?,
            text: col(h, "ad_text", 0)?,
            impressions: col(h, "impressions", 0)?,
            clicks: col(h, "clicks", 0)?,
            conversions: col(h, "conversions", 0)?,
            spend: col(h, "spend", 0)?,
            video_views: col(h, "video_views", 0)?,
        })
    }
}

impl RowMapper for Tiktok {
    fn id_parts(&self, row: &Row<'_>) -> Option<IdParts> {
        Some(IdParts {
            prefix: "tt",
            ad_id: text(row, self.ad_id),
            hash_text: true,
        })
    }

    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput {
        RecordInput {
            account_id: Some("tiktok-export".into()),
            platform: Some("tiktok".into()),
            format: Some("video".into()),
            date: text(row, self.date),
            body: text(row, self.text),
            impressions: num(row, self.impressions, "impressions", "impressions", issues),
            clicks: num(row, self.clicks, "clicks", "clicks", issues),
            conversions: num(row, self.conversions, "conversions", "conversions", issues),
            spend: num(row, self.spend, "spend", "spend", issues),
            video_views: num(row, self.video_views, "video_views", "video_views", issues),
            ..RecordInput::default()
        }
    }
}

/// KAG_conversion_data.csv.
pub(crate) struct Kag {
    ad_id: usize,
    campaign: usize,
    impressions: usize,
    clicks: usize,
    spent: usize,
    conversions: usize,
}

impl Kag {
    pub(crate) fn new(h: &[&str]) -> Result<Self> {
        Ok(Kag {
            ad_id: col(h, "ad_id", 0)?,
            campaign: col(h, "xyz_campaign_id", 0)?,
            impressions: col(h, "Impressions", 0)?,
            clicks: col(h, "Clicks", 0)?,
            spent: col(h, "Spent", 0)?,
            conversions: col(h, "Total_Conversion", 0)?,
        })
    }
}

impl RowMapper for Kag {
    fn id_parts(&self, row: &Row<'_>) -> Option<IdParts> {
        Some(IdParts {
            prefix: "kag",
            ad_id: text(row, self.ad_id),
            hash_text: false,
        })
    }

    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput {
        RecordInput {
            account_id: Some("kag-xyz".into()),
            campaign_id: text(row, self.campaign),
            platform: Some("meta".into()),
            impressions: num(row, self.impressions, "impressions", "Impressions", issues),
            clicks: num(row, self.clicks, "clicks", "Clicks", issues),
            spend: num(row, self.spent, "spend", "Spent", issues),
            conversions: num(
                row,
                self.conversions,
                "conversions",
                "Total_Conversion",
                issues,
            ),
            ..RecordInput::default()
        }
    }
}

/// The generic format's columns.
const GENERIC_TEXT: &[&str] = &[
    "record_id",
    "account_id",
    "campaign_id",
    "platform",
    "date",
    "date_end",
    "niche",
    "hook_type",
    "cta_style",
    "visual_tags",
    "format",
    "headline",
    "body",
    "conversion_scope",
    "assignment",
];
const GENERIC_NUM: &[&str] = &[
    "duration_s",
    "posting_hour",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "engagements",
    "video_views",
];
const GENERIC_REQUIRED: &[&str] = &[
    "record_id",
    "account_id",
    "platform",
    "impressions",
    "clicks",
    "spend",
];

/// The generic format: columns named after [`RecordInput`] fields.
pub(crate) struct Generic {
    /// Column index of each known field (by field name), `None` when absent.
    cols: Vec<(&'static str, usize)>,
}

impl Generic {
    pub(crate) fn new(h: &[&str]) -> Result<(Self, Vec<String>)> {
        let mut cols = Vec::new();
        let mut warnings = Vec::new();
        for (i, name) in h.iter().enumerate() {
            let name = name.trim();
            if h.iter().filter(|x| x.trim() == name).count() > 1 {
                return Err(Error::general(
                    ErrorCode::Duplicate,
                    format!("column '{name}' appears more than once"),
                ));
            }
            match GENERIC_TEXT.iter().chain(GENERIC_NUM).find(|f| **f == name) {
                Some(f) => cols.push((*f, i)),
                None => warnings.push(format!(
                    "column {} ('{name}') is not a record field and was ignored",
                    i + 1
                )),
            }
        }
        for req in GENERIC_REQUIRED {
            if !cols.iter().any(|(f, _)| f == req) {
                return Err(missing(req));
            }
        }
        Ok((Generic { cols }, warnings))
    }
}

impl RowMapper for Generic {
    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput {
        let mut r = RecordInput::default();
        for &(field, c) in &self.cols {
            if GENERIC_NUM.contains(&field) {
                let v = num(row, c, field, field, issues);
                match field {
                    "duration_s" => r.duration_s = v,
                    "posting_hour" => r.posting_hour = v,
                    "impressions" => r.impressions = v,
                    "clicks" => r.clicks = v,
                    "conversions" => r.conversions = v,
                    "spend" => r.spend = v,
                    "revenue" => r.revenue = v,
                    "engagements" => r.engagements = v,
                    _ => r.video_views = v,
                }
                continue;
            }
            let v = text(row, c);
            match field {
                "record_id" => r.record_id = v,
                "account_id" => r.account_id = v,
                "campaign_id" => r.campaign_id = v,
                "platform" => r.platform = v,
                "date" => r.date = v,
                "date_end" => r.date_end = v,
                "niche" => r.niche = v,
                "hook_type" => r.hook_type = v,
                "cta_style" => r.cta_style = v,
                "format" => r.format = v,
                "headline" => r.headline = v,
                "body" => r.body = v,
                "conversion_scope" => r.conversion_scope = v,
                "assignment" => r.assignment = v,
                _ => {
                    r.visual_tags = v.map(|s| {
                        s.split('|')
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                }
            }
        }
        r
    }
}
