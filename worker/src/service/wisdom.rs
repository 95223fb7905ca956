//! Reading published niche wisdom: `GET /api/cross-learning/niche-wisdom/{niche}` and the bulk
//! `GET /api/cross-learning/niche-wisdom`. One KV read per release format; no account token
//! needed (releases are differentially private aggregates). Nothing here computes a release: that
//! is the cron's job ([`crate::service::publish`], [`crate::service::format2`]), so
//! `force_refresh` only re-reads the latest published one.
//!
//! **Versioned reader** ([`read_release`]): a stored value's format is its `version` field
//! (absent: format 1, as values written before the field existed). Format 1 is the lift release
//! (`NicheWisdom`, KV `release:<niche>`, answered as `wisdom`); format 2 the per-value posteriors
//! (`PosteriorTable`: posterior mean and sd on the log-odds scale and the release id per value,
//! KV `release2:<niche>`, answered as `posteriors`). Any other version is a 503 naming the niche.

use crate::error::ApiError;
use crate::ports::Releases;
use crate::service::auth::internal;
use crosslearn::niche::Niche;
use serde::Serialize;
use serde_json::Value;

/// The newest release format this Worker reads and publishes.
pub const NEWEST_FORMAT: u32 = 2;

/// `GET /api/cross-learning/niche-wisdom/{niche}` answer (the seed's shape, plus `format` and
/// `posteriors`).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum WisdomAnswer {
    /// A published release.
    Found {
        /// Always true.
        success: bool,
        /// The niche.
        niche: String,
        /// The newest release format in this answer: 2 when `posteriors` is present, else 1.
        format: u32,
        /// The format-1 release (`crosslearn::wisdom::NicheWisdom`), exactly as published to KV.
        #[schemars(with = "crosslearn::wisdom::NicheWisdom")]
        wisdom: Value,
        /// The format-2 release of the niche when it passed its gate: per value, the posterior
        /// mean and sd on the log-odds scale and the release id
        /// (`crosslearn::wisdom::suffstat::PosteriorTable`), as published.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schemars(with = "Option<crosslearn::wisdom::suffstat::PosteriorTable>")]
        posteriors: Option<Value>,
    },
    /// Nothing published for the niche (no release yet, or below the noisy k).
    Insufficient {
        /// Always false.
        success: bool,
        /// `Insufficient data for niche <niche>`.
        message: String,
        /// The niche.
        niche: String,
    },
}

/// The `force_refresh` query value: `true` / `false` / absent. Either way the latest published
/// release is read; a refresh never makes a new privacy release.
pub fn check_force_refresh(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ApiError::Invalid {
            code: "invalid_value",
            field: Some("force_refresh".to_string()),
            message: format!("force_refresh must be true or false, got {other:?}"),
        }),
    }
}

/// The raw value of query parameter `key` in `url` (first occurrence; no percent-decoding,
/// which the values read here never need: they are compared with plain ASCII words).
pub fn query_param<'a>(url: &'a str, key: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The niche named in a path (`unknown` has no wisdom).
pub fn parse_niche(name: &str) -> Result<Niche, ApiError> {
    let niche: Niche = name.parse()?;
    if niche == Niche::Unknown {
        return Err(ApiError::Core(crosslearn::Error::field(
            crosslearn::ErrorCode::InvalidValue,
            "niche",
            "no wisdom is released for the unknown niche",
        )));
    }
    Ok(niche)
}

/// A published value as JSON; `niche` names it in the error (`None`: the bulk value).
fn release(json: &str, niche: Option<&str>) -> Result<Value, ApiError> {
    serde_json::from_str(json).map_err(|e| ApiError::ReleaseUnreadable {
        niche: niche.map(str::to_string),
        cause: e.to_string(),
    })
}

/// The release format of a stored release object: its `version` (absent: 1).
pub fn release_format(value: &Value) -> Option<u32> {
    match value.get("version") {
        None => Some(1),
        Some(v) => v.as_u64().and_then(|v| u32::try_from(v).ok()),
    }
}

/// One niche's stored release of either format (the versioned reader): `(format, value)`. A value
/// that is not this niche's release object, or of a format this Worker does not know, is a 503
/// naming the niche.
pub fn read_release(json: &str, niche: &str) -> Result<(u32, Value), ApiError> {
    let value = release(json, Some(niche))?;
    if !value.is_object() || value.get("niche").is_some_and(|n| n != niche) {
        return Err(ApiError::ReleaseUnreadable {
            niche: Some(niche.to_string()),
            cause: "not a release of this niche".into(),
        });
    }
    match release_format(&value) {
        Some(f @ 1..=NEWEST_FORMAT) => Ok((f, value)),
        other => Err(ApiError::ReleaseUnreadable {
            niche: Some(niche.to_string()),
            cause: format!("release format {other:?} is not supported"),
        }),
    }
}

