//! Niche detection with the hashed-feature classifier: one text, a batch, or a whole account.
//!
//! For a text with hashed features `x` (see [`super::hashing`]) and corrected keyword counts
//! `c_n` (see [`super::keyword`]), class `k` gets the logit
//!
//! ```text
//! z_k = b_k + s_k Σ_j q_kj x_j + β · ln(1 + c_{n(k)})      (no keyword term for `other`)
//! p   = softmax(z / T)
//! ```
//!
//! The keyword term is a prior with one shared, learned strength `β`, so it also helps niches with
//! little training text. `T` is the temperature fitted on held-out data (calibration). The decision:
//! let `n*` be the real niche with the highest `p`; the answer is `n*` when `p(n*) >= τ` and
//! `p(n*) >= p(other)`, otherwise `unknown`. `confidence` is always `p(n*)`; `alternatives` are
//! the next three niches by probability (the top three when the answer is `unknown`).
//!
//! An account's niche ([`account_niche`]) is its declared niche when it has one; otherwise the
//! per-text probability vectors are pooled ([`pool_account`]): their mean `m`, sharpened with an
//! exponent that grows with the number of texts `n`,
//!
//! ```text
//! p_c ∝ m_c ^ (1 + γ · ln n)          (γ = ACCOUNT_SHARPENING; n = 1 leaves p unchanged)
//! ```
//!
//! and decided by the same rule. Agreeing ads make the answer more certain; the mean alone stays
//! as unsure as one ad and was badly under-confident. `γ` is fitted by the evaluation
//! (`eval-niche`, account table) on the grouped cross-validation.
//!
//! [`account_niche_with_declared`] combines a declared niche `d` with the ads instead of letting
//! it win outright: the declaration is evidence that is right with probability `trust`
//! ([`DECLARED_TRUST`] by default) and otherwise names any of the other classes alike, so
//!
//! ```text
//! q_c ∝ p_c · (trust if c = d, else (1 − trust) / (K − 1))      (K = the model's classes)
//! ```
//!
//! with `p` the pooled probabilities of the ads above (Bayes' rule with the declaration as an
//! observation; the model's classes are trained class-balanced, so `p` carries no class prior).
//! With no ad text the answer is `d` with confidence `trust`; ads overturn a declaration only
//! when they are strongly against it (odds beyond `trust (K − 1) / (1 − trust)`, 135 : 1 at the
//! default with 16 classes).

use super::hashing::{HashingConfig, SparseVec};
use super::keyword::keyword_counts;
use super::model::NicheModel;
use super::text::Tokens;
use super::Niche;
use serde::{Deserialize, Serialize};

/// A niche and its calibrated probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct NicheScore {
    /// The niche.
    pub niche: Niche,
    /// Its calibrated probability.
    pub probability: f64,
}

/// The result of detecting one text's niche.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct NicheDetection {
    /// The detected niche; `unknown` below the model's threshold or for text with no words.
    pub niche: Niche,
    /// Calibrated probability of the most likely real niche (0 for text with no words).
    pub confidence: f64,
    /// Up to three next most likely niches, most likely first.
    pub alternatives: Vec<NicheScore>,
}

/// An account's niche: declared, or detected over its ad texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct AccountNiche {
    /// The account's niche.
    pub niche: Niche,
    /// 1 for a declared niche, else the calibrated probability (see [`NicheDetection`]).
    pub confidence: f64,
    /// True when the niche was declared rather than detected.
    pub declared: bool,
    /// How many texts had words and were used.
    pub texts_used: u32,
    /// Up to three next most likely niches (empty when declared).
    pub alternatives: Vec<NicheScore>,
}

/// Sharpening `γ` of the account pooling (see the module docs), fitted by `eval-niche` on the
/// cross-validation predictions of the labelled corpus (advertisers with at least 3 ads).
pub const ACCOUNT_SHARPENING: f32 = 0.29;

/// The default probability that an account's declared niche is right, used by
/// [`account_niche_with_declared`]. An assumption, not a measurement: the labelled corpus has no
/// declared niches to measure it on (docs/niche.md, "Account level").
pub const DECLARED_TRUST: f32 = 0.9;

/// Pool per-text probability vectors (each summing to 1) into one: mean, then sharpened with
/// exponent `1 + gamma · ln n` and renormalized. Empty input gives an empty vector.
pub fn pool_account(probs: &[Vec<f32>], gamma: f32) -> Vec<f32> {
    let Some(first) = probs.first() else {
        return Vec::new();
    };
    let n = probs.len() as f32;
    let mut mean = vec![0f32; first.len()];
    for p in probs {
        for (m, v) in mean.iter_mut().zip(p) {
            *m += v / n;
        }
    }
    let e = 1.0 + gamma.max(0.0) * n.ln();
    let max = mean.iter().fold(0f32, |a, &b| a.max(b));
    if max <= 0.0 {
        return mean;
    }
    for m in mean.iter_mut() {
        *m = (*m / max).powf(e);
    }
    let sum: f32 = mean.iter().sum();
    for m in mean.iter_mut() {
        *m /= sum;
    }
    mean
}

