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
//! Every limit is a token bucket: `<VAR>` tokens per minute (`0` turns that limit off), holding at
//! most `<BURST VAR>` tokens. A request without a token gets 429 `rate_limited` with
//! `Retry-After` (whole seconds until a token) and a message naming the limit's var. The class of
//! a route is a column of the route table ([`Limit`](crate::http::table::Limit)):
//!
//! | class | key | vars (default) |
//! |---|---|---|
//! | public (`PerClient`: wisdom reads, stats, normalize, features, scores, detect-niche) | client | `RATE_LIMIT_PER_MIN` (600), `RATE_LIMIT_BURST` (120) |
//! | authenticated (`PerAccount`: account and operator routes), first | client | `AUTH_RATE_LIMIT_PER_MIN` (1200), `AUTH_RATE_LIMIT_BURST` (300) |
//! | authenticated, then | bearer token (one account) | `ACCOUNT_RATE_LIMIT_PER_MIN` (300), `ACCOUNT_RATE_LIMIT_BURST` (100) |
//!
//! Both authenticated buckets are taken **before** the token is looked up in D1, so requests
//! with made-up tokens cost no D1 read beyond the client's bucket. The per-token bucket is keyed
//! by the token's digest, never the token; the operator token has no per-token bucket (it is
//! still under its client's bucket).
//!
//! The client is `CF-Connecting-IP` (Cloudflare sets it; clients cannot override it; requests
//! without it share one bucket), bucketed by [`client_key`]: an IPv4 address as is, an IPv6
//! address by its /64 network (one subscriber usually holds a whole /64, so rotating addresses
//! inside it gains nothing).
//!
//! The table holds at most [`MAX_CLIENTS`] keys per isolate. When it is full, buckets that have
//! refilled completely are forgotten (that changes nothing); if none has, a new key shares one
//! overflow bucket per class instead of getting its own, so a flood of new keys can never wipe
//! the buckets of the clients already tracked.
//!
//! Scope, honestly: these buckets live in the isolate's memory. Cloudflare runs many isolates,
//! each with its own buckets, so the in-isolate limit holds per isolate. Where the deployment
//! has the Workers rate-limiting bindings (`[[env.production.ratelimits]]` in wrangler.toml:
//! [`PUBLIC_BINDING`], [`AUTH_BINDING`], [`ACCOUNT_BINDING`]; workers-rs 0.8's
//! `Env::rate_limiter`), each class asks its binding first, which counts across isolates within
//! a Cloudflare location; the in-isolate bucket is the fallback when the binding is absent (local
//! `wrangler dev`, tests) or its call fails. A binding's refusal answers `Retry-After:`
//! [`BINDING_PERIOD_S`] (its window).

use crate::error::ApiError;
use crate::http::respond::error_response;
use crate::http::table::{allowed_methods, is_off, limit_of, router, unrouted, Limit, Route};
use crate::service::auth::{bearer, token_hash};
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
/// The var with the per-minute refill of the authenticated routes' per-client buckets.
pub const AUTH_PER_MIN_VAR: &str = "AUTH_RATE_LIMIT_PER_MIN";
/// The var with their bucket size.
pub const AUTH_BURST_VAR: &str = "AUTH_RATE_LIMIT_BURST";
/// Default of [`AUTH_PER_MIN_VAR`].
pub const DEFAULT_AUTH_PER_MIN: u32 = 1_200;
/// Default of [`AUTH_BURST_VAR`].
pub const DEFAULT_AUTH_BURST: u32 = 300;
/// The var with the per-minute refill of the per-token (per-account) buckets.
pub const ACCOUNT_PER_MIN_VAR: &str = "ACCOUNT_RATE_LIMIT_PER_MIN";
/// The var with their bucket size.
pub const ACCOUNT_BURST_VAR: &str = "ACCOUNT_RATE_LIMIT_BURST";
/// Default of [`ACCOUNT_PER_MIN_VAR`].
pub const DEFAULT_ACCOUNT_PER_MIN: u32 = 300;
/// Default of [`ACCOUNT_BURST_VAR`].
pub const DEFAULT_ACCOUNT_BURST: u32 = 100;
/// The rate-limiting binding of the public class (production).
pub const PUBLIC_BINDING: &str = "PUBLIC_LIMITER";
/// The rate-limiting binding of the authenticated per-client class (production).
pub const AUTH_BINDING: &str = "AUTH_LIMITER";
/// The rate-limiting binding of the per-token class (production).
pub const ACCOUNT_BINDING: &str = "ACCOUNT_LIMITER";
/// The window of the bindings (`simple.period` in wrangler.toml), answered as `Retry-After`.
pub const BINDING_PERIOD_S: u64 = 10;
/// Most keys tracked per isolate; past it, refilled buckets are dropped, and new keys share
/// an overflow bucket per class rather than evicting active ones.
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

