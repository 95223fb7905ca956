//! Measuring the over-dispersion of CTR in real exports: the numbers simulator v2's prior is
//! derived from (`docs/network-effect.md`, "Simulator v2").
//!
//! [`measure_dispersion`] summarises one export's records (imported with [`crate::import`]):
//!
//! - **Units** are creatives: rows with the same copy (headline + body) in the same stratum are one
//!   creative (the exports are daily rows); rows without copy are their own unit. **Strata** are
//!   the account, plus the campaign for rows without copy (the Kaggle export has no copy but three
//!   real campaigns of one advertiser). When any record of the export has copy, records without
//!   copy are dropped (their campaign ids are scrambled in the Meta and TikTok exports). Units
//!   with fewer than `min_impressions` are dropped.
//! - Per unit the empirical log-odds `y = ln((c+½)/(n−c+½))` and its binomial variance
//!   `v = 1/(c+½) + 1/(n−c+½)`.
//! - `tau`: the between-creative standard deviation of the log-odds **beyond binomial noise**, by
//!   the method of moments within strata (unweighted, so a few huge creatives do not decide it):
//!   `τ² = max(0, Σ (y − ȳ_s)² / df − mean v)`, `ȳ_s` the stratum's plain mean, `df = Σ (k_s − 1)`;
//!   `tau_dl`: the same, inverse-variance weighted (DerSimonian-Laird: `τ² = max(0, (Q − df)/C)`,
//!   `Q = Σ w (y − ȳ_w)²`, `w = 1/v`, `C = Σ_s (Σw − Σw²/Σw)`), which the largest creatives decide.
//! - `pearson_dispersion`: `Σ (c − n p̂_s)² / (n p̂_s (1 − p̂_s)) / df` (1 = binomial).
//! - `excess_kurtosis` of the standardised deviations `z = (y − ȳ_s)/√(v + τ²)` and
//!   `tail_share`: the share of units with `|z| > 3` (0.27 % for a normal): the heavy tail.
//! - `robust_tau`: `√max(0, (1.4826 · MAD)² − median v)`, the MAD taken around each stratum's
//!   median: the spread of the bulk;
//!   `tau / robust_tau` is 1 for normal creative effects, about 1.29 for a Student t(4) and 1.53
//!   for a t(3) (a heavier tail inflates the sd, not the MAD).
//! - `hook_tau`, `cta_tau`: the between-value standard deviation of the hook-type (CTA-style) means
//!   of the deviations `y − ȳ_s` (values read from the copy by the importer, `unknown` excluded,
//!   values with at least 3 units), DerSimonian-Laird again with each value mean's variance
//!   `1/Σ 1/(v + τ²)`. An attribute's spread, not causal: copy and advertiser are entangled.

