//! The route table ([`ROUTES`]) and the thin handlers, one module per resource: [`public`]
//! (health, the document, normalize, features, scores, model files), [`accounts`],
//! [`crosslearning`] and [`admin`] (operator routes, the cron).
//!
//! A handler only moves bytes: it reads the path, the token and the body, parses the body once
//! into the route's typed request ([`crate::http::json::parse`]), calls one service function and
//! answers. Everything about a route (method, path, handler, who may call it, its rate-limit
//! class, whether it writes D1 or reads releases, its body and answer types) is one row of
//! [`ROUTES`], from which the router, the `Allow` header and preflights, the rate-limit list and
//! the OpenAPI document are all derived ([`crate::http::table`], [`crate::http::openapi`]).
//!
//! Adding a route: a row here, a handler in the resource's module, a service function.

pub mod accounts;
pub mod admin;
pub mod crosslearning;
pub mod public;

use crate::adapters::bindings;
use crate::adapters::d1::D1Store;
use crate::error::ApiError;
use crate::handler;
use crate::http::table::{Auth, Query, Route};
use crate::service::accounts::{check_account_id, EXPORT_CURSOR_PATTERN, MAX_EXPORT_PAGE};
use crate::service::auth::{self, Caller};
use crate::service::models::{self, LoadedNiche};
use crate::service::{aggregates, compute, crosslearning as cl, publish, wisdom};
use worker::{console_error, Date, Request, RouteContext};

/// `GET /health`.
pub const HEALTH: &str = "/health";
/// `GET /openapi.json`.
pub const OPENAPI: &str = "/openapi.json";
/// `POST /api/normalize`.
pub const NORMALIZE: &str = "/api/normalize";
/// `POST /api/features`.
pub const FEATURES: &str = "/api/features";
/// `POST /api/explore`.
pub const EXPLORE: &str = "/api/explore";
/// `POST /api/ctr/score`.
pub const CTR_SCORE: &str = "/api/ctr/score";
/// `POST /api/score`: the seed-style name of [`CTR_SCORE`] (same handler, same body).
pub const SCORE: &str = "/api/score";
/// `GET /api/models/{name}`.
pub const MODEL_FILE: &str = "/api/models/:name";
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
/// `POST /api/accounts/{id}/token`.
pub const ACCOUNT_TOKEN: &str = "/api/accounts/:id/token";
/// `POST /api/accounts/{id}/explore`.
pub const ACCOUNT_EXPLORE: &str = "/api/accounts/:id/explore";
/// `GET /api/accounts/{id}/privacy`.
pub const ACCOUNT_PRIVACY: &str = "/api/accounts/:id/privacy";
/// `POST /api/accounts/{id}/ctr/score`.
pub const ACCOUNT_CTR_SCORE: &str = "/api/accounts/:id/ctr/score";
/// `GET /api/cross-learning/niche-wisdom/{niche}`.
pub const NICHE_WISDOM: &str = "/api/cross-learning/niche-wisdom/:niche";
/// `GET /api/cross-learning/niche-wisdom`.
pub const ALL_WISDOM: &str = "/api/cross-learning/niche-wisdom";
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
/// `POST /api/admin/publish` (operator): run the publication now (or at a given time).
pub const ADMIN_PUBLISH: &str = "/api/admin/publish";
/// `POST /api/admin/faults` (operator, dev only): set or read this isolate's D1 write fault.
pub const ADMIN_FAULTS: &str = "/api/admin/faults";
/// `GET /api/admin/runtime` (operator).
pub const RUNTIME: &str = "/api/admin/runtime";
/// `GET /api/admin/redis/health`.
pub const REDIS_HEALTH: &str = "/api/admin/redis/health";
/// `POST /api/admin/redis/sync`.
pub const REDIS_SYNC: &str = "/api/admin/redis/sync";
/// `POST /api/admin/redis/rebuild`.
pub const REDIS_REBUILD: &str = "/api/admin/redis/rebuild";
/// `GET /api/admin/redis/check`.
pub const REDIS_CHECK: &str = "/api/admin/redis/check";
/// `GET /api/admin/aggregates`.
pub const AGGREGATES: &str = "/api/admin/aggregates";

use crate::http::runtime::Runtime;
use crate::routes::admin::{FaultRequest, FaultState};
use crate::service::accounts::{
    ConsentRequest, ConsentResponse, CreateAccountRequest, CreatedAccount, Erasure, Export,
    IngestReport, IngestRequest, IssuedBriefs, RotatedToken,
};

