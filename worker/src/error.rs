//! The Worker's one error type and its wire form.
//!
//! Every failure a client can cause maps to a 4xx status and the body
//! `{"error": {"code", "message", "field"}}`, where `code` is a stable machine-readable string
//! (the core's [`crosslearn::ErrorCode`] names plus a few HTTP-level ones) and `field` is the JSON
//! path of the offending value (`platform_data[2].cpc`) or `null`.
//!
//! Status mapping, following the usual JSON-API split between syntax and meaning:
//!
//! | variant | status | code |
//! |---|---|---|
//! | [`ApiError::Malformed`] | 400 | `malformed` |
//! | [`ApiError::Invalid`] (wrong JSON shape) | 422 | `invalid_type`, `unknown_field`, `missing_field`, `unknown_value`, `duplicate`, `invalid_value` |
//! | [`ApiError::Core`] (the core rejected a value) | 422 | the core's code |
//! | [`ApiError::Unauthorized`] (no or unknown bearer token) | 401 | `unauthorized` |
//! | [`ApiError::Forbidden`] (a token used beyond its account) | 403 | `forbidden` |
//! | [`ApiError::NotFound`] | 404 | `not_found` |
//! | [`ApiError::Conflict`] (account id taken) | 409 | `conflict` |
//! | [`ApiError::MethodNotAllowed`] | 405 | `method_not_allowed` |
//! | [`ApiError::TooLarge`], [`ApiError::TooManyRows`] (a CSV upload over its row limit) | 413 | `too_large` |
//! | [`ApiError::RateLimited`] (over a per-client or per-account rate limit, named) | 429 | `rate_limited` |
//! | [`ApiError::ReleaseUnreadable`] (a published release in KV cannot be decoded) | 503 | `release_unavailable` |
//! | [`ApiError::StorageWrite`] (a D1 write failed; nothing of it was stored) | 503 | `storage_unavailable` |
//! | [`ApiError::Config`] (a deployment setting is unusable, e.g. a weak operator token) | 503 | `config_error` |
//! | [`ApiError::RedisUnavailable`] (operator routes: Redis not configured, unreachable or failing) | 503 | `redis_unavailable` |
//! | [`ApiError::ModelUnavailable`] (a model file the Worker loads from KV is missing, or its bytes differ from the pinned hash) | 503 | `model_unavailable` |
//! | [`ApiError::Internal`], [`ApiError::Storage`] | 500 | `internal` |
//!
//! `ReleaseUnreadable`, `StorageWrite`, `Config`, `RedisUnavailable`, `ModelUnavailable`,
//! `Internal` and `Storage` are the only 5xx. Their message is fixed: the cause (a JS runtime error, say) is logged by the
//! caller and never sent to the client, except `RedisUnavailable`, which only operator routes
//! answer and whose message says what failed (which step timed out, refused AUTH, a TLS mismatch).

use serde::Serialize;
use std::fmt;

