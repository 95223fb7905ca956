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
//! `revenue`, `engagements`, `video_views`, `assignment` (`chosen` or `randomised`). Empty cells are absent values; a column name that is
//! not one of these is reported in `warnings` and ignored. Without a `hook_type` or `cta_style`
//! value the importer reads it from `headline`/`body`, as for the exports. Per-day series are not expressible in
//! CSV (use JSON records); a repeated `record_id` is rejected.

mod columns;
pub mod exports;
mod ids;
mod locale;
pub mod mapping;
pub mod mcdm;
pub mod stream;

pub use mapping::ColumnMapping;
pub use stream::{CsvImport, StreamStop};

use crate::copy::CopyExtractor;
use crate::error::{Error, ErrorCode, Result};
use crate::record::{
    validate::validate_record, CreativeRecord, RecordInput, RecordIssue, RecordSource,
    RejectedRecord,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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
    /// Microsoft Advertising (Bing) ad performance report: UI download or Reporting API.
    MicrosoftAds,
    /// X (Twitter) Ads export: Ads Manager CSV, Ads API analytics or a connector dump.
    XAds,
    /// LinkedIn ad performance: Campaign Manager export, `adAnalytics` API or a connector dump.
    LinkedinAds,
    /// An export in no known shape, read through a column-mapping file.
    Mapped,
    /// Improvado's MCDM `paid_ads__basic_performance` table (what `--to mcdm` writes).
    Mcdm,
}

impl ImportFormat {
    /// The record source stamped on imported records.
    pub fn source(self) -> RecordSource {
        match self {
            ImportFormat::FacebookExport => RecordSource::FacebookExport,
            ImportFormat::TiktokExport => RecordSource::TiktokExport,
            ImportFormat::KagConversion => RecordSource::KagConversion,
            ImportFormat::Generic => RecordSource::GenericCsv,
            ImportFormat::MicrosoftAds => RecordSource::MicrosoftAdsExport,
            ImportFormat::XAds => RecordSource::XExport,
            ImportFormat::LinkedinAds => RecordSource::LinkedinExport,
            ImportFormat::Mapped => RecordSource::MappedCsv,
            ImportFormat::Mcdm => RecordSource::Mcdm,
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
    } else if columns::matches(header, columns::MCDM_SIGNATURE) {
        Ok(ImportFormat::Mcdm)
    } else if columns::matches(header, columns::BING_SIGNATURE) {
        Ok(ImportFormat::MicrosoftAds)
    } else if columns::matches(header, columns::X_SIGNATURE) {
        Ok(ImportFormat::XAds)
    } else if columns::matches(header, columns::LINKEDIN_SIGNATURE) {
        Ok(ImportFormat::LinkedinAds)
    } else {
        Err(Error::general(
            ErrorCode::Unsupported,
            format!(
                "unrecognised CSV header ({}); expected a Facebook or TikTok ads export, \
                 KAG_conversion_data.csv, a Microsoft Advertising, X or LinkedIn report, \
                 or the generic format (a record_id column); for any other shape, pass a \
                 column mapping",
                header.join(",")
            ),
        ))
    }
}

/// Import CSV bytes, detecting the format from the header. Fails only when the text has no
/// header or the header is not a supported format; row problems are reported in the result.
pub fn import_csv(bytes: &[u8]) -> Result<ImportReport> {
    import_impl(bytes, None, None)
}

/// Import CSV bytes in no known shape, read through a column mapping ([`mapping`]).
pub fn import_csv_mapped(bytes: &[u8], mapping: &ColumnMapping) -> Result<ImportReport> {
    import_impl(bytes, None, Some(mapping))
}

/// Import CSV bytes in a given format (the header must still have that format's columns).
pub fn import_csv_as(bytes: &[u8], format: ImportFormat) -> Result<ImportReport> {
    import_impl(bytes, Some(format), None)
}

/// One data row, as text fields.
pub(crate) struct Row<'a> {
    pub(crate) fields: Vec<&'a str>,
}

