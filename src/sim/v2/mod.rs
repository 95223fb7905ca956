//! Simulator v2: harder simulated truths. **Its output is simulated data** (`source:
//! "simulated"` on every record). Simulator v1 ([`crate::sim`]) stays frozen; v2 reuses only its
//! delivery parameters (base CTR, niche CTR offsets, impression volumes, format frequencies,
//! network shape from `models/simulator-v1.json`) and replaces its hand-chosen effect table by
//! **truths drawn from a prior** ([`SimV2Prior`], the file `data/sim-v2-prior.json`).
//!
//! **A truth** ([`TruthTable::draw`], deterministic in the truth seed) has one effect per
//! vocabulary value `v` of the release's layout ([`crate::wisdom::suffstat::cells`]: hook type,
//! CTA style, visual tag, format × platform, duration bucket, posting hour):
//!
//! ```text
//! effect(n, p, v, t) = g_v + d_{n,v} + h_{n,p,v} + w_{n,v,t}
//! g_v     ~ sparse(global_effects)   spike N(0, spike_sd²) or, w.p. slab_probability, slab_scale · t(df)
//! d_{n,v} ~ sparse(niche_effects)    the niche's deviation
//! h_{n,p,v} ~ N(0, niche_platform_sd²)  niche × platform heterogeneity
//! w_{n,v,t} = w_{n,v,t-1} + N(0, drift_sd²), w_{n,v,0} = 0   drift between periods
//! f_v ~ N(0, 1)                      the value's "fashion" (drives the confounding)
//! ```
//!
//! **An account** `a` (niche `n`, period `t`) has a quality `q_a ~ N(0, account_quality_sd²)` and
//! its own deviation `α_{a,v} ~ N(0, account_effect_sd²)` per value (per-account heterogeneity).
//! A creative on platform `p` with values `V` and noise `e ~ creative_noise.scale · t(df)` has
//!
//! ```text
//! logit(ctr) = logit(base_ctr[p]) + niche_ctr[n] + q_a + e + Σ_{v ∈ V} (effect(n, p, v, t) + α_{a,v})
//! ```
//!
//! A format the platform does not run contributes nothing (it is never drawn or chosen); a
//! duration bucket counts for videos only.
//!
//! **Choices are confounded with quality** ([`draw_attributes`]): each one-hot factor's value is
//! drawn with its base weight (uniform hooks and CTAs, v1's format frequencies, v1's posting
//! hours) times `exp(tilt_v)`, each visual tag with log-odds `logit(visual_tag_probability) +
//! tilt_v`, where `tilt_v = f_v · (confounding.account · q_a/sd + confounding.creative · e/scale)`
//! (the standardised creative noise clamped to ±3). Hook and CTA are drawn once per creative, the
//! rest per platform, as in v1.
//!
//! **The network** ([`generate_network_v2`]) is observed in period 0: accounts round-robin over
//! the niches, 1-3 platforms, 4-10 creatives, 7-28 days each, daily impressions as in v1 (their sum
//! is drawn, then `clicks ~ Binomial(Σ impressions, ctr)`, which is the sum of the daily
//! binomials). New accounts act in period 1 (after one period of drift).
//!
//! **Oracles** ([`TruthTable::oracle`]): the *niche-level* oracle knows `effect(n, p, ·, t)`; the
//! *per-account* oracle also knows the account's `α_a`. Both pick the argmax of the additive
//! effect per factor (visual tags: the positive ones, best first, at most `max_visual_tags`;
//! format with the best duration bucket for a video).

pub mod grounding;
pub mod prior;

pub use prior::{Confounding, SimV2Prior, SparsePrior, StudentT};

use super::params::SimParams;
use crate::error::{Error, ErrorCode, Result};
use crate::insights::{duration_bucket, duration_bucket_label, DURATION_BUCKETS};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{
    AdFormat, Assignment, ConversionScope, CreativeRecord, CtaStyle, HookType, RecordSource,
    VisualTag,
};
use crate::rng::Rng;
use crate::sim::truth::CreativeSpec;
use crate::wisdom::suffstat::{cell_count, cells, Factor};
use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

