//! Impression-weighted binomial logistic regression, fitted by damped Newton's method (IRLS).
//!
//! Each row is a creative with features `x`, `c` clicks out of `n` impressions. The model is
//! `p = σ(b + wᵀx)` and the objective is the binomial negative log-likelihood plus an L2 penalty
//! on `w` (not on the intercept `b`):
//!
//! ```text
//! L(w, b) = −Σᵢ [cᵢ ln pᵢ + (nᵢ − cᵢ) ln(1 − pᵢ)] + (λ/2)·‖w‖²
//! ∇L = Σᵢ (nᵢ pᵢ − cᵢ) x̃ᵢ + λ w          (x̃ = [x, 1])
//! ∇²L = Σᵢ nᵢ pᵢ (1 − pᵢ) x̃ᵢ x̃ᵢᵀ + λ I_w
//! ```
//!
//! So a creative with 100k impressions weighs 1000 times one with 100. Newton steps are solved by
//! Cholesky and halved until the objective decreases. At the optimum, the inverse Hessian is the
//! (Laplace) covariance of the coefficients, used for prediction intervals. smartcore's logistic
//! regression has neither sample weights nor probabilities, which is why this solver exists; the
//! evaluation compares it with a smartcore baseline.

use super::linalg::{cholesky, cholesky_inverse, cholesky_solve};
use crate::error::{Error, ErrorCode, Result};
use ndarray::ArrayView2;

/// Numerically stable logistic function.
#[inline]
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^z)` without overflow.
#[inline]
fn softplus(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Solver settings, validated by [`FitOptions::validate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// L2 penalty λ on the weights (>= 0).
    pub l2: f64,
    /// Maximum Newton iterations (>= 1).
    pub max_iter: usize,
    /// Stop when the largest coefficient change is below this (> 0).
    pub tol: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            l2: 1.0,
            max_iter: 50,
            tol: 1e-8,
        }
    }
}

impl FitOptions {
    /// Check the settings, naming the bad one.
    pub fn validate(&self) -> Result<()> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "l2",
                format!("must be a finite number >= 0, got {}", self.l2),
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "max_iter",
                "must be >= 1",
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "tol",
                format!("must be a finite number > 0, got {}", self.tol),
            ));
        }
        Ok(())
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Feature weights.
    pub weights: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
    /// Row-major `(d + 1) x (d + 1)` covariance of `[weights, intercept]` (inverse Hessian).
    pub covariance: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
    /// Whether `tol` was reached.
    pub converged: bool,
}

impl LogisticFit {
    /// The linear predictor `b + wᵀx`.
    pub fn eta(&self, x: &[f32]) -> f64 {
        let mut z = self.intercept;
        for (w, &v) in self.weights.iter().zip(x) {
            z += w * v as f64;
        }
        z
    }

    /// Predicted probability.
    pub fn predict(&self, x: &[f32]) -> f64 {
        sigmoid(self.eta(x))
    }
}

/// Check the training arrays: shapes agree, counts finite, `0 <= clicks <= impressions`.
pub fn check_training_data(
    x: ArrayView2<'_, f32>,
    clicks: &[f64],
    impressions: &[f64],
) -> Result<()> {
    let n = x.nrows();
    if clicks.len() != n || impressions.len() != n {
        return Err(Error::general(
            ErrorCode::InvalidValue,
            format!(
                "rows disagree: {n} feature rows, {} clicks, {} impressions",
                clicks.len(),
                impressions.len()
            ),
        ));
    }
    if n == 0 {
        return Err(Error::general(ErrorCode::EmptyInput, "no training rows"));
    }
    for (i, (&c, &m)) in clicks.iter().zip(impressions).enumerate() {
        if !(m.is_finite() && m >= 0.0 && c.is_finite() && c >= 0.0 && c <= m) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("rows[{i}]"),
                format!("needs 0 <= clicks <= impressions, got {c} clicks / {m} impressions"),
            ));
        }
    }
    if let Some((i, _)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            format!(
                "rows[{}].features[{}]",
                i / x.ncols().max(1),
                i % x.ncols().max(1)
            ),
            "must be finite",
        ));
    }
    if impressions.iter().sum::<f64>() <= 0.0 {
        return Err(Error::general(
            ErrorCode::EmptyInput,
            "no impressions to learn from",
        ));
    }
    Ok(())
}

