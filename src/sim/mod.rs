//! Simulator of a network of ad accounts. **Its output is simulated data**, labelled as such on the
//! [`Network`] (`label`, `simulated: true`) and on every record (`source: "simulated"`).
//!
//! Deterministic by seed: the PRNG ([`crate::rng`]) and all math are implemented in the core with `libm`,
//! so the same seed and parameters give bit-identical networks natively and in wasm;
//! [`network_digest`] hashes a network's exact bits for that check.
//!
//! **Model.** Accounts are spread round-robin over the 15 niches; each runs on 1-3 platforms and
//! has 4-10 creatives (hook type, CTA style, format, visual tags, duration, posting hour, and
//! per-niche template copy from [`templates`]). A creative's true CTR on a platform is
//!
//! ```text
//! logit(ctr) = logit(base_ctr[platform]) + niche_ctr[niche] + a_account + e_creative
//!            + effect_scale * ( hook[h] * hook_mult[platform] + niche_hook[niche, h]
//!                             + cta[c] + sum_v (visual[v] * visual_mult[platform] + niche_visual[niche, v])
//!                             + format[platform, f] + duration(d) + hour[posting_hour] )
//! a_account ~ N(0, account_ctr_sd^2), e_creative ~ N(0, creative_ctr_sd^2) (shared across platforms)
//! duration(d) = -penalty * log2(best_min / d) below the best range, -penalty * log2(d / best_max) above
//! ```
//!
//! Each creative runs a number of consecutive days; per day
//! `ln impressions ~ log_impressions_mean + log_impressions_sd * (sqrt(s_a) z_account +
//! sqrt(s_c) z_creative + sqrt(s_d) z_day)` (the variance shares `s`), `clicks ~ Binomial(
//! impressions, ctr)`, `spend = impressions * cpm / 1000` with `ln cpm ~ N(ln cpm_median,
//! cpm_log_sd^2)` (rounded to cents), `conversions ~ Binomial(clicks, cvr[platform])` (click-through),
//! `revenue = conversions * revenue_per_conversion * niche_value * lognormal(mean 1)`.
//!
//! The parameters are one frozen, hashed file ([`params`]); the grounding numbers behind the
//! platform parameters are measured by [`grounding`]. The true CTR of each record is exposed in
//! [`Network::oracle`], for evaluation only; [`truth::true_ctr`] gives the true CTR of any
//! attribute combination (the generator uses it for every record: one implementation).

mod digest;
pub mod grounding;
pub mod params;
pub mod templates;
pub mod truth;
pub mod v2;

pub use digest::network_digest;
pub use params::{fnv1a64, SimParams, SIMULATOR_V1_HASH, SIMULATOR_V1_JSON};
pub use truth::{true_ctr, CreativeSpec, Truth};

use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use crate::platform::Platform;
use crate::record::{
    format_day, parse_day, ConversionScope, CreativeRecord, CtaStyle, DailyOutcome, HookType,
    RecordSource,
};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Most accounts one call may simulate.
pub const MAX_ACCOUNTS: u32 = 10_000;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct SimOptions {
    /// The seed (keep below 2^53 when passing it from JS).
    pub seed: u64,
    /// Number of accounts (1..=10000).
    pub accounts: u32,
    /// Override of the parameters' `effect_scale` (sensitivity runs).
    #[serde(default)]
    pub effect_scale: Option<f64>,
}

/// A simulated account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct SimAccount {
    /// `sim-a0000`, ...
    pub account_id: String,
    /// Its niche (also declared on its records).
    pub niche: Niche,
    /// Platforms it runs on.
    pub platforms: Vec<Platform>,
    /// Its CTR effect `a_account` (log-odds): part of the oracle.
    pub ctr_effect: f64,
}

/// The truth about one simulated record, for evaluation only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct OracleEntry {
    /// The record.
    pub record_id: String,
    /// True click probability per impression.
    pub true_ctr: f64,
    /// True conversion probability per click.
    pub true_cvr: f64,
    /// The creative-attribute part of logit(ctr), already multiplied by `effect_scale`.
    pub attribute_logit: f64,
}

