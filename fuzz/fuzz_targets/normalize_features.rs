//! The normalizer, the feature builder (single, matrix, columnar) and CTR scoring on hostile
//! floats: NaN, ±Inf, subnormals, huge values and counts. Contract: no panic; `Ok` values finite
//! and on their documented ranges; errors name a field.
#![no_main]

use arbitrary::Arbitrary;
use crosslearn::features::COLUMNS;
use crosslearn::model::ctr::CtrModel;
use crosslearn::normalize::{Mode, Normalizer};
use crosslearn_fuzz::{contracts, Dna, Float, Float32, Metrics};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[derive(Debug, Arbitrary)]
struct Input {
    seed_mode: bool,
    metrics: Vec<Metrics>,
    dna: Option<Dna>,
    n_campaigns: u8,
    columns: Vec<Float>,
    row: Vec<Float32>,
}

fn models() -> &'static [CtrModel] {
    static M: OnceLock<Vec<CtrModel>> = OnceLock::new();
    M.get_or_init(|| {
        [
            &include_bytes!("../../models/ctr-prelaunch-v1.bin")[..],
            &include_bytes!("../../models/ctr-inflight-v1.bin")[..],
        ]
        .iter()
        .map(|b| CtrModel::from_bytes(b).expect("shipped model loads"))
        .collect()
    })
}

fuzz_target!(|input: Input| {
    let mode = if input.seed_mode {
        Mode::Seed
    } else {
        Mode::Corrected
    };
    let normalizer = Normalizer::new(mode);
    let data: Vec<_> = input.metrics.iter().take(5).map(Metrics::to_core).collect();
    let dna = input.dna.map(Dna::to_core);
    contracts::campaign(normalizer, &data, dna.as_ref());

    // The columnar layout: n campaigns, the fuzzed values cycled over n x 39 columns (so the
    // length matches and the per-value checks are reached), and once with the raw length.
    let n = usize::from(input.n_campaigns % 4);
    let raw: Vec<f64> = input.columns.iter().map(|f| f.0).collect();
    if !raw.is_empty() {
        let cols: Vec<f64> = raw.iter().cycle().take(n * COLUMNS).copied().collect();
        contracts::columns(normalizer, &cols, n);
    }
    contracts::columns(normalizer, &raw, n);

    // CTR scoring: the fuzzed row, padded/truncated to each model's width, and as is.
    let row: Vec<f32> = input.row.iter().map(|f| f.0).collect();
    for m in models() {
        let d = m.n_features();
        let fitted: Vec<f32> = row
            .iter()
            .copied()
            .chain(std::iter::repeat(0.5))
            .take(d)
            .collect();
        contracts::ctr_row(m, &fitted);
        contracts::ctr_row(m, &row);
    }
});
