//! The request-body size limit, and the streamed CSV body ([`CsvBody`]).
//!
//! A body is refused with 413 once it is known to be too large: from its `Content-Length` before
//! reading anything, or, for a body without one (chunked), when the bytes read pass the limit.
//! Past the limit, chunks are counted and dropped, never kept, so memory per request stays bounded
//! by [`MAX_BODY_BYTES`] plus one chunk whatever the client sends. The rest of a chunked body is
//! read (up to [`DRAIN_BYTES`]) before answering: a 413 sent while the client is still uploading
//! left `wrangler dev`'s local proxy with a stuck connection (the next request hung), and
//! HTTP/1.1 clients that only read the answer after sending everything need it too.

use crate::error::ApiError;
use crosslearn::import::{CsvImport, ImportReport};

/// Largest accepted request body: 1 MiB. A `/api/normalize` batch of ~5,000 metrics objects or a
/// campaign with any realistic number of platforms fits well within it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Refuse a body whose declared `Content-Length` is over the limit. A missing or unparsable
/// header is not an error here: the runtime enforces the header's correctness, and the streamed
/// count in [`BodyBuffer`] still applies.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), ApiError> {
    match content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(n) if n > MAX_BODY_BYTES as u64 => Err(ApiError::TooLarge {
            limit: MAX_BODY_BYTES,
        }),
        _ => Ok(()),
    }
}

/// After the limit is passed, up to this many further bytes are read and discarded before the
/// 413 is sent, so that an HTTP/1.1 client still uploading sees the answer on a connection that
/// stays usable. A client sending more than this gets the 413 without the rest being read.
pub const DRAIN_BYTES: usize = 8 * MAX_BODY_BYTES;

/// What to do after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Read the next chunk.
    Read,
    /// Stop reading: the answer is decided (over the limit and drained as far as we go).
    Stop,
}

/// Collects body chunks up to [`MAX_BODY_BYTES`]; past it, only counts (see [`DRAIN_BYTES`]).
#[derive(Debug, Default)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
    /// Bytes seen past the limit; `Some` once the body is known to be too large.
    overflow: Option<usize>,
}

impl BodyBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        BodyBuffer::default()
    }

    /// Take one chunk: keep it while the total is within the limit, else count and drop it.
    pub fn push(&mut self, chunk: &[u8]) -> Next {
        if let Some(seen) = self.overflow.as_mut() {
            *seen = seen.saturating_add(chunk.len());
        } else if self.bytes.len() + chunk.len() > MAX_BODY_BYTES {
            self.bytes = Vec::new();
            self.overflow = Some(chunk.len());
        } else {
            self.bytes.extend_from_slice(chunk);
        }
        match self.overflow {
            Some(seen) if seen > DRAIN_BYTES => Next::Stop,
            _ => Next::Read,
        }
    }

    /// The whole body, or 413 if it passed the limit.
    pub fn finish(self) -> Result<Vec<u8>, ApiError> {
        match self.overflow {
            None => Ok(self.bytes),
            Some(_) => Err(ApiError::TooLarge {
                limit: MAX_BODY_BYTES,
            }),
        }
    }
}

/// A CSV request body, imported as it arrives: each chunk goes straight into the core's
/// streaming importer ([`CsvImport`]), which tokenizes rows as they complete. The body is
/// refused as soon as the answer is known: past [`MAX_BODY_BYTES`] (413), at the first data row
/// past the row limit (413, nothing after it parsed), or at a header no importer reads (422).
/// After a refusal the parser and the rows it kept are dropped and the rest of the body is
/// drained (counted and dropped, up to [`DRAIN_BYTES`], see the module docs). Nothing is
/// stored unless the whole body was read and fits: the caller only gets records from
/// [`CsvBody::finish`].
pub struct CsvBody {
    import: Option<CsvImport<'static>>,
    bytes: usize,
    /// The answer, once decided before the end of the body.
    refused: Option<ApiError>,
    /// Bytes drained after the refusal.
    drained: usize,
}

impl CsvBody {
    /// An empty body, refused past `row_limit` data rows.
    pub fn new(row_limit: usize) -> Self {
        CsvBody {
            import: Some(CsvImport::new().with_row_limit(row_limit)),
            bytes: 0,
            refused: None,
            drained: 0,
        }
    }

