//! Native throughput of the batch feature builder ([`FeatureBuilder::from_columns`]) and of the
//! whole scoring pipeline (normalize -> features -> in-flight CTR,
//! [`score_campaign_columns`] with the shipped in-flight model, target Meta) over **synthetic**
//! campaigns ([`crosslearn::synth`]).
//!
//! ```sh
//! cargo run --release --example bench_features -- [N_CAMPAIGNS]   # default 1,000,000
//! ```
//!
//! For each mode (corrected, seed; then `pipeline`, corrected) it times one call over all
//! campaigns, best of 3 (generation excluded), and prints one line per mode:
//!
//! ```text
//! native mode=corrected n=1000000 seconds=0.412345 rate=2425160 checksum=3fe0...
//! ```
//!
//! `checksum` is the bit pattern (hex) of `Σ v_i · (i mod 1013 + 1)` over the output in order, in
//! plain f64 arithmetic: `tests/bench/features.mjs` computes the same over the wasm output, so
//! `scripts/bench-features.sh` can check that both produced the same features.

use crosslearn::features::FeatureBuilder;
use crosslearn::model::ctr::CtrModel;
use crosslearn::model::pipeline::score_campaign_columns;
use crosslearn::normalize::{Mode, Normalizer};
use crosslearn::platform::Platform;
use crosslearn::synth::{campaign_columns, DEFAULT_SEED};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 1_000_000,
    };
    let columns = campaign_columns(n, DEFAULT_SEED)?;
    for (name, mode) in [("corrected", Mode::Corrected), ("seed", Mode::Seed)] {
        let builder = FeatureBuilder::new(Normalizer::new(mode));
        let mut best = f64::INFINITY;
        let mut out = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            out = builder.from_columns(&columns, n)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "native mode={name} n={n} seconds={best:.6} rate={:.0} checksum={:016x}",
            n as f64 / best,
            checksum(&out).to_bits()
        );
    }
    let model = CtrModel::from_bytes(include_bytes!("../models/ctr-inflight-v1.bin"))?;
    let builder = FeatureBuilder::new(Normalizer::new(Mode::Corrected));
    let mut best = f64::INFINITY;
    let mut out = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        out = score_campaign_columns(&builder, &model, &columns, n, Platform::Meta)?;
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "native mode=pipeline n={n} seconds={best:.6} rate={:.0} checksum={:016x}",
        n as f64 / best,
        checksum(&out).to_bits()
    );
    Ok(())
}

/// A position-weighted sum, evaluated exactly as `tests/bench/features.mjs` does.
fn checksum(values: &[f32]) -> f64 {
    let mut acc = 0.0f64;
    for (i, &v) in values.iter().enumerate() {
        acc += f64::from(v) * ((i % 1013) + 1) as f64;
    }
    acc
}
