//! Strict record validation, batch-friendly.
//!
//! [`validate_record`] checks one [`RecordInput`] and returns either a [`CreativeRecord`] or
//! *every* problem found (not just the first), each naming the field and the rejected value.
//! [`validate_records`] does this for a batch and additionally rejects a repeated `record_id`; the
//! report lists accepted records and rejected ones with their batch index and reasons.
//!
//! Rules:
//! - `record_id`, `account_id`: present, non-empty, at most 128 characters.
//! - `platform`: present and one of `meta`, `tiktok`, `google_ads` (`unknown` is rejected: a record
//!   must say where it ran).
//! - `date`, `date_end`: calendar dates `YYYY-MM-DD`; `date_end >= date`; `date_end` needs `date`.
//! - vocabulary fields: known terms only ([`super::vocab`]); absent = `unknown`; no repeated tag.
//! - `duration_s`: finite, `0 < d <= 600` ([`MAX_DURATION_S`]); not allowed for `image`/`text`.
//! - `posting_hour`: an integer 0-23.
//! - counts (`impressions`, `clicks`, `conversions`, `engagements`, `video_views`): finite,
//!   non-negative integers no larger than 2^53; money (`spend`, `revenue`): finite, non-negative.
//! - `clicks <= impressions`; `conversions <= clicks` when the conversion scope is click-through
//!   (explicit, or the platform's default: Google Ads; see [`crate::record::ConversionScope`]).
//! - `headline`, `body`: at most [`MAX_COPY_CHARS`] characters each.
//! - `daily`: each day valid as above, strictly ascending dates inside the record's range; the
//!   count sums equal the totals exactly and money sums within 0.01 per day. A series without
//!   `date` sets the range from its first and last day.

use super::checker::Checker;
use super::{AdFormat, CreativeRecord, CtaStyle, HookType, RecordInput, RecordSource};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Longest accepted video duration, in seconds.
pub const MAX_DURATION_S: f64 = 600.0;
/// Longest accepted headline or body, in characters.
pub const MAX_COPY_CHARS: usize = 10_000;
/// Largest accepted count: integers above 2^53 are not exact in `f64` (and in JS).
pub const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// One reason a record was rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct RecordIssue {
    /// Stable machine-readable code ([`ErrorCode::as_str`]), e.g. `invalid_value`.
    pub code: String,
    /// The field as a dotted path, e.g. `clicks` or `daily[3].date`.
    pub field: String,
    /// The rejected value as text (empty when the value is missing).
    pub value: String,
    /// Why it was rejected.
    pub message: String,
}

impl RecordIssue {
    /// An issue from parts.
    pub fn new(code: ErrorCode, field: &str, value: impl Into<String>, message: &str) -> Self {
        RecordIssue {
            code: code.as_str().to_string(),
            field: field.to_string(),
            value: value.into(),
            message: message.to_string(),
        }
    }

    pub(super) fn from_error(e: Error, value: &str) -> Self {
        RecordIssue {
            code: e.code.as_str().to_string(),
            field: e.field.unwrap_or_default(),
            value: value.to_string(),
            message: e.message,
        }
    }
}

/// A record that was not accepted, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct RejectedRecord {
    /// Position in the input batch (0-based).
    pub index: usize,
    /// 1-based line in the source text, when the batch came from a file.
    pub line: Option<u64>,
    /// The record's id, when it had one.
    pub record_id: Option<String>,
    /// Every problem found.
    pub issues: Vec<RecordIssue>,
}

/// The outcome of validating a batch: good records are never lost because of bad ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ValidationReport {
    /// Records that passed, in input order.
    pub accepted: Vec<CreativeRecord>,
    /// Records that failed, in input order.
    pub rejected: Vec<RejectedRecord>,
}

/// Validate a batch. `source` is stamped on every accepted record.
pub fn validate_records(inputs: &[RecordInput], source: RecordSource) -> ValidationReport {
    let mut report = ValidationReport::default();
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, input) in inputs.iter().enumerate() {
        let id = input.record_id.as_deref();
        let duplicate = id.is_some_and(|id| !id.is_empty() && !seen.insert(id));
        match (validate_record(input, source), duplicate) {
            (Ok(rec), false) => report.accepted.push(rec),
            (result, dup) => {
                let mut issues = result.err().unwrap_or_default();
                if dup {
                    issues.push(RecordIssue::new(
                        ErrorCode::Duplicate,
                        "record_id",
                        id.unwrap_or_default(),
                        "record_id repeats an earlier record in this batch",
                    ));
                }
                report.rejected.push(RejectedRecord {
                    index,
                    line: None,
                    record_id: id.map(str::to_string),
                    issues,
                });
            }
        }
    }
    report
}

/// Validate a JSON array of record objects. Each element is decoded on its own, so an element
/// that is not even a record object (wrong type, unknown field) is rejected alone.
/// Errors only when the text is not a JSON array.
pub fn validate_json_records(json: &str, source: RecordSource) -> Result<ValidationReport> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        Error::general(
            ErrorCode::Malformed,
            format!("expected a JSON array of records: {e}"),
        )
    })?;
    Ok(validate_json_values(values, source))
}

