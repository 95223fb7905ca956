//! Turning one niche's exact aggregate into a noisy, thresholded [`NicheWisdom`].
//!
//! Every field gets discrete-Laplace noise with its group's `t = Δ_g / ε_g` (see
//! [`super::layout`]); the account count gets `t = 1 / ε_count`. Noise is drawn for every field in
//! layout order whatever the data, so whether anything is published never shifts the RNG stream.
//! Everything after the noise is post-processing (no further privacy cost):
//!
//! - **k and noise-aware gates**: nothing is published when the niche's noisy count is below
//!   [`niche_gate`] `= max(k, t · ln(1 / 0.05))` with `t = 1 / ε_count`: `k` alone would let
//!   count noise publish an empty niche (at the defaults, k 5 and `t` 6.7, a quarter of the time).
//!   Each part then has its own noisy count and is published only when that count reaches
//!   `max(k, t · ln(n / 0.05))`, `t` being its noise parameter and `n` the number of parts in
//!   its group (3 platforms, or the attribute's values): pure noise publishes any part of a
//!   group with probability below 5 %. This gates a platform's benchmarks (its noisy platform
//!   count), an attribute value's lift (its noisy lift count) and a frequency-list entry (its
//!   noisy frequency). Conversion-rate and ROAS histograms, which only accounts tracking them
//!   fill, also need a clamped total of at least `max(k, 3σ)` of the noise summed over their bins.
//! - **Quantiles** of a histogram: the noisy counts are denoised ([`denoise_histogram`]: the
//!   least-squares unimodal fit, runs below one noise sd of their mean set to 0; clamping
//!   negative counts alone left half the noise of every empty bin in the tails), then the
//!   cumulative counts are inverted with geometric interpolation inside a bin (linear in the
//!   underflow bin). The mean uses each bin's geometric midpoint. Whether a histogram is
//!   published is still decided by its clamped noisy total.
//! - **Lifts**: with noisy count `c` and noisy Σ log-lift `S`: mean `μ = S / c` (clipped to ±L),
//!   standard error `se² = L² / c + Var(noise of S) / c²` (`L²` bounds the variance of values
//!   clipped to ±L, so the interval is conservative); published lift `exp μ`, interval
//!   `exp(μ ± 1.96 se)`.

use super::layout::{attribute_values, GroupKind, Layout, LogBins, CTR_BINS, CVR_BINS, ROAS_BINS};
use super::{
    AttributeLift, FrequencyEntry, GroupPrivacy, MetricBenchmark, NicheWisdom, PlatformWisdom,
    PrivacyParams, ReleaseConfig, ReleaseId, WISDOM_VERSION,
};
use crate::error::{Error, ErrorCode, Result};
use crate::insights::{Attribute, DurationRange, DURATION_BUCKETS};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::privacy::aggregate::Aggregate;
use crate::privacy::mechanism::{discrete_laplace, discrete_laplace_variance};

/// Most entries in a frequency list (the seed's top 10).
pub const MAX_FREQUENCY_ENTRIES: usize = 10;

/// Prior weight (in accounts) behind [`NicheWisdom::confidence`].
pub const CONFIDENCE_HALF: f64 = 20.0;

/// A histogram total is published only when it is at least this many noise standard deviations.
pub const NOISE_SIGMAS: f64 = 3.0;

/// Chance, per field group, that pure noise publishes any part of it (the gate below).
pub const FALSE_PUBLICATION_RATE: f64 = 0.05;

/// The publication threshold of one of `family` noisy counts with discrete-Laplace parameter
/// `t`: `max(k, t · ln(family / α))`. A count with no account behind it exceeds `x` with
/// probability below `e^{−x/t}`, so at this gate pure noise publishes any of the `family`
/// parts with probability below `α` ([`FALSE_PUBLICATION_RATE`]).
fn gate(k: f64, t: f64, family: usize) -> f64 {
    k.max(t * (family as f64 / FALSE_PUBLICATION_RATE).ln())
}

/// The least noisy account count at which a niche's release is published at all:
/// `max(k, t · ln(1 / α))` with the count's noise parameter `t = 1 / ε_count`, so that noise
/// alone publishes an empty niche with probability below `α` ([`FALSE_PUBLICATION_RATE`]).
/// At the defaults (k 5, ε 1, count share 0.15) this is 20 accounts.
pub fn niche_gate(layout: &Layout, config: &ReleaseConfig) -> f64 {
    gate(f64::from(config.k), 1.0 / layout.count_epsilon, 1)
}

