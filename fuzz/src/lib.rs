//! Shared pieces of the fuzz targets: the contracts (also used by `tests/fuzz_regressions.rs`)
//! and `arbitrary` generators for hostile numbers.

pub mod contracts;

use arbitrary::{Arbitrary, Result, Unstructured};
use crosslearn::features::CreativeDna;
use crosslearn::metrics::PlatformMetrics;
use crosslearn::platform::Platform;

/// Values that break naive float code.
const SPECIAL_F64: [f64; 24] = [
    0.0,
    -0.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::MIN_POSITIVE,
    5e-324, // smallest subnormal
    2.2e-308,
    f64::MAX,
    f64::MIN,
    1e308,
    1e-300,
    1.0,
    -1.0,
    10.0,
    0.5,
    1.0 + f64::EPSILON,
    9_223_372_036_854_775_808.0,  // 2^63
    18_446_744_073_709_551_616.0, // 2^64
    0.025,
    1e15,
    4_503_599_627_370_496.5, // above 2^52: fract() is 0
    100.0,
    f64::EPSILON,
];

/// An `f64` that is special (NaN, ±Inf, subnormal, huge), plausible, or any bit pattern.
#[derive(Debug, Clone, Copy)]
pub struct Float(pub f64);

impl<'a> Arbitrary<'a> for Float {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Float(match u.int_in_range(0u8..=3)? {
            0 => *u.choose(&SPECIAL_F64)?,
            1 => f64::from_bits(u.arbitrary()?),
            2 => f64::from(u.arbitrary::<u16>()?) / 1000.0,
            _ => f64::from(u.arbitrary::<u32>()?) / f64::from(u.int_in_range(1u32..=1_000_000)?),
        }))
    }
}

/// A count: small, a power-of-two edge, or `u64::MAX`.
#[derive(Debug, Clone, Copy)]
pub struct Count(pub u64);

impl<'a> Arbitrary<'a> for Count {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Count(match u.int_in_range(0u8..=3)? {
            0 => *u.choose(&[
                0,
                1,
                99,
                100,
                1_000,
                10_000,
                50_000,
                1 << 53,
                1 << 63,
                u64::MAX,
            ])?,
            1 => u.arbitrary()?,
            _ => u64::from(u.arbitrary::<u32>()?),
        }))
    }
}

/// One platform's metrics with hostile numbers.
#[derive(Debug, Clone, Arbitrary)]
pub struct Metrics {
    platform: u8,
    ctr: Float,
    cpc: Float,
    cpm: Float,
    impressions: Count,
    clicks: Count,
    spend: Float,
    conversions: Count,
    revenue: Float,
    engagement_rate: Option<Float>,
    quality_score: Option<Float>,
    relevance_score: Option<Float>,
}

impl Metrics {
    /// As the core's type.
    pub fn to_core(&self) -> PlatformMetrics {
        let platform = Platform::ALL[usize::from(self.platform) % Platform::ALL.len()];
        let mut m = PlatformMetrics::new(
            platform,
            self.ctr.0,
            self.cpc.0,
            self.cpm.0,
            self.impressions.0,
            self.clicks.0,
            self.spend.0,
        );
        m.conversions = self.conversions.0;
        m.revenue = self.revenue.0;
        m.engagement_rate = self.engagement_rate.map(|f| f.0);
        m.quality_score = self.quality_score.map(|f| f.0);
        m.relevance_score = self.relevance_score.map(|f| f.0);
        m
    }
}

/// Creative DNA with hostile numbers.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct Dna(Option<Float>, Option<Float>, Option<Float>);

impl Dna {
    /// As the core's type.
    pub fn to_core(self) -> CreativeDna {
        CreativeDna {
            composite_score: self.0.map(|f| f.0),
            hook_strength: self.1.map(|f| f.0),
            visual_appeal: self.2.map(|f| f.0),
        }
    }
}

/// An `f32` row value: special or any bit pattern.
#[derive(Debug, Clone, Copy)]
pub struct Float32(pub f32);

impl<'a> Arbitrary<'a> for Float32 {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Float32(match u.int_in_range(0u8..=2)? {
            0 => *u.choose(&[
                0.0,
                -0.0,
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::MAX,
                f32::MIN,
                f32::MIN_POSITIVE,
                1e-45,
                1.0,
                -1.0,
            ])?,
            1 => f32::from_bits(u.arbitrary()?),
            _ => f32::from(u.arbitrary::<i16>()?) / 1000.0,
        }))
    }
}
