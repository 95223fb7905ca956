//! Platform ad anatomy: the copy fields each platform's ad has, and which one it shows first.
//!
//! The hook is read from what the platform shows first; the CTA from all fields in the order the
//! platform shows them:
//!
//! | platform | fields, in the order shown | hook read from |
//! |---|---|---|
//! | Meta | primary text (above the media), headline and description (below it, by the button) | the primary text's opening; the headline when there is no text |
//! | Google Ads (responsive search ads) | up to 15 headlines (30 characters), up to 4 descriptions (90) | the first headline |
//! | TikTok | ad text (100 characters) | the ad text |
//! | unknown | headline, body | the body's opening, else the headline (the `v1` convention) |
//!
//! [`PlatformCopy::read`] lays the fields out in that order for a [`CopyExtractor`] (body =
//! what is shown first), so the same phrase rules serve every platform. The editor builds its
//! form from [`anatomy`] and shows [`ReadCopy::hook_field`] next to the attributes.

use super::{CopyAttributes, CopyExtractor, CopyRules};
use crate::error::{Error, ErrorCode, Result};
use crate::Platform;
use serde::{Deserialize, Serialize};

/// Most headlines a responsive search ad takes.
pub const SEARCH_MAX_HEADLINES: usize = 15;
/// Most descriptions a responsive search ad takes.
pub const SEARCH_MAX_DESCRIPTIONS: usize = 4;

/// The copy of one ad in its platform's own fields (`platform` tags the variant on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "platform", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum PlatformCopy {
    /// Meta (Facebook, Instagram).
    Meta {
        /// Primary text, shown above the media (first).
        #[serde(default)]
        primary_text: String,
        /// Headline, shown under the media by the button.
        #[serde(default)]
        headline: String,
        /// Description, under the headline (not shown on every placement).
        #[serde(default)]
        description: String,
    },
    /// Google Ads responsive search ad.
    GoogleAds {
        /// Headlines; the first is shown first.
        #[serde(default)]
        headlines: Vec<String>,
        /// Descriptions.
        #[serde(default)]
        descriptions: Vec<String>,
    },
    /// TikTok.
    Tiktok {
        /// The ad text shown over the video.
        #[serde(default)]
        ad_text: String,
    },
    /// Platform not known: a headline and a body.
    Unknown {
        /// Headline.
        #[serde(default)]
        headline: String,
        /// Body.
        #[serde(default)]
        body: String,
    },
}

/// One copy field of a platform's ad, for building a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct CopyField {
    /// The field's key in [`PlatformCopy`] (`primary_text`, `headlines`, ...).
    pub key: String,
    /// Its name on the platform ("Primary text").
    pub label: String,
    /// Characters per entry: the platform's limit, or (Meta) how many are shown before "See more".
    pub max_chars: u32,
    /// Whether the platform rejects longer entries (else longer text is truncated on screen).
    pub hard_limit: bool,
    /// How many entries the field takes (1, or the list's maximum).
    pub max_entries: u32,
    /// Whether the hook is read from this field.
    pub shown_first: bool,
}

fn field(
    key: &str,
    label: &str,
    max_chars: u32,
    hard: bool,
    entries: u32,
    first: bool,
) -> CopyField {
    CopyField {
        key: key.to_string(),
        label: label.to_string(),
        max_chars,
        hard_limit: hard,
        max_entries: entries,
        shown_first: first,
    }
}

/// The copy fields of `platform`'s ads, in the order the platform shows them.
pub fn anatomy(platform: Platform) -> Vec<CopyField> {
    match platform {
        Platform::Meta => vec![
            field("primary_text", "Primary text", 125, false, 1, true),
            field("headline", "Headline", 40, false, 1, false),
            field("description", "Description", 30, false, 1, false),
        ],
        Platform::GoogleAds => vec![
            field(
                "headlines",
                "Headlines",
                30,
                true,
                SEARCH_MAX_HEADLINES as u32,
                true,
            ),
            field(
                "descriptions",
                "Descriptions",
                90,
                true,
                SEARCH_MAX_DESCRIPTIONS as u32,
                false,
            ),
        ],
        Platform::Tiktok => vec![field("ad_text", "Ad text", 100, true, 1, true)],
        Platform::Unknown => vec![
            field("body", "Body", 5000, false, 1, true),
            field("headline", "Headline", 300, false, 1, false),
        ],
    }
}

