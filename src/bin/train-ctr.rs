//! Train a CTR model on the frozen simulator and write it (docs/ctr.md):
//!
//! ```text
//! cargo run --release --bin train-ctr -- --kind pre-launch --accounts 2000 --seed 7 \
//!     --out models/ctr-prelaunch-v1.bin
//! cargo run --release --bin train-ctr -- --kind in-flight --accounts 2000 --seed 7 \
//!     --prelaunch models/ctr-prelaunch-v1.bin --out models/ctr-inflight-v1.bin
//! ```
//!
//! Deterministic: the same flags (and pre-launch model) give the same bytes; the FNV-1a 64 hash of
//! the file is printed so docs can record it.

use crosslearn::hash::fnv1a64;
use crosslearn::model::ctr::{CtrModel, ModelKind};
use crosslearn::model::train::{train_on_simulator, SimTrainOptions};
use std::path::PathBuf;

fn run() -> Result<(), String> {
    let mut kind = None;
    let (mut accounts, mut seed, mut early, mut scale) = (2000u32, 7u64, 3usize, None);
    let (mut out, mut pre): (Option<PathBuf>, Option<PathBuf>) = (None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--kind" => {
                kind = Some(match val()?.as_str() {
                    "pre-launch" => ModelKind::PreLaunch,
                    "in-flight" => ModelKind::InFlight,
                    k => return Err(format!("--kind: expected pre-launch or in-flight, got {k}")),
                })
            }
            "--accounts" => accounts = val()?.parse().map_err(|e| format!("--accounts: {e}"))?,
            "--seed" => seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--early-days" => early = val()?.parse().map_err(|e| format!("--early-days: {e}"))?,
            "--effect-scale" => {
                scale = Some(val()?.parse().map_err(|e| format!("--effect-scale: {e}"))?)
            }
            "--out" => out = Some(val()?.into()),
            "--prelaunch" => pre = Some(val()?.into()),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let kind = kind.ok_or("--kind is required")?;
    let out = out.ok_or("--out is required")?;
    let prelaunch = match &pre {
        Some(p) => {
            let b = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Some(CtrModel::from_bytes(&b).map_err(|e| format!("{}: {e}", p.display()))?)
        }
        None => None,
    };
    let mut o = SimTrainOptions::standard(kind, accounts, seed);
    o.early_days = early;
    o.effect_scale = scale;
    let r = train_on_simulator(&o, prelaunch.as_ref()).map_err(|e| e.to_string())?;
    println!("| tau2 | l2 | validation log loss |\n|---|---|---|");
    for g in &r.grid {
        println!("| {} | {} | {:.6} |", g.tau2, g.l2, g.valid_log_loss);
    }
    let bytes = r.model.to_bytes();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "\nwrote {} ({} bytes, fnv1a64 {:016x}); {} rows, l2 = {}, tau2 = {}\ntrained on: {}",
        out.display(),
        bytes.len(),
        fnv1a64(&bytes),
        r.rows,
        r.best.l2,
        r.best.tau2,
        r.model.metadata().trained_on
    );
    Ok(())
}

fn main() {
    if let Err(m) = run() {
        eprintln!("train-ctr: {m}");
        std::process::exit(2);
    }
}
