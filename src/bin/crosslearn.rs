//! `crosslearn` command line: simulate a network or summarise a CSV import.
//!
//! ```text
//! crosslearn simulate --seed N --accounts N [--effect-scale X] --out FILE.json
//! crosslearn import FILE.csv
//! ```

use crosslearn::import::import_csv;
use crosslearn::sim::{generate_network, network_digest, SimOptions};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage:\n  crosslearn simulate --seed N --accounts N [--effect-scale X] --out FILE.json\n  crosslearn import FILE.csv");
    ExitCode::from(2)
}

fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> Option<Option<T>> {
    match args.iter().position(|a| a == name) {
        None => Some(None),
        Some(i) => args.get(i + 1).and_then(|v| v.parse().ok()).map(Some),
    }
}

fn simulate(args: &[String]) -> Result<(), String> {
    let seed = flag::<u64>(args, "--seed")
        .ok_or("bad --seed")?
        .ok_or("--seed is required")?;
    let accounts = flag::<u32>(args, "--accounts")
        .ok_or("bad --accounts")?
        .unwrap_or(60);
    let effect_scale = flag::<f64>(args, "--effect-scale").ok_or("bad --effect-scale")?;
    let out = flag::<String>(args, "--out")
        .ok_or("bad --out")?
        .ok_or("--out is required")?;
    let net = generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale,
    })
    .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(&net).map_err(|e| e.to_string())?;
    std::fs::write(&out, json).map_err(|e| format!("writing {out}: {e}"))?;
    println!("{}", net.label);
    println!(
        "parameters {} (FNV-1a 64 {})",
        net.params_version, net.params_hash
    );
    println!(
        "seed {seed}, effect_scale {}, {} accounts, {} records",
        net.effect_scale,
        net.accounts.len(),
        net.records.len()
    );
    println!("network digest {:016x} -> {out}", network_digest(&net));
    Ok(())
}

fn import(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("import needs a CSV file")?;
    let bytes = std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))?;
    let r = import_csv(&bytes).map_err(|e| e.to_string())?;
    println!(
        "{path}: format {:?}, {} rows, {} accepted, {} rejected",
        r.format,
        r.rows,
        r.accepted.len(),
        r.rejected.len()
    );
    for rej in r.rejected.iter().take(20) {
        for i in &rej.issues {
            println!(
                "  line {}: {} {:?}: {}",
                rej.line.unwrap_or(0),
                i.field,
                i.value,
                i.message
            );
        }
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    for u in &r.unrecoverable {
        println!("  not recoverable: {u}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("simulate") => simulate(&args[1..]),
        Some("import") => import(&args[1..]),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
