//! Record JSON ingest: arbitrary text through `validate_json_records`. Contract: no panic; a JSON
//! array gives one outcome per element; accepted records meet their invariants and validate back
//! to themselves; rejections name their fields; other text is a `malformed` error.
//! (Body: `contracts::record_json_input`, shared with tests/fuzz_regressions.rs.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| crosslearn_fuzz::contracts::record_json_input(data));
