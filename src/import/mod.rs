//! CSV import: real platform exports and a documented generic format, auto-detected.
//!
//! The core does no file I/O: callers pass the file's bytes ([`import_csv`]), the editor and the
//! Worker included. The format is detected from the header row ([`detect_format`]):
//!
//! | format | recognised by header columns |
//! |---|---|
//! | [`ImportFormat::FacebookExport`] | `creative_body` and `inline_link_clicks` |
//! | [`ImportFormat::TiktokExport`] | `ad_text` and `adgroup_id` |
//! | [`ImportFormat::KagConversion`] | `xyz_campaign_id` and `Approved_Conversion` |
//! | [`ImportFormat::Generic`] | `record_id` |
//!
//! Every data row becomes a [`RecordInput`] and goes through the same strict validation as any
//! other input ([`crate::record::validate`]); a row that fails (wrong field count, bytes that are
//! not UTF-8, an unparsable number, a failed rule) is listed in `rejected` with its 1-based line
//! number and every reason, and never stops the other rows. A UTF-8 byte-order mark is skipped;
//! CRLF and LF line ends are both accepted; quoted fields may span lines (line numbers are those
//! of the row's first line).
//!
//! Hook type and CTA style are not columns of the real exports: the importer reads them from the
//! copy with [`crate::copy`] (and leaves them `unknown` when a row has no copy). The column
//! mappings and what cannot be recovered from each export are in [`exports`] and
//! `docs/data-layer.md`.
//!
//! **Generic format**: a header row of [`RecordInput`] field names, in any order: required
//! `record_id`, `account_id`, `platform`, `impressions`, `clicks`, `spend`; optional `campaign_id`,
//! `date`, `date_end`, `niche`, `hook_type`, `cta_style`, `visual_tags` (terms separated by `|`),
//! `format`, `duration_s`, `posting_hour`, `headline`, `body`, `conversions`, `conversion_scope`,
//! `revenue`, `engagements`, `video_views`. Empty cells are absent values; a column name that is
//! not one of these is reported in `warnings` and ignored. Without a `hook_type` or `cta_style`
//! value the importer reads it from `headline`/`body`, as for the exports. Per-day series are not expressible in
//! CSV (use JSON records); a repeated `record_id` is rejected.

pub mod exports;
mod ids;
pub mod mcdm;

use crate::copy::CopyExtractor;
use crate::error::{Error, ErrorCode, Result};
use crate::record::{
    validate::validate_record, CreativeRecord, RecordInput, RecordIssue, RecordSource,
    RejectedRecord,
};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A supported CSV format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum ImportFormat {
    /// Facebook (Meta) ads export, `src_ads_creative_facebook_all_data.csv` layout.
    FacebookExport,
    /// TikTok ads export, `src_ads_tiktok_ads_all_data.csv` layout.
    TiktokExport,
    /// Kaggle "clicks conversion tracking", `KAG_conversion_data.csv` layout.
    KagConversion,
    /// The documented generic format (module docs).
    Generic,
}

impl ImportFormat {
    /// The record source stamped on imported records.
    pub fn source(self) -> RecordSource {
        match self {
            ImportFormat::FacebookExport => RecordSource::FacebookExport,
            ImportFormat::TiktokExport => RecordSource::TiktokExport,
            ImportFormat::KagConversion => RecordSource::KagConversion,
            ImportFormat::Generic => RecordSource::GenericCsv,
        }
    }
}

/// The result of importing one CSV text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ImportReport {
    /// The detected (or requested) format.
    pub format: ImportFormat,
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Valid records, in file order.
    pub accepted: Vec<CreativeRecord>,
    /// Rows that were not accepted, with line numbers and reasons.
    pub rejected: Vec<RejectedRecord>,
    /// File-level remarks (ignored columns and similar).
    pub warnings: Vec<String>,
    /// What this format cannot provide (fields left empty or `unknown` for every row).
    pub unrecoverable: Vec<String>,
}

