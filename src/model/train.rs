//! The CTR training pipeline: datasets from records, grouped (by account) splits, the
//! over-dispersion weighting, and L2 / dispersion tuning on a validation split.
//!
//! **Grouped splits.** An account's creatives share its random CTR effect, so a row-level split
//! leaks it into the test set. [`grouped_split`] assigns whole accounts to train / validation /
//! test by a seeded hash of the account id.
//!
//! **Over-dispersion weighting.** Creatives differ by account and creative effects no attribute
//! explains (in the simulator `a ~ N(0, 0.5²)`, `e ~ N(0, 0.35²)`), so a creative with a million
//! impressions does not carry a thousand times the information of one with a thousand: its CTR is
//! still one draw of `a + e`. With `τ²` the unexplained log-odds variance, the quasi-likelihood
//! weight of a row is the binomial weight times `s = 1 / (1 + n·p̄(1 − p̄)·τ²)` (`p̄` = the
//! platform's training CTR), applied by scaling the row's clicks *and* impressions by `s` before
//! fitting. `τ² = 0` is the plain impression-weighted fit. Both `τ²` and the L2 penalty are chosen
//! on the validation split (impression-weighted log loss with the true counts), never on the test
//! split.

use super::ctr::{CtrModel, ModelKind, TrainOptions};
use super::encode::{
    encode_creatives, inflight_feature_names, inflight_rows, prelaunch_feature_names,
    CreativeAttributes, InflightEncoder, NichePriors, INFLIGHT_COLUMNS, INFLIGHT_LAYOUT,
    PRELAUNCH_COLUMNS, PRELAUNCH_LAYOUT,
};
use super::logistic::FitOptions;
use super::metrics::log_loss;
use crate::error::{Error, ErrorCode, Result};
use crate::hash::{fnv1a64, fnv1a64_continue};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::CreativeRecord;
use ndarray::ArrayView2;

/// Encoded rows with their outcomes and grouping keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Columns per row.
    pub d: usize,
    /// Row-major features.
    pub x: Vec<f32>,
    /// Clicks per row (next period for in-flight rows).
    pub clicks: Vec<f64>,
    /// Impressions per row.
    pub impressions: Vec<f64>,
    /// Account of each row (the split group).
    pub account: Vec<String>,
    /// Platform of each row.
    pub platform: Vec<Platform>,
    /// Niche of each row (`unknown` when not declared).
    pub niche: Vec<Niche>,
    /// Index of the source record.
    pub record: Vec<usize>,
    /// In-flight only: early-period (clicks, impressions) of the row's platform.
    pub early: Vec<(f64, f64)>,
}

impl Dataset {
    /// Pre-launch rows: one per record with impressions, features from its attributes.
    pub fn prelaunch(records: &[CreativeRecord], priors: &dyn NichePriors) -> Result<Dataset> {
        let keep: Vec<usize> = (0..records.len())
            .filter(|&i| records[i].impressions > 0)
            .collect();
        let attrs: Vec<CreativeAttributes> = keep
            .iter()
            .map(|&i| CreativeAttributes::from(&records[i]))
            .collect();
        let x = encode_creatives(&attrs, priors)?;
        let mut ds = Dataset {
            d: PRELAUNCH_COLUMNS,
            x,
            ..Dataset::default()
        };
        for &i in &keep {
            let r = &records[i];
            ds.push_meta(r, i, r.clicks as f64, r.impressions as f64);
        }
        Ok(ds)
    }

    /// In-flight rows from daily series (split rule in [`super::encode`]); rows whose next
    /// period has no impressions are dropped.
    pub fn inflight(
        records: &[CreativeRecord],
        early_days: usize,
        encoder: &InflightEncoder<'_>,
    ) -> Result<Dataset> {
        let rows = inflight_rows(records, early_days, encoder)?;
        let mut ds = Dataset {
            d: INFLIGHT_COLUMNS,
            ..Dataset::default()
        };
        for k in 0..rows.len() {
            if rows.impressions[k] <= 0.0 {
                continue;
            }
            let i = rows.record[k];
            ds.x.extend_from_slice(&rows.x[k * INFLIGHT_COLUMNS..(k + 1) * INFLIGHT_COLUMNS]);
            ds.push_meta(&records[i], i, rows.clicks[k], rows.impressions[k]);
            ds.early
                .push((rows.early_clicks[k], rows.early_impressions[k]));
        }
        Ok(ds)
    }

