//! Route handlers: read the body, call the pure function in [`crate::api`], answer with JSON.
//!
//! The only logic here is moving bytes: the size-capped body read, JSON responses, the JSON
//! 404/405 fallback and the final touches every response gets ([`finish`]).

use crate::api;
use crate::body::{check_declared_length, BodyBuffer, Next};
use crate::error::ApiError;
use futures_util::StreamExt;
use serde::Serialize;
use worker::{console_error, Date, Request, Response, RouteContext};

/// `GET /health`.
pub async fn health(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    Response::from_json(&api::health())
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

/// Any path or method without a handler: 405 (with `Allow`) for a known path, else 404.
pub fn fallback(req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    let path = req.path();
    error_response(&match allowed_methods(&path) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound { path },
    })
}

/// The methods `path` answers to, from [`crate::ROUTES`].
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    crate::ROUTES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, allow)| *allow)
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
    let mut resp = Response::from_json(&e.body())?.with_status(e.status());
    if let ApiError::MethodNotAllowed { allow } = e {
        resp.headers_mut().set("allow", allow)?;
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
        assert_eq!(allowed_methods("/"), None);
    }
}