/// One rate limit's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateConfig {
    /// Tokens added per minute (0: no limit).
    pub per_min: u32,
    /// Bucket size: the most requests accepted at once after a quiet spell.
    pub burst: u32,
    /// The var that sets it (named in the 429).
    pub name: &'static str,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            per_min: DEFAULT_PER_MIN,
            burst: DEFAULT_BURST,
            name: PER_MIN_VAR,
        }
    }
}

/// The three limits: public per client, authenticated per client, per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Public routes, per client.
    pub public: RateConfig,
    /// Authenticated routes, per client (before the token lookup).
    pub auth: RateConfig,
    /// Authenticated routes, per token (one account).
    pub account: RateConfig,
}

impl Limits {
    /// From the vars (`var(name)` = the value, if set). A bad value is logged by the caller
    /// (the error names the var) and that limit takes its default.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> (Limits, Vec<ApiError>) {
        let mut errors = Vec::new();
        let mut one = |per_min: &'static str, burst: &'static str, d: (u32, u32)| {
            RateConfig::named(
                per_min,
                burst,
                var(per_min).as_deref(),
                var(burst).as_deref(),
                d,
            )
            .unwrap_or_else(|e| {
                errors.push(e);
                RateConfig {
                    per_min: d.0,
                    burst: d.1,
                    name: per_min,
                }
            })
        };
        let limits = Limits {
            public: one(PER_MIN_VAR, BURST_VAR, (DEFAULT_PER_MIN, DEFAULT_BURST)),
            auth: one(
                AUTH_PER_MIN_VAR,
                AUTH_BURST_VAR,
                (DEFAULT_AUTH_PER_MIN, DEFAULT_AUTH_BURST),
            ),
            account: one(
                ACCOUNT_PER_MIN_VAR,
                ACCOUNT_BURST_VAR,
                (DEFAULT_ACCOUNT_PER_MIN, DEFAULT_ACCOUNT_BURST),
            ),
        };
        (limits, errors)
    }
}

impl RateConfig {
    /// The public limit from its vars' values. An unset var takes its default; a value that
    /// is not a whole number is an error naming the var (the caller logs it and uses the
    /// default, since a config mistake must not take the API down). A burst of 0 means 1.
    pub fn from_vars(per_min: Option<&str>, burst: Option<&str>) -> Result<RateConfig, ApiError> {
        Self::named(
            PER_MIN_VAR,
            BURST_VAR,
            per_min,
            burst,
            (DEFAULT_PER_MIN, DEFAULT_BURST),
        )
    }

