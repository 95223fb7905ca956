//! `crosslearn simulate`: the simulator (SIMULATED data).

use std::path::Path;

/// `crosslearn simulate` (the former `crosslearn simulate` of the core's binary, same output).
pub fn simulate(
    seed: u64,
    accounts: u32,
    effect_scale: Option<f64>,
    out: &Path,
) -> Result<(), String> {
    use crosslearn::sim::{generate_network, network_digest, SimOptions};
    let net = generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale,
    })
    .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(&net).map_err(|e| e.to_string())?;
    std::fs::write(out, json).map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
    crate::outln!("{}", net.label)?;
    crate::outln!(
        "parameters {} (FNV-1a 64 {})",
        net.params_version,
        net.params_hash
    )?;
    crate::outln!(
        "seed {seed}, effect_scale {}, {} accounts, {} records",
        net.effect_scale,
        net.accounts.len(),
        net.records.len()
    )?;
    crate::outln!(
        "network digest {:016x} -> {}",
        network_digest(&net),
        out.display()
    )?;
    Ok(())
}
