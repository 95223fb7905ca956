//! What a route is, and everything derived from a table of them: the router, the methods a path
//! answers (`Allow`, preflights, 405) and which paths are rate limited. The OpenAPI document is
//! derived from the same table ([`crate::http::openapi`]). The table itself is
//! [`crate::routes::ROUTES`].

use crate::error::ApiError;
use crate::http::respond::error_response;
use futures_util::future::LocalBoxFuture;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use worker::{Request, Response, RouteContext, Router};

/// A route's handler: the request and its path parameters in, the response out.
pub type Handler =
    fn(Request, RouteContext<()>) -> LocalBoxFuture<'static, worker::Result<Response>>;

/// The [`Handler`] of an `async fn(Request, RouteContext<()>) -> worker::Result<Response>`.
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn boxed(
            req: ::worker::Request,
            ctx: ::worker::RouteContext<()>,
        ) -> ::futures_util::future::LocalBoxFuture<'static, ::worker::Result<::worker::Response>>
        {
            ::std::boxed::Box::pin($f(req, ctx))
        }
        boxed as $crate::http::table::Handler
    }};
}

/// Produces the schema of one type (a `$ref` to `components/schemas` for named types).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema function of `T`.
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// An HTTP method the table uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// Upper case, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone, no token (public, possibly rate limited: see [`crate::http::edge`]).
    Public,
    /// The account's own token, or the operator token.
    Account,
    /// The operator token only.
    Operator,
    /// Public, but a token may be sent to act on an account (e.g. detect-niche from an
    /// account's records): 401/403 apply when one is sent or an `account_id` needs one.
    Optional,
}

/// A route's rate-limit class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Not limited.
    None,
    /// The public routes' per-client token bucket ([`crate::http::edge`]).
    PerClient,
    /// The authenticated routes' limits, checked before any token lookup
    /// ([`crate::http::edge`]): a per-client bucket (whatever the token) and a per-token one
    /// (a token belongs to one account, so this is the per-account limit).
    PerAccount,
}

/// A route's JSON request body.
#[derive(Debug, Clone, Copy)]
pub enum Body {
    /// No body is read.
    None,
    /// A body of this type is required.
    Required(SchemaFn),
    /// A body of this type, or none (an empty body means `{}`).
    Optional(SchemaFn),
}

/// A route's success answer.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// JSON of this type.
    Json(SchemaFn),
    /// Raw bytes (`application/octet-stream`, with ETag / 304).
    Binary,
}

/// One row of the route table: everything the router, the edge and the OpenAPI document need.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The pattern (`:name` segments are path parameters).
    pub path: &'static str,
    /// One line for the reader (the OpenAPI summary).
    pub summary: &'static str,
    /// The handler.
    pub handler: Handler,
    /// Who may call it.
    pub auth: Auth,
    /// Its rate-limit class.
    pub limit: Limit,
    /// Writes D1 (answers 503 `storage_unavailable` when a write fails).
    pub writes_d1: bool,
    /// Reads published releases from KV (answers 503 `release_unavailable` when one is unreadable).
    pub reads_releases: bool,
    /// Talks to the aggregate store and answers 503 `redis_unavailable` when it cannot.
    pub needs_redis: bool,
    /// Needs a model file read from KV (the niche classifier) and answers 503
    /// `model_unavailable` when it is missing or not the pinned bytes.
    pub needs_model: bool,
    /// The request body.
    pub body: Body,
    /// The body may also be a CSV export (`Content-Type: text/csv`), read by the core's importer.
    pub accepts_csv: bool,
    /// Status of a successful answer.
    pub status: u16,
    /// The successful answer.
    pub answer: Answer,
    /// Query parameters, all optional.
    pub query: &'static [Query],
    /// A development aid (the D1 fault hook, ...): off, answered 404, where the `ENVIRONMENT`
    /// var is `production` ([`crate::http::edge`]).
    pub dev_only: bool,
}

