//! The randomiser of the **exploration cohort**: a creative brief whose attributes are drawn at
//! random, so that the creative's attributes do not depend on how good it is.
//!
//! Release format 2 learns attribute effects from within-account comparisons. When an account's
//! better creatives use some values more (its best ideas get its favourite hook), the comparison
//! credits the values with the creatives' quality, and no within-account statistic can undo that
//! (simulator v2 puts the cost at about 30 points of the oracle's gain). A randomised creative is
//! an instrument: its values are independent of its quality. An account that runs the drawn brief
//! as drawn marks the record `assignment: randomised`; with the format-2 setting
//! `contribute: randomised` ([`super::suffstat::Contribute`]) the release counts only such
//! records. Simulator v2, 2,000 accounts per niche: 81.8 % of the oracle's gain when every
//! contributor randomises, 69.5 % when half do, 38.0 % from chosen creatives
//! (`docs/network-effect.md`, "An exploration cohort").
//!
//! A brief draws, independently and uniformly: the hook type and CTA style among their concrete
//! terms (`other` and `unknown` excluded; CTA `none` included), the format among the formats the
//! advertiser can make on that platform (given by the caller), for a video the duration bucket,
//! the posting hour among 0-23, and each concrete visual tag with probability `tag_probability`.
//! Draws are exact (rejection sampling on the generator's integers); the generator is the
//! caller's: ChaCha20 from the OS in production, seeded in tests.

use crate::error::{Error, ErrorCode, Result};
use crate::insights::{duration_bucket_label, DURATION_BUCKETS};
use crate::platform::Platform;
use crate::privacy::dgauss::uniform_below;
use crate::record::{AdFormat, CtaStyle, HookType, VisualTag};
use rand_core::Rng;
use serde::{Deserialize, Serialize};

/// What the advertiser can make, for [`randomised_brief`].
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExploreOptions {
    /// Formats the advertiser can make on the platform (at least one; `other`/`unknown` are
    /// refused). One format means the format is not explored.
    pub formats: Vec<AdFormat>,
    /// Probability of each visual tag (0..=1). Default 0.3 (simulator v1's and v2's rate).
    pub tag_probability: f64,
}

impl Default for ExploreOptions {
    fn default() -> Self {
        ExploreOptions {
            formats: vec![AdFormat::Image, AdFormat::Video],
            tag_probability: 0.3,
        }
    }
}

/// A randomised creative brief: make the creative with these attributes, run it, and import its
/// record with `assignment: randomised`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomisedBrief {
    /// The platform.
    pub platform: Platform,
    /// How the creative opens.
    pub hook_type: HookType,
    /// The call to action.
    pub cta_style: CtaStyle,
    /// The format.
    pub format: AdFormat,
    /// For a video: the duration bucket's bounds in seconds (`[min, max)`), else `None`.
    pub duration_range_s: Option<(f64, f64)>,
    /// For a video: the bucket's label (`"15-30s"`), else `None`.
    pub duration_bucket: Option<String>,
    /// Visual tags to use.
    pub visual_tags: Vec<VisualTag>,
    /// Hour (0-23) to post or start it.
    pub posting_hour: u8,
}

fn pick<T: Copy, R: Rng + ?Sized>(rng: &mut R, from: &[T]) -> T {
    from[uniform_below(rng, from.len() as u128) as usize]
}

/// Draw one brief for `platform` (see the module docs). Errors (named fields): no format, a
/// format `other`/`unknown`, `tag_probability` outside 0..=1, a platform outside the three
/// release platforms.
pub fn randomised_brief<R: Rng + ?Sized>(
    platform: Platform,
    opts: &ExploreOptions,
    rng: &mut R,
) -> Result<RandomisedBrief> {
    let bad = |field: &str, m: String| Error::field(ErrorCode::InvalidValue, field, m);
    if !Platform::KNOWN.contains(&platform) {
        return Err(bad(
            "platform",
            format!(
                "{} has no release cells; use meta, tiktok or google_ads",
                platform.as_str()
            ),
        ));
    }
    if opts.formats.is_empty() {
        return Err(bad("formats", "give at least one format".into()));
    }
    if let Some(f) = opts
        .formats
        .iter()
        .find(|f| matches!(f, AdFormat::Other | AdFormat::Unknown))
    {
        return Err(bad(
            "formats",
            format!("{} is not a format that can be made", f.as_str()),
        ));
    }
    if !(0.0..=1.0).contains(&opts.tag_probability) {
        return Err(bad(
            "tag_probability",
            format!("must be in 0..=1, got {}", opts.tag_probability),
        ));
    }
    let mut formats = opts.formats.clone();
    formats.sort();
    formats.dedup();
    let hooks: Vec<HookType> = HookType::ALL
        .iter()
        .copied()
        .filter(|h| !matches!(h, HookType::Other | HookType::Unknown))
        .collect();
    let ctas: Vec<CtaStyle> = CtaStyle::ALL
        .iter()
        .copied()
        .filter(|c| !matches!(c, CtaStyle::Other | CtaStyle::Unknown))
        .collect();
    let hook_type = pick(rng, &hooks);
    let cta_style = pick(rng, &ctas);
    let format = pick(rng, &formats);
    let bucket =
        (format == AdFormat::Video).then(|| uniform_below(rng, DURATION_BUCKETS.len() as u128));
    // Tag probability as an exact ratio of integers (1e-9 resolution).
    let threshold = (opts.tag_probability * 1e9).round() as u128;
    let visual_tags = VisualTag::ALL
        .iter()
        .copied()
        .filter(|t| !matches!(t, VisualTag::Other | VisualTag::Unknown))
        .filter(|_| uniform_below(rng, 1_000_000_000) < threshold)
        .collect();
    let posting_hour = uniform_below(rng, 24) as u8;
    Ok(RandomisedBrief {
        platform,
        hook_type,
        cta_style,
        format,
        duration_range_s: bucket.map(|b| DURATION_BUCKETS[b as usize]),
        duration_bucket: bucket.and_then(|b| duration_bucket_label(b as usize)),
        visual_tags,
        posting_hour,
    })
}

