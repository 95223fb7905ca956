//! What every request passes through before and after its route: CORS and the rate limit of the
//! public routes. The decisions are pure functions (tested natively); [`serve`] is the thin glue
//! that reads the vars, runs the router and sets the headers.
//!
//! ## CORS
//!
//! The var `CORS_ORIGINS` is a comma-separated list of exact origins (`scheme://host[:port]`), or
//! `*` for any origin. Unset, it is [`DEFAULT_ORIGINS`] (the local editor). A request whose
//! `Origin` is on the list gets `Access-Control-Allow-Origin: <that origin>` (never `*` echoed with
//! credentials), `Access-Control-Expose-Headers` (`Server-Timing`, `Retry-After`, `ETag`) and
//! `Timing-Allow-Origin`. Every API response carries `Vary: Origin`, so a cache never serves one
//! origin's answer to another. A preflight (`OPTIONS` on a known API path) is answered here with
//! 204 and, for an allowed origin, the path's methods and the headers `authorization` and
//! `content-type`; an unknown path is a JSON 404 as usual.
//!
//! ## Rate limits
//!
//! The public routes (those of the route table with [`Limit::PerClient`](crate::http::table::Limit):
//! niche-wisdom reads, stats, normalize, features, the two score routes, detect-niche) are limited per client IP (`CF-Connecting-IP`, which
//! Cloudflare sets and clients cannot override; requests without it share one bucket) by a token
//! bucket: `RATE_LIMIT_PER_MIN` tokens per minute (default [`DEFAULT_PER_MIN`]; `0` turns the
//! limit off), holding at most `RATE_LIMIT_BURST` (default [`DEFAULT_BURST`]). A request
//! without a token gets 429 `rate_limited` with `Retry-After` (whole seconds until a token).
//!
//! Scope, honestly: the buckets live in the isolate's memory. Cloudflare runs many isolates (per
//! data centre, and recycles them), each with its own buckets, so the limit holds per isolate: a
//! client spread over several isolates gets several times the limit. It bounds a single noisy
//! client per isolate and keeps the local `wrangler dev` (one isolate) exact; a global limit
//! needs the Workers rate-limiting binding (`[[ratelimits]]`, supported by workers-rs 0.8's
//! `Env::rate_limiter`), whose limit is set in `wrangler.toml` rather than a var.

use crate::error::ApiError;
use crate::http::respond::error_response;
use crate::http::table::{allowed_methods, is_rate_limited, router, unrouted, Route};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Date, Env, Request, Response};

/// The var with the allowed origins.
pub const CORS_VAR: &str = "CORS_ORIGINS";
/// Allowed origins when [`CORS_VAR`] is unset: the editor served by a local `wrangler dev`.
pub const DEFAULT_ORIGINS: &str = "http://127.0.0.1:8787,http://localhost:8787";
/// The var with the per-minute refill of the public routes' buckets.
pub const PER_MIN_VAR: &str = "RATE_LIMIT_PER_MIN";
/// The var with the bucket size (the largest burst).
pub const BURST_VAR: &str = "RATE_LIMIT_BURST";
/// Requests per minute per client on the public routes when [`PER_MIN_VAR`] is unset.
pub const DEFAULT_PER_MIN: u32 = 600;
/// Bucket size when [`BURST_VAR`] is unset.
pub const DEFAULT_BURST: u32 = 120;
/// Most clients tracked per isolate; past it, full buckets are dropped (then all, if needed).
pub const MAX_CLIENTS: usize = 10_000;
/// Headers a cross-origin page may read.
pub const EXPOSE_HEADERS: &str = "Server-Timing, Retry-After, ETag";
/// Request headers a preflight allows.
pub const ALLOW_HEADERS: &str = "authorization, content-type";
/// How long a browser may cache a preflight answer (seconds).
pub const PREFLIGHT_MAX_AGE: &str = "600";

/// The allowed origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    /// `*`: any origin.
    Any,
    /// Exactly these origins.
    List(Vec<String>),
}

