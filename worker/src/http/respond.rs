//! Responses: JSON answers, the JSON error body of every failure, and what every response gets
//! on its way out ([`finish`]).

use crate::error::ApiError;
use serde::Serialize;
use worker::{console_error, Date, Response};

/// A public JSON answer (cacheable as the route's headers say).
pub fn json<T: Serialize>(result: Result<T, ApiError>) -> worker::Result<Response> {
    match result {
        Ok(value) => Response::from_json(&value),
        Err(e) => error_response(&e),
    }
}

/// A JSON answer about one account or an operator's: `status` on success, never cached (tokens,
/// personal data).
pub fn private_json<T: Serialize>(
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

/// The JSON error response for `e` (its cause logged when it has one).
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
    if let ApiError::Config { var, message } = e {
        console_error!("config error in {var}: {message}");
    }
    if let ApiError::RateLimited { retry_after_s, .. } = e {
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
