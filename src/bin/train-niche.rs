//! Train the niche model and write it: `cargo run --release --bin train-niche -- --data
//! ../shared/data --seed 7` writes `models/niche-v2.bin` (public sources, exports, the
//! advertiser-labelled corpus and the teacher's committed pseudo-labels). Deterministic: the same
//! data, flags and seed give the same bytes. niche-v1's flags are in docs/niche.md.

#[path = "common/niche_cli.rs"]
#[allow(dead_code)]
mod cli;

use crosslearn::niche::model::crc32;

fn run() -> Result<(), String> {
    let args = cli::parse_args()?;
    let data = cli::load_data(&args)?;
    let (train, calib) = args.recipe.examples(&data, |_| true, 0);
    let classes = args.recipe.classes();
    println!(
        "examples: {} train, {} calibration",
        train.len(),
        calib.len()
    );
    for (k, class) in classes.iter().enumerate() {
        let n = train.iter().filter(|e| e.class == k).count();
        let name = class.map_or("other", |c| c.as_str());
        println!("  {name:<14} {n:>6}");
    }
    let model = args.recipe.shipped(&data).map_err(|e| e.to_string())?;
    let bytes = model.to_bytes();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, &bytes).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes, crc32 of body {:08x}, T = {:.4}, threshold = {:.2}, keyword weight = {:.3})",
        args.out.display(),
        bytes.len(),
        crc32(&bytes[..bytes.len().saturating_sub(4)]),
        model.temperature(),
        model.threshold(),
        model.keyword_weight()
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("train-niche: {e}");
        std::process::exit(1);
    }
}
