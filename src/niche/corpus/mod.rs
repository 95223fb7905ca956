//! Training and evaluation data for the niche classifier, built from CSV text (no file I/O here).
//!
//! - [`sources`] loads each labelled file into [`Doc`]s and maps its labels onto our niches.
//! - [`merge_near_duplicates`] puts documents whose first 12 normalized tokens are equal into one
//!   group, so a copied ad can never sit on both sides of a split.
//! - [`split_of`] assigns a group to train / calibration / test by a hash of its name (20 % test,
//!   10 % calibration), so splits are stable and grouped; [`fold_of`] does the same for the
//!   grouped cross-validation of the hand-labelled ad copy.
//! - [`snippets`] cuts long documents into short, ad-sized pieces (sentences packed up to
//!   `max_words`), because the detector is meant for headlines and ad bodies.

pub mod adcorpus;
pub mod csv;
pub mod recipe;
pub mod sources;

use super::hashing::fnv1a;
use super::text::Tokens;
use super::train::Example;
use super::Niche;
use std::collections::BTreeMap;

/// Where a document comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// TV/radio ad transcripts.
    Transcripts,
    /// Flipkart product listings.
    Flipkart,
    /// Website texts.
    Websites,
    /// Hand-labelled Facebook/TikTok ad copy.
    AdCopy,
    /// The ad-copy corpus, labelled per advertiser.
    Corpus(adcorpus::CorpusSource),
}

impl Source {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Source::Transcripts => "transcripts",
            Source::Flipkart => "flipkart",
            Source::Websites => "websites",
            Source::AdCopy => "ad_copy",
            Source::Corpus(c) => c.name(),
        }
    }

    /// Ad copy (kept whole, weighted per advertiser) rather than a long document.
    pub fn is_ad_copy(self) -> bool {
        matches!(self, Source::AdCopy | Source::Corpus(_))
    }

    /// Served ad copy of the corpus (the evaluation set of the corpus labels).
    pub fn is_served(self) -> bool {
        matches!(self, Source::Corpus(c) if c.kind() == adcorpus::Kind::Served)
    }
}

/// One labelled document.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Source file.
    pub source: Source,
    /// Advertiser, brand or domain (near-duplicates merged): the unit of splitting.
    pub group: String,
    /// Gold niche; `unknown` = none of ours.
    pub label: Niche,
    /// The text.
    pub text: String,
    /// Ad copy whose niche is known only from the advertiser, not from the words.
    pub context_only: bool,
}

/// Where a group goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Training.
    Train,
    /// Temperature calibration.
    Calib,
    /// Held-out test.
    Test,
}

/// The split of a group: hash mod 10 -> {0, 1}: test, 2: calibration, else train.
pub fn split_of(group: &str) -> Split {
    match fnv1a(group.as_bytes()) % 10 {
        0 | 1 => Split::Test,
        2 => Split::Calib,
        _ => Split::Train,
    }
}

/// The cross-validation fold (0..k) of a group.
pub fn fold_of(group: &str, k: u64) -> u64 {
    (fnv1a(group.as_bytes()) >> 8) % k.max(1)
}

/// Seed of the fixed held-out set of corpus advertisers ([`is_holdout`]). Chosen once, before
/// any result on it was seen; changing it changes the held-out set.
pub const HOLDOUT_SEED: &str = "crosslearn-niche-holdout-2026";

/// Whether a split group (an advertiser, near-duplicates merged) belongs to the fixed held-out
/// set of the ad copy: FNV-1a of `HOLDOUT_SEED + ":" + group`, mod 5, equal to 0 (one group in
/// five). Used by `eval-niche --holdout` and `train-niche --holdout`: models that are compared on
/// it never see these advertisers' labels or texts.
pub fn is_holdout(group: &str) -> bool {
    fnv1a(format!("{HOLDOUT_SEED}:{group}").as_bytes()).is_multiple_of(5)
}