    fn push_meta(&mut self, r: &CreativeRecord, i: usize, clicks: f64, impressions: f64) {
        self.clicks.push(clicks);
        self.impressions.push(impressions);
        self.account.push(r.account_id.clone());
        self.platform.push(r.platform);
        self.niche.push(r.niche.unwrap_or(Niche::Unknown));
        self.record.push(i);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.clicks.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.clicks.is_empty()
    }

    /// The features as an `n x d` view (an error if `x` does not hold `len() x d` values).
    pub fn view(&self) -> Result<ArrayView2<'_, f32>> {
        ArrayView2::from_shape((self.len(), self.d), &self.x).map_err(|_| {
            Error::field(
                ErrorCode::InvalidValue,
                "x",
                format!(
                    "{} values do not make {} rows of {} columns",
                    self.x.len(),
                    self.len(),
                    self.d
                ),
            )
        })
    }

    /// One row's features.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let mut out = Dataset {
            d: self.d,
            ..Dataset::default()
        };
        for &i in idx {
            out.x.extend_from_slice(self.row(i));
            out.clicks.push(self.clicks[i]);
            out.impressions.push(self.impressions[i]);
            out.account.push(self.account[i].clone());
            out.platform.push(self.platform[i]);
            out.niche.push(self.niche[i]);
            out.record.push(self.record[i]);
            if let Some(e) = self.early.get(i) {
                out.early.push(*e);
            }
        }
        out
    }
}

/// Row indices of a grouped split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupedSplit {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows (tuning).
    pub valid: Vec<usize>,
    /// Test rows (reporting only).
    pub test: Vec<usize>,
}

/// A uniform number in `[0, 1)` from a seeded hash of the account id.
pub fn account_unit(account: &str, seed: u64) -> f64 {
    let h = fnv1a64_continue(fnv1a64(&seed.to_le_bytes()), account.as_bytes());
    // Mix: FNV's low bits are weak for short, similar ids.
    let mut z = h;
    z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^= z >> 33;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Split rows by account: an account's rows all land in the same part.
pub fn grouped_split(
    accounts: &[String],
    seed: u64,
    valid_share: f64,
    test_share: f64,
) -> Result<GroupedSplit> {
    if !(valid_share >= 0.0 && test_share >= 0.0 && valid_share + test_share < 1.0) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "split",
            format!("shares must be >= 0 and sum below 1, got {valid_share} and {test_share}"),
        ));
    }
    let mut s = GroupedSplit::default();
    for (i, a) in accounts.iter().enumerate() {
        let u = account_unit(a, seed);
        if u < test_share {
            s.test.push(i);
        } else if u < test_share + valid_share {
            s.valid.push(i);
        } else {
            s.train.push(i);
        }
    }
    Ok(s)
}

/// Per-row over-dispersion scale `s = 1 / (1 + n·p̄(1 − p̄)·τ²)` (module doc).
pub fn dispersion_scale(ds: &Dataset, tau2: f64) -> Vec<f64> {
    let mut c = [0.0; 4];
    let mut n = [0.0; 4];
    for i in 0..ds.len() {
        let k = ds.platform[i].index();
        c[k] += ds.clicks[i];
        n[k] += ds.impressions[i];
    }
    (0..ds.len())
        .map(|i| {
            let k = ds.platform[i].index();
            let p = if n[k] > 0.0 { c[k] / n[k] } else { 0.0 };
            1.0 / (1.0 + ds.impressions[i] * p * (1.0 - p) * tau2)
        })
        .collect()
}

