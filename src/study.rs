//! The network-effect study: does private niche wisdom make a **new** account's first creatives
//! better? Everything here runs on the frozen simulator, so **every number is SIMULATED**.
//!
//! **Setup.**
//! 1. *Wisdom network.* `network_accounts` simulated accounts (seed `seed`), all opted in. Each
//!    account's records become its [`WisdomContribution`](crate::wisdom::WisdomContribution)
//!    ([`wisdom_contribution`], insight data gate `min_campaigns = 1`: a simulated campaign is one
//!    account x platform, so the default gate of 3 would keep only the 15 % of accounts on three
//!    platforms). Each niche's aggregate is released once with [`release_wisdom`] under the given
//!    [`ReleaseConfig`] (k, epsilon); noise from a seeded stream.
//! 2. *New accounts.* `new_accounts` accounts that are not in the network: niche `j mod 15`,
//!    platform `KNOWN[(j / 15) mod 3]`, account effect `a ~ N(0, account_ctr_sd²)` from a stream
//!    the network generator never uses. Each launches creatives one after another; launch `i` has
//!    creative noise `e_i ~ N(0, creative_ctr_sd²)`, **shared by the three arms** (common random
//!    numbers: the arms differ only in the attributes they choose).
//! 3. *Arms.*
//!    - **unguided**: the simulator's own draws ([`draw_record_attributes`], hook and CTA uniform,
//!      as the generator) = what an account does alone;
//!    - **guided**: attributes chosen from the niche's release by Thompson sampling on the
//!      released lifts (below); attributes the release says nothing about (format; an attribute
//!      with no value published) keep the unguided draw;
//!    - **oracle**: the argmax of the true CTR ([`oracle_choice`]; at most `max_visual_tags` tags).
//! 4. *Measures* (true CTR from [`true_ctr`], never observed clicks):
//!    - mean true CTR of the first `launches` creatives over accounts and launches, and the
//!      relative gain over unguided;
//!    - launches until the first **winner**: a creative whose true CTR reaches the
//!      `winner_quantile` (default 0.8) of the true CTRs of the wisdom network's records in the
//!      same niche x platform (a top-quintile creative in its niche on its platform). Searched up
//!      to `winner_horizon` launches; an account with none by then counts as `winner_horizon`
//!      (reported as `never_won_share`; the mean is then a lower bound).
//!
//! **Guided policy (Thompson sampling on the release).** For each launch and attribute, every
//! published value's log-lift is drawn from `N(ln lift, sd²)` with
//! `sd = (ln hi − ln lo) / (2 · 1.96)` from its released 95 % interval. For the hook type, CTA
//! style, duration bucket (videos only; the bucket's midpoint, rounded) and 3-hour posting bucket
//! (a uniform hour in it) the value with the highest draw is used **if that draw is above the
//! niche average** (log-lift > 0); otherwise the account keeps its own draw. Visual tags: drawn
//! tags whose draw is below 1 are dropped, tags whose draw is above 1 are added (best first), the
//! drawn tags the release says nothing about are kept; at most `max_visual_tags`. Wide intervals
//! (few accounts, strong noise) spread the draws, which is the exploration; a value below `k` (or
//! below the release's noise-aware threshold) is never seen. The insights'
//! own-account winner rule ([`crate::insights::WinnerRule`]) is not used as the study's winner:
//! its TikTok threshold (2.45 %) is 9x the simulator's TikTok base CTR, so almost no simulated
//! TikTok creative could ever win.