/// The route table: one row per (method, path).
pub const ROUTES: &[Route] = &[
    Route::get(HEALTH, "Liveness, version and the state of the model files read from KV", handler!(public::health))
        .answers::<compute::Health>(),
    Route::get(OPENAPI, "This document", handler!(public::openapi)),
    Route::post(NORMALIZE, "Normalize one platform's metrics, or a list", handler!(public::normalize))
        .limited()
        .body::<compute::NormalizeRequest>()
        .answers::<compute::NormalizeResponse>(),
    Route::post(FEATURES, "Cross-platform insight and the 19 unified features of a campaign", handler!(public::features))
        .limited()
        .body::<compute::FeaturesRequest>()
        .answers::<compute::FeaturesResponse>(),
    Route::post(EXPLORE, "Randomised creative briefs drawn for anyone (to try exploring or to use locally): records made from them are not accepted as randomised by ingest; an account draws its own with POST /api/accounts/{id}/explore", handler!(public::explore))
        .limited()
        .body::<compute::ExploreRequest>()
        .answers::<compute::ExploreResponse>(),
    Route::post(CTR_SCORE, "CTR with a 95 % interval: the grounded model on the published releases, or a v1 model", handler!(public::ctr_score))
        .limited()
        .reads_releases()
        .body::<compute::ScoreRequest>()
        .answers::<compute::ScoreResponse>(),
    Route::post(ACCOUNTS, "Create an account; its token is returned once", handler!(accounts::create))
        .auth(Auth::Operator)
        .writes_d1()
        .optional_body::<CreateAccountRequest>()
        .creates::<CreatedAccount>(),
    Route::delete(ACCOUNT, "Erase the account and all its data", handler!(accounts::erase))
        .auth(Auth::Account)
        .writes_d1()
        .answers::<Erasure>(),
    Route::post(ACCOUNT_RECORDS, "Ingest up to 500 records as JSON or a CSV export (idempotent by record id; at most MAX_RECORDS_PER_ACCOUNT stored per account)", handler!(accounts::ingest))
        .auth(Auth::Account)
        .writes_d1()
        .body::<IngestRequest>()
        .accepts_csv()
        .answers::<IngestReport>(),
    Route::post(ACCOUNT_EXPLORE, "Randomised creative briefs issued to the account, each with the record id its record must carry: ingest accepts a record as randomised only when it matches such a brief", handler!(accounts::explore))
        .auth(Auth::Account)
        .writes_d1()
        .body::<compute::ExploreRequest>()
        .answers::<IssuedBriefs>(),
    Route::put(ACCOUNT_CONSENT, "Opt in to or out of cross-learning", handler!(accounts::consent))
        .auth(Auth::Account)
        .writes_d1()
        .body::<ConsentRequest>()
        .answers::<ConsentResponse>(),
    Route::get(ACCOUNT_EXPORT, "Everything stored about the account, records one page at a time (follow next_cursor)", handler!(accounts::export))
        .auth(Auth::Account)
        .query(&[
            Query::Pattern("cursor", EXPORT_CURSOR_PATTERN),
            Query::Integer("limit", 1, MAX_EXPORT_PAGE),
        ])
        .answers::<Export>(),
    Route::post(ACCOUNT_TOKEN, "Rotate the account's token: the new one is returned once, the old one stops working", handler!(accounts::rotate_token))
        .auth(Auth::Account)
        .writes_d1()
        .answers::<RotatedToken>(),
    Route::get(ACCOUNT_PRIVACY, "The account's privacy ledger: the format-2 releases its data entered, the zCDP rho each spent, the rolling window's total (rho, and epsilon at delta 1e-6) and the cap", handler!(accounts::privacy))
        .auth(Auth::Account)
        .answers::<crate::service::format2::PrivacyAnswer>(),
    Route::post(ACCOUNT_CTR_SCORE, "The grounded CTR model on the published releases, personalised with the account's own stored records (read in the Worker, never stored or published)", handler!(accounts::ctr_score))
        .needs_model()
        .auth(Auth::Account)
        .reads_releases()
        .body::<crate::service::scoring::AccountScoreRequest>()
        .answers::<crate::service::scoring::AccountScoreResponse>(),
    Route::get(NICHE_WISDOM, "The niche's latest published wisdom (re-read, never re-released)", handler!(crosslearning::niche_wisdom))
        .limited()
        .reads_releases()
        .query(&[Query::Enum("force_refresh", &["true", "false", "1", "0"])])
        .answers::<wisdom::WisdomAnswer>(),
    Route::get(ALL_WISDOM, "Every published niche's wisdom", handler!(crosslearning::all_wisdom))
        .limited()
        .reads_releases()
        .answers::<wisdom::AllWisdom>(),
    Route::post(DETECT_NICHE, "Detect a niche from ad copy (public) or from an account's records (its token)", handler!(crosslearning::detect_niche))
        .needs_model()
        .auth(Auth::Optional)
        .limited()
        .body::<cl::DetectNicheRequest>()
        .answers::<cl::DetectNicheResponse>(),
    Route::post(EXTRACT_INSIGHTS, "Extract and store the account's insight from its records", handler!(crosslearning::extract_insights))
        .needs_model()
        .auth(Auth::Account)
        .writes_d1()
        .body::<cl::ExtractInsightsRequest>()
        .answers::<cl::ExtractInsightsResponse>(),
    Route::post(APPLY_WISDOM, "Recommendations from the niche's latest published release", handler!(crosslearning::apply_wisdom))
        .needs_model()
        .auth(Auth::Account)
        .reads_releases()
        .body::<cl::ApplyWisdomRequest>()
        .answers::<cl::ApplyWisdomResponse>(),
    Route::get(DASHBOARD, "The account against its niche's release", handler!(crosslearning::dashboard))
        .needs_model()
        .auth(Auth::Account)
        .reads_releases()
        .answers::<cl::DashboardResponse>(),
    Route::get(STATS, "Published niches, release ids and periods, noisy counts", handler!(crosslearning::stats))
        .limited()
        .reads_releases()
        .answers::<cl::StatsResponse>(),
    Route::get(MODEL_FILE, "A model file: embedded, or the niche classifier from KV checked against its pinned hash (strong ETag; 304 on If-None-Match)", handler!(public::model_file))
        .needs_model()
        .binary(),
    Route::post(SCORE, "Alias of /api/ctr/score", handler!(public::ctr_score))
        .limited()
        .reads_releases()
        .body::<compute::ScoreRequest>()
        .answers::<compute::ScoreResponse>(),
    Route::post(ADMIN_PUBLISH, "Run the publication now (or dated at_ms), as the cron does", handler!(admin::publish))
        .auth(Auth::Operator)
        .writes_d1()
        .optional_body::<publish::PublishRequest>()
        .answers::<publish::PublishReport>(),
    Route::post(ADMIN_FAULTS, "Dev only: make this isolate's D1 writes fail (off | all | after:N); 403 unless the FAULT_INJECTION var is on", handler!(admin::faults))
        .auth(Auth::Operator)
        .dev_only()
        .optional_body::<FaultRequest>()
        .answers::<FaultState>(),
    Route::get(REDIS_HEALTH, "Redis aggregate store: configured, reachable, ready, outbox backlog", handler!(admin::redis_health))
        .auth(Auth::Operator)
        .needs_redis()
        .answers::<admin::Health>(),
    Route::post(REDIS_SYNC, "Drain the D1 outbox into Redis", handler!(admin::redis_sync))
        .auth(Auth::Operator)
        .writes_d1()
        .needs_redis()
        .answers::<aggregates::SyncReport>(),
    Route::post(REDIS_REBUILD, "Rebuild Redis's aggregates from D1", handler!(admin::redis_rebuild))
        .auth(Auth::Operator)
        .writes_d1()
        .needs_redis()
        .answers::<aggregates::SyncReport>(),
    Route::get(REDIS_CHECK, "Redis aggregates vs a fresh D1 aggregation (and their releases)", handler!(admin::redis_check))
        .auth(Auth::Operator)
        .needs_redis()
        .answers::<aggregates::CheckReport>(),
    Route::get(AGGREGATES, "The exact pre-noise aggregates from D1 or Redis", handler!(admin::aggregates))
        .auth(Auth::Operator)
        .needs_redis()
        .query(&[Query::Enum("source", &["d1", "redis"])])
        .answers::<admin::AggregatesAnswer>(),
    Route::get(RUNTIME, "This isolate's wasm linear memory and rate-limiter size (soak diagnostics)", handler!(admin::runtime))
        .auth(Auth::Operator)
        .answers::<Runtime>(),
];

