//! The one recipe that turns the labelled files into the shipped model (and into the
//! cross-validation models of the evaluation), so training and evaluation cannot drift apart.
//!
//! - Shipped model: trained on the `train` split of the three public sources plus **all**
//!   hand-labelled ad copy; temperature fitted on the `calibration` split; the `test` split is
//!   never seen.
//! - Fold `f` of the ad-copy cross-validation: the same, except the ad copy of fold `f` (whole
//!   advertisers) is left out and used for scoring.
//! - Ad copy = the hand-labelled Facebook/TikTok creatives **and** the advertiser-labelled corpus
//!   texts (served ads, slogans, taglines), all kept whole and weighted per advertiser.
//! - Distillation (optional): unlabelled corpus texts with the teacher's pseudo-label, weight
//!   `pseudo_weight · p` when the teacher's probability `p >= pseudo_min`. Pseudo-labels come per
//!   fold (a fold's column is written by a teacher that never saw that fold's labels), so no
//!   evaluation label leaks through them.

use super::adcorpus::{self, CorpusSource};
use super::csv::{get, Table};
use super::{
    examples, fold_of, is_holdout, merge_near_duplicates, sources, split_of, Doc, SnippetConfig,
};
use super::{Source, Split};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::model::NicheModel;
use crate::niche::train::{train, Example, TrainConfig};
use crate::niche::Niche;
use std::collections::{BTreeMap, BTreeSet};

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
    /// `ad_copy_corpus.csv` (empty: no corpus).
    pub corpus: String,
    /// The advertiser label files of the corpus (`tests/data/corpus_advertisers_*.csv`).
    pub corpus_labels: Vec<String>,
    /// The teacher's pseudo-labels (`tests/data/niche_teacher_pseudo.csv`; empty: none).
    pub pseudo: String,
}

/// An unlabelled corpus text (its advertiser has no label row).
#[derive(Debug, Clone, PartialEq)]
pub struct Unlabelled {
    /// Corpus id.
    pub id: String,
    /// Split group (near-duplicates merged with the labelled documents).
    pub group: String,
    /// Corpus source.
    pub source: CorpusSource,
    /// The text.
    pub text: String,
}

/// One pseudo-label: the teacher's top class (`None` = other) and its probability.
pub type PseudoLabel = (Option<Niche>, f32);

/// Pseudo-labels by corpus id: column 0 = all labels, column `1 + f` = without fold `f`.
pub type PseudoLabels = BTreeMap<String, Vec<Option<PseudoLabel>>>;

/// Everything the recipe reads, parsed.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// Labelled documents (public sources, hand-labelled ad copy, labelled corpus texts).
    pub docs: Vec<Doc>,
    /// Corpus ids of the labelled corpus documents (`""` for other sources), parallel to `docs`.
    pub ids: Vec<String>,
    /// Unlabelled corpus texts.
    pub unlabelled: Vec<Unlabelled>,
    /// Pseudo-labels by corpus id: column 0 = all labels, column `1 + f` = without fold `f`.
    pub pseudo: PseudoLabels,
    /// When set, only the labelled corpus texts with these ids are trained on (the others are
    /// still evaluated): lets one evaluation set compare recipes trained on fewer label files.
    pub train_ids: Option<BTreeSet<String>>,
}

/// Parse the teacher's pseudo-label file `id,all,f0,..,f{k-1}`; a cell is `niche:probability`
/// (`other` for none of ours) or empty.
pub fn parse_pseudo(text: &str, folds: u64) -> Result<PseudoLabels> {
    let mut out = BTreeMap::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    let t = Table::parse(text)?;
    let id = t.column("id")?;
    let mut cols = vec![t.column("all")?];
    for f in 0..folds {
        cols.push(t.column(&format!("f{f}"))?);
    }
    for (i, row) in t.rows().iter().enumerate() {
        let mut cells = Vec::with_capacity(cols.len());
        for &c in &cols {
            let cell = get(row, c).trim();
            if cell.is_empty() {
                cells.push(None);
                continue;
            }
            let bad = || {
                Error::field(
                    ErrorCode::Malformed,
                    format!("pseudo[{i}]"),
                    format!("expected niche:probability, got {cell:?}"),
                )
            };
            let (name, p) = cell.split_once(':').ok_or_else(bad)?;
            let p: f32 = p.parse().map_err(|_| bad())?;
            if !(0.0..=1.0).contains(&p) {
                return Err(bad());
            }
            let niche = match name {
                "other" => None,
                n => Some(n.parse::<Niche>().map_err(|_| bad())?),
            };
            cells.push(Some((niche, p)));
        }
        out.insert(get(row, id).to_string(), cells);
    }
    Ok(out)
}

