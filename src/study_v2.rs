//! The network-effect study of release format 2 ([`crate::wisdom::suffstat`]): does the niche's
//! posterior table make a **new** account's first creatives better? Runs on the frozen simulator
//! v1 or on simulator v2 ([`crate::sim::v2`], `sim: v2`: a truth drawn from a prior by
//! `truth_seed`), so **every number is SIMULATED**.
//!
//! On simulator v2 the network is [`generate_network_v2`] (period 0) under the truth, the new
//! accounts act in period 1 with their own quality and per-value deviations and draw their
//! unguided creatives with the same confounded choice model; the *niche-level* oracle knows the
//! niche × platform effects of period 1, the *per-account* oracle also the account's deviations.
//! Everything else (release, posteriors, policies, measures) is the same as below.
//!
//! **Setup** (per seed).
//! 1. *Wisdom network*: `accounts_per_niche × 15` simulated accounts (simulator v1, chunks of
//!    [`crate::sim::MAX_ACCOUNTS`], chunk `c` with seed `seed + c`), all opted in. Each account's
//!    records become one [`encode_account`] contribution for its niche; one period is released
//!    with [`release_period`] (ledger checked and charged, noise from ChaCha20 seeded by the
//!    seed) and post-processed with [`posteriors`].
//! 2. *New accounts*: exactly the new accounts of [`crate::study`] (same streams): niche
//!    `j mod 15`, platform `KNOWN[(j / 15) mod 3]`, account effect and per-launch creative noise
//!    shared by the arms (common random numbers).
//! 3. *Arms*: **unguided** (the simulator's own draws), **guided** ([`greedy_choice`]: greedy on
//!    the posterior means, for a new account without outcomes), **oracle** (the argmax of the true
//!    CTR, [`oracle_choice`]), and **Thompson in a loop** ([`OwnLearner`]): the release's posteriors
//!    are the prior of a per-account Bayesian regression that is updated with the clicks the account
//!    observes on every creative it launches (impressions per launch: the platform's simulated
//!    volume over 14 days); each launch draws every coefficient from its current marginal posterior
//!    and applies [`greedy_choice`] to the draw. Simulator v1 has no per-account heterogeneity of attribute effects,
//!    so its per-account oracle is the niche-level oracle.
//! 4. *Measures* (true CTR): the **share of the oracle's gain** `(guided − unguided) / (oracle −
//!    unguided)` on the mean true CTR of the first 10 launches (overall and per platform), and the
//!    regret `oracle − guided` in CTR percentage points, per launch (mean) and cumulative (sum),
//!    over the first 10, 30 and 100 launches.
//!
//! Over seeds, [`summarise`] gives the mean share and its 95 % interval (Student t over seeds).

use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::privacy::dgauss::noise_rng_from_seed;
use crate::privacy::zcdp::{epsilon_of_rho, BudgetPolicy, PrivacyLedger};
use crate::record::{AdFormat, Assignment, CreativeRecord, CtaStyle, HookType, VisualTag};
use crate::rng::Rng;
use crate::sim::truth::{draw_record_attributes, true_ctr, CreativeSpec};
use crate::sim::v2::{
    draw_attributes, draw_attributes_with, draw_hook_cta, generate_network_v2_briefed, Confounders,
    NetworkDesign, SimV2Prior, TruthTable,
};
use crate::sim::{generate_network, SimOptions, SimParams};
use crate::study::oracle_choice;
use crate::wisdom::suffstat::{
    account_contribution, combine_periods, encode_account, posteriors, release_period, Arm,
    Contribute, Factor, PosteriorTable, SuffContribution, SuffStatConfig, SuffStatPool,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The same stream salts as [`crate::study`]: the new accounts are the same.
const NEW_ACCOUNT_SALT: u64 = 0x5354_5544_595f_4e45;
const RELEASE_SALT: u64 = 0x5354_5544_595f_5232; // "STUDY_R2"

/// Horizons of the regret table.
pub const HORIZONS: [usize; 3] = [10, 30, 100];

/// What to run for one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudyV2Config {
    /// Seed of the network, the new accounts and the release noise.
    pub seed: u64,
    /// Accounts per niche in the wisdom network (15 niches).
    pub accounts_per_niche: u32,
    /// New accounts.
    pub new_accounts: u32,
    /// Simulator effect scale.
    pub effect_scale: f64,
    /// Most visual tags of a guided or oracle creative.
    pub max_visual_tags: usize,
    /// The release.
    pub release: SuffStatConfig,
    /// Which simulator draws the network and the new accounts' truth.
    pub sim: SimVersion,
    /// Simulator v2 only: the truth seed (which effect table is drawn from the prior).
    pub truth_seed: u64,
    /// Simulator v2 only: the prior (`None`: the committed `data/sim-v2-prior.json`).
    pub prior: Option<SimV2Prior>,
    /// Simulator v2 only: share of the network's accounts in the exploration cohort
    /// ([`NetworkDesign::exploration_share`]; 0: nobody explores).
    pub exploration_share: f64,
    /// Simulator v2 only: share of a cohort account's creatives that are randomised
    /// ([`NetworkDesign::creative_share`]; default 1).
    pub creative_share: f64,
    /// Simulator v2 only: whose contributions the release counts.
    pub release_from: ReleaseFrom,
    /// Simulator v2 only: how an explorer's randomised creative is briefed.
    pub briefs: Briefs,
    /// Simulator v2 only: share of the creatives marked randomised that were in fact chosen
    /// ([`NetworkDesign::mislabel_share`]; default 0).
    pub mislabel_share: f64,
}

/// How an exploring account's randomised creatives are briefed (simulator v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Briefs {
    /// Every value the platform runs alike (`randomised_brief`, what the product draws today).
    #[default]
    Uniform,
    /// A Thompson draw from the release the network had before (every account in the network
    /// contributing, nobody exploring): per factor the value that is best under one draw of the
    /// release's posterior ([`thompson_brief`]). Still a randomised design — the choice depends
    /// on the published release and fresh randomness only, never on the account's quality or the
    /// creative's noise — but the likely-better values are drawn more often. The study releases
    /// twice: that earlier release, then the network again with the cohort briefed from it.
    Thompson,
    /// Uniform among the values the release before the cohort does not rule out
    /// ([`plausible_brief`]: a value is ruled out when its posterior mean + 1.96 sd is below the
    /// average choice). Randomised as [`Briefs::Thompson`] is, released twice the same way.
    Plausible,
    /// [`Briefs::Plausible`], ruled out by the release of a period whose cohort drew uniform
    /// briefs (the same exploration design and release setting, one period earlier): what a
    /// second period of exploring could lean on.
    PlausibleAfterUniform,
}

