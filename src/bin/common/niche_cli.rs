//! Shared command-line plumbing of `train-niche` and `eval-niche` (included with `#[path]`).

use crosslearn::niche::corpus::recipe::{labelled_ids, load_with_pseudo, Data, Files, Recipe};
use std::path::{Path, PathBuf};

/// Parsed flags.
pub struct Args {
    pub data: PathBuf,
    pub labels: PathBuf,
    pub overrides: PathBuf,
    pub out: PathBuf,
    pub model: PathBuf,
    pub recipe: Recipe,
    /// `None`: `<data>/ad_copy_corpus.csv`; `Some("")` (`--no-corpus`): no corpus.
    pub corpus: Option<PathBuf>,
    /// `None`: [`DEFAULT_CORPUS_LABELS`] in `tests/data`.
    pub corpus_labels: Option<Vec<PathBuf>>,
    pub pseudo: PathBuf,
    /// Teacher cross-validation probabilities (eval only; empty: none).
    pub teacher: PathBuf,
    /// Where to write `id,group,fold,niche` of every corpus text (for the teacher; empty: no).
    pub write_folds: PathBuf,
    /// When set, only the corpus texts these label files label are trained on (the corpus label
    /// files still decide what is evaluated).
    pub train_labels: Option<Vec<PathBuf>>,
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
        out: PathBuf::from("models/niche-v2.bin"),
        model: PathBuf::from("models/niche-v1.bin"),
        recipe: Recipe::default(),
        corpus: None,
        corpus_labels: None,
        pseudo: PathBuf::from("tests/data/niche_teacher_pseudo.csv"),
        teacher: PathBuf::from("tests/data/niche_teacher_cv.csv"),
        write_folds: PathBuf::new(),
        train_labels: None,
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
            "--slogan-weight" => a.recipe.snippets.slogan_weight = value(&flag, it.next())?,
            "--max-words" => a.recipe.snippets.max_words = value(&flag, it.next())?,
            "--max-snippets" => a.recipe.snippets.max_snippets = value(&flag, it.next())?,
            "--no-other" => a.recipe.other_class = false,
            "--no-keywords" => a.recipe.train.keyword_prior = false,
            "--corpus" => a.corpus = Some(value(&flag, it.next())?),
            "--no-corpus" => a.corpus = Some(PathBuf::new()),
            "--corpus-labels" => {
                let v: String = value(&flag, it.next())?;
                a.corpus_labels = Some(v.split(',').map(PathBuf::from).collect());
            }
            "--pseudo" => a.pseudo = value(&flag, it.next())?,
            "--pseudo-weight" => a.recipe.pseudo_weight = value(&flag, it.next())?,
            "--pseudo-min" => a.recipe.pseudo_min = value(&flag, it.next())?,
            "--teacher" => a.teacher = value(&flag, it.next())?,
            "--write-folds" => a.write_folds = value(&flag, it.next())?,
            "--holdout" => a.recipe.holdout = true,
            "--no-holdout" => a.recipe.holdout = false,
            "--train-labels" => {
                let v: String = value(&flag, it.next())?;
                a.train_labels = Some(v.split(',').map(PathBuf::from).collect());
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(a)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The corpus label files the shipped `niche-v2` was trained on and evaluated with: served ads
/// (a, b, c) and slogans/taglines (d, training text only, weighted by `--slogan-weight`). The
/// committed teacher outputs were made from a and b only (their pseudo-labels of texts that c and
/// d now label are not used). `_second.csv` is the agreement check and never training data.
/// `--corpus-labels` overrides this list.
pub const DEFAULT_CORPUS_LABELS: [&str; 4] = [
    "corpus_advertisers_a.csv",
    "corpus_advertisers_b.csv",
    "corpus_advertisers_c.csv",
    "corpus_advertisers_d.csv",
];

pub fn corpus_label_paths(a: &Args) -> Result<Vec<PathBuf>, String> {
    if let Some(p) = &a.corpus_labels {
        return Ok(p.clone());
    }
    Ok(DEFAULT_CORPUS_LABELS
        .iter()
        .map(|n| Path::new("tests/data").join(n))
        .collect())
}

/// Read a file that may be absent (empty string then).
pub fn read_optional(path: &Path) -> Result<String, String> {
    if path.as_os_str().is_empty() || !path.exists() {
        return Ok(String::new());
    }
    read(path)
}

pub fn read_files(a: &Args) -> Result<Files, String> {
    let corpus = match &a.corpus {
        None => read(&a.data.join("ad_copy_corpus.csv"))?,
        Some(p) if p.as_os_str().is_empty() => String::new(),
        Some(p) => read(p)?,
    };
    let corpus_labels = corpus_label_paths(a)?
        .iter()
        .map(|p| read(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Files {
        corpus,
        corpus_labels,
        pseudo: if a.recipe.pseudo_weight > 0.0 {
            read(&a.pseudo)?
        } else {
            String::new()
        },
        transcripts: read(&a.data.join("Advertisement_Transcripts_deduped_edited.csv"))?,
        flipkart: read(&a.data.join("flipkart_com-ecommerce_sample_1050.csv"))?,
        websites: read(&a.data.join("website_classification.csv"))?,
        labels: read(&a.labels)?,
        overrides: read(&a.overrides)?,
    })
}

/// Read every input and parse it (labels, corpus, pseudo-labels, the `--train-labels` restriction).
pub fn load_data(a: &Args) -> Result<Data, String> {
    let files = read_files(a)?;
    let mut data = load_with_pseudo(&files, a.recipe.folds).map_err(|e| e.to_string())?;
    if let Some(paths) = &a.train_labels {
        let texts = paths
            .iter()
            .map(|p| read(p))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        data.train_ids = Some(labelled_ids(&files.corpus, &refs).map_err(|e| e.to_string())?);
    }
    Ok(data)
}
