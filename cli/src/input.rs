//! Reading input files: CSV exports through the core's importer (format detected from the
//! header), or a records JSON file (`{"records": [...]}` or a bare array, as written by
//! `crosslearn import --to records-json`) through the core's record validation.
//!
//! File-level problems are errors naming the file; row problems are kept in the report with
//! the row's line (CSV) or index (JSON), never an abort.

use crosslearn::import::{import_csv, import_csv_mapped, ColumnMapping, ImportReport};
use crosslearn::record::{validate_json_values, CreativeRecord, RecordSource, RejectedRecord};
use std::path::Path;

/// One file's import.
pub struct Loaded {
    /// The path as given.
    pub path: String,
    /// The detected format's name (`facebook_export`, ..., `records_json`).
    pub format: String,
    /// Data rows (CSV) or array elements (JSON).
    pub rows: usize,
    /// Valid records in file order.
    pub accepted: Vec<CreativeRecord>,
    /// Invalid rows with every reason.
    pub rejected: Vec<RejectedRecord>,
    /// File-level remarks.
    pub warnings: Vec<String>,
    /// What the format cannot provide.
    pub unrecoverable: Vec<String>,
    /// FNV-1a 64 of the file's bytes (identifies the input of a resumable push).
    pub digest: u64,
}

/// Read and import one file.
pub fn load(path: &Path) -> Result<Loaded, String> {
    load_with(path, None)
}

/// Read a column-mapping file (docs/data-layer.md, "Column-mapping files").
pub fn read_mapping(path: &Path) -> Result<ColumnMapping, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    text.parse().map_err(|e: crosslearn::Error| {
        format!("{name}: {}: {}", e.field.unwrap_or_default(), e.message)
    })
}

/// Read and import one file, through a column mapping when given (CSV only).
pub fn load_with(path: &Path, mapping: Option<&ColumnMapping>) -> Result<Loaded, String> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let digest = crosslearn::hash::fnv1a64(&bytes);
    let first = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&bytes)
        .iter()
        .find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        return load_json(name, &bytes, digest);
    }
    let r: ImportReport = match mapping {
        Some(m) => import_csv_mapped(&bytes, m),
        None => import_csv(&bytes),
    }
    .map_err(|e| format!("{name}: {e}"))?;
    let format = serde_json::to_value(r.format)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{:?}", r.format));
    Ok(Loaded {
        path: name,
        format,
        rows: r.rows,
        accepted: r.accepted,
        rejected: r.rejected,
        warnings: r.warnings,
        unrecoverable: r.unrecoverable,
        digest,
    })
}

fn load_json(name: String, bytes: &[u8], digest: u64) -> Result<Loaded, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("{name}:{}: not valid JSON: {e}", e.line()))?;
    let values = match value {
        serde_json::Value::Array(v) => v,
        serde_json::Value::Object(mut o) => match o.remove("records") {
            Some(serde_json::Value::Array(v)) => v,
            _ => {
                return Err(format!(
                    "{name}: records: expected {{\"records\": [...]}} or a JSON array of records"
                ))
            }
        },
        _ => return Err(format!("{name}: expected a JSON array of records")),
    };
    let rows = values.len();
    let r = validate_json_values(values, RecordSource::User);
    Ok(Loaded {
        path: name,
        format: "records_json".into(),
        rows,
        accepted: r.accepted,
        rejected: r.rejected,
        warnings: Vec::new(),
        unrecoverable: Vec::new(),
        digest,
    })
}

/// One line per issue of a rejected row: `FILE:LINE: field "value": reason` (JSON inputs give
/// `FILE: records[i]: ...`).
pub fn rejection_lines(path: &str, r: &RejectedRecord) -> Vec<String> {
    let at = match r.line {
        Some(line) => format!("{path}:{line}"),
        None => format!("{path}: records[{}]", r.index),
    };
    r.issues
        .iter()
        .map(|i| {
            let field = if i.field.is_empty() {
                "row".to_string()
            } else if i.value.is_empty() {
                i.field.clone()
            } else {
                format!("{} {:?}", i.field, i.value)
            };
            format!("{at}: {field}: {}", i.message)
        })
        .collect()
}

/// Load one file and require at least one accepted record.
pub fn load_nonempty(path: &Path) -> Result<Loaded, String> {
    let l = load(path)?;
    if l.accepted.is_empty() {
        let why = l
            .rejected
            .first()
            .and_then(|r| rejection_lines(&l.path, r).into_iter().next())
            .map(|s| format!(" (first rejection: {s})"))
            .unwrap_or_default();
        return Err(format!(
            "{}: no valid records in {} rows{why}",
            l.path, l.rows
        ));
    }
    Ok(l)
}

/// The ad text of a record: headline and body joined by a blank line (either may be empty).
pub fn ad_text(r: &CreativeRecord) -> String {
    match (r.headline.trim().is_empty(), r.body.trim().is_empty()) {
        (false, false) => format!("{}\n{}", r.headline.trim(), r.body.trim()),
        (false, true) => r.headline.trim().to_string(),
        (true, _) => r.body.trim().to_string(),
    }
}