/// A simulated network of accounts, creatives and their daily delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct Network {
    /// "SIMULATED DATA - not real ad performance".
    pub label: String,
    /// Always true.
    pub simulated: bool,
    /// Parameter version, e.g. `simulator-v1`.
    pub params_version: String,
    /// FNV-1a 64 of the parameter file bytes (16 hex digits).
    pub params_hash: String,
    /// The seed.
    pub seed: u64,
    /// The effect scale used.
    pub effect_scale: f64,
    /// Accounts.
    pub accounts: Vec<SimAccount>,
    /// Records (one per creative and platform, with a daily series), `source: "simulated"`.
    pub records: Vec<CreativeRecord>,
    /// True CTR per record, in record order.
    pub oracle: Vec<OracleEntry>,
}

/// Simulate a network with the frozen default parameters (`models/simulator-v1.json`).
pub fn generate_network(options: &SimOptions) -> Result<Network> {
    generate_network_with(&SimParams::v1(), SIMULATOR_V1_HASH, options)
}

/// Simulate a network with given parameters; `params_hash` is recorded on the output (use
/// [`fnv1a64`] of the parameter file's bytes, as 16 hex digits).
pub fn generate_network_with(p: &SimParams, params_hash: &str, o: &SimOptions) -> Result<Network> {
    if o.accounts == 0 || o.accounts > MAX_ACCOUNTS {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "accounts",
            format!("must be 1..={MAX_ACCOUNTS}, got {}", o.accounts),
        ));
    }
    let effect_scale = o.effect_scale.unwrap_or(p.effect_scale);
    if !(effect_scale.is_finite() && effect_scale >= 0.0) {
        return Err(Error::field(
            ErrorCode::InvalidValue,
            "effect_scale",
            format!("must be finite and >= 0, got {effect_scale}"),
        ));
    }
    let start = parse_day("structure.start_date", &p.structure.start_date)?;
    let mut net = Network {
        label: p.label.clone(),
        simulated: true,
        params_version: p.version.clone(),
        params_hash: params_hash.to_string(),
        seed: o.seed,
        effect_scale,
        accounts: Vec::new(),
        records: Vec::new(),
        oracle: Vec::new(),
    };
    let hooks: Vec<HookType> = p.hook.keys().copied().collect();
    let ctas: Vec<CtaStyle> = p.cta.keys().copied().collect();
    for i in 0..o.accounts {
        let mut r = Rng::stream(o.seed, u64::from(i));
        let niche = Niche::ALL[i as usize % Niche::ALL.len()];
        let k = 1 + r.weighted(&p.structure.platform_count_weights);
        let mut platforms = Platform::KNOWN.to_vec();
        for j in (1..platforms.len()).rev() {
            platforms.swap(j, r.range(0, j as u64) as usize);
        }
        platforms.truncate(k);
        platforms.sort();
        let account = SimAccount {
            account_id: format!("sim-a{i:04}"),
            niche,
            platforms,
            ctr_effect: r.normal() * p.account_ctr_sd,
        };
        let z_account = r.normal();
        let n = r.range(
            p.structure.creatives_per_account_min,
            p.structure.creatives_per_account_max,
        );
        for c in 0..n {
            let creative = Creative {
                index: c,
                hook: hooks[r.range(0, hooks.len() as u64 - 1) as usize],
                cta: ctas[r.range(0, ctas.len() as u64 - 1) as usize],
                noise: r.normal() * p.creative_ctr_sd,
                z_volume: r.normal(),
                start: start + r.range(0, 27) as i64,
                days: r.range(p.structure.days_min, p.structure.days_max),
                delivery_seed: r.next_u64(),
            };
            for &platform in &account.platforms {
                let (rec, oracle) = simulate_record(
                    p,
                    effect_scale,
                    &account,
                    z_account,
                    &creative,
                    platform,
                    &mut r,
                );
                net.records.push(rec);
                net.oracle.push(oracle);
            }
        }
        net.accounts.push(account);
    }
    Ok(net)
}

struct Creative {
    index: u64,
    hook: HookType,
    cta: CtaStyle,
    noise: f64,
    z_volume: f64,
    start: i64,
    days: u64,
    /// Seeds the delivery draws, kept apart from the attribute draws so that changing
    /// `effect_scale` (hence CTRs) never changes which creatives and attributes are simulated.
    delivery_seed: u64,
}

