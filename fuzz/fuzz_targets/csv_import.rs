//! CSV import of the real export formats and the generic format: arbitrary bytes through
//! `import_csv` (detected format) and `import_csv_as` (each format forced). Contract: no panic;
//! accepted records meet their invariants; every rejected row has its line and named fields.
//! (Body: `contracts::csv_import_input`, shared with tests/fuzz_regressions.rs.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| crosslearn_fuzz::contracts::csv_import_input(data));
