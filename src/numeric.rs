//! Small numeric primitives shared by the normalizer, the feature builder and pattern extraction.

/// Clamped min-max normalization with inclusive edges: `v <= lo -> 0`, `v >= hi -> 1`.
#[inline]
pub(crate) fn clamp_unit(v: f64, lo: f64, hi: f64) -> f64 {
    if v <= lo {
        0.0
    } else if v >= hi {
        1.0
    } else {
        (v - lo) / (hi - lo)
    }
}

/// Sum in NumPy's `add.reduce` order (pairwise with 8 accumulators, blocks of 128), so that
/// `Seed` mode reproduces `np.mean` bit for bit (fixtures README, "How the values were made").
pub(crate) fn pairwise_sum(a: &[f64]) -> f64 {
    const BLOCK: usize = 128;
    let n = a.len();
    if n < 8 {
        let mut res = 0.0;
        for &x in a {
            res += x;
        }
        res
    } else if n <= BLOCK {
        let mut r = [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]];
        let tail = n - n % 8;
        let mut i = 8;
        while i < tail {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[tail..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.mean`: pairwise sum divided by n; 0 for an empty slice (the original's "no winners" 0).
pub(crate) fn np_mean(a: &[f64]) -> f64 {
    if a.is_empty() {
        0.0
    } else {
        pairwise_sum(a) / a.len() as f64
    }
}

/// `np.var` (population variance, ddof = 0) in NumPy's evaluation order.
pub(crate) fn np_var(a: &[f64]) -> f64 {
    let mean = np_mean(a);
    let mut sq = [0.0f64; 8];
    if a.len() <= sq.len() {
        for (s, &x) in sq.iter_mut().zip(a) {
            let d = x - mean;
            *s = d * d;
        }
        np_mean(&sq[..a.len()])
    } else {
        let v: Vec<f64> = a.iter().map(|&x| (x - mean) * (x - mean)).collect();
        np_mean(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_edges_are_inclusive() {
        assert_eq!(clamp_unit(1.0, 1.0, 3.0), 0.0);
        assert_eq!(clamp_unit(3.0, 1.0, 3.0), 1.0);
        assert_eq!(clamp_unit(2.0, 1.0, 3.0), 0.5);
        assert_eq!(clamp_unit(-5.0, 1.0, 3.0), 0.0);
    }

    #[test]
    fn pairwise_matches_sequential_for_small_and_exact_values() {
        let v: Vec<f64> = (0..300).map(|i| i as f64).collect();
        assert_eq!(pairwise_sum(&v), (0..300).sum::<i32>() as f64);
        assert_eq!(pairwise_sum(&v[..5]), 10.0);
        assert_eq!(np_mean(&[]), 0.0);
        assert_eq!(np_var(&[1.0, 3.0]), 1.0);
    }
}
