//! The shipped model files, compiled into the binary (the same files the Worker compiles in
//! and the npm package ships: `models/niche-v2.bin`, `models/ctr-prelaunch-v1.bin`), so the
//! installed `crosslearn` needs nothing beside it.

use crosslearn::model::ctr::CtrModel;
use crosslearn::niche::NicheModel;

/// File name of the niche model, shown in outputs.
pub const NICHE_MODEL_NAME: &str = "niche-v2.bin";
/// File name of the pre-launch CTR model, shown in outputs.
pub const PRELAUNCH_MODEL_NAME: &str = "ctr-prelaunch-v1.bin";

const NICHE_MODEL: &[u8] = include_bytes!("../../models/niche-v2.bin");
const PRELAUNCH_MODEL: &[u8] = include_bytes!("../../models/ctr-prelaunch-v1.bin");

/// The niche classifier.
pub fn niche_model() -> Result<NicheModel, String> {
    NicheModel::from_bytes(NICHE_MODEL).map_err(|e| format!("{NICHE_MODEL_NAME}: {e}"))
}

/// The pre-launch CTR model.
pub fn prelaunch_model() -> Result<CtrModel, String> {
    CtrModel::from_bytes(PRELAUNCH_MODEL).map_err(|e| format!("{PRELAUNCH_MODEL_NAME}: {e}"))
}