use crate::error::{Error, ErrorCode, Result};
use crate::insights::{Attribute, InsightOptions, DURATION_BUCKETS};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{AdFormat, CreativeRecord, CtaStyle, HookType, VisualTag};
use crate::rng::Rng;
use crate::sim::truth::{
    draw_record_attributes, duration_effect, format_effect, hook_effect, true_ctr, visual_effect,
    CreativeSpec,
};
use crate::sim::{generate_network, SimOptions, SimParams};
use crate::wisdom::{
    release_wisdom, wisdom_contribution, AccountConsent, AttributeLift, ContributionPool,
    NicheWisdom, ReleaseConfig, ReleaseId,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Stream salts: the study's draws never overlap the generator's account streams.
const NEW_ACCOUNT_SALT: u64 = 0x5354_5544_595f_4e45; // "STUDY_NE"
const POLICY_SALT: u64 = 0x5354_5544_595f_504f; // "STUDY_PO"
const RELEASE_SALT: u64 = 0x5354_5544_595f_5245; // "STUDY_RE"

/// Most accounts in a study's wisdom network (simulated in chunks of [`crate::sim::MAX_ACCOUNTS`]).
pub const MAX_NETWORK_ACCOUNTS: u32 = 1_000_000;

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StudyConfig {
    /// Seed of everything (network, new accounts, noise, policy draws).
    pub seed: u64,
    /// Accounts in the wisdom network (all opted in).
    pub network_accounts: u32,
    /// New accounts per arm.
    pub new_accounts: u32,
    /// Creatives whose mean true CTR is reported (default 10).
    pub launches: u32,
    /// Most launches searched for a first winner (default 100).
    pub winner_horizon: u32,
    /// Winner threshold: this quantile of the network's true CTRs in the niche x platform.
    pub winner_quantile: f64,
    /// Simulator effect scale.
    pub effect_scale: f64,
    /// Most visual tags a guided or oracle creative carries (default 3).
    pub max_visual_tags: usize,
    /// How the wisdom is released (k, epsilon, ...).
    pub release: ReleaseConfig,
}

impl Default for StudyConfig {
    fn default() -> Self {
        StudyConfig {
            seed: 2026,
            network_accounts: 30_000,
            new_accounts: 900,
            launches: 10,
            winner_horizon: 100,
            winner_quantile: 0.8,
            effect_scale: 1.0,
            max_visual_tags: 3,
            release: ReleaseConfig::default(),
        }
    }
}

/// The three arms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    /// Attributes chosen from the niche's release.
    Guided,
    /// The simulator's own draws.
    Unguided,
    /// The argmax of the true CTR.
    Oracle,
}

impl Arm {
    /// All arms, report order.
    pub const ALL: [Arm; 3] = [Arm::Guided, Arm::Unguided, Arm::Oracle];

    /// Name.
    pub fn as_str(self) -> &'static str {
        match self {
            Arm::Guided => "guided",
            Arm::Unguided => "unguided",
            Arm::Oracle => "oracle",
        }
    }
}

/// One arm's results (simulated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    /// The arm.
    pub arm: Arm,
    /// Mean true CTR of the first `launches` creatives (fraction).
    pub mean_ctr: f64,
    /// `mean_ctr / unguided mean_ctr − 1`.
    pub ctr_gain: f64,
    /// Mean true CTR per platform (meta, tiktok, google_ads), `None` without accounts there.
    pub platform_ctr: [Option<f64>; 3],
    /// Mean of the per-launch CTR ratio to the unguided creative of the same launch, minus 1.
    pub mean_paired_gain: f64,
    /// Mean launches until the first winner (censored at `winner_horizon`).
    pub mean_launches_to_winner: f64,
    /// Median launches until the first winner.
    pub median_launches_to_winner: f64,
    /// Share of accounts with no winner within `winner_horizon`.
    pub never_won_share: f64,
    /// Share of the first `launches` creatives that are winners.
    pub winner_share: f64,
}

/// The study's result. **Simulated.**
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyReport {
    /// "SIMULATED DATA - not real ad performance".
    pub label: String,
    /// What was run.
    pub config: StudyConfig,
    /// Accounts whose contribution entered the pool.
    pub contributing_accounts: u32,
    /// Niches whose release was published (noisy count >= k).
    pub published_niches: u32,
    /// Attribute lifts published, summed over niches.
    pub published_lifts: u32,
    /// Share of guided attribute choices (hook, CTA, visual, duration for videos, hour) in the
    /// first `launches` that fell back to the unguided draw because nothing was published.
    pub guided_fallback_share: f64,
    /// Per arm, [`Arm::ALL`] order.
    pub arms: Vec<ArmSummary>,
}

impl StudyReport {
    /// The summary of `arm`.
    pub fn arm(&self, arm: Arm) -> Option<&ArmSummary> {
        self.arms.iter().find(|a| a.arm == arm)
    }

