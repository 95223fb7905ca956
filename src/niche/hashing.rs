//! Hashed word and character n-gram features ("feature hashing").
//!
//! A text's tokens (see [`super::text`]) produce three namespaces of string features:
//!
//! - word unigrams `w`, word bigrams `w1 w2`,
//! - character n-grams (`n` in `char_min..=char_max`) of each token padded as `<token>`.
//!
//! Digits are replaced by `0` first (`$14.40` and `$10.99` look alike). Each feature string `f` of
//! namespace `s` is hashed with a 64-bit FNV-1a over `seed, s, f` and a SplitMix64 finalizer:
//! bucket `j = h mod D`, sign `σ = ±1` from the top bit (signed hashing keeps collisions unbiased).
//! Features are binary (presence); a namespace with `n_s` distinct features contributes
//! `ω_s / sqrt(n_s)` per feature, so its block has L2 norm `ω_s` whatever the text's length:
//!
//! ```text
//! x_j = Σ_s Σ_{f in s, bucket(f) = j} σ(f) · ω_s / sqrt(n_s)
//! ```
//!
//! No string is stored: the model holds only bucket weights, so it carries no vocabulary from its
//! training texts.

use super::text::Tokens;

/// A sparse feature vector: `(bucket, value)` sorted by bucket, each bucket once.
pub type SparseVec = Vec<(u32, f32)>;

/// How texts are hashed into features. Stored in the model file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HashingConfig {
    /// Number of hash buckets `D` (the model's input dimension).
    pub buckets: u32,
    /// Shortest character n-gram (0 disables character n-grams).
    pub char_min: u8,
    /// Longest character n-gram.
    pub char_max: u8,
    /// Weight `ω` of word unigrams.
    pub w_unigram: f32,
    /// Weight `ω` of word bigrams (0 disables them).
    pub w_bigram: f32,
    /// Weight `ω` of character n-grams.
    pub w_char: f32,
    /// Hash seed.
    pub seed: u64,
}

impl Default for HashingConfig {
    fn default() -> Self {
        HashingConfig {
            buckets: 12_000,
            char_min: 3,
            char_max: 5,
            w_unigram: 1.0,
            w_bigram: 0.5,
            w_char: 1.0,
            seed: 0x6e69_6368_6531,
        }
    }
}

use crate::hash::{fnv1a64_continue as fnv, FNV_OFFSET};

/// 64-bit FNV-1a of `bytes` (also used to assign corpus groups to splits).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    crate::hash::fnv1a64(bytes)
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn digits_to_zero(w: &str) -> String {
    w.chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect()
}

impl HashingConfig {
    fn hash(&self, namespace: u8, parts: &[&str]) -> u64 {
        let mut h = fnv(FNV_OFFSET, &self.seed.to_le_bytes());
        h = fnv(h, &[namespace]);
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                h = fnv(h, b" ");
            }
            h = fnv(h, p.as_bytes());
        }
        mix(h)
    }

    /// The feature vector of already tokenized text.
    pub fn features(&self, tokens: &Tokens) -> SparseVec {
        let words: Vec<String> = tokens.words().into_iter().map(digits_to_zero).collect();
        let mut uni: Vec<u64> = words.iter().map(|w| self.hash(1, &[w])).collect();
        let mut bi: Vec<u64> = if self.w_bigram > 0.0 {
            words
                .windows(2)
                .map(|p| self.hash(2, &[&p[0], &p[1]]))
                .collect()
        } else {
            Vec::new()
        };
        let mut chars = Vec::new();
        if self.char_min > 0 {
            let mut buf = String::new();
            for w in &words {
                let padded: Vec<char> = std::iter::once('<')
                    .chain(w.chars())
                    .chain(std::iter::once('>'))
                    .collect();
                for n in usize::from(self.char_min)..=usize::from(self.char_max) {
                    for g in padded.windows(n) {
                        buf.clear();
                        buf.extend(g);
                        chars.push(self.hash(3, &[&buf]));
                    }
                }
            }
        }
        let mut out: Vec<(u32, f32)> = Vec::new();
        for (hashes, weight) in [
            (&mut uni, self.w_unigram),
            (&mut bi, self.w_bigram),
            (&mut chars, self.w_char),
        ] {
            hashes.sort_unstable();
            hashes.dedup();
            if hashes.is_empty() || weight == 0.0 {
                continue;
            }
            let v = weight / (hashes.len() as f32).sqrt();
            let d = u64::from(self.buckets.max(1));
            for &h in hashes.iter() {
                let sign = if h >> 63 == 1 { -v } else { v };
                out.push(((h % d) as u32, sign));
            }
        }
        out.sort_by_key(|&(j, _)| j);
        let mut merged: SparseVec = Vec::with_capacity(out.len());
        for (j, v) in out {
            match merged.last_mut() {
                Some((lj, lv)) if *lj == j => *lv += v,
                _ => merged.push((j, v)),
            }
        }
        merged
    }
}
