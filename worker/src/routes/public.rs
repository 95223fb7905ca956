//! Public routes: health, the OpenAPI document, normalize, features, CTR scores (the grounded
//! model reads the published releases from KV) and the model files (embedded, or the niche
//! classifier from KV).

use crate::adapters::bindings;
use crate::http::json::parse;
use crate::http::respond::{error_response, json};
use crate::http::{openapi, read_body};
use crate::routes::{model_answer, niche_status, ROUTES};
use crate::service::{compute, models};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::sync::OnceLock;
use worker::{Request, Response, RouteContext};

/// `GET /health`: liveness, the version and the state of the model files read from KV.
pub async fn health(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    Response::from_json(&compute::health(vec![niche_status(&ctx).await]))
}

/// `GET /openapi.json`: the document generated from the route table, built once per isolate.
pub async fn openapi(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let mut resp = Response::from_json(document())?;
    resp.headers_mut()
        .set("cache-control", "public, max-age=300")?;
    Ok(resp)
}

/// The OpenAPI document of [`ROUTES`], built once per isolate.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| openapi::build(ROUTES))
}

/// `POST /api/normalize`.
pub async fn normalize(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    compute_endpoint(req, compute::normalize).await
}

/// `POST /api/features`.
pub async fn features(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    compute_endpoint(req, compute::features).await
}

/// `POST /api/explore`: randomised briefs drawn with ChaCha20 seeded from the OS.
pub async fn explore(mut req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    json(
        async {
            let body = parse(&read_body(&mut req).await?)?;
            let mut rng = crosslearn::privacy::dgauss::noise_rng_from_entropy()?;
            compute::explore(body, &mut rng)
        }
        .await,
    )
}

/// `POST /api/ctr/score` and its alias `POST /api/score` (the grounded model reads the
/// published releases from KV).
pub async fn ctr_score(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    json(
        async {
            let body = parse(&read_body(&mut req).await?)?;
            compute::score_request(&bindings::releases(&ctx.env)?, body).await
        }
        .await,
    )
}

/// Read and parse the body, call `call`, answer with JSON.
async fn compute_endpoint<Q: DeserializeOwned, T: Serialize>(
    mut req: Request,
    call: fn(Q) -> Result<T, crate::error::ApiError>,
) -> worker::Result<Response> {
    json(async { call(parse(&read_body(&mut req).await?)?) }.await)
}

/// `GET /api/models/{name}`: a model file (embedded, or the checked one from KV), cacheable,
/// with a strong ETag.
pub async fn model_file(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let name = ctx.param("name").cloned().unwrap_or_default();
    let if_none_match = req.headers().get("if-none-match").ok().flatten();
    let (mut resp, etag) = match model_answer(&ctx, &name, if_none_match.as_deref()).await {
        Ok(models::ModelAnswer::File { etag, bytes }) => {
            let mut resp = Response::from_bytes(bytes.to_vec())?;
            resp.headers_mut()
                .set("content-type", "application/octet-stream")?;
            (resp, etag)
        }
        Ok(models::ModelAnswer::NotModified { etag }) => {
            (Response::empty()?.with_status(304), etag)
        }
        Err(e) => return error_response(&e),
    };
    resp.headers_mut().set("etag", &etag)?;
    resp.headers_mut()
        .set("cache-control", models::CACHE_CONTROL)?;
    Ok(resp)
}