    /// Unguided mean launches to a first winner / guided (or oracle) mean: the speed-up.
    pub fn speedup(&self, arm: Arm) -> Option<f64> {
        let u = self.arm(Arm::Unguided)?.mean_launches_to_winner;
        let a = self.arm(arm)?.mean_launches_to_winner;
        (a > 0.0).then(|| u / a)
    }
}

fn invalid(field: &str, message: String) -> Error {
    Error::field(ErrorCode::InvalidValue, field, message)
}

fn check(cfg: &StudyConfig) -> Result<()> {
    if cfg.network_accounts == 0 || cfg.network_accounts > MAX_NETWORK_ACCOUNTS {
        return Err(invalid(
            "network_accounts",
            format!("must be 1..={MAX_NETWORK_ACCOUNTS}"),
        ));
    }
    if cfg.new_accounts == 0 || cfg.new_accounts > 100_000 {
        return Err(invalid("new_accounts", "must be 1..=100000".into()));
    }
    if cfg.launches == 0 || cfg.winner_horizon == 0 || cfg.winner_horizon > 10_000 {
        return Err(invalid(
            "launches",
            "launches and winner_horizon must be >= 1 (horizon <= 10000)".into(),
        ));
    }
    if !(cfg.winner_quantile > 0.0 && cfg.winner_quantile < 1.0) {
        return Err(invalid(
            "winner_quantile",
            format!("must be in (0, 1), got {}", cfg.winner_quantile),
        ));
    }
    if !(cfg.effect_scale.is_finite() && cfg.effect_scale >= 0.0) {
        return Err(invalid(
            "effect_scale",
            format!("must be finite and >= 0, got {}", cfg.effect_scale),
        ));
    }
    Ok(())
}

/// The best creative the simulator allows on `(niche, platform)` (attributes only; add the
/// account effect and creative noise): per-term argmax, exact because the terms add up in
/// log-odds; visual tags with a positive effect, best first, at most `max_visual_tags`.
pub fn oracle_choice(
    p: &SimParams,
    niche: Niche,
    platform: Platform,
    max_visual_tags: usize,
) -> CreativeSpec {
    let best = |xs: Vec<(f64, usize)>| {
        xs.into_iter()
            .fold((f64::NEG_INFINITY, 0), |a, b| if b.0 > a.0 { b } else { a })
            .1
    };
    let hooks: Vec<HookType> = p.hook.keys().copied().collect();
    let hook = hooks[best(
        hooks
            .iter()
            .enumerate()
            .map(|(i, h)| (hook_effect(p, niche, platform, *h), i))
            .collect(),
    )];
    let ctas: Vec<CtaStyle> = p.cta.keys().copied().collect();
    let cta = ctas[best(
        ctas.iter()
            .enumerate()
            .map(|(i, c)| (p.cta[c], i))
            .collect(),
    )];
    let mut tags: Vec<(f64, VisualTag)> = p
        .visual
        .keys()
        .map(|t| (visual_effect(p, niche, platform, *t), *t))
        .filter(|(e, _)| *e > 0.0)
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.truncate(max_visual_tags);
    let d = &p.duration;
    let best_duration = libm::round((d.best_min_s + d.best_max_s) / 2.0);
    let formats: Vec<AdFormat> = p
        .format_weights
        .get(&platform)
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default();
    let format_value = |f: AdFormat| {
        format_effect(p, platform, f)
            + if f == AdFormat::Video {
                duration_effect(p, best_duration)
            } else {
                0.0
            }
    };
    let format = formats
        .iter()
        .copied()
        .fold(None::<AdFormat>, |a, f| match a {
            Some(g) if format_value(g) >= format_value(f) => Some(g),
            _ => Some(f),
        })
        .unwrap_or(AdFormat::Unknown);
    let hour = best(
        p.hour_effect
            .iter()
            .enumerate()
            .map(|(h, e)| (*e, h))
            .collect(),
    ) as u8;
    CreativeSpec {
        niche,
        platform,
        hook,
        cta,
        visual_tags: tags.into_iter().map(|(_, t)| t).collect(),
        format,
        duration_s: (format == AdFormat::Video).then_some(best_duration),
        posting_hour: hour,
        account_effect: 0.0,
        creative_noise: 0.0,
    }
}