    /// Take one chunk (see the type docs).
    pub fn push(&mut self, chunk: &[u8]) -> Next {
        if self.refused.is_some() {
            self.drained = self.drained.saturating_add(chunk.len());
        } else {
            self.bytes = self.bytes.saturating_add(chunk.len());
            let verdict = if self.bytes > MAX_BODY_BYTES {
                Err(ApiError::TooLarge {
                    limit: MAX_BODY_BYTES,
                })
            } else if let Some(import) = self.import.as_mut() {
                import.push(chunk).map_err(ApiError::from)
            } else {
                Ok(())
            };
            if let Err(e) = verdict {
                self.refused = Some(e);
                self.import = None;
            }
        }
        if self.drained > DRAIN_BYTES {
            Next::Stop
        } else {
            Next::Read
        }
    }

    /// Whether the answer is already decided (a refusal; the rest is only drained).
    pub fn refused(&self) -> bool {
        self.refused.is_some()
    }

    /// The import of the whole body, or the refusal.
    pub fn finish(self) -> Result<ImportReport, ApiError> {
        if let Some(e) = self.refused {
            return Err(e);
        }
        match self.import {
            Some(import) => import.finish().map_err(ApiError::from),
            None => Err(ApiError::Internal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_length() {
        assert!(check_declared_length(None).is_ok());
        assert!(check_declared_length(Some("garbage")).is_ok());
        assert!(check_declared_length(Some("1048576")).is_ok());
        let e = check_declared_length(Some("1048577")).unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "too_large"));
    }

    #[test]
    fn streamed_length() {
        let mut b = BodyBuffer::new();
        assert_eq!(b.push(&vec![b' '; MAX_BODY_BYTES - 1]), Next::Read);
        assert_eq!(b.push(b"x"), Next::Read);
        assert_eq!(b.finish().map(|v| v.len()), Ok(MAX_BODY_BYTES));

        let mut b = BodyBuffer::new();
        b.push(&vec![b' '; MAX_BODY_BYTES]);
        assert_eq!(b.push(b"y"), Next::Read, "drains past the limit");
        assert_eq!(b.push(&vec![0; DRAIN_BYTES]), Next::Stop, "but not forever");
        let e = b.finish().unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "too_large"));
    }

    fn csv_rows(n: usize) -> String {
        let mut csv = String::from("record_id,account_id,platform,impressions,clicks,spend\n");
        for i in 0..n {
            csv.push_str(&format!("r{i},a,meta,100,2,1.5\n"));
        }
        csv
    }

    #[test]
    fn csv_body_streams_under_the_limits() {
        // Any chunking gives the whole-text import.
        let text = csv_rows(40);
        let whole = crosslearn::import::import_csv(text.as_bytes()).unwrap();
        for size in [1, 5, 64, 10_000] {
            let mut b = CsvBody::new(500);
            for c in text.as_bytes().chunks(size) {
                assert_eq!(b.push(c), Next::Read);
            }
            assert_eq!(b.finish().unwrap(), whole);
        }
        // Row 501: refused at once, the rest drained, not parsed.
        let text = csv_rows(600);
        let mut b = CsvBody::new(500);
        let mut refused_at = None;
        for (i, c) in text.as_bytes().chunks(100).enumerate() {
            assert_eq!(b.push(c), Next::Read);
            if b.refused() && refused_at.is_none() {
                refused_at = Some((i + 1) * 100);
            }
        }
        let row_501_end = text.match_indices('\n').nth(501).unwrap().0 + 1;
        assert!(refused_at.unwrap() < row_501_end + 100);
        let e = b.finish().unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "too_large"));
        let message = e.body().error.message;
        assert!(
            message.contains("more than 500 data rows (row 501 starts at line 502)"),
            "{message}"
        );
        // Past the byte limit: refused, then drained up to DRAIN_BYTES.
        let mut b = CsvBody::new(usize::MAX);
        let mut text = csv_rows(1);
        text.push_str(&format!(
            "r,a,meta,1,1,1,\"{}\"\n",
            "x".repeat(MAX_BODY_BYTES)
        ));
        let mut next = Next::Read;
        for c in text.as_bytes().chunks(64 * 1024) {
            next = b.push(c);
        }
        assert!(b.refused());
        assert_eq!(next, Next::Read);
        assert_eq!(b.push(&vec![0; DRAIN_BYTES]), Next::Read, "drains");
        assert_eq!(b.push(b"z"), Next::Stop, "but not forever");
        let e = b.finish().unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "too_large"));
        assert!(e.body().error.message.contains("1048576 bytes"));
        // A header no importer reads: 422 once it is known.
        let mut b = CsvBody::new(500);
        for c in "a,b\n1,2\n".repeat(3000).as_bytes().chunks(512) {
            b.push(c);
        }
        assert!(b.refused());
        let e = b.finish().unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "unsupported"));
    }
}
