//! Injected randomness. The core never reads a global RNG: callers pass an [`Rng`]. Tests and the
//! simulator use the seeded [`Xoshiro256`]; the Worker and the browser seed one from `getrandom`
//! ([`Xoshiro256::from_entropy`]).

use crate::error::{Error, ErrorCode, Result};

/// A source of uniformly distributed 64-bit words.
pub trait Rng {
    /// The next word.
    fn next_u64(&mut self) -> u64;

    /// Uniform in the open interval (0, 1), 53 bits of precision.
    fn next_open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// xoshiro256** seeded through SplitMix64: small, fast, identical on every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Xoshiro256 {
    /// A generator determined by `seed`.
    pub fn seeded(seed: u64) -> Self {
        let mut x = seed;
        Xoshiro256 {
            s: [
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
                splitmix(&mut x),
            ],
        }
    }

    /// A generator seeded from the operating system / browser (`getrandom`).
    pub fn from_entropy() -> Result<Self> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| {
            Error::general(ErrorCode::Unsupported, format!("no entropy source: {e}"))
        })?;
        Ok(Self::seeded(u64::from_le_bytes(b)))
    }
}

impl Rng for Xoshiro256 {
    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_deterministic_and_uniform_enough() {
        let mut a = Xoshiro256::seeded(42);
        let mut b = Xoshiro256::seeded(42);
        assert_eq!(a.next_u64(), b.next_u64());
        let mean: f64 = (0..100_000).map(|_| a.next_open01()).sum::<f64>() / 100_000.0;
        assert!((mean - 0.5).abs() < 0.01);
        assert_ne!(Xoshiro256::seeded(1), Xoshiro256::seeded(2));
    }
}