/// The least noisy per-platform account count at which a published niche shows a platform's
/// benchmarks (CTR histogram, conversion rate, ROAS): `max(k, t · ln(3 / α))` with `t` the
/// platform-count group's noise parameter (3 platforms in the family).
pub fn platform_gate(layout: &Layout, config: &ReleaseConfig) -> f64 {
    gate(
        f64::from(config.k),
        layout.group(GroupKind::PlatformCount).noise_scale(),
        Platform::KNOWN.len(),
    )
}

/// The publication threshold of a histogram's clamped total: `max(k, 3σ)` of the noise summed
/// over its `bins` bins.
fn total_gate(k: f64, t: f64, bins: usize) -> f64 {
    k.max(NOISE_SIGMAS * (bins as f64 * discrete_laplace_variance(t)).sqrt())
}

/// The privacy parameters `config` implies (what a release publishes about itself).
pub fn privacy_params(layout: &Layout, config: &ReleaseConfig) -> PrivacyParams {
    let mut groups = vec![GroupPrivacy {
        group: "count".into(),
        fields: 1,
        bounds: [0.0, 1.0],
        scale: 1.0,
        l1_sensitivity: 1.0,
        epsilon: layout.count_epsilon,
        noise_scale: 1.0 / layout.count_epsilon,
        mechanism: "discrete_laplace".into(),
    }];
    groups.extend(
        layout
            .groups
            .iter()
            .filter(|g| g.released())
            .map(|g| GroupPrivacy {
                group: g.name.clone(),
                fields: g.len as u32,
                bounds: [g.bounds.lo, g.bounds.hi],
                scale: g.bounds.scale,
                l1_sensitivity: g.l1_sensitivity,
                epsilon: g.epsilon,
                noise_scale: g.noise_scale(),
                mechanism: "discrete_laplace".into(),
            }),
    );
    PrivacyParams {
        unit: "account".into(),
        k: config.k,
        epsilon: groups.iter().map(|g| g.epsilon).sum(),
        cadence_days: config.cadence_days,
        window_periods: config.window_periods,
        budget_per_window: config.budget_per_window,
        groups,
    }
}

/// Add noise to every component of `aggregate` that `layout` releases (the only randomness of a
/// release): the result's `accounts` is the noisy count and its `sums` the noisy sums (fixed
/// point; 0 for a group the layout does not release, which gets no draw). This is exactly what
/// [`release_wisdom`] (and, with [`Layout::distribution`],
/// [`super::distribution::release_distributions`]) draws, in the same order, before
/// post-processing. The number of draws depends on the layout only, never on the data.
pub fn noisy_aggregate<R: rand_core::Rng + ?Sized>(
    layout: &Layout,
    aggregate: &Aggregate,
    rng: &mut R,
) -> Aggregate {
    let accounts = aggregate
        .accounts
        .saturating_add(discrete_laplace(rng, 1.0 / layout.count_epsilon));
    let mut sums = Vec::with_capacity(aggregate.sums.len());
    for g in &layout.groups {
        if !g.released() {
            // Not in this release (epsilon 0): no draw, and nothing of the exact sums.
            sums.extend(std::iter::repeat_n(0, g.len));
            continue;
        }
        let t = g.noise_scale();
        for i in g.start..g.start + g.len {
            sums.push(aggregate.sums[i].saturating_add(discrete_laplace(rng, t)));
        }
    }
    Aggregate { accounts, sums }
}