fn published(v: &Value) -> bool {
    v.get("published") == Some(&Value::Bool(true))
}

/// One niche's published wisdom: the format-1 release with the format-2 posteriors beside it.
pub async fn niche_wisdom<R: Releases>(
    kv: &R,
    niche: &str,
    force_refresh: Option<&str>,
) -> Result<WisdomAnswer, ApiError> {
    check_force_refresh(force_refresh)?;
    let niche = parse_niche(niche)?;
    let name = niche.as_str().to_string();
    let mut by_format: [Option<Value>; 2] = [None, None];
    for stored in [
        kv.published(niche).await.map_err(internal)?,
        kv.published_v2(niche).await.map_err(internal)?,
    ]
    .into_iter()
    .flatten()
    {
        let (format, value) = read_release(stored.text(), &name)?;
        by_format[format as usize - 1] = Some(value);
    }
    let [v1, v2] = by_format;
    Ok(match v1 {
        Some(w) if published(&w) => {
            let posteriors = v2.filter(published);
            WisdomAnswer::Found {
                success: true,
                niche: name,
                format: if posteriors.is_some() { 2 } else { 1 },
                wisdom: w,
                posteriors,
            }
        }
        _ => WisdomAnswer::Insufficient {
            success: false,
            message: format!("Insufficient data for niche {name}"),
            niche: name,
        },
    })
}

/// `GET /api/cross-learning/niche-wisdom` answer: every published niche, in both formats.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AllWisdom {
    /// The format-1 releases that passed the noisy k gate, in niche order (`NicheWisdom`s, as
    /// published).
    #[schemars(with = "Vec<crosslearn::wisdom::NicheWisdom>")]
    pub niches: Vec<Value>,
    /// The newest release format in this answer: 2 when `posteriors` is not empty, else 1.
    pub format: u32,
    /// The format-2 posteriors of the niches that passed their gate, in niche order
    /// (`PosteriorTable`s, as published).
    #[schemars(with = "Vec<crosslearn::wisdom::suffstat::PosteriorTable>")]
    pub posteriors: Vec<Value>,
}

/// The published entries of a bulk value (an array), of the given format.
fn bulk(stored: Option<crate::ports::StoredRelease>, format: u32) -> Result<Vec<Value>, ApiError> {
    let Some(stored) = stored else {
        return Ok(Vec::new());
    };
    match release(stored.text(), None)? {
        Value::Array(all) => Ok(all
            .into_iter()
            .filter(|w| published(w) && release_format(w) == Some(format))
            .collect()),
        _ => Err(ApiError::ReleaseUnreadable {
            niche: None,
            cause: "the bulk release value is not an array".into(),
        }),
    }
}

