//! Deterministic training of the niche classifier (pure: texts in, model out, no I/O).
//!
//! Objective: class-balanced, L2-regularized multinomial logistic regression
//!
//! ```text
//! L(W, b, β) = Σ_i ω_i · CE(softmax(z_i), y_i) / Σ_i ω_i + λ/2 · ||W||²
//! ω_i = u_i · N / (K' · N_{y_i})          (u_i: per-example weight, K': classes present)
//! ```
//!
//! with `z_i` as in [`super::classifier`] (keyword prior included, bias and `β` unregularized).
//! Solver: plain SGD over a seeded Fisher-Yates permutation per epoch (SplitMix64), step
//! `η_t = η_0 / (1 + η_0 λ t)` (Bottou's schedule for L2-regularized SGD). L2 decay is applied
//! lazily by keeping `W = a · V` and shrinking the scalar `a` each step, so a step costs
//! `O(K · nnz(x))`. Single thread, fixed order, no hash-map iteration: the same inputs and seed
//! give the same bytes.
//!
//! Calibration: the temperature `T` minimizes the mean negative log-likelihood of
//! `softmax(z / T)` on a held-out calibration set (golden-section search on `ln T`), computed on
//! the quantized weights that ship.

use super::classifier::{encode, softmax_in_place, Encoded};
use super::hashing::HashingConfig;
use super::model::{FloatParams, NicheModel};
use super::Niche;
use crate::error::{Error, ErrorCode, Result};
use ndarray::Array2;

/// One labelled training text.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The text (an ad, a headline, a snippet of a longer document).
    pub text: String,
    /// Index into the class list passed to [`train`].
    pub class: usize,
    /// Per-example weight `u_i` (>= 0).
    pub weight: f32,
}

/// Training hyperparameters.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Feature hashing.
    pub hashing: HashingConfig,
    /// Passes over the data.
    pub epochs: u32,
    /// Initial step `η_0`.
    pub learning_rate: f32,
    /// L2 strength `λ`.
    pub l2: f32,
    /// Seed of the shuffling.
    pub seed: u64,
    /// Learn the keyword-prior weight `β` (else `β = 0`).
    pub keyword_prior: bool,
    /// Unknown threshold `τ` written into the model.
    pub threshold: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            hashing: HashingConfig::default(),
            epochs: 12,
            learning_rate: 0.2,
            l2: 1e-5,
            seed: 7,
            keyword_prior: true,
            threshold: 0.2,
        }
    }
}

/// SplitMix64: a tiny, seedable, portable generator.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Shuffle in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn invalid(field: &str, msg: impl Into<String>) -> Error {
    Error::field(ErrorCode::InvalidValue, field, msg)
}

fn validate(classes: &[Option<Niche>], train: &[Example], cfg: &TrainConfig) -> Result<()> {
    if !(2..=16).contains(&classes.len()) {
        return Err(invalid("classes", "need 2 to 16 classes"));
    }
    for (i, c) in classes.iter().enumerate() {
        if classes[..i].contains(c) || *c == Some(Niche::Unknown) {
            return Err(invalid("classes", format!("bad or duplicate class {c:?}")));
        }
    }
    if train.is_empty() {
        return Err(Error::field(ErrorCode::EmptyInput, "train", "no examples"));
    }
    for (i, e) in train.iter().enumerate() {
        if e.class >= classes.len() || !(e.weight.is_finite() && e.weight >= 0.0) {
            return Err(invalid(
                &format!("train[{i}]"),
                "class out of range or bad weight",
            ));
        }
    }
    let h = &cfg.hashing;
    if h.buckets == 0 || h.char_max < h.char_min || h.char_max > 16 {
        return Err(invalid(
            "hashing",
            "buckets must be > 0 and char_min <= char_max <= 16",
        ));
    }
    if !(cfg.learning_rate > 0.0 && cfg.l2 >= 0.0 && cfg.epochs > 0) {
        return Err(invalid(
            "config",
            "learning_rate > 0, l2 >= 0, epochs > 0 required",
        ));
    }
    Ok(())
}

/// Balanced class weights times per-example weights, normalized to mean 1.
fn example_weights(train: &[Example], k: usize) -> Vec<f32> {
    let mut per_class = vec![0f64; k];
    for e in train {
        per_class[e.class] += f64::from(e.weight);
    }
    let present = per_class.iter().filter(|&&w| w > 0.0).count().max(1) as f64;
    let total: f64 = per_class.iter().sum();
    let w: Vec<f64> = train
        .iter()
        .map(|e| f64::from(e.weight) * total / (present * per_class[e.class].max(1e-12)))
        .collect();
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    w.iter().map(|x| (x / mean.max(1e-12)) as f32).collect()
}