/// A release's lifts as Thompson-sampling arms: per attribute, `(value, ln lift, sd)`.
#[derive(Debug, Clone, Default)]
pub struct LiftTable {
    by_attribute: BTreeMap<Attribute, Vec<(String, f64, f64)>>,
}

impl LiftTable {
    /// The published lifts of a release (none when it is not published).
    pub fn from_wisdom(w: Option<&NicheWisdom>) -> Self {
        Self::from_lifts(w.filter(|w| w.published).map_or(&[][..], |w| &w.lifts[..]))
    }

    /// From a list of lifts (entries with a non-positive lift or a bad interval are skipped).
    pub fn from_lifts(lifts: &[AttributeLift]) -> Self {
        let mut t = LiftTable::default();
        for l in lifts {
            let [lo, hi] = l.lift_interval;
            if !(l.lift > 0.0 && lo > 0.0 && hi >= lo && hi.is_finite()) {
                continue;
            }
            let sd = (hi.ln() - lo.ln()) / (2.0 * 1.96);
            t.by_attribute
                .entry(l.attribute)
                .or_default()
                .push((l.value.clone(), l.lift.ln(), sd));
        }
        t
    }

    /// Number of published values.
    pub fn len(&self) -> usize {
        self.by_attribute.values().map(Vec::len).sum()
    }

    /// Whether nothing is published.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of published values of `a`.
    fn draw_count(&self, a: Attribute) -> usize {
        self.by_attribute.get(&a).map_or(0, Vec::len)
    }

    /// One Thompson draw per published value of `a`: `(value, sampled log-lift)`, best first.
    fn draw(&self, a: Attribute, r: &mut Rng) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = self
            .by_attribute
            .get(&a)
            .map_or(&[][..], |v| &v[..])
            .iter()
            .map(|(name, m, sd)| (name.clone(), m + sd * r.normal()))
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// The guided creative: the unguided draw with every attribute the release covers replaced by
/// its Thompson choice. Returns the spec, how many attributes fell back to the unguided draw, and
/// how many were chosen (5; 4 when the creative is not a video: no duration).
pub fn guided_choice(
    table: &LiftTable,
    unguided: &CreativeSpec,
    max_visual_tags: usize,
    r: &mut Rng,
) -> (CreativeSpec, u32, u32) {
    let mut s = unguided.clone();
    let mut fallbacks = 0;
    // Single-valued attributes: the best draw when it beats the niche average (log-lift > 0),
    // else the account's own draw (nothing published is known to be better).
    let mut pick = |a: Attribute, r: &mut Rng| -> Option<String> {
        let draws = table.draw(a, r);
        if draws.is_empty() {
            fallbacks += 1;
        }
        draws
            .into_iter()
            .next()
            .filter(|(_, m)| *m > 0.0)
            .map(|(v, _)| v)
    };
    if let Some(h) = pick(Attribute::HookType, r).and_then(|v| HookType::from_str(&v).ok()) {
        s.hook = h;
    }
    if let Some(c) = pick(Attribute::CtaStyle, r).and_then(|v| CtaStyle::from_str(&v).ok()) {
        s.cta = c;
    }
    let duration = pick(Attribute::Duration, r).and_then(|v| {
        (0..DURATION_BUCKETS.len())
            .find(|i| crate::insights::duration_bucket_label(*i).as_deref() == Some(v.as_str()))
    });
    let hour = pick(Attribute::PostingHour, r)
        .and_then(|v| v.get(..2).and_then(|h| h.parse::<u8>().ok()))
        .filter(|h| *h <= 21);
    if s.format == AdFormat::Video {
        if let Some(i) = duration {
            let (lo, hi) = DURATION_BUCKETS[i];
            s.duration_s = Some(libm::round((lo + hi) / 2.0).max(1.0));
        }
    } else if table.draw_count(Attribute::Duration) == 0 {
        // Not a video: no duration choice was made, so none fell back.
        fallbacks -= 1;
    }
    if let Some(h) = hour {
        s.posting_hour = h + r.range(0, 2) as u8;
    }
    // Visual tags: drop the drawn tags whose draw says below average, add those above it (best
    // first), keep the unpublished drawn tags; at most `max_visual_tags`.
    let tags = table.draw(Attribute::VisualTag, r);
    if tags.is_empty() {
        fallbacks += 1;
    } else {
        let good: Vec<VisualTag> = tags
            .iter()
            .filter(|(_, m)| *m > 0.0)
            .filter_map(|(v, _)| VisualTag::from_str(v).ok())
            .collect();
        let published: Vec<VisualTag> = tags
            .iter()
            .filter_map(|(v, _)| VisualTag::from_str(v).ok())
            .collect();
        let mut chosen: Vec<VisualTag> = good;
        for t in &unguided.visual_tags {
            if !published.contains(t) && !chosen.contains(t) {
                chosen.push(*t);
            }
        }
        chosen.truncate(max_visual_tags);
        s.visual_tags = chosen;
    }
    let chosen = if s.format == AdFormat::Video { 5 } else { 4 };
    (s, fallbacks, chosen)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::INFINITY;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos - pos.floor());
    let j = (i + 1).min(sorted.len() - 1);
    sorted[i] + f * (sorted[j] - sorted[i])
}

