//! Cross-learning routes: the published wisdom (public reads of KV), niche detection, insight
//! extraction, applying wisdom, the account dashboard and the public stats.

use crate::adapters::bindings;
use crate::error::ApiError;
use crate::http::json::parse;
use crate::http::respond::{json, private_json};
use crate::http::{query_param, read_body};
use crate::routes::{connect, connect_optional, niche_model, now};
use crate::service::{auth, crosslearning as service, wisdom};
use worker::{Request, Response, RouteContext};

/// A fresh cross-learning event id: `evt_` + 24 hex digits (96 random bits).
fn event_id() -> Result<String, ApiError> {
    Ok(format!("evt_{}", auth::hex(&auth::random_bytes::<12>()?)))
}

/// `GET /api/cross-learning/niche-wisdom/{niche}` (public): one KV read.
pub async fn niche_wisdom(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let kv = bindings::releases(&ctx.env)?;
        let niche = ctx.param("niche").cloned().unwrap_or_default();
        let url = req.inner().url();
        let force = query_param(&url, "force_refresh");
        wisdom::niche_wisdom(&kv, &niche, force).await
    }
    .await;
    json(result)
}

/// `GET /api/cross-learning/niche-wisdom` (public): every published niche, one KV read.
pub async fn all_wisdom(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    json(async { wisdom::all_wisdom(&bindings::releases(&ctx.env)?).await }.await)
}

/// `POST /api/cross-learning/detect-niche`: public for ad copy, the account's token for an
/// account.
pub async fn detect_niche(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let body = read_body(&mut req).await?;
        let request = parse(&body)?;
        let (store, caller) = connect_optional(&req, &ctx).await?;
        let model = &niche_model(&ctx).await?.model;
        service::detect_niche(&store, caller, model, request, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/cross-learning/extract-insights` (account token).
pub async fn extract_insights(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let request = parse(&body)?;
        let model = &niche_model(&ctx).await?.model;
        service::extract_insights(&store, &caller, model, request, &now(), event_id()?).await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/cross-learning/apply-wisdom` (account token).
pub async fn apply_wisdom(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let request = parse(&body)?;
        let kv = bindings::releases(&ctx.env)?;
        let model = &niche_model(&ctx).await?.model;
        service::apply_wisdom(&store, &kv, &caller, model, request, &now(), event_id()?).await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/cross-learning/dashboard/{account_id}` (account token, own account only).
pub async fn dashboard(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = ctx.param("account_id").cloned().unwrap_or_default();
        let kv = bindings::releases(&ctx.env)?;
        let model = &niche_model(&ctx).await?.model;
        service::account_dashboard(&store, &kv, &caller, model, &id, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/cross-learning/stats` (public): one KV read.
pub async fn stats(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    json(async { service::stats(&bindings::releases(&ctx.env)?, &now()).await }.await)
}