/// All labelled documents and unlabelled corpus texts, near-duplicate groups merged across both.
pub fn load(files: &Files) -> Result<Data> {
    let ov = sources::Overrides::parse(&files.overrides)?;
    let mut docs = sources::transcripts(&files.transcripts, &ov)?;
    docs.extend(sources::flipkart(&files.flipkart)?);
    docs.extend(sources::websites(&files.websites, &ov)?);
    docs.extend(sources::ad_copy(&files.labels)?);
    let mut ids = vec![String::new(); docs.len()];
    let mut unlabelled_ids = Vec::new();
    let n_labelled;
    if files.corpus.trim().is_empty() {
        n_labelled = docs.len();
    } else {
        let corpus = adcorpus::parse_corpus(&files.corpus)?;
        let label_texts: Vec<&str> = files.corpus_labels.iter().map(String::as_str).collect();
        let labels = adcorpus::parse_labels(&label_texts)?;
        let (labelled, rest) = adcorpus::labelled_docs(&corpus, &labels);
        for (id, doc) in labelled {
            ids.push(id);
            docs.push(doc);
        }
        n_labelled = docs.len();
        for u in rest {
            if u.text.trim().is_empty() {
                continue;
            }
            unlabelled_ids.push((u.id, u.source));
            docs.push(Doc {
                source: Source::Corpus(u.source),
                group: adcorpus::advertiser_group(&u.advertiser),
                label: Niche::Unknown,
                text: u.text,
                context_only: false,
            });
        }
    }
    merge_near_duplicates(&mut docs);
    let unlabelled = docs
        .split_off(n_labelled)
        .into_iter()
        .zip(unlabelled_ids)
        .map(|(d, (id, source))| Unlabelled {
            id,
            group: d.group,
            source,
            text: d.text,
        })
        .collect();
    Ok(Data {
        docs,
        ids,
        unlabelled,
        pseudo: BTreeMap::new(),
        train_ids: None,
    })
}

