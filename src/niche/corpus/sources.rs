//! The labelled sources in `shared/data` and how their labels map onto our niches.
//!
//! Each loader takes the file's text (the trainer binary does the reading) and returns [`Doc`]s;
//! `Niche::Unknown` as a label means "none of our 15 niches" (the `other` class). The category
//! mappings below are documented, with every exclusion, in `docs/niche.md`; advertiser- and
//! domain-level corrections come from `tests/data/niche_overrides.csv`.

use super::csv::{get, Table};
use super::{Doc, Source};
use crate::error::{Error, ErrorCode, Result};
use crate::niche::Niche;

/// What a source label becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One of our niches.
    Niche(Niche),
    /// None of our niches (trained as `other`, scored as `unknown`).
    Other,
    /// Left out of training and evaluation.
    Exclude,
}

fn n(niche: Niche) -> Target {
    Target::Niche(niche)
}

/// Ad-transcript `Category` -> target.
pub fn transcript_category(category: &str) -> Target {
    match category.trim().to_ascii_lowercase().as_str() {
        "automotive" => n(Niche::Automotive),
        "food & beverage" | "restaurants" | "alcohol & spirits" => n(Niche::Food),
        "travel" => n(Niche::Travel),
        "financial" | "insurance" => n(Niche::Finance),
        "beauty" | "home & personal care" => n(Niche::Beauty),
        "health care" => n(Niche::Health),
        "media & entertainment" => n(Niche::Entertainment),
        "education" => n(Niche::Education),
        "electronics" | "technology" | "telecommunications" => n(Niche::Tech),
        "residential" => n(Niche::RealEstate),
        "retail" => n(Niche::Ecommerce),
        "appliances" => n(Niche::HomeDecor),
        "advocacy" | "political" | "agricultural" | "services" | "sports" => Target::Other,
        _ => Target::Exclude,
    }
}

/// Flipkart first category level -> target ("ecommerce" means the store, not a product type).
pub fn flipkart_category(top: &str) -> Target {
    match top.trim() {
        "Beauty and Personal Care" => n(Niche::Beauty),
        "Watches" => n(Niche::Fashion),
        "Computers" => n(Niche::Tech),
        "Home Furnishing" | "Home Decor & Festive Needs" | "Kitchen & Dining" => {
            n(Niche::HomeDecor)
        }
        _ => Target::Exclude, // Baby Care: products of several niches
    }
}

/// Website `Category` -> target.
pub fn website_category(category: &str) -> Target {
    match category.trim() {
        "Travel" => n(Niche::Travel),
        "Food" => n(Niche::Food),
        "Education" => n(Niche::Education),
        "Computers and Technology" => n(Niche::Tech),
        "Streaming Services" | "Games" | "Sports" => n(Niche::Entertainment),
        "E-Commerce" => n(Niche::Ecommerce),
        "Health and Fitness" => n(Niche::Health),
        "Business/Corporate"
        | "Photography"
        | "News"
        | "Forums"
        | "Law and Government"
        | "Social Networking and Messaging" => Target::Other,
        _ => Target::Exclude, // Adult (already removed from the copy)
    }
}

/// Advertiser- and domain-level corrections: `(source, key, target)` in file order.
#[derive(Debug, Clone, Default)]
pub struct Overrides(Vec<(String, String, Target)>);

fn parse_target(s: &str) -> Result<Target> {
    match s.trim() {
        "other" => Ok(Target::Other),
        "exclude" => Ok(Target::Exclude),
        name => match name.parse::<Niche>()? {
            Niche::Unknown => Ok(Target::Other),
            niche => Ok(n(niche)),
        },
    }
}

impl Overrides {
    /// Parse `source,key,niche[,note]` CSV text.
    pub fn parse(text: &str) -> Result<Self> {
        let t = Table::parse(text)?;
        let (s, k, v) = (t.column("source")?, t.column("key")?, t.column("niche")?);
        let mut out = Vec::new();
        for (i, row) in t.rows().iter().enumerate() {
            let target =
                parse_target(get(row, v)).map_err(|e| e.within(&format!("overrides[{i}]")))?;
            out.push((get(row, s).to_string(), get(row, k).to_string(), target));
        }
        Ok(Overrides(out))
    }

    /// Transcript override for an exact advertiser name.
    fn advertiser(&self, name: &str) -> Option<Target> {
        self.0
            .iter()
            .find(|(s, k, _)| s == "transcripts" && k == name)
            .map(|o| o.2)
    }