/// Detect the format from the header row's column names.
pub fn detect_format(header: &[&str]) -> Result<ImportFormat> {
    let has = |name: &str| header.iter().any(|h| h.trim() == name);
    if has("creative_body") && has("inline_link_clicks") {
        Ok(ImportFormat::FacebookExport)
    } else if has("ad_text") && has("adgroup_id") {
        Ok(ImportFormat::TiktokExport)
    } else if has("xyz_campaign_id") && has("Approved_Conversion") {
        Ok(ImportFormat::KagConversion)
    } else if has("record_id") {
        Ok(ImportFormat::Generic)
    } else {
        Err(Error::general(
            ErrorCode::Unsupported,
            format!(
                "unrecognised CSV header ({}); expected a Facebook or TikTok ads export, \
                 KAG_conversion_data.csv, or the generic format (a record_id column)",
                header.join(",")
            ),
        ))
    }
}

/// Import CSV bytes, detecting the format from the header. Fails only when the text has no
/// header or the header is not a supported format; row problems are reported in the result.
pub fn import_csv(bytes: &[u8]) -> Result<ImportReport> {
    import_impl(bytes, None)
}

/// Import CSV bytes in a given format (the header must still have that format's columns).
pub fn import_csv_as(bytes: &[u8], format: ImportFormat) -> Result<ImportReport> {
    import_impl(bytes, Some(format))
}

/// One data row, as text fields.
pub(crate) struct Row<'a> {
    pub(crate) fields: Vec<&'a str>,
}

/// Maps a row of one format to a record input, collecting parse issues.
pub(crate) trait RowMapper {
    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput;
    /// The identity parts the row's id is derived from ([`ids`]); `None` when the format
    /// carries its own `record_id` column.
    fn id_parts(&self, _row: &Row<'_>) -> Option<ids::IdParts> {
        None
    }
}

/// A data row after mapping, before validation.
enum Pending {
    /// Unreadable (malformed CSV, wrong field count, not UTF-8): already a rejection.
    Bad(RejectedRecord),
    /// Mapped, with the parse issues found so far.
    Mapped {
        index: usize,
        line: u64,
        input: Box<RecordInput>,
        issues: Vec<RecordIssue>,
    },
}