/// Every published niche's wisdom (one KV read per format).
pub async fn all_wisdom<R: Releases>(kv: &R) -> Result<AllWisdom, ApiError> {
    let niches = bulk(kv.published_all().await.map_err(internal)?, 1)?;
    let posteriors = bulk(kv.published_v2_all().await.map_err(internal)?, 2)?;
    Ok(AllWisdom {
        niches,
        format: if posteriors.is_empty() { 1 } else { 2 },
        posteriors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::run;
    use crate::testing::MemoryStore;

    #[test]
    fn answers_only_published_releases() {
        let kv = MemoryStore::new();
        let insufficient = |niche: &str| WisdomAnswer::Insufficient {
            success: false,
            message: format!("Insufficient data for niche {niche}"),
            niche: niche.into(),
        };
        assert_eq!(
            run(niche_wisdom(&kv, "fitness", None)).unwrap(),
            insufficient("fitness")
        );
        kv.put_raw_release(
            Some(Niche::Fitness),
            r#"{"niche":"fitness","published":false}"#,
        );
        assert_eq!(
            run(niche_wisdom(&kv, "fitness", None)).unwrap(),
            insufficient("fitness")
        );
        kv.put_raw_release(
            Some(Niche::Fitness),
            r#"{"niche":"fitness","published":true,"x":1}"#,
        );
        let found = run(niche_wisdom(&kv, "Fitness", Some("true"))).unwrap();
        let WisdomAnswer::Found { wisdom, niche, .. } = found else {
            panic!("expected a release");
        };
        assert_eq!(
            (niche.as_str(), &wisdom["x"]),
            ("fitness", &serde_json::json!(1))
        );
    }

    #[test]
    fn bad_niches_and_flags() {
        let kv = MemoryStore::new();
        let e = run(niche_wisdom(&kv, "astrology", None)).unwrap_err();
        assert_eq!(
            (e.status(), e.code(), e.field()),
            (422, "unknown_value", Some("niche"))
        );
        let e = run(niche_wisdom(&kv, "unknown", None)).unwrap_err();
        assert_eq!((e.status(), e.field()), (422, Some("niche")));
        let e = run(niche_wisdom(&kv, "fitness", Some("yes"))).unwrap_err();
        assert_eq!((e.status(), e.field()), (422, Some("force_refresh")));
    }

    #[test]
    fn query_params() {
        let u = "http://h/x?a=1&force_refresh=true&force_refresh=false#f";
        assert_eq!(query_param(u, "force_refresh"), Some("true"));
        assert_eq!(query_param(u, "a"), Some("1"));
        assert_eq!(query_param(u, "b"), None);
        assert_eq!(query_param("http://h/x", "a"), None);
        assert_eq!(query_param("http://h/x?a", "a"), Some(""));
        assert_eq!(query_param("http://h/x?a=2#z", "a"), Some("2"));
    }

    /// Fault: a corrupt KV value answers 503 `release_unavailable` naming the niche (the cause is
    /// only logged); the other niches are unaffected, and publishing over it recovers.
    #[test]
    fn a_corrupt_release_is_a_clear_503_until_replaced() {
        let kv = MemoryStore::new();
        kv.put_raw_release(
            Some(Niche::Beauty),
            r#"{"niche":"beauty","published":false}"#,
        );
        for garbage in [
            "\u{0}garbage{",
            "",
            "[1,2]",
            r#"{"niche":"travel","published":true}"#,
        ] {
            kv.put_raw_release(Some(Niche::Fitness), garbage);
            let e = run(niche_wisdom(&kv, "fitness", None)).unwrap_err();
            assert_eq!(
                (e.status(), e.code(), e.field()),
                (503, "release_unavailable", None),
                "{garbage:?}"
            );
            let message = e.body().error.message;
            assert!(
                message.contains("fitness") && !message.contains("line"),
                "{message}"
            );
            assert!(run(niche_wisdom(&kv, "beauty", None)).is_ok());
        }
        kv.put_raw_release(None, "not json");
        let e = run(all_wisdom(&kv)).unwrap_err();
        assert_eq!((e.status(), e.code()), (503, "release_unavailable"));
        kv.put_raw_release(
            Some(Niche::Fitness),
            r#"{"niche":"fitness","published":false}"#,
        );
        kv.put_raw_release(None, "[]");
        assert!(run(niche_wisdom(&kv, "fitness", None)).is_ok());
        assert!(run(all_wisdom(&kv)).unwrap().niches.is_empty());
    }

    #[test]
    fn bulk_lists_published_niches() {
        let kv = MemoryStore::new();
        assert!(run(all_wisdom(&kv)).unwrap().niches.is_empty());
        kv.put_raw_release(
            None,
            r#"[{"niche":"a","published":true},{"niche":"b","published":false}]"#,
        );
        let all = run(all_wisdom(&kv)).unwrap();
        assert_eq!(
            all.niches,
            vec![serde_json::json!({"niche":"a","published":true})]
        );
        kv.put_raw_release(None, "{}");
        assert_eq!(run(all_wisdom(&kv)).unwrap_err().status(), 503);
    }

    /// The versioned reader: format-1 values (with or without `version`) and format-2 values are
    /// read, each where it belongs; an unknown format is a 503 naming the niche.
    #[test]
    fn both_formats_are_read_and_unknown_ones_refused() {
        let kv = MemoryStore::new();
        kv.put_raw_release(
            Some(Niche::Fitness),
            r#"{"niche":"fitness","published":true}"#,
        );
        let WisdomAnswer::Found {
            format, posteriors, ..
        } = run(niche_wisdom(&kv, "fitness", None)).unwrap()
        else {
            panic!("expected a release");
        };
        assert_eq!((format, posteriors), (1, None));
        let table = r#"{"version":2,"niche":"fitness","release_id":"7/fitness","published":true,"values":[]}"#;
        kv.put_raw_release_v2(Some(Niche::Fitness), table);
        kv.put_raw_release(
            Some(Niche::Fitness),
            r#"{"version":1,"niche":"fitness","published":true}"#,
        );
        let WisdomAnswer::Found {
            format, posteriors, ..
        } = run(niche_wisdom(&kv, "fitness", None)).unwrap()
        else {
            panic!("expected a release");
        };
        assert_eq!(format, 2);
        assert_eq!(posteriors.unwrap()["release_id"], "7/fitness");
        kv.put_raw_release_v2(
            Some(Niche::Fitness),
            r#"{"version":3,"niche":"fitness","published":true}"#,
        );
        let e = run(niche_wisdom(&kv, "fitness", None)).unwrap_err();
        assert_eq!((e.status(), e.code()), (503, "release_unavailable"));
        kv.put_raw_release(None, r#"[{"niche":"fitness","published":true}]"#);
        kv.put_raw_release_v2(None, &format!("[{table}]"));
        let all = run(all_wisdom(&kv)).unwrap();
        assert_eq!(
            (all.niches.len(), all.posteriors.len(), all.format),
            (1, 1, 2)
        );
    }
}
