//! Privacy for niche wisdom: bounded fixed-point contributions, exact aggregates, discrete-Laplace
//! noise, noisy-count k-thresholds and a per-period epsilon budget.
//!
//! - [`mechanism`]: clipping/encoding and the discrete Laplace mechanism.
//! - [`aggregate`]: exact sums, erasure, and releasing a cell.

pub mod aggregate;
pub mod mechanism;
