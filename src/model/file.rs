//! The compact, versioned CTR model file.
//!
//! Layout (all little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `b"CLCTRMD\0"` |
//! | 2 | format version (`1`) |
//! | 1 | model kind (1 = pre-launch creative, 2 = in-flight campaign) |
//! | 4 | feature layout id (which encoder produced the columns; must match at scoring time) |
//! | 4 | `d`, the number of features |
//! | 4·d | weights (f32) |
//! | 4 | intercept (f32) |
//! | 8 | Platt calibration `a`, `b` (f32 each): `p = σ(a·η + b)` |
//! | 4·(d+1)(d+2)/2 | upper triangle of the coefficient covariance (f32), for intervals |
//! | 4 + m | metadata: length, then UTF-8 JSON (feature names, training summary) |
//! | 8 | FNV-1a 64 checksum of every preceding byte |
//!
//! Every read is bounds-checked: truncated, corrupted (checksum), foreign (magic) or newer
//! (version) files are errors that say which, never panics.

use crate::error::{Error, ErrorCode, Result};

/// File magic.
pub const MAGIC: &[u8; 8] = b"CLCTRMD\0";
/// Current format version.
pub const VERSION: u16 = 1;

pub use crate::hash::fnv1a64;

/// Append-only little-endian writer.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn f32(&mut self, v: f32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let sum = fnv1a64(&self.0);
        self.0.extend_from_slice(&sum.to_le_bytes());
        self.0
    }
}

/// Bounds-checked little-endian reader over a checksummed body.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn malformed(msg: impl Into<String>) -> Error {
    Error::field(ErrorCode::Malformed, "model", msg)
}

impl<'a> Reader<'a> {
    /// Verify magic, checksum and version; return a reader positioned after the version.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < MAGIC.len() + 2 + 8 {
            return Err(malformed(format!(
                "truncated: {} bytes is shorter than any model file",
                bytes.len()
            )));
        }
        if &bytes[..MAGIC.len()] != MAGIC {
            return Err(malformed("not a crosslearn CTR model (bad magic bytes)"));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut s = [0u8; 8];
        s.copy_from_slice(sum);
        if fnv1a64(body) != u64::from_le_bytes(s) {
            return Err(malformed("corrupted or truncated (checksum mismatch)"));
        }
        let mut r = Reader {
            buf: body,
            pos: MAGIC.len(),
        };
        let version = r.u16()?;
        if version != VERSION {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "model",
                format!("format version {version} is not supported (this build reads {VERSION})"),
            ));
        }
        Ok(r)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(malformed(format!(
                "truncated: needs {n} more bytes at offset {}",
                self.pos
            ))),
        }
    }
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn f32(&mut self) -> Result<f32> {
        let b = self.take(4)?;
        let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(malformed(format!(
                "non-finite parameter at offset {}",
                self.pos - 4
            )))
        }
    }
    pub(crate) fn f32s(&mut self, n: usize) -> Result<Vec<f32>> {
        // Check the length before allocating, so a forged count cannot exhaust memory.
        if n.checked_mul(4)
            .is_none_or(|b| b > self.buf.len() - self.pos)
        {
            return Err(malformed(format!("truncated: {n} parameters announced")));
        }
        (0..n).map(|_| self.f32()).collect()
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        self.take(n)
    }
    pub(crate) fn done(&self) -> Result<()> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{} unexpected trailing bytes",
                self.buf.len() - self.pos
            )))
        }
    }
}