impl Route {
    /// A public route without body that answers 200 with JSON (set the type with
    /// [`Route::answers`]); the other builders refine it.
    pub const fn new(
        method: Method,
        path: &'static str,
        summary: &'static str,
        handler: Handler,
    ) -> Route {
        Route {
            method,
            path,
            summary,
            handler,
            auth: Auth::Public,
            limit: Limit::None,
            writes_d1: false,
            reads_releases: false,
            needs_redis: false,
            needs_model: false,
            body: Body::None,
            accepts_csv: false,
            status: 200,
            answer: Answer::Json(schema::<serde_json::Value>),
            query: &[],
            dev_only: false,
        }
    }

    /// `GET`.
    pub const fn get(path: &'static str, summary: &'static str, handler: Handler) -> Route {
        Route::new(Method::Get, path, summary, handler)
    }

    /// `POST`.
    pub const fn post(path: &'static str, summary: &'static str, handler: Handler) -> Route {
        Route::new(Method::Post, path, summary, handler)
    }

    /// `PUT`.
    pub const fn put(path: &'static str, summary: &'static str, handler: Handler) -> Route {
        Route::new(Method::Put, path, summary, handler)
    }

    /// `DELETE`.
    pub const fn delete(path: &'static str, summary: &'static str, handler: Handler) -> Route {
        Route::new(Method::Delete, path, summary, handler)
    }

    /// The body may also be `text/csv` (a CSV export in any format the core imports).
    pub const fn accepts_csv(self) -> Route {
        Route {
            accepts_csv: true,
            ..self
        }
    }

    /// Who may call it. An account or operator route is limited per account
    /// ([`Limit::PerAccount`]).
    pub const fn auth(self, auth: Auth) -> Route {
        let limit = match auth {
            Auth::Account | Auth::Operator => Limit::PerAccount,
            Auth::Public | Auth::Optional => self.limit,
        };
        Route {
            auth,
            limit,
            ..self
        }
    }

    /// Rate limited per client.
    pub const fn limited(self) -> Route {
        Route {
            limit: Limit::PerClient,
            ..self
        }
    }

    /// Writes D1.
    pub const fn writes_d1(self) -> Route {
        Route {
            writes_d1: true,
            ..self
        }
    }

    /// Reads published releases.
    pub const fn reads_releases(self) -> Route {
        Route {
            reads_releases: true,
            ..self
        }
    }

    /// Needs the aggregate store.
    pub const fn needs_redis(self) -> Route {
        Route {
            needs_redis: true,
            ..self
        }
    }

    /// Needs a model file read from KV (`crate::service::models::load`).
    pub const fn needs_model(self) -> Route {
        Route {
            needs_model: true,
            ..self
        }
    }

    /// Takes a required JSON body of type `T`.
    pub const fn body<T: JsonSchema>(self) -> Route {
        Route {
            body: Body::Required(schema::<T>),
            ..self
        }
    }

    /// Takes an optional JSON body of type `T` (empty means `{}`).
    pub const fn optional_body<T: JsonSchema>(self) -> Route {
        Route {
            body: Body::Optional(schema::<T>),
            ..self
        }
    }

    /// Answers 200 with JSON of type `T`.
    pub const fn answers<T: JsonSchema>(self) -> Route {
        Route {
            answer: Answer::Json(schema::<T>),
            ..self
        }
    }

    /// Answers 201 with JSON of type `T`.
    pub const fn creates<T: JsonSchema>(self) -> Route {
        Route {
            status: 201,
            answer: Answer::Json(schema::<T>),
            ..self
        }
    }

    /// Answers raw bytes.
    pub const fn binary(self) -> Route {
        Route {
            answer: Answer::Binary,
            ..self
        }
    }

    /// A development aid: off in production.
    pub const fn dev_only(self) -> Route {
        Route {
            dev_only: true,
            ..self
        }
    }

    /// Takes these query parameters.
    pub const fn query(self, query: &'static [Query]) -> Route {
        Route { query, ..self }
    }
}