/// The keyword-prior feature for `c` distinct keyword matches.
pub(crate) fn kw_prior(c: f32) -> f32 {
    c.ln_1p()
}

/// Numerically stable softmax of `z / t`, in place.
///
/// Logits that overflowed `f32` (a loadable model with extreme but finite parameters can produce
/// ±Inf, or NaN from `Inf - Inf`) are first clamped to the finite range (NaN to the lowest), so
/// the output is always a distribution: finite, on 0..1, summing to 1 (found by fuzzing,
/// `tests/fuzz_regressions.rs`).
pub(crate) fn softmax_in_place(z: &mut [f32], t: f32) {
    for v in z.iter_mut() {
        *v = if v.is_nan() {
            f32::MIN
        } else {
            v.clamp(f32::MIN, f32::MAX)
        };
    }
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = ((*v - max) / t).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}

/// A text's model inputs: hashed features and keyword-prior values per niche.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Hashed features.
    pub x: SparseVec,
    /// `ln(1 + c_n)` per niche, in `Niche::ALL` order.
    pub kw: [f32; 15],
    /// False when the text has no token.
    pub has_words: bool,
}

/// Encode a text into model inputs with the given hashing configuration.
pub fn encode(hashing: &HashingConfig, text: &str) -> Encoded {
    let tokens = Tokens::new(text);
    let counts = keyword_counts(&tokens);
    Encoded {
        x: hashing.features(&tokens),
        kw: counts.map(kw_prior),
        has_words: !tokens.is_empty(),
    }
}

impl NicheModel {
    /// Encode a text into this model's inputs.
    pub fn encode(&self, text: &str) -> Encoded {
        encode(&self.hashing, text)
    }

    /// Calibrated class probabilities (model class order) of an encoded text.
    pub fn class_probabilities(&self, e: &Encoded) -> Vec<f32> {
        let mut z = self.logits(e);
        softmax_in_place(&mut z, self.temperature);
        z
    }

    /// Raw logits `z` (before temperature) of an encoded text, in model class order.
    pub fn logits(&self, e: &Encoded) -> Vec<f32> {
        let d = self.hashing.buckets as usize;
        let mut z: Vec<f32> = Vec::with_capacity(self.classes.len());
        for (k, class) in self.classes.iter().enumerate() {
            let row = &self.weights[k * d..(k + 1) * d];
            let dot: f32 =
                e.x.iter()
                    .map(|&(j, v)| f32::from(row[j as usize]) * v)
                    .sum();
            let prior = class
                .and_then(Niche::index)
                .map_or(0.0, |n| self.kw_weight * e.kw[n]);
            z.push(self.bias[k] + self.scales[k] * dot + prior);
        }
        z
    }

    /// Probabilities of the 15 niches (in `Niche::ALL` order) for one text. With an `other`
    /// class the 15 values sum to less than 1; text with no words gives all zeros.
    pub fn niche_probabilities(&self, text: &str) -> [f64; 15] {
        let e = self.encode(text);
        let mut out = [0.0; 15];
        if e.has_words {
            self.scatter(&self.class_probabilities(&e), &mut out);
        }
        out
    }

    /// [`Self::niche_probabilities`] for many texts, as one row-major `n x 15` buffer (one
    /// typed-array crossing for JS callers).
    pub fn niche_probabilities_batch<S: AsRef<str>>(&self, texts: &[S]) -> Vec<f64> {
        texts
            .iter()
            .flat_map(|t| self.niche_probabilities(t.as_ref()))
            .collect()
    }

    fn scatter(&self, probs: &[f32], out: &mut [f64; 15]) {
        for (class, &p) in self.classes.iter().zip(probs) {
            if let Some(i) = class.and_then(Niche::index) {
                out[i] = f64::from(p);
            }
        }
    }

    fn other_probability(&self, probs: &[f32]) -> f64 {
        self.classes
            .iter()
            .zip(probs)
            .filter(|(c, _)| c.is_none())
            .map(|(_, &p)| f64::from(p))
            .sum()
    }

    /// Apply the decision rule to class probabilities.
    pub(crate) fn decide(&self, probs: &[f32]) -> NicheDetection {
        let mut per_niche = [0.0; 15];
        self.scatter(probs, &mut per_niche);
        let mut ranked: Vec<NicheScore> = Niche::ALL
            .iter()
            .zip(per_niche)
            .map(|(&niche, probability)| NicheScore { niche, probability })
            .collect();
        // Stable sort: ties keep enum order.
        ranked.sort_by(|a, b| b.probability.total_cmp(&a.probability));
        let top = ranked[0];
        let known =
            top.probability >= self.threshold() && top.probability >= self.other_probability(probs);
        let (niche, skip) = if known {
            (top.niche, 1)
        } else {
            (Niche::Unknown, 0)
        };
        NicheDetection {
            niche,
            confidence: top.probability,
            alternatives: ranked.into_iter().skip(skip).take(3).collect(),
        }
    }

