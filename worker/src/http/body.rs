//! The request-body size limit.
//!
//! A body is refused with 413 once it is known to be too large: from its `Content-Length` before
//! reading anything, or, for a body without one (chunked), when the bytes read pass the limit.
//! Past the limit, chunks are counted and dropped, never kept, so memory per request stays bounded
//! by [`MAX_BODY_BYTES`] plus one chunk whatever the client sends. The rest of a chunked body is
//! read (up to [`DRAIN_BYTES`]) before answering: a 413 sent while the client is still uploading
//! left `wrangler dev`'s local proxy with a stuck connection (the next request hung), and
//! HTTP/1.1 clients that only read the answer after sending everything need it too.

use crate::error::ApiError;

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
}