    /// A limit set by the vars `per_min_var` and `burst_var` (their values given), with
    /// `defaults` = (per minute, burst).
    pub fn named(
        per_min_var: &'static str,
        burst_var: &'static str,
        per_min: Option<&str>,
        burst: Option<&str>,
        defaults: (u32, u32),
    ) -> Result<RateConfig, ApiError> {
        let parse = |name: &str, v: Option<&str>, default: u32| match v {
            None => Ok(default),
            Some(v) => v.trim().parse::<u32>().map_err(|_| ApiError::Invalid {
                code: "invalid_value",
                field: Some(name.to_string()),
                message: format!("{name} must be a whole number >= 0, got {v:?}"),
            }),
        };
        Ok(RateConfig {
            per_min: parse(per_min_var, per_min, defaults.0)?,
            burst: parse(burst_var, burst, defaults.1)?.max(1),
            name: per_min_var,
        })
    }
}

/// The bucket key of a client address: an IPv4 address as is (an IPv4-mapped IPv6 address as
/// its IPv4), an IPv6 address as its /64 network, anything else (absent, unparsable) as given,
/// cut to 64 bytes.
pub fn client_key(ip: &str) -> String {
    let ip = ip.trim();
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => ip.chars().take(64).collect(),
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
    /// Refill per ms and size, so that eviction judges each bucket by its own limit.
    per_ms: f64,
    burst: f64,
}

impl Bucket {
    fn full_at(&self, now_ms: u64) -> bool {
        self.tokens + now_ms.saturating_sub(self.at_ms) as f64 * self.per_ms >= self.burst
    }
}

/// Token buckets by key.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: HashMap<String, Bucket>,
}