/// Quantiles and mean of a noisy histogram (negative counts clamped to 0); `None` when its
/// clamped total is below `min_total` (or 0).
pub fn histogram_benchmark(
    counts: &[f64],
    bins: LogBins,
    min_total: f64,
) -> Option<MetricBenchmark> {
    let c: Vec<f64> = counts.iter().map(|v| v.max(0.0)).collect();
    let total: f64 = c.iter().sum();
    if total <= 0.0 || total < min_total {
        return None;
    }
    let quantile = |q: f64| {
        let target = q * total;
        let mut cum = 0.0;
        for (b, &n) in c.iter().enumerate() {
            if n > 0.0 && cum + n >= target {
                let f = ((target - cum) / n).clamp(0.0, 1.0);
                let (lo, hi) = bins.range(b);
                return if b == 0 {
                    lo + f * (hi - lo)
                } else {
                    lo * (hi / lo).powf(f)
                };
            }
            cum += n;
        }
        bins.range(c.len() - 1).1
    };
    let mean = c
        .iter()
        .enumerate()
        .map(|(b, n)| n * bins.midpoint(b))
        .sum::<f64>()
        / total;
    Some(MetricBenchmark {
        mean,
        p10: quantile(0.10),
        p25: quantile(0.25),
        p50: quantile(0.50),
        p75: quantile(0.75),
        p90: quantile(0.90),
    })
}

/// Increasing least-squares fit of `y` bounded below by 0 (pool adjacent violators), and its
/// squared error.
fn isotonic_increasing(y: &[f64]) -> (Vec<f64>, f64) {
    let mut blocks: Vec<(f64, usize)> = Vec::with_capacity(y.len());
    for &v in y {
        blocks.push((v, 1));
        while let [.., (a, na), (b, nb)] = blocks[..] {
            if a <= b {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            let n = na + nb;
            blocks.push(((a * na as f64 + b * nb as f64) / n as f64, n));
        }
    }
    let fit: Vec<f64> = blocks
        .iter()
        .flat_map(|&(v, n)| std::iter::repeat_n(v.max(0.0), n))
        .collect();
    let sse = fit.iter().zip(y).map(|(f, v)| (f - v) * (f - v)).sum();
    (fit, sse)
}

/// A noisy histogram made fit for its quantiles (post-processing, no privacy cost), given the
/// noise's standard deviation per bin.
///
/// Clamping negative noisy counts to 0 keeps the positive half of the noise in every empty bin;
/// spread over the whole range, that mass pushed low quantiles down and high ones up (on a
/// simulated network at the production config, p10 about 2x too low and p90 about 3x too high;
/// docs/privacy.md). Instead: the least-squares **unimodal** fit of the noisy counts (non-negative;
/// an increasing fit up to each candidate mode and a decreasing one after it, the best of them),
/// whose runs of pooled bins average the zero-mean noise of empty bins towards 0. Each run of
/// equal fitted values is then kept as pooled only when the noise explains its counts' spread
/// around it (their chi-square within its mean + 2 sd), and set to 0 when its level is below one
/// noise sd of its mean (`noise_sd / √len`); a run whose counts differ by more is real shape (a
/// second mode, or any shape when the noise is small): its counts are kept as they are, each
/// set to 0 below one noise sd. With no noise the histogram comes back unchanged.
pub fn denoise_histogram(counts: &[f64], noise_sd: f64) -> Vec<f64> {
    let b = counts.len();
    let mut best: Option<(f64, Vec<f64>)> = None;
    for m in 0..=b {
        let (mut fit, left) = isotonic_increasing(&counts[..m]);
        let rev: Vec<f64> = counts[m..].iter().rev().copied().collect();
        let (right_fit, right) = isotonic_increasing(&rev);
        if best.as_ref().is_none_or(|(e, _)| left + right < *e) {
            fit.extend(right_fit.into_iter().rev());
            best = Some((left + right, fit));
        }
    }
    let fit = best.map(|(_, f)| f).unwrap_or_default();
    let var = noise_sd * noise_sd;
    let mut out = fit.clone();
    let mut i = 0;
    while i < fit.len() {
        let mut j = i;
        while j + 1 < fit.len() && fit[j + 1] == fit[i] {
            j += 1;
        }
        let len = (j - i + 1) as f64;
        let rss: f64 = counts[i..=j]
            .iter()
            .map(|y| (y - fit[i]) * (y - fit[i]))
            .sum();
        if rss > var * (len + 2.0 * (2.0 * len).sqrt()) {
            // The run's counts differ by more than the noise explains (its chi-square above its
            // mean + 2 sd): the shape is real, keep each count (clamped), each held to one sd.
            for k in i..=j {
                out[k] = if counts[k] < noise_sd { 0.0 } else { counts[k] };
            }
        } else if fit[i] < noise_sd / len.sqrt() {
            out[i..=j].iter_mut().for_each(|v| *v = 0.0);
        }
        i = j + 1;
    }
    out
}

/// [`histogram_benchmark`] of a noisy histogram: published when its clamped total reaches
/// `min_total` (as before), with quantiles and mean read from [`denoise_histogram`]; `None` also
/// when nothing survives the denoising.
pub fn noisy_histogram_benchmark(
    counts: &[f64],
    bins: LogBins,
    min_total: f64,
    noise_sd: f64,
) -> Option<MetricBenchmark> {
    let clamped: f64 = counts.iter().map(|v| v.max(0.0)).sum();
    if clamped <= 0.0 || clamped < min_total {
        return None;
    }
    histogram_benchmark(&denoise_histogram(counts, noise_sd), bins, 0.0)
}

pub(crate) fn check_aggregate(a: &Aggregate) -> Result<()> {
    if a.sums.len() != Layout::field_count() {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "aggregate.sums",
            format!("{} sums (expected {})", a.sums.len(), Layout::field_count()),
        ));
    }
    if a.accounts < 0 {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "aggregate.accounts",
            format!("must be >= 0, got {}", a.accounts),
        ));
    }
    Ok(())
}

