//! Route handlers: read the body, call the pure function in [`crate::api`], answer with JSON.
//!
//! The only logic here is moving bytes: the size-capped body read, JSON responses, the JSON
//! 404/405 fallback and the final touches every response gets ([`finish`]).

use crate::api;
use crate::auth::{self, Caller};
use crate::body::{check_declared_length, BodyBuffer, Next};
use crate::error::ApiError;
use crate::redis_routes;
use crate::service;
use crate::store::d1::D1Store;
use crate::store::kv::KvReleases;
use futures_util::StreamExt;
use serde::Serialize;
use worker::{console_error, Date, Request, Response, RouteContext};

/// The D1 binding's name (wrangler.toml `[[d1_databases]] binding`).
pub const D1_BINDING: &str = "DB";
/// The operator token's secret name (`.dev.vars` locally, `wrangler secret put` deployed).
pub const OPERATOR_SECRET: &str = "OPERATOR_TOKEN";

/// `GET /health`.
pub async fn health(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    Response::from_json(&api::health())
}

/// `GET /openapi.json`: the document generated from the handlers' types ([`crate::openapi`]).
pub async fn openapi(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let mut resp = Response::from_json(crate::openapi::document())?;
    resp.headers_mut()
        .set("cache-control", "public, max-age=300")?;
    Ok(resp)
}

/// `POST /api/normalize`.
pub async fn normalize(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    json_endpoint(req, api::normalize_body).await
}

/// `POST /api/features`.
pub async fn features(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    json_endpoint(req, api::features_body).await
}

/// `POST /api/ctr/score`.
pub async fn ctr_score(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    json_endpoint(req, api::score_body).await
}

/// `POST /api/accounts` (operator): create an account, answer its token once (201).
pub async fn create_account(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let generated = format!("acc_{}", auth::hex(&auth::random_bytes::<8>()?));
        let token = auth::new_token()?;
        service::create_account(&store, &caller, &body, &now(), generated, token).await
    }
    .await;
    private_json(result, 201)
}

/// `POST /api/accounts/{id}/records`: batch ingest.
pub async fn ingest(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let mut sync = None;
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx)?;
        let body = read_body(&mut req).await?;
        // Redis mode: outbox seq before the D1 write, Redis after it (docs/redis.md).
        let seq = redis_routes::before_change(&ctx.env, &store, &caller, &id).await?;
        let report = service::ingest(&store, &caller, &id, &body, &now()).await?;
        sync = Some(redis_routes::after_change(&ctx.env, &store, &id, seq).await);
        Ok(report)
    }
    .await;
    redis_routes::with_sync_header(private_json(result, 200), sync)
}

/// `PUT /api/accounts/{id}/consent`.
pub async fn consent(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let mut sync = None;
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx)?;
        let body = read_body(&mut req).await?;
        let seq = redis_routes::before_change(&ctx.env, &store, &caller, &id).await?;
        let answer = service::set_consent(&store, &caller, &id, &body, &now()).await?;
        sync = Some(redis_routes::after_change(&ctx.env, &store, &id, seq).await);
        Ok(answer)
    }
    .await;
    redis_routes::with_sync_header(private_json(result, 200), sync)
}

/// `GET /api/accounts/{id}/export`.
pub async fn export(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx)?;
        service::export(&store, &caller, &id, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `DELETE /api/accounts/{id}`: erasure.
pub async fn erase(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let mut sync = None;
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx)?;
        let seq = redis_routes::before_change(&ctx.env, &store, &caller, &id).await?;
        let answer = service::erase(&store, &caller, &id).await?;
        sync = Some(redis_routes::after_change(&ctx.env, &store, &id, seq).await);
        Ok(answer)
    }
    .await;
    redis_routes::with_sync_header(private_json(result, 200), sync)
}

/// A fresh cross-learning event id: `evt_` + 24 hex digits (96 random bits).
fn event_id() -> Result<String, ApiError> {
    Ok(format!("evt_{}", auth::hex(&auth::random_bytes::<12>()?)))
}

/// The D1 store and the authentication result, which is an error (401) without a valid token:
/// for routes where only part of the requests need one.
async fn connect_optional(
    req: &Request,
    ctx: &RouteContext<()>,
) -> Result<(D1Store, Result<Caller, ApiError>), ApiError> {
    let db = ctx.env.d1(D1_BINDING).map_err(|e| {
        console_error!("D1 binding {D1_BINDING} missing: {e}");
        ApiError::Internal
    })?;
    let store = D1Store::new(db);
    let operator = ctx.env.secret(OPERATOR_SECRET).map(|s| s.to_string()).ok();
    let header = req.headers().get("authorization").ok().flatten();
    let caller = auth::authenticate(&store, header.as_deref(), operator.as_deref()).await;
    Ok((store, caller))
}

