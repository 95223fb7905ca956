//! `generateNetwork`, `networkDigest`, `simulatorParamsHash`: the seeded simulator
//! ([`crate::sim`]) for JS. **Its output is simulated data** (`label`, `simulated: true`,
//! `source: "simulated"` on every record).

use super::convert::{from_js, to_ts};
use crate::sim::{self as core, Network, SimOptions, SIMULATOR_V1_HASH};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Simulate a network of ad accounts with the frozen `simulator-v1` parameters. The same
/// `{ seed, accounts }` gives bit-identical networks here and natively (keep `seed` below 2^53).
#[wasm_bindgen(js_name = generateNetwork)]
pub fn generate_network(options: Ts<SimOptions>) -> Result<Ts<Network>, JsValue> {
    let options: SimOptions = from_js(&options.js_value(), "options")?;
    let network = core::generate_network(&options).map_err(|e| e.within("options"))?;
    Ok(to_ts(&network)?)
}

/// The byte-exact digest of a network (FNV-1a 64 over its exact bits) as 16 hex digits: equal
/// digests mean bit-identical networks, whichever build produced them.
#[wasm_bindgen(js_name = networkDigest)]
pub fn network_digest(network: Ts<Network>) -> Result<String, JsValue> {
    let network: Network = from_js(&network.js_value(), "network")?;
    Ok(format!("{:016x}", core::network_digest(&network)))
}

/// FNV-1a 64 of the frozen parameter file (`models/simulator-v1.json`), as 16 hex digits: the
/// `params_hash` of every network.
#[wasm_bindgen(js_name = simulatorParamsHash)]
pub fn simulator_params_hash() -> String {
    SIMULATOR_V1_HASH.to_string()
}