/// The ids of the corpus texts that `label_files` label with a niche or `other` (not `mixed`,
/// `unclear` or empty texts): the training restriction [`Data::train_ids`].
pub fn labelled_ids(corpus: &str, label_files: &[&str]) -> Result<BTreeSet<String>> {
    let corpus = adcorpus::parse_corpus(corpus)?;
    let labels = adcorpus::parse_labels(label_files)?;
    Ok(adcorpus::labelled_docs(&corpus, &labels)
        .0
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// [`load`] plus the teacher's pseudo-labels for `folds` folds.
pub fn load_with_pseudo(files: &Files, folds: u64) -> Result<Data> {
    let mut data = load(files)?;
    data.pseudo = parse_pseudo(&files.pseudo, folds)?;
    Ok(data)
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
    /// Weight of a pseudo-labelled text per unit of teacher probability (0: no distillation).
    pub pseudo_weight: f32,
    /// Smallest teacher probability a pseudo-label needs to be used.
    pub pseudo_min: f32,
    /// Leave the fixed held-out advertisers ([`is_holdout`]) out of training: their labelled ad
    /// copy and their unlabelled texts.
    pub holdout: bool,
}

impl Default for Recipe {
    fn default() -> Self {
        // The recipe of `models/niche-v2.bin`: trained without the fixed held-out advertisers,
        // slogans and taglines at 5 % of a served ad's weight. `models/niche-v1.bin` was trained
        // without the corpus or a held-out set, with 12,000 buckets, ad-copy weight 3 and no
        // pseudo-labels (docs/niche.md).
        Recipe {
            train: TrainConfig {
                hashing: crate::niche::hashing::HashingConfig {
                    buckets: 16_000,
                    ..Default::default()
                },
                ..TrainConfig::default()
            },
            snippets: SnippetConfig {
                ad_copy_weight: 6.0,
                slogan_weight: 0.05,
                ..SnippetConfig::default()
            },
            other_class: true,
            folds: 5,
            pseudo_weight: 1.0,
            pseudo_min: 0.5,
            holdout: true,
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

    /// Training and calibration examples; `keep_ad` selects the ad copy used for training and
    /// `pseudo_column` the pseudo-label column (0 = all labels, `1 + f` = without fold `f`; then
    /// the unlabelled texts of fold `f`'s groups are left out too).
    pub fn examples(
        &self,
        data: &Data,
        keep_ad: impl Fn(&Doc) -> bool,
        pseudo_column: usize,
    ) -> (Vec<Example>, Vec<Example>) {
        let train_docs: Vec<&Doc> = data
            .docs
            .iter()
            .zip(&data.ids)
            .filter(|(d, id)| {
                if d.source.is_ad_copy() {
                    keep_ad(d)
                        && !(self.holdout && is_holdout(&d.group))
                        && (id.is_empty()
                            || data.train_ids.as_ref().is_none_or(|t| t.contains(*id)))
                } else {
                    split_of(&d.group) == Split::Train
                }
            })
            .map(|(d, _)| d)
            .collect();
        let calib_docs: Vec<&Doc> = data
            .docs
            .iter()
            .filter(|d| !d.source.is_ad_copy() && split_of(&d.group) == Split::Calib)
            .collect();
        let classes = self.classes();
        let mut train = examples(&train_docs, &classes, &self.snippets);
        // Column `1 + f`: fold `f` is being evaluated, so an unlabelled text of one of its
        // advertiser groups (say a slogan of a labelled tweet advertiser) must not be trained on.
        let held_out = pseudo_column.checked_sub(1).map(|f| f as u64);
        if self.pseudo_weight > 0.0 {
            // Unlabelled texts, and labelled corpus texts outside `train_ids` (which a recipe
            // trained on fewer label files saw as unlabelled), in corpus order within each.
            let restricted = data.docs.iter().zip(&data.ids).filter(|(_, id)| {
                !id.is_empty() && data.train_ids.as_ref().is_some_and(|t| !t.contains(*id))
            });
            let candidates = data
                .unlabelled
                .iter()
                .map(|u| (&u.id, &u.group, &u.text))
                .chain(restricted.map(|(d, id)| (id, &d.group, &d.text)));
            for (id, group, text) in candidates {
                if held_out.is_some_and(|f| fold_of(group, self.folds) == f)
                    || (self.holdout && is_holdout(group))
                {
                    continue;
                }
                let cell = data
                    .pseudo
                    .get(id)
                    .and_then(|cells| cells.get(pseudo_column).copied().flatten());
                let Some((niche, p)) = cell else { continue };
                let Some(class) = classes.iter().position(|c| *c == niche) else {
                    continue;
                };
                if p >= self.pseudo_min {
                    train.push(Example {
                        text: text.clone(),
                        class,
                        weight: self.pseudo_weight * p,
                    });
                }
            }
        }
        (train, examples(&calib_docs, &classes, &self.snippets))
    }

    fn fit(
        &self,
        data: &Data,
        keep_ad: impl Fn(&Doc) -> bool,
        column: usize,
    ) -> Result<NicheModel> {
        let (tr, ca) = self.examples(data, keep_ad, column);
        train(&self.classes(), &tr, &ca, &self.train)
    }

    /// The shipped model.
    pub fn shipped(&self, data: &Data) -> Result<NicheModel> {
        self.fit(data, |_| true, 0)
    }

    /// The model of cross-validation fold `fold` (its ad copy held out).
    pub fn fold(&self, data: &Data, fold: u64) -> Result<NicheModel> {
        self.fit(
            data,
            |d| fold_of(&d.group, self.folds) != fold,
            1 + fold as usize,
        )
    }
}

/// Held-out evaluation items of the public sources: `(snippet, gold)` from the test split.
pub fn test_snippets(docs: &[Doc], cfg: &SnippetConfig) -> Vec<(String, Niche)> {
    let mut out = Vec::new();
    for d in docs {
        if !d.source.is_ad_copy() && split_of(&d.group) == Split::Test {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_labels_parse_and_reject() {
        let ok = "id,all,f0,f1\nad1,food:0.900,other:0.600,\nad2,tech:0.5,tech:0.4,saas:0.7\n";
        let m = parse_pseudo(ok, 2).expect("parses");
        assert_eq!(m["ad1"][0], Some((Some(Niche::Food), 0.9)));
        assert_eq!(m["ad1"][1], Some((None, 0.6)));
        assert_eq!(m["ad1"][2], None);
        assert_eq!(m["ad2"][2], Some((Some(Niche::Saas), 0.7)));
        for bad in ["food", "food:2", "crypto:0.5", "food:x"] {
            let text = format!("id,all,f0,f1\nad1,{bad},,\n");
            let e = parse_pseudo(&text, 2).expect_err(bad);
            assert!(e.to_string().contains("pseudo[0]"), "{e}");
        }
        assert!(
            parse_pseudo("id,all,f0\nad1,,\n", 2).is_err(),
            "missing fold column"
        );
        assert!(parse_pseudo("", 5).expect("empty").is_empty());
    }
}
