//! Reading published niche wisdom: `GET /api/cross-learning/niche-wisdom/{niche}` and the bulk
//! `GET /api/cross-learning/niche-wisdom`. One KV read each; no account token needed (releases
//! are differentially private aggregates). Nothing here computes a release: that is the cron's
//! job ([`crate::service::publish`]), so `force_refresh` only re-reads the latest published one.

use crate::error::ApiError;
use crate::ports::Releases;
use crate::service::auth::internal;
use crosslearn::niche::Niche;
use serde::Serialize;
use serde_json::Value;

/// `GET /api/cross-learning/niche-wisdom/{niche}` answer (the seed's shape).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum WisdomAnswer {
    /// A published release.
    Found {
        /// Always true.
        success: bool,
        /// The niche.
        niche: String,
        /// The release (`crosslearn::wisdom::NicheWisdom`), exactly as published to KV.
        #[schemars(with = "crosslearn::wisdom::NicheWisdom")]
        wisdom: Value,
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

/// One niche's published wisdom.
pub async fn niche_wisdom<R: Releases>(
    kv: &R,
    niche: &str,
    force_refresh: Option<&str>,
) -> Result<WisdomAnswer, ApiError> {
    check_force_refresh(force_refresh)?;
    let niche = parse_niche(niche)?;
    let name = niche.as_str().to_string();
    let stored = kv.published(niche).await.map_err(internal)?;
    let wisdom = stored
        .as_ref()
        .map(|s| release(s.text(), Some(&name)))
        .transpose()?;
    if let Some(w) = &wisdom {
        // Valid JSON but not this niche's release (a foreign or truncated-to-valid value).
        if !w.is_object() || w.get("niche").is_some_and(|n| n != name.as_str()) {
            return Err(ApiError::ReleaseUnreadable {
                niche: Some(name),
                cause: "not a release of this niche".into(),
            });
        }
    }
    Ok(match wisdom {
        Some(w) if w.get("published") == Some(&Value::Bool(true)) => WisdomAnswer::Found {
            success: true,
            niche: name,
            wisdom: w,
        },
        _ => WisdomAnswer::Insufficient {
            success: false,
            message: format!("Insufficient data for niche {name}"),
            niche: name,
        },
    })
}

/// `GET /api/cross-learning/niche-wisdom` answer: every published niche.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AllWisdom {
    /// The releases that passed the noisy k gate, in niche order (`NicheWisdom`s, as published).
    #[schemars(with = "Vec<crosslearn::wisdom::NicheWisdom>")]
    pub niches: Vec<Value>,
}

/// Every published niche's wisdom (one KV read).
pub async fn all_wisdom<R: Releases>(kv: &R) -> Result<AllWisdom, ApiError> {
    let niches = match kv.published_all().await.map_err(internal)? {
        None => Vec::new(),
        Some(stored) => match release(stored.text(), None)? {
            Value::Array(all) => all
                .into_iter()
                .filter(|w| w.get("published") == Some(&Value::Bool(true)))
                .collect(),
            _ => {
                return Err(ApiError::ReleaseUnreadable {
                    niche: None,
                    cause: "releases:all is not an array".into(),
                })
            }
        },
    };
    Ok(AllWisdom { niches })
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
}
