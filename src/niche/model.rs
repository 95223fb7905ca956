//! The niche model and its versioned binary format (`models/niche-v1.bin`).
//!
//! A model is a multinomial logistic regression over `K` classes (15 niches, optionally plus an
//! `other` class for copy that belongs to none) on `D` hashed features (see [`super::hashing`]).
//! Weights are stored as `i8` with one `f32` scale per class: `W_kj ≈ s_k · q_kj`,
//! `s_k = max_j |W_kj| / 127`, `q_kj = round(W_kj / s_k)`. Quantization moves a logit by at most
//! `s_k / 2 · ||x||_1`; the evaluation is always run on the quantized model.
//!
//! Layout, little-endian, all offsets in bytes:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `CLNICHE\0` |
//! | 8 | 2 | format version (1) |
//! | 10 | 2 | keyword-list version ([`super::keyword::KEYWORDS_VERSION`]) |
//! | 12 | 4 | `D`, hash buckets (u32) |
//! | 16 | 1 | `K`, classes (2..=16) |
//! | 17 | 1 | shortest char n-gram |
//! | 18 | 1 | longest char n-gram |
//! | 19 | 1 | reserved, 0 |
//! | 20 | 12 | namespace weights: unigram, bigram, char (f32 x 3) |
//! | 32 | 8 | hash seed (u64) |
//! | 40 | 4 | keyword-prior weight `β` (f32) |
//! | 44 | 4 | temperature `T` (f32, > 0) |
//! | 48 | 4 | unknown threshold `τ` (f32, 0..=1) |
//! | 52 | K | class codes: niche index in `Niche::ALL`, or 255 for `other` |
//! | | 4K | biases (f32) |
//! | | 4K | scales (f32) |
//! | | K·D | weights (i8), class-major |
//! | end-4 | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Any truncated, corrupt or incompatible input is an [`Error`], never a panic.

use super::hashing::HashingConfig;
use super::keyword::KEYWORDS_VERSION;
use super::Niche;
use crate::error::{Error, ErrorCode, Result};

/// File magic.
pub const MAGIC: [u8; 8] = *b"CLNICHE\0";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Class code of the `other` class.
pub const OTHER_CODE: u8 = 255;
const HEADER: usize = 52;
const MAX_BUCKETS: u32 = 1 << 22;

/// A loaded niche model: immutable, cheap to share, no I/O.
#[derive(Debug, Clone, PartialEq)]
pub struct NicheModel {
    pub(crate) hashing: HashingConfig,
    /// `Some(niche)` or `None` for the `other` class.
    pub(crate) classes: Vec<Option<Niche>>,
    pub(crate) bias: Vec<f32>,
    pub(crate) kw_weight: f32,
    pub(crate) temperature: f32,
    pub(crate) threshold: f32,
    pub(crate) scales: Vec<f32>,
    pub(crate) weights: Vec<i8>,
}

