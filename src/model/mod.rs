//! CTR models: an impression-weighted logistic solver, evaluation metrics, calibration and a
//! compact, versioned model file.
//!
//! - [`logistic`]: `p = σ(b + wᵀx)` fitted by Newton's method on binomial log loss.
//! - [`metrics`]: weighted log loss, normalized entropy, AUC and calibration.
//! - [`ctr`]: the calibrated model with intervals; [`file`]: its binary format.
//! - [`train`]: datasets, grouped splits, over-dispersion weighting and tuning;
//!   [`baseline`]: mean and smartcore baselines and the simulator's attribute oracle.
//! - [`encode`]: the pre-launch and in-flight feature encoders (column layouts documented there).
//! - [`pipeline`]: campaigns as metric columns → normalize → features → in-flight CTR, in one pass.
//! - [`grounded`]: the multilevel logistic model fitted to real exports (platform x niche rates,
//!   account intercepts, attribute priors from a release, creative over-dispersion, predictive
//!   intervals, on-device personalisation); [`real`]: the real exports as its creatives.

pub mod baseline;
pub mod ctr;
pub mod encode;
pub mod file;
pub mod grounded;
mod linalg;
pub mod logistic;
pub mod metrics;
pub mod pipeline;
pub mod real;
pub mod train;

pub use encode::{
    encode_creative, encode_creatives, inflight_feature_names, prelaunch_feature_names,
    CreativeAttributes, InflightEncoder, NichePrior, NichePriors, NoPriors, PriorTable,
    INFLIGHT_LAYOUT, PRELAUNCH_LAYOUT,
};