/// What to train and how to tune it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Model kind (decides the layout id and column names).
    pub kind: ModelKind,
    /// L2 penalties to try.
    pub l2_grid: Vec<f64>,
    /// Dispersion variances `τ²` to try (0 = plain impression weighting).
    pub tau2_grid: Vec<f64>,
    /// Share of the fitting rows used for Platt calibration.
    pub calibration_share: f64,
    /// Seed of the calibration split.
    pub seed: u64,
    /// Description stored in the model.
    pub trained_on: String,
}

impl TrainConfig {
    /// The grids used for the shipped models.
    pub fn standard(kind: ModelKind, seed: u64, trained_on: String) -> Self {
        TrainConfig {
            kind,
            l2_grid: vec![1.0, 10.0, 100.0, 1000.0, 10000.0],
            tau2_grid: vec![0.0, 0.1, 0.3, 1.0],
            calibration_share: 0.2,
            seed,
            trained_on,
        }
    }

    fn layout(&self) -> (u32, Vec<String>) {
        match self.kind {
            ModelKind::PreLaunch => (PRELAUNCH_LAYOUT, prelaunch_feature_names()),
            ModelKind::InFlight => (INFLIGHT_LAYOUT, inflight_feature_names()),
        }
    }
}

/// One point of the tuning grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridPoint {
    /// L2 penalty.
    pub l2: f64,
    /// Dispersion variance.
    pub tau2: f64,
    /// Validation log loss (true counts).
    pub valid_log_loss: f64,
}

/// Fit one model on `ds` with fixed `l2` and `tau2`.
pub fn fit_model(ds: &Dataset, l2: f64, tau2: f64, cfg: &TrainConfig) -> Result<CtrModel> {
    let (layout, names) = cfg.layout();
    if names.len() != ds.d {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "kind",
            format!(
                "{:?} takes {} columns, the data has {}",
                cfg.kind,
                names.len(),
                ds.d
            ),
        ));
    }
    let s = dispersion_scale(ds, tau2);
    let c: Vec<f64> = ds.clicks.iter().zip(&s).map(|(c, s)| c * s).collect();
    let n: Vec<f64> = ds.impressions.iter().zip(&s).map(|(n, s)| n * s).collect();
    let opts = TrainOptions {
        kind: cfg.kind,
        layout,
        feature_names: names,
        fit: FitOptions {
            l2,
            ..FitOptions::default()
        },
        calibration_share: cfg.calibration_share,
        seed: cfg.seed,
        trained_on: format!("{}; tau2 = {tau2}", cfg.trained_on),
    };
    CtrModel::train(ds.view()?, &c, &n, &opts)
}

/// Calibrated predictions of `model` for every row of `ds`.
pub fn predict(model: &CtrModel, ds: &Dataset) -> Result<Vec<f64>> {
    Ok(model
        .score_batch(&ds.x, ds.len())?
        .into_iter()
        .map(f64::from)
        .collect())
}

/// Try every (L2, τ²) pair: fit on `train`, score `valid`; return the best pair and the grid.
pub fn tune(
    train: &Dataset,
    valid: &Dataset,
    cfg: &TrainConfig,
) -> Result<(GridPoint, Vec<GridPoint>)> {
    if cfg.l2_grid.is_empty() || cfg.tau2_grid.is_empty() {
        return Err(Error::field(
            ErrorCode::EmptyInput,
            "l2_grid",
            "tuning grids must not be empty",
        ));
    }
    let mut grid = Vec::new();
    for &tau2 in &cfg.tau2_grid {
        for &l2 in &cfg.l2_grid {
            let m = fit_model(train, l2, tau2, cfg)?;
            let p = predict(&m, valid)?;
            grid.push(GridPoint {
                l2,
                tau2,
                valid_log_loss: log_loss(&p, &valid.clicks, &valid.impressions),
            });
        }
    }
    let best = grid
        .iter()
        .copied()
        .min_by(|a, b| a.valid_log_loss.total_cmp(&b.valid_log_loss))
        .unwrap_or(grid[0]);
    Ok((best, grid))
}