/// The released wisdom of every niche from a fresh simulated network (all accounts opted in),
/// and the number of contributing accounts. Also returns the network's true CTRs per
/// (niche, platform), sorted, for the winner thresholds.
#[allow(clippy::type_complexity)]
pub fn build_wisdom(
    cfg: &StudyConfig,
) -> Result<(
    BTreeMap<Niche, NicheWisdom>,
    u32,
    BTreeMap<(Niche, Platform), Vec<f64>>,
)> {
    let opts = InsightOptions {
        min_campaigns: 1,
        ..InsightOptions::default()
    };
    let consent = AccountConsent { opted_in: true };
    let mut pool = ContributionPool::new();
    let mut truth: BTreeMap<(Niche, Platform), Vec<f64>> = BTreeMap::new();
    // Networks above the generator's limit are simulated in chunks (chunk c: seed + c), each
    // contributing its accounts under a chunk-prefixed id; records are dropped after use.
    let mut remaining = cfg.network_accounts;
    let mut chunk = 0u64;
    while remaining > 0 {
        let n = remaining.min(crate::sim::MAX_ACCOUNTS);
        remaining -= n;
        let net = generate_network(&SimOptions {
            seed: cfg.seed.wrapping_add(chunk),
            accounts: n,
            effect_scale: Some(cfg.effect_scale),
        })?;
        let mut by_account: BTreeMap<&str, Vec<CreativeRecord>> = BTreeMap::new();
        for (r, o) in net.records.iter().zip(&net.oracle) {
            by_account.entry(&r.account_id).or_default().push(r.clone());
            if let Some(n) = r.niche {
                truth.entry((n, r.platform)).or_default().push(o.true_ctr);
            }
        }
        for (id, recs) in &by_account {
            let c = wisdom_contribution(recs, consent, &opts, &cfg.release)?;
            pool.set(&format!("c{chunk}-{id}"), c)?;
        }
        chunk += 1;
    }
    for v in truth.values_mut() {
        v.sort_by(f64::total_cmp);
    }
    let mut releases = BTreeMap::new();
    for (i, niche) in Niche::ALL.iter().enumerate() {
        let mut r = Rng::stream(cfg.seed ^ RELEASE_SALT, i as u64);
        let w = release_wisdom(
            &pool.aggregate(*niche),
            ReleaseId {
                period: 0,
                niche: *niche,
            },
            &cfg.release,
            &mut r,
        )?;
        releases.insert(*niche, w);
    }
    Ok((releases, pool.len() as u32, truth))
}

