//! A calibrated linear CTR model: fitting, scoring with intervals, and (de)serialization.
//!
//! Scoring: `η = b + wᵀx`, calibrated `p = σ(a·η + c)` (Platt scaling fitted on a held-out split,
//! impression-weighted). The 95 % interval maps `η ± 1.96·√(x̃ᵀ Σ x̃)` through the same calibration,
//! where `Σ` is the coefficient covariance (inverse Hessian) saved in the file.

use super::file::{Reader, Writer, MAGIC, VERSION};
use super::logistic::{check_training_data, fit, sigmoid, FitOptions, LogisticFit};
use crate::error::{Error, ErrorCode, Result};
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// Which question a model answers (and so which encoder feeds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum ModelKind {
    /// A creative's CTR before launch, from its attributes, niche and platform.
    PreLaunch,
    /// A running campaign's next-period CTR from its 19 unified features (+ attributes).
    InFlight,
}

impl ModelKind {
    fn code(self) -> u8 {
        match self {
            ModelKind::PreLaunch => 1,
            ModelKind::InFlight => 2,
        }
    }
    fn from_code(c: u8) -> Result<Self> {
        match c {
            1 => Ok(ModelKind::PreLaunch),
            2 => Ok(ModelKind::InFlight),
            _ => Err(Error::field(
                ErrorCode::Unsupported,
                "model",
                format!("unknown model kind {c}"),
            )),
        }
    }
}

/// Human-readable facts stored with the model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct ModelMetadata {
    /// Column names, in order.
    pub feature_names: Vec<String>,
    /// Training rows.
    pub rows: u64,
    /// Training impressions.
    pub impressions: f64,
    /// L2 penalty used.
    pub l2: f64,
    /// Seed of the fit/calibration split.
    pub seed: u64,
    /// Free-form description of the training data (e.g. "simulator v1, hash ...").
    pub trained_on: String,
}

/// A probability with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct CtrScore {
    /// Calibrated click probability.
    pub ctr: f64,
    /// Lower end of the 95 % interval.
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// What the model predicts.
    pub kind: ModelKind,
    /// Id of the feature layout (encoder) the columns come from.
    pub layout: u32,
    /// Column names (length = columns).
    pub feature_names: Vec<String>,
    /// Solver settings.
    pub fit: FitOptions,
    /// Share of rows held out to fit the calibration (0 = no calibration).
    pub calibration_share: f64,
    /// Seed of the deterministic fit/calibration split.
    pub seed: u64,
    /// Description of the training data.
    pub trained_on: String,
}

impl TrainOptions {
    /// Check the settings, naming the bad one by its field (`fit.l2` as `l2`, `max_iter`,
    /// `calibration_share`, `feature_names[i]`): the one place these rules live (the JS binding
    /// only renames the fields).
    pub fn validate(&self) -> Result<()> {
        self.fit.validate()?;
        if !(0.0..0.9).contains(&self.calibration_share) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "calibration_share",
                format!("must be in [0, 0.9), got {}", self.calibration_share),
            ));
        }
        if self.feature_names.is_empty() {
            return Err(Error::field(
                ErrorCode::EmptyInput,
                "feature_names",
                "needs at least one feature name",
            ));
        }
        if let Some(i) = self.feature_names.iter().position(|s| s.is_empty()) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("feature_names[{i}]"),
                "must not be empty",
            ));
        }
        Ok(())
    }
}

/// A trained, calibrated linear CTR model.
#[derive(Debug, Clone, PartialEq)]
pub struct CtrModel {
    kind: ModelKind,
    layout: u32,
    weights: Vec<f32>,
    intercept: f32,
    calib: (f32, f32),
    /// Upper triangle of the covariance of `[w, b]`, row-major.
    cov: Vec<f32>,
    meta: ModelMetadata,
}

/// Deterministic split: row `i` is held out when its hash falls under `share`.
pub fn held_out(i: u64, seed: u64, share: f64) -> bool {
    let mut z = i.wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 / (1u64 << 53) as f64) < share
}

