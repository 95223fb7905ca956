//! Model-file loading: arbitrary bytes as a CTR model file and as a niche model file. The first
//! byte's low bit asks for the checksum to be repaired first (FNV-1a 64 for CTR, CRC-32 for
//! niche), so the fuzzer reaches the parser behind it. Contract: no panic, no huge allocation;
//! a loaded model round-trips through its bytes and scores on 0..1; errors name a field.
//! (Body: `contracts::model_load_input`, shared with tests/fuzz_regressions.rs.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| crosslearn_fuzz::contracts::model_load_input(data));
