//! Exact integer aggregation of bounded contributions, and noisy, k-thresholded releases.
//!
//! A [`Schema`] lists the contributed fields and their [`Bounds`]. Each opted-in account gives at
//! most one [`Contribution`] per aggregation cell (niche × platform): its values clipped and
//! fixed-point encoded. An [`Aggregate`] holds the exact integer sums and the number of
//! contributing accounts; replacing or removing an account's contribution is exact.
//!
//! A release spends `epsilon`, split equally over the count and the m sums (basic composition):
//! each component `j` gets `ε/(m+1)` and discrete Laplace noise with `t_j = Δ_j·(m+1)/ε`
//! (`Δ = 1` for the count). The noisy count decides publication: below `k`, nothing is released.
//! Means are noisy sum / noisy count, clipped back into the field's bounds (post-processing, no
//! extra privacy cost).

use super::mechanism::{discrete_laplace, noise_scale, Bounds};
use crate::error::{Error, ErrorCode, Result};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// The contributed fields of an aggregation cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Field names and bounds, in contribution order.
    pub fields: Vec<(String, Bounds)>,
}

impl Schema {
    /// Encode raw values (clipped) into a contribution; `values` follow `fields` order.
    pub fn encode(&self, values: &[f64]) -> Result<Contribution> {
        if values.len() != self.fields.len() {
            return Err(Error::general(
                ErrorCode::InvalidValue,
                format!("{} values for {} fields", values.len(), self.fields.len()),
            ));
        }
        let values = self
            .fields
            .iter()
            .zip(values)
            .map(|((name, b), &v)| b.encode(name, v))
            .collect::<Result<Vec<_>>>()?;
        Ok(Contribution { values })
    }
}

/// One account's clipped, fixed-point contribution to one cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// Encoded values in schema order.
    pub values: Vec<i64>,
}

/// Exact sums over the contributing accounts of one cell.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Aggregate {
    /// Number of contributing accounts.
    pub accounts: i64,
    /// Sum of each field, fixed point.
    pub sums: Vec<i64>,
}

fn overflow() -> Error {
    Error::general(ErrorCode::InvalidValue, "aggregate overflow")
}

impl Aggregate {
    /// An empty aggregate for `fields` fields.
    pub fn new(fields: usize) -> Self {
        Aggregate {
            accounts: 0,
            sums: vec![0; fields],
        }
    }

    fn apply(&mut self, c: &Contribution, sign: i64) -> Result<()> {
        if c.values.len() != self.sums.len() {
            return Err(Error::general(
                ErrorCode::InvalidValue,
                "contribution has the wrong number of fields",
            ));
        }
        let mut next = self.sums.clone();
        for (s, v) in next.iter_mut().zip(&c.values) {
            *s = v
                .checked_mul(sign)
                .and_then(|d| s.checked_add(d))
                .ok_or_else(overflow)?;
        }
        self.accounts = self.accounts.checked_add(sign).ok_or_else(overflow)?;
        self.sums = next;
        Ok(())
    }

    /// Add an account's contribution.
    pub fn add(&mut self, c: &Contribution) -> Result<()> {
        self.apply(c, 1)
    }

    /// Remove an account's earlier contribution (erasure or replacement).
    pub fn remove(&mut self, c: &Contribution) -> Result<()> {
        self.apply(c, -1)
    }
}

/// Privacy parameters of one release.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ReleaseParams {
    /// Minimum noisy number of accounts for a cell to be published.
    pub k: u32,
    /// Privacy loss of this release (split over the count and the sums).
    pub epsilon: f64,
}

/// A published cell: noisy count and clipped noisy means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct NoisyCell {
    /// Noisy number of contributing accounts ("based on N accounts").
    pub accounts: u64,
    /// Noisy mean of each field, in schema order, clipped to the field's bounds.
    pub means: Vec<f64>,
    /// The discrete-Laplace parameter used per component, in fixed-point units: count first.
    pub noise_scales: Vec<f64>,
}

