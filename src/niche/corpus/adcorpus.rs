//! The ad-copy corpus (`shared/data/ad_copy_corpus.csv`) and its advertiser-level hand labels.
//!
//! The corpus has columns `id,source,advertiser,text` (27,306 real ad and marketing texts). Hand
//! labels (`tests/data/corpus_advertisers_*.csv`, columns
//! `source,advertiser,niche,evidence,n_read,rules`, rules in `docs/niche-labelling.md`) name the
//! industry of one `(source, advertiser)`; the label applies to every text of that advertiser in
//! that source. `mixed` and `unclear` advertisers are left out of training and evaluation.
//!
//! The unit of every split is the advertiser's normalized name (`c:` + lower-cased, trimmed), so
//! the same advertiser in two sources can never sit on both sides of a split.

use super::csv::{get, Table};
use super::{Doc, Source};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;
use std::collections::BTreeMap;

/// The sources of the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CorpusSource {
    /// Promoted tweets from users' Twitter archives (served).
    TwPromoted,
    /// YouTube Kids pre-roll ad titles (served).
    YtKidsPreroll,
    /// YouTube Kids in-feed ads (served).
    YtKidsInfeed,
    /// Meta ad library, EU (served).
    FbAdlibEu,
    /// Native ads of content-recommendation widgets (served).
    ConproNative,
    /// OCR of image ads (served).
    PittOcr,
    /// Brand slogans (textart list).
    SloganTextart,
    /// Brand slogans (sloganlist).
    SloganSloganlist,
    /// Fortune 500 slogans.
    SloganF500,
    /// Company website taglines.
    WebTagline,
}

/// What kind of text a corpus source holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Ads a platform served: the evaluation set.
    Served,
    /// Brand slogans: extra training text.
    Slogan,
    /// Company taglines: extra training text.
    Tagline,
}

impl CorpusSource {
    /// All sources, in the corpus's order.
    pub const ALL: [CorpusSource; 10] = [
        CorpusSource::TwPromoted,
        CorpusSource::YtKidsPreroll,
        CorpusSource::YtKidsInfeed,
        CorpusSource::FbAdlibEu,
        CorpusSource::ConproNative,
        CorpusSource::PittOcr,
        CorpusSource::SloganTextart,
        CorpusSource::SloganSloganlist,
        CorpusSource::SloganF500,
        CorpusSource::WebTagline,
    ];

    /// The `source` value in the corpus.
    pub fn name(self) -> &'static str {
        match self {
            CorpusSource::TwPromoted => "tw_promoted",
            CorpusSource::YtKidsPreroll => "yt_kids_preroll",
            CorpusSource::YtKidsInfeed => "yt_kids_infeed",
            CorpusSource::FbAdlibEu => "fb_adlib_eu",
            CorpusSource::ConproNative => "conpro_native",
            CorpusSource::PittOcr => "pitt_ocr",
            CorpusSource::SloganTextart => "slogan_textart",
            CorpusSource::SloganSloganlist => "slogan_sloganlist",
            CorpusSource::SloganF500 => "slogan_f500",
            CorpusSource::WebTagline => "web_tagline",
        }
    }

    /// Parse a `source` value.
    pub fn parse(s: &str) -> Result<Self> {
        CorpusSource::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::UnknownValue,
                    "source",
                    format!("unknown corpus source {s:?}"),
                )
            })
    }

    /// The kind of its texts.
    pub fn kind(self) -> Kind {
        match self {
            CorpusSource::SloganTextart
            | CorpusSource::SloganSloganlist
            | CorpusSource::SloganF500 => Kind::Slogan,
            CorpusSource::WebTagline => Kind::Tagline,
            _ => Kind::Served,
        }
    }
}

/// One corpus text.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusText {
    /// The corpus `id`.
    pub id: String,
    /// Its source.
    pub source: CorpusSource,
    /// Advertiser as given (may be empty).
    pub advertiser: String,
    /// The text.
    pub text: String,
}

