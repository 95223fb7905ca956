//! `wisdomContribution`, `releaseWisdom`, `defaultReleaseConfig`: private niche wisdom
//! ([`crate::wisdom`]) for JS.
//!
//! The browser computes an account's one contribution locally (nothing leaves the page unless
//! the caller sends it); `releaseWisdom` is the same release code the Worker runs, for tests and
//! demos. Its randomness comes from `crypto.getRandomValues` unless `seed` is given (tests only:
//! a known seed makes the noise predictable, so a real release must never use one).

use super::convert::{from_js, from_js_opt, to_js_nullable, to_ts, whole_number};
use super::insights::AccountInsightsOptions;
use crate::error::{Error, ErrorCode};
use crate::rng::Rng;
use crate::wisdom::{
    self as core, AccountConsent, NicheWisdom, ReleaseConfig, ReleaseId, WisdomContribution,
};
use serde::Deserialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// Options of `wisdomContribution`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WisdomContributionOptions {
    /// How the account's insight is computed (as in `accountInsights`).
    #[serde(default)]
    #[tsify(optional)]
    pub insights: Option<AccountInsightsOptions>,
    /// The release configuration (its bounds shape the contribution; default: the core's).
    #[serde(default)]
    #[tsify(optional)]
    pub release: Option<ReleaseConfig>,
}

/// Options of `releaseWisdom`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReleaseWisdomOptions {
    /// The release configuration (default: the core's).
    #[serde(default)]
    #[tsify(optional)]
    pub release: Option<ReleaseConfig>,
    /// A fixed seed for the noise, for TESTS ONLY (default: `crypto.getRandomValues`).
    #[serde(default)]
    #[tsify(optional)]
    pub seed: Option<f64>,
}

/// The default release configuration (k 5, epsilon 1 per weekly release, budget 4 per 4 weeks).
#[wasm_bindgen(js_name = defaultReleaseConfig)]
pub fn default_release_config() -> Result<Ts<ReleaseConfig>, JsValue> {
    Ok(to_ts(&ReleaseConfig::default())?)
}

/// The account's ONE contribution to its niche's wisdom, or `null` when `consent.opted_in` is
/// not true (the default), its niche is unknown, or its records fail the data gate. Carries no
/// account id and no text.
#[wasm_bindgen(
    js_name = wisdomContribution,
    unchecked_return_type = "WisdomContribution | null"
)]
pub fn wisdom_contribution(
    #[wasm_bindgen(unchecked_param_type = "CreativeRecord[]")] records: JsValue,
    consent: Option<Ts<AccountConsent>>,
    options: Option<Ts<WisdomContributionOptions>>,
) -> Result<JsValue, JsValue> {
    let records: Vec<crate::record::CreativeRecord> = from_js(&records, "records")?;
    let consent: AccountConsent =
        from_js_opt(consent.map(|t| t.js_value()).as_ref(), "consent")?.unwrap_or_default();
    let options: WisdomContributionOptions =
        from_js_opt(options.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default();
    let insight = options.insights.unwrap_or_default().core();
    let config = options.release.unwrap_or_default();
    let c = core::wisdom_contribution(&records, consent, &insight, &config).map_err(|e| match e
        .field
        .as_deref()
    {
        Some(f) if f.starts_with("records") || f.starts_with("options") => e,
        Some(_) => e.within("options.release"),
        None => e,
    })?;
    Ok(to_js_nullable(c.as_ref())?)
}

/// Release one niche's wisdom for `id` (`{ period, niche }`) from its contributions (one per
/// account: the caller keeps them keyed by account). Every contribution must be of `id.niche`.
/// A service must store the result and return it for the same id, never release again.
#[wasm_bindgen(js_name = releaseWisdom)]
pub fn release_wisdom(
    #[wasm_bindgen(unchecked_param_type = "WisdomContribution[]")] contributions: JsValue,
    id: Ts<ReleaseId>,
    options: Option<Ts<ReleaseWisdomOptions>>,
) -> Result<Ts<NicheWisdom>, JsValue> {
    let contributions: Vec<WisdomContribution> = from_js(&contributions, "contributions")?;
    let id: ReleaseId = from_js(&id.js_value(), "id")?;
    let options: ReleaseWisdomOptions =
        from_js_opt(options.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default();
    let config = options.release.unwrap_or_default();
    let mut pool = core::ContributionPool::new();
    for (i, c) in contributions.into_iter().enumerate() {
        if c.niche != id.niche {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                format!("contributions[{i}].niche"),
                format!("is {}, the release is for {}", c.niche, id.niche),
            )
            .into());
        }
        // Each element stands for a distinct account.
        pool.set(&i.to_string(), Some(c))
            .map_err(|e| e.within(&format!("contributions[{i}]")))?;
    }
    // Noise: ChaCha20 seeded with 32 bytes from `crypto.getRandomValues`; a given `seed` (tests,
    // the simulated snapshot) uses the seeded study generator, and such a release is not private.
    let mut seeded;
    let mut secure;
    let rng: &mut dyn rand_core::Rng = match options.seed {
        Some(s) => {
            seeded = Rng::new(whole_number("options.seed", s, 9_007_199_254_740_991.0)? as u64);
            &mut seeded
        }
        None => {
            secure = crate::privacy::dgauss::noise_rng_from_entropy()?;
            &mut secure
        }
    };
    let w =
        core::release_wisdom(&pool.aggregate(id.niche), id, &config, rng).map_err(|e| {
            match e.field.as_deref() {
                Some(f) if f.starts_with("id") => e,
                Some(_) => e.within("options.release"),
                None => e,
            }
        })?;
    Ok(to_ts(&w)?)
}