/// Release one cell, or `None` when its noisy count is below `k`.
pub fn release_cell(
    agg: &Aggregate,
    schema: &Schema,
    params: &ReleaseParams,
    rng: &mut Rng,
) -> Result<Option<NoisyCell>> {
    let parts = (schema.fields.len() + 1) as f64;
    let count_t = noise_scale(1.0, params.epsilon / parts)?;
    let noisy_count = agg.accounts + discrete_laplace(rng, count_t);
    let mut scales = vec![count_t];
    let mut means = Vec::with_capacity(schema.fields.len());
    // Noise is drawn for every field even when the cell is suppressed, so the number of RNG draws
    // (and so everything released after this cell) does not depend on whether it was published.
    for ((_, b), &sum) in schema.fields.iter().zip(&agg.sums) {
        let t = noise_scale(b.sensitivity(), params.epsilon / parts)?;
        scales.push(t);
        let noisy = sum as f64 + discrete_laplace(rng, t) as f64;
        means.push(
            b.decode(noisy / noisy_count.max(1) as f64)
                .clamp(b.lo, b.hi),
        );
    }
    if noisy_count < params.k as i64 {
        return Ok(None);
    }
    Ok(Some(NoisyCell {
        accounts: noisy_count as u64,
        means,
        noise_scales: scales,
    }))
}

/// Privacy budget of a period: releases spend from it and stop when it is exhausted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Total epsilon per period.
    pub per_period: f64,
    /// Spent so far in the current period.
    pub spent: f64,
}

impl Budget {
    /// Spend `epsilon`, or fail without spending when it would exceed the period's budget.
    pub fn charge(&mut self, epsilon: f64) -> Result<()> {
        if self.spent + epsilon > self.per_period * (1.0 + 1e-12) {
            return Err(Error::general(
                ErrorCode::Unsupported,
                format!(
                    "privacy budget exhausted: {:.3} of {:.3} spent this period, release needs {:.3}",
                    self.spent, self.per_period, epsilon
                ),
            ));
        }
        self.spent += epsilon;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn schema() -> Schema {
        Schema {
            fields: vec![
                (
                    "ctr".into(),
                    Bounds {
                        lo: 0.0,
                        hi: 0.2,
                        scale: 1e6,
                    },
                ),
                (
                    "roas".into(),
                    Bounds {
                        lo: 0.0,
                        hi: 20.0,
                        scale: 1e3,
                    },
                ),
            ],
        }
    }

    #[test]
    fn erasure_is_exact_and_order_independent() {
        let s = schema();
        let cs: Vec<Contribution> = (0..50)
            .map(|i| s.encode(&[0.001 * i as f64, 0.37 * i as f64]).unwrap())
            .collect();
        let mut all = Aggregate::new(2);
        cs.iter().for_each(|c| all.add(c).unwrap());
        for (skip, c) in cs.iter().enumerate() {
            let mut without = Aggregate::new(2);
            cs.iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .for_each(|(_, c)| without.add(c).unwrap());
            let mut erased = all.clone();
            erased.remove(c).unwrap();
            assert_eq!(erased, without);
            // One account moves each sum by at most the field's sensitivity.
            for (j, (_, b)) in s.fields.iter().enumerate() {
                assert!(((all.sums[j] - without.sums[j]).abs() as f64) <= b.sensitivity());
            }
            assert_eq!(all.accounts - without.accounts, 1);
        }
    }

    #[test]
    fn below_k_nothing_is_published() {
        let s = schema();
        let mut agg = Aggregate::new(2);
        for _ in 0..3 {
            agg.add(&s.encode(&[0.01, 2.0]).unwrap()).unwrap();
        }
        let p = ReleaseParams {
            k: 50,
            epsilon: 1.0,
        };
        let mut rng = Rng::new(1);
        assert_eq!(release_cell(&agg, &s, &p, &mut rng).unwrap(), None);
        for _ in 0..200 {
            agg.add(&s.encode(&[0.01, 2.0]).unwrap()).unwrap();
        }
        let cell = release_cell(&agg, &s, &p, &mut rng).unwrap().unwrap();
        assert!((cell.means[0] - 0.01).abs() < 0.01);
        assert_eq!(cell.noise_scales[0], 3.0);
    }

    #[test]
    fn budget_stops_releases() {
        let mut b = Budget {
            per_period: 1.0,
            spent: 0.0,
        };
        b.charge(0.5).unwrap();
        b.charge(0.5).unwrap();
        assert!(b.charge(0.1).is_err());
        assert_eq!(b.spent, 1.0);
    }
}
