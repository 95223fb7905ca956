//! # crosslearn-worker
//!
//! The crosslearn edge API as a Cloudflare Worker. This file is the route table; the handlers
//! live in [`handlers`], the pure request -> core -> response functions in [`api`], body parsing in
//! [`json`] and [`body`], and the error type with its status mapping in [`error`].
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/health` | `{"status": "ok", "version"}` |
//! | GET | `/openapi.json` | the OpenAPI 3.1 document ([`openapi`]) |
//! | POST | `/api/normalize` | `{"metrics": PlatformMetrics \| [PlatformMetrics], "mode"?}` -> normalized metrics (or a list) |
//! | POST | `/api/features` | `{"platform_data": [...], "creative_dna"?, "mode"?}` -> insight, unified features, the 19-feature vector and its names |
//! | POST | `/api/accounts` | operator: `{"account_id"?}` -> 201 `{account_id, token, created_at, consent}` (token shown once) |
//! | POST | `/api/accounts/{id}/records` | `{"records": [...]}` (at most 500) -> per-record stored / already_stored / rejected report |
//! | PUT | `/api/accounts/{id}/consent` | `{"opted_in": bool}` -> the consent (opt-in; default off) |
//! | GET | `/api/accounts/{id}/export` | everything stored about the account |
//! | DELETE | `/api/accounts/{id}` | erasure of the account and all its data |
//! | GET | `/api/cross-learning/niche-wisdom/{niche}` | `?force_refresh` -> `{success: true, niche, wisdom}` or `{success: false, message, niche}` (no token) |
//! | GET | `/api/cross-learning/niche-wisdom` | `{niches: [published releases]}` (no token) |
//! | POST | `/api/cross-learning/detect-niche` | `{"text"}` \| `{"texts"}` (public) or `{"account_id"}` (its token) -> niche, confidence, alternatives |
//! | POST | `/api/cross-learning/extract-insights` | `{"account_id"}` (its token) -> the account's insight, stored in D1 |
//! | POST | `/api/cross-learning/apply-wisdom` | `{"account_id", "auto_apply"?, "niche"?, "force_refresh"?}` (its token) -> recommendations citing the latest published release |
//! | GET | `/api/cross-learning/dashboard/{account_id}` | (its token) the account against its niche's release |
//! | GET | `/api/cross-learning/stats` | public: published niches, release ids and periods, noisy counts |
//! | GET | `/api/models/{name}` | an embedded model file (`application/octet-stream`, ETag, cacheable) |
//! | POST | `/api/score` | alias of `/api/ctr/score` |
//! | POST | `/api/admin/publish` | operator: `{"at_ms"?}` -> the cron's publication run now (or dated `at_ms`), its report |
//! | POST | `/api/admin/faults` | operator, dev only (`FAULT_INJECTION=on`): `{"d1_writes"?: "off" \| "all" \| "after:N"}` -> this isolate's D1 write fault ([`store::faults`]) |
//! | GET/POST | `/api/admin/redis/*`, `/api/admin/aggregates` | operator: the Redis aggregate store ([`redis_routes`], docs/redis.md) |
//! | GET | `/api/admin/runtime` | operator: this isolate's wasm linear memory and rate-limiter size ([`runtime`]) |
//! | POST | `/api/ctr/score` | `{"model": "pre_launch" \| "in_flight", "creatives"? \| "rows"?}` -> `{model, scores: [{ctr, low, high}]}` from the embedded model files |
//!
//! The cron trigger (the `scheduled` event) publishes the current period's niche releases
//! ([`publish`]): history rows in D1, the releases in KV.
//!
//! Static files (the ad editor) are served by wrangler's `[assets]` before this code runs; what
//! reaches the Worker and matches no route gets a JSON 404, and a known path with the wrong method
//! a JSON 405. CORS, preflights and the public routes' rate limit are in [`edge`]. Account routes need `Authorization: Bearer <token>` (see [`auth`]); storage is
//! behind the traits in [`store`], used by the [`service`] layer. Every error body is `{"error": {"code", "message", "field"}}` (see [`error`]).
#![deny(missing_docs)]

pub mod aggregates;
pub mod api;
pub mod auth;
pub mod body;
pub mod crosslearning;
pub mod edge;
pub mod error;
pub mod handlers;
pub mod json;
pub mod models;
pub mod openapi;
pub mod publish;
pub mod redis_routes;
pub mod runtime;
pub mod service;
pub mod store;
pub mod wisdom;

use worker::{
    event, Context, Date, Env, Request, Response, Router, ScheduleContext, ScheduledEvent,
};

/// `GET /health`.
pub const HEALTH: &str = "/health";
/// `GET /openapi.json`.
pub const OPENAPI: &str = "/openapi.json";
/// `POST /api/normalize`.
pub const NORMALIZE: &str = "/api/normalize";
/// `POST /api/features`.
pub const FEATURES: &str = "/api/features";

/// Every path with the methods it answers (the `Allow` header of a 405). Keep in step with
/// [`router`].
pub const ROUTES: &[(&str, &str)] = &[
    (HEALTH, "GET"),
    (OPENAPI, "GET"),
    (NORMALIZE, "POST"),
    (FEATURES, "POST"),
    (CTR_SCORE, "POST"),
    (ACCOUNTS, "POST"),
    (ACCOUNT, "DELETE"),
    (ACCOUNT_RECORDS, "POST"),
    (ACCOUNT_CONSENT, "PUT"),
    (ACCOUNT_EXPORT, "GET"),
    (NICHE_WISDOM, "GET"),
    (ALL_WISDOM, "GET"),
    (DETECT_NICHE, "POST"),
    (EXTRACT_INSIGHTS, "POST"),
    (APPLY_WISDOM, "POST"),
    (DASHBOARD, "GET"),
    (STATS, "GET"),
    (MODEL_FILE, "GET"),
    (SCORE, "POST"),
    (ADMIN_PUBLISH, "POST"),
    (ADMIN_FAULTS, "POST"),
    (redis_routes::REDIS_HEALTH, "GET"),
    (redis_routes::REDIS_SYNC, "POST"),
    (redis_routes::REDIS_REBUILD, "POST"),
    (redis_routes::REDIS_CHECK, "GET"),
    (redis_routes::AGGREGATES, "GET"),
    (runtime::RUNTIME, "GET"),
];

/// `POST /api/admin/publish` (operator): run the publication now (or at a given time).
pub const ADMIN_PUBLISH: &str = "/api/admin/publish";

/// `POST /api/admin/faults` (operator, dev only): set or read this isolate's D1 write fault.
pub const ADMIN_FAULTS: &str = "/api/admin/faults";

/// `POST /api/cross-learning/detect-niche`.
pub const DETECT_NICHE: &str = "/api/cross-learning/detect-niche";
/// `POST /api/cross-learning/extract-insights`.
pub const EXTRACT_INSIGHTS: &str = "/api/cross-learning/extract-insights";
/// `POST /api/cross-learning/apply-wisdom`.
pub const APPLY_WISDOM: &str = "/api/cross-learning/apply-wisdom";
/// `GET /api/cross-learning/dashboard/{account_id}`.
pub const DASHBOARD: &str = "/api/cross-learning/dashboard/:account_id";
/// `GET /api/cross-learning/stats`.
pub const STATS: &str = "/api/cross-learning/stats";
/// `GET /api/models/{name}`.
pub const MODEL_FILE: &str = "/api/models/:name";
/// `POST /api/score`: the seed-style name of [`CTR_SCORE`] (same handler, same body).
pub const SCORE: &str = "/api/score";

/// `GET /api/cross-learning/niche-wisdom/{niche}`.
pub const NICHE_WISDOM: &str = "/api/cross-learning/niche-wisdom/:niche";
/// `GET /api/cross-learning/niche-wisdom`.
pub const ALL_WISDOM: &str = "/api/cross-learning/niche-wisdom";

/// `POST /api/accounts` (operator).
pub const ACCOUNTS: &str = "/api/accounts";
/// `DELETE /api/accounts/{id}`.
pub const ACCOUNT: &str = "/api/accounts/:id";
/// `POST /api/accounts/{id}/records`.
pub const ACCOUNT_RECORDS: &str = "/api/accounts/:id/records";
/// `PUT /api/accounts/{id}/consent`.
pub const ACCOUNT_CONSENT: &str = "/api/accounts/:id/consent";
/// `GET /api/accounts/{id}/export`.
pub const ACCOUNT_EXPORT: &str = "/api/accounts/:id/export";

/// `POST /api/ctr/score`.
pub const CTR_SCORE: &str = "/api/ctr/score";

/// The route table.
pub fn router() -> Router<'static, ()> {
    Router::new()
        .get_async(HEALTH, handlers::health)
        .get_async(OPENAPI, handlers::openapi)
        .post_async(NORMALIZE, handlers::normalize)
        .post_async(FEATURES, handlers::features)
        .post_async(CTR_SCORE, handlers::ctr_score)
        .post_async(ACCOUNTS, handlers::create_account)
        .delete_async(ACCOUNT, handlers::erase)
        .post_async(ACCOUNT_RECORDS, handlers::ingest)
        .put_async(ACCOUNT_CONSENT, handlers::consent)
        .get_async(ACCOUNT_EXPORT, handlers::export)
        .get_async(NICHE_WISDOM, handlers::niche_wisdom)
        .get_async(ALL_WISDOM, handlers::all_wisdom)
        .post_async(DETECT_NICHE, handlers::detect_niche)
        .post_async(EXTRACT_INSIGHTS, handlers::extract_insights)
        .post_async(APPLY_WISDOM, handlers::apply_wisdom)
        .get_async(DASHBOARD, handlers::dashboard)
        .get_async(STATS, handlers::stats)
        .get_async(MODEL_FILE, handlers::model_file)
        .post_async(SCORE, handlers::ctr_score)
        .post_async(ADMIN_PUBLISH, handlers::admin_publish)
        .post_async(ADMIN_FAULTS, handlers::admin_faults)
        .get_async(redis_routes::REDIS_HEALTH, redis_routes::health)
        .post_async(redis_routes::REDIS_SYNC, redis_routes::sync)
        .post_async(redis_routes::REDIS_REBUILD, redis_routes::rebuild)
        .get_async(redis_routes::REDIS_CHECK, redis_routes::check)
        .get_async(redis_routes::AGGREGATES, redis_routes::aggregates_route)
        .get_async(runtime::RUNTIME, handlers::runtime)
        // Registered for every method, so the Router's own plain-text 404/405 never answers.
        // `/*rest` does not match `/` itself, hence two patterns.
        .on("/", handlers::fallback)
        .on("/*rest", handlers::fallback)
}

/// The Worker's fetch entry point.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started_ms = Date::now().as_millis();
    handlers::finish(edge::serve(req, env).await, started_ms)
}

/// The Worker's cron entry point: publish the current period's niche releases
/// ([`publish::publish`]; the schedule is `[triggers] crons` in wrangler.toml).
#[event(scheduled)]
pub async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    // The event's scheduled time, not the clock: a late run still publishes for its own period,
    // and `wrangler dev --test-scheduled` can set it (`/__scheduled?time=<ms>`).
    let at = event.schedule();
    let at = if at.is_finite() && at > 0.0 {
        at as u64
    } else {
        Date::now().as_millis()
    };
    handlers::scheduled(&env, at).await;
}