/// Attributes read from a [`PlatformCopy`], with where the hook was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[cfg_attr(feature = "wasm-lite", tsify(missing_as_null))]
pub struct ReadCopy {
    /// Hook type, CTA style and signals.
    pub attributes: CopyAttributes,
    /// Key of the field the hook was read from (`primary_text`, `headlines`, ...); `None` for
    /// empty copy.
    pub hook_field: Option<String>,
    /// Index of the entry within a list field (the first non-empty headline), else 0.
    pub hook_index: u32,
    /// The opening the hook was read from, as typed (first sentence, at most 140 characters).
    pub opening: String,
    /// The copy as one headline (the fields shown after the first, in order).
    pub headline: String,
    /// The copy as one body (the field shown first).
    pub body: String,
}

impl PlatformCopy {
    /// Empty copy for `platform`.
    pub fn empty(platform: Platform) -> Self {
        match platform {
            Platform::Meta => PlatformCopy::Meta {
                primary_text: String::new(),
                headline: String::new(),
                description: String::new(),
            },
            Platform::GoogleAds => PlatformCopy::GoogleAds {
                headlines: Vec::new(),
                descriptions: Vec::new(),
            },
            Platform::Tiktok => PlatformCopy::Tiktok {
                ad_text: String::new(),
            },
            Platform::Unknown => PlatformCopy::Unknown {
                headline: String::new(),
                body: String::new(),
            },
        }
    }

    /// The platform.
    pub fn platform(&self) -> Platform {
        match self {
            PlatformCopy::Meta { .. } => Platform::Meta,
            PlatformCopy::GoogleAds { .. } => Platform::GoogleAds,
            PlatformCopy::Tiktok { .. } => Platform::Tiktok,
            PlatformCopy::Unknown { .. } => Platform::Unknown,
        }
    }