/// How to train a shipped model on the frozen simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimTrainOptions {
    /// Model kind.
    pub kind: ModelKind,
    /// Simulated accounts.
    pub accounts: u32,
    /// Seed of the network, the split and the calibration split.
    pub seed: u64,
    /// Effect scale override (`None` = the parameter file's).
    pub effect_scale: Option<f64>,
    /// In-flight: days in the earlier period.
    pub early_days: usize,
    /// Share of accounts held out for tuning.
    pub valid_share: f64,
    /// L2 penalties to try.
    pub l2_grid: Vec<f64>,
    /// Dispersion variances to try.
    pub tau2_grid: Vec<f64>,
}

impl SimTrainOptions {
    /// The settings of the shipped models (standard grids, 3 early days, 20 % validation).
    pub fn standard(kind: ModelKind, accounts: u32, seed: u64) -> Self {
        let grids = TrainConfig::standard(kind, seed, String::new());
        SimTrainOptions {
            kind,
            accounts,
            seed,
            effect_scale: None,
            early_days: 3,
            valid_share: 0.2,
            l2_grid: grids.l2_grid,
            tau2_grid: grids.tau2_grid,
        }
    }
}

/// A trained model with its tuning record.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// The model, refit on every row with the tuned settings.
    pub model: CtrModel,
    /// The chosen grid point.
    pub best: GridPoint,
    /// Every grid point tried.
    pub grid: Vec<GridPoint>,
    /// Rows the final model was fitted on.
    pub rows: usize,
}

/// Train on a simulated network: tune (L2, τ²) on held-out accounts, then refit on all rows.
/// In-flight models read the creative-DNA features from `prelaunch` (neutral 0.5 without one).
/// Deterministic: the same options and pre-launch model give the same bytes.
pub fn train_on_simulator(
    o: &SimTrainOptions,
    prelaunch: Option<&CtrModel>,
) -> Result<TrainReport> {
    let net = crate::sim::generate_network(&crate::sim::SimOptions {
        seed: o.seed,
        accounts: o.accounts,
        effect_scale: o.effect_scale,
    })?;
    let ds = match o.kind {
        ModelKind::PreLaunch => Dataset::prelaunch(&net.records, &super::encode::NoPriors)?,
        ModelKind::InFlight => {
            let enc = InflightEncoder::new(
                crate::features::FeatureBuilder::default(),
                prelaunch,
                &super::encode::NoPriors,
            )?;
            Dataset::inflight(&net.records, o.early_days, &enc)?
        }
    };
    let dna = match (o.kind, prelaunch) {
        (ModelKind::InFlight, Some(m)) => format!(
            "; DNA features from pre-launch model {:016x}",
            fnv1a64(&m.to_bytes())
        ),
        (ModelKind::InFlight, None) => "; DNA features neutral (no pre-launch model)".into(),
        _ => String::new(),
    };
    let trained_on = format!(
        "SIMULATED DATA: {} {}, seed {}, {} accounts, effect_scale {}, {} rows{}{}; l2 and tau2 tuned on {:.0} % held-out accounts",
        net.params_version,
        net.params_hash,
        o.seed,
        o.accounts,
        net.effect_scale,
        ds.len(),
        if o.kind == ModelKind::InFlight {
            format!(", first {} days -> later days", o.early_days)
        } else {
            String::new()
        },
        dna,
        100.0 * o.valid_share,
    );
    let cfg = TrainConfig {
        kind: o.kind,
        l2_grid: o.l2_grid.clone(),
        tau2_grid: o.tau2_grid.clone(),
        calibration_share: 0.2,
        seed: o.seed,
        trained_on,
    };
    let split = grouped_split(&ds.account, o.seed, o.valid_share, 0.0)?;
    let (best, grid) = tune(&ds.subset(&split.train), &ds.subset(&split.valid), &cfg)?;
    let model = fit_model(&ds, best.l2, best.tau2, &cfg)?;
    Ok(TrainReport {
        model,
        best,
        grid,
        rows: ds.len(),
    })
}
