//! Privacy for niche wisdom: bounded fixed-point contributions, exact aggregates, discrete-Laplace
//! noise, noisy-count k-thresholds and a per-period epsilon budget.
//!
//! - [`mechanism`]: clipping/encoding and the discrete Laplace mechanism.
//! - [`aggregate`]: exact sums, erasure, and releasing a cell.
//! - [`dgauss`]: exact discrete Laplace and discrete Gaussian samplers over ChaCha20.
//! - [`zcdp`]: zCDP accounting, conversion to (ε, δ), the per-account rolling-window ledger.

pub mod aggregate;
pub mod dgauss;
pub mod mechanism;
pub mod zcdp;
