//! The model files the Worker uses and serves at `GET /api/models/{name}`.
//!
//! - **Embedded** ([`MODEL_FILES`]): the CTR models (`ctr-prelaunch-v1.bin`, `ctr-inflight-v1.bin`,
//!   `ctr-grounded-v1.json`) are compiled in (`include_bytes!`): part of the deployed version,
//!   served without a storage read.
//! - **From KV** ([`KV_MODELS`]): the niche classifier (`niche-v2.bin`) is too large to embed
//!   within the bundle budget (and a bigger one is planned), so it lives in the KV namespace of
//!   binding `MODELS` under `model:<name>` ([`KvModel::key`]), seeded by `scripts/seed-models.sh`.
//!   The Worker pins the file's FNV-1a 64 and length at build time (`worker/build.rs` hashes the
//!   repository's `models/niche-v2.bin`), so what it reads from KV is checked before it is used
//!   or served: a missing key or bytes that differ (a stale or corrupt upload) are refused with
//!   503 `model_unavailable` naming the key and the reason (expected vs got hash), never a
//!   panic and never a fallback. [`load`] reads and decodes it once per isolate ([`NicheCache`]);
//!   a failed load is not cached, so the next request retries.
//!
//! Responses are `application/octet-stream` (the JSON model too: callers read the bytes) with a
//! **strong ETag** (the FNV-1a 64 of the bytes, the hash `docs/ctr.md` and `docs/niche.md`
//! quote; for a KV model, the pinned hash, which the served bytes are checked to have) and
//! `Cache-Control: public, max-age=86400`; a request whose `If-None-Match` lists that ETag (or
//! `*`) gets `304` without a body. An unknown name is a JSON `404`.

use crate::error::ApiError;
use crate::ports::ModelStore;
use crate::service::auth::internal;
use crosslearn::hash::fnv1a64;
use crosslearn::model::ctr::{CtrModel, ModelKind};
use crosslearn::model::grounded::GroundedModel;
use crosslearn::niche::NicheModel;
use serde::Serialize;
use std::sync::OnceLock;

/// Constants `worker/build.rs` computes from the repository's model files.
mod pinned {
    include!(concat!(env!("OUT_DIR"), "/kv_models.rs"));
}

/// The pre-launch CTR model (`models/ctr-prelaunch-v1.bin`).
pub const PRELAUNCH_MODEL: &[u8] = include_bytes!("../../../models/ctr-prelaunch-v1.bin");
/// The in-flight CTR model (`models/ctr-inflight-v1.bin`).
pub const INFLIGHT_MODEL: &[u8] = include_bytes!("../../../models/ctr-inflight-v1.bin");
/// The grounded CTR model fitted to real exports (`models/ctr-grounded-v1.json`): what the
/// editor scores drafts with (`GroundedCtr.fromJson` in the npm package).
pub const GROUNDED_MODEL: &[u8] = include_bytes!("../../../models/ctr-grounded-v1.json");

/// `Cache-Control` of a served model file: a day, then revalidated with the ETag.
pub const CACHE_CONTROL: &str = "public, max-age=86400";

/// Every embedded model file: (name in the URL, bytes).
pub const MODEL_FILES: [(&str, &[u8]); 3] = [
    ("ctr-prelaunch-v1.bin", PRELAUNCH_MODEL),
    ("ctr-inflight-v1.bin", INFLIGHT_MODEL),
    ("ctr-grounded-v1.json", GROUNDED_MODEL),
];

/// A model file the Worker reads from KV (binding `MODELS`), pinned at build time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvModel {
    /// Its name in the URL and in `models/`.
    pub name: &'static str,
    /// Its KV key: `model:<name>`.
    pub key: &'static str,
    /// FNV-1a 64 of the repository's file when the Worker was built.
    pub fnv1a64: u64,
    /// Its length in bytes then.
    pub len: usize,
}

/// The niche classifier (`models/niche-v2.bin`), read from KV key `model:niche-v2.bin`.
pub const NICHE_MODEL: KvModel = KvModel {
    name: "niche-v2.bin",
    key: "model:niche-v2.bin",
    fnv1a64: pinned::NICHE_V2_FNV1A64,
    len: pinned::NICHE_V2_LEN,
};

