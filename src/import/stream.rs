//! Streaming CSV import: the same import as [`super::import_csv`], fed in byte chunks.
//!
//! [`CsvImport`] takes the text in chunks of any size, as they arrive (a request body, a file
//! read piece by piece), and tokenizes each row as soon as its last byte is in, with
//! [`csv_core`] (the `csv` crate's own allocation-free parser, configured the same way: flexible
//! field counts, `"` quotes, CR/LF/CRLF line ends). Everything that depends on where a chunk ends
//! is carried over to the next chunk: a byte-order mark split across chunks, half a UTF-16 code
//! unit or surrogate pair, a quoted field or a CRLF split in two. So the report of
//! [`CsvImport::finish`] does not depend on the chunking, and equals the whole-file import's
//! (`tests/import_stream.rs` checks both on the real exports split at every boundary).
//!
//! The format is detected, and a header the importer cannot use refused, as soon as the header
//! row is complete; data rows are counted as they complete, so a caller with a row limit
//! ([`CsvImport::with_row_limit`]) learns of row `limit + 1` when its last byte arrives, without
//! reading further. Mapping and validation run in [`CsvImport::finish`]: a report's locale and
//! its record ids are decided over all of its rows ([`super::ids`]), so no row's record is final
//! before the last row is in. Memory is the rows kept (bounded by the caller's byte limit)
//! plus one row's parse buffer.

use super::{
    delimiter, encoding, odd_utf16, unit, utf16_error, Assembler, ColumnMapping, Encoding,
    ImportFormat, ImportReport, DELIMITER_HEAD,
};
use crate::error::Error;
use std::fmt;

/// Why a streaming import stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamStop {
    /// The text cannot be imported: the same error the whole-file import gives (no known
    /// header, invalid UTF-16, a header the format cannot map).
    Invalid(Error),
    /// A data row past the limit ([`CsvImport::with_row_limit`]): the limit and the line where
    /// row `limit + 1` starts. Nothing after it was parsed.
    TooManyRows {
        /// Most data rows allowed.
        limit: usize,
        /// 1-based line of the first row past the limit.
        line: u64,
    },
}

impl fmt::Display for StreamStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamStop::Invalid(e) => write!(f, "{e}"),
            StreamStop::TooManyRows { limit, line } => write!(
                f,
                "the CSV has more than {limit} data rows (row {} starts at line {line})",
                limit + 1
            ),
        }
    }
}

impl std::error::Error for StreamStop {}

impl From<Error> for StreamStop {
    fn from(e: Error) -> Self {
        StreamStop::Invalid(e)
    }
}

/// The text decoder's state.
enum Decoder {
    /// Fewer than 3 bytes seen: the byte-order mark is not decided yet.
    Start(Vec<u8>),
    /// UTF-8 (a byte-order mark already skipped): bytes pass through.
    Utf8,
    /// UTF-16: an odd byte and a high surrogate carried over from the last chunk.
    Utf16 {
        le: bool,
        odd: Option<u8>,
        high: Option<u16>,
    },
}

/// Tokenizer state: rows from [`csv_core`], with their line numbers.
struct Tokenizer {
    reader: csv_core::Reader,
    /// The current row's field bytes and field ends (as the `csv` crate's `ByteRecord`).
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
    /// Line ends seen: `\n`, and `\r` not followed by `\n` (as the whole-file import counts).
    breaks: u64,
    /// The last byte was `\r` (whether it ends a line depends on the next byte).
    pending_cr: bool,
    /// Between rows: the next byte that is not `\r`/`\n` starts a row.
    between_rows: bool,
    /// 1-based line where the current row started.
    row_line: u64,
}