/// Release one niche's wisdom from its exact aggregate. Pure: it neither checks nor charges a
/// budget (use [`super::get_or_release`] in a service). Draws the same number of random values
/// whatever the data, so suppression leaks nothing through the RNG stream. Any generator: the
/// Worker and the bindings pass ChaCha20 (a cryptographic generator); studies and tests a seeded
/// [`crate::rng::Rng`].
pub fn release_wisdom<R: rand_core::Rng + ?Sized>(
    aggregate: &Aggregate,
    id: ReleaseId,
    config: &ReleaseConfig,
    rng: &mut R,
) -> Result<NicheWisdom> {
    if id.niche == Niche::Unknown {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "id.niche",
            "no wisdom is released for the unknown niche",
        ));
    }
    check_aggregate(aggregate)?;
    let layout = Layout::new(config)?;
    let noisy = noisy_aggregate(&layout, aggregate, rng);
    Ok(build(&layout, config, id, &noisy))
}

/// The per-platform benchmarks of a published niche and the count-weighted mean of their CTR
/// means (`niche_avg_ctr`), from a noisy aggregate of `layout`. A platform is listed when its
/// noisy count clears [`platform_gate`]; its histograms are read only when `layout` releases
/// them (otherwise its metrics are `None`).
pub(crate) fn platform_benchmarks(
    layout: &Layout,
    config: &ReleaseConfig,
    noisy: &Aggregate,
) -> (Vec<PlatformWisdom>, Option<f64>) {
    let k = f64::from(config.k);
    let field = |kind: GroupKind, i: usize| -> f64 {
        let g = layout.group(kind);
        noisy.sums[g.start + i] as f64 / g.bounds.scale
    };
    let slice = |kind: GroupKind, p: usize, bins: LogBins| -> Vec<f64> {
        (0..bins.len())
            .map(|b| field(kind, p * bins.len() + b))
            .collect()
    };
    let platform_min = platform_gate(layout, config);
    let noise_sd = |kind: GroupKind| {
        let g = layout.group(kind);
        discrete_laplace_variance(g.noise_scale()).sqrt() / g.bounds.scale
    };
    let released = |kind: GroupKind| layout.group(kind).released();
    let tracked = |kind: GroupKind, p: usize, bins: LogBins| {
        if !released(kind) {
            return None;
        }
        let min = total_gate(k, layout.group(kind).noise_scale(), bins.len());
        noisy_histogram_benchmark(&slice(kind, p, bins), bins, min, noise_sd(kind))
    };
    let mut platforms = Vec::new();
    let (mut ctr_w, mut ctr_n) = (0.0, 0.0);
    for (p, platform) in Platform::KNOWN.into_iter().enumerate() {
        let accounts = field(GroupKind::PlatformCount, p).max(0.0);
        if accounts < platform_min {
            continue;
        }
        let pw = PlatformWisdom {
            platform,
            accounts: accounts as u64,
            // Every platform an account contributes has a CTR: the platform gate suffices.
            ctr: if released(GroupKind::CtrHistogram) {
                noisy_histogram_benchmark(
                    &slice(GroupKind::CtrHistogram, p, CTR_BINS),
                    CTR_BINS,
                    k,
                    noise_sd(GroupKind::CtrHistogram),
                )
            } else {
                None
            },
            conversion_rate: tracked(GroupKind::CvrHistogram, p, CVR_BINS),
            roas: tracked(GroupKind::RoasHistogram, p, ROAS_BINS),
        };
        if let Some(c) = pw.ctr {
            ctr_w += accounts * c.mean;
            ctr_n += accounts;
        }
        platforms.push(pw);
    }
    (platforms, (ctr_n > 0.0).then(|| ctr_w / ctr_n))
}