/// Every model file read from KV (`scripts/seed-models.sh` seeds each).
pub const KV_MODELS: [KvModel; 1] = [NICHE_MODEL];

/// Every name `GET /api/models/{name}` serves: the embedded files, then the KV ones.
pub fn model_names() -> Vec<&'static str> {
    MODEL_FILES
        .iter()
        .map(|(n, _)| *n)
        .chain(KV_MODELS.iter().map(|m| m.name))
        .collect()
}

/// Why a KV model's bytes are refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelFault {
    /// The key is absent from the namespace (never seeded).
    Missing,
    /// The stored bytes are not the pinned file (a stale or corrupt upload).
    Mismatch {
        /// FNV-1a 64 of the stored bytes.
        got_fnv1a64: u64,
        /// Their length.
        got_len: usize,
    },
    /// The bytes are the pinned file, yet the core refuses them (the repository's file and
    /// the core disagree: a build fault, caught by the native tests first).
    Undecodable(String),
}

impl KvModel {
    /// The pinned hash as 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.fnv1a64)
    }

    /// The strong ETag of the file: the pinned hash, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.hex())
    }

    /// Whether `bytes` (as read from KV) are the pinned file.
    pub fn check(&self, bytes: Option<&[u8]>) -> Result<(), ModelFault> {
        let bytes = bytes.ok_or(ModelFault::Missing)?;
        let got = fnv1a64(bytes);
        if got == self.fnv1a64 && bytes.len() == self.len {
            Ok(())
        } else {
            Err(ModelFault::Mismatch {
                got_fnv1a64: got,
                got_len: bytes.len(),
            })
        }
    }

    /// The reason of a refusal, as the 503 and `/health` say it (after `KV key <key> `).
    pub fn reason(&self, fault: &ModelFault) -> String {
        match fault {
            ModelFault::Missing => "is missing".to_string(),
            ModelFault::Mismatch {
                got_fnv1a64,
                got_len,
            } => format!(
                "holds other bytes than this Worker was built with (hash mismatch: expected \
                 FNV-1a 64 {} ({} bytes), got {got_fnv1a64:016x} ({got_len} bytes)); they are \
                 refused",
                self.hex(),
                self.len
            ),
            ModelFault::Undecodable(e) => {
                format!("holds the pinned bytes, but they do not decode: {e}")
            }
        }
    }

    /// The 503 `model_unavailable` for `fault`.
    pub fn unavailable(&self, fault: &ModelFault) -> ApiError {
        ApiError::ModelUnavailable {
            name: self.name,
            key: self.key,
            reason: self.reason(fault),
        }
    }
}

/// The niche classifier as loaded from KV: the checked bytes (served) and the decoded model
/// (used).
#[derive(Debug)]
pub struct LoadedNiche {
    /// The file, equal to the pinned one.
    pub bytes: Vec<u8>,
    /// The decoded classifier.
    pub model: NicheModel,
}

/// An isolate's niche classifier once loaded: set by the first successful [`load`], never by a
/// failed one. The Worker keeps one in a `static` (`crate::routes`); tests make their own.
#[derive(Debug, Default)]
pub struct NicheCache {
    cell: OnceLock<LoadedNiche>,
}

impl NicheCache {
    /// An empty cache.
    pub const fn new() -> Self {
        NicheCache {
            cell: OnceLock::new(),
        }
    }

    /// The loaded model, if a load succeeded.
    pub fn get(&self) -> Option<&LoadedNiche> {
        self.cell.get()
    }
}

/// Read, check and decode the niche classifier from `store` unless `cache` already holds it
/// (then no storage read). Errors: 503 `model_unavailable` (missing key, hash mismatch,
/// undecodable), or the storage fault (500, logged) when the read itself fails; none is cached.
pub async fn load<'c, S: ModelStore>(
    store: &S,
    cache: &'c NicheCache,
) -> Result<&'c LoadedNiche, ApiError> {
    if let Some(loaded) = cache.get() {
        return Ok(loaded);
    }
    let m = NICHE_MODEL;
    let bytes = store.model_bytes(m.key).await.map_err(internal)?;
    m.check(bytes.as_deref())
        .map_err(|fault| m.unavailable(&fault))?;
    let bytes = bytes.unwrap_or_default();
    let model = NicheModel::from_bytes(&bytes)
        .map_err(|e| m.unavailable(&ModelFault::Undecodable(e.to_string())))?;
    // Two requests may have loaded it at once: both read the pinned bytes, the first one kept.
    Ok(cache.cell.get_or_init(|| LoadedNiche { bytes, model }))
}

