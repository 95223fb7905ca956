//! HTTP mechanics, independent of any one route: the route type and what is derived from a table
//! of routes ([`table`]), the edge every request passes (CORS, rate limit: [`edge`]), reading
//! bodies ([`body`], [`json`]), answering ([`respond`]), the OpenAPI document ([`openapi`]) and
//! the isolate's runtime report ([`runtime`]).

pub mod body;
pub mod edge;
pub mod json;
pub mod openapi;
pub mod respond;
pub mod runtime;
pub mod table;

use crate::error::ApiError;
use body::{check_declared_length, BodyBuffer, CsvBody, Next};
use futures_util::StreamExt;
use worker::{console_error, Request};

/// The request body, or 413 once it is known to pass the limit (see [`body`]).
pub async fn read_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
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

/// A CSV request body imported as it streams in ([`CsvBody`]): 413 from a `Content-Length`
/// over [`body::MAX_BODY_BYTES`] before reading anything; otherwise every chunk goes into the
/// core's streaming importer as it arrives, and the body is refused (then drained) as soon as it
/// passes the byte limit, reaches data row `row_limit + 1` or shows a header no importer reads.
pub async fn read_csv_body(
    req: &mut Request,
    row_limit: usize,
) -> Result<crosslearn::import::ImportReport, ApiError> {
    let declared = req.headers().get("content-length").ok().flatten();
    check_declared_length(declared.as_deref())?;
    let mut body = CsvBody::new(row_limit);
    // A request without a body has no stream: an empty CSV (422 `empty_input`).
    if let Ok(mut stream) = req.stream() {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                console_error!("reading the request body failed: {e}");
                ApiError::Internal
            })?;
            if body.push(&chunk) == Next::Stop {
                break;
            }
        }
    }
    body.finish()
}

/// The value of query parameter `key` in `url`, if present (first occurrence; no percent
/// decoding: the values this API takes are plain words). The raw URL string: parsing it with the
/// `url` crate would add ~80 KiB gzip (IDNA tables) to the bundle for a couple of flags.
pub use crate::service::wisdom::query_param;
