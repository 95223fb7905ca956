//! **Synthetic** benchmark input: a deterministic, seeded generator of 3-platform campaigns in the
//! columnar batch layout of [`FeatureBuilder::from_columns`](crate::features::FeatureBuilder::from_columns)
//! (see [`COLUMNS_PER_PLATFORM`] for the layout).
//!
//! The numbers are made up. They are shaped like plausible ad metrics so that every code path of
//! the normalizer runs (values below, inside and above each benchmark range; missing optional
//! signals), but they describe no real campaign and must never be used to train or evaluate a
//! model. Their only uses are throughput benchmarks (`examples/bench_features.rs`,
//! `tests/bench/features.mjs`) and tests that need many valid campaigns.
//!
//! Every campaign has all three platform blocks present (meta, tiktok, google_ads). Per platform,
//! with `[lo, hi]` its seed benchmark range and `U(a, b)` a uniform draw:
//!
//! | column | value |
//! |---|---|
//! | ctr, cpc, cpm | `U(0.5 lo, 1.2 hi)` (so some values clamp at either end) |
//! | impressions | `U` over one of the decades 50..200, 500..2,000, 5,000..20,000, 50,000..200,000 (whole) |
//! | clicks | `round(impressions * ctr)` |
//! | spend | `impressions * cpm / 1000` |
//! | conversions | `floor(clicks * U(0, 0.1))` |
//! | revenue | `spend * U(0, 6)` (ROAS 0..6) |
//! | engagement_rate | TikTok always `U(0.01, 0.18)`; Meta half the time `U(0.005, 0.12)`; Google one time in five `U(0.005, 0.1)`; otherwise NaN (not reported) |
//! | quality_score | Google four times in five `U(1, 10)`, otherwise NaN |
//! | relevance_score | Meta seven times in ten `U(1, 10)`, otherwise NaN |
//!
//! The three creative-DNA columns are each `U(0, 1)` three times in four, otherwise NaN. Every value
//! is valid in both [`Mode`](crate::normalize::Mode)s.
//!
//! Randomness is a parameter (the seed), never global. The generator is SplitMix64 and uses only
//! integer arithmetic and correctly rounded `+ - * /`, `floor` and `round` (no `exp`, `ln` or
//! `powf`), so the same seed gives the same bytes natively, in the browser and in the Worker.

use crate::benchmarks::{Benchmarks, Range};
use crate::error::{Error, ErrorCode, Result};
use crate::features::{COLUMNS, COLUMNS_PER_PLATFORM};

/// The seed the benchmarks use unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_251_212;

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, statistically fine for benchmark input, and
/// fully specified by integer operations.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on [0, 1) with 53 random bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// `true` with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A value beyond both ends of `r`: `U(0.5 min, 1.2 max)`.
    fn around(&mut self, r: Range) -> f64 {
        self.uniform(0.5 * r.min, 1.2 * r.max)
    }
}

