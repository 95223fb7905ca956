//! Exact samplers for the discrete Laplace and discrete Gaussian distributions on the integers
//! (Canonne, Kamath & Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020,
//! Algorithms 1-3), and the generator the release noise comes from.
//!
//! The samplers use only integer arithmetic and uniform integers: no floating point touches a
//! draw, so the output law is exactly the stated one (up to the generator).
//!
//! - [`bernoulli_exp`]: `Bernoulli(exp(-num/den))` (Algorithm 1).
//! - [`discrete_laplace`]: `P(x) ∝ exp(-|x| / t)` for a rational scale `t = t_num / t_den`
//!   (Algorithm 2).
//! - [`discrete_gaussian`]: `P(x) ∝ exp(-x² / (2σ²))` for a rational variance parameter
//!   `σ² = s_num / s_den` (Algorithm 3).
//!
//! Every sampler is generic over its generator ([`rand_core::Rng`]). Production seeds a
//! [`ChaCha20Rng`] from the operating system or the browser ([`noise_rng_from_entropy`], through
//! `getrandom`, on every build: native, wasm, Worker); tests, studies and simulated snapshots seed
//! one with [`noise_rng_from_seed`]. A release made from a known seed is not private.

use crate::error::{Error, ErrorCode, Result};
pub use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// A ChaCha20 generator seeded from `seed` (tests, studies, simulated snapshots only).
pub fn noise_rng_from_seed(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// A ChaCha20 generator seeded with 32 bytes from the operating system / browser (`getrandom`):
/// the production noise source.
pub fn noise_rng_from_entropy() -> Result<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::general(ErrorCode::Unsupported, format!("no entropy source: {e}")))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// Uniform integer in `[0, n)` (`n > 0`), by rejection: exact.
pub fn uniform_below<R: Rng + ?Sized>(rng: &mut R, n: u128) -> u128 {
    debug_assert!(n > 0);
    if n <= 1 {
        return 0;
    }
    // Largest multiple of n that fits, so the accepted range is a whole number of copies.
    let zone = u128::MAX - (u128::MAX % n + 1) % n;
    loop {
        let x = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
        if x <= zone {
            return x % n;
        }
    }
}

/// `Bernoulli(num / den)` exactly (`num <= den`, `den > 0`).
fn bernoulli_ratio<R: Rng + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    uniform_below(rng, den) < num
}

/// `Bernoulli(exp(-num / den))` exactly (`den > 0`), Algorithm 1 of Canonne, Kamath & Steinke.
pub fn bernoulli_exp<R: Rng + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    debug_assert!(den > 0);
    let mut num = num;
    // exp(-γ) = exp(-1)^⌊γ⌋ · exp(-(γ - ⌊γ⌋)).
    while num > den {
        if !bernoulli_exp_le1(rng, 1, 1) {
            return false;
        }
        num -= den;
    }
    bernoulli_exp_le1(rng, num, den)
}

/// `Bernoulli(exp(-γ))` for `γ = num / den ∈ [0, 1]`: the number of steps `K` until
/// `Bernoulli(γ / K)` fails is odd with probability `exp(-γ)`.
fn bernoulli_exp_le1<R: Rng + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    let mut k: u128 = 1;
    loop {
        if !bernoulli_ratio(rng, num, den * k) {
            break;
        }
        k += 1;
    }
    k % 2 == 1
}