    /// Website override: the first key contained in the URL.
    fn url(&self, url: &str) -> Option<Target> {
        self.0
            .iter()
            .find(|(s, k, _)| s == "websites" && url.contains(k.as_str()))
            .map(|o| o.2)
    }
}

fn push(docs: &mut Vec<Doc>, source: Source, group: String, target: Target, text: String) {
    let label = match target {
        Target::Niche(n) => n,
        Target::Other => Niche::Unknown,
        Target::Exclude => return,
    };
    if !text.trim().is_empty() {
        docs.push(Doc {
            source,
            group,
            label,
            text,
            context_only: false,
        });
    }
}

/// `Advertisement_Transcripts_deduped_edited.csv`: group = advertiser.
pub fn transcripts(csv: &str, ov: &Overrides) -> Result<Vec<Doc>> {
    let t = Table::parse(csv)?;
    let (c, a, x) = (
        t.column("Category")?,
        t.column("Advertiser")?,
        t.column("Ad_copy")?,
    );
    let mut docs = Vec::new();
    for row in t.rows() {
        let adv = get(row, a).trim();
        let target = ov
            .advertiser(adv)
            .unwrap_or_else(|| transcript_category(get(row, c)));
        let group = format!("t:{}", adv.to_lowercase());
        push(
            &mut docs,
            Source::Transcripts,
            group,
            target,
            get(row, x).to_string(),
        );
    }
    Ok(docs)
}

/// `flipkart_com-ecommerce_sample_1050.csv`: text = product name + description, group = brand.
pub fn flipkart(csv: &str) -> Result<Vec<Doc>> {
    let t = Table::parse(csv)?;
    let tree = t.column("product_category_tree")?;
    let (name, desc, brand) = (
        t.column("product_name")?,
        t.column("description")?,
        t.column("brand")?,
    );
    let mut docs = Vec::new();
    for row in t.rows() {
        let top = get(row, tree).trim_start_matches("[\"");
        let top = top.split(">>").next().unwrap_or("");
        let pname = get(row, name).trim();
        let b = get(row, brand).trim();
        let key = if b.is_empty() {
            pname.split_whitespace().next().unwrap_or("")
        } else {
            b
        };
        let group = format!("f:{}", key.to_lowercase());
        let text = format!("{pname}.\n{}", get(row, desc));
        push(
            &mut docs,
            Source::Flipkart,
            group,
            flipkart_category(top),
            text,
        );
    }
    Ok(docs)
}

/// Host of a URL without scheme and `www.`.
pub fn domain(url: &str) -> &str {
    let u = url.split("://").nth(1).unwrap_or(url);
    let host = u.split('/').next().unwrap_or(u);
    host.strip_prefix("www.").unwrap_or(host)
}

/// `website_classification.csv`: group = domain.
pub fn websites(csv: &str, ov: &Overrides) -> Result<Vec<Doc>> {
    let t = Table::parse(csv)?;
    let (u, x, c) = (
        t.column("website_url")?,
        t.column("cleaned_website_text")?,
        t.column("Category")?,
    );
    let mut docs = Vec::new();
    for row in t.rows() {
        let url = get(row, u);
        let target = ov.url(url).unwrap_or_else(|| website_category(get(row, c)));
        let group = format!("w:{}", domain(url).to_lowercase());
        push(
            &mut docs,
            Source::Websites,
            group,
            target,
            get(row, x).to_string(),
        );
    }
    Ok(docs)
}

/// The hand-labelled ad copy (`tests/data/niche_labels.csv`): group = advertiser.
pub fn ad_copy(csv: &str) -> Result<Vec<Doc>> {
    let t = Table::parse(csv)?;
    let (g, l, e, x) = (
        t.column("group")?,
        t.column("niche")?,
        t.column("evidence")?,
        t.column("text")?,
    );
    let mut docs = Vec::new();
    for (i, row) in t.rows().iter().enumerate() {
        let label: Niche = get(row, l)
            .parse()
            .map_err(|err: Error| err.within(&format!("labels[{i}]")))?;
        let evidence = get(row, e);
        if evidence != "text" && evidence != "context" {
            return Err(Error::field(
                ErrorCode::UnknownValue,
                format!("labels[{i}].evidence"),
                format!("expected text or context, got {evidence:?}"),
            ));
        }
        docs.push(Doc {
            source: Source::AdCopy,
            group: format!("a:{}", get(row, g)),
            label,
            text: get(row, x).to_string(),
            context_only: evidence == "context",
        });
    }
    Ok(docs)
}
