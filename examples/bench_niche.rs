//! Native niche-detection benchmark on **real served ads** (the served sources of
//! `../shared/data/ad_copy_corpus.csv`: promoted tweets, YouTube Kids, Meta ad library, native
//! ads). `scripts/bench-niche.sh` runs it next to `tests/bench/niche.mjs` (the npm package under
//! Node, full and `lite`) on the same texts and prints both side by side.
//!
//! ```sh
//! cargo run --release --example bench_niche -- OUT_DIR [N_ADS] [CORPUS] [MODEL]
//! #   defaults: 5,000 ads, ../shared/data/ad_copy_corpus.csv, models/niche-v2.bin
//! ```
//!
//! It writes the texts, the model path and the native answers to `OUT_DIR` (`texts.json`,
//! `native.json`) for the Node side, and prints one `key=value` line per measurement:
//!
//! ```text
//! native detect n=5000 seconds=... us_per_ad=... p50_us=... p95_us=... max_us=...
//! native batch n=5000 seconds=... us_per_ad=...
//! native account ads=10 accounts=500 seconds=... us_per_account=...
//! ```
//!
//! `detect` is one call per ad (what the editor does per keystroke), timed call by call, best of
//! 3 passes; `batch` is `niche_probabilities_batch` over all ads; `account` is `account_niche`
//! over consecutive groups of 10 ads. Nothing here asserts on time.

use crosslearn::niche::corpus::adcorpus::{parse_corpus, Kind};
use crosslearn::niche::{account_niche, NicheModel};
use std::path::PathBuf;
use std::time::Instant;

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: bench_niche OUT_DIR [N_ADS] [CORPUS] [MODEL]")?,
    );
    let n: usize = match args.next() {
        Some(a) => a.parse()?,
        None => 5_000,
    };
    let corpus = args.next().map_or_else(
        || root.join("../shared/data/ad_copy_corpus.csv"),
        PathBuf::from,
    );
    let model_path = args
        .next()
        .map_or_else(|| root.join("models/niche-v2.bin"), PathBuf::from);
    std::fs::create_dir_all(&out)?;

    let csv = std::fs::read_to_string(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let texts: Vec<String> = parse_corpus(&csv)?
        .into_iter()
        .filter(|t| t.source.kind() == Kind::Served && !t.text.trim().is_empty())
        .map(|t| t.text)
        .take(n)
        .collect();
    let n = texts.len();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let bytes = std::fs::read(&model_path)?;
    let model = NicheModel::from_bytes(&bytes)?;
    println!(
        "native texts n={n} mean_chars={:.1} model={} model_bytes={}",
        chars as f64 / n.max(1) as f64,
        model_path.display(),
        bytes.len()
    );

    // One call per ad, each timed; best pass of 3 by total time.
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut answers = Vec::with_capacity(n);
    for _ in 0..3 {
        answers.clear();
        let mut per = Vec::with_capacity(n);
        let t = Instant::now();
        for text in &texts {
            let s = Instant::now();
            let d = model.detect(text);
            per.push(s.elapsed().as_secs_f64() * 1e6);
            answers.push(d);
        }
        let total = t.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|(b, _)| total < *b) {
            best = Some((total, per));
        }
    }
    let (total, mut per) = best.ok_or("no pass")?;
    per.sort_by(f64::total_cmp);
    println!(
        "native detect n={n} seconds={total:.6} us_per_ad={:.2} p50_us={:.2} p95_us={:.2} max_us={:.2}",
        total * 1e6 / n as f64,
        percentile(&per, 0.5),
        percentile(&per, 0.95),
        per[per.len() - 1]
    );

    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let p = model.niche_probabilities_batch(&texts);
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(p);
    }
    println!(
        "native batch n={n} seconds={best:.6} us_per_ad={:.2}",
        best * 1e6 / n as f64
    );

    let accounts: Vec<&[String]> = texts.chunks_exact(10).collect();
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for a in &accounts {
            std::hint::black_box(account_niche(&model, None, a));
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "native account ads=10 accounts={} seconds={best:.6} us_per_account={:.2}",
        accounts.len(),
        best * 1e6 / accounts.len().max(1) as f64
    );

    std::fs::write(out.join("texts.json"), serde_json::to_string(&texts)?)?;
    let native: Vec<(String, f64)> = answers
        .iter()
        .map(|d| (d.niche.as_str().to_string(), d.confidence))
        .collect();
    std::fs::write(out.join("native.json"), serde_json::to_string(&native)?)?;
    std::fs::write(
        out.join("model.txt"),
        model_path.canonicalize()?.display().to_string(),
    )?;
    Ok(())
}