use crate::record::{CreativeRecord, CtaStyle, HookType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Over-dispersion figures of one export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispersion {
    /// Creatives (units) measured.
    pub units: u64,
    /// Strata.
    pub strata: u64,
    /// Pearson dispersion of clicks (1 = binomial).
    pub pearson_dispersion: f64,
    /// Between-creative sd of the log-odds beyond binomial noise.
    pub tau: f64,
    /// Between-creative sd, inverse-variance weighted (DerSimonian-Laird).
    pub tau_dl: f64,
    /// Between-creative sd of the bulk (from the median absolute deviation).
    pub robust_tau: f64,
    /// Excess kurtosis of the standardised deviations (0 for a normal).
    pub excess_kurtosis: f64,
    /// Share of units more than 3 sd from their stratum mean.
    pub tail_share: f64,
    /// Between-hook-type sd of the mean deviations.
    pub hook_tau: f64,
    /// Hook types measured.
    pub hook_values: u32,
    /// Between-CTA-style sd of the mean deviations.
    pub cta_tau: f64,
    /// CTA styles measured.
    pub cta_values: u32,
}

struct Unit {
    n: f64,
    c: f64,
    hook: HookType,
    cta: CtaStyle,
}

fn logit_var(u: &Unit) -> (f64, f64) {
    let (a, b) = (u.c + 0.5, u.n - u.c + 0.5);
    (libm::log(a / b), 1.0 / a + 1.0 / b)
}

/// DerSimonian-Laird between-group variance of estimates `(y, v)` grouped in strata.
fn dl_tau2(strata: &[Vec<(f64, f64)>]) -> f64 {
    let (mut q, mut df, mut c) = (0.0, 0.0, 0.0);
    for s in strata.iter().filter(|s| s.len() >= 2) {
        let sw: f64 = s.iter().map(|(_, v)| 1.0 / v).sum();
        let sw2: f64 = s.iter().map(|(_, v)| 1.0 / (v * v)).sum();
        let mean = s.iter().map(|(y, v)| y / v).sum::<f64>() / sw;
        q += s.iter().map(|(y, v)| (y - mean).powi(2) / v).sum::<f64>();
        df += (s.len() - 1) as f64;
        c += sw - sw2 / sw;
    }
    if c > 0.0 {
        ((q - df) / c).max(0.0)
    } else {
        0.0
    }
}

/// Between-value sd of the mean deviations of `values` (see the module docs).
fn value_tau<K: Ord + Copy>(devs: &[(K, f64, f64)]) -> (f64, u32) {
    let mut by: BTreeMap<K, (f64, f64, u32)> = BTreeMap::new();
    for (k, d, var) in devs {
        let e = by.entry(*k).or_default();
        e.0 += d / var;
        e.1 += 1.0 / var;
        e.2 += 1;
    }
    let est: Vec<(f64, f64)> = by
        .values()
        .filter(|(_, _, n)| *n >= 3)
        .map(|(s, w, _)| (s / w, 1.0 / w))
        .collect();
    let n = est.len() as u32;
    (libm::sqrt(dl_tau2(&[est])), n)
}

/// Measure one export (see the module docs).
pub fn measure_dispersion(records: &[CreativeRecord], min_impressions: u64) -> Dispersion {
    // stratum -> unit key -> unit
    let mut strata: BTreeMap<String, BTreeMap<String, Unit>> = BTreeMap::new();
    let copy_of = |r: &CreativeRecord| format!("{}\n{}", r.headline.trim(), r.body.trim());
    let any_copy = records.iter().any(|r| copy_of(r).trim().len() > 1);
    for r in records.iter().filter(|r| r.impressions > 0) {
        let copy = copy_of(r);
        let has_copy = copy.trim().len() > 1;
        if any_copy && !has_copy {
            continue;
        }
        let stratum = if has_copy {
            r.account_id.clone()
        } else {
            format!(
                "{}/{}",
                r.account_id,
                r.campaign_id.as_deref().unwrap_or("")
            )
        };
        let key = if has_copy { copy } else { r.record_id.clone() };
        let u = strata
            .entry(stratum)
            .or_default()
            .entry(key)
            .or_insert(Unit {
                n: 0.0,
                c: 0.0,
                hook: r.hook_type,
                cta: r.cta_style,
            });
        u.n += r.impressions as f64;
        u.c += r.clicks.min(r.impressions) as f64;
    }
    let kept: Vec<Vec<&Unit>> = strata
        .values()
        .map(|s| {
            s.values()
                .filter(|u| u.n >= min_impressions as f64)
                .collect::<Vec<_>>()
        })
        .filter(|s| s.len() >= 2)
        .collect();
    let est: Vec<Vec<(f64, f64)>> = kept
        .iter()
        .map(|s| s.iter().map(|u| logit_var(u)).collect())
        .collect();
    let (mut ss, mut dfm, mut vsum, mut nv) = (0.0, 0.0, 0.0, 0.0);
    for e in &est {
        let m = e.iter().map(|(y, _)| y).sum::<f64>() / e.len() as f64;
        ss += e.iter().map(|(y, _)| (y - m).powi(2)).sum::<f64>();
        dfm += (e.len() - 1) as f64;
        vsum += e.iter().map(|(_, v)| v).sum::<f64>();
        nv += e.len() as f64;
    }
    let tau2 = if dfm > 0.0 {
        (ss / dfm - vsum / nv).max(0.0)
    } else {
        0.0
    };
    let (mut pearson, mut df) = (0.0, 0.0);
    let mut z = Vec::new();
    let (mut devs, mut vars) = (Vec::new(), Vec::new());
    let (mut hooks, mut ctas) = (Vec::new(), Vec::new());
    for (s, e) in kept.iter().zip(&est) {
        let (sc, sn) = s.iter().fold((0.0, 0.0), |a, u| (a.0 + u.c, a.1 + u.n));
        let p = sc / sn;
        if p > 0.0 && p < 1.0 {
            pearson += s
                .iter()
                .map(|u| (u.c - u.n * p).powi(2) / (u.n * p * (1.0 - p)))
                .sum::<f64>();
        }
        df += (s.len() - 1) as f64;
        let mean = e.iter().map(|(y, _)| y).sum::<f64>() / e.len() as f64;
        let mut ys: Vec<f64> = e.iter().map(|(y, _)| *y).collect();
        ys.sort_by(f64::total_cmp);
        let med = ys[ys.len() / 2];
        for (u, (y, v)) in s.iter().zip(e) {
            let d = y - mean;
            devs.push((y - med).abs());
            vars.push(*v);
            z.push(d / libm::sqrt(v + tau2));
            if u.hook != HookType::Unknown {
                hooks.push((u.hook, d, v + tau2));
            }
            if u.cta != CtaStyle::Unknown {
                ctas.push((u.cta, d, v + tau2));
            }
        }
    }
    let nz = z.len() as f64;
    let (m2, m4) = if nz > 0.0 {
        let m = z.iter().sum::<f64>() / nz;
        (
            z.iter().map(|x| (x - m).powi(2)).sum::<f64>() / nz,
            z.iter().map(|x| (x - m).powi(4)).sum::<f64>() / nz,
        )
    } else {
        (0.0, 0.0)
    };
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mad_sd = 1.4826 * median(&mut devs);
    let robust_tau = libm::sqrt((mad_sd * mad_sd - median(&mut vars)).max(0.0));
    let (hook_tau, hook_values) = value_tau(&hooks);
    let (cta_tau, cta_values) = value_tau(&ctas);
    Dispersion {
        units: z.len() as u64,
        strata: kept.len() as u64,
        pearson_dispersion: if df > 0.0 { pearson / df } else { 0.0 },
        tau: libm::sqrt(tau2),
        tau_dl: libm::sqrt(dl_tau2(&est)),
        robust_tau,
        excess_kurtosis: if m2 > 0.0 { m4 / (m2 * m2) - 3.0 } else { 0.0 },
        tail_share: if nz > 0.0 {
            z.iter().filter(|x| x.abs() > 3.0).count() as f64 / nz
        } else {
            0.0
        },
        hook_tau,
        hook_values,
        cta_tau,
        cta_values,
    }
}