/// The bytes of the committed default prior, `data/sim-v2-prior.json`.
pub const SIM_V2_PRIOR_JSON: &str = include_str!("../../../data/sim-v2-prior.json");

/// FNV-1a 64 of [`SIM_V2_PRIOR_JSON`] (16 hex digits); its sha256 is in `docs/network-effect.md`.
/// A test fails when the file changes: the prior was committed before any design was compared on
/// it, so a change needs a new version and new reporting truths.
pub const SIM_V2_PRIOR_HASH: &str = "7ef210386fd04169";

/// Periods a truth covers: 0 (the network's) and 1 (the new accounts').
pub const PERIODS: usize = 2;

const TRUTH_SALT: u64 = 0x5349_4d56_325f_5452; // "SIMV2_TR"
const ACCOUNT_SALT: u64 = 0x5349_4d56_325f_4143; // "SIMV2_AC"

impl SimV2Prior {
    /// The committed default prior (`data/sim-v2-prior.json`).
    pub fn default_prior() -> Self {
        // The file is part of the crate and a test parses it; failure is a build defect.
        Self::from_json(SIM_V2_PRIOR_JSON).expect("data/sim-v2-prior.json is valid")
    }
}

/// Standard Student t with `df` degrees of freedom (normal over the root of a chi-square mean).
fn student_t(r: &mut Rng, df: u32) -> f64 {
    let z = r.normal();
    let chi2: f64 = (0..df).map(|_| r.normal().powi(2)).sum();
    z / libm::sqrt(chi2 / f64::from(df))
}

/// One draw from a sparse prior; returns the effect and whether it came from the slab.
fn sparse(r: &mut Rng, p: &SparsePrior) -> (f64, bool) {
    let slab = r.chance(p.slab_probability);
    let x = if slab {
        p.slab_scale * student_t(r, p.slab_df)
    } else {
        p.spike_sd * r.normal()
    };
    (x, slab)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-x))
}

fn logit(p: f64) -> f64 {
    libm::log(p / (1.0 - p))
}

fn platform_slot(p: Platform) -> usize {
    p.index().min(2)
}

/// One drawn truth: every effect of the model in the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthTable {
    /// The truth seed.
    pub truth_seed: u64,
    /// The prior it was drawn from.
    pub prior: SimV2Prior,
    /// v1's delivery parameters.
    pub params: SimParams,
    /// `g_v` per cell (layout of [`cells`]).
    pub global: Vec<f64>,
    /// Whether `g_v` came from the slab.
    pub slab: Vec<bool>,
    /// `d_{n,v}`, `[niche][cell]` (niche order of [`Niche::ALL`]).
    pub niche: Vec<Vec<f64>>,
    /// `h_{n,p,v}`, `[niche][platform slot][cell]`.
    pub niche_platform: Vec<Vec<Vec<f64>>>,
    /// `w_{n,v,t}`, `[period][niche][cell]`.
    pub drift: Vec<Vec<Vec<f64>>>,
    /// `f_v` per cell.
    pub fashion: Vec<f64>,
}

/// What an account is, in the truth.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountTruth {
    /// `q_a` (log-odds).
    pub quality: f64,
    /// `α_{a,v}` per cell.
    pub deviation: Vec<f64>,
}

type CellKey = (Factor, Option<Platform>, String);

fn cell_index() -> &'static BTreeMap<CellKey, usize> {
    static IDX: OnceLock<BTreeMap<CellKey, usize>> = OnceLock::new();
    IDX.get_or_init(|| {
        cells()
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.factor, c.platform, c.value.clone()), i))
            .collect()
    })
}

fn lookup(f: Factor, p: Option<Platform>, v: &str) -> Option<usize> {
    cell_index().get(&(f, p, v.to_string())).copied()
}

fn niche_slot(n: Niche) -> usize {
    Niche::ALL.iter().position(|x| *x == n).unwrap_or(0)
}

