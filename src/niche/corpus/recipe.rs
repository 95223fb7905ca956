//! The one recipe that turns the labelled files into the shipped model (and into the
//! cross-validation models of the evaluation), so training and evaluation cannot drift apart.
//!
//! - Shipped model: trained on the `train` split of the three public sources plus **all**
//!   hand-labelled ad copy; temperature fitted on the `calibration` split; the `test` split is
//!   never seen.
//! - Fold `f` of the ad-copy cross-validation: the same, except the ad copy of fold `f` (whole
//!   advertisers) is left out and used for scoring.

use super::{examples, fold_of, merge_near_duplicates, sources, split_of, Doc, SnippetConfig};
use super::{Source, Split};
use crate::error::Result;
use crate::niche::model::NicheModel;
use crate::niche::train::{train, Example, TrainConfig};
use crate::niche::Niche;

/// The input files' contents (the caller reads them).
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// `Advertisement_Transcripts_deduped_edited.csv`.
    pub transcripts: String,
    /// `flipkart_com-ecommerce_sample_1050.csv`.
    pub flipkart: String,
    /// `website_classification.csv`.
    pub websites: String,
    /// `tests/data/niche_labels.csv`.
    pub labels: String,
    /// `tests/data/niche_overrides.csv`.
    pub overrides: String,
}

/// All labelled documents, near-duplicate groups merged.
pub fn load(files: &Files) -> Result<Vec<Doc>> {
    let ov = sources::Overrides::parse(&files.overrides)?;
    let mut docs = sources::transcripts(&files.transcripts, &ov)?;
    docs.extend(sources::flipkart(&files.flipkart)?);
    docs.extend(sources::websites(&files.websites, &ov)?);
    docs.extend(sources::ad_copy(&files.labels)?);
    merge_near_duplicates(&mut docs);
    Ok(docs)
}

/// Hyperparameters of the whole recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// Solver and hashing.
    pub train: TrainConfig,
    /// Snippets and weights.
    pub snippets: SnippetConfig,
    /// Train an explicit `other` class from texts that belong to none of our niches.
    pub other_class: bool,
    /// Folds of the ad-copy cross-validation.
    pub folds: u64,
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe {
            train: TrainConfig::default(),
            snippets: SnippetConfig::default(),
            other_class: true,
            folds: 5,
        }
    }
}

impl Recipe {
    /// The model's classes: the 15 niches, then `other` if enabled.
    pub fn classes(&self) -> Vec<Option<Niche>> {
        let mut c: Vec<Option<Niche>> = Niche::ALL.iter().copied().map(Some).collect();
        if self.other_class {
            c.push(None);
        }
        c
    }

    /// Training and calibration examples; `keep_ad` selects the ad copy used for training.
    pub fn examples(
        &self,
        docs: &[Doc],
        keep_ad: impl Fn(&Doc) -> bool,
    ) -> (Vec<Example>, Vec<Example>) {
        let train_docs: Vec<&Doc> = docs
            .iter()
            .filter(|d| match d.source {
                Source::AdCopy => keep_ad(d),
                _ => split_of(&d.group) == Split::Train,
            })
            .collect();
        let calib_docs: Vec<&Doc> = docs
            .iter()
            .filter(|d| d.source != Source::AdCopy && split_of(&d.group) == Split::Calib)
            .collect();
        let classes = self.classes();
        (
            examples(&train_docs, &classes, &self.snippets),
            examples(&calib_docs, &classes, &self.snippets),
        )
    }

    fn fit(&self, docs: &[Doc], keep_ad: impl Fn(&Doc) -> bool) -> Result<NicheModel> {
        let (tr, ca) = self.examples(docs, keep_ad);
        train(&self.classes(), &tr, &ca, &self.train)
    }

    /// The shipped model.
    pub fn shipped(&self, docs: &[Doc]) -> Result<NicheModel> {
        self.fit(docs, |_| true)
    }

    /// The model of cross-validation fold `fold` (its ad copy held out).
    pub fn fold(&self, docs: &[Doc], fold: u64) -> Result<NicheModel> {
        self.fit(docs, |d| fold_of(&d.group, self.folds) != fold)
    }
}

/// Held-out evaluation items of the public sources: `(snippet, gold)` from the test split.
pub fn test_snippets(docs: &[Doc], cfg: &SnippetConfig) -> Vec<(String, Niche)> {
    let mut out = Vec::new();
    for d in docs {
        if d.source != Source::AdCopy && split_of(&d.group) == Split::Test {
            for s in super::snippets(&d.text, cfg.max_words)
                .into_iter()
                .take(cfg.max_snippets)
            {
                out.push((s, d.label));
            }
        }
    }
    out
}