fn simulate_record(
    p: &SimParams,
    scale: f64,
    account: &SimAccount,
    z_account: f64,
    c: &Creative,
    platform: Platform,
    r: &mut Rng,
) -> (CreativeRecord, OracleEntry) {
    let pp = p.platform(platform);
    let niche = account.niche;
    // Attributes.
    let drawn = truth::draw_record_attributes(p, platform, r);
    let (format, duration_s, visual_tags, hour) = (
        drawn.format,
        drawn.duration_s,
        drawn.visual_tags,
        drawn.posting_hour,
    );
    // True CTR: the one implementation, shared with studies of arbitrary creatives.
    let spec = CreativeSpec {
        niche,
        platform,
        hook: c.hook,
        cta: c.cta,
        visual_tags,
        format,
        duration_s,
        posting_hour: hour,
        account_effect: account.ctr_effect,
        creative_noise: c.noise,
    };
    let Truth {
        ctr,
        attribute_logit,
    } = truth::truth_unchecked(p, scale, &spec);
    let visual_tags = spec.visual_tags;
    // Delivery.
    let s = &p.impressions_variance_shares;
    let base_log = pp.log_impressions_mean
        + pp.log_impressions_sd
            * (libm::sqrt(s.account) * z_account + libm::sqrt(s.creative) * c.z_volume);
    let value = pp.revenue_per_conversion * p.niche_value.get(&niche).copied().unwrap_or(1.0);
    let r = &mut Rng::stream(c.delivery_seed, platform.index() as u64);
    let mut daily = Vec::with_capacity(c.days as usize);
    let (mut spend_cents, mut revenue_cents) = (0u64, 0u64);
    for day in 0..c.days {
        let impressions = libm::round(libm::exp(
            base_log + pp.log_impressions_sd * libm::sqrt(s.day) * r.normal(),
        ))
        .min(1e9) as u64;
        let clicks = r.binomial(impressions, ctr);
        let cpm = pp.cpm_median * libm::exp(pp.cpm_log_sd * r.normal());
        let sc = libm::round(impressions as f64 * cpm / 10.0) as u64;
        let conversions = r.binomial(clicks, pp.cvr);
        let noise =
            libm::exp(p.revenue_log_sd * r.normal() - 0.5 * p.revenue_log_sd * p.revenue_log_sd);
        let rc = libm::round(conversions as f64 * value * noise * 100.0) as u64;
        spend_cents += sc;
        revenue_cents += rc;
        daily.push(DailyOutcome {
            date: format_day(c.start + day as i64),
            impressions,
            clicks,
            conversions: Some(conversions),
            spend: sc as f64 / 100.0,
            revenue: Some(rc as f64 / 100.0),
        });
    }
    let (headline, body) = templates::ad_copy(niche, c.hook, c.cta);
    let record_id = format!(
        "{}-c{:02}-{}",
        account.account_id,
        c.index,
        platform.as_str()
    );
    let rec = CreativeRecord {
        assignment: crate::record::Assignment::Chosen,
        record_id: record_id.clone(),
        account_id: account.account_id.clone(),
        campaign_id: Some(format!("{}-{}", account.account_id, platform.as_str())),
        source: RecordSource::Simulated,
        platform,
        network: None,
        currency: None,
        date_start: daily.first().map(|x| x.date.clone()),
        date_end: daily.last().map(|x| x.date.clone()),
        niche: Some(niche),
        hook_type: c.hook,
        cta_style: c.cta,
        visual_tags,
        format,
        duration_s,
        posting_hour: Some(hour),
        headline,
        body,
        impressions: daily.iter().map(|x| x.impressions).sum(),
        clicks: daily.iter().map(|x| x.clicks).sum(),
        conversions: Some(daily.iter().filter_map(|x| x.conversions).sum()),
        conversion_scope: ConversionScope::ClickThrough,
        spend: spend_cents as f64 / 100.0,
        revenue: Some(revenue_cents as f64 / 100.0),
        engagements: None,
        video_views: None,
        daily,
    };
    (
        rec,
        OracleEntry {
            record_id,
            true_ctr: ctr,
            true_cvr: pp.cvr,
            attribute_logit,
        },
    )
}