/// A request that failed, with everything needed to answer it.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The body is not JSON at all (syntax error, truncated, empty, not UTF-8).
    Malformed {
        /// What the JSON parser objected to, with its position in the body.
        message: String,
    },
    /// The body is JSON but not of the expected shape (wrong type, unknown or missing field).
    Invalid {
        /// One of `invalid_type`, `unknown_field`, `missing_field`, `unknown_value`,
        /// `duplicate`, `invalid_value`.
        code: &'static str,
        /// JSON path of the offending value; `None` for the body as a whole.
        field: Option<String>,
        /// Why it was rejected.
        message: String,
    },
    /// The core rejected a value (NaN, negative, out of range, empty, duplicate platform...).
    Core(crosslearn::Error),
    /// The body is longer than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A CSV upload with more data rows than one request may store (413 `too_large`): the
    /// upload is refused at the first row past the limit, without reading further.
    TooManyRows {
        /// The limit.
        limit: usize,
        /// 1-based line where row `limit + 1` starts.
        line: u64,
    },
    /// No route has this path, or the resource it names does not exist.
    NotFound {
        /// The requested path.
        path: String,
    },
    /// No valid bearer token.
    Unauthorized {
        /// What is wrong with the credentials.
        message: String,
    },
    /// A valid token, used on something it may not touch.
    Forbidden {
        /// What the token may not do.
        message: String,
    },
    /// The resource already exists.
    Conflict {
        /// What exists.
        message: String,
    },
    /// The path exists, but not for this method.
    MethodNotAllowed {
        /// The methods the path accepts, comma-separated (the `Allow` header's value).
        allow: String,
    },
    /// Too many requests from this client or account (see [`crate::http::edge`]).
    RateLimited {
        /// Seconds until the next request will be accepted (the `Retry-After` header).
        retry_after_s: u64,
        /// The limit that was hit: the var that sets it (`RATE_LIMIT_PER_MIN`,
        /// `ACCOUNT_RATE_LIMIT_PER_MIN`, `AUTH_RATE_LIMIT_PER_MIN`).
        limit: &'static str,
    },
    /// A deployment setting is unusable (a weak operator token, ...): 503 naming the var; the
    /// operator fixes the setting, the client cannot.
    Config {
        /// The var or secret at fault.
        var: &'static str,
        /// What is wrong with it (never its value).
        message: String,
    },
    /// A published release in KV cannot be decoded (corrupt or foreign value): 503, the cause is
    /// logged only. The next publication that writes the key replaces it (docs/schemathesis.md,
    /// "Faults").
    ReleaseUnreadable {
        /// The niche whose release (`release:<niche>`) is unreadable; `None` for the bulk value.
        niche: Option<String>,
        /// The decoder's complaint, for the log.
        cause: String,
    },
    /// A D1 write failed (D1 unavailable, or the dev-only fault hook in
    /// [`crate::adapters::faults`]): 503, the message names what was being written; the cause is
    /// logged only. A failed write batch is one transaction, so nothing of it was stored and
    /// retrying is safe (docs/robustness.md, "D1 write faults").
    StorageWrite {
        /// What was being written (`records`, `consent`, `account`, ...).
        what: &'static str,
        /// The storage layer's complaint, for the log.
        cause: String,
    },
    /// The aggregate store (Redis) is not configured, unreachable or failing, on an operator
    /// route (account routes never fail on Redis): 503 with what failed.
    RedisUnavailable {
        /// What failed, for the operator.
        message: String,
    },
    /// A model file the Worker loads from KV (binding `MODELS`, [`crate::service::models`]) is
    /// not usable: 503 naming the key and why (missing, or bytes whose FNV-1a 64 differs from the
    /// one pinned at build time: expected vs got). The operator seeds it
    /// (`scripts/seed-models.sh`); the next request retries.
    ModelUnavailable {
        /// The model file's name (`niche-v2.bin`).
        name: &'static str,
        /// Its KV key (`model:niche-v2.bin`).
        key: &'static str,
        /// Why it is unusable, safe to show (hashes and lengths, never storage internals).
        reason: String,
    },
    /// A fault on our side. The cause is logged, never returned.
    Internal,
    /// A storage fault (D1/KV). Answered like [`ApiError::Internal`]; the cause is logged only.
    Storage(String),
}

impl ApiError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Malformed { .. } => 400,
            ApiError::Invalid { .. } | ApiError::Core(_) => 422,
            ApiError::Unauthorized { .. } => 401,
            ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::TooLarge { .. } | ApiError::TooManyRows { .. } => 413,
            ApiError::RateLimited { .. } => 429,
            ApiError::ReleaseUnreadable { .. }
            | ApiError::StorageWrite { .. }
            | ApiError::Config { .. }
            | ApiError::RedisUnavailable { .. }
            | ApiError::ModelUnavailable { .. } => 503,
            ApiError::Internal | ApiError::Storage(_) => 500,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } => "malformed",
            ApiError::Invalid { code, .. } => code,
            ApiError::Core(e) => e.code.as_str(),
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::TooLarge { .. } | ApiError::TooManyRows { .. } => "too_large",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::ReleaseUnreadable { .. } => "release_unavailable",
            ApiError::StorageWrite { .. } => "storage_unavailable",
            ApiError::Config { .. } => "config_error",
            ApiError::RedisUnavailable { .. } => "redis_unavailable",
            ApiError::ModelUnavailable { .. } => "model_unavailable",
            ApiError::Internal | ApiError::Storage(_) => "internal",
        }
    }

    /// JSON path of the offending value, if one value is to blame.
    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => field.as_deref(),
            ApiError::Core(e) => e.field.as_deref(),
            _ => None,
        }
    }

    /// The JSON body: `{"error": {"code", "message", "field"}}`.
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Malformed { message }
            | ApiError::Invalid { message, .. }
            | ApiError::Unauthorized { message }
            | ApiError::Forbidden { message }
            | ApiError::Conflict { message }
            | ApiError::RedisUnavailable { message } => message.clone(),
            ApiError::Core(e) => e.message.clone(),
            ApiError::TooLarge { limit } => format!("request body is larger than {limit} bytes"),
            ApiError::TooManyRows { limit, line } => format!(
                "the CSV has more than {limit} data rows (row {} starts at line {line}); at \
                 most {limit} are accepted in one upload (split the file); nothing was stored",
                limit + 1
            ),
            ApiError::NotFound { path } => format!("no route for {path}"),
            ApiError::MethodNotAllowed { allow } => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::RateLimited {
                retry_after_s,
                limit,
            } => format!("rate limit {limit} exceeded; retry after {retry_after_s} s"),
            ApiError::Config { var, message } => {
                format!("the server's {var} setting is unusable: {message}")
            }
            ApiError::ReleaseUnreadable { niche: Some(n), .. } => format!(
                "the published release of niche {n} cannot be read; the next publication replaces it"
            ),
            ApiError::ReleaseUnreadable { niche: None, .. } => {
                "the published releases cannot be read; the next publication replaces them"
                    .to_string()
            }
            ApiError::StorageWrite { what, .. } => format!(
                "storage is unavailable: writing {what} to the database failed; that write did \
                 not happen, retrying is safe"
            ),
            ApiError::ModelUnavailable { name, key, reason } => format!(
                "the model {name} is unavailable: KV key {key} (binding MODELS) {reason}; the \
                 operator seeds it with scripts/seed-models.sh"
            ),
            ApiError::Internal | ApiError::Storage(_) => "internal error".to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message,
                field: self.field().map(str::to_string),
            },
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.body();
        write!(
            f,
            "{} {}: {}",
            self.status(),
            body.error.code,
            body.error.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<crosslearn::import::StreamStop> for ApiError {
    fn from(stop: crosslearn::import::StreamStop) -> Self {
        match stop {
            crosslearn::import::StreamStop::Invalid(e) => ApiError::Core(e),
            crosslearn::import::StreamStop::TooManyRows { limit, line } => {
                ApiError::TooManyRows { limit, line }
            }
        }
    }
}

impl From<crosslearn::Error> for ApiError {
    fn from(e: crosslearn::Error) -> Self {
        ApiError::Core(e)
    }
}

/// The error response body.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// The one error.
    pub error: ErrorDetail,
}

