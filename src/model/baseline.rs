//! Reference predictors for the CTR evaluation: mean baselines, a smartcore random-forest
//! baseline, and the simulator's attribute oracle.
//!
//! - [`MeanBaseline`]: pooled training CTR `Σc / Σn`, globally or per (platform, niche) cell
//!   (cells without training impressions fall back to the platform, then the global CTR).
//! - [`ForestBaseline`]: smartcore's `RandomForestRegressor` on the same encoded rows, target =
//!   the row's CTR `c / n`. smartcore has no binomial loss and no `predict_proba`; impression
//!   weighting enters through `fit_with_weights` with weight `n`: each tree's bootstrap sample is
//!   drawn with probability proportional to impressions (so a leaf's mean approaches the pooled
//!   CTR `Σc / Σn` of its rows). Predictions are clipped to `[1e-6, 1 − 1e-6]`.
//! - [`attribute_oracle`]: the best possible *pre-launch* prediction in the simulator,
//!   `E[σ(base + niche + attribute_logit + a + e)]` over the unknown account and creative effects
//!   `a + e ~ N(0, account_sd² + creative_sd²)`, by Gauss-Hermite quadrature
//!   ([`gauss_hermite`]). The full oracle (`OracleEntry::true_ctr`) also knows `a + e`.

use super::train::Dataset;
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::sim::{Network, SimParams};
use ndarray::Array2;
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use std::collections::BTreeMap;

/// Pooled-CTR baseline, global or per (platform, niche).
#[derive(Debug, Clone, PartialEq)]
pub struct MeanBaseline {
    by_cell: bool,
    global: f64,
    platform: BTreeMap<Platform, f64>,
    cell: BTreeMap<(Platform, Niche), f64>,
}

fn pooled(c: f64, n: f64) -> Option<f64> {
    (n > 0.0).then(|| (c / n).clamp(1e-6, 1.0 - 1e-6))
}

impl MeanBaseline {
    /// Fit on `ds`; `by_cell` = per (platform, niche), else one global CTR.
    pub fn fit(ds: &Dataset, by_cell: bool) -> Result<Self> {
        let (mut c, mut n) = (0.0, 0.0);
        let mut pc: BTreeMap<Platform, (f64, f64)> = BTreeMap::new();
        let mut cc: BTreeMap<(Platform, Niche), (f64, f64)> = BTreeMap::new();
        for i in 0..ds.len() {
            c += ds.clicks[i];
            n += ds.impressions[i];
            let e = pc.entry(ds.platform[i]).or_default();
            e.0 += ds.clicks[i];
            e.1 += ds.impressions[i];
            let e = cc.entry((ds.platform[i], ds.niche[i])).or_default();
            e.0 += ds.clicks[i];
            e.1 += ds.impressions[i];
        }
        let global = pooled(c, n).ok_or_else(|| {
            Error::field(
                ErrorCode::EmptyInput,
                "impressions",
                "no training impressions",
            )
        })?;
        Ok(MeanBaseline {
            by_cell,
            global,
            platform: pc
                .into_iter()
                .filter_map(|(k, (c, n))| Some((k, pooled(c, n)?)))
                .collect(),
            cell: cc
                .into_iter()
                .filter_map(|(k, (c, n))| Some((k, pooled(c, n)?)))
                .collect(),
        })
    }

    /// Predictions for every row of `ds`.
    pub fn predict(&self, ds: &Dataset) -> Vec<f64> {
        (0..ds.len())
            .map(|i| {
                if !self.by_cell {
                    return self.global;
                }
                let p = ds.platform[i];
                self.cell
                    .get(&(p, ds.niche[i]))
                    .or_else(|| self.platform.get(&p))
                    .copied()
                    .unwrap_or(self.global)
            })
            .collect()
    }
}

/// Settings of the smartcore forest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForestOptions {
    /// Trees.
    pub trees: usize,
    /// Maximum depth.
    pub max_depth: u16,
    /// Minimum rows per leaf.
    pub min_leaf: usize,
    /// Seed of the bootstrap and feature sampling.
    pub seed: u64,
}

impl Default for ForestOptions {
    fn default() -> Self {
        ForestOptions {
            trees: 40,
            max_depth: 10,
            min_leaf: 20,
            seed: 7,
        }
    }
}

/// smartcore random-forest baseline (module doc: how impressions weigh in).
#[derive(Debug)]
pub struct ForestBaseline {
    forest: RandomForestRegressor<f64, f64, Array2<f64>, ndarray::Array1<f64>>,
    d: usize,
}

fn smartcore_err(e: impl std::fmt::Display) -> Error {
    Error::general(ErrorCode::InvalidValue, format!("smartcore: {e}"))
}

fn to_f64(ds: &Dataset) -> Result<Array2<f64>> {
    Array2::from_shape_vec(
        (ds.len(), ds.d),
        ds.x.iter().map(|&v| f64::from(v)).collect(),
    )
    .map_err(smartcore_err)
}

impl ForestBaseline {
    /// Fit on `ds` (rows with impressions only).
    pub fn fit(ds: &Dataset, o: &ForestOptions) -> Result<Self> {
        if ds.is_empty() || ds.impressions.iter().sum::<f64>() <= 0.0 {
            return Err(Error::field(
                ErrorCode::EmptyInput,
                "impressions",
                "no training impressions",
            ));
        }
        let x = to_f64(ds)?;
        let y: ndarray::Array1<f64> = ds
            .clicks
            .iter()
            .zip(&ds.impressions)
            .map(|(&c, &n)| if n > 0.0 { c / n } else { 0.0 })
            .collect();
        let params = RandomForestRegressorParameters::default()
            .with_n_trees(o.trees)
            .with_max_depth(o.max_depth)
            .with_min_samples_leaf(o.min_leaf)
            .with_seed(o.seed);
        let forest = RandomForestRegressor::fit_with_weights(&x, &y, &ds.impressions, params)
            .map_err(smartcore_err)?;
        Ok(ForestBaseline { forest, d: ds.d })
    }

