//! # crosslearn-worker
//!
//! The crosslearn edge API as a Cloudflare Worker. This file is the route table; the handlers
//! live in [`handlers`], the pure request -> core -> response functions in [`api`], body parsing in
//! [`json`] and [`body`], and the error type with its status mapping in [`error`].
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/health` | `{"status": "ok", "version"}` |
//! | POST | `/api/normalize` | `{"metrics": PlatformMetrics \| [PlatformMetrics], "mode"?}` -> normalized metrics (or a list) |
//! | POST | `/api/features` | `{"platform_data": [...], "creative_dna"?, "mode"?}` -> insight, unified features, the 19-feature vector and its names |
//! | POST | `/api/accounts` | operator: `{"account_id"?}` -> 201 `{account_id, token, created_at, consent}` (token shown once) |
//! | POST | `/api/accounts/{id}/records` | `{"records": [...]}` (at most 500) -> per-record stored / already_stored / rejected report |
//! | PUT | `/api/accounts/{id}/consent` | `{"opted_in": bool}` -> the consent (opt-in; default off) |
//! | GET | `/api/accounts/{id}/export` | everything stored about the account |
//! | DELETE | `/api/accounts/{id}` | erasure of the account and all its data |
//! | GET | `/api/cross-learning/niche-wisdom/{niche}` | `?force_refresh` -> `{success: true, niche, wisdom}` or `{success: false, message, niche}` (no token) |
//! | GET | `/api/cross-learning/niche-wisdom` | `{niches: [published releases]}` (no token) |
//! | GET/POST | `/api/admin/redis/*`, `/api/admin/aggregates` | operator: the Redis aggregate store ([`redis_routes`], docs/redis.md) |
//! | POST | `/api/ctr/score` | `{"model": "pre_launch" \| "in_flight", "creatives"? \| "rows"?}` -> `{model, scores: [{ctr, low, high}]}` from the embedded model files |
//!
//! The cron trigger (the `scheduled` event) publishes the current period's niche releases
//! ([`publish`]): history rows in D1, the releases in KV.
//!
//! Static files (the ad editor) are served by wrangler's `[assets]` before this code runs; what
//! reaches the Worker and matches no route gets a JSON 404, and a known path with the wrong method
//! a JSON 405. Account routes need `Authorization: Bearer <token>` (see [`auth`]); storage is
//! behind the traits in [`store`], used by the [`service`] layer. Every error body is `{"error": {"code", "message", "field"}}` (see [`error`]).
#![deny(missing_docs)]

pub mod aggregates;
pub mod api;
pub mod auth;
pub mod body;
pub mod error;
pub mod handlers;
pub mod json;
pub mod publish;
pub mod redis_routes;
pub mod service;
pub mod store;
pub mod wisdom;

use worker::{
    event, Context, Date, Env, Request, Response, Router, ScheduleContext, ScheduledEvent,
};

/// `GET /health`.
pub const HEALTH: &str = "/health";
/// `POST /api/normalize`.
pub const NORMALIZE: &str = "/api/normalize";
/// `POST /api/features`.
pub const FEATURES: &str = "/api/features";

/// Every path with the methods it answers (the `Allow` header of a 405). Keep in step with
/// [`router`].
pub const ROUTES: &[(&str, &str)] = &[
    (HEALTH, "GET"),
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
    (redis_routes::REDIS_HEALTH, "GET"),
    (redis_routes::REDIS_SYNC, "POST"),
    (redis_routes::REDIS_REBUILD, "POST"),
    (redis_routes::REDIS_CHECK, "GET"),
    (redis_routes::AGGREGATES, "GET"),
];

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
        .get_async(redis_routes::REDIS_HEALTH, redis_routes::health)
        .post_async(redis_routes::REDIS_SYNC, redis_routes::sync)
        .post_async(redis_routes::REDIS_REBUILD, redis_routes::rebuild)
        .get_async(redis_routes::REDIS_CHECK, redis_routes::check)
        .get_async(redis_routes::AGGREGATES, redis_routes::aggregates_route)
        // Registered for every method, so the Router's own plain-text 404/405 never answers.
        // `/*rest` does not match `/` itself, hence two patterns.
        .on("/", handlers::fallback)
        .on("/*rest", handlers::fallback)
}

/// The Worker's fetch entry point.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started_ms = Date::now().as_millis();
    handlers::finish(router().run(req, env).await, started_ms)
}

/// The Worker's cron entry point: publish the current period's niche releases
/// ([`publish::publish`]; the schedule is `[triggers] crons` in wrangler.toml).
#[event(scheduled)]
pub async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    handlers::scheduled(&env).await;
}
