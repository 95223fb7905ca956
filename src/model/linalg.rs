//! Dense symmetric positive-definite solves for the small (d <= a few hundred) systems of Newton's
//! method. Cholesky `A = L Lᵀ`, then forward/back substitution.

use crate::error::{Error, ErrorCode, Result};

/// Cholesky factor of a row-major `d x d` SPD matrix (lower triangle, row-major).
pub(crate) fn cholesky(a: &[f64], d: usize) -> Result<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return Err(Error::general(
                        ErrorCode::Unsupported,
                        "the training problem is singular (a feature is constant or collinear \
                         and unregularized); increase l2",
                    ));
                }
                l[i * d + i] = s.sqrt();
            } else {
                l[i * d + j] = s / l[j * d + j];
            }
        }
    }
    Ok(l)
}

/// Solve `L Lᵀ x = b` in place.
pub(crate) fn cholesky_solve(l: &[f64], d: usize, b: &mut [f64]) {
    for i in 0..d {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * d + k] * b[k];
        }
        b[i] = s / l[i * d + i];
    }
    for i in (0..d).rev() {
        let mut s = b[i];
        for k in i + 1..d {
            s -= l[k * d + i] * b[k];
        }
        b[i] = s / l[i * d + i];
    }
}

/// Inverse of an SPD matrix from its Cholesky factor (row-major `d x d`).
pub(crate) fn cholesky_inverse(l: &[f64], d: usize) -> Vec<f64> {
    let mut inv = vec![0.0; d * d];
    let mut col = vec![0.0; d];
    for j in 0..d {
        col.iter_mut().for_each(|x| *x = 0.0);
        col[j] = 1.0;
        cholesky_solve(l, d, &mut col);
        for i in 0..d {
            inv[i * d + j] = col[i];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_spd() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        let mut b = [2.0, 1.0];
        cholesky_solve(&l, 2, &mut b);
        // 4x + 2y = 2, 2x + 3y = 1 -> x = 0.5, y = 0
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12);
        let inv = cholesky_inverse(&l, 2);
        // inverse = 1/8 [3 -2; -2 4]
        assert!((inv[0] - 0.375).abs() < 1e-12 && (inv[1] + 0.25).abs() < 1e-12);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_err());
    }
}