/// Fit `p = σ(b + wᵀx)` to binomial outcomes.
pub fn fit(
    x: ArrayView2<'_, f32>,
    clicks: &[f64],
    impressions: &[f64],
    opts: &FitOptions,
) -> Result<LogisticFit> {
    opts.validate()?;
    check_training_data(x, clicks, impressions)?;
    let d = x.ncols();
    let k = d + 1;
    let total_c: f64 = clicks.iter().sum();
    let total_n: f64 = impressions.iter().sum();
    let base = (total_c / total_n).clamp(1e-9, 1.0 - 1e-9);
    let mut beta = vec![0.0; k];
    beta[d] = (base / (1.0 - base)).ln();
    let objective = |beta: &[f64]| -> f64 {
        let mut l = 0.0;
        for (row, (&c, &m)) in x.rows().into_iter().zip(clicks.iter().zip(impressions)) {
            let mut z = beta[d];
            for (w, &v) in beta.iter().zip(row.iter()) {
                z += w * v as f64;
            }
            // −[c ln σ(z) + (m − c) ln(1 − σ(z))] = m·softplus(z) − c·z
            l += m * softplus(z) - c * z;
        }
        l + 0.5 * opts.l2 * beta[..d].iter().map(|w| w * w).sum::<f64>()
    };
    let mut current = objective(&beta);
    let mut hess = vec![0.0; k * k];
    let mut grad = vec![0.0; k];
    let mut xt = vec![0.0; k];
    let mut iterations = 0;
    let mut converged = false;
    let mut factor = Vec::new();
    for _ in 0..opts.max_iter {
        iterations += 1;
        hess.iter_mut().for_each(|h| *h = 0.0);
        grad.iter_mut().for_each(|g| *g = 0.0);
        for (row, (&c, &m)) in x.rows().into_iter().zip(clicks.iter().zip(impressions)) {
            if m == 0.0 {
                continue;
            }
            for (t, &v) in xt.iter_mut().zip(row.iter()) {
                *t = v as f64;
            }
            xt[d] = 1.0;
            let z: f64 = beta.iter().zip(&xt).map(|(b, v)| b * v).sum();
            let p = sigmoid(z);
            let r = m * p - c;
            let w = m * p * (1.0 - p);
            for i in 0..k {
                let xi = xt[i];
                if xi == 0.0 {
                    continue;
                }
                grad[i] += r * xi;
                let wxi = w * xi;
                let hrow = &mut hess[i * k..i * k + i + 1];
                for (h, &xj) in hrow.iter_mut().zip(&xt[..=i]) {
                    *h += wxi * xj;
                }
            }
        }
        for i in 0..k {
            for j in 0..i {
                hess[j * k + i] = hess[i * k + j];
            }
        }
        for j in 0..d {
            hess[j * k + j] += opts.l2;
            grad[j] += opts.l2 * beta[j];
        }
        // A tiny ridge keeps the factorization alive for all-zero columns.
        for j in 0..k {
            hess[j * k + j] += 1e-9;
        }
        factor = cholesky(&hess, k)?;
        let mut step = grad.clone();
        cholesky_solve(&factor, k, &mut step);
        let mut t = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let trial: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b - t * s).collect();
            let value = objective(&trial);
            if value <= current + 1e-12 * current.abs().max(1.0) {
                let change = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
                beta = trial;
                current = value;
                accepted = true;
                converged = change < opts.tol;
                break;
            }
            t *= 0.5;
        }
        if !accepted || converged {
            converged = true;
            break;
        }
    }
    let covariance = cholesky_inverse(&factor, k);
    Ok(LogisticFit {
        weights: beta[..d].to_vec(),
        intercept: beta[d],
        covariance,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-15);
        assert!((softplus(-800.0)).abs() < 1e-300 + 1e-12);
        assert!((softplus(800.0) - 800.0).abs() < 1e-9);
    }

    #[test]
    fn recovers_group_rates_without_penalty() {
        // One binary feature: group 0 CTR 1 %, group 1 CTR 4 %. Unpenalized MLE reproduces both.
        let x = Array2::from_shape_vec((2, 1), vec![0.0f32, 1.0]).unwrap();
        let opts = FitOptions {
            l2: 0.0,
            ..FitOptions::default()
        };
        let f = fit(x.view(), &[100.0, 400.0], &[10_000.0, 10_000.0], &opts).unwrap();
        assert!(f.converged);
        assert!((f.predict(&[0.0]) - 0.01).abs() < 1e-9);
        assert!((f.predict(&[1.0]) - 0.04).abs() < 1e-9);
    }

    #[test]
    fn impressions_weigh_rows() {
        // Same feature value, two rows with different volumes: the fit follows the pooled rate.
        let x = Array2::from_shape_vec((2, 1), vec![1.0f32, 1.0]).unwrap();
        let opts = FitOptions {
            l2: 0.0,
            ..FitOptions::default()
        };
        let f = fit(x.view(), &[1.0, 200.0], &[100.0, 100_000.0], &opts).unwrap();
        assert!((f.predict(&[1.0]) - 201.0 / 100_100.0).abs() < 1e-9);
    }

    #[test]
    fn rejects_bad_rows() {
        let x = Array2::from_shape_vec((1, 1), vec![1.0f32]).unwrap();
        let o = FitOptions::default();
        let e = fit(x.view(), &[5.0], &[2.0], &o).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows[0]"));
        assert!(fit(x.view(), &[0.0, 1.0], &[2.0], &o).is_err());
        let bad = FitOptions { l2: -1.0, ..o };
        assert_eq!(
            fit(x.view(), &[0.0], &[2.0], &bad)
                .unwrap_err()
                .field
                .as_deref(),
            Some("l2")
        );
    }
}