impl Origins {
    /// Parse the var's value (unset: [`DEFAULT_ORIGINS`]). Entries are trimmed; a trailing `/`
    /// is dropped (an `Origin` header never has one); empty entries are ignored.
    pub fn parse(var: Option<&str>) -> Origins {
        let text = var.unwrap_or(DEFAULT_ORIGINS);
        let list: Vec<String> = text
            .split(',')
            .map(|o| o.trim().trim_end_matches('/'))
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect();
        if list.iter().any(|o| o == "*") {
            Origins::Any
        } else {
            Origins::List(list)
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, if it is allowed.
    pub fn allow(&self, origin: Option<&str>) -> Option<String> {
        let origin = origin?;
        match self {
            Origins::Any => Some(origin.to_string()),
            Origins::List(list) => list.iter().any(|o| o == origin).then(|| origin.to_string()),
        }
    }
}

/// The CORS headers of an actual (non-preflight) API response.
pub fn cors_headers(allowed_origin: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![("vary", "Origin".to_string())];
    if let Some(origin) = allowed_origin {
        h.push(("access-control-allow-origin", origin.to_string()));
        h.push(("access-control-expose-headers", EXPOSE_HEADERS.to_string()));
        h.push(("timing-allow-origin", origin.to_string()));
    }
    h
}

/// The headers of a preflight answer (204) for a path that accepts `allow`.
pub fn preflight_headers(allowed_origin: Option<&str>, allow: &str) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("vary", "Origin".to_string()),
        ("allow", format!("{allow}, OPTIONS")),
    ];
    if let Some(origin) = allowed_origin {
        h.push(("access-control-allow-origin", origin.to_string()));
        h.push(("access-control-allow-methods", format!("{allow}, OPTIONS")));
        h.push(("access-control-allow-headers", ALLOW_HEADERS.to_string()));
        h.push(("access-control-max-age", PREFLIGHT_MAX_AGE.to_string()));
    }
    h
}

/// The rate limit's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateConfig {
    /// Tokens added per minute (0: no limit).
    pub per_min: u32,
    /// Bucket size: the most requests accepted at once after a quiet spell.
    pub burst: u32,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            per_min: DEFAULT_PER_MIN,
            burst: DEFAULT_BURST,
        }
    }
}

impl RateConfig {
    /// From the vars' values. An unset var takes its default; a value that is not a whole
    /// number is an error naming the var (the caller logs it and uses the default, since a
    /// config mistake must not take the API down). A burst of 0 means 1.
    pub fn from_vars(per_min: Option<&str>, burst: Option<&str>) -> Result<RateConfig, ApiError> {
        let parse = |name: &str, v: Option<&str>, default: u32| match v {
            None => Ok(default),
            Some(v) => v.trim().parse::<u32>().map_err(|_| ApiError::Invalid {
                code: "invalid_value",
                field: Some(name.to_string()),
                message: format!("{name} must be a whole number >= 0, got {v:?}"),
            }),
        };
        Ok(RateConfig {
            per_min: parse(PER_MIN_VAR, per_min, DEFAULT_PER_MIN)?,
            burst: parse(BURST_VAR, burst, DEFAULT_BURST)?.max(1),
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

/// Token buckets by client key.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: HashMap<String, Bucket>,
}

impl Limiter {
    /// No clients seen yet.
    pub fn new() -> Self {
        Limiter::default()
    }

    /// Clients tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// No client tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Take one token for `key` at `now_ms`, or say how many whole seconds until one is there.
    pub fn check(&mut self, key: &str, now_ms: u64, config: &RateConfig) -> Result<(), ApiError> {
        if config.per_min == 0 {
            return Ok(());
        }
        let per_ms = f64::from(config.per_min) / 60_000.0;
        let burst = f64::from(config.burst);
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_CLIENTS {
            self.evict(now_ms, per_ms, burst);
        }
        let bucket = self.buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at_ms: now_ms,
        });
        // A clock that goes backwards (it should not) refills nothing.
        let elapsed = now_ms.saturating_sub(bucket.at_ms) as f64;
        bucket.tokens = (bucket.tokens + elapsed * per_ms).min(burst);
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = (1.0 - bucket.tokens) / per_ms;
            Err(ApiError::RateLimited {
                retry_after_s: ((wait_ms / 1000.0).ceil() as u64).max(1),
            })
        }
    }

    /// Make room: drop the buckets that are full again (forgetting them changes nothing), and
    /// if every client is still active, all of them.
    fn evict(&mut self, now_ms: u64, per_ms: f64, burst: f64) {
        self.buckets
            .retain(|_, b| b.tokens + now_ms.saturating_sub(b.at_ms) as f64 * per_ms < burst);
        if self.buckets.len() >= MAX_CLIENTS {
            self.buckets.clear();
        }
    }
}

thread_local! {
    /// This isolate's buckets (a Worker isolate is single-threaded).
    static LIMITER: RefCell<Limiter> = RefCell::new(Limiter::new());
}

/// Clients tracked by this isolate's rate limiter (for `GET /api/admin/runtime`).
pub fn limiter_clients() -> usize {
    LIMITER.with(|l| l.borrow().len())
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// The router's answer; a handler that failed inside the runtime becomes the logged, generic 500
/// here (as in [`crate::http::respond::finish`]), so that it gets the CORS headers too.
async fn route(req: Request, env: Env, table: &'static [Route]) -> worker::Result<Response> {
    match router(table).run(req, env).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!("handler failed: {e}");
            error_response(&ApiError::Internal)
        }
    }
}