/// The D1 store and the authenticated caller (401 without a valid token).
pub async fn connect(req: &Request, ctx: &RouteContext<()>) -> Result<(D1Store, Caller), ApiError> {
    let (store, caller) = connect_optional(req, ctx).await?;
    Ok((store, caller?))
}

/// The D1 store and the authentication result, which is an error (401) without a valid token:
/// for routes where only part of the requests need one.
pub async fn connect_optional(
    req: &Request,
    ctx: &RouteContext<()>,
) -> Result<(D1Store, Result<Caller, ApiError>), ApiError> {
    let store = bindings::d1(&ctx.env)?;
    let operator = bindings::operator_token(&ctx.env);
    let header = req.headers().get("authorization").ok().flatten();
    let caller = auth::authenticate_checked(&store, header.as_deref(), operator.as_deref()).await;
    Ok((store, caller))
}

/// The checked `{name}` path segment holding an account id.
pub fn account_param(ctx: &RouteContext<()>, name: &str) -> Result<String, ApiError> {
    let id = ctx.param(name).cloned().unwrap_or_default();
    check_account_id(name, &id)?;
    Ok(id)
}

/// This isolate's niche classifier, loaded from KV (binding `MODELS`) by the first request that
/// needs it and kept for the isolate's life; a failed load leaves it empty (the next retries).
static NICHE: models::NicheCache = models::NicheCache::new();