/// How a record differs from the brief it claims to be made from ([`check_against_brief`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefMismatch {
    /// The record field that differs (`platform`, `hook_type`, `cta_style`, `format`,
    /// `duration_s`, `visual_tags`, `posting_hour`).
    pub field: &'static str,
    /// The record's value, as text.
    pub record: String,
    /// What the brief says, as text.
    pub brief: String,
}

impl std::fmt::Display for BriefMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is {}, the brief says {}",
            self.field, self.record, self.brief
        )
    }
}

/// Whether `record` was made as `brief` says: the same platform, hook type, CTA style, format
/// and posting hour, the same set of visual tags, and for a video a duration inside the brief's
/// bucket. The first difference, in that order, or `None`. Pure: the Worker uses it to accept a
/// record as `randomised` only when it matches a brief it issued to the account.
pub fn check_against_brief(
    brief: &RandomisedBrief,
    record: &crate::record::CreativeRecord,
) -> Option<BriefMismatch> {
    let differ = |field: &'static str, record: String, brief: String| {
        (record != brief).then_some(BriefMismatch {
            field,
            record,
            brief,
        })
    };
    let tags = |t: &[VisualTag]| {
        let mut v: Vec<&str> = t.iter().map(|t| t.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        format!("[{}]", v.join(", "))
    };
    let hour = |h: Option<u8>| h.map_or("absent".to_string(), |h| h.to_string());
    let duration = match (brief.duration_range_s, record.duration_s) {
        (Some((lo, hi)), Some(d)) if d >= lo && d < hi => None,
        (Some((lo, hi)), d) => Some(BriefMismatch {
            field: "duration_s",
            record: d.map_or("absent".to_string(), |d| format!("{d} s")),
            brief: format!("{lo}-{hi} s"),
        }),
        (None, _) => None,
    };
    // Checked in this order; the first difference is reported.
    [
        differ(
            "platform",
            record.platform.as_str().into(),
            brief.platform.as_str().into(),
        ),
        differ(
            "hook_type",
            record.hook_type.as_str().into(),
            brief.hook_type.as_str().into(),
        ),
        differ(
            "cta_style",
            record.cta_style.as_str().into(),
            brief.cta_style.as_str().into(),
        ),
        differ(
            "format",
            record.format.as_str().into(),
            brief.format.as_str().into(),
        ),
        duration,
        differ(
            "visual_tags",
            tags(&record.visual_tags),
            tags(&brief.visual_tags),
        ),
        differ(
            "posting_hour",
            hour(record.posting_hour),
            hour(Some(brief.posting_hour)),
        ),
    ]
    .into_iter()
    .flatten()
    .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::dgauss::noise_rng_from_seed;
    use crate::record::{Assignment, ConversionScope, CreativeRecord, RecordSource};

    fn made_from(b: &RandomisedBrief) -> CreativeRecord {
        CreativeRecord {
            assignment: Assignment::Randomised,
            record_id: "brief-1".into(),
            account_id: "a".into(),
            campaign_id: None,
            source: RecordSource::User,
            platform: b.platform,
            network: None,
            currency: None,
            date_start: None,
            date_end: None,
            niche: None,
            hook_type: b.hook_type,
            cta_style: b.cta_style,
            visual_tags: b.visual_tags.iter().rev().copied().collect(),
            format: b.format,
            duration_s: b.duration_range_s.map(|(lo, _)| lo),
            posting_hour: Some(b.posting_hour),
            headline: String::new(),
            body: String::new(),
            impressions: 1000,
            clicks: 10,
            conversions: None,
            conversion_scope: ConversionScope::ClickThrough,
            spend: 1.0,
            revenue: None,
            engagements: None,
            video_views: None,
            daily: Vec::new(),
        }
    }

    #[test]
    fn a_record_matches_its_brief_and_each_difference_is_named() {
        let mut rng = noise_rng_from_seed(3);
        for _ in 0..200 {
            let b =
                randomised_brief(Platform::Tiktok, &ExploreOptions::default(), &mut rng).unwrap();
            let r = made_from(&b);
            assert_eq!(check_against_brief(&b, &r), None, "{b:?}");
            let hook = if b.hook_type == HookType::Question {
                HookType::Offer
            } else {
                HookType::Question
            };
            let m = check_against_brief(
                &b,
                &CreativeRecord {
                    hook_type: hook,
                    ..r.clone()
                },
            )
            .unwrap();
            assert_eq!((m.field, m.record.as_str()), ("hook_type", hook.as_str()));
            let m = check_against_brief(
                &b,
                &CreativeRecord {
                    posting_hour: Some((b.posting_hour + 1) % 24),
                    ..r.clone()
                },
            )
            .unwrap();
            assert_eq!(m.field, "posting_hour");
            let m = check_against_brief(
                &b,
                &CreativeRecord {
                    posting_hour: None,
                    ..r.clone()
                },
            )
            .unwrap();
            assert_eq!(
                m.to_string(),
                format!("posting_hour is absent, the brief says {}", b.posting_hour)
            );
            let mut tags = r.visual_tags.clone();
            if tags.is_empty() {
                tags.push(VisualTag::Ugc);
            } else {
                tags.pop();
            }
            let m = check_against_brief(
                &b,
                &CreativeRecord {
                    visual_tags: tags,
                    ..r.clone()
                },
            )
            .unwrap();
            assert_eq!(m.field, "visual_tags");
            if let Some((_, hi)) = b.duration_range_s {
                let m = check_against_brief(
                    &b,
                    &CreativeRecord {
                        duration_s: Some(hi),
                        ..r.clone()
                    },
                )
                .unwrap();
                assert_eq!(m.field, "duration_s");
            }
            let m = check_against_brief(
                &b,
                &CreativeRecord {
                    platform: Platform::Meta,
                    ..r
                },
            )
            .unwrap();
            assert_eq!(m.field, "platform");
        }
    }

    #[test]
    fn draws_are_uniform_and_within_the_options() {
        let mut rng = noise_rng_from_seed(7);
        let opts = ExploreOptions {
            formats: vec![AdFormat::Video, AdFormat::Image, AdFormat::Video],
            tag_probability: 0.3,
        };
        let n = 20_000;
        let mut hours = [0u32; 24];
        let mut hooks = std::collections::BTreeMap::new();
        let (mut videos, mut tags) = (0u32, 0u32);
        for _ in 0..n {
            let b = randomised_brief(Platform::Meta, &opts, &mut rng).unwrap();
            hours[b.posting_hour as usize] += 1;
            *hooks.entry(b.hook_type).or_insert(0u32) += 1;
            assert!(matches!(b.format, AdFormat::Video | AdFormat::Image));
            assert_eq!(b.format == AdFormat::Video, b.duration_bucket.is_some());
            videos += u32::from(b.format == AdFormat::Video);
            tags += b.visual_tags.len() as u32;
            assert!(!matches!(b.hook_type, HookType::Other | HookType::Unknown));
            assert!(!matches!(b.cta_style, CtaStyle::Other | CtaStyle::Unknown));
        }
        // Every hour about n/24 (833; sd about 28), every hook about n/10, half videos
        // (the repeated format counts once), 0.3 of the 12 concrete tags.
        assert!(hours.iter().all(|h| (700..=970).contains(h)), "{hours:?}");
        assert_eq!(hooks.len(), 10);
        assert!(
            hooks.values().all(|c| (1800..=2200).contains(c)),
            "{hooks:?}"
        );
        assert!((9600..=10400).contains(&videos), "{videos}");
        let per = f64::from(tags) / f64::from(n);
        assert!((3.4..3.8).contains(&per), "{per}");
    }

    #[test]
    fn same_seed_same_brief_and_bad_options_are_named() {
        let o = ExploreOptions::default();
        let a = randomised_brief(Platform::Tiktok, &o, &mut noise_rng_from_seed(3)).unwrap();
        let b = randomised_brief(Platform::Tiktok, &o, &mut noise_rng_from_seed(3)).unwrap();
        assert_eq!(a, b);
        let mut r = noise_rng_from_seed(1);
        for (opts, field) in [
            (
                ExploreOptions {
                    formats: vec![],
                    ..o.clone()
                },
                "formats",
            ),
            (
                ExploreOptions {
                    formats: vec![AdFormat::Unknown],
                    ..o.clone()
                },
                "formats",
            ),
            (
                ExploreOptions {
                    tag_probability: 1.5,
                    ..o.clone()
                },
                "tag_probability",
            ),
        ] {
            let e = randomised_brief(Platform::Meta, &opts, &mut r).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field));
        }
        let e = randomised_brief(Platform::Unknown, &o, &mut r).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("platform"));
    }
}
