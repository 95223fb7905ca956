//! Classification metrics for the niche evaluation.
//!
//! Labels are [`Niche`] values, `unknown` included (a gold `unknown` means "no niche of ours").
//! For each label `c`: precision `P_c = TP_c / (TP_c + FP_c)`, recall `R_c = TP_c / (TP_c + FN_c)`,
//! `F1_c = 2 P_c R_c / (P_c + R_c)` (0 when undefined). Accuracy is `Σ TP_c / N`; macro-F1 is the
//! unweighted mean of `F1_c` over the labels that occur in the gold labels **or** the
//! predictions (so predicting a label that never occurs is penalized), as scikit-learn does.
//!
//! Expected calibration error over `B` equal-width confidence bins:
//! `ECE = Σ_b (n_b / N) · |acc_b − conf_b|`, with `conf` the predicted top probability and `acc`
//! whether the top real niche equals the gold label.

use super::Niche;

/// Index of a niche among the 16 labels (15 niches, then unknown).
fn label_index(n: Niche) -> usize {
    n.index().unwrap_or(15)
}

/// The 16 labels in report order.
pub fn labels() -> [Niche; 16] {
    let mut out = [Niche::Unknown; 16];
    out[..15].copy_from_slice(&Niche::ALL);
    out
}

/// Per-label counts and the derived scores.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LabelScore {
    /// Gold examples with this label.
    pub support: usize,
    /// Predictions with this label.
    pub predicted: usize,
    /// Correct predictions with this label.
    pub true_positives: usize,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// A full report for one method on one evaluation set.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Number of examples.
    pub n: usize,
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1 over labels present in gold or predictions.
    pub macro_f1: f64,
    /// Per label, in [`labels`] order.
    pub per_label: [LabelScore; 16],
}

/// Score predictions against gold labels (same length; extra items are ignored).
pub fn report(gold: &[Niche], pred: &[Niche]) -> Report {
    let mut per = [LabelScore::default(); 16];
    let n = gold.len().min(pred.len());
    for (&g, &p) in gold.iter().zip(pred) {
        per[label_index(g)].support += 1;
        per[label_index(p)].predicted += 1;
        if g == p {
            per[label_index(g)].true_positives += 1;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut f1_sum = 0.0;
    let mut used = 0usize;
    let mut correct = 0usize;
    for s in per.iter_mut() {
        s.precision = ratio(s.true_positives, s.predicted);
        s.recall = ratio(s.true_positives, s.support);
        let pr = s.precision + s.recall;
        s.f1 = if pr > 0.0 {
            2.0 * s.precision * s.recall / pr
        } else {
            0.0
        };
        correct += s.true_positives;
        if s.support > 0 || s.predicted > 0 {
            f1_sum += s.f1;
            used += 1;
        }
    }
    Report {
        n,
        accuracy: ratio(correct, n),
        macro_f1: if used == 0 { 0.0 } else { f1_sum / used as f64 },
        per_label: per,
    }
}

/// Expected calibration error of `(confidence, correct)` pairs over `bins` equal-width bins.
pub fn ece(pairs: &[(f64, bool)], bins: usize) -> f64 {
    let bins = bins.max(1);
    let mut count = vec![0usize; bins];
    let mut conf = vec![0f64; bins];
    let mut acc = vec![0f64; bins];
    for &(c, ok) in pairs {
        let b = ((c.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        count[b] += 1;
        conf[b] += c;
        acc[b] += if ok { 1.0 } else { 0.0 };
    }
    let n = pairs.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| {
            let m = count[b] as f64;
            (m / n) * (acc[b] / m - conf[b] / m).abs()
        })
        .sum()
}
