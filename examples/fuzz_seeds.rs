//! Seed corpora for the fuzz targets (`fuzz/`), from the real data and the shipped models.
//!
//! ```sh
//! cargo run --example fuzz_seeds -- DATA_DIR OUT_DIR
//! ```
//!
//! `scripts/fuzz.sh` runs it (DATA_DIR = `../shared/data`, OUT_DIR under the cargo target dir:
//! never committed, the real data is not redistributed). It writes one folder per target:
//!
//! - `csv_import/`: the header and first rows of each real export (and a generic-format file
//!   rendered from the imported records), small enough for libFuzzer's default input size;
//! - `record_json/`: JSON arrays of real imported records, as [`RecordInput`]s;
//! - `model_load/`: the model files up to 4 KB (the in-flight CTR model) and a tiny niche model,
//!   prefixed with the target's flag byte;
//! - `niche_copy_text/`: real ad headlines and bodies (`headline\nbody`);
//! - `normalize_features/`: empty (its inputs are `arbitrary` structs; libFuzzer starts from none).
//!
//! Missing data files are skipped, so it also runs where `../shared/data` is absent.

use crosslearn::import::import_csv;
use crosslearn::niche::hashing::HashingConfig;
use crosslearn::niche::model::{FloatParams, NicheModel};
use crosslearn::niche::Niche;
use crosslearn::record::{CreativeRecord, RecordInput};
use std::fs;
use std::path::{Path, PathBuf};

/// The real exports the importer reads, and how many leading lines of each make one seed.
const EXPORTS: &[(&str, usize)] = &[
    ("src_ads_creative_facebook_all_data.csv", 6),
    ("src_ads_tiktok_ads_all_data.csv", 8),
    ("KAG_conversion_data.csv", 20),
];
/// Seeds per target from the records.
const RECORD_SEEDS: usize = 40;
/// Largest seed written (libFuzzer's default maximum input length is 4096).
const MAX_SEED: usize = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, out] = args.as_slice() else {
        return Err("usage: fuzz_seeds DATA_DIR OUT_DIR".into());
    };
    let (data, out) = (Path::new(data), PathBuf::from(out));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut written = 0usize;
    let mut put = |target: &str, name: String, bytes: &[u8]| -> std::io::Result<()> {
        if bytes.len() > MAX_SEED {
            return Ok(());
        }
        let dir = out.join(target);
        fs::create_dir_all(&dir)?;
        written += 1;
        fs::write(dir.join(name), bytes)
    };
    fs::create_dir_all(out.join("normalize_features"))?;

    let mut records: Vec<CreativeRecord> = Vec::new();
    for (file, lines) in EXPORTS {
        let Ok(text) = fs::read(data.join(file)) else {
            eprintln!("fuzz_seeds: {file} not found, skipped");
            continue;
        };
        // Windows of whole lines: the header plus `lines` rows from a few places in the file.
        let all: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
        let header = all.first().copied().unwrap_or_default();
        for (k, start) in [
            1,
            all.len() / 3,
            all.len() / 2,
            all.len().saturating_sub(lines + 1),
        ]
        .into_iter()
        .enumerate()
        {
            let start = start.max(1);
            let mut seed = header.to_vec();
            all.iter()
                .skip(start)
                .take(*lines)
                .for_each(|l| seed.extend_from_slice(l));
            put("csv_import", format!("{file}.{k}.csv"), &seed)?;
        }
        if let Ok(rep) = import_csv(&text) {
            records.extend(rep.accepted);
        }
    }

    // Spread the picks over the whole set (every format), deterministically.
    let step = (records.len() / RECORD_SEEDS).max(1);
    let picked: Vec<&CreativeRecord> = records.iter().step_by(step).take(RECORD_SEEDS).collect();
    for (i, pair) in picked.chunks(2).enumerate() {
        let inputs: Vec<RecordInput> = pair.iter().map(|r| RecordInput::from(*r)).collect();
        put(
            "record_json",
            format!("records.{i}.json"),
            &serde_json::to_vec(&inputs)?,
        )?;
    }
    for (i, r) in picked.iter().enumerate() {
        let text = format!("{}\n{}", r.headline, r.body);
        put("niche_copy_text", format!("text.{i}.txt"), text.as_bytes())?;
    }
    // The generic CSV format, from the same records.
    let mut generic = String::from(
        "record_id,account_id,platform,date,headline,body,impressions,clicks,spend,conversions\n",
    );
    for r in picked.iter().take(8) {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        generic.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            q(&r.record_id),
            q(&r.account_id),
            r.platform,
            r.date_start.as_deref().unwrap_or(""),
            q(&r.headline),
            q(&r.body),
            r.impressions,
            r.clicks,
            r.spend,
            r.conversions.map(|c| c.to_string()).unwrap_or_default(),
        ));
    }
    put("csv_import", "generic.csv".into(), generic.as_bytes())?;

    // Model files, behind the flag byte (1 = repair the checksum; 0 = take the bytes as they are).
    for file in [
        "models/ctr-prelaunch-v1.bin",
        "models/ctr-inflight-v1.bin",
        "models/niche-v2.bin",
        "tests/data/ctr_small_prelaunch.bin",
    ] {
        let Ok(bytes) = fs::read(root.join(file)) else {
            continue;
        };
        let name = file.rsplit('/').next().unwrap_or(file);
        for flag in [0u8, 1] {
            let mut seed = vec![flag];
            seed.extend_from_slice(&bytes);
            // Files above libFuzzer's default input size (the pre-launch models) are skipped.
            put("model_load", format!("{name}.{flag}"), &seed)?;
        }
    }
    // A tiny niche model (16 buckets, 3 classes): the whole format in ~200 bytes, so mutations
    // reach every field quickly (the shipped one is 192 KB).
    let tiny = NicheModel::quantize(&FloatParams {
        hashing: HashingConfig {
            buckets: 16,
            ..HashingConfig::default()
        },
        classes: vec![Some(Niche::Fitness), Some(Niche::Finance), None],
        weights: (0..48).map(|i| (i as f32 - 24.0) / 8.0).collect(),
        bias: vec![0.1, -0.2, 0.0],
        kw_weight: 0.5,
        temperature: 1.0,
        threshold: 0.3,
    })?;
    for flag in [0u8, 1] {
        let mut seed = vec![flag];
        seed.extend_from_slice(&tiny.to_bytes());
        put("model_load", format!("niche-tiny.{flag}"), &seed)?;
    }
    println!(
        "fuzz_seeds: {} records read, {written} seeds (+ model files) in {}",
        records.len(),
        out.display()
    );
    Ok(())
}