impl TruthTable {
    /// Draw the truth of `truth_seed` from `prior` (deterministic).
    pub fn draw(prior: &SimV2Prior, truth_seed: u64) -> Result<Self> {
        prior.validate()?;
        let nc = cell_count();
        let nn = Niche::ALL.len();
        let mut r = Rng::stream(truth_seed ^ TRUTH_SALT, 0);
        let (mut global, mut slab) = (Vec::with_capacity(nc), Vec::with_capacity(nc));
        for _ in 0..nc {
            let (x, s) = sparse(&mut r, &prior.global_effects);
            global.push(x);
            slab.push(s);
        }
        let niche = (0..nn)
            .map(|_| {
                (0..nc)
                    .map(|_| sparse(&mut r, &prior.niche_effects).0)
                    .collect()
            })
            .collect();
        let niche_platform = (0..nn)
            .map(|_| {
                (0..3)
                    .map(|_| {
                        (0..nc)
                            .map(|_| prior.niche_platform_sd * r.normal())
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut drift = vec![vec![vec![0.0; nc]; nn]; PERIODS];
        for t in 1..PERIODS {
            let (before, after) = drift.split_at_mut(t);
            for (prev, next) in before[t - 1].iter().zip(after[0].iter_mut()) {
                for (p0, x) in prev.iter().zip(next.iter_mut()) {
                    *x = p0 + prior.drift_sd * r.normal();
                }
            }
        }
        let fashion = (0..nc).map(|_| r.normal()).collect();
        Ok(TruthTable {
            truth_seed,
            prior: prior.clone(),
            params: SimParams::v1(),
            global,
            slab,
            niche,
            niche_platform,
            drift,
            fashion,
        })
    }

    /// `effect(n, p, v, t)` for every cell (formats the platform does not run: 0).
    pub fn effects(&self, niche: Niche, platform: Platform, period: usize) -> Vec<f64> {
        let (n, s, t) = (
            niche_slot(niche),
            platform_slot(platform),
            period.min(PERIODS - 1),
        );
        let runs = self.params.format_weights.get(&platform);
        cells()
            .iter()
            .enumerate()
            .map(|(v, c)| {
                if c.factor == Factor::Format
                    && (c.platform != Some(platform)
                        || !AdFormat::from_str(&c.value)
                            .is_ok_and(|f| runs.is_some_and(|m| m.contains_key(&f))))
                {
                    return 0.0;
                }
                self.global[v]
                    + self.niche[n][v]
                    + self.niche_platform[n][s][v]
                    + self.drift[t][n][v]
            })
            .collect()
    }

    /// Draw an account's truth (quality and deviations) from stream `index` of `seed`.
    pub fn account(&self, seed: u64, index: u64) -> AccountTruth {
        let mut r = Rng::stream(seed ^ ACCOUNT_SALT, index);
        let quality = self.prior.account_quality_sd * r.normal();
        let deviation = (0..cell_count())
            .map(|_| self.prior.account_effect_sd * r.normal())
            .collect();
        AccountTruth { quality, deviation }
    }

    /// One creative's unexplained effect `e` (heavy-tailed).
    pub fn creative_noise(&self, r: &mut Rng) -> f64 {
        self.prior.creative_noise.scale * student_t(r, self.prior.creative_noise.df)
    }

    /// The true CTR of `spec` for `account` in `period`: `spec.account_effect` is ignored in
    /// favour of `account.quality`; `spec.creative_noise` is `e`.
    pub fn ctr(&self, spec: &CreativeSpec, account: &AccountTruth, period: usize) -> f64 {
        let eff = self.effects(spec.niche, spec.platform, period);
        self.ctr_with(&eff, spec, account)
    }

    /// [`Self::ctr`] with the effects of the spec's niche, platform and period precomputed.
    pub fn ctr_with(&self, effects: &[f64], spec: &CreativeSpec, account: &AccountTruth) -> f64 {
        let base = logit(self.params.platform(spec.platform).base_ctr)
            + self
                .params
                .niche_ctr
                .get(&spec.niche)
                .copied()
                .unwrap_or(0.0);
        let attr: f64 = spec_cells(spec)
            .iter()
            .map(|&v| effects[v] + account.deviation[v])
            .sum();
        sigmoid(base + account.quality + spec.creative_noise + attr)
    }

    /// The argmax creative of the additive effects `effects` (plus `deviation` when given: the
    /// per-account oracle) on `platform` (see the module docs). Account effect and noise are 0.
    pub fn oracle(
        &self,
        niche: Niche,
        platform: Platform,
        effects: &[f64],
        deviation: Option<&[f64]>,
        max_visual_tags: usize,
    ) -> CreativeSpec {
        let e = |v: usize| effects[v] + deviation.map_or(0.0, |d| d[v]);
        let best = |f: Factor, p: Option<Platform>| -> Option<(String, f64)> {
            cells()
                .iter()
                .enumerate()
                .filter(|(_, c)| c.factor == f && c.platform == p)
                .map(|(v, c)| (c.value.clone(), e(v)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        let hook = best(Factor::Hook, None)
            .and_then(|(v, _)| HookType::from_str(&v).ok())
            .unwrap_or(HookType::Unknown);
        let cta = best(Factor::Cta, None)
            .and_then(|(v, _)| CtaStyle::from_str(&v).ok())
            .unwrap_or(CtaStyle::Unknown);
        let mut tags: Vec<(f64, VisualTag)> = cells()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.factor == Factor::Visual)
            .filter_map(|(v, c)| VisualTag::from_str(&c.value).ok().map(|t| (e(v), t)))
            .filter(|(m, _)| *m > 0.0)
            .collect();
        tags.sort_by(|a, b| b.0.total_cmp(&a.0));
        tags.truncate(max_visual_tags);
        let duration = best(Factor::Duration, None).and_then(|(v, m)| {
            (0..DURATION_BUCKETS.len())
                .find(|i| duration_bucket_label(*i).as_deref() == Some(v.as_str()))
                .map(|i| (i, m))
        });
        let runs: Vec<AdFormat> = self
            .params
            .format_weights
            .get(&platform)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        let format = cells()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.factor == Factor::Format && c.platform == Some(platform))
            .filter_map(|(v, c)| AdFormat::from_str(&c.value).ok().map(|f| (f, e(v))))
            .filter(|(f, _)| runs.contains(f))
            .map(|(f, m)| {
                let bonus = if f == AdFormat::Video {
                    duration.map_or(0.0, |(_, d)| d)
                } else {
                    0.0
                };
                (f, m + bonus)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(AdFormat::Unknown, |(f, _)| f);
        let duration_s = (format == AdFormat::Video).then(|| {
            duration.map_or(20.0, |(i, _)| {
                let (lo, hi) = DURATION_BUCKETS[i];
                libm::round((lo + hi) / 2.0).max(1.0)
            })
        });
        let posting_hour = best(Factor::Hour, None)
            .and_then(|(v, _)| v.parse::<u8>().ok())
            .unwrap_or(12);
        CreativeSpec {
            niche,
            platform,
            hook,
            cta,
            visual_tags: tags.into_iter().map(|(_, t)| t).collect(),
            format,
            duration_s,
            posting_hour,
            account_effect: 0.0,
            creative_noise: 0.0,
        }
    }
}

/// The cells a creative has (hook, CTA, its visual tags, format on its platform, duration bucket
/// for a video, posting hour), sorted, without duplicates.
pub fn spec_cells(spec: &CreativeSpec) -> Vec<usize> {
    let mut f = Vec::with_capacity(8);
    f.extend(lookup(Factor::Hook, None, spec.hook.as_str()));
    f.extend(lookup(Factor::Cta, None, spec.cta.as_str()));
    for t in &spec.visual_tags {
        f.extend(lookup(Factor::Visual, None, t.as_str()));
    }
    f.extend(lookup(
        Factor::Format,
        Some(spec.platform),
        spec.format.as_str(),
    ));
    if spec.format == AdFormat::Video {
        if let Some(l) = spec
            .duration_s
            .and_then(duration_bucket)
            .and_then(duration_bucket_label)
        {
            f.extend(lookup(Factor::Duration, None, &l));
        }
    }
    f.extend(lookup(Factor::Hour, None, &spec.posting_hour.to_string()));
    f.sort_unstable();
    f.dedup();
    f
}

/// The standardised confounders of one creative: account quality and creative noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confounders {
    /// `q_a / account_quality_sd` (0 when the sd is 0).
    pub quality: f64,
    /// `e / creative_noise.scale`, clamped to ±3 (0 when the scale is 0).
    pub noise: f64,
}

impl Confounders {
    /// No confounding: a randomised choice.
    pub const NONE: Confounders = Confounders {
        quality: 0.0,
        noise: 0.0,
    };
}

impl TruthTable {
    /// The standardised confounders of a creative with quality `q` and noise `e`.
    pub fn confounders(&self, q: f64, e: f64) -> Confounders {
        let p = &self.prior;
        Confounders {
            quality: if p.account_quality_sd > 0.0 {
                q / p.account_quality_sd
            } else {
                0.0
            },
            noise: if p.creative_noise.scale > 0.0 {
                (e / p.creative_noise.scale).clamp(-3.0, 3.0)
            } else {
                0.0
            },
        }
    }

    fn tilt(&self, v: usize, c: Confounders) -> f64 {
        let k = &self.prior.confounding;
        self.fashion[v] * (k.account * c.quality + k.creative * c.noise)
    }

    fn pick(&self, r: &mut Rng, f: Factor, p: Option<Platform>, c: Confounders) -> Option<String> {
        self.pick_with(r, f, p, c, false)
    }

    /// [`Self::pick`]; with `uniform`, every value the platform runs has the same base weight
    /// (an exploring account's randomised choice).
    fn pick_with(
        &self,
        r: &mut Rng,
        f: Factor,
        p: Option<Platform>,
        c: Confounders,
        uniform: bool,
    ) -> Option<String> {
        let opts: Vec<(usize, &str)> = cells()
            .iter()
            .enumerate()
            .filter(|(_, x)| x.factor == f && x.platform == p)
            .map(|(v, x)| (v, x.value.as_str()))
            .collect();
        let w: Vec<f64> = opts
            .iter()
            .map(|(v, name)| {
                let w = self.base_weight(f, p, name);
                if uniform {
                    if w > 0.0 {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    w * libm::exp(self.tilt(*v, c))
                }
            })
            .collect();
        (w.iter().sum::<f64>() > 0.0).then(|| opts[r.weighted(&w)].1.to_string())
    }

    fn base_weight(&self, f: Factor, p: Option<Platform>, value: &str) -> f64 {
        match f {
            Factor::Format => p
                .and_then(|p| self.params.format_weights.get(&p))
                .and_then(|m| AdFormat::from_str(value).ok().and_then(|f| m.get(&f)))
                .copied()
                .unwrap_or(0.0),
            Factor::Hour => {
                let h: u8 = value.parse().unwrap_or(0);
                0.1 / 24.0 + if h >= 6 { 0.9 / 18.0 } else { 0.0 }
            }
            _ => 1.0,
        }
    }
}

/// Hook and CTA of a creative, drawn with the confounding tilt.
pub fn draw_hook_cta(truth: &TruthTable, c: Confounders, r: &mut Rng) -> (HookType, CtaStyle) {
    let hook = truth
        .pick(r, Factor::Hook, None, c)
        .and_then(|v| HookType::from_str(&v).ok())
        .unwrap_or(HookType::Unknown);
    let cta = truth
        .pick(r, Factor::Cta, None, c)
        .and_then(|v| CtaStyle::from_str(&v).ok())
        .unwrap_or(CtaStyle::Unknown);
    (hook, cta)
}

/// The platform-level attributes of a creative (format, duration for a video, visual tags,
/// posting hour), drawn with the confounding tilt: what an account does alone. `account_effect`
/// and `creative_noise` of the result are `q` and `e`.
#[allow(clippy::too_many_arguments)]
pub fn draw_attributes(
    truth: &TruthTable,
    niche: Niche,
    platform: Platform,
    hook: HookType,
    cta: CtaStyle,
    q: f64,
    e: f64,
    r: &mut Rng,
) -> CreativeSpec {
    draw_attributes_with(truth, niche, platform, hook, cta, q, e, false, r)
}

/// [`draw_attributes`], or with `randomised` an exploring account's randomised choice: every
/// format the platform runs and every posting hour equally likely, visual tags with their base
/// probability, none of it tilted by quality or creative noise (no confounding).
#[allow(clippy::too_many_arguments)]
pub fn draw_attributes_with(
    truth: &TruthTable,
    niche: Niche,
    platform: Platform,
    hook: HookType,
    cta: CtaStyle,
    q: f64,
    e: f64,
    randomised: bool,
    r: &mut Rng,
) -> CreativeSpec {
    let c = if randomised {
        Confounders::NONE
    } else {
        truth.confounders(q, e)
    };
    let format = truth
        .pick_with(r, Factor::Format, Some(platform), c, randomised)
        .and_then(|v| AdFormat::from_str(&v).ok())
        .unwrap_or(AdFormat::Unknown);
    let d = &truth.params.duration;
    let duration_s = (format == AdFormat::Video)
        .then(|| libm::round(d.min_s * libm::pow(d.max_s / d.min_s, r.uniform())).max(1.0));
    let p0 = logit(truth.prior.visual_tag_probability);
    let visual_tags = cells()
        .iter()
        .enumerate()
        .filter(|(_, x)| x.factor == Factor::Visual)
        .filter(|(v, _)| r.chance(sigmoid(p0 + truth.tilt(*v, c))))
        .filter_map(|(_, x)| VisualTag::from_str(&x.value).ok())
        .collect();
    let posting_hour = truth
        .pick_with(r, Factor::Hour, None, c, randomised)
        .and_then(|v| v.parse::<u8>().ok())
        .unwrap_or(12);
    CreativeSpec {
        niche,
        platform,
        hook,
        cta,
        visual_tags,
        format,
        duration_s,
        posting_hour,
        account_effect: q,
        creative_noise: e,
    }
}

/// A simulated v2 account.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Account {
    /// `sim2-a00000`, ...
    pub account_id: String,
    /// Its niche.
    pub niche: Niche,
    /// Its platforms.
    pub platforms: Vec<Platform>,
    /// Its truth.
    pub truth: AccountTruth,
    /// Whether it is in the exploration cohort ([`NetworkDesign::exploration_share`]): its
    /// creatives' attributes are randomised, not chosen.
    pub explores: bool,
}

/// How the network's accounts choose their creatives' attributes (a product design, not part
/// of the truth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkDesign {
    /// Share of accounts (0..=1) in the **exploration cohort**: for one period the product picks
    /// their creatives' hook, CTA, format, visual tags and posting hour at random (uniform over
    /// the values, tags with their base probability), so their choices are independent of their
    /// quality and of each creative's noise. Drawn per account from its own stream, so a design
    /// with share 0 gives exactly the network of [`generate_network_v2`].
    pub exploration_share: f64,
    /// Share (0..=1) of a cohort account's creatives that are randomised (each creative drawn
    /// independently from its own stream; the others are chosen as outside the cohort). Default
    /// 1: all of them.
    pub creative_share: f64,
    /// Share (0..=1) of the creatives marked `randomised` whose attributes were in fact chosen
    /// as outside the cohort (with the confounding tilt): an account that declares a creative
    /// randomised without making it from the brief. Default 0.
    pub mislabel_share: f64,
}

impl Default for NetworkDesign {
    /// Nobody explores (share 0); a cohort account would randomise all its creatives.
    fn default() -> Self {
        NetworkDesign {
            exploration_share: 0.0,
            creative_share: 1.0,
            mislabel_share: 0.0,
        }
    }
}

const EXPLORE_SALT: u64 = 0x5349_4d56_325f_4558; // "SIMV2_EX"
const EXPLORE_CREATIVE_SALT: u64 = 0x5349_4d56_325f_4543; // "SIMV2_EC"
const MISLABEL_SALT: u64 = 0x5349_4d56_325f_4d4c; // "SIMV2_ML"

/// A simulated v2 network (period 0). **Simulated data.**
#[derive(Debug, Clone, PartialEq)]
pub struct V2Network {
    /// Accounts.
    pub accounts: Vec<V2Account>,
    /// Records (one per creative and platform; totals only, no daily series).
    pub records: Vec<CreativeRecord>,
    /// True CTR per record, in record order.
    pub true_ctr: Vec<f64>,
    /// The creative specs behind the records (quality in `account_effect`, `e` in
    /// `creative_noise`), in record order.
    pub specs: Vec<CreativeSpec>,
}

/// Simulate `accounts` accounts of the network (indices `first..first + accounts`, so a large
/// network can be built in chunks with identical accounts) under `truth`, with `seed`.
pub fn generate_network_v2(
    truth: &TruthTable,
    seed: u64,
    first: u64,
    accounts: u32,
) -> Result<V2Network> {
    generate_network_v2_with(truth, seed, first, accounts, &NetworkDesign::default())
}

/// [`generate_network_v2`] under a [`NetworkDesign`] (an exploration cohort).
pub fn generate_network_v2_with(
    truth: &TruthTable,
    seed: u64,
    first: u64,
    accounts: u32,
    design: &NetworkDesign,
) -> Result<V2Network> {
    generate_network_v2_briefed(truth, seed, first, accounts, design, None)
}

/// How an exploring account's randomised creative is briefed, beyond the uniform draw: given
/// that draw (a [`CreativeSpec`] from `draw_attributes_with(.., randomised = true, ..)`) and the
/// creative's own random stream, the creative it makes instead. A drawer must not look at the
/// spec's `account_effect` or `creative_noise` (they are put back as they were), so its choices
/// stay independent of the account's quality and of the creative's noise: a randomised design
/// with non-uniform, publicly known assignment probabilities (for example Thompson draws from
/// the current release).
pub type BriefDrawer<'a> = &'a dyn Fn(&CreativeSpec, &mut Rng) -> CreativeSpec;

const BRIEF_SALT: u64 = 0x5349_4d56_325f_4252; // "SIMV2_BR"

/// [`generate_network_v2_with`], the cohort's randomised creatives briefed by `brief` (`None`:
/// the uniform draw itself, exactly [`generate_network_v2_with`]). Each randomised creative on
/// each platform has its own brief stream, so the other draws are unchanged.
pub fn generate_network_v2_briefed(
    truth: &TruthTable,
    seed: u64,
    first: u64,
    accounts: u32,
    design: &NetworkDesign,
    brief: Option<BriefDrawer>,
) -> Result<V2Network> {
    for (field, v) in [
        ("exploration_share", design.exploration_share),
        ("creative_share", design.creative_share),
        ("mislabel_share", design.mislabel_share),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                field,
                format!("must be in 0..=1, got {v}"),
            ));
        }
    }
    if accounts == 0 || accounts > super::MAX_ACCOUNTS {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "accounts",
            format!("must be 1..={}, got {accounts}", super::MAX_ACCOUNTS),
        ));
    }
    let p = &truth.params;
    let st = &p.structure;
    let s = &p.impressions_variance_shares;
    let mut net = V2Network {
        accounts: Vec::new(),
        records: Vec::new(),
        true_ctr: Vec::new(),
        specs: Vec::new(),
    };
    let mut effects: BTreeMap<(Niche, Platform), Vec<f64>> = BTreeMap::new();
    for i in first..first + u64::from(accounts) {
        let mut r = Rng::stream(seed, i);
        let niche = Niche::ALL[i as usize % Niche::ALL.len()];
        let k = 1 + r.weighted(&st.platform_count_weights);
        let mut platforms = Platform::KNOWN.to_vec();
        for j in (1..platforms.len()).rev() {
            platforms.swap(j, r.range(0, j as u64) as usize);
        }
        platforms.truncate(k);
        platforms.sort();
        let account = V2Account {
            account_id: format!("sim2-a{i:06}"),
            niche,
            platforms,
            truth: truth.account(seed, i),
            explores: design.exploration_share > 0.0
                && Rng::stream(seed ^ EXPLORE_SALT, i).uniform() < design.exploration_share,
        };
        let explores = account.explores;
        let q = account.truth.quality;
        let z_account = r.normal();
        let n = r.range(st.creatives_per_account_min, st.creatives_per_account_max);
        for ci in 0..n {
            let e = truth.creative_noise(&mut r);
            let marked = explores
                && (design.creative_share >= 1.0
                    || Rng::stream(seed ^ EXPLORE_CREATIVE_SALT, i * 1024 + ci).uniform()
                        < design.creative_share);
            // Marked randomised but chosen (an unverified declaration).
            let explores = marked
                && !(design.mislabel_share > 0.0
                    && Rng::stream(seed ^ MISLABEL_SALT, i * 1024 + ci).uniform()
                        < design.mislabel_share);
            let conf = if explores {
                Confounders::NONE
            } else {
                truth.confounders(q, e)
            };
            let (hook, cta) = draw_hook_cta(truth, conf, &mut r);
            let z_creative = r.normal();
            let days = r.range(st.days_min, st.days_max);
            for &platform in &account.platforms {
                let mut spec =
                    draw_attributes_with(truth, niche, platform, hook, cta, q, e, explores, &mut r);
                if let Some(b) = brief.filter(|_| explores) {
                    let mut rb = Rng::stream(
                        seed ^ BRIEF_SALT,
                        (i * 1024 + ci) * 8 + platform.index() as u64,
                    );
                    spec = CreativeSpec {
                        account_effect: q,
                        creative_noise: e,
                        ..b(&spec, &mut rb)
                    };
                }
                let eff = effects
                    .entry((niche, platform))
                    .or_insert_with(|| truth.effects(niche, platform, 0));
                let ctr = truth.ctr_with(eff, &spec, &account.truth);
                let pp = p.platform(platform);
                let base_log = pp.log_impressions_mean
                    + pp.log_impressions_sd
                        * (libm::sqrt(s.account) * z_account + libm::sqrt(s.creative) * z_creative);
                let impressions: u64 = (0..days)
                    .map(|_| {
                        libm::round(libm::exp(
                            base_log + pp.log_impressions_sd * libm::sqrt(s.day) * r.normal(),
                        ))
                        .min(1e9) as u64
                    })
                    .sum();
                let clicks = r.binomial(impressions, ctr);
                net.records.push(CreativeRecord {
                    assignment: if marked {
                        Assignment::Randomised
                    } else {
                        Assignment::Chosen
                    },
                    record_id: format!("{}-c{ci:02}-{}", account.account_id, platform.as_str()),
                    account_id: account.account_id.clone(),
                    campaign_id: Some(format!("{}-{}", account.account_id, platform.as_str())),
                    source: RecordSource::Simulated,
                    platform,
                    network: None,
                    currency: None,
                    date_start: None,
                    date_end: None,
                    niche: Some(niche),
                    hook_type: spec.hook,
                    cta_style: spec.cta,
                    visual_tags: spec.visual_tags.clone(),
                    format: spec.format,
                    duration_s: spec.duration_s,
                    posting_hour: Some(spec.posting_hour),
                    headline: String::new(),
                    body: String::new(),
                    impressions,
                    clicks,
                    conversions: None,
                    conversion_scope: ConversionScope::ClickThrough,
                    spend: libm::round(impressions as f64 * pp.cpm_median / 10.0) / 100.0,
                    revenue: None,
                    engagements: None,
                    video_views: None,
                    daily: Vec::new(),
                });
                net.true_ctr.push(ctr);
                net.specs.push(spec);
            }
        }
        net.accounts.push(account);
    }
    Ok(net)
}
