//! `recommend`, `dashboard`: advice from a niche-wisdom release ([`crate::advice`]) for JS.

use super::convert::{from_js, from_js_opt, to_ts};
use crate::advice::{self as core, RecommendOptions, Recommendations};
#[cfg(feature = "wasm")]
use crate::advice::{Dashboard, DashboardOptions};
use crate::insights::AccountInsight;
use crate::wisdom::NicheWisdom;
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Apply a niche's release to an account: recommendations that each cite their pattern and
/// evidence (lift, interval, sample size, release id). `insight` is the account's own insight
/// when it has data; leave it out for a new account.
#[wasm_bindgen(js_name = recommend)]
pub fn recommend(
    wisdom: Ts<NicheWisdom>,
    insight: Option<Ts<AccountInsight>>,
    options: Option<Ts<RecommendOptions>>,
) -> Result<Ts<Recommendations>, JsValue> {
    let wisdom: NicheWisdom = from_js(&wisdom.js_value(), "wisdom")?;
    let insight: Option<AccountInsight> =
        from_js_opt(insight.map(|t| t.js_value()).as_ref(), "insight")?;
    let options: RecommendOptions =
        from_js_opt(options.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default();
    Ok(to_ts(&core::recommend(
        &wisdom,
        insight.as_ref(),
        &options,
    )?)?)
}

#[cfg(feature = "wasm")]
/// The cross-learning dashboard: the account against its niche's release (`wisdom`, omitted when
/// the niche has none), improvement opportunities, and network stats from `network` (the latest
/// release of every niche; may be empty). Total: any of the inputs may be missing.
#[wasm_bindgen(js_name = dashboard)]
pub fn dashboard(
    wisdom: Option<Ts<NicheWisdom>>,
    insight: Option<Ts<AccountInsight>>,
    #[wasm_bindgen(unchecked_param_type = "NicheWisdom[]")] network: JsValue,
    options: Option<Ts<DashboardOptions>>,
) -> Result<Ts<Dashboard>, JsValue> {
    let wisdom: Option<NicheWisdom> = from_js_opt(wisdom.map(|t| t.js_value()).as_ref(), "wisdom")?;
    let insight: Option<AccountInsight> =
        from_js_opt(insight.map(|t| t.js_value()).as_ref(), "insight")?;
    let network: Vec<NicheWisdom> = from_js_opt(Some(&network), "network")?.unwrap_or_default();
    let options: DashboardOptions =
        from_js_opt(options.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default();
    Ok(to_ts(&core::dashboard(
        wisdom.as_ref(),
        insight.as_ref(),
        &network,
        &options,
    )?)?)
}
