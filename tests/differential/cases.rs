// The differential cases: ONE generator and ONE evaluator, compiled into both the native test
// (tests/differential_native.rs, which writes and checks tests/data/differential_native.json)
// and the wasm test (tests/web_differential.rs, which recomputes in wasm and compares).
//
// Inputs are drawn from `crosslearn::rng::Rng` with a fixed seed (integer arithmetic only, so
// both targets draw the same inputs: `inputs_fnv` in the fixture proves it). About one value in
// twenty is hostile: NaN, ±Inf, subnormals, huge values, negative numbers, percentages
// given as fractions, huge counts. Both targets must reject those identically (code and field).
//
// Kept free of inner attributes so it can be `#[path]`-included as a module.

use crosslearn::error::Error;
use crosslearn::features::{CreativeDna, FeatureBuilder, COLUMNS, N_FEATURES};
use crosslearn::metrics::PlatformMetrics;
use crosslearn::model::ctr::CtrModel;
use crosslearn::normalize::{Mode, Normalizer};
use crosslearn::platform::Platform;
use crosslearn::rng::Rng;
use serde_json::{json, Value};

/// The fixed seed of every input.
pub const SEED: u64 = 0x0D1F_F5EE_D202_6112;
/// Single-platform normalizer cases.
pub const SINGLES: usize = 160;
/// Campaigns through the feature builder.
pub const CAMPAIGNS: usize = 120;
/// Columnar batches (1-4 campaigns each).
pub const BATCHES: usize = 80;
/// Rows per CTR model.
pub const CTR_ROWS: usize = 48;

/// Values that must be rejected or survive exactly (non-finite, subnormal, huge, negative).
const HOSTILE: [f64; 14] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    5e-324,
    f64::MIN_POSITIVE,
    f64::MAX,
    1e300,
    -1.0,
    -0.0,
    0.0,
    1.0,
    2.5,
    1e-300,
    4_503_599_627_370_497.0,
];

/// A value: plausible (`scale * u`) 19 times in 20, hostile otherwise (a campaign has dozens of
/// values, so this still makes a good share of the cases errors).
fn value(r: &mut Rng, scale: f64) -> f64 {
    if r.chance(0.95) {
        scale * r.uniform()
    } else {
        HOSTILE[r.range(0, HOSTILE.len() as u64 - 1) as usize]
    }
}

/// A count up to 2^53 (exact in JS): usually plausible, sometimes 0 or huge.
fn count(r: &mut Rng, max: u64) -> u64 {
    match r.range(0, 9) {
        0 => 0,
        1 => 1 << 53,
        2 => r.range(0, 99),
        _ => r.range(0, max),
    }
}

fn metrics(r: &mut Rng, platform: Platform) -> PlatformMetrics {
    let impressions = count(r, 200_000);
    let clicks = count(r, impressions.max(1));
    let mut m = PlatformMetrics::new(
        platform,
        value(r, 0.08),
        value(r, 4.0),
        value(r, 40.0),
        impressions,
        clicks,
        value(r, 5_000.0),
    );
    m.conversions = count(r, 500);
    m.revenue = value(r, 20_000.0);
    m.engagement_rate = r.chance(0.5).then(|| value(r, 0.2));
    m.quality_score = r.chance(0.4).then(|| 1.0 + value(r, 9.0));
    m.relevance_score = r.chance(0.3).then(|| 1.0 + value(r, 9.0));
    m
}

fn platform(r: &mut Rng) -> Platform {
    // Mostly known platforms; `unknown` sometimes (an error in corrected mode).
    if r.chance(0.1) {
        Platform::Unknown
    } else {
        Platform::KNOWN[r.range(0, 2) as usize]
    }
}

fn dna(r: &mut Rng) -> Option<CreativeDna> {
    r.chance(0.5).then(|| CreativeDna {
        composite_score: r.chance(0.7).then(|| value(r, 1.0)),
        hook_strength: r.chance(0.7).then(|| value(r, 1.0)),
        visual_appeal: r.chance(0.7).then(|| value(r, 1.0)),
    })
}

/// Every input of the differential run.
pub struct Cases {
    /// Single platforms for `Normalizer::normalize`.
    pub singles: Vec<PlatformMetrics>,
    /// Campaigns for `FeatureBuilder::insight_and_features`.
    pub campaigns: Vec<(Vec<PlatformMetrics>, Option<CreativeDna>)>,
    /// Columnar batches for `FeatureBuilder::from_columns`: (columns, n).
    pub batches: Vec<(Vec<f64>, usize)>,
    /// CTR rows (`f32`), `CTR_ROWS` per model width, drawn per width.
    pub rows_seed: u64,
}