/// What went wrong, where.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (see the module table).
    pub code: &'static str,
    /// Human-readable reason; describes the input, never our internals.
    pub message: String,
    /// JSON path of the offending value, or `null`.
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosslearn::{Error, ErrorCode};

    #[test]
    fn statuses_and_codes() {
        let core = ApiError::from(Error::field(ErrorCode::InvalidValue, "metrics.cpc", "neg"));
        assert_eq!((core.status(), core.code()), (422, "invalid_value"));
        let b = core.body();
        assert_eq!(b.error.field.as_deref(), Some("metrics.cpc"));
        assert_eq!(b.error.message, "neg");
        assert_eq!(ApiError::TooLarge { limit: 1 }.status(), 413);
        assert_eq!(ApiError::Internal.status(), 500);
        let s = ApiError::Storage("D1_ERROR: secret detail".into());
        assert_eq!((s.status(), s.code()), (500, "internal"));
        assert_eq!(
            s.body().error.message,
            "internal error",
            "the cause is never sent"
        );
        let w = ApiError::StorageWrite {
            what: "records",
            cause: "D1_ERROR: secret detail".into(),
        };
        assert_eq!((w.status(), w.code()), (503, "storage_unavailable"));
        let msg = w.body().error.message;
        assert!(msg.contains("writing records"), "{msg}");
        assert!(!msg.contains("secret"), "the cause is never sent: {msg}");
        let u = ApiError::Unauthorized {
            message: "m".into(),
        };
        assert_eq!((u.status(), u.code()), (401, "unauthorized"));
        let f = ApiError::Forbidden {
            message: "m".into(),
        };
        assert_eq!((f.status(), f.code()), (403, "forbidden"));
        let c = ApiError::Conflict {
            message: "m".into(),
        };
        assert_eq!((c.status(), c.code()), (409, "conflict"));
        let r = ApiError::RateLimited {
            retry_after_s: 3,
            limit: "ACCOUNT_RATE_LIMIT_PER_MIN",
        };
        assert_eq!((r.status(), r.code()), (429, "rate_limited"));
        let message = r.body().error.message;
        assert!(message.contains("3 s") && message.contains("ACCOUNT_RATE_LIMIT_PER_MIN"));
        let c = ApiError::Config {
            var: "OPERATOR_TOKEN",
            message: "too short".into(),
        };
        assert_eq!((c.status(), c.code()), (503, "config_error"));
        assert!(c.body().error.message.contains("OPERATOR_TOKEN"));
        let m = ApiError::MethodNotAllowed {
            allow: "POST".into(),
        };
        assert_eq!((m.status(), m.code()), (405, "method_not_allowed"));
        let n = ApiError::NotFound { path: "/x".into() };
        assert_eq!((n.status(), n.code()), (404, "not_found"));
        let r = ApiError::RedisUnavailable {
            message: "redis: connect timed out after 300 ms".into(),
        };
        assert_eq!((r.status(), r.code()), (503, "redis_unavailable"));
        assert_eq!(
            r.body().error.message,
            "redis: connect timed out after 300 ms"
        );
        let m = ApiError::ModelUnavailable {
            name: "niche-v2.bin",
            key: "model:niche-v2.bin",
            reason: "is missing".into(),
        };
        assert_eq!((m.status(), m.code()), (503, "model_unavailable"));
        let msg = m.body().error.message;
        assert!(
            msg.contains("model:niche-v2.bin") && msg.contains("is missing"),
            "{msg}"
        );
    }

    #[test]
    fn body_shape_always_has_the_three_keys() {
        let v = serde_json::to_value(ApiError::Internal.body()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "internal", "message": "internal error", "field": null}})
        );
    }
}
