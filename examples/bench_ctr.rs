//! Native CTR model benchmark over **simulated** creatives (simulator v1, `generate_network`):
//! scoring throughput (batches of 1 and of 100,000 rows) and training time (100,000 and
//! 1,000,000 rows). `scripts/bench-ctr.sh` runs it next to `tests/bench/ctr.mjs` (the npm
//! package under Node) on the same rows and prints both side by side.
//!
//! ```sh
//! cargo run --release --example bench_ctr -- OUT_DIR [TRAIN_ROWS]   # default 1,000,000
//! ```
//!
//! The simulator caps a network at 10,000 accounts, which gives fewer than 1,000,000 records, so
//! the encoded rows (with their clicks and impressions) are **replicated** in order up to the
//! requested count; the line `rows ...` says how many are distinct. The first 100,000 rows, the
//! scoring model and the training options are written to `OUT_DIR` for the Node side:
//! `x.f32` (row-major, little-endian), `clicks.f64`, `impressions.f64`, `model.bin`.
//!
//! Output, one `key=value` line per measurement (`checksum` as in `examples/bench_features.rs`,
//! so the two sides can be compared):
//!
//! ```text
//! native score batch=1 n=200000 seconds=... rate=... checksum=...
//! native score batch=100000 n=100000 seconds=... rate=... checksum=...
//! native train rows=100000 seconds=... iterations... fnv=...
//! ```

use crosslearn::model::ctr::{CtrModel, ModelKind, TrainOptions};
use crosslearn::model::encode::{
    encode_creatives, prelaunch_feature_names, CreativeAttributes, NoPriors, PRELAUNCH_LAYOUT,
};
use crosslearn::model::file::fnv1a64;
use crosslearn::model::logistic::FitOptions;
use crosslearn::sim::{generate_network, SimOptions, MAX_ACCOUNTS};
use std::path::PathBuf;
use std::time::Instant;

/// Seed of the simulated network.
const SEED: u64 = 20_261_121;
/// Rows of the large scoring batch, of the wasm comparison and of the small training run.
const BATCH: usize = 100_000;
/// Single-row calls timed for "batch of 1".
const SINGLE_CALLS: usize = 200_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().ok_or("usage: bench_ctr OUT_DIR [TRAIN_ROWS]")?);
    let train_rows: usize = match args.next() {
        Some(a) => a.parse()?,
        None => 1_000_000,
    };
    std::fs::create_dir_all(&out)?;

    let t = Instant::now();
    let net = generate_network(&SimOptions {
        seed: SEED,
        accounts: MAX_ACCOUNTS,
        effect_scale: None,
    })?;
    let creatives: Vec<CreativeAttributes> =
        net.records.iter().map(CreativeAttributes::from).collect();
    let distinct = creatives.len();
    let d = prelaunch_feature_names().len();
    let base = encode_creatives(&creatives, &NoPriors)?;
    let n = train_rows.max(BATCH);
    let mut x = Vec::with_capacity(n * d);
    let (mut clicks, mut imps) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let j = i % distinct;
        x.extend_from_slice(&base[j * d..(j + 1) * d]);
        clicks.push(net.records[j].clicks as f64);
        imps.push(net.records[j].impressions as f64);
    }
    println!(
        "rows simulated=true accounts={MAX_ACCOUNTS} distinct={distinct} total={n} features={d} \
         seconds={:.3}",
        t.elapsed().as_secs_f64()
    );

    let options = TrainOptions {
        kind: ModelKind::PreLaunch,
        layout: PRELAUNCH_LAYOUT,
        feature_names: prelaunch_feature_names(),
        fit: FitOptions {
            l2: 1.0,
            ..FitOptions::default()
        },
        calibration_share: 0.2,
        seed: SEED,
        trained_on: "bench (SIMULATED)".into(),
    };

    // Scoring model: the shipped pre-launch model when present, else the small test model.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shipped = root.join("models/ctr-prelaunch-v1.bin");
    let path = if shipped.exists() {
        shipped
    } else {
        root.join("tests/data/ctr_small_prelaunch.bin")
    };
    let bytes = std::fs::read(&path)?;
    let model = CtrModel::from_bytes(&bytes)?;
    println!("model file={}", path.display());

    // Batch of 1: one call per row, cycling over the first BATCH rows.
    let mut best = f64::INFINITY;
    let mut single = Vec::with_capacity(SINGLE_CALLS);
    for _ in 0..3 {
        single.clear();
        let t = Instant::now();
        for i in 0..SINGLE_CALLS {
            let j = i % BATCH;
            single.push(model.score_batch(&x[j * d..(j + 1) * d], 1)?[0]);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    line("score batch=1", SINGLE_CALLS, best, &single);

    let mut best = f64::INFINITY;
    let mut scores = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        scores = model.score_batch(&x[..BATCH * d], BATCH)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    line(&format!("score batch={BATCH}"), BATCH, best, &scores);

    // Training: BATCH rows (compared with wasm), then all rows.
    for rows in [BATCH, n] {
        let view = ndarray::ArrayView2::from_shape((rows, d), &x[..rows * d])?;
        let t = Instant::now();
        let m = CtrModel::train(view, &clicks[..rows], &imps[..rows], &options)?;
        let s = t.elapsed().as_secs_f64();
        let check = m.score_batch(&x[..BATCH * d], BATCH)?;
        println!(
            "native train rows={rows} seconds={s:.3} model_fnv={:016x} checksum={:016x}",
            fnv1a64(&m.to_bytes()),
            checksum(&check).to_bits()
        );
        if rows == BATCH {
            let path = out.join("trained-100k.scores.f32");
            std::fs::write(path, f32_bytes(&check))?;
        }
    }

    std::fs::write(out.join("x.f32"), f32_bytes(&x[..BATCH * d]))?;
    std::fs::write(out.join("clicks.f64"), f64_bytes(&clicks[..BATCH]))?;
    std::fs::write(out.join("impressions.f64"), f64_bytes(&imps[..BATCH]))?;
    std::fs::write(out.join("model.bin"), &bytes)?;
    std::fs::write(out.join("scores.f32"), f32_bytes(&scores))?;
    Ok(())
}

fn line(what: &str, n: usize, seconds: f64, out: &[f32]) {
    println!(
        "native {what} n={n} seconds={seconds:.6} rate={:.0} checksum={:016x}",
        n as f64 / seconds,
        checksum(out).to_bits()
    );
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|f| f.to_le_bytes()).collect()
}

fn f64_bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// A position-weighted sum, evaluated exactly as `tests/bench/ctr.mjs` does.
fn checksum(values: &[f32]) -> f64 {
    let mut acc = 0.0f64;
    for (i, &v) in values.iter().enumerate() {
        acc += f64::from(v) * ((i % 1013) + 1) as f64;
    }
    acc
}