    /// Reject what the platform cannot take: more than 15 headlines or 4 descriptions.
    /// Over-long text is not an error (a draft may be long; the editor shows the limit).
    pub fn validate(&self) -> Result<()> {
        if let PlatformCopy::GoogleAds {
            headlines,
            descriptions,
        } = self
        {
            for (name, list, max) in [
                ("headlines", headlines, SEARCH_MAX_HEADLINES),
                ("descriptions", descriptions, SEARCH_MAX_DESCRIPTIONS),
            ] {
                if list.len() > max {
                    return Err(Error::field(
                        ErrorCode::InvalidValue,
                        name,
                        format!("a search ad takes at most {max} {name}, got {}", list.len()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `(headline, body)` for a [`CopyExtractor`]: the body is what the platform shows first,
    /// the headline what follows, one field per line.
    pub fn as_headline_body(&self) -> (String, String) {
        let join = |parts: &[&str]| {
            parts
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        match self {
            PlatformCopy::Meta {
                primary_text,
                headline,
                description,
            } => (join(&[headline, description]), primary_text.clone()),
            PlatformCopy::GoogleAds {
                headlines,
                descriptions,
            } => {
                let all: Vec<&str> = headlines
                    .iter()
                    .chain(descriptions)
                    .map(String::as_str)
                    .collect();
                (String::new(), join(&all))
            }
            PlatformCopy::Tiktok { ad_text } => (String::new(), ad_text.clone()),
            PlatformCopy::Unknown { headline, body } => (headline.clone(), body.clone()),
        }
    }

    /// The field (key, index, text) the hook is read from: the first non-empty field in the
    /// order the platform shows them.
    fn first_shown(&self) -> Option<(&'static str, usize, &str)> {
        let nonempty = |s: &str| !s.trim().is_empty();
        match self {
            PlatformCopy::Meta {
                primary_text,
                headline,
                description,
            } => [
                ("primary_text", primary_text),
                ("headline", headline),
                ("description", description),
            ]
            .into_iter()
            .find(|(_, s)| nonempty(s))
            .map(|(k, s)| (k, 0, s.as_str())),
            PlatformCopy::GoogleAds {
                headlines,
                descriptions,
            } => [("headlines", headlines), ("descriptions", descriptions)]
                .into_iter()
                .find_map(|(k, list)| {
                    list.iter()
                        .position(|s| nonempty(s))
                        .map(|i| (k, i, list[i].as_str()))
                }),
            PlatformCopy::Tiktok { ad_text } => {
                nonempty(ad_text).then_some(("ad_text", 0, ad_text.as_str()))
            }
            PlatformCopy::Unknown { headline, body } => [("body", body), ("headline", headline)]
                .into_iter()
                .find(|(_, s)| nonempty(s))
                .map(|(k, s)| (k, 0, s.as_str())),
        }
    }

    /// Read the attributes with `x` (whose rules apply; the editor uses `V2`).
    pub fn read(&self, x: &mut CopyExtractor) -> ReadCopy {
        let (headline, body) = self.as_headline_body();
        let attributes = x.extract(&headline, &body);
        let first = self.first_shown();
        let opening = first.map_or(String::new(), |(_, _, text)| {
            let o = match x.rules() {
                CopyRules::V1 => super::opening_of(text),
                CopyRules::V2 => super::v2::opening_of(text),
            };
            o.chars().take(140).collect()
        });
        ReadCopy {
            attributes,
            hook_field: first.map(|(k, _, _)| k.to_string()),
            hook_index: first.map_or(0, |(_, i, _)| i as u32),
            opening,
            headline,
            body,
        }
    }
}

/// Validate `copy` and read it under rules `V2` (what the editor shows).
pub fn read_platform_copy(copy: &PlatformCopy) -> Result<ReadCopy> {
    copy.validate()?;
    Ok(copy.read(&mut CopyExtractor::with_rules(CopyRules::V2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{CtaStyle, HookType};

    fn meta(primary: &str, headline: &str) -> PlatformCopy {
        PlatformCopy::Meta {
            primary_text: primary.into(),
            headline: headline.into(),
            description: String::new(),
        }
    }

    #[test]
    fn meta_reads_the_hook_from_the_primary_text_else_the_headline() {
        let r = read_platform_copy(&meta("Over 10,000 happy customers.", "Tired of dry skin?"))
            .unwrap();
        assert_eq!(r.attributes.hook_type, HookType::SocialProof);
        assert_eq!(r.hook_field.as_deref(), Some("primary_text"));
        assert_eq!(r.opening, "Over 10,000 happy customers.");
        let r = read_platform_copy(&meta("  ", "Tired of dull, dry skin?")).unwrap();
        assert_eq!(r.attributes.hook_type, HookType::PainPoint);
        assert_eq!(r.hook_field.as_deref(), Some("headline"));
        // The CTA is read from every field, the last in the order shown.
        let r = read_platform_copy(&PlatformCopy::Meta {
            primary_text: "Learn more about our plans.".into(),
            headline: "Shop now".into(),
            description: String::new(),
        })
        .unwrap();
        assert_eq!(r.attributes.cta_style, CtaStyle::ShopNow);
    }

    #[test]
    fn search_reads_the_first_headline_and_tiktok_the_ad_text() {
        let ad = PlatformCopy::GoogleAds {
            headlines: vec![
                "".into(),
                "Still paying too much for car insurance?".into(),
                "Compare 40 insurers".into(),
            ],
            descriptions: vec!["Get a quote in 2 minutes.".into()],
        };
        let r = read_platform_copy(&ad).unwrap();
        assert_eq!(r.attributes.hook_type, HookType::PainPoint);
        assert_eq!(r.attributes.cta_style, CtaStyle::GetQuote);
        assert_eq!(
            (r.hook_field.as_deref(), r.hook_index),
            (Some("headlines"), 1)
        );
        let r = read_platform_copy(&PlatformCopy::Tiktok {
            ad_text: "5 ways to save on your electric bill".into(),
        })
        .unwrap();
        assert_eq!(r.attributes.hook_type, HookType::NumberList);
        let r = read_platform_copy(&PlatformCopy::empty(Platform::Tiktok)).unwrap();
        assert_eq!(r.attributes.hook_type, HookType::Unknown);
        assert_eq!(r.hook_field, None);
    }

    #[test]
    fn too_many_search_entries_is_a_named_error() {
        let ad = PlatformCopy::GoogleAds {
            headlines: vec!["a".into(); 16],
            descriptions: vec![],
        };
        let e = read_platform_copy(&ad).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("headlines"));
        let ad = PlatformCopy::GoogleAds {
            headlines: vec![],
            descriptions: vec!["d".into(); 5],
        };
        assert_eq!(
            read_platform_copy(&ad).unwrap_err().field.as_deref(),
            Some("descriptions")
        );
    }

    #[test]
    fn anatomy_lists_each_platform_fields_with_one_shown_first() {
        for p in Platform::ALL {
            let fields = anatomy(p);
            assert_eq!(fields.iter().filter(|f| f.shown_first).count(), 1, "{p}");
            // Every key is a field of the platform's copy on the wire.
            let wire = serde_json::to_value(PlatformCopy::empty(p)).unwrap();
            for f in &fields {
                assert!(wire.get(&f.key).is_some(), "{p}: {}", f.key);
            }
        }
        let json = r#"{"platform":"google_ads","headlines":["Hi"],"extra":1}"#;
        assert!(serde_json::from_str::<PlatformCopy>(json).is_err());
    }
}
