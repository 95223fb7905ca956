//! Golden tests, natively: every case of `../shared/fixtures/seed_golden.json` (except
//! `keyword_niche`, which `tests/niche_golden.rs` covers) through the core in `Mode::Seed`,
//! compared with `==` (the comparison rules live in `tests/common`, shared with the wasm tests).
//! The aggregate runner also checks that the batch matrix reproduces every single-campaign row.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{
    cases, run_aggregate, run_best_platform, run_meta_equivalent, run_normalize, run_patterns,
    run_worked_examples, Core,
};

#[test]
fn normalize_cases() {
    assert_eq!(run_normalize(&Core, "normalize", cases("normalize")), 520);
}

#[test]
fn best_platform_cases() {
    assert_eq!(
        run_best_platform(&Core, "best_platform", cases("best_platform")),
        75
    );
}

#[test]
fn meta_equivalent_cases() {
    assert_eq!(
        run_meta_equivalent(&Core, "meta_equivalent", cases("meta_equivalent")),
        70
    );
}

#[test]
fn aggregate_cases() {
    assert_eq!(run_aggregate(&Core, "aggregate", cases("aggregate")), 170);
}

#[test]
fn patterns_cases() {
    assert_eq!(run_patterns(&Core, "patterns", cases("patterns")), 31);
}

#[test]
fn worked_examples() {
    assert_eq!(run_worked_examples(&Core), 3 + 1 + 2 + 1 + 1 + 1);
}