/// The methods the router tells apart. The `worker` crate reads any other method (`QUERY`,
/// `PROPFIND`, a typo...) as GET, so such a request would run a GET handler: [`serve`] answers
/// it before routing, with [`unrouted`].
pub const ROUTABLE_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// `method` (as sent, before the `worker` crate's parsing) is one of [`ROUTABLE_METHODS`].
pub fn is_routable_method(method: &str) -> bool {
    ROUTABLE_METHODS.contains(&method)
}

/// Run one request through CORS, the rate limit and the router of `table`.
pub async fn serve(req: Request, env: Env, table: &'static [Route]) -> worker::Result<Response> {
    let path = req.path();
    let method = req.method().to_string();
    let origin = req.headers().get("origin").ok().flatten();
    let allowed = Origins::parse(var(&env, CORS_VAR).as_deref()).allow(origin.as_deref());

    if method == "OPTIONS" {
        if let Some(allow) = allowed_methods(table, &path) {
            let mut resp = Response::empty()?.with_status(204);
            for (name, value) in preflight_headers(allowed.as_deref(), &allow) {
                resp.headers_mut().set(name, &value)?;
            }
            return Ok(resp);
        }
    }

    // A method outside ROUTABLE_METHODS gets what the table's fallback answers for any method
    // without a handler: 405 with `Allow` on a known path, 404 elsewhere.
    let mut resp = if !is_routable_method(&req.inner().method()) {
        error_response(&unrouted(table, path.clone()))?
    } else if is_rate_limited(table, &method, &path) {
        let config = RateConfig::from_vars(
            var(&env, PER_MIN_VAR).as_deref(),
            var(&env, BURST_VAR).as_deref(),
        )
        .unwrap_or_else(|e| {
            worker::console_error!("{e}; using the default rate limit");
            RateConfig::default()
        });
        let client = req
            .headers()
            .get("cf-connecting-ip")
            .ok()
            .flatten()
            .unwrap_or_default();
        let now = Date::now().as_millis();
        match LIMITER.with(|l| l.borrow_mut().check(&client, now, &config)) {
            Ok(()) => route(req, env, table).await?,
            Err(e) => error_response(&e)?,
        }
    } else {
        route(req, env, table).await?
    };
    for (name, value) in cors_headers(allowed.as_deref()) {
        // Best effort, as for Server-Timing: a response with immutable headers keeps its own.
        let _ = resp.headers_mut().set(name, &value);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_the_router_would_read_as_get_are_refused() {
        for m in ["GET", "POST", "DELETE", "OPTIONS"] {
            assert!(is_routable_method(m), "{m}");
        }
        for m in ["QUERY", "PROPFIND", "get ", "CONNECT", "TRACE", ""] {
            assert!(!is_routable_method(m), "{m}");
        }
        let unroutable = |path: &str| unrouted(crate::routes::ROUTES, path.to_string());
        let e = unroutable("/api/cross-learning/niche-wisdom");
        assert_eq!(e.status(), 405);
        assert!(
            matches!(&e, ApiError::MethodNotAllowed { allow } if allow == "GET"),
            "{e:?}"
        );
        assert_eq!(unroutable("/health").status(), 405);
        assert_eq!(unroutable("/no/such/path").status(), 404);
    }

    #[test]
    fn origins() {
        let default = Origins::parse(None);
        assert_eq!(
            default.allow(Some("http://127.0.0.1:8787")).as_deref(),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(default.allow(Some("https://evil.example")), None);
        assert_eq!(default.allow(None), None);
        let list = Origins::parse(Some(" https://a.example/ , ,https://b.example:8443"));
        assert_eq!(
            list,
            Origins::List(vec![
                "https://a.example".into(),
                "https://b.example:8443".into()
            ])
        );
        assert!(list.allow(Some("https://a.example")).is_some());
        assert!(list.allow(Some("https://a.example.evil")).is_none());
        assert_eq!(Origins::parse(Some("https://a.example,*")), Origins::Any);
        assert_eq!(
            Origins::Any.allow(Some("https://x.example")).as_deref(),
            Some("https://x.example")
        );
        assert_eq!(Origins::parse(Some("")).allow(Some("")), None);
    }

    #[test]
    fn headers() {
        assert_eq!(cors_headers(None), vec![("vary", "Origin".to_string())]);
        let h = cors_headers(Some("https://a.example"));
        assert!(h.contains(&("access-control-allow-origin", "https://a.example".into())));
        assert!(h.contains(&("access-control-expose-headers", EXPOSE_HEADERS.into())));
        let p = preflight_headers(Some("https://a.example"), "POST");
        assert!(p.contains(&("access-control-allow-methods", "POST, OPTIONS".into())));
        assert!(p.contains(&("access-control-allow-headers", ALLOW_HEADERS.into())));
        let p = preflight_headers(None, "GET");
        assert!(!p.iter().any(|(n, _)| n.starts_with("access-control")));
        assert!(p.contains(&("allow", "GET, OPTIONS".into())));
    }

    #[test]
    fn which_routes_are_limited() {
        let is_rate_limited =
            |method: &str, path: &str| is_rate_limited(crate::routes::ROUTES, method, path);
        assert!(is_rate_limited("GET", "/api/cross-learning/niche-wisdom"));
        assert!(is_rate_limited(
            "GET",
            "/api/cross-learning/niche-wisdom/fitness"
        ));
        assert!(is_rate_limited("POST", "/api/normalize"));
        assert!(is_rate_limited("POST", "/api/ctr/score"));
        assert!(!is_rate_limited("OPTIONS", "/api/normalize"));
        assert!(!is_rate_limited("POST", "/api/normalizer"));
        assert!(!is_rate_limited("POST", "/api/accounts/a/records"));
        assert!(!is_rate_limited("GET", "/health"));
    }

    #[test]
    fn config_from_vars() {
        assert_eq!(RateConfig::from_vars(None, None), Ok(RateConfig::default()));
        assert_eq!(
            RateConfig::from_vars(Some("60"), Some("0")),
            Ok(RateConfig {
                per_min: 60,
                burst: 1
            })
        );
        let e = RateConfig::from_vars(Some("lots"), None).unwrap_err();
        assert_eq!(e.field(), Some(PER_MIN_VAR));
        let e = RateConfig::from_vars(None, Some("-1")).unwrap_err();
        assert_eq!(e.field(), Some(BURST_VAR));
    }

    #[test]
    fn token_bucket_limits_then_recovers() {
        // 120 per minute = one token per 500 ms; at most 3 at once.
        let config = RateConfig {
            per_min: 120,
            burst: 3,
        };
        let mut l = Limiter::new();
        for _ in 0..3 {
            assert!(l.check("a", 1_000, &config).is_ok());
        }
        let e = l.check("a", 1_000, &config).unwrap_err();
        assert_eq!(e, ApiError::RateLimited { retry_after_s: 1 });
        // Another client has its own bucket.
        assert!(l.check("b", 1_000, &config).is_ok());
        // 499 ms later: not yet; at 500 ms one token is back, and only one.
        assert!(l.check("a", 1_499, &config).is_err());
        assert!(l.check("a", 1_500, &config).is_ok());
        assert!(l.check("a", 1_500, &config).is_err());
        // A long pause refills to the burst, not beyond.
        for _ in 0..3 {
            assert!(l.check("a", 100_000, &config).is_ok());
        }
        assert!(l.check("a", 100_000, &config).is_err());
        // A slow refill gives a long Retry-After, rounded up to whole seconds.
        let slow = RateConfig {
            per_min: 1,
            burst: 1,
        };
        assert!(l.check("c", 0, &slow).is_ok());
        assert_eq!(
            l.check("c", 1, &slow),
            Err(ApiError::RateLimited { retry_after_s: 60 })
        );
        // Off: always accepted, nothing tracked.
        let off = RateConfig {
            per_min: 0,
            burst: 1,
        };
        let mut l = Limiter::new();
        for _ in 0..1000 {
            assert!(l.check("a", 0, &off).is_ok());
        }
        assert!(l.is_empty());
    }

    #[test]
    fn client_table_is_bounded() {
        let config = RateConfig {
            per_min: 60,
            burst: 2,
        };
        let mut l = Limiter::new();
        for i in 0..MAX_CLIENTS {
            l.check(&format!("c{i}"), 0, &config).unwrap();
        }
        assert_eq!(l.len(), MAX_CLIENTS);
        // All still active (not refilled): the table is cleared to make room.
        l.check("new", 0, &config).unwrap();
        assert_eq!(l.len(), 1);
        for i in 1..MAX_CLIENTS {
            l.check(&format!("c{i}"), 0, &config).unwrap();
        }
        assert_eq!(l.len(), MAX_CLIENTS);
        // 2 s later every bucket is full again: forgetting them changes nothing, so they go.
        l.check("late", 2_000, &config).unwrap();
        assert_eq!(l.len(), 1);
    }
}
