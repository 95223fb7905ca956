//! # crosslearn
//!
//! Cross-platform, cross-account ad learning. This crate is the pure, deterministic core that
//! compiles three ways: natively (tests, training, CLI), to the npm package `pkg/` (feature
//! `wasm`, bindings in [`wasm`]), and into the Cloudflare Worker (`worker/`, no `wasm` feature).
//!
//! Time and randomness are always parameters; nothing here reads a clock or a global RNG.
//!
//! Modules:
//! - [`platform`], [`metrics`]: typed inputs.
//! - [`benchmarks`]: the per-platform min/max table (data, overridable per deployment).
//! - [`normalize`]: platform metrics onto comparable 0..1 scales, in `Seed` or `Corrected` mode.
//! - [`features`]: cross-platform aggregation into an insight and the 19-feature vector, single
//!   and batched into an `ndarray` matrix.
//! - [`patterns`]: cross-platform winning patterns.
//! - [`niche`]: the 15 industry niches; seed keyword detection and the hashed n-gram classifier.
//! - [`synth`]: a seeded generator of **synthetic** campaigns in the columnar batch layout, for
//!   benchmarks and tests only.
//! - [`record`]: creative performance records, controlled vocabularies, strict batch validation.
//! - [`copy`]: hook type, CTA style and copy signals read from ad copy (fast, rule-based).
//! - [`import`]: CSV import of the real exports and a generic format (bytes in, no file I/O).
//! - [`sim`]: the seeded, frozen-parameter simulator (simulated data, labelled) and its grounding.
//! - [`model`]: CTR model foundations (weighted logistic solver, metrics, calibration, model file).
//! - [`privacy`]: bounded contributions, exact aggregates, discrete-Laplace releases; the exact
//!   discrete Gaussian over ChaCha20 and zCDP accounting (release format 2).
//! - [`insights`]: an account's measured patterns from its own records (lift, significance).
//! - [`wisdom`]: private niche-wisdom releases (opt-in, bounded contributions, DP, k, budget);
//!   `wisdom::suffstat`: release format 2 (within-account sufficient statistics, posteriors).
//! - [`study`], [`study_v2`]: the network-effect studies of the two release formats (simulated).
//! - [`rng`], [`hash`]: the one seeded PRNG and the one FNV-1a hash.
//!
//! The data layer is described in `docs/data-layer.md`, niche detection in `docs/niche.md`.
#![deny(missing_docs)]

pub mod advice;
pub mod benchmarks;
pub mod copy;
pub mod error;
pub mod features;
pub mod hash;
pub mod import;
pub mod insights;
pub mod metrics;
pub mod model;
pub mod network;
pub mod niche;
pub mod normalize;
mod numeric;
pub mod patterns;
pub mod platform;
pub mod privacy;
pub mod record;
pub mod rng;
pub mod sim;
pub mod study;
pub mod study_v2;
pub mod synth;
pub mod wisdom;

#[cfg(feature = "wasm-lite")]
pub mod wasm;

pub use error::{Error, ErrorCode, Result};
pub use platform::Platform;
