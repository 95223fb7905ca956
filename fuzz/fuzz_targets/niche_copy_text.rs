//! Niche detection (the shipped hashed n-gram model and both keyword detectors) and copy-attribute
//! extraction on arbitrary text: the bytes, lossily decoded, split at the first newline into
//! headline and body. Contract: no panic; probabilities on 0..1 summing to <= 1; confidences on
//! 0..1; copy counts consistent; a reused extractor equals a fresh one.
//! (Body: `contracts::text_input`, shared with tests/fuzz_regressions.rs.)
#![no_main]

use crosslearn::copy::CopyExtractor;
use crosslearn::niche::model::NicheModel;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::sync::OnceLock;

fn model() -> &'static NicheModel {
    static M: OnceLock<NicheModel> = OnceLock::new();
    M.get_or_init(|| {
        NicheModel::from_bytes(include_bytes!("../../models/niche-v1.bin")).expect("shipped model")
    })
}

thread_local! {
    // Reused across inputs on purpose: its buffer holds the previous input's text.
    static EXTRACTOR: RefCell<CopyExtractor> = RefCell::new(CopyExtractor::new());
}

fuzz_target!(|data: &[u8]| {
    EXTRACTOR
        .with(|ex| crosslearn_fuzz::contracts::text_input(model(), &mut ex.borrow_mut(), data));
});
