//! The shipped model files, compiled into the binary (the same files the Worker compiles in
//! and the npm package ships: `models/niche-v2.bin`, `models/ctr-grounded-v1.json`), so the
//! installed `crosslearn` needs nothing beside it.

use crosslearn::model::grounded::GroundedModel;
use crosslearn::niche::NicheModel;

/// File name of the niche model, shown in outputs.
pub const NICHE_MODEL_NAME: &str = "niche-v2.bin";
/// File name of the CTR model (the grounded one the editor and the Worker use), shown in outputs.
pub const CTR_MODEL_NAME: &str = "ctr-grounded-v1.json";

const NICHE_MODEL: &[u8] = include_bytes!("../../models/niche-v2.bin");
const CTR_MODEL: &str = include_str!("../../models/ctr-grounded-v1.json");

/// The niche classifier.
pub fn niche_model() -> Result<NicheModel, String> {
    NicheModel::from_bytes(NICHE_MODEL).map_err(|e| format!("{NICHE_MODEL_NAME}: {e}"))
}

/// The grounded CTR model (fitted to real exports; docs/ctr.md).
pub fn ctr_model() -> Result<GroundedModel, String> {
    GroundedModel::from_json(CTR_MODEL).map_err(|e| format!("{CTR_MODEL_NAME}: {e}"))
}