/// `POST /api/cross-learning/detect-niche`: public for ad copy, the account's token for an
/// account.
pub async fn detect_niche(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let body = read_body(&mut req).await?;
        let (store, caller) = connect_optional(&req, &ctx).await?;
        let model = crate::models::niche_model()?;
        crate::crosslearning::detect_niche(&store, caller, model, &body, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/cross-learning/extract-insights` (account token).
pub async fn extract_insights(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let model = crate::models::niche_model()?;
        crate::crosslearning::extract_insights(&store, &caller, model, &body, &now(), event_id()?)
            .await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/cross-learning/apply-wisdom` (account token).
pub async fn apply_wisdom(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let kv = releases(&ctx)?;
        let model = crate::models::niche_model()?;
        crate::crosslearning::apply_wisdom(&store, &kv, &caller, model, &body, &now(), event_id()?)
            .await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/cross-learning/dashboard/{account_id}` (account token, own account only).
pub async fn dashboard(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = ctx.param("account_id").cloned().unwrap_or_default();
        let kv = releases(&ctx)?;
        let model = crate::models::niche_model()?;
        crate::crosslearning::account_dashboard(&store, &kv, &caller, model, &id, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/cross-learning/stats` (public): one KV read.
pub async fn stats(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async { crate::crosslearning::stats(&releases(&ctx)?, &now()).await }.await;
    match result {
        Ok(value) => Response::from_json(&value),
        Err(e) => error_response(&e),
    }
}

/// `GET /api/models/{name}`: an embedded model file, cacheable, with a strong ETag.
pub async fn model_file(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let name = ctx.param("name").cloned().unwrap_or_default();
    let if_none_match = req.headers().get("if-none-match").ok().flatten();
    let (mut resp, etag) = match crate::models::get_model(&name, if_none_match.as_deref()) {
        Ok(crate::models::ModelAnswer::File { etag, bytes }) => {
            let mut resp = Response::from_bytes(bytes.to_vec())?;
            resp.headers_mut()
                .set("content-type", "application/octet-stream")?;
            (resp, etag)
        }
        Ok(crate::models::ModelAnswer::NotModified { etag }) => {
            (Response::empty()?.with_status(304), etag)
        }
        Err(e) => return error_response(&e),
    };
    resp.headers_mut().set("etag", &etag)?;
    resp.headers_mut()
        .set("cache-control", crate::models::CACHE_CONTROL)?;
    Ok(resp)
}

/// `POST /api/admin/publish` (operator): the cron's publication, now or at `at_ms`.
pub async fn admin_publish(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let kv = releases(&ctx)?;
        let raw = ctx
            .env
            .var(crate::publish::RELEASE_CONFIG_VAR)
            .map(|v| v.to_string())
            .ok();
        let config = crate::publish::release_config(raw.as_deref()).map_err(|e| {
            console_error!("{}: {e}", crate::publish::RELEASE_CONFIG_VAR);
            ApiError::Internal
        })?;
        let seed = u64::from_le_bytes(auth::random_bytes::<8>()?);
        let at_ms = crate::publish::publish_time(&caller, &body, Date::now().as_millis())?;
        // The cron's exact run: Redis aggregates when configured and consistent, D1's otherwise.
        redis_routes::publish_run(&ctx.env, &store, &kv, at_ms, &config, seed)
            .await
            .map(|(report, _source)| report)
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/admin/faults` (operator, dev only): set or report this isolate's D1 write fault
/// ([`crate::store::faults`]); 403 unless the `FAULT_INJECTION` var is `on` and `ENVIRONMENT` is
/// not `production`.
pub async fn admin_faults(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    use crate::store::faults;
    let result = async {
        let (_store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let var = |name: &str| ctx.env.var(name).map(|v| v.to_string()).ok();
        let allowed = faults::injection_allowed(
            var(faults::SWITCH_VAR).as_deref(),
            var(faults::ENVIRONMENT_VAR).as_deref(),
        );
        let state = faults::apply(&caller, allowed, &body)?;
        console_error!("fault injection: D1 writes {}", state.d1_writes);
        Ok(state)
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/admin/runtime` (operator): this isolate's wasm linear memory and rate-limiter size
/// ([`crate::runtime`]).
pub async fn runtime(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (_store, caller) = connect(&req, &ctx).await?;
        auth::require_operator(&caller)?;
        Ok(crate::runtime::snapshot())
    }
    .await;
    private_json(result, 200)
}

/// The KV binding with the published releases.
pub const KV_BINDING: &str = "RELEASES";

/// The cron handler: one publication at the event's scheduled time (`scheduled_ms`), with the
/// release config of the `RELEASE_CONFIG` var (default: the core's) and a fresh noise seed.
/// Failures are logged (a cron has no client to answer); the next run retries.
pub async fn scheduled(env: &worker::Env, scheduled_ms: u64) {
    let run = async {
        let db = env.d1(D1_BINDING).map_err(|e| format!("D1 binding: {e}"))?;
        let kv = env.kv(KV_BINDING).map_err(|e| format!("KV binding: {e}"))?;
        let seed = u64::from_le_bytes(auth::random_bytes::<8>().map_err(|e| e.to_string())?);
        let raw = env
            .var(crate::publish::RELEASE_CONFIG_VAR)
            .map(|v| v.to_string())
            .ok();
        let config = crate::publish::release_config(raw.as_deref()).map_err(|e| e.to_string())?;
        // Redis aggregates when Redis is configured and consistent, D1's otherwise.
        redis_routes::publish_run(
            env,
            &D1Store::new(db),
            &KvReleases::new(kv),
            scheduled_ms,
            &config,
            seed,
        )
        .await
        .map_err(|e| match e {
            ApiError::Storage(cause) => cause,
            ApiError::StorageWrite { what, cause } => format!("writing {what}: {cause}"),
            other => other.to_string(),
        })
    };
    match run.await {
        Ok((report, source)) => worker::console_log!(
            "publication: {} aggregates: {}",
            serde_json::to_string(&report).unwrap_or_default(),
            serde_json::to_string(&source).unwrap_or_default()
        ),
        Err(e) => console_error!("publication failed: {e}"),
    }
}

/// `GET /api/cross-learning/niche-wisdom/{niche}` (public): one KV read.
pub async fn niche_wisdom(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let kv = releases(&ctx)?;
        let niche = ctx.param("niche").cloned().unwrap_or_default();
        // The raw URL string: parsing it with the `url` crate would add ~80 KiB gzip (IDNA
        // tables) to the bundle for one boolean flag.
        let url = req.inner().url();
        let force = crate::wisdom::query_param(&url, "force_refresh");
        crate::wisdom::niche_wisdom(&kv, &niche, force).await
    }
    .await;
    match result {
        Ok(value) => Response::from_json(&value),
        Err(e) => error_response(&e),
    }
}

/// `GET /api/cross-learning/niche-wisdom` (public): every published niche, one KV read.
pub async fn all_wisdom(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async { crate::wisdom::all_wisdom(&releases(&ctx)?).await }.await;
    match result {
        Ok(value) => Response::from_json(&value),
        Err(e) => error_response(&e),
    }
}

fn releases(ctx: &RouteContext<()>) -> Result<KvReleases, ApiError> {
    ctx.env.kv(KV_BINDING).map(KvReleases::new).map_err(|e| {
        console_error!("KV binding {KV_BINDING} missing: {e}");
        ApiError::Internal
    })
}

/// The D1 store and the authenticated caller.
async fn connect(req: &Request, ctx: &RouteContext<()>) -> Result<(D1Store, Caller), ApiError> {
    let db = ctx.env.d1(D1_BINDING).map_err(|e| {
        console_error!("D1 binding {D1_BINDING} missing: {e}");
        ApiError::Internal
    })?;
    let store = D1Store::new(db);
    // A secret (deployed, .dev.vars) or a plain var (`--var`, tests): both are strings.
    let operator = ctx.env.secret(OPERATOR_SECRET).map(|s| s.to_string()).ok();
    let header = req.headers().get("authorization").ok().flatten();
    let caller = auth::authenticate(&store, header.as_deref(), operator.as_deref()).await?;
    Ok((store, caller))
}

/// The `{id}` path segment.
fn account_param(ctx: &RouteContext<()>) -> Result<String, ApiError> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    service::check_account_id("id", &id)?;
    Ok(id)
}

/// Now, as UTC ISO 8601.
fn now() -> String {
    service::iso_utc(Date::now().as_millis())
}

/// A JSON answer about one account: `status` on success, never cached (tokens, personal data).
fn private_json<T: Serialize>(
    result: Result<T, ApiError>,
    status: u16,
) -> worker::Result<Response> {
    let mut resp = match result {
        Ok(value) => Response::from_json(&value)?.with_status(status),
        Err(e) => error_response(&e)?,
    };
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// Any path or method without a handler: 405 (with `Allow`) for a known path, else 404.
pub fn fallback(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let path = req.path();
    error_response(&match allowed_methods(&path) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound { path },
    })
}

/// The methods `path` answers to, from [`crate::ROUTES`] (`:name` matches one segment).
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    crate::ROUTES
        .iter()
        .find(|(pattern, _)| matches(pattern, path))
        .map(|(_, allow)| *allow)
}

