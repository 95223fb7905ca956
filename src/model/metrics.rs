//! Evaluation metrics for CTR predictions on impression-level (binomial) data.
//!
//! Each row is `(p, clicks, impressions)`: a predicted click probability for a creative and what it
//! got. Treating every impression as a Bernoulli trial:
//!
//! - **weighted log loss** `LL = −Σ [c·ln p + (n − c)·ln(1 − p)] / Σ n` (per impression);
//! - **normalized entropy** (He et al. 2014) `NE = LL / H(p̄)` with `p̄ = Σc / Σn` and
//!   `H(q) = −q ln q − (1 − q) ln(1 − q)`: below 1 means better than always predicting the
//!   background CTR;
//! - **AUC**: the probability that a random click's score exceeds a random non-click's (ties count
//!   one half), computed exactly over the impression-weighted data by sorting rows by score;
//! - **calibration** `Σ(n·p) / Σc`: expected over observed clicks (1 is perfect).
//!
//! Probabilities are clipped to `[1e-7, 1 − 1e-7]` inside the log loss only.

use serde::{Deserialize, Serialize};

const EPS: f64 = 1e-7;

/// Evaluation summary of predictions against binomial outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Evaluation {
    /// Rows evaluated.
    pub rows: u64,
    /// Σ impressions.
    pub impressions: f64,
    /// Σ clicks.
    pub clicks: f64,
    /// Weighted log loss per impression.
    pub log_loss: f64,
    /// Log loss / entropy of the background CTR.
    pub normalized_entropy: f64,
    /// Area under the ROC curve over impressions.
    pub auc: f64,
    /// Expected / observed clicks.
    pub calibration: f64,
}

fn entropy(q: f64) -> f64 {
    if q <= 0.0 || q >= 1.0 {
        0.0
    } else {
        -(q * q.ln() + (1.0 - q) * (1.0 - q).ln())
    }
}

/// Weighted log loss per impression (0 for no impressions).
pub fn log_loss(p: &[f64], clicks: &[f64], impressions: &[f64]) -> f64 {
    let (mut loss, mut n) = (0.0, 0.0);
    for ((&p, &c), &m) in p.iter().zip(clicks).zip(impressions) {
        let p = p.clamp(EPS, 1.0 - EPS);
        loss -= c * p.ln() + (m - c) * (1.0 - p).ln();
        n += m;
    }
    if n > 0.0 {
        loss / n
    } else {
        0.0
    }
}

/// Impression-level AUC. `None` when there are no clicks or no non-clicks.
pub fn auc(p: &[f64], clicks: &[f64], impressions: &[f64]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (total_pos, total_neg) = idx.iter().fold((0.0, 0.0), |(tp, tn), &i| {
        (tp + clicks[i], tn + (impressions[i] - clicks[i]))
    });
    if total_pos <= 0.0 || total_neg <= 0.0 {
        return None;
    }
    // Walk groups of equal score upwards; each positive beats the negatives below its group and
    // ties half of those inside it.
    let (mut neg_below, mut wins) = (0.0, 0.0);
    let mut k = 0;
    while k < idx.len() {
        let s = p[idx[k]];
        let (mut gp, mut gn) = (0.0, 0.0);
        while k < idx.len() && p[idx[k]] == s {
            gp += clicks[idx[k]];
            gn += impressions[idx[k]] - clicks[idx[k]];
            k += 1;
        }
        wins += gp * (neg_below + 0.5 * gn);
        neg_below += gn;
    }
    Some(wins / (total_pos * total_neg))
}

/// All metrics at once. AUC is 0.5 when undefined (all clicks or none).
pub fn evaluate(p: &[f64], clicks: &[f64], impressions: &[f64]) -> Evaluation {
    let c: f64 = clicks.iter().sum();
    let n: f64 = impressions.iter().sum();
    let expected: f64 = p.iter().zip(impressions).map(|(p, m)| p * m).sum();
    let ll = log_loss(p, clicks, impressions);
    let h = if n > 0.0 { entropy(c / n) } else { 0.0 };
    Evaluation {
        rows: p.len() as u64,
        impressions: n,
        clicks: c,
        log_loss: ll,
        normalized_entropy: if h > 0.0 { ll / h } else { f64::NAN },
        auc: auc(p, clicks, impressions).unwrap_or(0.5),
        calibration: if c > 0.0 { expected / c } else { f64::NAN },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_rate_has_ne_one_and_calibration_one() {
        let clicks = [10.0, 30.0];
        let imps = [1000.0, 1000.0];
        let p = [0.02, 0.02];
        let e = evaluate(&p, &clicks, &imps);
        assert!((e.normalized_entropy - 1.0).abs() < 1e-12);
        assert!((e.calibration - 1.0).abs() < 1e-12);
        assert_eq!(e.auc, 0.5);
    }

    #[test]
    fn auc_hand_computed() {
        // Row A: score 0.1, 1 click / 3 imps; row B: score 0.2, 2 clicks / 3 imps.
        // Positives: A1, B2; negatives: A2, B1. Pairs: B-pos vs A-neg 2*2=4 wins,
        // B-pos vs B-neg 2*1 ties=1, A-pos vs A-neg 1*2 ties=1, A-pos vs B-neg 0.
        // AUC = (4 + 1 + 1) / (3 * 3) = 6/9.
        let a = auc(&[0.1, 0.2], &[1.0, 2.0], &[3.0, 3.0]).unwrap();
        assert!((a - 6.0 / 9.0).abs() < 1e-12);
        assert_eq!(auc(&[0.1], &[0.0], &[5.0]), None);
    }

    #[test]
    fn better_predictions_have_lower_log_loss() {
        let clicks = [5.0, 50.0];
        let imps = [1000.0, 1000.0];
        let good = log_loss(&[0.005, 0.05], &clicks, &imps);
        let flat = log_loss(&[0.0275, 0.0275], &clicks, &imps);
        assert!(good < flat);
    }
}