impl CtrModel {
    /// Fit on `x` (rows x features) with binomial outcomes; calibrate on a held-out share.
    pub fn train(
        x: ArrayView2<'_, f32>,
        clicks: &[f64],
        impressions: &[f64],
        opts: &TrainOptions,
    ) -> Result<CtrModel> {
        opts.validate()?;
        check_training_data(x, clicks, impressions)?;
        if opts.feature_names.len() != x.ncols() {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "feature_names",
                format!(
                    "{} names for {} columns",
                    opts.feature_names.len(),
                    x.ncols()
                ),
            ));
        }
        let rows: Vec<bool> = (0..x.nrows() as u64)
            .map(|i| held_out(i, opts.seed, opts.calibration_share))
            .collect();
        let pick = |hold: bool| -> (Array2<f32>, Vec<f64>, Vec<f64>) {
            let idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i] == hold).collect();
            let xs = x.select(ndarray::Axis(0), &idx);
            let c = idx.iter().map(|&i| clicks[i]).collect();
            let n = idx.iter().map(|&i| impressions[i]).collect();
            (xs, c, n)
        };
        let (fx, fc, fnn) = pick(false);
        let base = fit(fx.view(), &fc, &fnn, &opts.fit)?;
        let calib = if opts.calibration_share > 0.0 {
            let (hx, hc, hn) = pick(true);
            platt(&base, hx.view(), &hc, &hn)?
        } else {
            (1.0, 0.0)
        };
        Ok(Self::from_fit(
            &base,
            calib,
            opts,
            x.nrows() as u64,
            impressions.iter().sum(),
        ))
    }

    fn from_fit(
        f: &LogisticFit,
        calib: (f64, f64),
        opts: &TrainOptions,
        rows: u64,
        impressions: f64,
    ) -> CtrModel {
        let k = f.weights.len() + 1;
        let mut cov = Vec::with_capacity(k * (k + 1) / 2);
        for i in 0..k {
            for j in i..k {
                cov.push(f.covariance[i * k + j] as f32);
            }
        }
        CtrModel {
            kind: opts.kind,
            layout: opts.layout,
            weights: f.weights.iter().map(|&w| w as f32).collect(),
            intercept: f.intercept as f32,
            calib: (calib.0 as f32, calib.1 as f32),
            cov,
            meta: ModelMetadata {
                feature_names: opts.feature_names.clone(),
                rows,
                impressions,
                l2: opts.fit.l2,
                seed: opts.seed,
                trained_on: opts.trained_on.clone(),
            },
        }
    }

    /// The model kind.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }
    /// The feature layout id the model expects.
    pub fn layout(&self) -> u32 {
        self.layout
    }
    /// Number of input columns.
    pub fn n_features(&self) -> usize {
        self.weights.len()
    }
    /// Stored metadata.
    pub fn metadata(&self) -> &ModelMetadata {
        &self.meta
    }
    /// The fitted weights, one per column (before calibration).
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }
    /// The fitted intercept (before calibration).
    pub fn intercept(&self) -> f32 {
        self.intercept
    }
    /// The Platt calibration `(a, b)`: `p = σ(a·η + b)`.
    pub fn calibration(&self) -> (f32, f32) {
        self.calib
    }

    /// `b + wᵀx` in f64, summed in four interleaved partial sums (term `j` goes to sum `j % 4`),
    /// combined as `b + ((s0 + s1) + (s2 + s3))`. Four independent chains instead of one serial
    /// chain of `d` dependent additions (the bottleneck of a 142-column row); the operations and
    /// their order are fixed, so every target (native, wasm) gives the same bits.
    fn eta(&self, x: &[f32]) -> f64 {
        let n = self.weights.len().min(x.len());
        let (w, x) = (&self.weights[..n], &x[..n]);
        let mut s = [0.0f64; 4];
        let (wc, xc) = (w.chunks_exact(4), x.chunks_exact(4));
        let (wr, xr) = (wc.remainder(), xc.remainder());
        for (w4, x4) in wc.zip(xc) {
            for k in 0..4 {
                s[k] += f64::from(w4[k]) * f64::from(x4[k]);
            }
        }
        for (k, (&wv, &xv)) in wr.iter().zip(xr).enumerate() {
            s[k] += f64::from(wv) * f64::from(xv);
        }
        f64::from(self.intercept) + ((s[0] + s[1]) + (s[2] + s[3]))
    }

    fn calibrated(&self, eta: f64) -> f64 {
        sigmoid(self.calib.0 as f64 * eta + self.calib.1 as f64)
    }

    fn check_row(&self, x: &[f32]) -> Result<()> {
        if x.len() != self.weights.len() {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "features",
                format!(
                    "model takes {} features, got {}",
                    self.weights.len(),
                    x.len()
                ),
            ));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("features[{i}]"),
                "must be finite",
            ));
        }
        Ok(())
    }

    /// `x̃ᵀ Σ x̃` with `x̃ = (x, 1)` and `Σ` the packed upper triangle (row-major) of the
    /// coefficient covariance (intercept last).
    ///
    /// Only the non-zero entries of `x̃` are visited (a pre-launch row is mostly one-hot zeros:
    /// ~15 of 143), in the same order as the full double loop, and a skipped term is exactly
    /// `±0`, so the sum is bit for bit the dense one at a fraction of the work (the score
    /// handler's profile, docs/robustness.md "Profiling").
    fn variance(&self, x: &[f32]) -> f64 {
        let k = self.weights.len() + 1;
        let nz: Vec<(usize, f64)> = x
            .iter()
            .map(|&v| f64::from(v))
            .chain(std::iter::once(1.0))
            .enumerate()
            .filter(|&(_, v)| v != 0.0)
            .collect();
        let mut var = 0.0;
        for (a, &(i, xi)) in nz.iter().enumerate() {
            // Offset of (i, i) in the packed upper triangle: Σ_{r<i} (k - r).
            let row = i * k - i * i.saturating_sub(1) / 2;
            for &(j, xj) in &nz[a..] {
                let c = self.cov[row + (j - i)] as f64 * xi * xj;
                var += if i == j { c } else { 2.0 * c };
            }
        }
        var
    }

    /// Calibrated probability and 95 % interval for one row.
    pub fn score(&self, x: &[f32]) -> Result<CtrScore> {
        self.check_row(x)?;
        let eta = self.eta(x);
        let var = self.variance(x);
        let half = 1.96 * var.max(0.0).sqrt();
        let (lo, hi) = (self.calibrated(eta - half), self.calibrated(eta + half));
        Ok(CtrScore {
            ctr: self.calibrated(eta),
            low: lo.min(hi),
            high: lo.max(hi),
        })
    }

    /// Calibrated probabilities for `n_rows` row-major rows (one call per batch).
    pub fn score_batch(&self, x: &[f32], n_rows: usize) -> Result<Vec<f32>> {
        let d = self.weights.len();
        if Some(x.len()) != n_rows.checked_mul(d) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "features",
                format!(
                    "{n_rows} rows x {d} features needs {} values, got {}",
                    n_rows * d,
                    x.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(n_rows);
        for (i, row) in x.chunks_exact(d.max(1)).take(n_rows).enumerate() {
            out.push(
                self.probability(row)
                    .map_err(|e| e.within(&format!("rows[{i}]")))?,
            );
        }
        if d == 0 {
            out.resize(n_rows, self.calibrated(self.eta(&[])) as f32);
        }
        Ok(out)
    }

    /// The calibrated probability of one row of exactly `n_features()` values (what
    /// [`score_batch`](Self::score_batch) computes per row; no interval).
    pub(crate) fn probability(&self, row: &[f32]) -> Result<f32> {
        // Any NaN or infinite input makes η non-finite, so the per-value check only runs then
        // (it finds and names the value; a finite row whose η overflows passes it).
        let eta = self.eta(row);
        if !eta.is_finite() {
            self.check_row(row)?;
        }
        Ok(self.calibrated(eta) as f32)
    }

    /// Serialize to the versioned file format (see [`super::file`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(MAGIC);
        w.u16(VERSION);
        w.u8(self.kind.code());
        w.u32(self.layout);
        w.u32(self.weights.len() as u32);
        self.weights.iter().for_each(|&v| w.f32(v));
        w.f32(self.intercept);
        w.f32(self.calib.0);
        w.f32(self.calib.1);
        self.cov.iter().for_each(|&v| w.f32(v));
        let meta = serde_json::to_vec(&self.meta).unwrap_or_default();
        w.u32(meta.len() as u32);
        w.bytes(&meta);
        w.finish()
    }

    /// Load a model file, rejecting truncated, corrupted, foreign or incompatible bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<CtrModel> {
        let mut r = Reader::open(bytes)?;
        let kind = ModelKind::from_code(r.u8()?)?;
        let layout = r.u32()?;
        let d = r.u32()? as usize;
        let weights = r.f32s(d)?;
        let intercept = r.f32()?;
        let calib = (r.f32()?, r.f32()?);
        let k = d + 1;
        let cov = r.f32s(k * (k + 1) / 2)?;
        let m = r.u32()? as usize;
        let meta: ModelMetadata = serde_json::from_slice(r.bytes(m)?).map_err(|e| {
            Error::field(ErrorCode::Malformed, "model", format!("bad metadata: {e}"))
        })?;
        r.done()?;
        if meta.feature_names.len() != d {
            return Err(Error::field(
                ErrorCode::Malformed,
                "model",
                "metadata feature names disagree with the weights",
            ));
        }
        Ok(CtrModel {
            kind,
            layout,
            weights,
            intercept,
            calib,
            cov,
            meta,
        })
    }

    /// Require a given kind and layout (a model for another encoder is an error, not garbage).
    pub fn expect(&self, kind: ModelKind, layout: u32) -> Result<()> {
        if self.kind != kind || self.layout != layout {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "model",
                format!(
                    "incompatible model: {:?} layout {:#x}, expected {:?} layout {:#x}",
                    self.kind, self.layout, kind, layout
                ),
            ));
        }
        Ok(())
    }
}