/// The split group of an advertiser name (`c:` + lower-cased, trimmed).
pub fn advertiser_group(advertiser: &str) -> String {
    format!("c:{}", advertiser.trim().to_lowercase())
}

/// Parse the corpus CSV.
pub fn parse_corpus(csv: &str) -> Result<Vec<CorpusText>> {
    let t = Table::parse(csv)?;
    let (i, s, a, x) = (
        t.column("id")?,
        t.column("source")?,
        t.column("advertiser")?,
        t.column("text")?,
    );
    t.rows()
        .iter()
        .enumerate()
        .map(|(n, row)| {
            Ok(CorpusText {
                id: get(row, i).to_string(),
                source: CorpusSource::parse(get(row, s))
                    .map_err(|e| e.within(&format!("corpus[{n}]")))?,
                advertiser: get(row, a).to_string(),
                text: get(row, x).to_string(),
            })
        })
        .collect()
}

/// An advertiser-level label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvertiserLabel {
    /// One of the 15 niches, or `Unknown` for `other`.
    Niche(Niche),
    /// Sells things of several niches: excluded.
    Mixed,
    /// Industry cannot be told: excluded.
    Unclear,
}

/// Labels keyed by `(source, advertiser)`; value = (label, evidence is the name only).
pub type LabelMap = BTreeMap<(CorpusSource, String), (AdvertiserLabel, bool)>;

/// Parse one or more label files (`source,advertiser,niche,evidence,n_read,rules`). A pair labelled
/// twice with different labels is an error naming both rows.
pub fn parse_labels(files: &[&str]) -> Result<LabelMap> {
    let mut out = LabelMap::new();
    for (f, text) in files.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let t = Table::parse(text)?;
        let (s, a, l, e, r) = (
            t.column("source")?,
            t.column("advertiser")?,
            t.column("niche")?,
            t.column("evidence")?,
            t.column("rules")?,
        );
        for (i, row) in t.rows().iter().enumerate() {
            let at = |field: &str| format!("labels{f}[{i}].{field}");
            let source = CorpusSource::parse(get(row, s)).map_err(|e| e.within(&at("")))?;
            let label = match get(row, l).trim() {
                "mixed" => AdvertiserLabel::Mixed,
                "unclear" => AdvertiserLabel::Unclear,
                "other" => AdvertiserLabel::Niche(Niche::Unknown),
                name => AdvertiserLabel::Niche(name.parse().map_err(|_| {
                    Error::field(
                        ErrorCode::UnknownValue,
                        at("niche"),
                        format!("{name:?} is not a niche, other, mixed or unclear"),
                    )
                })?),
            };
            let evidence = get(row, e).trim();
            if evidence != "text" && evidence != "name" {
                return Err(Error::field(
                    ErrorCode::UnknownValue,
                    at("evidence"),
                    format!("expected text or name, got {evidence:?}"),
                ));
            }
            if get(row, r).trim().is_empty() {
                return Err(Error::field(
                    ErrorCode::MissingField,
                    at("rules"),
                    "the rules version is required",
                ));
            }
            let key = (source, get(row, a).trim().to_string());
            let value = (label, evidence == "name");
            if let Some(prev) = out.get(&key) {
                if prev.0 != value.0 {
                    return Err(Error::field(
                        ErrorCode::InvalidValue,
                        at("niche"),
                        format!(
                            "{} / {:?} is labelled twice, differently",
                            key.0.name(),
                            key.1
                        ),
                    ));
                }
            }
            out.insert(key, value);
        }
    }
    Ok(out)
}

/// Labelled corpus texts as `(id, Doc)` (`mixed`, `unclear` and unlabelled advertisers left
/// out), and the unlabelled texts (advertisers with no label row).
pub fn labelled_docs(
    corpus: &[CorpusText],
    labels: &LabelMap,
) -> (Vec<(String, Doc)>, Vec<CorpusText>) {
    let mut docs = Vec::new();
    let mut rest = Vec::new();
    for c in corpus {
        match labels.get(&(c.source, c.advertiser.trim().to_string())) {
            Some(&(AdvertiserLabel::Niche(label), name_only)) if !c.text.trim().is_empty() => {
                let doc = Doc {
                    source: Source::Corpus(c.source),
                    group: advertiser_group(&c.advertiser),
                    label,
                    text: c.text.clone(),
                    context_only: name_only,
                };
                docs.push((c.id.clone(), doc));
            }
            Some(_) => {}
            None => rest.push(c.clone()),
        }
    }
    (docs, rest)
}