/// A KV model's state, as `/health` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelStatus {
    /// The file's name (`GET /api/models/{name}`).
    pub name: &'static str,
    /// Its KV key (binding `MODELS`).
    pub key: &'static str,
    /// The FNV-1a 64 this Worker was built with (16 hex digits): the only bytes it accepts.
    pub fnv1a64: String,
    /// `ready` (loaded and checked) or `unavailable` (see `reason`).
    pub state: &'static str,
    /// Why it is unavailable (the `model_unavailable` message); `null` when ready.
    pub reason: Option<String>,
}

/// The niche classifier's state, loading it if this isolate has not yet (one KV read; none once
/// loaded).
pub async fn niche_status<S: ModelStore>(store: &S, cache: &NicheCache) -> ModelStatus {
    status(&load(store, cache).await)
}

/// The niche classifier's state given the outcome of [`load`] (a storage fault reads "internal
/// error": its cause is for the log).
pub fn status(loaded: &Result<&LoadedNiche, ApiError>) -> ModelStatus {
    let m = NICHE_MODEL;
    let reason = loaded.as_ref().err().map(|e| e.body().error.message);
    ModelStatus {
        name: m.name,
        key: m.key,
        fnv1a64: m.hex(),
        state: if reason.is_none() {
            "ready"
        } else {
            "unavailable"
        },
        reason,
    }
}

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
pub enum ModelAnswer<'a> {
    /// 200 with the bytes.
    File {
        /// The file's ETag.
        etag: String,
        /// The file.
        bytes: &'a [u8],
    },
    /// 304: the client's copy is current.
    NotModified {
        /// The file's ETag.
        etag: String,
    },
}

fn answer<'a>(etag: String, bytes: &'a [u8], if_none_match: Option<&str>) -> ModelAnswer<'a> {
    if none_match(if_none_match, &etag) {
        ModelAnswer::NotModified { etag }
    } else {
        ModelAnswer::File { etag, bytes }
    }
}