/// Whose contributions a study's release counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseFrom {
    /// Every opted-in account.
    #[default]
    All,
    /// Only the randomised records (not confounded) of the exploration cohort: the release
    /// setting `contribute: randomised`, accounts without a usable randomised record left out.
    Explorers,
    /// Explorers kept apart: the release setting `contribute: split` (the explorers' randomised
    /// records and everyone else's records in two pools, both released; a niche is served from
    /// its explorers' release once enough explorers are in it, else from both pools together).
    Split,
}

/// The simulator of a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimVersion {
    /// The frozen simulator v1 (one hand-chosen effect table).
    #[default]
    V1,
    /// Simulator v2 ([`crate::sim::v2`]): truths drawn from a prior.
    V2,
}

impl Default for StudyV2Config {
    fn default() -> Self {
        StudyV2Config {
            seed: 2026,
            accounts_per_niche: 2000,
            new_accounts: 900,
            effect_scale: 1.0,
            max_visual_tags: 3,
            release: SuffStatConfig::default(),
            sim: SimVersion::V1,
            truth_seed: 0,
            prior: None,
            exploration_share: 0.0,
            creative_share: 1.0,
            release_from: ReleaseFrom::All,
            briefs: Briefs::Uniform,
            mislabel_share: 0.0,
        }
    }
}

/// One seed's result (SIMULATED).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyV2Result {
    /// The configuration.
    pub config: StudyV2Config,
    /// Mean true CTR of the first 10 launches: guided, unguided, oracle.
    pub mean_ctr: [f64; 3],
    /// Share of the (niche-level) oracle's gain on the first 10 launches.
    pub share: f64,
    /// Mean true CTR of the first 10 launches of the per-account oracle (simulator v1: the
    /// niche-level oracle, as v1 has no per-account heterogeneity of attribute effects).
    pub mean_ctr_account_oracle: f64,
    /// Share of the per-account oracle's gain on the first 10 launches.
    pub share_account_oracle: f64,
    /// The per-account share per platform.
    pub share_account_oracle_by_platform: [f64; 3],
    /// Cumulative regret against the per-account oracle over each of [`HORIZONS`].
    pub account_oracle_regret_cumulative: [f64; 3],
    /// The share per platform (meta, tiktok, google_ads).
    pub share_by_platform: [f64; 3],
    /// Regret (oracle − guided, CTR percentage points): mean per launch over each of [`HORIZONS`].
    pub regret_per_launch: [f64; 3],
    /// Cumulative regret (sum over launches, percentage points) over each of [`HORIZONS`].
    pub regret_cumulative: [f64; 3],
    /// The unguided arm's cumulative regret over each of [`HORIZONS`] (reference).
    pub unguided_regret_cumulative: [f64; 3],
    /// The Thompson-in-a-loop arm's cumulative regret over each of [`HORIZONS`].
    pub thompson_regret_cumulative: [f64; 3],
    /// The Thompson-in-a-loop arm's share of the oracle's gain on the first 10 launches.
    pub thompson_share: f64,
    /// Niches published.
    pub published_niches: u32,
    /// Values with a niche-level posterior (shown), summed over niches.
    pub niche_values: u32,
    /// Values with a posterior from the global release only, summed over niches.
    pub global_values: u32,
    /// Share of contributions whose vector was clipped (its norm reached the bound).
    pub clipped_share: f64,
    /// Simulator v2: mean true CTR of the network's records, chosen and randomised (in the
    /// exploration cohort) (`None` where there is none, and on simulator v1): what randomising
    /// costs the explorers.
    pub network_ctr: [Option<f64>; 2],
    /// Simulator v2: mean true CTR of the new accounts' first 10 launches had each been a
    /// randomised brief (an exploring account's choice: no confounding, every format the
    /// platform runs and every hour alike; same account, same creative noise as the other arms;
    /// `None` on simulator v1). Beside `mean_ctr[0]` it is what exploring costs an account that
    /// would otherwise follow the release: randomising a share `c` of launches gives
    /// `(1 − c) · guided + c · randomised` ([`StudyV2Result::explorer_ctr`]).
    #[serde(default)]
    pub randomised_ctr: Option<f64>,
    /// `ρ` of one release.
    pub rho: f64,
    /// `ε` of one release at its `δ`.
    pub epsilon: f64,
}

impl StudyV2Result {
    /// Simulator v2: the mean true CTR of the first 10 launches of a new account that follows the
    /// release and makes a share `c` of its launches from randomised briefs,
    /// `(1 − c) · mean_ctr[0] + c · randomised_ctr` (each launch randomised with probability `c`,
    /// independently). A named error on simulator v1 (field `sim`: no randomised arm there) or
    /// when `c` is not in 0..=1 (field `creative_share`).
    pub fn explorer_ctr(&self, c: f64) -> Result<f64> {
        if !(0.0..=1.0).contains(&c) {
            return Err(invalid("creative_share", format!("{c} is not in 0..=1")));
        }
        let r = self.randomised_ctr.ok_or_else(|| {
            invalid(
                "sim",
                "simulator v1 has no randomised arm (use simulator v2)".into(),
            )
        })?;
        Ok((1.0 - c) * self.mean_ctr[0] + c * r)
    }
}

fn invalid(field: &str, message: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, message)
}

