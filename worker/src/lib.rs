//! # crosslearn-worker
//!
//! The crosslearn edge API as a Cloudflare Worker. The layout shows the architecture; the
//! arrows are the only dependencies between the top-level modules (a test,
//! `worker/tests/layout.rs`, keeps them free of cycles):
//!
//! ```text
//! lib (entry points) -> routes -> http, service, adapters
//! routes   the route table (routes::ROUTES) and thin handlers, one module per resource
//! http     the route type and what a table derives (router, Allow, rate limits, OpenAPI),
//!          the edge (CORS, rate limit), body reading and parsing, responses
//! service  the rules, generic over the ports: accounts (and the outbox protocol, service::sync),
//!          cross-learning, wisdom reads, publication, Redis aggregates, pure computations
//! ports    the typed traits the services use, with their own error types
//! adapters the ports over the Workers bindings: D1, KV, Redis, the D1 fault hook, the bindings
//! testing  in-memory fakes of every port and shared fixtures (native tests)
//! error    the one error vocabulary and its HTTP form {"error": {"code", "message", "field"}}
//! ```
//!
//! Every route is one row of [`routes::ROUTES`] (method, path, handler, who may call it, its
//! rate-limit class, whether it writes D1 or reads releases, body and answer types); the router,
//! the `Allow` header of a 405, preflights, the rate-limit list and `/openapi.json` are derived
//! from it. The route list with its answers is the OpenAPI document and docs/worker.md.
//!
//! The cron trigger (the `scheduled` event) publishes the current period's niche releases
//! ([`routes::admin::scheduled`]): history rows in D1, the releases in KV.
//!
//! Static files (the ad editor) are served by wrangler's `[assets]` before this code runs; what
//! reaches the Worker and matches no route gets a JSON 404, and a known path with the wrong method
//! a JSON 405. CORS, preflights and the public routes' rate limit are in [`http::edge`]. Account
//! routes need `Authorization: Bearer <token>` (see [`service::auth`]).
#![deny(missing_docs)]

pub mod adapters;
pub mod error;
pub mod http;
pub mod ports;
pub mod routes;
pub mod service;
pub mod testing;

use worker::{event, Context, Date, Env, Request, Response, ScheduleContext, ScheduledEvent};

/// The Worker's fetch entry point.
#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started_ms = Date::now().as_millis();
    http::respond::finish(
        http::edge::serve(req, env, routes::ROUTES).await,
        started_ms,
    )
}

/// The Worker's cron entry point: publish the current period's niche releases (the schedule is
/// `[triggers] crons` in wrangler.toml).
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
    routes::admin::scheduled(&env, at).await;
}