/// The answer for model `name` given the request's `If-None-Match`: an embedded file as it is,
/// a KV one once loaded and checked (`store` is read only for a KV model this isolate has not
/// loaded yet; a broken one is the 503 of [`load`], never served).
pub async fn get_model<'c, S: ModelStore>(
    name: &str,
    if_none_match: Option<&str>,
    store: &S,
    cache: &'c NicheCache,
) -> Result<ModelAnswer<'c>, ApiError> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    let etags = ETAGS.get_or_init(|| MODEL_FILES.iter().map(|(_, b)| etag(b)).collect());
    if let Some(i) = MODEL_FILES.iter().position(|(n, _)| *n == name) {
        return Ok(answer(etags[i].clone(), MODEL_FILES[i].1, if_none_match));
    }
    if name == NICHE_MODEL.name {
        let loaded = load(store, cache).await?;
        return Ok(answer(NICHE_MODEL.etag(), &loaded.bytes, if_none_match));
    }
    Err(ApiError::NotFound {
        path: format!("/api/models/{name}"),
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

/// The grounded CTR model (`models/ctr-grounded-v1.json`) with its file hash, parsed once per
/// Worker instance.
pub struct EmbeddedGrounded {
    /// The parsed model (no release applied).
    pub model: GroundedModel,
    /// `fnv1a64` of the file's bytes, 16 hex digits.
    pub fnv1a64: String,
}

/// The embedded grounded model, parsed and hashed once per Worker instance.
pub fn grounded_model() -> Result<&'static EmbeddedGrounded, ApiError> {
    static CELL: OnceLock<Result<EmbeddedGrounded, crosslearn::Error>> = OnceLock::new();
    CELL.get_or_init(|| {
        let text = std::str::from_utf8(GROUNDED_MODEL).map_err(|e| {
            crosslearn::Error::general(crosslearn::error::ErrorCode::InvalidValue, e.to_string())
        })?;
        Ok(EmbeddedGrounded {
            model: GroundedModel::from_json(text)?,
            fnv1a64: format!("{:016x}", fnv1a64(GROUNDED_MODEL)),
        })
    })
    .as_ref()
    // A corrupt embedded file is our fault, not the client's.
    .map_err(|_| ApiError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fixtures::repository_model;
    use crate::testing::{run, MemoryModels};

    fn file(name: &str, if_none_match: Option<&str>) -> Result<ModelAnswer<'static>, ApiError> {
        static CACHE: NicheCache = NicheCache::new();
        run(get_model(
            name,
            if_none_match,
            &MemoryModels::seeded(),
            &CACHE,
        ))
    }

    #[test]
    fn the_pin_is_the_repository_file() {
        for m in KV_MODELS {
            let bytes = repository_model(m.name);
            assert!(!bytes.is_empty(), "models/{} is read", m.name);
            assert_eq!(
                m.fnv1a64,
                fnv1a64(&bytes),
                "{}: worker/build.rs's pin",
                m.name
            );
            assert_eq!(m.len, bytes.len(), "{}", m.name);
            assert_eq!(m.key, format!("model:{}", m.name));
            assert_eq!(m.check(Some(&bytes)), Ok(()));
            assert_eq!(m.etag(), etag(&bytes));
        }
        assert_eq!(
            NICHE_MODEL.name,
            crate::service::crosslearning::NICHE_MODEL_NAME
        );
    }

    #[test]
    fn the_seed_script_seeds_every_kv_model() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/seed-models.sh");
        let script = std::fs::read_to_string(path).unwrap();
        for m in KV_MODELS {
            assert!(
                script.contains(m.name),
                "scripts/seed-models.sh seeds {}",
                m.name
            );
        }
        assert!(script.contains("model:"), "under model:<name>");
    }

    #[test]
    fn serves_each_file_with_its_etag() {
        let mut all: Vec<(&str, Vec<u8>)> =
            MODEL_FILES.iter().map(|(n, b)| (*n, b.to_vec())).collect();
        all.push((NICHE_MODEL.name, repository_model(NICHE_MODEL.name)));
        assert_eq!(
            all.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            model_names()
        );
        for (name, bytes) in &all {
            let ModelAnswer::File {
                etag: tag,
                bytes: got,
            } = file(name, None).unwrap()
            else {
                panic!("{name}: expected the file");
            };
            assert_eq!(got, &bytes[..]);
            assert_eq!(tag, etag(bytes));
            assert_eq!(tag.len(), 18);
            assert_eq!(
                file(name, Some(&tag)).unwrap(),
                ModelAnswer::NotModified { etag: tag.clone() }
            );
            let listed = format!("\"0000000000000000\", W/{tag}");
            assert!(matches!(
                file(name, Some(&listed)).unwrap(),
                ModelAnswer::NotModified { .. }
            ));
            assert!(matches!(
                file(name, Some("\"0000000000000000\"")).unwrap(),
                ModelAnswer::File { .. }
            ));
        }
        // The files differ, so their tags do.
        let tags: std::collections::BTreeSet<String> = all.iter().map(|(_, b)| etag(b)).collect();
        assert_eq!(tags.len(), all.len());
        assert!(none_match(Some("*"), "\"x\""));
        assert!(!none_match(None, "\"x\""));
        assert!(!none_match(Some(""), "\"x\""));
    }

    #[test]
    fn unknown_names_are_404() {
        for name in [
            "nope.bin",
            "",
            "../Cargo.toml",
            "niche-v2",
            "model:niche-v2.bin",
        ] {
            let e = file(name, None).unwrap_err();
            assert_eq!((e.status(), e.code()), (404, "not_found"), "{name}");
        }
    }

    #[test]
    fn embedded_files_never_read_kv() {
        let store = MemoryModels::new();
        let cache = NicheCache::new();
        for (name, _) in MODEL_FILES {
            assert!(run(get_model(name, None, &store, &cache)).is_ok(), "{name}");
        }
        assert_eq!(store.reads(), 0);
    }

    fn unavailable(e: &ApiError) -> String {
        assert_eq!((e.status(), e.code()), (503, "model_unavailable"), "{e}");
        let message = e.body().error.message;
        assert!(
            message.contains(NICHE_MODEL.key),
            "names the key: {message}"
        );
        message
    }

    #[test]
    fn a_missing_model_is_503_and_is_retried() {
        let store = MemoryModels::new();
        let cache = NicheCache::new();
        let e = run(load(&store, &cache)).unwrap_err();
        assert!(unavailable(&e).contains("is missing"));
        // The file route answers the same 503, never the bytes.
        let e = run(get_model(NICHE_MODEL.name, None, &store, &cache)).unwrap_err();
        assert!(unavailable(&e).contains("is missing"));
        let e = run(get_model(NICHE_MODEL.name, Some("*"), &store, &cache)).unwrap_err();
        assert_eq!(e.code(), "model_unavailable");
        assert!(cache.get().is_none(), "a failure is not cached");
        assert_eq!(store.reads(), 3, "each request retried");
        let status = run(niche_status(&store, &cache));
        assert_eq!(status.state, "unavailable");
        assert!(status.reason.unwrap().contains("is missing"));
        // Seeded now: the next request loads it.
        store.put(NICHE_MODEL.key, repository_model(NICHE_MODEL.name));
        let loaded = run(load(&store, &cache)).unwrap();
        let d = loaded
            .model
            .detect("Crush your leg day: a 20-minute gym workout to build muscle");
        assert_eq!(d.niche, crosslearn::niche::Niche::Fitness);
        assert_eq!(store.reads(), 5);
    }

    #[test]
    fn other_bytes_are_refused_naming_both_hashes() {
        let good = repository_model(NICHE_MODEL.name);
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let stale = crate::testing::fixtures::repository_model("niche-v1.bin");
        assert!(!stale.is_empty());
        for bytes in [flipped, stale, Vec::new(), b"garbage".to_vec()] {
            let store = MemoryModels::new();
            store.put(NICHE_MODEL.key, bytes.clone());
            let cache = NicheCache::new();
            let message = unavailable(&run(load(&store, &cache)).unwrap_err());
            assert!(message.contains("hash mismatch"), "{message}");
            assert!(message.contains(&NICHE_MODEL.hex()), "expected: {message}");
            let got = format!("{:016x} ({} bytes)", fnv1a64(&bytes), bytes.len());
            assert!(message.contains(&got), "got: {message}");
            assert!(run(get_model(NICHE_MODEL.name, None, &store, &cache)).is_err());
            assert!(cache.get().is_none());
            // The right bytes replace them: the next request succeeds.
            store.put(NICHE_MODEL.key, good.clone());
            assert!(run(load(&store, &cache)).is_ok());
            assert_eq!(run(niche_status(&store, &cache)).state, "ready");
        }
    }

    #[test]
    fn a_good_model_is_read_once_per_isolate() {
        let store = MemoryModels::seeded();
        let cache = NicheCache::new();
        let first = run(load(&store, &cache)).unwrap();
        assert_eq!(first.bytes, repository_model(NICHE_MODEL.name));
        for _ in 0..3 {
            let again = run(load(&store, &cache)).unwrap();
            assert!(std::ptr::eq(first, again));
        }
        let status = run(niche_status(&store, &cache));
        assert_eq!(
            (status.state, status.reason, status.fnv1a64.as_str()),
            ("ready", None, NICHE_MODEL.hex().as_str())
        );
        // Loaded and checked: a later change in KV does not affect this isolate.
        store.remove(NICHE_MODEL.key);
        assert!(run(load(&store, &cache)).is_ok());
        assert_eq!(store.reads(), 1);
    }

    #[test]
    fn a_failed_read_is_a_logged_500_and_is_retried() {
        let store = MemoryModels::seeded();
        store.fail.set(true);
        let cache = NicheCache::new();
        let e = run(load(&store, &cache)).unwrap_err();
        assert_eq!((e.status(), e.code()), (500, "internal"));
        assert_eq!(run(niche_status(&store, &cache)).state, "unavailable");
        store.fail.set(false);
        assert!(run(load(&store, &cache)).is_ok());
        assert_eq!(store.reads(), 3);
    }

    #[test]
    fn the_niche_model_loads() {
        let m = crate::testing::fixtures::niche_model();
        let d = m.detect("Crush your leg day: a 20-minute gym workout to build muscle");
        assert_eq!(d.niche, crosslearn::niche::Niche::Fitness);
    }
}