/// One optional query parameter of a route (its OpenAPI schema; the handler checks it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Query {
    /// One of these words.
    Enum(&'static str, &'static [&'static str]),
    /// An integer in `min..=max`.
    Integer(&'static str, u32, u32),
    /// A string matching this regular expression.
    Pattern(&'static str, &'static str),
}

impl Query {
    /// The parameter's name.
    pub const fn name(&self) -> &'static str {
        match self {
            Query::Enum(n, _) | Query::Integer(n, _, _) | Query::Pattern(n, _) => n,
        }
    }
}

/// The router of `table`, plus a fallback for every other method and path (a JSON 405 with
/// `Allow` on a known path, a JSON 404 elsewhere), so the Router's own plain-text 404/405 never
/// answers.
pub fn router(table: &'static [Route]) -> Router<'static, ()> {
    let mut router = Router::new();
    for route in table {
        let h = route.handler;
        router = match route.method {
            Method::Get => router.get_async(route.path, h),
            Method::Post => router.post_async(route.path, h),
            Method::Put => router.put_async(route.path, h),
            Method::Delete => router.delete_async(route.path, h),
        };
    }
    let fallback = move |req: Request, _ctx: RouteContext<()>| async move {
        let path = req.path();
        error_response(&unrouted(table, path))
    };
    // `/*rest` does not match `/` itself, hence two patterns.
    router.on_async("/", fallback).on_async("/*rest", fallback)
}

/// The answer to a request no route takes: 405 with `Allow` on a known path, 404 elsewhere.
pub fn unrouted(table: &[Route], path: String) -> ApiError {
    match allowed_methods(table, &path) {
        Some(allow) => ApiError::MethodNotAllowed { allow },
        None => ApiError::NotFound { path },
    }
}

/// The methods `path` answers to (comma-separated, table order), if any route matches it.
pub fn allowed_methods(table: &[Route], path: &str) -> Option<String> {
    let methods: Vec<&str> = table
        .iter()
        .filter(|r| matches(r.path, path))
        .map(|r| r.method.as_str())
        .collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// `path` fits `pattern`, where a `:name` segment matches any one non-empty segment.
pub fn matches(pattern: &str, path: &str) -> bool {
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

/// The path prefix a rate-limited route covers: its pattern up to the first parameter
/// (`/api/cross-learning/niche-wisdom/:niche` -> `/api/cross-learning/niche-wisdom`).
fn limit_prefix(pattern: &str) -> &str {
    match pattern.find("/:") {
        Some(i) => &pattern[..i],
        None => pattern,
    }
}

/// The route of `table` that takes `method` and `path`, if any.
pub fn route_of<'a>(table: &'a [Route], method: &str, path: &str) -> Option<&'a Route> {
    table
        .iter()
        .find(|r| r.method.as_str() == method && matches(r.path, path))
}

/// The request would reach a development-only route while `environment` (the `ENVIRONMENT`
/// var) is `production`: it is answered 404 instead.
pub fn is_off(table: &[Route], method: &str, path: &str, environment: Option<&str>) -> bool {
    environment.map(str::trim) == Some("production")
        && route_of(table, method, path).is_some_and(|r| r.dev_only)
}

/// The rate-limit class of a request: [`Limit::PerClient`] under a public limited route
/// ([`is_rate_limited`]), else the class of the route that takes `method` and `path`.
pub fn limit_of(table: &[Route], method: &str, path: &str) -> Limit {
    if is_rate_limited(table, method, path) {
        return Limit::PerClient;
    }
    route_of(table, method, path).map_or(Limit::None, |r| r.limit)
}

/// `path` (any method but `OPTIONS`) falls under a rate-limited route of `table`: it is the
/// route's prefix ([`limit_prefix`]) or below it.
pub fn is_rate_limited(table: &[Route], method: &str, path: &str) -> bool {
    method != "OPTIONS"
        && table
            .iter()
            .filter(|r| r.limit == Limit::PerClient)
            .any(|r| {
                path.strip_prefix(limit_prefix(r.path))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
}
