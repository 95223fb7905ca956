//! The crate's one PRNG, with the distributions the simulator and the privacy noise need.
//!
//! The core never reads a global RNG: callers pass an [`Rng`]. Tests and the simulator seed one
//! ([`Rng::new`]); the Worker and the browser seed one from `getrandom` ([`Rng::from_entropy`]).
//!
//! SplitMix64 expands a seed (and derives independent per-account streams); xoshiro256** draws.
//! Floating-point draws use only IEEE basic operations and `libm` (pure Rust), so a seed gives
//! the same bits natively and in wasm.
//!
//! - uniform: the top 53 bits of a draw times 2^-53, in [0, 1).
//! - normal: Box-Muller, `sqrt(-2 ln u1) cos(2 pi u2)`, with `u1` in (0, 1].
//! - binomial(n, p): exact inversion (sequential search from P(0) = (1-p)^n) while
//!   `n min(p, 1-p) < 25`; above that the normal approximation `round(np + z sqrt(np(1-p)))`
//!   clamped to [0, n] (its error is far below the simulator's noise at those sizes).

/// One SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

/// Uniform in the open interval (0, 1) from the top 53 bits of any generator's next `u64` (safe
/// for `ln`); [`Rng::open01`] and the release mechanisms draw it the same way.
pub fn open01<R: rand_core::Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// The study's and the tests' generator also serves where noise is drawn from any `rand_core`
/// generator (the release mechanisms are generic over it; production passes ChaCha20): the same
/// 64-bit outputs, so a release drawn with a seeded `Rng` is unchanged.
impl rand_core::TryRng for Rng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((Rng::next_u64(self) >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(Rng::next_u64(self))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let b = Rng::next_u64(self).to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

impl Rng {
    /// A generator seeded from `seed` through SplitMix64.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// An independent stream for item `index` under `seed`.
    pub fn stream(seed: u64, index: u64) -> Self {
        let mut sm = seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut sm))
    }

    /// A generator seeded from the operating system / browser (`getrandom`).
    pub fn from_entropy() -> crate::error::Result<Self> {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).map_err(|e| {
            crate::error::Error::general(
                crate::error::ErrorCode::Unsupported,
                format!("no entropy source: {e}"),
            )
        })?;
        Ok(Rng::new(u64::from_le_bytes(b)))
    }

    /// Uniform in the open interval (0, 1), 53 bits of precision (safe for `ln`).
    pub fn open01(&mut self) -> f64 {
        open01(self)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in [lo, hi] (inclusive; `lo` when `hi < lo`).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Index drawn with probability proportional to `weights` (0 if they sum to 0).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }

    /// Binomial(n, p) (see module docs).
    pub fn binomial(&mut self, n: u64, p: f64) -> u64 {
        if n == 0 || p <= 0.0 {
            return 0;
        }
        if p >= 1.0 {
            return n;
        }
        if p > 0.5 {
            return n - self.binomial(n, 1.0 - p);
        }
        let nf = n as f64;
        if nf * p < 25.0 {
            let ratio = p / (1.0 - p);
            let mut prob = libm::exp(nf * libm::log1p(-p));
            let mut cdf = prob;
            let u = self.uniform();
            let mut x = 0u64;
            while u > cdf && x < n {
                x += 1;
                prob *= ratio * (nf - x as f64 + 1.0) / x as f64;
                cdf += prob;
                if prob <= 0.0 {
                    break;
                }
            }
            x
        } else {
            let mean = nf * p;
            let z = self.normal();
            let v = libm::round(mean + z * libm::sqrt(mean * (1.0 - p)));
            v.clamp(0.0, nf) as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_roughly_right() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut r = Rng::new(1);
        let n = 20_000;
        let mean: f64 = (0..n).map(|_| r.normal()).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03);
        let small: u64 = (0..n).map(|_| r.binomial(100, 0.02)).sum();
        assert!(((small as f64 / n as f64) - 2.0).abs() < 0.05);
        let big: u64 = (0..2000).map(|_| r.binomial(100_000, 0.01)).sum();
        assert!(((big as f64 / 2000.0) - 1000.0).abs() < 3.0);
        assert_eq!(r.binomial(10, 1.0), 10);
        assert!(r.binomial(10, 0.9) <= 10);
        assert_ne!(Rng::stream(1, 0).next_u64(), Rng::stream(1, 1).next_u64());
    }
}
