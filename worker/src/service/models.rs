//! The model files the Worker embeds, and `GET /api/models/{name}` that serves them.
//!
//! The files are compiled into the Worker (`include_bytes!` of `models/*`), not read from KV:
//! they are part of the deployed version, so the scoring endpoints and the files served here can
//! never disagree, and serving one costs no storage read. A retrained model ships as a new
//! deployment (and, by convention, under a new versioned name).
//!
//! Responses are `application/octet-stream` (the JSON model too: callers read the bytes) with a **strong ETag** (the FNV-1a 64 of the bytes,
//! the hash `docs/ctr.md` and `docs/niche.md` quote) and `Cache-Control: public,
//! max-age=86400`; a request whose `If-None-Match` lists that ETag (or `*`) gets `304` without a
//! body. An unknown name is a JSON `404`.

use crate::error::ApiError;
use crosslearn::hash::fnv1a64;
use crosslearn::model::ctr::{CtrModel, ModelKind};
use crosslearn::niche::NicheModel;
use std::sync::OnceLock;

/// The pre-launch CTR model (`models/ctr-prelaunch-v1.bin`).
pub const PRELAUNCH_MODEL: &[u8] = include_bytes!("../../../models/ctr-prelaunch-v1.bin");
/// The in-flight CTR model (`models/ctr-inflight-v1.bin`).
pub const INFLIGHT_MODEL: &[u8] = include_bytes!("../../../models/ctr-inflight-v1.bin");
/// The grounded CTR model fitted to real exports (`models/ctr-grounded-v1.json`): what the
/// editor scores drafts with (`GroundedCtr.fromJson` in the npm package).
pub const GROUNDED_MODEL: &[u8] = include_bytes!("../../../models/ctr-grounded-v1.json");
/// The niche classifier (`models/niche-v2.bin`).
pub const NICHE_MODEL: &[u8] = include_bytes!("../../../models/niche-v2.bin");

/// `Cache-Control` of a served model file: a day, then revalidated with the ETag.
pub const CACHE_CONTROL: &str = "public, max-age=86400";

/// Every served model file: (name in the URL, bytes).
pub const MODEL_FILES: [(&str, &[u8]); 4] = [
    ("ctr-prelaunch-v1.bin", PRELAUNCH_MODEL),
    ("ctr-inflight-v1.bin", INFLIGHT_MODEL),
    ("ctr-grounded-v1.json", GROUNDED_MODEL),
    ("niche-v2.bin", NICHE_MODEL),
];

/// The strong ETag of `bytes`: `"<16 hex digits of FNV-1a 64>"` (quotes included).
pub fn etag(bytes: &[u8]) -> String {
    format!("\"{:016x}\"", fnv1a64(bytes))
}

/// Whether an `If-None-Match` header value matches `etag` (`*`, or one of its comma-separated
/// tags; `W/` prefixes are ignored, as the weak comparison RFC 9110 prescribes for this header).
pub fn none_match(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else {
        return false;
    };
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// What `GET /api/models/{name}` answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelAnswer {
    /// 200 with the bytes.
    File {
        /// The file's ETag.
        etag: String,
        /// The file.
        bytes: &'static [u8],
    },
    /// 304: the client's copy is current.
    NotModified {
        /// The file's ETag.
        etag: String,
    },
}

/// The answer for model `name` given the request's `If-None-Match`.
pub fn get_model(name: &str, if_none_match: Option<&str>) -> Result<ModelAnswer, ApiError> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| MODEL_FILES.iter().map(|(_, b)| etag(b)).collect());
    let (i, (_, bytes)) = MODEL_FILES
        .iter()
        .enumerate()
        .find(|(_, (n, _))| *n == name)
        .ok_or_else(|| ApiError::NotFound {
            path: format!("/api/models/{name}"),
        })?;
    let etag = etags[i].clone();
    Ok(if none_match(if_none_match, &etag) {
        ModelAnswer::NotModified { etag }
    } else {
        ModelAnswer::File { etag, bytes }
    })
}