/// The inputs, from [`SEED`].
pub fn cases() -> Cases {
    let mut r = Rng::stream(SEED, 1);
    let singles = (0..SINGLES)
        .map(|_| {
            let p = platform(&mut r);
            metrics(&mut r, p)
        })
        .collect();
    let mut r = Rng::stream(SEED, 2);
    let campaigns = (0..CAMPAIGNS)
        .map(|_| {
            let n = r.range(1, 3) as usize;
            let mut data: Vec<PlatformMetrics> = Vec::new();
            for k in 0..n {
                // Usually distinct platforms; sometimes a duplicate (an error in corrected mode).
                let p = if r.chance(0.1) {
                    platform(&mut r)
                } else {
                    Platform::KNOWN[(k + r.range(0, 2) as usize) % 3]
                };
                data.push(metrics(&mut r, p));
            }
            (data, dna(&mut r))
        })
        .collect();
    let mut r = Rng::stream(SEED, 3);
    let batches = (0..BATCHES)
        .map(|_| {
            let n = r.range(1, 4) as usize;
            let mut cols = vec![f64::NAN; n * COLUMNS];
            for i in 0..n {
                for (k, p) in Platform::KNOWN.into_iter().enumerate() {
                    let base = k * 12;
                    let mut set = |off: usize, v: f64| cols[(base + off) * n + i] = v;
                    let present = r.chance(0.6);
                    set(0, if present { 1.0 } else { 0.0 });
                    if r.chance(0.03) {
                        set(0, value(&mut r, 2.0)); // a bad presence flag
                    }
                    let m = metrics(&mut r, p);
                    let big = |r: &mut Rng, c: u64| -> f64 {
                        // Counts as f64: mostly exact, sometimes fractional, 2^63, NaN or huge.
                        match r.range(0, 99) {
                            0 => 0.5,
                            1 => 9_223_372_036_854_775_808.0,
                            2 => f64::NAN,
                            3 => 1e300,
                            _ => c as f64,
                        }
                    };
                    let (imps, clicks, conv) = (
                        big(&mut r, m.impressions),
                        big(&mut r, m.clicks),
                        big(&mut r, m.conversions),
                    );
                    let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
                    let values = [
                        m.ctr,
                        m.cpc,
                        m.cpm,
                        imps,
                        clicks,
                        m.spend,
                        conv,
                        m.revenue,
                        opt(m.engagement_rate),
                        opt(m.quality_score),
                        opt(m.relevance_score),
                    ];
                    for (off, v) in values.into_iter().enumerate() {
                        set(off + 1, v);
                    }
                }
                let d = dna(&mut r).unwrap_or_default();
                let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
                for (c, v) in [d.composite_score, d.hook_strength, d.visual_appeal]
                    .into_iter()
                    .enumerate()
                {
                    cols[(36 + c) * n + i] = opt(v);
                }
            }
            (cols, n)
        })
        .collect();
    Cases {
        singles,
        campaigns,
        batches,
        rows_seed: Rng::stream(SEED, 4).next_u64(),
    }
}

/// `CTR_ROWS` rows of width `d`: plausible encoded values, a few hostile ones.
pub fn ctr_rows(seed: u64, d: usize) -> Vec<f32> {
    let mut r = Rng::stream(seed, d as u64);
    (0..CTR_ROWS * d)
        .map(|_| {
            if r.chance(0.995) {
                (r.uniform() * 3.0 - 1.0) as f32
            } else {
                [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 1e-45]
                    [r.range(0, 4) as usize]
            }
        })
        .collect()
}

/// FNV-1a 64 over the bits of every input, so both targets prove they drew the same ones.
pub fn inputs_fnv(c: &Cases) -> String {
    let mut bytes: Vec<u8> = Vec::new();
    let mut m = |m: &PlatformMetrics| {
        bytes.push(m.platform.index() as u8);
        for v in [m.ctr, m.cpc, m.cpm, m.spend, m.revenue] {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        for v in [m.impressions, m.clicks, m.conversions] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for v in [m.engagement_rate, m.quality_score, m.relevance_score] {
            bytes.extend_from_slice(&v.map_or(1, f64::to_bits).to_le_bytes());
        }
    };
    c.singles.iter().for_each(&mut m);
    c.campaigns.iter().flat_map(|(d, _)| d).for_each(&mut m);
    for (cols, _) in &c.batches {
        for v in cols {
            bytes.extend_from_slice(&v.to_bits().to_le_bytes());
        }
    }
    bytes.extend_from_slice(&c.rows_seed.to_le_bytes());
    format!("{:016x}", crosslearn::hash::fnv1a64(&bytes))
}

/// A number as JSON: finite values as numbers, others as strings (never silently `null`).
pub fn num(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        json!(v.to_string())
    }
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, num)
}

/// An error as JSON: its code and field (messages may differ in wording, not in meaning).
pub fn err(e: &Error) -> Value {
    json!({ "error": e.code.as_str(), "field": e.field })
}