/// Maps a row of one format to a record input, collecting parse issues.
pub(crate) trait RowMapper {
    fn map(&mut self, row: &Row<'_>, issues: &mut Vec<RecordIssue>) -> RecordInput;
    /// File-level remarks found while mapping (added to the report's warnings).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// Look at every row once before mapping (a report's locale is decided per file).
    fn prepare(&mut self, _rows: &[&Row<'_>]) {}
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

/// How many leading lines may be a report preamble (`Report Name: ...`, `Report Time: ...`)
/// before the header.
const MAX_PREAMBLE: usize = 30;

/// Bytes of (decoded) text the delimiter is chosen from ([`delimiter`]).
pub(crate) const DELIMITER_HEAD: usize = 8192;

/// The text as UTF-8: a UTF-8 byte-order mark is skipped; UTF-16 (LE or BE, recognised by its
/// byte-order mark, as Excel's "Unicode text" and some report downloads write it) is decoded.
/// Errors in text order: the first unpaired surrogate, else an odd byte count (so that the
/// streaming import, which sees the end last, reports the same error).
fn decode(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    let utf16 = |b: &[u8], le: bool| -> Result<Cow<'_, [u8]>> {
        let units = b.chunks_exact(2).map(|c| unit(c[0], c[1], le));
        let text: String = char::decode_utf16(units)
            .collect::<std::result::Result<_, _>>()
            .map_err(utf16_error)?;
        if !b.len().is_multiple_of(2) {
            return Err(odd_utf16());
        }
        Ok(Cow::Owned(text.into_bytes()))
    };
    match encoding(bytes) {
        Encoding::Utf16 { le } => utf16(&bytes[2..], le),
        Encoding::Utf8 { bom } => Ok(Cow::Borrowed(&bytes[bom..])),
    }
}

/// The text's encoding, from its first bytes (at least 3 unless the text is shorter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-16 after a 2-byte byte-order mark, little- or big-endian.
    Utf16 { le: bool },
    /// UTF-8 after a byte-order mark of `bom` bytes (0 or 3).
    Utf8 { bom: usize },
}

pub(crate) fn encoding(head: &[u8]) -> Encoding {
    if head.starts_with(b"\xFF\xFE") {
        Encoding::Utf16 { le: true }
    } else if head.starts_with(b"\xFE\xFF") {
        Encoding::Utf16 { le: false }
    } else if head.starts_with(b"\xEF\xBB\xBF") {
        Encoding::Utf8 { bom: 3 }
    } else {
        Encoding::Utf8 { bom: 0 }
    }
}

/// One UTF-16 code unit from two bytes.
pub(crate) fn unit(a: u8, b: u8, le: bool) -> u16 {
    if le {
        u16::from_le_bytes([a, b])
    } else {
        u16::from_be_bytes([a, b])
    }
}

pub(crate) fn utf16_error(e: std::char::DecodeUtf16Error) -> Error {
    Error::general(
        ErrorCode::Malformed,
        format!("the text is not valid UTF-16: {e}"),
    )
}

pub(crate) fn odd_utf16() -> Error {
    Error::general(
        ErrorCode::Malformed,
        "the UTF-16 text has an odd number of bytes",
    )
}

/// The field delimiter: tab or semicolon when the first lines have more of them than commas
/// (tab-separated downloads, Excel's semicolon CSV in decimal-comma locales), else comma.
pub(crate) fn delimiter(bytes: &[u8]) -> u8 {
    let head = &bytes[..bytes.len().min(DELIMITER_HEAD)];
    let count = |c: u8| head.iter().filter(|&&b| b == c).count();
    let (commas, tabs, semis) = (count(b','), count(b'\t'), count(b';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

/// Whether a row after the header is report chrome: a totals line or a footer such as
/// `©2024 Microsoft Corporation. All rights reserved.`
fn is_footer(fields: &[&str], header_len: usize) -> bool {
    let first = fields
        .iter()
        .map(|f| f.trim())
        .find(|f| !f.is_empty())
        .unwrap_or_default()
        .to_lowercase();
    let chrome = [
        "total",
        "overall total",
        "grand total",
        "©",
        "(c)",
        "copyright",
    ]
    .iter()
    .any(|p| first.starts_with(p));
    chrome || (fields.len() == 1 && header_len > 1)
}

/// The formats whose files are report downloads (preamble, footer, locale numbers).
fn has_report_chrome(format: ImportFormat) -> bool {
    matches!(
        format,
        ImportFormat::MicrosoftAds
            | ImportFormat::XAds
            | ImportFormat::LinkedinAds
            | ImportFormat::Mapped
    )
}

fn import_impl(
    bytes: &[u8],
    forced: Option<ImportFormat>,
    mapping: Option<&ColumnMapping>,
) -> Result<ImportReport> {
    let decoded = decode(bytes)?;
    let bytes: &[u8] = &decoded;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(bytes))
        .from_reader(bytes);
    let mut rows = Assembler::new(forced, mapping);
    let mut lines = LineCounter::default();
    for rec in reader.byte_records() {
        // A flexible byte-record reader over a slice cannot fail (no I/O, no UTF-8 check, no
        // field-count check); should it ever, the file is refused, not a row dropped.
        let rec = rec.map_err(|e| {
            Error::general(ErrorCode::Malformed, format!("unreadable CSV text: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| lines.line_at(bytes, p.byte()));
        rows.record(rec, line)?;
    }
    rows.finish()
}

/// Turns the CSV records of one file, in order, into an [`ImportReport`]: finds the header
/// (after a report preamble where the format has one), builds the format's row mapper, keeps
/// the data rows, and at the end maps and validates them. The whole-file import
/// ([`import_csv`]) and the streaming one ([`stream::CsvImport`]) feed it the same records, so
/// they give the same report.
pub(crate) struct Assembler<'m> {
    forced: Option<ImportFormat>,
    mapping: Option<&'m ColumnMapping>,
    state: State,
}

enum State {
    /// Before the header: the preamble lines skipped so far and the first detection error.
    Header {
        preamble: Vec<String>,
        first_error: Option<Error>,
    },
    /// After the header.
    Body(Box<Body>),
}

struct Body {
    header: Vec<String>,
    chrome: bool,
    report: ImportReport,
    mapper: Box<dyn RowMapper>,
    /// Position of the next record after the header (blank and footer lines included).
    next_index: usize,
    /// Data rows: (position after the header, line, fields).
    raw: Vec<(usize, u64, csv::ByteRecord)>,
    /// Lines of the total/footer rows skipped.
    footers: Vec<u64>,
}

fn utf8_header(rec: &csv::ByteRecord) -> Result<Vec<&str>> {
    rec.iter()
        .map(std::str::from_utf8)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::general(ErrorCode::Malformed, "the CSV header is not UTF-8"))
}

impl<'m> Assembler<'m> {
    pub(crate) fn new(forced: Option<ImportFormat>, mapping: Option<&'m ColumnMapping>) -> Self {
        Assembler {
            forced,
            mapping,
            state: State::Header {
                preamble: Vec::new(),
                first_error: None,
            },
        }
    }

    /// The format, once the header is found.
    pub(crate) fn format(&self) -> Option<ImportFormat> {
        match &self.state {
            State::Header { .. } => None,
            State::Body(b) => Some(b.report.format),
        }
    }

    /// Data rows kept so far (what the report's `rows` will count).
    pub(crate) fn data_rows(&self) -> usize {
        match &self.state {
            State::Header { .. } => 0,
            State::Body(b) => b.raw.len(),
        }
    }

    /// Take the next record of the file and its 1-based line. An error is final: the file
    /// cannot be imported (no known header, a header the format cannot map).
    pub(crate) fn record(&mut self, rec: csv::ByteRecord, line: u64) -> Result<()> {
        let mapping = self.mapping;
        let forced = self.forced;
        let (preamble, first_error) = match &mut self.state {
            State::Body(body) => {
                body.record(rec, line);
                return Ok(());
            }
            State::Header {
                preamble,
                first_error,
            } => (preamble, first_error),
        };
        // The header: the first line, or after a report preamble, the first line in a known shape.
        let header = utf8_header(&rec)?;
        let found = match mapping {
            Some(m) => m.matches(&header).then_some(ImportFormat::Mapped),
            None => match detect_format(&header) {
                Ok(f) => Some(f),
                Err(e) => {
                    first_error.get_or_insert(e);
                    None
                }
            },
        };
        let detected = match found {
            Some(f) => f,
            None if preamble.len() < MAX_PREAMBLE => {
                preamble.push(header.join(","));
                return Ok(());
            }
            None => {
                return Err(first_error.take().unwrap_or_else(|| match mapping {
                    Some(m) => m.no_header_error(),
                    None => Error::general(ErrorCode::Unsupported, "no known header found"),
                }))
            }
        };
        let format = forced.unwrap_or(detected);
        if forced.is_some_and(|f| f != detected) {
            return Err(Error::general(
                ErrorCode::Unsupported,
                format!("the header is {detected:?}, not the requested {format:?}"),
            ));
        }
        let chrome = has_report_chrome(format);
        if !preamble.is_empty() && !chrome {
            // The three seed exports and the generic format have their header on line 1.
            return Err(first_error.take().unwrap_or_else(|| {
                Error::general(
                    ErrorCode::Unsupported,
                    "the header is not on the first line",
                )
            }));
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
        if !preamble.is_empty() {
            report.warnings.push(format!(
                "skipped {} report preamble line(s) before the header (first: '{}')",
                preamble.len(),
                preamble[0].chars().take(60).collect::<String>()
            ));
        }
        let mapper: Box<dyn RowMapper> = match format {
            ImportFormat::FacebookExport => Box::new(exports::Facebook::new(&header)?),
            ImportFormat::TiktokExport => Box::new(exports::Tiktok::new(&header)?),
            ImportFormat::KagConversion => Box::new(exports::Kag::new(&header)?),
            ImportFormat::Generic => {
                let (g, warnings) = exports::Generic::new(&header)?;
                report.warnings.extend(warnings);
                Box::new(g)
            }
            ImportFormat::MicrosoftAds
            | ImportFormat::XAds
            | ImportFormat::LinkedinAds
            | ImportFormat::Mcdm => {
                let spec = match format {
                    ImportFormat::MicrosoftAds => columns::bing(),
                    ImportFormat::XAds => columns::x(),
                    ImportFormat::Mcdm => columns::mcdm(),
                    _ => columns::linkedin(),
                };
                let (c, warnings) = columns::Columns::new(spec, &header)?;
                report.warnings.extend(warnings);
                Box::new(c)
            }
            ImportFormat::Mapped => {
                let spec = mapping.map(|m| m.spec()).ok_or_else(|| {
                    Error::general(ErrorCode::Unsupported, "no column mapping given")
                })?;
                let (c, warnings) = columns::Columns::new(spec, &header)?;
                report.warnings.extend(warnings);
                Box::new(c)
            }
        };
        let header = header.into_iter().map(str::to_string).collect();
        self.state = State::Body(Box::new(Body {
            header,
            chrome,
            report,
            mapper,
            next_index: 0,
            raw: Vec::new(),
            footers: Vec::new(),
        }));
        Ok(())
    }

    /// The report, once every record has been taken.
    pub(crate) fn finish(self) -> Result<ImportReport> {
        match self.state {
            State::Header {
                preamble,
                first_error,
            } => Err(first_error.unwrap_or_else(|| match self.mapping {
                Some(m) if !preamble.is_empty() => m.no_header_error(),
                _ => Error::general(ErrorCode::EmptyInput, "the CSV text is empty"),
            })),
            State::Body(body) => Ok(body.finish()),
        }
    }
}

impl Body {
    /// Keep a record after the header (report chrome: blank and footer lines are skipped).
    fn record(&mut self, rec: csv::ByteRecord, line: u64) {
        let index = self.next_index;
        self.next_index += 1;
        if self.chrome {
            let texts: Vec<&str> = rec
                .iter()
                .map(|f| std::str::from_utf8(f).unwrap_or("?"))
                .collect();
            if texts.iter().all(|t| t.trim().is_empty()) {
                return;
            }
            if is_footer(&texts, self.header.len()) {
                self.footers.push(line);
                return;
            }
        }
        self.raw.push((index, line, rec));
    }

    fn finish(self) -> ImportReport {
        let Body {
            header,
            mut report,
            mut mapper,
            raw,
            footers,
            ..
        } = self;
        if let Some(first) = footers.first() {
            report.warnings.push(format!(
                "skipped {} total/footer line(s) after the data (first at line {first})",
                footers.len()
            ));
        }
        let format = report.format;
        let mut rows: Vec<(usize, u64, Row<'_>)> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for (index, line, rec) in &raw {
            let (index, line) = (*index, *line);
            report.rows += 1;
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
            rows.push((index, line, Row { fields }));
        }
        let only_rows: Vec<&Row<'_>> = rows.iter().map(|(_, _, r)| r).collect();
        mapper.prepare(&only_rows);
        let mut extractor = CopyExtractor::new();
        for (index, line, row) in &rows {
            let mut issues = Vec::new();
            let mut input = mapper.map(row, &mut issues);
            fill_copy_attributes(&mut input, &mut extractor);
            if let Some(parts) = mapper.id_parts(row) {
                input.record_id = Some(ids::base_id(&parts, &input));
            }
            pending.push(Pending::Mapped {
                index: *index,
                line: *line,
                input: Box::new(input),
                issues,
            });
        }
        report.warnings.extend(mapper.warnings());
        // Rejections of unreadable rows and mapped rows, back in file order.
        pending.sort_by_key(|p| match p {
            Pending::Bad(r) => r.index,
            Pending::Mapped { index, .. } => *index,
        });
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
                        !(i.code == ErrorCode::MissingField.as_str()
                            && parsed_bad.contains(&i.field))
                    }));
                    report.rejected.push(reject(index, Some(line), id, issues));
                }
            }
        }
        report
    }
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