const EN: &[&str] = &[
    "the", "and", "you", "your", "to", "of", "for", "with", "is", "are", "this", "our", "we",
    "get", "now", "new", "on", "in", "it", "at", "from", "all", "more", "can", "will", "be", "how",
    "what", "free", "my", "i", "a", "an", "by", "out", "up", "just", "today",
];
const NON_EN: &[&str] = &[
    // French
    "le", "la", "les", "des", "du", "et", "pour", "avec", "une", "est", "sur", "vous", "votre",
    "nouveau", "nouvelle", "dans", "pas", "au", "aux", "tout", "plus", // German
    "der", "die", "das", "und", "mit", "für", "ist", "ein", "eine", "jetzt", "neu", "zu", "auf",
    "dich", "nicht", "von", "den", "im", // Spanish / Portuguese / Italian
    "el", "los", "las", "y", "para", "con", "una", "por", "tu", "más", "nuevo", "nueva", "il",
    "di", "che", "della", "per", "com", "você", "seu", "sua", "não", "um", "uma", "e",
    // Dutch / Swedish / Danish
    "het", "een", "voor", "van", "met", "je", "jouw", "nu", "op", "zijn", "niet", "och", "för",
    "med", "att", "är", "på", "det", "som", "nya", "og", "til", "af", "ikke",
];

/// A heuristic language test for reports: `true` when the text reads as English.
///
/// Texts with more than 15 % non-ASCII letters are not English (Korean, Cyrillic, Greek, …).
/// Otherwise the text is English unless it has more common French, German, Spanish, Portuguese,
/// Italian, Dutch or Scandinavian function words than English ones. Titles without any function
/// word count as English. A report split, not a language model.
pub fn is_english(text: &str) -> bool {
    let (mut letters, mut non_ascii) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if !c.is_ascii() {
            non_ascii += 1;
        }
    }
    if letters == 0 || non_ascii * 100 > letters * 15 {
        return letters == 0;
    }
    let (mut en, mut other) = (0usize, 0usize);
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        en += usize::from(EN.contains(&w.as_str()));
        other += usize::from(NON_EN.contains(&w.as_str()));
    }
    other <= en
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_heuristic() {
        assert!(is_english("Get 20% off your first order today"));
        assert!(is_english("LEGO Friends Summer Fun"));
        assert!(!is_english(
            "Découvrez la nouvelle collection pour les enfants"
        ));
        assert!(!is_english("Jetzt neu: die Kollektion für dich"));
        assert!(!is_english("서로의 음악 취향을 표현하고"));
    }

    #[test]
    fn labels_parse_and_reject() {
        let ok = "source,advertiser,niche,evidence,n_read,rules\n\
                  tw_promoted,Acme,finance,text,3,r1\n\
                  tw_promoted,Mix,mixed,text,3,r1\n\
                  web_tagline,Org,other,name,1,r1\n";
        let m = parse_labels(&[ok]).expect("parses");
        assert_eq!(m.len(), 3);
        let key = (CorpusSource::WebTagline, "Org".to_string());
        assert_eq!(m[&key], (AdvertiserLabel::Niche(Niche::Unknown), true));
        let bad = ok.replace("finance,text", "crypto,text");
        let e = parse_labels(&[&bad]).expect_err("bad niche");
        assert!(e.to_string().contains("labels0[0].niche"), "{e}");
        let clash = "source,advertiser,niche,evidence,n_read,rules\n\
                     tw_promoted,Acme,food,text,3,r1\n";
        assert!(parse_labels(&[ok, clash]).is_err());
        let norules = ok.replace(",r1\nweb", ",\nweb");
        assert!(parse_labels(&[&norules]).is_err());
    }
}