/// Platt scaling: fit `p = σ(a·η + b)` on held-out rows (unpenalized, impression-weighted).
fn platt(
    f: &LogisticFit,
    x: ArrayView2<'_, f32>,
    clicks: &[f64],
    impressions: &[f64],
) -> Result<(f64, f64)> {
    if x.nrows() == 0 || impressions.iter().sum::<f64>() <= 0.0 {
        return Ok((1.0, 0.0));
    }
    let eta: Vec<f32> = x
        .rows()
        .into_iter()
        .map(|r| f.eta(r.as_slice().unwrap_or(&r.to_vec())) as f32)
        .collect();
    let ex = Array2::from_shape_vec((eta.len(), 1), eta)
        .map_err(|e| Error::general(ErrorCode::InvalidValue, e.to_string()))?;
    let opts = FitOptions {
        l2: 0.0,
        ..FitOptions::default()
    };
    let p = fit(ex.view(), clicks, impressions, &opts)?;
    Ok((p.weights[0], p.intercept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (Array2<f32>, Vec<f64>, Vec<f64>) {
        // 400 rows, 2 features; true p = σ(−4 + 1.0·x0 − 0.5·x1).
        let mut xs = Vec::new();
        let (mut c, mut n) = (Vec::new(), Vec::new());
        for i in 0..400u32 {
            let x0 = (i % 4) as f32;
            let x1 = ((i / 4) % 3) as f32;
            xs.extend([x0, x1]);
            let p = sigmoid(-4.0 + x0 as f64 - 0.5 * x1 as f64);
            let m = 1000.0 + (i % 7) as f64 * 500.0;
            n.push(m);
            c.push((p * m).round());
        }
        (Array2::from_shape_vec((400, 2), xs).unwrap(), c, n)
    }

    /// The dense double loop `score` used before the sparse one (the reference).
    fn dense_variance(m: &CtrModel, x: &[f32]) -> f64 {
        let k = m.weights.len() + 1;
        let xt = |i: usize| if i + 1 == k { 1.0 } else { x[i] as f64 };
        let mut var = 0.0;
        let mut t = 0;
        for i in 0..k {
            for j in i..k {
                let c = m.cov[t] as f64 * xt(i) * xt(j);
                var += if i == j { c } else { 2.0 * c };
                t += 1;
            }
        }
        var
    }

    #[test]
    fn sparse_variance_is_the_dense_one_bit_for_bit() {
        let files: [&[u8]; 2] = [
            include_bytes!("../../models/ctr-prelaunch-v1.bin"),
            include_bytes!("../../models/ctr-inflight-v1.bin"),
        ];
        let mut rng = crate::rng::Rng::new(11);
        for bytes in files {
            let m = CtrModel::from_bytes(bytes).unwrap();
            let d = m.n_features();
            for density in [0.0, 0.1, 0.5, 1.0] {
                for _ in 0..200 {
                    let x: Vec<f32> = (0..d)
                        .map(|_| match rng.uniform() < density {
                            true => (rng.uniform() * 4.0 - 2.0) as f32,
                            false => 0.0,
                        })
                        .collect();
                    assert_eq!(
                        m.variance(&x).to_bits(),
                        dense_variance(&m, &x).to_bits(),
                        "d {d}, density {density}"
                    );
                }
            }
        }
    }

    fn opts() -> TrainOptions {
        TrainOptions {
            kind: ModelKind::PreLaunch,
            layout: 7,
            feature_names: vec!["a".into(), "b".into()],
            fit: FitOptions::default(),
            calibration_share: 0.25,
            seed: 1,
            trained_on: "toy".into(),
        }
    }

    #[test]
    fn options_are_checked_naming_the_field() {
        assert!(opts().validate().is_ok());
        let field = |o: TrainOptions| {
            let e = o.validate().unwrap_err();
            (e.code, e.field.unwrap_or_default())
        };
        let mut o = opts();
        o.fit.l2 = -1.0;
        assert_eq!(field(o), (ErrorCode::InvalidValue, "l2".into()));
        let mut o = opts();
        o.fit.max_iter = 0;
        assert_eq!(field(o), (ErrorCode::InvalidValue, "max_iter".into()));
        for share in [0.9, -0.1, f64::NAN] {
            let mut o = opts();
            o.calibration_share = share;
            assert_eq!(
                field(o),
                (ErrorCode::InvalidValue, "calibration_share".into())
            );
        }
        let mut o = opts();
        o.feature_names.clear();
        assert_eq!(field(o), (ErrorCode::EmptyInput, "feature_names".into()));
        let mut o = opts();
        o.feature_names[1] = String::new();
        assert_eq!(
            field(o),
            (ErrorCode::InvalidValue, "feature_names[1]".into())
        );
        // Training refuses them too, before touching the data.
        let (x, c, n) = toy();
        let mut o = opts();
        o.fit.l2 = f64::INFINITY;
        assert!(CtrModel::train(x.view(), &c, &n, &o).is_err());
    }

    #[test]
    fn trains_calibrated_and_round_trips() {
        let (x, c, n) = toy();
        let m = CtrModel::train(x.view(), &c, &n, &opts()).unwrap();
        let s = m.score(&[2.0, 1.0]).unwrap();
        let truth = sigmoid(-4.0 + 2.0 - 0.5);
        assert!((s.ctr - truth).abs() < 0.003, "{} vs {truth}", s.ctr);
        assert!(s.low <= s.ctr && s.ctr <= s.high);
        let bytes = m.to_bytes();
        let back = CtrModel::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
        let batch = back.score_batch(&[2.0, 1.0, 0.0, 0.0], 2).unwrap();
        assert_eq!(batch[0], s.ctr as f32);
        // Same data, same seed: identical bytes.
        let again = CtrModel::train(x.view(), &c, &n, &opts()).unwrap();
        assert_eq!(again.to_bytes(), bytes);
    }

    #[test]
    fn corrupt_truncated_foreign_files_are_errors() {
        let (x, c, n) = toy();
        let bytes = CtrModel::train(x.view(), &c, &n, &opts())
            .unwrap()
            .to_bytes();
        let mut flipped = bytes.clone();
        flipped[20] ^= 1;
        assert!(CtrModel::from_bytes(&flipped)
            .unwrap_err()
            .message
            .contains("checksum"));
        for cut in [0, 5, 12, bytes.len() / 2, bytes.len() - 1] {
            assert!(CtrModel::from_bytes(&bytes[..cut]).is_err(), "cut {cut}");
        }
        assert!(CtrModel::from_bytes(b"PK\x03\x04 definitely a zip file").is_err());
        let m = CtrModel::from_bytes(&bytes).unwrap();
        assert!(m.expect(ModelKind::InFlight, 7).is_err());
        assert!(m.expect(ModelKind::PreLaunch, 7).is_ok());
        assert!(m.score(&[1.0]).is_err());
        assert!(m.score_batch(&[1.0, f32::NAN], 1).is_err());
        // Every non-finite value is found and named, whatever its weight (also 0).
        let d = m.n_features();
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            for j in 0..d {
                let mut x = vec![0.5f32; 3 * d];
                x[d + j] = bad;
                let e = m.score_batch(&x, 3).unwrap_err();
                assert_eq!(
                    e.field.as_deref(),
                    Some(format!("rows[1].features[{j}]").as_str())
                );
            }
        }
        // A batch scores each row exactly like `score`.
        let x: Vec<f32> = (0..4 * d).map(|i| (i % 7) as f32 * 0.25 - 0.5).collect();
        let batch = m.score_batch(&x, 4).unwrap();
        for (i, row) in x.chunks(d).enumerate() {
            assert_eq!(batch[i], m.score(row).unwrap().ctr as f32);
        }
    }
}