/// The niche classifier: 503 `model_unavailable` when KV lacks it or holds other bytes.
pub async fn niche_model(ctx: &RouteContext<()>) -> Result<&'static LoadedNiche, ApiError> {
    models::load(&bindings::models(&ctx.env), &NICHE).await
}

/// The niche classifier's state for `/health` (loads it if this isolate has not yet).
pub async fn niche_status(ctx: &RouteContext<()>) -> models::ModelStatus {
    let loaded = models::load(&bindings::models(&ctx.env), &NICHE).await;
    if let Err(ApiError::Storage(cause)) = &loaded {
        console_error!("niche model: {cause}");
    }
    models::status(&loaded)
}

/// `GET /api/models/{name}`'s answer: embedded files as they are, the niche classifier once
/// loaded (see [`niche_model`]).
pub async fn model_answer(
    ctx: &RouteContext<()>,
    name: &str,
    if_none_match: Option<&str>,
) -> Result<models::ModelAnswer<'static>, ApiError> {
    models::get_model(name, if_none_match, &bindings::models(&ctx.env), &NICHE).await
}

/// Now, as UTC ISO 8601.
pub fn now() -> String {
    crate::service::accounts::iso_utc(Date::now().as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::table::allowed_methods as allowed;

    fn allowed_methods(path: &str) -> Option<String> {
        allowed(ROUTES, path)
    }

    #[test]
    fn allowed_methods_follow_the_route_table() {
        let some = |m: &str| Some(m.to_string());
        assert_eq!(allowed_methods("/health"), some("GET"));
        assert_eq!(allowed_methods("/api/normalize"), some("POST"));
        assert_eq!(allowed_methods("/api/features"), some("POST"));
        assert_eq!(allowed_methods("/api/ctr/score"), some("POST"));
        assert_eq!(allowed_methods("/api/nope"), None);
        assert_eq!(allowed_methods("/api/accounts"), some("POST"));
        assert_eq!(allowed_methods("/api/accounts/a1"), some("DELETE"));
        assert_eq!(allowed_methods("/api/accounts/a1/records"), some("POST"));
        assert_eq!(allowed_methods("/api/accounts/a1/consent"), some("PUT"));
        assert_eq!(allowed_methods("/api/accounts/a1/export"), some("GET"));
        assert_eq!(allowed_methods("/api/accounts/a1/token"), some("POST"));
        assert_eq!(allowed_methods("/api/accounts/a1/privacy"), some("GET"));
        assert_eq!(allowed_methods("/api/accounts//export"), None);
        assert_eq!(allowed_methods("/api/accounts/a1/other"), None);
        let wisdom = "/api/cross-learning/niche-wisdom";
        assert_eq!(allowed_methods(wisdom), some("GET"));
        assert_eq!(allowed_methods(&format!("{wisdom}/fitness")), some("GET"));
        assert_eq!(allowed_methods("/"), None);
        let cl = "/api/cross-learning";
        assert_eq!(allowed_methods(&format!("{cl}/detect-niche")), some("POST"));
        assert_eq!(
            allowed_methods(&format!("{cl}/extract-insights")),
            some("POST")
        );
        assert_eq!(allowed_methods(&format!("{cl}/apply-wisdom")), some("POST"));
        assert_eq!(allowed_methods(&format!("{cl}/dashboard/a1")), some("GET"));
        assert_eq!(allowed_methods(&format!("{cl}/dashboard/")), None);
        assert_eq!(allowed_methods(&format!("{cl}/stats")), some("GET"));
        assert_eq!(allowed_methods("/api/models/niche-v2.bin"), some("GET"));
        assert_eq!(allowed_methods("/api/score"), some("POST"));
    }

    #[test]
    fn one_row_per_method_and_path() {
        let mut seen = std::collections::BTreeSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method.as_str(), r.path)),
                "{} {} twice",
                r.method.as_str(),
                r.path
            );
        }
    }
}