/// `n_campaigns` synthetic 3-platform campaigns in the column-major batch layout
/// (`COLUMNS * n_campaigns` values; column `c` of campaign `i` at `c * n_campaigns + i`).
///
/// Deterministic: the same `(n_campaigns, seed)` always gives the same bytes, on every target.
/// The first `k` campaigns do not depend on `n_campaigns`. Errors only when the buffer size
/// overflows `usize`.
pub fn campaign_columns(n_campaigns: usize, seed: u64) -> Result<Vec<f64>> {
    let len = n_campaigns.checked_mul(COLUMNS).ok_or_else(|| {
        Error::field(
            ErrorCode::InvalidValue,
            "n_campaigns",
            format!("{n_campaigns} campaigns x {COLUMNS} columns overflows the address space"),
        )
    })?;
    let mut out = vec![f64::NAN; len];
    let b = Benchmarks::seed();
    let rows = [b.meta, b.tiktok, b.google_ads];
    let mut rng = SplitMix64(seed);
    let n = n_campaigns;
    for i in 0..n {
        for (k, row) in rows.iter().enumerate() {
            let mut set =
                |offset: usize, v: f64| out[(k * COLUMNS_PER_PLATFORM + offset) * n + i] = v;
            let ctr = rng.around(row.ctr);
            let cpc = rng.around(row.cpc);
            let cpm = rng.around(row.cpm);
            let decade = [50.0, 500.0, 5_000.0, 50_000.0][(rng.next_u64() % 4) as usize];
            let impressions = rng.uniform(decade, 4.0 * decade).floor();
            let clicks = (impressions * ctr).round();
            let spend = impressions * cpm / 1000.0;
            let conversions = (clicks * rng.uniform(0.0, 0.1)).floor();
            let revenue = spend * rng.uniform(0.0, 6.0);
            let engagement = match k {
                1 => Some(rng.uniform(0.01, 0.18)),
                0 if rng.chance(0.5) => Some(rng.uniform(0.005, 0.12)),
                2 if rng.chance(0.2) => Some(rng.uniform(0.005, 0.1)),
                _ => None,
            };
            let quality = (k == 2 && rng.chance(0.8)).then(|| rng.uniform(1.0, 10.0));
            let relevance = (k == 0 && rng.chance(0.7)).then(|| rng.uniform(1.0, 10.0));
            let values = [
                1.0,
                ctr,
                cpc,
                cpm,
                impressions,
                clicks,
                spend,
                conversions,
                revenue,
                engagement.unwrap_or(f64::NAN),
                quality.unwrap_or(f64::NAN),
                relevance.unwrap_or(f64::NAN),
            ];
            for (offset, v) in values.into_iter().enumerate() {
                set(offset, v);
            }
        }
        for d in 0..3 {
            let v = if rng.chance(0.75) {
                rng.unit()
            } else {
                f64::NAN
            };
            out[(3 * COLUMNS_PER_PLATFORM + d) * n + i] = v;
        }
    }
    Ok(out)
}

/// FNV-1a over the bit patterns of `values`: a cheap fingerprint to check that two targets
/// produced the same bytes (used by the native and the wasm tests).
pub fn fingerprint<T: Copy + Into<f64>>(values: &[T]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for byte in (*v).into().to_bits().to_le_bytes() {
            h ^= u64::from(byte);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{FeatureBuilder, N_FEATURES};
    use crate::normalize::{Mode, Normalizer};

    #[test]
    fn deterministic_prefix_stable_and_seed_sensitive() {
        let a = campaign_columns(100, 7).unwrap();
        assert_eq!(
            fingerprint(&a),
            fingerprint(&campaign_columns(100, 7).unwrap())
        );
        assert_ne!(
            fingerprint(&a),
            fingerprint(&campaign_columns(100, 8).unwrap())
        );
        // Campaign 3 of a 100-batch equals campaign 3 of a 10-batch, column by column.
        let b = campaign_columns(10, 7).unwrap();
        for c in 0..COLUMNS {
            assert_eq!(
                a[c * 100 + 3].to_bits(),
                b[c * 10 + 3].to_bits(),
                "column {c}"
            );
        }
        assert!(campaign_columns(0, 1).unwrap().is_empty());
        assert!(campaign_columns(usize::MAX, 1).is_err());
    }

    #[test]
    fn valid_in_both_modes() {
        let n = 2_000;
        let cols = campaign_columns(n, DEFAULT_SEED).unwrap();
        for mode in [Mode::Seed, Mode::Corrected] {
            let out = FeatureBuilder::new(Normalizer::new(mode))
                .from_columns(&cols, n)
                .unwrap();
            assert_eq!(out.len(), n * N_FEATURES);
            assert!(out.iter().all(|v| v.is_finite()));
        }
    }

    /// The same fingerprints are asserted by `tests/web.rs` under wasm (keep them in sync): the
    /// generator and the feature builder give the same bytes natively and in wasm.
    #[test]
    fn known_fingerprints() {
        let n = 1_000;
        let cols = campaign_columns(n, DEFAULT_SEED).unwrap();
        let seed = FeatureBuilder::new(Normalizer::new(Mode::Seed));
        let corrected = FeatureBuilder::new(Normalizer::new(Mode::Corrected));
        let got = [
            fingerprint(&cols),
            fingerprint(&seed.from_columns(&cols, n).unwrap()),
            fingerprint(&corrected.from_columns(&cols, n).unwrap()),
        ];
        assert_eq!(got, KNOWN);
    }

    const KNOWN: [u64; 3] = [
        17_693_799_284_896_201_924,
        12_771_486_868_639_996_841,
        4_313_003_048_382_703_704,
    ];
}
