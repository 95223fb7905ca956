//! A small RFC 4180 CSV reader (quoted fields, doubled quotes, CRLF, multi-line fields), enough
//! for the training files without a CSV dependency.

use crate::error::{Error, ErrorCode, Result};

/// Parse CSV text into records of fields. A leading UTF-8 BOM is skipped.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut any = false;
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(Error::general(
            ErrorCode::Malformed,
            "CSV ends inside a quoted field",
        ));
    }
    if any {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Records as maps from header name to field (the first occurrence of a duplicated name wins).
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Parse CSV text whose first record is the header.
    pub fn parse(text: &str) -> Result<Self> {
        let mut records = parse(text)?.into_iter();
        let header = records
            .next()
            .ok_or_else(|| Error::general(ErrorCode::EmptyInput, "CSV has no header"))?;
        Ok(Table {
            header,
            rows: records.collect(),
        })
    }

    /// Column index of `name`.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::field(ErrorCode::MissingField, name, "column not found"))
    }

    /// The data records.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }
}

/// Field `i` of a record, or "" when the record is short.
pub fn get(row: &[String], i: usize) -> &str {
    row.get(i).map_or("", String::as_str)
}