impl Tokenizer {
    fn new(delimiter: u8) -> Self {
        Tokenizer {
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 1024],
            ends: vec![0; 64],
            out_len: 0,
            ends_len: 0,
            breaks: 0,
            pending_cr: false,
            between_rows: true,
            row_line: 1,
        }
    }

    /// Count line ends in bytes the parser consumed, and note where a row starts.
    fn track(&mut self, consumed: &[u8]) {
        for &b in consumed {
            if self.pending_cr {
                self.pending_cr = false;
                if b != b'\n' {
                    self.breaks += 1;
                }
            }
            if self.between_rows && b != b'\r' && b != b'\n' {
                self.between_rows = false;
                self.row_line = self.breaks + 1;
            }
            match b {
                b'\n' => self.breaks += 1,
                b'\r' => self.pending_cr = true,
                _ => {}
            }
        }
    }

    /// Parse `input` (the end of the text when `eof`), calling `row` for every complete row.
    fn feed(
        &mut self,
        mut input: &[u8],
        eof: bool,
        row: &mut dyn FnMut(csv::ByteRecord, u64) -> Result<(), StreamStop>,
    ) -> Result<(), StreamStop> {
        use csv_core::ReadRecordResult as R;
        if input.is_empty() && !eof {
            return Ok(());
        }
        loop {
            let (res, nin, nout, nend) = self.reader.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            let (consumed, rest) = input.split_at(nin);
            self.track(consumed);
            input = rest;
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                R::InputEmpty => {
                    if input.is_empty() && !eof {
                        return Ok(());
                    }
                }
                R::OutputFull => {
                    let n = self.out.len().max(1) * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len().max(1) * 2;
                    self.ends.resize(n, 0);
                }
                R::Record => {
                    let mut rec = csv::ByteRecord::with_capacity(self.out_len, self.ends_len);
                    let mut start = 0;
                    for &end in &self.ends[..self.ends_len] {
                        rec.push_field(&self.out[start..end]);
                        start = end;
                    }
                    self.out_len = 0;
                    self.ends_len = 0;
                    self.between_rows = true;
                    row(rec, self.row_line)?;
                }
                R::End => return Ok(()),
            }
        }
    }
}

/// A CSV import fed in chunks ([module docs](self)).
///
/// ```
/// use crosslearn::import::{import_csv, CsvImport};
/// let text = b"record_id,account_id,platform,impressions,clicks,spend\n\
///              r1,acc,meta,1000,12,3.5\nr2,acc,tiktok,800,0,1.25\n";
/// let mut import = CsvImport::new();
/// for chunk in text.chunks(7) {
///     import.push(chunk).unwrap();
/// }
/// assert_eq!(import.finish().unwrap(), import_csv(text).unwrap());
/// ```
pub struct CsvImport<'m> {
    assembler: Assembler<'m>,
    row_limit: Option<usize>,
    decoder: Decoder,
    /// Decoded text held until the delimiter is chosen (its first [`DELIMITER_HEAD`] bytes).
    head: Vec<u8>,
    tokenizer: Option<Tokenizer>,
    /// Set once the import has stopped; every later call answers it again.
    stopped: Option<StreamStop>,
    /// UTF-16 text whose header was refused: the rest is still decoded, as the whole-file
    /// import reports invalid UTF-16 anywhere in the text before any CSV error.
    deferred: Option<Error>,
    bytes: u64,
}

impl Default for CsvImport<'static> {
    fn default() -> Self {
        CsvImport::new()
    }
}

impl CsvImport<'static> {
    /// An import that detects the format from the header, as [`super::import_csv`].
    pub fn new() -> Self {
        CsvImport::build(None, None)
    }

    /// An import in a given format, as [`super::import_csv_as`].
    pub fn with_format(format: ImportFormat) -> Self {
        CsvImport::build(Some(format), None)
    }
}

impl<'m> CsvImport<'m> {
    /// An import through a column mapping, as [`super::import_csv_mapped`].
    pub fn mapped(mapping: &'m ColumnMapping) -> Self {
        CsvImport::build(None, Some(mapping))
    }

    fn build(forced: Option<ImportFormat>, mapping: Option<&'m ColumnMapping>) -> Self {
        CsvImport {
            assembler: Assembler::new(forced, mapping),
            row_limit: None,
            decoder: Decoder::Start(Vec::new()),
            head: Vec::new(),
            tokenizer: None,
            stopped: None,
            deferred: None,
            bytes: 0,
        }
    }

    /// Stop at the first data row past `limit` ([`StreamStop::TooManyRows`]). Data rows are
    /// counted as the report's `rows` counts them (a report's blank and total/footer lines are
    /// not rows).
    pub fn with_row_limit(mut self, limit: usize) -> Self {
        self.row_limit = Some(limit);
        self
    }

    /// Data rows complete so far.
    pub fn rows(&self) -> usize {
        self.assembler.data_rows()
    }

    /// Bytes pushed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The format, once the header row is complete.
    pub fn format(&self) -> Option<ImportFormat> {
        self.assembler.format()
    }