    /// Predictions for every row of `ds`.
    pub fn predict(&self, ds: &Dataset) -> Result<Vec<f64>> {
        if ds.d != self.d {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "features",
                format!("forest takes {} columns, got {}", self.d, ds.d),
            ));
        }
        if ds.is_empty() {
            return Ok(Vec::new());
        }
        let p = self.forest.predict(&to_f64(ds)?).map_err(smartcore_err)?;
        Ok(p.iter().map(|v| v.clamp(1e-6, 1.0 - 1e-6)).collect())
    }
}

/// Gauss-Hermite nodes and weights for `∫ e^{−x²} f(x) dx` (Golub-Welsch-free Newton iteration
/// on the Hermite polynomials, as in Numerical Recipes' `gauher`).
pub fn gauss_hermite(n: usize) -> Vec<(f64, f64)> {
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let mut out = vec![(0.0, 0.0); n];
    let m = n.div_ceil(2);
    let mut z: f64 = 0.0;
    for i in 0..m {
        z = match i {
            0 => (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * (2.0 * n as f64 + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * (n as f64).powf(0.426) / z,
            2 => 1.86 * z - 0.86 * out[0].0,
            3 => 1.91 * z - 0.91 * out[1].0,
            _ => 2.0 * z - out[i - 2].0,
        };
        let mut pp = 0.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 0..n {
                let p3 = p2;
                p2 = p1;
                p1 = z * (2.0 / (j as f64 + 1.0)).sqrt() * p2
                    - (j as f64 / (j as f64 + 1.0)).sqrt() * p3;
            }
            pp = (2.0 * n as f64).sqrt() * p2;
            let z1 = z;
            z = z1 - p1 / pp;
            if (z - z1).abs() <= 3e-14 {
                break;
            }
        }
        out[i] = (z, 2.0 / (pp * pp));
        out[n - 1 - i] = (-z, 2.0 / (pp * pp));
    }
    out
}

/// `E[σ(μ + σ_re·Z)]`, `Z ~ N(0, 1)`, with `nodes` from [`gauss_hermite`].
pub fn expected_sigmoid(mu: f64, sd: f64, nodes: &[(f64, f64)]) -> f64 {
    let s = std::f64::consts::PI.sqrt();
    nodes
        .iter()
        .map(|&(x, w)| w / s * super::logistic::sigmoid(mu + std::f64::consts::SQRT_2 * sd * x))
        .sum()
}

fn check_rows(net: &Network, ds: &Dataset) -> Result<()> {
    match ds
        .record
        .iter()
        .find(|&&i| i >= net.records.len() || i >= net.oracle.len())
    {
        Some(i) => Err(Error::field(
            ErrorCode::InvalidValue,
            "record",
            format!(
                "row refers to record {i}, the network has {}",
                net.records.len()
            ),
        )),
        None => Ok(()),
    }
}

/// Attribute-oracle CTR of every row of `ds` (rows must come from `net.records`).
pub fn attribute_oracle(net: &Network, params: &SimParams, ds: &Dataset) -> Result<Vec<f64>> {
    check_rows(net, ds)?;
    let nodes = gauss_hermite(32);
    let sd = (params.account_ctr_sd.powi(2) + params.creative_ctr_sd.powi(2)).sqrt();
    Ok(ds
        .record
        .iter()
        .map(|&i| {
            let r = &net.records[i];
            let base = params.platform(r.platform).base_ctr;
            let niche = r
                .niche
                .and_then(|n| params.niche_ctr.get(&n).copied())
                .unwrap_or(0.0);
            let mu = (base / (1.0 - base)).ln() + niche + net.oracle[i].attribute_logit;
            expected_sigmoid(mu, sd, &nodes)
        })
        .collect())
}

/// Full-oracle CTR (the simulator's true CTR) of every row of `ds`.
pub fn full_oracle(net: &Network, ds: &Dataset) -> Result<Vec<f64>> {
    check_rows(net, ds)?;
    Ok(ds.record.iter().map(|&i| net.oracle[i].true_ctr).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_hermite_integrates_moments_and_sigmoid() {
        let g = gauss_hermite(32);
        let s = std::f64::consts::PI.sqrt();
        let m0: f64 = g.iter().map(|(_, w)| w).sum::<f64>() / s;
        let m2: f64 = g.iter().map(|(x, w)| w * 2.0 * x * x).sum::<f64>() / s;
        assert!(
            (m0 - 1.0).abs() < 1e-12 && (m2 - 1.0).abs() < 1e-10,
            "{m0} {m2}"
        );
        // Symmetry: E[σ(sd·Z)] = 0.5, and a larger spread pulls a low CTR up.
        assert!((expected_sigmoid(0.0, 0.7, &g) - 0.5).abs() < 1e-12);
        let lo = super::super::logistic::sigmoid(-4.0);
        assert!(expected_sigmoid(-4.0, 0.6, &g) > lo * 1.1);
        // Compare with a fine Riemann sum.
        let mut r = 0.0;
        for k in -4000..=4000 {
            let z = k as f64 * 0.002;
            r += (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
                * 0.002
                * super::super::logistic::sigmoid(-4.0 + 0.6 * z);
        }
        assert!((expected_sigmoid(-4.0, 0.6, &g) - r).abs() < 1e-9);
    }
}