/// Run the study (see the module docs). Deterministic in `cfg`.
pub fn run_study(cfg: &StudyConfig) -> Result<StudyReport> {
    check(cfg)?;
    let p = SimParams::v1();
    let (releases, contributing, truth) = build_wisdom(cfg)?;
    let tables: BTreeMap<Niche, LiftTable> = releases
        .iter()
        .map(|(n, w)| (*n, LiftTable::from_wisdom(Some(w))))
        .collect();
    let scale = cfg.effect_scale;
    let hooks: Vec<HookType> = p.hook.keys().copied().collect();
    let ctas: Vec<CtaStyle> = p.cta.keys().copied().collect();
    let n_launch = cfg.launches as usize;
    let horizon = cfg.winner_horizon as usize;
    // Per arm: CTR sums (all, per platform), paired ratio sums, first-winner launches, winners.
    let mut ctr_sum = [0.0f64; 3];
    let mut plat_sum = [[0.0f64; 3]; 3];
    let mut plat_n = [0u64; 3];
    let mut ratio_sum = [0.0f64; 3];
    let mut firsts: [Vec<f64>; 3] = Default::default();
    let mut never = [0u32; 3];
    let mut winners = [0u64; 3];
    let (mut fallbacks, mut choices) = (0u64, 0u64);
    for j in 0..cfg.new_accounts {
        let niche = Niche::ALL[j as usize % Niche::ALL.len()];
        let platform = Platform::KNOWN[(j as usize / Niche::ALL.len()) % Platform::KNOWN.len()];
        let pi = platform.index().min(2);
        let mut ra = Rng::stream(cfg.seed ^ NEW_ACCOUNT_SALT, u64::from(j));
        let mut rp = Rng::stream(cfg.seed ^ POLICY_SALT, u64::from(j));
        let account_effect = ra.normal() * p.account_ctr_sd;
        let threshold = truth
            .get(&(niche, platform))
            .map_or(f64::INFINITY, |v| quantile(v, cfg.winner_quantile));
        let table = &tables[&niche];
        let oracle = oracle_choice(&p, niche, platform, cfg.max_visual_tags);
        let mut first: [Option<usize>; 3] = [None; 3];
        plat_n[pi] += n_launch as u64;
        for i in 0..horizon.max(n_launch) {
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
            let (guided, fb, chosen) =
                guided_choice(table, &unguided, cfg.max_visual_tags, &mut rp);
            let best = CreativeSpec {
                account_effect,
                creative_noise,
                ..oracle.clone()
            };
            let ctr = [
                true_ctr(&p, scale, &guided)?.ctr,
                true_ctr(&p, scale, &unguided)?.ctr,
                true_ctr(&p, scale, &best)?.ctr,
            ];
            for a in 0..3 {
                let win = ctr[a] >= threshold;
                if win && first[a].is_none() && i < horizon {
                    first[a] = Some(i + 1);
                }
                if i < n_launch {
                    ctr_sum[a] += ctr[a];
                    plat_sum[a][pi] += ctr[a];
                    ratio_sum[a] += ctr[a] / ctr[1];
                    winners[a] += u64::from(win);
                }
            }
            if i < n_launch {
                fallbacks += u64::from(fb);
                choices += u64::from(chosen);
            }
        }
        for a in 0..3 {
            match first[a] {
                Some(t) => firsts[a].push(t as f64),
                None => {
                    never[a] += 1;
                    firsts[a].push(horizon as f64);
                }
            }
        }
    }
    let total = f64::from(cfg.new_accounts) * n_launch as f64;
    let accounts = f64::from(cfg.new_accounts);
    let unguided_ctr = ctr_sum[1] / total;
    let arms = Arm::ALL
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let mut f = firsts[a].clone();
            f.sort_by(f64::total_cmp);
            let mean_ctr = ctr_sum[a] / total;
            ArmSummary {
                arm: *arm,
                mean_ctr,
                ctr_gain: mean_ctr / unguided_ctr - 1.0,
                platform_ctr: std::array::from_fn(|k| {
                    (plat_n[k] > 0).then(|| plat_sum[a][k] / plat_n[k] as f64)
                }),
                mean_paired_gain: ratio_sum[a] / total - 1.0,
                mean_launches_to_winner: f.iter().sum::<f64>() / accounts,
                median_launches_to_winner: quantile(&f, 0.5),
                never_won_share: f64::from(never[a]) / accounts,
                winner_share: winners[a] as f64 / total,
            }
        })
        .collect();
    Ok(StudyReport {
        label: p.label.clone(),
        config: cfg.clone(),
        contributing_accounts: contributing,
        published_niches: releases.values().filter(|w| w.published).count() as u32,
        published_lifts: tables.values().map(|t| t.len() as u32).sum(),
        guided_fallback_share: if choices == 0 {
            0.0
        } else {
            fallbacks as f64 / choices as f64
        },
        arms,
    })
}