/// `path` fits `pattern`, where a `:name` segment matches any one non-empty segment.
fn matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with(':') && !b.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

async fn json_endpoint<T: Serialize>(
    mut req: Request,
    call: fn(&[u8]) -> Result<T, ApiError>,
) -> worker::Result<Response> {
    match read_body(&mut req).await.and_then(|body| call(&body)) {
        Ok(value) => Response::from_json(&value),
        Err(e) => error_response(&e),
    }
}

/// The request body, or 413 once it is known to pass the limit (see [`crate::body`]).
async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    check_declared_length(declared.as_deref())?;
    // A request without a body has no stream: that is an empty body (reported as malformed).
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut buffer = BodyBuffer::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            console_error!("reading the request body failed: {e}");
            ApiError::Internal
        })?;
        if buffer.push(&chunk) == Next::Stop {
            break;
        }
    }
    buffer.finish()
}

/// The JSON error response for `e`.
pub fn error_response(e: &ApiError) -> worker::Result<Response> {
    if let ApiError::Storage(cause) = e {
        console_error!("storage failed: {cause}");
    }
    if let ApiError::StorageWrite { what, cause } = e {
        console_error!("storage write of {what} failed: {cause}");
    }
    if let ApiError::ReleaseUnreadable { niche, cause } = e {
        console_error!("published release unreadable ({niche:?}): {cause}");
    }
    let mut resp = Response::from_json(&e.body())?.with_status(e.status());
    if let ApiError::MethodNotAllowed { allow } = e {
        resp.headers_mut().set("allow", allow)?;
    }
    if let ApiError::RateLimited { retry_after_s } = e {
        resp.headers_mut()
            .set("retry-after", &retry_after_s.to_string())?;
    }
    Ok(resp)
}