/// One draw of the discrete Laplace distribution `P(x) ∝ exp(-|x| · t_den / t_num)` (scale
/// `t = t_num / t_den > 0`), Algorithm 2 of Canonne, Kamath & Steinke.
pub fn discrete_laplace<R: Rng + ?Sized>(rng: &mut R, t_num: u128, t_den: u128) -> i128 {
    debug_assert!(t_num > 0 && t_den > 0);
    // Scale t = t_num / t_den: the algorithm's (s, t) are (t_den, t_num).
    let (s, t) = (t_den, t_num);
    loop {
        let u = uniform_below(rng, t);
        if !bernoulli_exp(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(rng, 1, 1) {
            v += 1;
        }
        let x = u + t * v;
        let y = x / s;
        let negative = rng.next_u64() & 1 == 1;
        if negative && y == 0 {
            continue;
        }
        let y = y as i128;
        return if negative { -y } else { y };
    }
}

/// One draw of the discrete Gaussian `P(x) ∝ exp(-x² / (2σ²))` with `σ² = s_num / s_den > 0`,
/// Algorithm 3 of Canonne, Kamath & Steinke (rejection from a discrete Laplace with integer
/// scale `t = ⌊σ⌋ + 1`).
pub fn discrete_gaussian<R: Rng + ?Sized>(rng: &mut R, s_num: u128, s_den: u128) -> i128 {
    debug_assert!(s_num > 0 && s_den > 0);
    // t = ⌊σ⌋ + 1 = ⌊sqrt(s_num / s_den)⌋ + 1, computed exactly in integers.
    let mut t: u128 = isqrt(s_num / s_den);
    while (t + 1) * (t + 1) * s_den <= s_num {
        t += 1;
    }
    while t * t * s_den > s_num {
        t -= 1;
    }
    let t = t + 1;
    loop {
        let y = discrete_laplace(rng, t, 1);
        let a = y.unsigned_abs();
        // (|y| − σ²/t)² / (2σ²) = (|y|·t·s_den − s_num)² / (2 · s_num · s_den · t²).
        let lhs = a * t * s_den;
        let diff = lhs.abs_diff(s_num);
        let num = diff * diff;
        let den = 2 * s_num * s_den * t * t;
        if bernoulli_exp(rng, num, den) {
            return y;
        }
    }
}

/// Integer square root (floor).
fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = (n as f64).sqrt() as u128;
    while x * x > n {
        x -= 1;
    }
    while (x + 1) * (x + 1) <= n {
        x += 1;
    }
    x
}

/// The exact probability mass function of the discrete Gaussian with variance parameter `sigma2`
/// on `[-support, support]` (normalised over the whole integers; the tail beyond `support` is
/// folded into the normaliser by summing far enough). For tests and audits.
pub fn discrete_gaussian_pmf(sigma2: f64, support: i64) -> Vec<f64> {
    let far = support.max((sigma2.sqrt() * 40.0) as i64 + 10);
    let w = |x: i64| (-((x * x) as f64) / (2.0 * sigma2)).exp();
    let z: f64 = (-far..=far).map(w).sum();
    (-support..=support).map(|x| w(x) / z).collect()
}

/// Variance of the discrete Gaussian with parameter `sigma2` (at most `sigma2`).
pub fn discrete_gaussian_variance(sigma2: f64) -> f64 {
    let far = (sigma2.sqrt() * 40.0) as i64 + 10;
    let w = |x: i64| (-((x * x) as f64) / (2.0 * sigma2)).exp();
    let z: f64 = (-far..=far).map(w).sum();
    (-far..=far).map(|x| (x * x) as f64 * w(x)).sum::<f64>() / z
}

/// A rational `num / den` at or above `x > 0` with `den = 2^20`: the noise parameter actually
/// used for a requested float `σ²` or scale (rounding up never weakens the guarantee).
pub fn rational_at_least(x: f64) -> (u128, u128) {
    let den: u128 = 1 << 20;
    let num = (x * den as f64).ceil().max(1.0) as u128;
    (num, den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_below_is_in_range() {
        let mut r = noise_rng_from_seed(1);
        for n in [1u128, 2, 3, 7, 1000, u128::MAX / 3] {
            for _ in 0..100 {
                assert!(uniform_below(&mut r, n) < n);
            }
        }
    }

    #[test]
    fn bernoulli_exp_matches_its_probability() {
        let mut r = noise_rng_from_seed(7);
        for (num, den) in [(1u128, 2u128), (3, 1), (5, 4)] {
            let n = 40_000;
            let hits = (0..n).filter(|_| bernoulli_exp(&mut r, num, den)).count();
            let p = (-(num as f64) / den as f64).exp();
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                ((hits as f64 / n as f64) - p).abs() < 4.5 * se,
                "{num}/{den}"
            );
        }
    }
}