/// Validate already-parsed JSON values as records (what [`validate_json_records`] does after
/// parsing; the JS bindings pass JS arrays here). Each element is decoded on its own, so an
/// element that is not a record object is rejected alone, with its index.
pub fn validate_json_values(
    values: Vec<serde_json::Value>,
    source: RecordSource,
) -> ValidationReport {
    let mut inputs = Vec::with_capacity(values.len());
    let mut undecodable = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        let id = v
            .get("record_id")
            .and_then(|x| x.as_str())
            .map(str::to_string);
        match serde_json::from_value::<RecordInput>(v) {
            Ok(input) => inputs.push((i, input)),
            Err(e) => undecodable.push(RejectedRecord {
                index: i,
                line: None,
                record_id: id,
                issues: vec![RecordIssue::new(
                    ErrorCode::Malformed,
                    "",
                    "",
                    &format!("not a record object: {e}"),
                )],
            }),
        }
    }
    let (positions, inputs): (Vec<usize>, Vec<RecordInput>) = inputs.into_iter().unzip();
    let mut report = validate_records(&inputs, source);
    for r in &mut report.rejected {
        r.index = positions[r.index];
    }
    report.rejected.extend(undecodable);
    report.rejected.sort_by_key(|r| r.index);
    report
}

/// Validate one record, returning every issue found.
pub fn validate_record(
    input: &RecordInput,
    source: RecordSource,
) -> std::result::Result<CreativeRecord, Vec<RecordIssue>> {
    let mut c = Checker::default();
    let record_id = c.id("record_id", input.record_id.as_deref());
    let account_id = c.id("account_id", input.account_id.as_deref());
    let campaign_id = input.campaign_id.clone().filter(|s| !s.trim().is_empty());
    let (platform, network) = c.platform(input.platform.as_deref());
    let currency = c.currency(input.currency.as_deref());
    let (mut date_start, mut date_end) = c.dates(input.date.as_deref(), input.date_end.as_deref());
    let niche = c
        .term::<Niche>("niche", input.niche.as_deref())
        .filter(|n| *n != Niche::Unknown);
    let hook_type = c
        .term("hook_type", input.hook_type.as_deref())
        .unwrap_or(HookType::Unknown);
    let cta_style = c
        .term("cta_style", input.cta_style.as_deref())
        .unwrap_or(CtaStyle::Unknown);
    let format = c
        .term("format", input.format.as_deref())
        .unwrap_or(AdFormat::Unknown);
    let visual_tags = c.tags(input.visual_tags.as_deref().unwrap_or(&[]));
    let assignment = c
        .term("assignment", input.assignment.as_deref())
        .unwrap_or_default();
    let duration_s = c.duration(input.duration_s, format);
    let posting_hour = c.hour(input.posting_hour);
    let headline = c.copy_text("headline", input.headline.as_deref());
    let body = c.copy_text("body", input.body.as_deref());
    let impressions = c.required_count("impressions", input.impressions);
    let clicks = c.required_count("clicks", input.clicks);
    let conversions = c.count("conversions", input.conversions);
    let spend = c.required_money("spend", input.spend);
    let revenue = c.money("revenue", input.revenue);
    let engagements = c.count("engagements", input.engagements);
    let video_views = c.count("video_views", input.video_views);
    let scope = c.scope(input.conversion_scope.as_deref(), platform);
    c.funnel("", impressions, clicks, conversions, scope);
    let daily = match &input.daily {
        Some(days) => c.daily(days, (date_start.as_deref(), date_end.as_deref()), scope),
        None => Vec::new(),
    };
    if date_start.is_none() && !daily.is_empty() {
        date_start = daily.first().map(|d| d.date.clone());
        date_end = daily.last().map(|d| d.date.clone());
    }
    c.daily_sums(&daily, impressions, clicks, conversions, spend, revenue);
    if !c.issues.is_empty() {
        return Err(c.issues);
    }
    match (
        record_id,
        account_id,
        platform,
        impressions,
        clicks,
        spend,
        scope,
    ) {
        (
            Some(record_id),
            Some(account_id),
            Some(platform),
            Some(impressions),
            Some(clicks),
            Some(spend),
            Some(conversion_scope),
        ) => Ok(CreativeRecord {
            record_id,
            account_id,
            campaign_id,
            source,
            platform,
            network,
            currency,
            date_start,
            date_end,
            niche,
            hook_type,
            cta_style,
            visual_tags,
            format,
            duration_s,
            posting_hour,
            headline,
            body,
            impressions,
            clicks,
            conversions,
            conversion_scope,
            spend,
            revenue,
            engagements,
            video_views,
            daily,
            assignment,
        }),
        // Every `None` above pushed an issue, so this arm is unreachable in practice; keep it
        // total rather than panic.
        _ => Err(vec![RecordIssue::new(
            ErrorCode::MissingField,
            "",
            "",
            "a required field is missing",
        )]),
    }
}