fn build(layout: &Layout, config: &ReleaseConfig, id: ReleaseId, noisy: &Aggregate) -> NicheWisdom {
    let k = f64::from(config.k);
    let mut w = NicheWisdom {
        version: WISDOM_VERSION,
        niche: id.niche,
        period: id.period,
        published: false,
        sample_size: None,
        confidence: 0.0,
        platforms: Vec::new(),
        niche_avg_ctr: None,
        lifts: Vec::new(),
        top_hook_types: Vec::new(),
        optimal_duration: None,
        peak_hours: Vec::new(),
        proven_cta_styles: Vec::new(),
        winning_visual_patterns: Vec::new(),
        privacy: privacy_params(layout, config),
        distribution_period: None,
        distribution_privacy: None,
    };
    if (noisy.accounts as f64) < niche_gate(layout, config) {
        return w;
    }
    let n = noisy.accounts as f64;
    w.published = true;
    w.sample_size = Some(noisy.accounts as u64);
    w.confidence = n / (n + CONFIDENCE_HALF);
    let field = |kind: GroupKind, i: usize| -> f64 {
        let g = layout.group(kind);
        noisy.sums[g.start + i] as f64 / g.bounds.scale
    };
    (w.platforms, w.niche_avg_ctr) = platform_benchmarks(layout, config, noisy);

    let l = layout.bounds.max_log_lift;
    for a in Attribute::ALL {
        let labels = attribute_values(a);
        let sum_g = layout.group(GroupKind::LiftSum(a));
        let noise_var = discrete_laplace_variance(sum_g.noise_scale())
            / (sum_g.bounds.scale * sum_g.bounds.scale);
        let lift_min = gate(
            k,
            layout.group(GroupKind::LiftCount(a)).noise_scale(),
            labels.len(),
        );
        let top_min = gate(
            k,
            layout.group(GroupKind::Top(a)).noise_scale(),
            labels.len(),
        );
        let mut lifts: Vec<AttributeLift> = Vec::new();
        let mut freq: Vec<(f64, usize)> = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let c = field(GroupKind::LiftCount(a), i);
            if c >= lift_min {
                let mu = (field(GroupKind::LiftSum(a), i) / c).clamp(-l, l);
                let se = (l * l / c + noise_var / (c * c)).sqrt();
                lifts.push(AttributeLift {
                    attribute: a,
                    value: label.clone(),
                    accounts: c as u64,
                    lift: mu.exp(),
                    lift_interval: [(mu - 1.96 * se).exp(), (mu + 1.96 * se).exp()],
                });
            }
            let f = field(GroupKind::Top(a), i);
            if f >= top_min {
                freq.push((f, i));
            }
        }
        lifts.sort_by(|x, y| y.lift.total_cmp(&x.lift).then(x.value.cmp(&y.value)));
        w.lifts.extend(lifts);
        freq.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        freq.truncate(MAX_FREQUENCY_ENTRIES);
        let entries: Vec<FrequencyEntry> = freq
            .iter()
            .map(|(f, i)| FrequencyEntry {
                item: labels[*i].clone(),
                frequency: *f as u64,
                percentage: f / n * 100.0,
            })
            .collect();
        match a {
            Attribute::HookType => w.top_hook_types = entries,
            Attribute::Duration => {
                w.optimal_duration = freq.first().map(|(_, i)| DurationRange {
                    min_s: DURATION_BUCKETS[*i].0,
                    max_s: DURATION_BUCKETS[*i].1,
                })
            }
            Attribute::PostingHour => {
                w.peak_hours = freq.iter().take(3).map(|(_, i)| (*i * 3) as u8).collect()
            }
            Attribute::CtaStyle => w.proven_cta_styles = entries,
            Attribute::VisualTag => w.winning_visual_patterns = entries,
        }
    }
    w
}
