//! `exploreBriefs`: randomised creative briefs for the exploration cohort
//! ([`crate::wisdom::explore`]) in JS, in both builds (the editor's `crosslearn/lite` too).
//!
//! A brief's attributes are drawn independently of how good the creative will be, so a record
//! made from it (imported with `assignment: "randomised"`) is an instrument for the release's
//! `contribute: randomised` setting. The draws come from ChaCha20 seeded with 32 bytes of
//! `crypto.getRandomValues` unless `seed` is given (tests and demos only: a known seed makes the
//! draws predictable, so a real brief must never use one).

use super::convert::{from_js_opt, to_js_list, whole_number};
use crate::error::{Error, ErrorCode};
use crate::platform::Platform;
use crate::privacy::dgauss::{noise_rng_from_entropy, noise_rng_from_seed};
use crate::record::AdFormat;
use crate::wisdom::explore::{randomised_brief, ExploreOptions};
use serde::Deserialize;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// The most briefs one call draws.
pub const MAX_BRIEFS: f64 = 100.0;

/// Options of `exploreBriefs`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExploreBriefsOptions {
    /// The formats the advertiser can make on the platform (default image and video; one format
    /// means the format is not explored).
    #[serde(default)]
    #[tsify(optional)]
    pub formats: Option<Vec<AdFormat>>,
    /// Probability of each visual tag, 0..=1 (default 0.3).
    #[serde(default)]
    #[tsify(optional)]
    pub tag_probability: Option<f64>,
    /// A fixed seed, for TESTS ONLY (default: `crypto.getRandomValues`). With a seed the briefs
    /// equal the core's `randomised_brief` draws from `noise_rng_from_seed(seed)` (and the CLI's
    /// `crosslearn explore --seed`).
    #[serde(default)]
    #[tsify(optional)]
    pub seed: Option<f64>,
}

/// `count` (1..=100) randomised briefs for `platform` (`meta`, `tiktok` or `google_ads`). Make
/// each creative as drawn, run it, and import its record with `assignment: "randomised"`.
/// Errors name `platform`, `count`, `options.formats`, `options.tagProbability` or
/// `options.seed`.
#[wasm_bindgen(js_name = exploreBriefs, unchecked_return_type = "RandomisedBrief[]")]
pub fn explore_briefs(
    platform: Ts<Platform>,
    count: f64,
    options: Option<Ts<ExploreBriefsOptions>>,
) -> Result<JsValue, JsValue> {
    let platform: Platform = from_js_opt(Some(&platform.js_value()), "platform")?
        .ok_or_else(|| Error::field(ErrorCode::MissingField, "platform", "is required"))?;
    let count = whole_number("count", count, MAX_BRIEFS)? as usize;
    if count == 0 {
        return Err(Error::field(ErrorCode::InvalidValue, "count", "must be 1..=100").into());
    }
    let options: ExploreBriefsOptions =
        from_js_opt(options.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default();
    let defaults = ExploreOptions::default();
    let opts = ExploreOptions {
        formats: options.formats.unwrap_or(defaults.formats),
        tag_probability: options.tag_probability.unwrap_or(defaults.tag_probability),
    };
    let mut rng = match options.seed {
        Some(s) => {
            noise_rng_from_seed(whole_number("options.seed", s, 9_007_199_254_740_991.0)? as u64)
        }
        None => noise_rng_from_entropy()?,
    };
    let mut briefs = Vec::with_capacity(count);
    for _ in 0..count {
        briefs.push(
            randomised_brief(platform, &opts, &mut rng).map_err(|mut e| {
                e.field = e.field.map(|f| match f.as_str() {
                    "tag_probability" => "options.tagProbability".to_string(),
                    "formats" => "options.formats".to_string(),
                    _ => f,
                });
                e
            })?,
        );
    }
    Ok(to_js_list(&briefs)?)
}
