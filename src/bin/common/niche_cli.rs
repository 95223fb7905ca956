//! Shared command-line plumbing of `train-niche` and `eval-niche` (included with `#[path]`).

use crosslearn::niche::corpus::recipe::{Files, Recipe};
use std::path::{Path, PathBuf};

/// Parsed flags.
pub struct Args {
    pub data: PathBuf,
    pub labels: PathBuf,
    pub overrides: PathBuf,
    pub out: PathBuf,
    pub model: PathBuf,
    pub recipe: Recipe,
}

fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
    let v = v.ok_or(format!("{flag} needs a value"))?;
    v.parse().map_err(|_| format!("{flag}: bad value {v:?}"))
}

pub fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        data: PathBuf::from("../shared/data"),
        labels: PathBuf::from("tests/data/niche_labels.csv"),
        overrides: PathBuf::from("tests/data/niche_overrides.csv"),
        out: PathBuf::from("models/niche-v1.bin"),
        model: PathBuf::from("models/niche-v1.bin"),
        recipe: Recipe::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--data" => a.data = value(&flag, it.next())?,
            "--labels" => a.labels = value(&flag, it.next())?,
            "--overrides" => a.overrides = value(&flag, it.next())?,
            "--out" => a.out = value(&flag, it.next())?,
            "--model" => a.model = value(&flag, it.next())?,
            "--seed" => a.recipe.train.seed = value(&flag, it.next())?,
            "--epochs" => a.recipe.train.epochs = value(&flag, it.next())?,
            "--buckets" => a.recipe.train.hashing.buckets = value(&flag, it.next())?,
            "--l2" => a.recipe.train.l2 = value(&flag, it.next())?,
            "--lr" => a.recipe.train.learning_rate = value(&flag, it.next())?,
            "--threshold" => a.recipe.train.threshold = value(&flag, it.next())?,
            "--ad-weight" => a.recipe.snippets.ad_copy_weight = value(&flag, it.next())?,
            "--max-words" => a.recipe.snippets.max_words = value(&flag, it.next())?,
            "--max-snippets" => a.recipe.snippets.max_snippets = value(&flag, it.next())?,
            "--no-other" => a.recipe.other_class = false,
            "--no-keywords" => a.recipe.train.keyword_prior = false,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn read_files(a: &Args) -> Result<Files, String> {
    Ok(Files {
        transcripts: read(&a.data.join("Advertisement_Transcripts_deduped_edited.csv"))?,
        flipkart: read(&a.data.join("flipkart_com-ecommerce_sample_1050.csv"))?,
        websites: read(&a.data.join("website_classification.csv"))?,
        labels: read(&a.labels)?,
        overrides: read(&a.overrides)?,
    })
}