/// The greedy creative for a new account without outcomes: per factor, the value with the
/// highest posterior mean when that mean is above the average choice (> 0), else the account's
/// own draw. Visual tags: those with a positive mean, best first, then the own drawn tags without
/// a posterior; at most `max_visual_tags`. Format (on the account's platform): the highest of
/// `mean(format) + [video] · max(0, best duration mean)`; a video gets the best duration bucket's
/// midpoint.
pub fn greedy_choice(
    table: &PosteriorTable,
    own: &CreativeSpec,
    max_visual_tags: usize,
) -> CreativeSpec {
    let mut s = own.clone();
    let best = |f: Factor, p: Option<Platform>| {
        table
            .factor(f, p)
            .max_by(|a, b| a.mean.total_cmp(&b.mean))
            .filter(|v| v.mean > 0.0)
            .map(|v| (v.cell.value.clone(), v.mean))
    };
    if let Some(h) = best(Factor::Hook, None).and_then(|(v, _)| HookType::from_str(&v).ok()) {
        s.hook = h;
    }
    if let Some(c) = best(Factor::Cta, None).and_then(|(v, _)| CtaStyle::from_str(&v).ok()) {
        s.cta = c;
    }
    let mut tags: Vec<(f64, VisualTag)> = table
        .factor(Factor::Visual, None)
        .filter(|v| v.mean > 0.0)
        .filter_map(|v| VisualTag::from_str(&v.cell.value).ok().map(|t| (v.mean, t)))
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    let known: Vec<VisualTag> = table
        .factor(Factor::Visual, None)
        .filter_map(|v| VisualTag::from_str(&v.cell.value).ok())
        .collect();
    let mut chosen: Vec<VisualTag> = tags.into_iter().map(|(_, t)| t).collect();
    for t in &own.visual_tags {
        if !known.contains(t) && !chosen.contains(t) {
            chosen.push(*t);
        }
    }
    chosen.truncate(max_visual_tags);
    s.visual_tags = chosen;
    let duration = best(Factor::Duration, None).and_then(|(v, m)| {
        (0..crate::insights::DURATION_BUCKETS.len())
            .find(|i| crate::insights::duration_bucket_label(*i).as_deref() == Some(v.as_str()))
            .map(|i| (i, m))
    });
    let video_bonus = duration.map_or(0.0, |(_, m)| m);
    let format = table
        .factor(Factor::Format, Some(own.platform))
        .filter_map(|v| AdFormat::from_str(&v.cell.value).ok().map(|f| (f, v.mean)))
        .map(|(f, m)| {
            (
                f,
                m + if f == AdFormat::Video {
                    video_bonus
                } else {
                    0.0
                },
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, m)| *m > 0.0)
        .map(|(f, _)| f);
    if let Some(f) = format {
        s.format = f;
    }
    if s.format == AdFormat::Video {
        if let Some((i, _)) = duration {
            let (lo, hi) = crate::insights::DURATION_BUCKETS[i];
            s.duration_s = Some(libm::round((lo + hi) / 2.0).max(1.0));
        } else if s.duration_s.is_none() {
            s.duration_s = Some(20.0);
        }
    } else {
        s.duration_s = None;
    }
    if let Some(h) = best(Factor::Hour, None).and_then(|(v, _)| v.parse::<u8>().ok()) {
        if h < 24 {
            s.posting_hour = h;
        }
    }
    s
}

const OWN_SALT: u64 = 0x5354_5544_595f_4f57; // "STUDY_OW"
const V2_SALT: u64 = 0x5354_5544_595f_5632; // "STUDY_V2"
const RANDOMISED_SALT: u64 = 0x5354_5544_595f_5241; // "STUDY_RA"

/// Whether `table` rules a value out: its posterior mean + 1.96 sd is below 0 (the average
/// choice). Values without a posterior are never ruled out.
fn ruled_out(
    table: &PosteriorTable,
    factor: Factor,
    platform: Option<Platform>,
    value: &str,
) -> bool {
    table
        .factor(factor, platform)
        .find(|v| v.cell.value == value)
        .is_some_and(|v| v.mean + 1.96 * v.sd < 0.0)
}

/// A brief uniform among the values `table` does not rule out: `uniform` (a uniform randomised
/// draw) with each ruled-out choice redrawn uniformly among the factor's values that are not
/// (hook, CTA, posting hour, a video's duration bucket), ruled-out visual tags dropped; the format
/// is kept (the table does not say which formats the platform runs). Depends on the table,
/// `uniform`'s attributes and `r` only.
pub fn plausible_brief(
    table: &PosteriorTable,
    uniform: &CreativeSpec,
    r: &mut Rng,
) -> CreativeSpec {
    let mut s = uniform.clone();
    let redraw = |factor: Factor, current: &str, r: &mut Rng| -> Option<String> {
        if !ruled_out(table, factor, None, current) {
            return None;
        }
        let open: Vec<&str> = crate::wisdom::suffstat::cells()
            .iter()
            .filter(|c| c.factor == factor && c.platform.is_none())
            .map(|c| c.value.as_str())
            .filter(|v| !ruled_out(table, factor, None, v))
            .collect();
        (!open.is_empty()).then(|| open[r.range(0, open.len() as u64 - 1) as usize].to_string())
    };
    if let Some(h) =
        redraw(Factor::Hook, s.hook.as_str(), r).and_then(|v| HookType::from_str(&v).ok())
    {
        s.hook = h;
    }
    if let Some(c) =
        redraw(Factor::Cta, s.cta.as_str(), r).and_then(|v| CtaStyle::from_str(&v).ok())
    {
        s.cta = c;
    }
    if let Some(h) =
        redraw(Factor::Hour, &s.posting_hour.to_string(), r).and_then(|v| v.parse::<u8>().ok())
    {
        s.posting_hour = h;
    }
    if s.format == AdFormat::Video {
        let label = s
            .duration_s
            .and_then(crate::insights::duration_bucket)
            .and_then(crate::insights::duration_bucket_label);
        if let Some(l) = label.and_then(|l| redraw(Factor::Duration, &l, r)) {
            if let Some(i) = (0..crate::insights::DURATION_BUCKETS.len())
                .find(|i| crate::insights::duration_bucket_label(*i).as_deref() == Some(l.as_str()))
            {
                let (lo, hi) = crate::insights::DURATION_BUCKETS[i];
                s.duration_s = Some(libm::round(lo + (hi - lo) * r.uniform()).max(1.0));
            }
        }
    }
    s.visual_tags
        .retain(|t| !ruled_out(table, Factor::Visual, None, t.as_str()));
    s
}

/// A Thompson brief: each value of `table` drawn from its posterior `N(mean, sd²)` once, then
/// [`greedy_choice`] on that draw, with `uniform` (a uniform randomised draw) for every factor the
/// draw leaves open. Depends on the table, `uniform`'s attributes and `r` only (not on
/// `uniform.account_effect` or `uniform.creative_noise`, which are kept).
pub fn thompson_brief(
    table: &PosteriorTable,
    uniform: &CreativeSpec,
    max_visual_tags: usize,
    r: &mut Rng,
) -> CreativeSpec {
    let mut draw = table.clone();
    for v in &mut draw.values {
        v.mean += v.sd * r.normal();
    }
    greedy_choice(&draw, uniform, max_visual_tags)
}

/// A new account's own Bayesian regression of its creatives' log-odds on the release's cells:
/// `y = a + Σ β_cell + e`, prior `β ~ N(posterior mean, sd² + 0.02²)` for the cells of the
/// table (`N(0, 0.1²)` otherwise; never drawn), a vague intercept `N(-4, 2²)`, observation variance
/// `τ² + 1/expected clicks`; exact Gaussian (Kalman) updates, Thompson draws from the marginals.
#[derive(Debug, Clone)]
pub struct OwnLearner {
    mean: Vec<f64>,
    cov: Vec<f64>,
    dim: usize,
    creative_var: f64,
    known: Vec<bool>,
}

impl OwnLearner {
    /// The prior from a niche's posterior table.
    pub fn new(table: &PosteriorTable, creative_var: f64) -> Self {
        let nc = crate::wisdom::suffstat::cell_count();
        let dim = nc + 1;
        let mut mean = vec![0.0; dim];
        let mut cov = vec![0.0; dim * dim];
        let mut known = vec![false; nc];
        for i in 0..nc {
            cov[i * dim + i] = 0.01;
        }
        let index: BTreeMap<&crate::wisdom::suffstat::Cell, usize> =
            crate::wisdom::suffstat::cells()
                .iter()
                .enumerate()
                .map(|(i, c)| (c, i))
                .collect();
        for v in &table.values {
            if let Some(&i) = index.get(&v.cell) {
                mean[i] = v.mean;
                cov[i * dim + i] = v.sd * v.sd + 0.0004;
                known[i] = true;
            }
        }
        mean[nc] = -4.0;
        cov[nc * dim + nc] = 4.0;
        OwnLearner {
            mean,
            cov,
            dim,
            creative_var,
            known,
        }
    }

    /// The cells of a creative (and the intercept).
    fn features(spec: &CreativeSpec) -> Vec<usize> {
        use crate::wisdom::suffstat::{cells, Cell};
        let find = |factor, platform, value: String| {
            let c = Cell {
                factor,
                platform,
                value,
            };
            cells().iter().position(|x| *x == c)
        };
        let mut f = Vec::new();
        f.extend(find(Factor::Hook, None, spec.hook.as_str().into()));
        f.extend(find(Factor::Cta, None, spec.cta.as_str().into()));
        for t in &spec.visual_tags {
            f.extend(find(Factor::Visual, None, t.as_str().into()));
        }
        f.extend(find(
            Factor::Format,
            Some(spec.platform),
            spec.format.as_str().into(),
        ));
        if spec.format == AdFormat::Video {
            if let Some(l) = spec
                .duration_s
                .and_then(crate::insights::duration_bucket)
                .and_then(crate::insights::duration_bucket_label)
            {
                f.extend(find(Factor::Duration, None, l));
            }
        }
        f.extend(find(Factor::Hour, None, spec.posting_hour.to_string()));
        f.sort_unstable();
        f.dedup();
        f.push(crate::wisdom::suffstat::cell_count());
        f
    }

    /// Update with one launched creative's impressions and clicks.
    pub fn observe(&mut self, spec: &CreativeSpec, impressions: u64, clicks: u64) {
        if impressions == 0 {
            return;
        }
        let (n, c) = (impressions as f64, clicks.min(impressions) as f64);
        let y = ((c + 0.5) / (n - c + 0.5)).ln();
        let e = (c + 0.5) * (n / (n + 1.0));
        let r = self.creative_var + 1.0 / e;
        let h = Self::features(spec);
        let d = self.dim;
        // ph = P h (h is a 0/1 vector over the indices in `h`).
        let ph: Vec<f64> = (0..d)
            .map(|i| h.iter().map(|j| self.cov[i * d + j]).sum())
            .collect();
        let s = h.iter().map(|j| ph[*j]).sum::<f64>() + r;
        let resid = y - h.iter().map(|j| self.mean[*j]).sum::<f64>();
        for (m, p) in self.mean.iter_mut().zip(&ph) {
            *m += p / s * resid;
        }
        for (row, pi) in self.cov.chunks_mut(d).zip(&ph) {
            let ki = pi / s;
            if ki == 0.0 {
                continue;
            }
            for (c, pj) in row.iter_mut().zip(&ph) {
                *c -= ki * pj;
            }
        }
    }

    /// A Thompson draw as a posterior table (each coefficient of a value the release covers from
    /// its marginal posterior; values the release says nothing about stay out, as for the greedy
    /// policy).
    pub fn draw(&self, like: &PosteriorTable, r: &mut Rng) -> PosteriorTable {
        let d = self.dim;
        let mut t = like.clone();
        t.values.clear();
        for (i, cell) in crate::wisdom::suffstat::cells().iter().enumerate() {
            if !self.known[i] {
                continue;
            }
            let sd = self.cov[i * d + i].max(0.0).sqrt();
            t.values.push(crate::wisdom::suffstat::ValuePosterior {
                cell: cell.clone(),
                mean: self.mean[i] + sd * r.normal(),
                sd,
                source: crate::wisdom::suffstat::PosteriorSource::Niche,
                release_id: like.release_id.clone(),
            });
        }
        t
    }
}

/// The posterior tables of every niche from a fresh simulated network (see the module docs), the
/// share of contributions that were clipped and the number of niches published. Simulator v2
/// networks are drawn under the truth of `cfg.truth_seed`.
pub fn build_tables(cfg: &StudyV2Config) -> Result<(BTreeMap<Niche, PosteriorTable>, f64, u32)> {
    match cfg.sim {
        SimVersion::V1 => build_tables_v1(cfg),
        SimVersion::V2 => {
            let t = build_tables_v2(cfg, &TruthTable::draw(&prior_of(cfg), cfg.truth_seed)?)?;
            Ok((t.tables, t.clipped_share, t.published))
        }
    }
}

fn prior_of(cfg: &StudyV2Config) -> SimV2Prior {
    cfg.prior.clone().unwrap_or_else(SimV2Prior::default_prior)
}

/// Adds one account's contribution to the pool and counts whether it was clipped.
struct PoolBuilder {
    pool: SuffStatPool,
    bound2: f64,
    clipped: u64,
    contributed: u64,
    /// Sums of true CTR and record counts: outside, inside the exploration cohort.
    ctr: [(f64, u64); 2],
}

impl PoolBuilder {
    fn new(cfg: &StudyV2Config) -> Result<Self> {
        let plan = cfg.release.validate()?;
        let b = plan.sensitivity.floor();
        Ok(PoolBuilder {
            pool: SuffStatPool::new(),
            bound2: b * b,
            clipped: 0,
            contributed: 0,
            ctr: [(0.0, 0); 2],
        })
    }

    fn add(
        &mut self,
        key: &str,
        niche: Niche,
        recs: &[&CreativeRecord],
        cfg: &StudyV2Config,
    ) -> Result<()> {
        self.add_encoded(key, niche, encode_account(recs, &cfg.release)?)
    }

    /// [`Self::add`] of a contribution already encoded.
    fn add_encoded(&mut self, key: &str, niche: Niche, c: SuffContribution) -> Result<()> {
        self.add_in(key, niche, Arm::Main, c)
    }

    /// [`Self::add_encoded`] in the pool `arm`.
    fn add_in(&mut self, key: &str, niche: Niche, arm: Arm, c: SuffContribution) -> Result<()> {
        self.contributed += 1;
        // Clipped: the norm is within 1 % of the bound (squared: 2 %).
        if c.norm2() as f64 >= 0.98 * self.bound2 {
            self.clipped += 1;
        }
        self.pool.set_in(key, niche, arm, c)
    }

    fn release(
        self,
        cfg: &StudyV2Config,
        release: &SuffStatConfig,
    ) -> Result<(BTreeMap<Niche, PosteriorTable>, f64, u32)> {
        let mut ledger = PrivacyLedger::new();
        let mut rng = noise_rng_from_seed(cfg.seed ^ RELEASE_SALT);
        // One release per period; with `combine_periods` > 1 the same pool is released once per
        // period (what the Worker does: an account contributes its records every period) with
        // fresh noise each time, every release charged, and the posteriors combine them.
        let mut releases = Vec::new();
        for period in 0..i64::from(release.combine_periods) {
            releases.extend(release_period(
                &self.pool,
                period,
                release,
                &mut ledger,
                &BudgetPolicy::default(),
                &mut rng,
            )?);
        }
        // One period comes back as it is (same order: `release_period` is in `Niche::ALL` order).
        let releases = combine_periods(&releases)?;
        // Niches published by the main pool (under `split`, the explorers' releases are not
        // counted here: an empty pool's may pass the count gate without serving its niche).
        let published = releases
            .iter()
            .filter(|r| r.published && r.arm == Arm::Main)
            .count() as u32;
        let tables = posteriors(&releases, release)
            .into_iter()
            .map(|t| (t.niche, t))
            .collect();
        let share = if self.contributed == 0 {
            0.0
        } else {
            self.clipped as f64 / self.contributed as f64
        };
        Ok((tables, share, published))
    }
}

fn group_by_account(records: &[CreativeRecord]) -> BTreeMap<&str, Vec<&CreativeRecord>> {
    let mut by_account: BTreeMap<&str, Vec<&CreativeRecord>> = BTreeMap::new();
    for r in records {
        by_account.entry(&r.account_id).or_default().push(r);
    }
    by_account
}

fn build_tables_v1(cfg: &StudyV2Config) -> Result<(BTreeMap<Niche, PosteriorTable>, f64, u32)> {
    let mut b = PoolBuilder::new(cfg)?;
    let total = cfg.accounts_per_niche as u64 * Niche::ALL.len() as u64;
    let mut remaining = total;
    let mut chunk = 0u64;
    while remaining > 0 {
        let n = remaining.min(u64::from(crate::sim::MAX_ACCOUNTS)) as u32;
        remaining -= u64::from(n);
        let net = generate_network(&SimOptions {
            seed: cfg.seed.wrapping_add(chunk),
            accounts: n,
            effect_scale: Some(cfg.effect_scale),
        })?;
        let by_account = group_by_account(&net.records);
        for a in &net.accounts {
            let recs = by_account
                .get(a.account_id.as_str())
                .cloned()
                .unwrap_or_default();
            b.add(&format!("c{chunk}-{}", a.account_id), a.niche, &recs, cfg)?;
        }
        chunk += 1;
    }
    b.release(cfg, &cfg.release)
}

/// What [`build_tables_v2`] gives.
#[derive(Debug, Clone, PartialEq)]
pub struct V2Tables {
    /// The posterior table of every niche.
    pub tables: BTreeMap<Niche, PosteriorTable>,
    /// Share of contributions that were clipped.
    pub clipped_share: f64,
    /// Niches published.
    pub published: u32,
    /// The network's mean true CTR outside and inside the exploration cohort (`None` where
    /// there is none).
    pub network_ctr: [Option<f64>; 2],
    /// [`Briefs::Thompson`]: the earlier release the cohort's briefs were drawn from.
    pub briefed_from: Option<BTreeMap<Niche, PosteriorTable>>,
}

/// The tables from a simulator v2 network under `truth` (accounts `0..accounts_per_niche × 15`
/// of seed `cfg.seed`, built in chunks), and the network's mean true CTR outside and inside the
/// exploration cohort.
pub fn build_tables_v2(cfg: &StudyV2Config, truth: &TruthTable) -> Result<V2Tables> {
    match cfg.briefs {
        Briefs::Uniform => build_tables_v2_briefed(cfg, truth, None),
        Briefs::Thompson | Briefs::Plausible | Briefs::PlausibleAfterUniform => {
            let before_cfg = if cfg.briefs == Briefs::PlausibleAfterUniform {
                // The release of a period whose cohort drew uniform briefs (the same design).
                StudyV2Config {
                    briefs: Briefs::Uniform,
                    ..cfg.clone()
                }
            } else {
                // The release before the cohort: every account contributing, nobody exploring.
                StudyV2Config {
                    exploration_share: 0.0,
                    creative_share: 1.0,
                    release_from: ReleaseFrom::All,
                    briefs: Briefs::Uniform,
                    ..cfg.clone()
                }
            };
            let before = build_tables_v2_briefed(&before_cfg, truth, None)?;
            let mut t = build_tables_v2_briefed(cfg, truth, Some(&before.tables))?;
            t.briefed_from = Some(before.tables);
            Ok(t)
        }
    }
}

/// The brief of `cfg.briefs` from `table`, given the uniform draw `u`.
fn brief_from(
    cfg: &StudyV2Config,
    table: &PosteriorTable,
    u: &CreativeSpec,
    r: &mut Rng,
) -> CreativeSpec {
    match cfg.briefs {
        Briefs::Uniform => u.clone(),
        Briefs::Thompson => thompson_brief(table, u, cfg.max_visual_tags, r),
        Briefs::Plausible | Briefs::PlausibleAfterUniform => plausible_brief(table, u, r),
    }
}

fn build_tables_v2_briefed(
    cfg: &StudyV2Config,
    truth: &TruthTable,
    briefed_from: Option<&BTreeMap<Niche, PosteriorTable>>,
) -> Result<V2Tables> {
    let mut b = PoolBuilder::new(cfg)?;
    let drawer = |u: &CreativeSpec, r: &mut Rng| match briefed_from.and_then(|m| m.get(&u.niche)) {
        Some(t) => brief_from(cfg, t, u, r),
        None => u.clone(),
    };
    let brief: Option<crate::sim::v2::BriefDrawer> = match briefed_from {
        Some(_) => Some(&drawer),
        None => None,
    };
    // "Explorers": the release's own setting `contribute: randomised` (what the Worker would run).
    let mut release = cfg.release.clone();
    match cfg.release_from {
        ReleaseFrom::All => {}
        ReleaseFrom::Explorers => release.contribute = Contribute::Randomised,
        ReleaseFrom::Split => release.contribute = Contribute::Split,
    }
    let design = NetworkDesign {
        exploration_share: cfg.exploration_share,
        creative_share: cfg.creative_share,
        mislabel_share: cfg.mislabel_share,
    };
    let total = cfg.accounts_per_niche as u64 * Niche::ALL.len() as u64;
    let mut first = 0u64;
    while first < total {
        let n = (total - first).min(u64::from(crate::sim::MAX_ACCOUNTS)) as u32;
        let net = generate_network_v2_briefed(truth, cfg.seed, first, n, &design, brief)?;
        for (rec, ctr) in net.records.iter().zip(&net.true_ctr) {
            let k = usize::from(rec.assignment == Assignment::Randomised);
            b.ctr[k].0 += ctr;
            b.ctr[k].1 += 1;
        }
        let by_account = group_by_account(&net.records);
        for a in &net.accounts {
            let recs = by_account
                .get(a.account_id.as_str())
                .cloned()
                .unwrap_or_default();
            let (arm, c) = account_contribution(&recs, &release)?;
            // As the Worker does (`period_contribution`): an account whose randomised records
            // give nothing does not contribute (nor count).
            if release.contribute == Contribute::Randomised && c.is_empty() {
                continue;
            }
            b.add_in(&a.account_id, a.niche, arm, c)?;
        }
        first += u64::from(n);
    }
    let network_ctr = b.ctr.map(|(s, n)| (n > 0).then(|| s / n as f64));
    let (tables, clipped_share, published) = b.release(cfg, &release)?;
    Ok(V2Tables {
        tables,
        clipped_share,
        published,
        network_ctr,
        briefed_from: None,
    })
}

/// Run one seed. Deterministic in `cfg`.
pub fn run_study_v2(cfg: &StudyV2Config) -> Result<StudyV2Result> {
    if cfg.accounts_per_niche == 0 || cfg.accounts_per_niche > 100_000 {
        return Err(invalid("accounts_per_niche", "must be 1..=100000".into()));
    }
    if cfg.new_accounts == 0 || cfg.new_accounts > 100_000 {
        return Err(invalid("new_accounts", "must be 1..=100000".into()));
    }
    if !(cfg.effect_scale.is_finite() && cfg.effect_scale >= 0.0) {
        return Err(invalid("effect_scale", "must be finite and >= 0".into()));
    }
    let plan = cfg.release.validate()?;
    if cfg.sim == SimVersion::V1
        && (cfg.exploration_share != 0.0
            || cfg.creative_share != 1.0
            || cfg.release_from != ReleaseFrom::All
            || cfg.briefs != Briefs::Uniform
            || cfg.mislabel_share != 0.0)
    {
        return Err(invalid(
            "exploration_share",
            "an exploration cohort needs simulator v2".into(),
        ));
    }
    if cfg.release_from == ReleaseFrom::Explorers && cfg.exploration_share <= 0.0 {
        return Err(invalid(
            "release_from",
            "explorers needs exploration_share > 0".into(),
        ));
    }
    if cfg.release_from != ReleaseFrom::All && cfg.release.contribute != Contribute::All {
        return Err(invalid(
            "release_from",
            "set either release_from or the release's contribute, not both".into(),
        ));
    }
    let (tables, clipped_share, published, acc, network_ctr) = match cfg.sim {
        SimVersion::V1 => {
            let (tables, clipped, published) = build_tables_v1(cfg)?;
            let acc = new_accounts_v1(cfg, &tables)?;
            (tables, clipped, published, acc, [None; 2])
        }
        SimVersion::V2 => {
            let truth = TruthTable::draw(&prior_of(cfg), cfg.truth_seed)?;
            let t = build_tables_v2(cfg, &truth)?;
            let acc = new_accounts_v2(cfg, &truth, &t.tables, t.briefed_from.as_ref());
            (t.tables, t.clipped_share, t.published, acc, t.network_ctr)
        }
    };
    let (first10, n10, regret) = (acc.first10, acc.n10, acc.regret);
    let share_of = |g: f64, u: f64, o: f64| if o > u { (g - u) / (o - u) } else { f64::NAN };
    let total10: f64 = n10.iter().sum::<u64>() as f64;
    let mean_ctr: [f64; 3] = std::array::from_fn(|a| first10[a].iter().sum::<f64>() / total10);
    let ts_ctr = first10[3].iter().sum::<f64>() / total10;
    let account_oracle_ctr = first10[4].iter().sum::<f64>() / total10;
    let randomised_ctr =
        (cfg.sim == SimVersion::V2).then(|| first10[5].iter().sum::<f64>() / total10);
    let by_platform = |o: usize| -> [f64; 3] {
        std::array::from_fn(|k| {
            if n10[k] == 0 {
                f64::NAN
            } else {
                share_of(first10[0][k], first10[1][k], first10[o][k])
            }
        })
    };
    let accounts = f64::from(cfg.new_accounts);
    let (mut niche_values, mut global_values) = (0u32, 0u32);
    for t in tables.values() {
        for v in &t.values {
            match v.source {
                crate::wisdom::suffstat::PosteriorSource::Niche => niche_values += 1,
                crate::wisdom::suffstat::PosteriorSource::Global => global_values += 1,
            }
        }
    }
    Ok(StudyV2Result {
        config: cfg.clone(),
        mean_ctr,
        share: share_of(mean_ctr[0], mean_ctr[1], mean_ctr[2]),
        mean_ctr_account_oracle: account_oracle_ctr,
        share_account_oracle: share_of(mean_ctr[0], mean_ctr[1], account_oracle_ctr),
        share_account_oracle_by_platform: by_platform(4),
        account_oracle_regret_cumulative: std::array::from_fn(|h| 100.0 * regret[3][h] / accounts),
        share_by_platform: by_platform(2),
        regret_per_launch: std::array::from_fn(|h| {
            100.0 * regret[0][h] / (accounts * HORIZONS[h] as f64)
        }),
        regret_cumulative: std::array::from_fn(|h| 100.0 * regret[0][h] / accounts),
        unguided_regret_cumulative: std::array::from_fn(|h| 100.0 * regret[1][h] / accounts),
        thompson_regret_cumulative: std::array::from_fn(|h| 100.0 * regret[2][h] / accounts),
        thompson_share: share_of(ts_ctr, mean_ctr[1], mean_ctr[2]),
        published_niches: published,
        niche_values,
        global_values,
        clipped_share,
        network_ctr,
        randomised_ctr,
        rho: plan.rho,
        epsilon: epsilon_of_rho(plan.rho, cfg.release.delta),
    })
}

/// Sums over the new accounts. Arms: 0 guided, 1 unguided, 2 niche-level oracle, 3 Thompson in
/// a loop, 4 per-account oracle, 5 randomised brief (simulator v2; 0 on v1).
struct Acc {
    /// `[arm][platform]` sums of true CTR over the first 10 launches.
    first10: [[f64; 3]; 6],
    /// Launches counted per platform in `first10`.
    n10: [u64; 3],
    /// Regret sums per horizon: guided, unguided, Thompson vs the niche oracle; guided vs the
    /// per-account oracle.
    regret: [[f64; 3]; 4],
}

impl Acc {
    fn new() -> Self {
        Acc {
            first10: [[0.0; 3]; 6],
            n10: [0; 3],
            regret: [[0.0; 3]; 4],
        }
    }

    fn launch(&mut self, pi: usize, i: usize, ctr: [f64; 6]) {
        if i < 10 {
            self.n10[pi] += 1;
            for (sums, c) in self.first10.iter_mut().zip(ctr) {
                sums[pi] += c;
            }
        }
        for (h, hz) in HORIZONS.iter().enumerate() {
            if i < *hz {
                self.regret[0][h] += ctr[2] - ctr[0];
                self.regret[1][h] += ctr[2] - ctr[1];
                self.regret[2][h] += ctr[2] - ctr[3];
                self.regret[3][h] += ctr[4] - ctr[0];
            }
        }
    }
}

fn launches() -> usize {
    *HORIZONS.iter().max().unwrap_or(&10)
}

/// The new accounts of simulator v1 (the niche-level oracle is also the per-account one).
fn new_accounts_v1(cfg: &StudyV2Config, tables: &BTreeMap<Niche, PosteriorTable>) -> Result<Acc> {
    let p = SimParams::v1();
    let hooks: Vec<HookType> = p.hook.keys().copied().collect();
    let ctas: Vec<CtaStyle> = p.cta.keys().copied().collect();
    let mut acc = Acc::new();
    for j in 0..cfg.new_accounts {
        let niche = Niche::ALL[j as usize % Niche::ALL.len()];
        let platform = Platform::KNOWN[(j as usize / Niche::ALL.len()) % Platform::KNOWN.len()];
        let pi = platform.index().min(2);
        let mut ra = Rng::stream(cfg.seed ^ NEW_ACCOUNT_SALT, u64::from(j));
        let account_effect = ra.normal() * p.account_ctr_sd;
        let table = &tables[&niche];
        let oracle = oracle_choice(&p, niche, platform, cfg.max_visual_tags);
        let mut learner = OwnLearner::new(table, cfg.release.creative_var);
        let mut ro = Rng::stream(cfg.seed ^ OWN_SALT, u64::from(j));
        let pp = p.platform(platform);
        for i in 0..launches() {
            let creative_noise = ra.normal() * p.creative_ctr_sd;
            let hook = hooks[ra.range(0, hooks.len() as u64 - 1) as usize];
            let cta = ctas[ra.range(0, ctas.len() as u64 - 1) as usize];
            let d = draw_record_attributes(&p, platform, &mut ra);
            let unguided = CreativeSpec {
                niche,
                platform,
                hook,
                cta,
                visual_tags: d.visual_tags,
                format: d.format,
                duration_s: d.duration_s,
                posting_hour: d.posting_hour,
                account_effect,
                creative_noise,
            };
            let guided = greedy_choice(table, &unguided, cfg.max_visual_tags);
            let best = CreativeSpec {
                account_effect,
                creative_noise,
                ..oracle.clone()
            };
            let ts = greedy_choice(
                &learner.draw(table, &mut ro),
                &unguided,
                cfg.max_visual_tags,
            );
            let o = true_ctr(&p, cfg.effect_scale, &best)?.ctr;
            let ctr = [
                true_ctr(&p, cfg.effect_scale, &guided)?.ctr,
                true_ctr(&p, cfg.effect_scale, &unguided)?.ctr,
                o,
                true_ctr(&p, cfg.effect_scale, &ts)?.ctr,
                o,
                0.0,
            ];
            // The account observes its Thompson creative's clicks (14 days of delivery).
            let impressions = libm::round(
                14.0 * libm::exp(pp.log_impressions_mean + pp.log_impressions_sd * ro.normal()),
            )
            .min(1e9) as u64;
            let clicks = ro.binomial(impressions, ctr[3]);
            learner.observe(&ts, impressions, clicks);
            acc.launch(pi, i, ctr);
        }
    }
    Ok(acc)
}

/// The new accounts of simulator v2: they act in period 1 (after one period of drift), each with
/// its own quality and deviations; the unguided arm draws with the same confounded choice model
/// as the network's accounts.
fn new_accounts_v2(
    cfg: &StudyV2Config,
    truth: &TruthTable,
    tables: &BTreeMap<Niche, PosteriorTable>,
    briefed_from: Option<&BTreeMap<Niche, PosteriorTable>>,
) -> Acc {
    let mut acc = Acc::new();
    let mut effects: BTreeMap<(Niche, Platform), Vec<f64>> = BTreeMap::new();
    for j in 0..cfg.new_accounts {
        let niche = Niche::ALL[j as usize % Niche::ALL.len()];
        let platform = Platform::KNOWN[(j as usize / Niche::ALL.len()) % Platform::KNOWN.len()];
        let pi = platform.index().min(2);
        let account = truth.account(cfg.seed ^ NEW_ACCOUNT_SALT, u64::from(j));
        let q = account.quality;
        let eff = effects
            .entry((niche, platform))
            .or_insert_with(|| truth.effects(niche, platform, 1));
        let table = &tables[&niche];
        let oracle_n = truth.oracle(niche, platform, eff, None, cfg.max_visual_tags);
        let oracle_a = truth.oracle(
            niche,
            platform,
            eff,
            Some(&account.deviation),
            cfg.max_visual_tags,
        );
        let mut ra = Rng::stream(cfg.seed ^ NEW_ACCOUNT_SALT ^ V2_SALT, u64::from(j));
        let mut ro = Rng::stream(cfg.seed ^ OWN_SALT, u64::from(j));
        // The randomised brief's own stream, so the other arms' draws are unchanged.
        let mut rr = Rng::stream(cfg.seed ^ RANDOMISED_SALT, u64::from(j));
        let mut learner = OwnLearner::new(table, cfg.release.creative_var);
        let pp = truth.params.platform(platform);
        for i in 0..launches() {
            let e = truth.creative_noise(&mut ra);
            let (hook, cta) = draw_hook_cta(truth, truth.confounders(q, e), &mut ra);
            let unguided = draw_attributes(truth, niche, platform, hook, cta, q, e, &mut ra);
            let guided = greedy_choice(table, &unguided, cfg.max_visual_tags);
            let ts = greedy_choice(
                &learner.draw(table, &mut ro),
                &unguided,
                cfg.max_visual_tags,
            );
            let with_noise = |o: &CreativeSpec| CreativeSpec {
                account_effect: q,
                creative_noise: e,
                ..o.clone()
            };
            let (rh, rc) = draw_hook_cta(truth, Confounders::NONE, &mut rr);
            let mut randomised =
                draw_attributes_with(truth, niche, platform, rh, rc, q, e, true, &mut rr);
            if let Some(t) = briefed_from.and_then(|m| m.get(&niche)) {
                randomised = brief_from(cfg, t, &randomised, &mut rr);
            }
            let ctr_of = |s: &CreativeSpec| truth.ctr_with(eff, s, &account);
            let ctr = [
                ctr_of(&guided),
                ctr_of(&unguided),
                ctr_of(&with_noise(&oracle_n)),
                ctr_of(&ts),
                ctr_of(&with_noise(&oracle_a)),
                ctr_of(&randomised),
            ];
            let impressions = libm::round(
                14.0 * libm::exp(pp.log_impressions_mean + pp.log_impressions_sd * ro.normal()),
            )
            .min(1e9) as u64;
            let clicks = ro.binomial(impressions, ctr[3]);
            learner.observe(&ts, impressions, clicks);
            acc.launch(pi, i, ctr);
        }
    }
    acc
}

/// Mean and 95 % interval (Student t over the values; the half-width is 0 for one value).
pub fn mean_ci95(xs: &[f64]) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, mean, mean);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    // t quantiles 0.975 for 1..=10 degrees of freedom, then the normal's.
    const T: [f64; 10] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    ];
    let t = T.get(n - 2).copied().unwrap_or(1.96);
    let h = t * (var / n as f64).sqrt();
    (mean, mean - h, mean + h)
}