impl Limiter {
    /// No clients seen yet.
    pub fn new() -> Self {
        Limiter::default()
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// No key tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Take one token for `key` at `now_ms`, or say how many whole seconds until one is there
    /// (the error names `config`'s var).
    pub fn check(&mut self, key: &str, now_ms: u64, config: &RateConfig) -> Result<(), ApiError> {
        if config.per_min == 0 {
            return Ok(());
        }
        let per_ms = f64::from(config.per_min) / 60_000.0;
        let burst = f64::from(config.burst);
        let mut key = key;
        let overflow;
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_CLIENTS {
            self.evict(now_ms);
            if self.buckets.len() >= MAX_CLIENTS {
                // Every tracked client is active: the newcomer shares the class's overflow
                // bucket rather than evicting anyone.
                overflow = format!("~overflow:{}", config.name);
                key = &overflow;
            }
        }
        let bucket = self.buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: burst,
            at_ms: now_ms,
            per_ms,
            burst,
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
                limit: config.name,
            })
        }
    }

    /// Make room: drop the buckets that are full again (forgetting them changes nothing).
    fn evict(&mut self, now_ms: u64) {
        self.buckets.retain(|_, b| !b.full_at(now_ms));
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

/// The bucket keys and limits a request of `class` must pass, in order (pure: the vars, the
/// client address, the `Authorization` header and the operator token given).
pub fn buckets(
    class: Limit,
    limits: &Limits,
    ip: &str,
    authorization: Option<&str>,
    operator_token: Option<&str>,
) -> Vec<(String, RateConfig, &'static str)> {
    let client = client_key(ip);
    match class {
        Limit::None => Vec::new(),
        Limit::PerClient => vec![(format!("p:{client}"), limits.public, PUBLIC_BINDING)],
        Limit::PerAccount => {
            let mut out = vec![(format!("a:{client}"), limits.auth, AUTH_BINDING)];
            if let Ok(token) = bearer(authorization) {
                let hash = token_hash(token);
                let operator = operator_token
                    .filter(|op| !op.is_empty())
                    .is_some_and(|op| token_hash(op) == hash);
                if !operator {
                    out.push((
                        format!("t:{}", &hash[..32]),
                        limits.account,
                        ACCOUNT_BINDING,
                    ));
                }
            }
            out
        }
    }
}

/// Take a token from every bucket of the request's class: the platform's rate-limiting
/// binding when the deployment has it, this isolate's buckets otherwise.
async fn admit(req: &Request, env: &Env, class: Limit) -> Result<(), ApiError> {
    let (limits, errors) = Limits::from_vars(|name| var(env, name));
    for e in errors {
        worker::console_error!("{e}; using that limit's default");
    }
    let header = |name: &str| req.headers().get(name).ok().flatten();
    // The operator secret read directly (the adapters sit above the edge in the module graph).
    let operator = env.secret("OPERATOR_TOKEN").map(|s| s.to_string()).ok();
    let now = Date::now().as_millis();
    for (key, config, binding) in buckets(
        class,
        &limits,
        &header("cf-connecting-ip").unwrap_or_default(),
        header("authorization").as_deref(),
        operator.as_deref(),
    ) {
        if config.per_min == 0 {
            continue;
        }
        let by_binding = match env.rate_limiter(binding) {
            Ok(limiter) => match limiter.limit(key.clone()).await {
                Ok(outcome) => Some(outcome.success),
                Err(e) => {
                    worker::console_error!("rate-limit binding {binding} failed: {e}");
                    None
                }
            },
            Err(_) => None,
        };
        match by_binding {
            Some(true) => {}
            Some(false) => {
                return Err(ApiError::RateLimited {
                    retry_after_s: BINDING_PERIOD_S,
                    limit: config.name,
                })
            }
            None => LIMITER.with(|l| l.borrow_mut().check(&key, now, &config))?,
        }
    }
    Ok(())
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
    let environment = var(&env, "ENVIRONMENT");
    let mut resp = if !is_routable_method(&req.inner().method()) {
        error_response(&unrouted(table, path.clone()))?
    } else if is_off(table, &method, &path, environment.as_deref()) {
        // Development aids do not exist in production.
        error_response(&ApiError::NotFound { path: path.clone() })?
    } else {
        match limit_of(table, &method, &path) {
            Limit::None => route(req, env, table).await?,
            class => match admit(&req, &env, class).await {
                Ok(()) => route(req, env, table).await?,
                Err(e) => error_response(&e)?,
            },
        }
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
    use crate::http::table::Auth;

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
        let limit = |method: &str, path: &str| limit_of(crate::routes::ROUTES, method, path);
        for (method, path) in [
            ("GET", "/api/cross-learning/niche-wisdom"),
            ("GET", "/api/cross-learning/niche-wisdom/fitness"),
            ("POST", "/api/normalize"),
            ("POST", "/api/ctr/score"),
            ("POST", "/api/cross-learning/detect-niche"),
        ] {
            assert_eq!(limit(method, path), Limit::PerClient, "{method} {path}");
        }
        // Every account and operator route is limited before its token is looked up.
        for (method, path) in [
            ("POST", "/api/accounts"),
            ("POST", "/api/accounts/a/records"),
            ("PUT", "/api/accounts/a/consent"),
            ("GET", "/api/accounts/a/export"),
            ("DELETE", "/api/accounts/a"),
            ("POST", "/api/accounts/a/token"),
            ("GET", "/api/accounts/a/privacy"),
            ("POST", "/api/cross-learning/apply-wisdom"),
            ("GET", "/api/cross-learning/dashboard/a"),
            ("POST", "/api/admin/publish"),
            ("GET", "/api/admin/redis/health"),
        ] {
            assert_eq!(limit(method, path), Limit::PerAccount, "{method} {path}");
        }
        for r in crate::routes::ROUTES {
            if matches!(r.auth, Auth::Account | Auth::Operator) {
                assert_eq!(r.limit, Limit::PerAccount, "{}", r.path);
            }
        }
        assert_eq!(limit("OPTIONS", "/api/normalize"), Limit::None);
        assert_eq!(limit("POST", "/api/normalizer"), Limit::None);
        assert_eq!(limit("GET", "/health"), Limit::None);
    }

    #[test]
    fn config_from_vars() {
        assert_eq!(RateConfig::from_vars(None, None), Ok(RateConfig::default()));
        assert_eq!(
            RateConfig::from_vars(Some("60"), Some("0")),
            Ok(RateConfig {
                per_min: 60,
                burst: 1,
                name: PER_MIN_VAR,
            })
        );
        let e = RateConfig::from_vars(Some("lots"), None).unwrap_err();
        assert_eq!(e.field(), Some(PER_MIN_VAR));
        let e = RateConfig::from_vars(None, Some("-1")).unwrap_err();
        assert_eq!(e.field(), Some(BURST_VAR));
        let (limits, errors) = Limits::from_vars(|name| match name {
            ACCOUNT_PER_MIN_VAR => Some("30".into()),
            AUTH_BURST_VAR => Some("x".into()),
            _ => None,
        });
        assert_eq!(limits.account.per_min, 30);
        assert_eq!(limits.account.burst, DEFAULT_ACCOUNT_BURST);
        assert_eq!(limits.auth.burst, DEFAULT_AUTH_BURST);
        assert_eq!(limits.public, RateConfig::default());
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field(), Some(AUTH_BURST_VAR));
    }

    fn cfg(per_min: u32, burst: u32) -> RateConfig {
        RateConfig {
            per_min,
            burst,
            name: PER_MIN_VAR,
        }
    }

    #[test]
    fn token_bucket_limits_then_recovers() {
        // 120 per minute = one token per 500 ms; at most 3 at once.
        let config = cfg(120, 3);
        let mut l = Limiter::new();
        for _ in 0..3 {
            assert!(l.check("a", 1_000, &config).is_ok());
        }
        let e = l.check("a", 1_000, &config).unwrap_err();
        assert_eq!(
            e,
            ApiError::RateLimited {
                retry_after_s: 1,
                limit: PER_MIN_VAR
            }
        );
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
        let slow = cfg(1, 1);
        assert!(l.check("c", 0, &slow).is_ok());
        assert_eq!(
            l.check("c", 1, &slow),
            Err(ApiError::RateLimited {
                retry_after_s: 60,
                limit: PER_MIN_VAR
            })
        );
        // Off: always accepted, nothing tracked.
        let off = cfg(0, 1);
        let mut l = Limiter::new();
        for _ in 0..1000 {
            assert!(l.check("a", 0, &off).is_ok());
        }
        assert!(l.is_empty());
    }

    /// New keys cannot flush the buckets of the clients already tracked: when every tracked
    /// client is active, newcomers share one overflow bucket.
    #[test]
    fn new_keys_cannot_flush_the_table() {
        let config = cfg(60, 2);
        let mut l = Limiter::new();
        // A noisy client spends its burst.
        l.check("noisy", 0, &config).unwrap();
        l.check("noisy", 0, &config).unwrap();
        assert!(l.check("noisy", 0, &config).is_err());
        for i in 1..MAX_CLIENTS {
            l.check(&format!("c{i}"), 0, &config).unwrap();
        }
        assert_eq!(l.len(), MAX_CLIENTS);
        // 10,000 fresh keys later, the noisy client is still limited.
        for i in 0..MAX_CLIENTS {
            let _ = l.check(&format!("new{i}"), 0, &config);
        }
        assert!(l.check("noisy", 0, &config).is_err());
        // The newcomers shared one bucket of 2 tokens.
        assert!(l.len() <= MAX_CLIENTS + 1);
        // 2 s later every bucket is full again: forgetting them changes nothing, so they go.
        l.check("late", 2_000, &config).unwrap();
        assert_eq!(l.len(), 1);
    }

    /// The production environment of wrangler.toml keeps every development-only route off.
    #[test]
    fn production_keeps_every_dev_only_route_off() {
        let toml = include_str!("../../../wrangler.toml");
        let section = toml
            .split("\n[")
            .find(|s| s.starts_with("env.production.vars]"))
            .expect("wrangler.toml has [env.production.vars]");
        let environment = section
            .lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == "ENVIRONMENT")
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .expect("production sets ENVIRONMENT");
        assert!(!section
            .lines()
            .any(|l| l.split('=').next().unwrap_or("").trim() == "FAULT_INJECTION"));
        let table = crate::routes::ROUTES;
        let dev: Vec<_> = table.iter().filter(|r| r.dev_only).collect();
        assert!(dev.iter().any(|r| r.path == crate::routes::ADMIN_FAULTS));
        for r in dev {
            let path = r.path.replace(':', "x");
            assert!(
                is_off(table, r.method.as_str(), &path, Some(&environment)),
                "{}",
                r.path
            );
            assert!(!is_off(table, r.method.as_str(), &path, None), "{}", r.path);
        }
        for r in table.iter().filter(|r| !r.dev_only) {
            let path = r.path.replace(':', "x");
            assert!(
                !is_off(table, r.method.as_str(), &path, Some(&environment)),
                "{}",
                r.path
            );
        }
    }

    #[test]
    fn ipv6_clients_are_bucketed_by_64() {
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(client_key("::ffff:203.0.113.7"), "203.0.113.7");
        let a = client_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(client_key("2001:0db8:0001:0002::1"), a);
        assert_ne!(client_key("2001:db8:1:3::1"), a);
        assert_eq!(client_key(""), "");
        assert_eq!(client_key(&"x".repeat(500)).len(), 64);
        // Rotating addresses inside one /64 gains nothing.
        let config = cfg(60, 1);
        let mut l = Limiter::new();
        l.check(&client_key("2001:db8:1:2::1"), 0, &config).unwrap();
        assert!(l.check(&client_key("2001:db8:1:2::2"), 0, &config).is_err());
    }

    #[test]
    fn authenticated_requests_pass_a_client_and_a_token_bucket() {
        let (limits, _) = Limits::from_vars(|_| None);
        let keys = |class, auth: Option<&str>| -> Vec<(String, &'static str)> {
            buckets(class, &limits, "2001:db8::9", auth, Some("op-secret"))
                .into_iter()
                .map(|(k, c, _)| (k, c.name))
                .collect()
        };
        assert!(keys(Limit::None, None).is_empty());
        assert_eq!(
            keys(Limit::PerClient, Some("Bearer x")),
            vec![("p:2001:db8:0:0::/64".to_string(), PER_MIN_VAR)]
        );
        // No or a malformed token: the client's bucket only.
        assert_eq!(
            keys(Limit::PerAccount, None),
            vec![("a:2001:db8:0:0::/64".to_string(), AUTH_PER_MIN_VAR)]
        );
        let with_token = keys(Limit::PerAccount, Some("Bearer clt_abc"));
        assert_eq!(with_token.len(), 2);
        assert_eq!(with_token[1].1, ACCOUNT_PER_MIN_VAR);
        // Keyed by the token's digest, never the token.
        assert!(!with_token[1].0.contains("clt_abc"));
        assert_eq!(
            with_token[1].0,
            format!("t:{}", &token_hash("clt_abc")[..32])
        );
        // The operator token has no per-token bucket.
        assert_eq!(keys(Limit::PerAccount, Some("Bearer op-secret")).len(), 1);

        // One account hammering spends its own bucket only; another account is unaffected.
        let mut l = Limiter::new();
        let limits = Limits {
            account: RateConfig {
                per_min: 60,
                burst: 5,
                name: ACCOUNT_PER_MIN_VAR,
            },
            ..limits
        };
        let mut pass = |token: &str, ip: &str| {
            let auth = format!("Bearer {token}");
            buckets(Limit::PerAccount, &limits, ip, Some(&auth), None)
                .into_iter()
                .try_for_each(|(k, c, _)| l.check(&k, 0, &c))
        };
        for _ in 0..5 {
            pass("clt_noisy", "198.51.100.1").unwrap();
        }
        let e = pass("clt_noisy", "198.51.100.2").unwrap_err();
        assert_eq!(
            (
                e.status(),
                e.body().error.message.contains(ACCOUNT_PER_MIN_VAR)
            ),
            (429, true)
        );
        pass("clt_quiet", "198.51.100.1").unwrap();
    }
}