fn f32s(x: &[f32]) -> Value {
    Value::Array(x.iter().map(|&v| num(f64::from(v))).collect())
}

/// Every output, for one mode.
pub fn outputs(c: &Cases, mode: Mode) -> Value {
    let normalizer = Normalizer::new(mode);
    let builder = FeatureBuilder::new(normalizer);
    let singles: Vec<Value> = c
        .singles
        .iter()
        .map(|m| match normalizer.normalize(m) {
            Ok(n) => json!([
                num(n.normalized_ctr),
                num(n.normalized_cpc),
                num(n.normalized_cpm),
                opt(n.normalized_engagement),
                opt(n.normalized_quality),
                num(n.composite_score),
                num(n.roas),
                num(n.confidence),
            ]),
            Err(e) => err(&e),
        })
        .collect();
    let campaigns: Vec<Value> = c
        .campaigns
        .iter()
        .map(
            |(data, dna)| match builder.insight_and_features(data, dna.as_ref()) {
                Ok((s, f)) => json!({
                    "features": f32s(&f.to_array()),
                    "insight": [
                        num(s.avg_normalized_ctr),
                        num(s.avg_normalized_cpc),
                        num(s.avg_normalized_engagement),
                        num(s.avg_composite_score),
                        num(s.consistency_score),
                        num(s.confidence),
                        num(s.total_spend),
                    ],
                }),
                Err(e) => err(&e),
            },
        )
        .collect();
    let batches: Vec<Value> = c
        .batches
        .iter()
        .map(|(cols, n)| match builder.from_columns(cols, *n) {
            Ok(x) => {
                assert_eq!(x.len(), n * N_FEATURES);
                f32s(&x)
            }
            Err(e) => err(&e),
        })
        .collect();
    json!({ "singles": singles, "campaigns": campaigns, "batches": batches })
}

/// CTR scores of one model over its rows: per row `[ctr, low, high]` or an error, and the batch
/// scores of the finite rows.
pub fn ctr_outputs(model: &CtrModel, seed: u64) -> Value {
    let d = model.n_features();
    let x = ctr_rows(seed, d);
    let rows: Vec<Value> = x
        .chunks_exact(d)
        .map(|row| match model.score(row) {
            Ok(s) => json!([num(s.ctr), num(s.low), num(s.high)]),
            Err(e) => err(&e),
        })
        .collect();
    let finite: Vec<f32> = x
        .chunks_exact(d)
        .filter(|row| row.iter().all(|v| v.is_finite()))
        .flatten()
        .copied()
        .collect();
    let batch = match model.score_batch(&finite, finite.len() / d) {
        Ok(p) => f32s(&p),
        Err(e) => err(&e),
    };
    json!({ "rows": rows, "batch": batch, "all_rows": match model.score_batch(&x, CTR_ROWS) {
        Ok(p) => f32s(&p),
        Err(e) => err(&e),
    }})
}

/// Compare two output trees: same shape, equal strings/errors/nulls, numbers within `tol`.
/// Returns the number of numbers compared; panics at the first difference, naming its path.
pub fn compare(path: &str, a: &Value, b: &Value, tol: f64) -> usize {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            assert!((x - y).abs() <= tol, "{path}: {x} vs {y}");
            1
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}: lengths");
            x.iter()
                .zip(y)
                .enumerate()
                .map(|(i, (x, y))| compare(&format!("{path}[{i}]"), x, y, tol))
                .sum()
        }
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<&String> = x.keys().collect();
            let ky: Vec<&String> = y.keys().collect();
            assert_eq!(kx, ky, "{path}: keys");
            x.iter()
                .map(|(k, v)| compare(&format!("{path}.{k}"), v, &y[k], tol))
                .sum()
        }
        _ => {
            assert_eq!(a, b, "{path}");
            0
        }
    }
}

/// The whole fixture body (everything except the model files' bytes).
pub fn render(models: &[(&str, &CtrModel)]) -> Value {
    let c = cases();
    let ctr: Vec<Value> = models
        .iter()
        .map(|(file, m)| json!({ "file": file, "scores": ctr_outputs(m, c.rows_seed) }))
        .collect();
    json!({
        "about": {
            "what": "native outputs the wasm build must reproduce within 1e-6 (tests/web_differential.rs)",
            "inputs": "generated from the seed with crosslearn::rng (random, partly hostile values; not ad data)",
            "generated_by": "cargo test --test differential_native -- --ignored write_fixture",
        },
        "seed": SEED,
        "inputs_fnv": inputs_fnv(&c),
        "corrected": outputs(&c, Mode::Corrected),
        "seed_mode": outputs(&c, Mode::Seed),
        "ctr": ctr,
    })
}