/// Train float parameters (no calibration: `T = 1`).
pub fn fit(classes: &[Option<Niche>], train: &[Example], cfg: &TrainConfig) -> Result<FloatParams> {
    validate(classes, train, cfg)?;
    let k = classes.len();
    let d = cfg.hashing.buckets as usize;
    let data: Vec<Encoded> = train
        .iter()
        .map(|e| encode(&cfg.hashing, &e.text))
        .collect();
    let weights = example_weights(train, k);
    let niche_of: Vec<Option<usize>> = classes.iter().map(|c| c.and_then(Niche::index)).collect();

    let mut v = Array2::<f32>::zeros((k, d));
    let mut a = 1f32;
    let mut bias = vec![0f32; k];
    let mut beta = 0f32;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut rng = SplitMix64::new(cfg.seed);
    let mut t = 0f32;
    let mut z = vec![0f32; k];
    for _ in 0..cfg.epochs {
        rng.shuffle(&mut order);
        for &i in &order {
            let (e, w) = (&data[i], weights[i]);
            if w == 0.0 {
                continue;
            }
            for c in 0..k {
                let row = v.row(c);
                let dot: f32 = e.x.iter().map(|&(j, x)| row[j as usize] * x).sum();
                let prior = niche_of[c].map_or(0.0, |n| beta * e.kw[n]);
                z[c] = a * dot + bias[c] + prior;
            }
            softmax_in_place(&mut z, 1.0);
            z[train[i].class] -= 1.0; // z now holds p - y
            t += 1.0;
            let eta = cfg.learning_rate / (1.0 + cfg.learning_rate * cfg.l2 * t);
            a *= 1.0 - eta * cfg.l2;
            if a < 1e-4 {
                v.mapv_inplace(|x| x * a);
                a = 1.0;
            }
            let mut g_beta = 0f32;
            for c in 0..k {
                let g = w * z[c];
                let step = eta * g / a;
                let mut row = v.row_mut(c);
                for &(j, x) in &e.x {
                    row[j as usize] -= step * x;
                }
                bias[c] -= eta * g;
                if let Some(n) = niche_of[c] {
                    g_beta += g * e.kw[n];
                }
            }
            if cfg.keyword_prior {
                beta -= eta * g_beta;
            }
        }
    }
    v.mapv_inplace(|x| x * a);
    Ok(FloatParams {
        hashing: cfg.hashing,
        classes: classes.to_vec(),
        weights: v.iter().copied().collect(),
        bias,
        kw_weight: beta,
        temperature: 1.0,
        threshold: cfg.threshold,
    })
}

/// Mean negative log-likelihood of `softmax(z / t)`.
fn nll(logits: &[(Vec<f32>, usize)], t: f64) -> f64 {
    let mut sum = 0f64;
    for (z, y) in logits {
        let max = z
            .iter()
            .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let lse: f64 = z
            .iter()
            .map(|&v| ((f64::from(v) - max) / t).exp())
            .sum::<f64>()
            .ln();
        sum += lse - (f64::from(z[*y]) - max) / t;
    }
    sum / logits.len().max(1) as f64
}

/// The temperature minimizing the NLL of `(logits, class)` pairs; 1 when there are none.
pub fn fit_temperature(logits: &[(Vec<f32>, usize)]) -> f64 {
    if logits.is_empty() {
        return 1.0;
    }
    let (mut lo, mut hi) = (-3f64, 3f64); // ln T
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut fc, mut fd) = (nll(logits, c.exp()), nll(logits, d.exp()));
    for _ in 0..80 {
        if fc < fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - g * (hi - lo);
            fc = nll(logits, c.exp());
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + g * (hi - lo);
            fd = nll(logits, d.exp());
        }
    }
    ((lo + hi) / 2.0).exp()
}

/// Train, quantize and calibrate: the model that ships. `calib` may be empty (then `T = 1`).
pub fn train(
    classes: &[Option<Niche>],
    train: &[Example],
    calib: &[Example],
    cfg: &TrainConfig,
) -> Result<NicheModel> {
    let model = NicheModel::quantize(&fit(classes, train, cfg)?)?;
    let logits: Vec<(Vec<f32>, usize)> = calib
        .iter()
        .filter(|e| e.class < classes.len())
        .map(|e| (model.logits(&model.encode(&e.text)), e.class))
        .collect();
    model.with_temperature(fit_temperature(&logits))
}