/// What every response gets on its way out: a handler that failed inside the runtime becomes a
/// logged, generic 500 (its text is never sent), and `Server-Timing: handler;dur=<ms>` is added.
///
/// The duration is wall-clock milliseconds since `started_ms`. Workers advance the clock only
/// across I/O, so a CPU-only request reports 0.
pub fn finish(result: worker::Result<Response>, started_ms: u64) -> worker::Result<Response> {
    let mut resp = match result {
        Ok(resp) => resp,
        Err(e) => {
            console_error!("handler failed: {e}");
            error_response(&ApiError::Internal)?
        }
    };
    let elapsed = Date::now().as_millis().saturating_sub(started_ms);
    // Best effort: a response with immutable headers keeps its own.
    let _ = resp
        .headers_mut()
        .set("server-timing", &format!("handler;dur={elapsed}"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_methods_follow_the_route_table() {
        assert_eq!(allowed_methods("/health"), Some("GET"));
        assert_eq!(allowed_methods("/api/normalize"), Some("POST"));
        assert_eq!(allowed_methods("/api/features"), Some("POST"));
        assert_eq!(allowed_methods("/api/ctr/score"), Some("POST"));
        assert_eq!(allowed_methods("/api/nope"), None);
        assert_eq!(allowed_methods("/api/accounts"), Some("POST"));
        assert_eq!(allowed_methods("/api/accounts/a1"), Some("DELETE"));
        assert_eq!(allowed_methods("/api/accounts/a1/records"), Some("POST"));
        assert_eq!(allowed_methods("/api/accounts/a1/consent"), Some("PUT"));
        assert_eq!(allowed_methods("/api/accounts/a1/export"), Some("GET"));
        assert_eq!(allowed_methods("/api/accounts//export"), None);
        assert_eq!(allowed_methods("/api/accounts/a1/other"), None);
        let wisdom = "/api/cross-learning/niche-wisdom";
        assert_eq!(allowed_methods(wisdom), Some("GET"));
        assert_eq!(allowed_methods(&format!("{wisdom}/fitness")), Some("GET"));
        assert_eq!(allowed_methods("/"), None);
        let cl = "/api/cross-learning";
        assert_eq!(allowed_methods(&format!("{cl}/detect-niche")), Some("POST"));
        assert_eq!(
            allowed_methods(&format!("{cl}/extract-insights")),
            Some("POST")
        );
        assert_eq!(allowed_methods(&format!("{cl}/apply-wisdom")), Some("POST"));
        assert_eq!(allowed_methods(&format!("{cl}/dashboard/a1")), Some("GET"));
        assert_eq!(allowed_methods(&format!("{cl}/dashboard/")), None);
        assert_eq!(allowed_methods(&format!("{cl}/stats")), Some("GET"));
        assert_eq!(allowed_methods("/api/models/niche-v1.bin"), Some("GET"));
        assert_eq!(allowed_methods("/api/score"), Some("POST"));
    }
}