/// Float parameters of a trained model, before quantization.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatParams {
    /// Hashing configuration.
    pub hashing: HashingConfig,
    /// Classes (`None` = other).
    pub classes: Vec<Option<Niche>>,
    /// `K x D` weights, class-major.
    pub weights: Vec<f32>,
    /// `K` biases.
    pub bias: Vec<f32>,
    /// Keyword-prior weight `β`.
    pub kw_weight: f32,
    /// Temperature `T`.
    pub temperature: f32,
    /// Unknown threshold `τ`.
    pub threshold: f32,
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub fn crc32(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    let mut crc = !0u32;
    for &b in bytes {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

fn malformed(msg: impl Into<String>) -> Error {
    Error::field(ErrorCode::Malformed, "model", msg)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| malformed("truncated niche model"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn arr<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        let v = f32::from_le_bytes(self.arr()?);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(malformed(format!("{what} is not finite")))
        }
    }
}

impl NicheModel {
    /// Quantize float parameters into a model.
    pub fn quantize(p: &FloatParams) -> Result<Self> {
        let k = p.classes.len();
        let d = p.hashing.buckets as usize;
        if p.weights.len() != k * d || p.bias.len() != k {
            return Err(Error::general(
                ErrorCode::InvalidValue,
                "weights must be K x D and biases K",
            ));
        }
        let mut scales = Vec::with_capacity(k);
        let mut weights = Vec::with_capacity(k * d);
        for row in p.weights.chunks(d.max(1)).take(k) {
            let max = row.iter().fold(0f32, |m, w| m.max(w.abs()));
            let s = if max > 0.0 { max / 127.0 } else { 1.0 };
            scales.push(s);
            weights.extend(
                row.iter()
                    .map(|w| (w / s).round().clamp(-127.0, 127.0) as i8),
            );
        }
        let model = NicheModel {
            hashing: p.hashing,
            classes: p.classes.clone(),
            bias: p.bias.clone(),
            kw_weight: p.kw_weight,
            temperature: p.temperature,
            threshold: p.threshold,
            scales,
            weights,
        };
        // Round-trip through the validator so a model that could not be loaded is never built.
        NicheModel::from_bytes(&model.to_bytes())
    }

    /// Serialize to the binary format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let h = &self.hashing;
        let mut out = Vec::with_capacity(HEADER + 9 * self.classes.len() + self.weights.len() + 4);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&KEYWORDS_VERSION.to_le_bytes());
        out.extend_from_slice(&h.buckets.to_le_bytes());
        out.extend_from_slice(&[self.classes.len() as u8, h.char_min, h.char_max, 0]);
        for f in [h.w_unigram, h.w_bigram, h.w_char] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.extend_from_slice(&h.seed.to_le_bytes());
        for f in [self.kw_weight, self.temperature, self.threshold] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.extend(self.classes.iter().map(|c| match c {
            Some(n) => n.index().map_or(OTHER_CODE, |i| i as u8),
            None => OTHER_CODE,
        }));
        for f in self.bias.iter().chain(&self.scales) {
            out.extend_from_slice(&f.to_le_bytes());
        }
        out.extend(self.weights.iter().map(|&w| w as u8));
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Load a model from bytes (as served by the Worker or shipped in the npm package).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(malformed("not a niche model (bad magic bytes)"));
        }
        let mut r = Reader { bytes, pos: 8 };
        let version = u16::from_le_bytes(r.arr()?);
        if version != FORMAT_VERSION {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "model",
                format!("niche model format version {version}; this build reads {FORMAT_VERSION}"),
            ));
        }
        let kw_version = u16::from_le_bytes(r.arr()?);
        if kw_version != KEYWORDS_VERSION {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "model",
                format!(
                    "model uses keyword list v{kw_version}; this build has v{KEYWORDS_VERSION}"
                ),
            ));
        }
        let buckets = u32::from_le_bytes(r.arr()?);
        let k = usize::from(r.u8()?);
        let (char_min, char_max, _reserved) = (r.u8()?, r.u8()?, r.u8()?);
        if !(1..=MAX_BUCKETS).contains(&buckets) || !(2..=16).contains(&k) {
            return Err(malformed(format!("bad dimensions D={buckets}, K={k}")));
        }
        let d = buckets as usize;
        let expected = HEADER + 9 * k + k * d + 4;
        if bytes.len() != expected {
            return Err(malformed(format!(
                "niche model is {} bytes, expected {expected} (truncated or padded)",
                bytes.len()
            )));
        }
        let body = &bytes[..expected - 4];
        let stored = u32::from_le_bytes([
            bytes[expected - 4],
            bytes[expected - 3],
            bytes[expected - 2],
            bytes[expected - 1],
        ]);
        if crc32(body) != stored {
            return Err(malformed("checksum mismatch: the niche model is corrupt"));
        }
        let hashing = HashingConfig {
            buckets,
            char_min,
            char_max,
            w_unigram: r.f32("unigram weight")?,
            w_bigram: r.f32("bigram weight")?,
            w_char: r.f32("char weight")?,
            seed: u64::from_le_bytes(r.arr()?),
        };
        if char_max < char_min || char_max > 16 {
            return Err(malformed("bad character n-gram range"));
        }
        let kw_weight = r.f32("keyword weight")?;
        let temperature = r.f32("temperature")?;
        let threshold = r.f32("threshold")?;
        if temperature <= 0.0 || !(0.0..=1.0).contains(&threshold) {
            return Err(malformed("temperature must be > 0 and threshold in [0, 1]"));
        }
        let mut classes = Vec::with_capacity(k);
        for &code in r.take(k)? {
            let class = match code {
                OTHER_CODE => None,
                i => Some(
                    *Niche::ALL
                        .get(usize::from(i))
                        .ok_or_else(|| malformed(format!("unknown class code {i}")))?,
                ),
            };
            if classes.contains(&class) {
                return Err(malformed("duplicate class"));
            }
            classes.push(class);
        }
        let bias = (0..k).map(|_| r.f32("bias")).collect::<Result<Vec<_>>>()?;
        let scales = (0..k).map(|_| r.f32("scale")).collect::<Result<Vec<_>>>()?;
        let weights = r.take(k * d)?.iter().map(|&b| b as i8).collect();
        Ok(NicheModel {
            hashing,
            classes,
            bias,
            kw_weight,
            temperature,
            threshold,
            scales,
            weights,
        })
    }

    /// The unknown threshold `τ` stored in the model.
    pub fn threshold(&self) -> f64 {
        f64::from(self.threshold)
    }

    /// The calibration temperature `T` stored in the model.
    pub fn temperature(&self) -> f64 {
        f64::from(self.temperature)
    }

    /// The learned keyword-prior weight `β`.
    pub fn keyword_weight(&self) -> f64 {
        f64::from(self.kw_weight)
    }

    /// The classes in output order (`None` = other).
    pub fn classes(&self) -> &[Option<Niche>] {
        &self.classes
    }

    /// A copy with another unknown threshold (clamped to `[0, 1]`).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold.clamp(0.0, 1.0) as f32;
        self
    }

    /// A copy with another temperature (e.g. after calibration). `T` must be positive and finite.
    pub fn with_temperature(mut self, t: f64) -> Result<Self> {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "temperature",
                format!("must be > 0, got {t}"),
            ));
        }
        self.temperature = t as f32;
        Ok(self)
    }
}
