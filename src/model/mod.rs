//! CTR models: an impression-weighted logistic solver, evaluation metrics, calibration and a
//! compact, versioned model file.
//!
//! - [`logistic`]: `p = σ(b + wᵀx)` fitted by Newton's method on binomial log loss.
//! - [`metrics`]: weighted log loss, normalized entropy, AUC and calibration.
//! - [`ctr`]: the calibrated model with intervals; [`file`]: its binary format.

pub mod ctr;
pub mod file;
mod linalg;
pub mod logistic;
pub mod metrics;