fn import_impl(bytes: &[u8], forced: Option<ImportFormat>) -> Result<ImportReport> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header_rec = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            return Err(Error::general(
                ErrorCode::Malformed,
                format!("unreadable CSV header: {e}"),
            ))
        }
        None => {
            return Err(Error::general(
                ErrorCode::EmptyInput,
                "the CSV text is empty",
            ))
        }
    };
    let header: Vec<&str> = header_rec
        .iter()
        .map(std::str::from_utf8)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::general(ErrorCode::Malformed, "the CSV header is not UTF-8"))?;
    let detected = detect_format(&header)?;
    let format = forced.unwrap_or(detected);
    if forced.is_some_and(|f| f != detected) {
        return Err(Error::general(
            ErrorCode::Unsupported,
            format!("the header is {detected:?}, not the requested {format:?}"),
        ));
    }
    let mut report = ImportReport {
        format,
        rows: 0,
        accepted: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
        unrecoverable: exports::unrecoverable(format)
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut mapper: Box<dyn RowMapper> = match format {
        ImportFormat::FacebookExport => Box::new(exports::Facebook::new(&header)?),
        ImportFormat::TiktokExport => Box::new(exports::Tiktok::new(&header)?),
        ImportFormat::KagConversion => Box::new(exports::Kag::new(&header)?),
        ImportFormat::Generic => {
            let (g, warnings) = exports::Generic::new(&header)?;
            report.warnings = warnings;
            Box::new(g)
        }
    };
    let mut lines = LineCounter::default();
    let mut extractor = CopyExtractor::new();
    let mut pending: Vec<Pending> = Vec::new();
    for (index, rec) in records.enumerate() {
        report.rows += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| lines.line_at(bytes, p.byte()));
                pending.push(Pending::Bad(reject(
                    index,
                    line,
                    None,
                    malformed(&format!("{e}")),
                )));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.line_at(bytes, p.byte()));
        if rec.len() != header.len() {
            let msg = format!("expected {} fields, got {}", header.len(), rec.len());
            pending.push(Pending::Bad(reject(
                index,
                Some(line),
                None,
                malformed(&msg),
            )));
            continue;
        }
        let mut fields = Vec::with_capacity(rec.len());
        let mut bad_utf8 = None;
        for (i, f) in rec.iter().enumerate() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s),
                Err(_) => {
                    bad_utf8 = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = bad_utf8 {
            let msg = format!("column {} ({}) is not valid UTF-8", i + 1, header[i]);
            pending.push(Pending::Bad(reject(
                index,
                Some(line),
                None,
                malformed(&msg),
            )));
            continue;
        }
        let row = Row { fields };
        let mut issues = Vec::new();
        let mut input = mapper.map(&row, &mut issues);
        fill_copy_attributes(&mut input, &mut extractor);
        if let Some(parts) = mapper.id_parts(&row) {
            input.record_id = Some(ids::base_id(&parts, &input));
        }
        pending.push(Pending::Mapped {
            index,
            line,
            input: Box::new(input),
            issues,
        });
    }
    if format != ImportFormat::Generic {
        let mut inputs: Vec<&mut RecordInput> = pending
            .iter_mut()
            .filter_map(|p| match p {
                Pending::Mapped { input, .. } => Some(&mut **input),
                Pending::Bad(_) => None,
            })
            .collect();
        ids::assign(&mut inputs);
    }
    let mut seen: HashSet<String> = HashSet::new();
    for p in pending {
        let (index, line, input, mut issues) = match p {
            Pending::Bad(r) => {
                report.rejected.push(r);
                continue;
            }
            Pending::Mapped {
                index,
                line,
                input,
                issues,
            } => (index, line, input, issues),
        };
        let id = input.record_id.clone();
        if let Some(id) = id.as_deref().filter(|id| !id.is_empty()) {
            if !seen.insert(id.to_string()) {
                issues.push(RecordIssue::new(
                    ErrorCode::Duplicate,
                    "record_id",
                    id,
                    "record_id repeats an earlier row",
                ));
            }
        }
        match validate_record(&input, format.source()) {
            Ok(rec) if issues.is_empty() => report.accepted.push(rec),
            result => {
                // A cell that failed to parse is already reported; drop the validator's
                // "is required" for the same field.
                let parsed_bad: Vec<String> = issues.iter().map(|i| i.field.clone()).collect();
                issues.extend(result.err().unwrap_or_default().into_iter().filter(|i| {
                    !(i.code == ErrorCode::MissingField.as_str() && parsed_bad.contains(&i.field))
                }));
                report.rejected.push(reject(index, Some(line), id, issues));
            }
        }
    }
    Ok(report)
}

/// Read hook type and CTA style from the copy when the row did not declare them.
fn fill_copy_attributes(input: &mut RecordInput, x: &mut CopyExtractor) {
    if input.hook_type.is_some() && input.cta_style.is_some() {
        return;
    }
    let headline = input.headline.as_deref().unwrap_or_default();
    let body = input.body.as_deref().unwrap_or_default();
    let a = x.extract(headline, body);
    input
        .hook_type
        .get_or_insert_with(|| a.hook_type.as_str().to_string());
    input
        .cta_style
        .get_or_insert_with(|| a.cta_style.as_str().to_string());
}

fn malformed(msg: &str) -> Vec<RecordIssue> {
    vec![RecordIssue::new(ErrorCode::Malformed, "", "", msg)]
}

fn reject(
    index: usize,
    line: Option<u64>,
    record_id: Option<String>,
    issues: Vec<RecordIssue>,
) -> RejectedRecord {
    RejectedRecord {
        index,
        line,
        record_id,
        issues,
    }
}

/// 1-based line numbers from byte offsets. The csv crate's own line count is off by one after
/// CRLF line ends, so lines are counted here: a record reported at byte `b` starts at the first
/// byte at or after `b` that is not `\r`/`\n`.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], byte: u64) -> u64 {
        let mut start = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.pos {
            // A line ends at `\n`, `\r\n` or a lone `\r` (old Mac files), as the CSV reader
            // splits them (a lone `\r` was not counted before; found by fuzzing).
            let from = self.pos;
            self.newlines += bytes[from..start]
                .iter()
                .enumerate()
                .filter(|&(i, &b)| {
                    b == b'\n' || (b == b'\r' && bytes.get(from + i + 1) != Some(&b'\n'))
                })
                .count() as u64;
            self.pos = start;
        }
        self.newlines + 1
    }
}