    /// Detect the niche of one ad text (headline, body, or both joined).
    pub fn detect(&self, text: &str) -> NicheDetection {
        let e = self.encode(text);
        if !e.has_words {
            return NicheDetection {
                niche: Niche::Unknown,
                confidence: 0.0,
                alternatives: Vec::new(),
            };
        }
        self.decide(&self.class_probabilities(&e))
    }

    /// Detect the niche of each text.
    pub fn detect_batch<S: AsRef<str>>(&self, texts: &[S]) -> Vec<NicheDetection> {
        texts.iter().map(|t| self.detect(t.as_ref())).collect()
    }
}

/// An account's niche: `declared` when given (and not `unknown`), else detected over `texts`.
pub fn account_niche<S: AsRef<str>>(
    model: &NicheModel,
    declared: Option<Niche>,
    texts: &[S],
) -> AccountNiche {
    if let Some(niche) = declared.filter(|n| *n != Niche::Unknown) {
        return AccountNiche {
            niche,
            confidence: 1.0,
            declared: true,
            texts_used: 0,
            alternatives: Vec::new(),
        };
    }
    let Some((pooled, used)) = pooled_texts(model, texts) else {
        return AccountNiche {
            niche: Niche::Unknown,
            confidence: 0.0,
            declared: false,
            texts_used: 0,
            alternatives: Vec::new(),
        };
    };
    let d = model.decide(&pooled);
    AccountNiche {
        niche: d.niche,
        confidence: d.confidence,
        declared: false,
        texts_used: used,
        alternatives: d.alternatives,
    }
}

/// The pooled class probabilities (model class order) of an account's texts, and how many texts
/// had words; `None` when none had.
fn pooled_texts<S: AsRef<str>>(model: &NicheModel, texts: &[S]) -> Option<(Vec<f32>, u32)> {
    let mut probs = Vec::new();
    for t in texts {
        let e = model.encode(t.as_ref());
        if e.has_words {
            probs.push(model.class_probabilities(&e));
        }
    }
    if probs.is_empty() {
        return None;
    }
    Some((pool_account(&probs, ACCOUNT_SHARPENING), probs.len() as u32))
}

/// Combine pooled class probabilities `p` (model class order) with a declared niche trusted with
/// probability `trust` (see the module docs). `trust` is clamped to `[1/K, 1 − 1e-6]`, so a
/// declaration never counts against its own niche and never makes the ads irrelevant.
pub fn combine_declared(
    classes: &[Option<Niche>],
    p: &[f32],
    declared: Niche,
    trust: f32,
) -> Vec<f32> {
    let k = classes.len().max(2) as f32;
    let trust = if trust.is_nan() { 1.0 / k } else { trust }.clamp(1.0 / k, 1.0 - 1e-6);
    let other = (1.0 - trust) / (k - 1.0);
    let mut q: Vec<f32> = classes
        .iter()
        .zip(p)
        .map(|(c, &v)| v * if *c == Some(declared) { trust } else { other })
        .collect();
    let sum: f32 = q.iter().sum();
    if sum > 0.0 && sum.is_finite() {
        for v in q.iter_mut() {
            *v /= sum;
        }
    }
    q
}

/// An account's niche from its declared niche **and** its ad texts (see the module docs):
/// `declared` (when given and not `unknown`) is combined with the ads' pooled probabilities as
/// evidence that is right with probability `trust` ([`DECLARED_TRUST`] by default). With no
/// declared niche this is [`account_niche`]; with no text with words the answer is the declared
/// niche with confidence `trust`. `declared` in the result is true when the declared niche is the
/// answer.
pub fn account_niche_with_declared<S: AsRef<str>>(
    model: &NicheModel,
    declared: Option<Niche>,
    trust: f32,
    texts: &[S],
) -> AccountNiche {
    let Some(d) = declared.filter(|n| *n != Niche::Unknown) else {
        return account_niche(model, None, texts);
    };
    let trust = trust.clamp(0.0, 1.0);
    let Some((pooled, used)) = pooled_texts(model, texts) else {
        return AccountNiche {
            niche: d,
            confidence: if trust.is_nan() {
                0.0
            } else {
                f64::from(trust)
            },
            declared: true,
            texts_used: 0,
            alternatives: Vec::new(),
        };
    };
    let q = combine_declared(model.classes(), &pooled, d, trust);
    let r = model.decide(&q);
    AccountNiche {
        declared: r.niche == d,
        niche: r.niche,
        confidence: r.confidence,
        texts_used: used,
        alternatives: r.alternatives,
    }
}