/// An embedded CTR model, decoded, with the FNV-1a 64 of its file (hex) that responses cite.
#[derive(Debug)]
pub struct EmbeddedCtrModel {
    /// The decoded model.
    pub model: CtrModel,
    /// `fnv1a64` of the file's bytes, 16 hex digits.
    pub fnv1a64: String,
}

/// The embedded CTR model of `kind`, decoded and hashed once per Worker instance. Decoding
/// (checksum, weights, the covariance behind the intervals) and hashing the file were ~99 % of
/// the score handler's instructions when done per request (docs/robustness.md "Profiling").
pub fn ctr_model(kind: ModelKind) -> Result<&'static EmbeddedCtrModel, ApiError> {
    type Cell = OnceLock<Result<EmbeddedCtrModel, crosslearn::Error>>;
    static PRELAUNCH: Cell = OnceLock::new();
    static INFLIGHT: Cell = OnceLock::new();
    let (cell, bytes) = match kind {
        ModelKind::PreLaunch => (&PRELAUNCH, PRELAUNCH_MODEL),
        ModelKind::InFlight => (&INFLIGHT, INFLIGHT_MODEL),
    };
    cell.get_or_init(|| {
        Ok(EmbeddedCtrModel {
            model: CtrModel::from_bytes(bytes)?,
            fnv1a64: format!("{:016x}", fnv1a64(bytes)),
        })
    })
    .as_ref()
    // A corrupt embedded file is our fault, not the client's.
    .map_err(|_| ApiError::Internal)
}

/// The embedded niche classifier, decoded once per Worker instance.
pub fn niche_model() -> Result<&'static NicheModel, ApiError> {
    static MODEL: OnceLock<Result<NicheModel, crosslearn::Error>> = OnceLock::new();
    MODEL
        .get_or_init(|| NicheModel::from_bytes(NICHE_MODEL))
        .as_ref()
        // A corrupt embedded file is our fault, not the client's.
        .map_err(|_| ApiError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_each_file_with_its_etag() {
        for (name, bytes) in MODEL_FILES {
            let ModelAnswer::File {
                etag: tag,
                bytes: got,
            } = get_model(name, None).unwrap()
            else {
                panic!("{name}: expected the file");
            };
            assert_eq!(got, bytes);
            assert_eq!(tag, etag(bytes));
            assert_eq!(tag.len(), 18);
            assert_eq!(
                get_model(name, Some(&tag)).unwrap(),
                ModelAnswer::NotModified { etag: tag.clone() }
            );
            let listed = format!("\"0000000000000000\", W/{tag}");
            assert!(matches!(
                get_model(name, Some(&listed)).unwrap(),
                ModelAnswer::NotModified { .. }
            ));
            assert!(matches!(
                get_model(name, Some("\"0000000000000000\"")).unwrap(),
                ModelAnswer::File { .. }
            ));
        }
        // The files differ, so their tags do.
        let tags: std::collections::BTreeSet<String> =
            MODEL_FILES.iter().map(|(_, b)| etag(b)).collect();
        assert_eq!(tags.len(), MODEL_FILES.len());
        assert!(none_match(Some("*"), "\"x\""));
        assert!(!none_match(None, "\"x\""));
        assert!(!none_match(Some(""), "\"x\""));
    }

    #[test]
    fn unknown_names_are_404() {
        for name in ["nope.bin", "", "../Cargo.toml", "niche-v2"] {
            let e = get_model(name, None).unwrap_err();
            assert_eq!((e.status(), e.code()), (404, "not_found"), "{name}");
        }
    }

    #[test]
    fn the_niche_model_loads() {
        let m = niche_model().unwrap();
        let d = m.detect("Crush your leg day: a 20-minute gym workout to build muscle");
        assert_eq!(d.niche, crosslearn::niche::Niche::Fitness);
    }
}