/// Summary of several seeds of one setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyV2Summary {
    /// The seeds' results.
    pub runs: Vec<StudyV2Result>,
    /// Share of the (niche-level) oracle's gain: mean, 95 % low, 95 % high.
    pub share: (f64, f64, f64),
    /// Share of the per-account oracle's gain: mean, 95 % low, 95 % high.
    pub share_account_oracle: (f64, f64, f64),
}

/// Run `seeds` with `base` (its seed replaced by each) and summarise.
pub fn summarise(base: &StudyV2Config, seeds: &[u64]) -> Result<StudyV2Summary> {
    let pairs: Vec<(u64, u64)> = seeds.iter().map(|s| (*s, base.truth_seed)).collect();
    summarise_pairs(base, &pairs)
}

/// Run each `(seed, truth_seed)` replicate with `base` and summarise (Student t over the
/// replicates).
pub fn summarise_pairs(base: &StudyV2Config, pairs: &[(u64, u64)]) -> Result<StudyV2Summary> {
    let runs = pairs
        .iter()
        .map(|(seed, truth_seed)| {
            run_study_v2(&StudyV2Config {
                seed: *seed,
                truth_seed: *truth_seed,
                ..base.clone()
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let shares: Vec<f64> = runs.iter().map(|r| r.share).collect();
    let account: Vec<f64> = runs.iter().map(|r| r.share_account_oracle).collect();
    Ok(StudyV2Summary {
        share: mean_ci95(&shares),
        share_account_oracle: mean_ci95(&account),
        runs,
    })
}