/// Merge groups of documents that share their first 12 normalized tokens (union-find; each
/// merged group takes the smallest name, so the result does not depend on input order).
pub fn merge_near_duplicates(docs: &mut [Doc]) {
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(p: &mut BTreeMap<String, String>, g: &str) -> String {
        let mut cur = g.to_string();
        while let Some(next) = p.get(&cur).filter(|n| **n != cur).cloned() {
            cur = next;
        }
        cur
    }
    let mut first_by_key: BTreeMap<String, String> = BTreeMap::new();
    for d in docs.iter() {
        parent
            .entry(d.group.clone())
            .or_insert_with(|| d.group.clone());
        let tokens = Tokens::new(&d.text);
        let key = tokens
            .words()
            .into_iter()
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        if key.is_empty() {
            continue;
        }
        match first_by_key.get(&key) {
            Some(other) => {
                let (a, b) = (find(&mut parent, other), find(&mut parent, &d.group));
                if a != b {
                    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                    parent.insert(hi, lo);
                }
            }
            None => {
                first_by_key.insert(key, d.group.clone());
            }
        }
    }
    for d in docs.iter_mut() {
        d.group = find(&mut parent, &d.group);
    }
}

fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = text.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let end = match c {
            b'\n' => true,
            b'.' | b'!' | b'?' => b.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()),
            _ => false,
        };
        if end {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// Cut a text into snippets of whole sentences packed up to `max_words` words (longer
/// sentences are cut into `max_words` windows); snippets under 3 words are dropped.
pub fn snippets(text: &str, max_words: usize) -> Vec<String> {
    let max_words = max_words.max(1);
    let mut out: Vec<String> = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for s in sentences(text) {
        let words: Vec<&str> = s.split_whitespace().collect();
        if cur.len() + words.len() > max_words && !cur.is_empty() {
            out.push(cur.join(" "));
            cur.clear();
        }
        for w in words.chunks(max_words) {
            if cur.len() + w.len() > max_words {
                out.push(cur.join(" "));
                cur.clear();
            }
            cur.extend_from_slice(w);
        }
    }
    if !cur.is_empty() {
        out.push(cur.join(" "));
    }
    out.retain(|s| s.split_whitespace().count() >= 3);
    out
}

/// How documents become examples.
#[derive(Debug, Clone, PartialEq)]
pub struct SnippetConfig {
    /// Words per snippet of a long document.
    pub max_words: usize,
    /// Snippets kept per long document (the first ones).
    pub max_snippets: usize,
    /// Weight of a hand-labelled ad (divided by sqrt of its group's size).
    pub ad_copy_weight: f32,
    /// Multiplier of that weight for labelled corpus slogans and taglines (not served ads).
    pub slogan_weight: f32,
}

impl Default for SnippetConfig {
    fn default() -> Self {
        SnippetConfig {
            max_words: 30,
            max_snippets: 6,
            ad_copy_weight: 3.0,
            slogan_weight: 1.0,
        }
    }
}

/// Examples for the given classes (`None` = other; documents whose label is not a class are
/// skipped). Ad copy is kept whole; long documents become snippets.
pub fn examples(docs: &[&Doc], classes: &[Option<Niche>], cfg: &SnippetConfig) -> Vec<Example> {
    let mut group_size: BTreeMap<&str, usize> = BTreeMap::new();
    for d in docs {
        *group_size.entry(d.group.as_str()).or_default() += 1;
    }
    let mut out = Vec::new();
    for d in docs {
        let want = if d.label == Niche::Unknown {
            None
        } else {
            Some(d.label)
        };
        let Some(class) = classes.iter().position(|c| *c == want) else {
            continue;
        };
        if d.source.is_ad_copy() {
            let size = group_size.get(d.group.as_str()).copied().unwrap_or(1) as f32;
            let kind = match d.source {
                Source::Corpus(c) if c.kind() != adcorpus::Kind::Served => cfg.slogan_weight,
                _ => 1.0,
            };
            out.push(Example {
                text: d.text.clone(),
                class,
                weight: kind * cfg.ad_copy_weight / size.sqrt(),
            });
        } else {
            for s in snippets(&d.text, cfg.max_words)
                .into_iter()
                .take(cfg.max_snippets)
            {
                out.push(Example {
                    text: s,
                    class,
                    weight: 1.0,
                });
            }
        }
    }
    out
}