    /// Take the next chunk of the text. An error is final: the text cannot be imported (the
    /// error [`Self::finish`] would give, found early), or a row passed the row limit; the
    /// caller may stop reading.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), StreamStop> {
        if let Some(stop) = &self.stopped {
            return Err(stop.clone());
        }
        self.bytes += chunk.len() as u64;
        let result = self.decode(chunk, false);
        self.stop_on(result)
    }

    /// The report, after the last chunk: equal to the whole-file import of the same text.
    pub fn finish(mut self) -> Result<ImportReport, StreamStop> {
        if let Some(stop) = self.stopped.take() {
            return Err(stop);
        }
        self.decode(&[], true)?;
        if let Some(e) = self.deferred {
            return Err(StreamStop::Invalid(e));
        }
        self.assembler.finish().map_err(StreamStop::Invalid)
    }

    fn stop_on(&mut self, result: Result<(), StreamStop>) -> Result<(), StreamStop> {
        if let Err(stop) = &result {
            self.stopped = Some(stop.clone());
            // Nothing more is parsed; free what the rows held.
            self.tokenizer = None;
            self.head = Vec::new();
        }
        result
    }

    /// Decode a chunk to UTF-8 and pass it on.
    fn decode(&mut self, chunk: &[u8], eof: bool) -> Result<(), StreamStop> {
        if let Decoder::Start(seen) = &mut self.decoder {
            seen.extend_from_slice(chunk);
            if seen.len() < 3 && !eof {
                return Ok(());
            }
            let seen = std::mem::take(seen);
            let (decoder, skip) = match encoding(&seen) {
                Encoding::Utf16 { le } => (
                    Decoder::Utf16 {
                        le,
                        odd: None,
                        high: None,
                    },
                    2,
                ),
                Encoding::Utf8 { bom } => (Decoder::Utf8, bom),
            };
            self.decoder = decoder;
            return self.decode(&seen[skip..], eof);
        }
        match &mut self.decoder {
            Decoder::Utf16 { le, odd, high } => {
                let le = *le;
                let mut units: Vec<u16> = Vec::with_capacity(chunk.len() / 2 + 2);
                units.extend(high.take());
                let mut bytes = chunk;
                if let Some(a) = odd.take() {
                    match bytes.split_first() {
                        Some((&b, rest)) => {
                            units.push(unit(a, b, le));
                            bytes = rest;
                        }
                        None => *odd = Some(a),
                    }
                }
                let pairs = bytes.chunks_exact(2);
                if let [b] = pairs.remainder() {
                    *odd = Some(*b);
                }
                units.extend(pairs.map(|c| unit(c[0], c[1], le)));
                // A high surrogate at the end pairs with the next chunk's first unit.
                if !eof && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                    *high = units.pop();
                }
                let text: String = char::decode_utf16(units)
                    .collect::<Result<_, _>>()
                    .map_err(utf16_error)?;
                if eof && odd.is_some() {
                    return Err(odd_utf16().into());
                }
                self.text(text.as_bytes(), eof)
            }
            _ => self.text(chunk, eof),
        }
    }

    /// Decoded text: held until the delimiter is chosen, then tokenized.
    fn text(&mut self, text: &[u8], eof: bool) -> Result<(), StreamStop> {
        if self.deferred.is_some() {
            return Ok(());
        }
        if self.tokenizer.is_none() {
            self.head.extend_from_slice(text);
            if self.head.len() < DELIMITER_HEAD && !eof {
                return Ok(());
            }
            let head = std::mem::take(&mut self.head);
            self.tokenizer = Some(Tokenizer::new(delimiter(&head)));
            return self.text(&head, eof);
        }
        let Some(tokenizer) = self.tokenizer.as_mut() else {
            return Ok(());
        };
        let assembler = &mut self.assembler;
        let limit = self.row_limit;
        let result = tokenizer.feed(text, eof, &mut |rec, line| {
            assembler.record(rec, line)?;
            match limit {
                Some(limit) if assembler.data_rows() > limit => {
                    Err(StreamStop::TooManyRows { limit, line })
                }
                _ => Ok(()),
            }
        });
        match result {
            Err(StreamStop::Invalid(e)) if matches!(self.decoder, Decoder::Utf16 { .. }) => {
                self.deferred = Some(e);
                self.tokenizer = None;
                Ok(())
            }
            result => result,
        }
    }
}
