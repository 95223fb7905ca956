//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the same Rust types the
//! handlers parse and answer with (schemars derives; the core's wire types derive it behind the
//! core's `schemars` feature).
//!
//! [`OPERATIONS`] is the one table: method, path (as in the route table), request body type,
//! success status and type, and who may call it. Adding a route is one line here; a test checks
//! that this table and [`crate::ROUTES`] list the same (path, method) pairs.
//!
//! Strictness comes from the types: request bodies are described as they are *deserialized*
//! (`required` lists exactly the fields without a default, `additionalProperties: false` where
//! the type denies unknown fields, which every request type does), responses as they are
//! *serialized* (every field the type always writes is `required`). Every 4xx (and the generic
//! 500) answers the error schema `{"error": {"code", "message", "field"}}`.
//!
//! The document is built once per isolate ([`document`]) and served as is.

use crate::api::{
    FeaturesRequest, FeaturesResponse, Health, NormalizeRequest, NormalizeResponse, ScoreRequest,
    ScoreResponse,
};
use crate::crosslearning::{
    ApplyWisdomRequest, ApplyWisdomResponse, DashboardResponse, DetectNicheRequest,
    DetectNicheResponse, ExtractInsightsRequest, ExtractInsightsResponse, StatsResponse,
};
use crate::error::ErrorBody;
use crate::publish::{PublishReport, PublishRequest};
use crate::service::{
    ConsentRequest, ConsentResponse, CreateAccountRequest, CreatedAccount, Erasure, Export,
    IngestReport, IngestRequest,
};
use crate::wisdom::{AllWisdom, WisdomAnswer};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone, no token (public, possibly rate limited: see [`crate::edge`]).
    Public,
    /// The account's own token, or the operator token.
    Account,
    /// The operator token only.
    Operator,
    /// Public, but a token may be sent to act on an account (e.g. detect-niche from an
    /// account's records): 401/403 apply when one is sent or an `account_id` needs one.
    Optional,
}

/// Produces the schema of one type (a `$ref` to `components/schemas` for named types).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema function of `T`.
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// The route pattern, as in [`crate::ROUTES`] (`:name` segments are path parameters).
    pub path: &'static str,
    /// One line for the reader.
    pub summary: &'static str,
    /// The JSON request body's type, if the operation takes one.
    pub request: Option<SchemaFn>,
    /// Status of a successful answer.
    pub status: u16,
    /// The successful answer's type.
    pub response: SchemaFn,
    /// Who may call it.
    pub auth: Auth,
    /// Query parameters: (name, allowed values).
    pub query: &'static [(&'static str, &'static [&'static str])],
    /// The success body is raw bytes (`application/octet-stream`, with ETag / 304), not JSON.
    pub binary: bool,
}

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    request: Option<SchemaFn>,
    status: u16,
    response: SchemaFn,
    auth: Auth,
) -> Operation {
    Operation {
        method,
        path,
        summary,
        request,
        status,
        response,
        auth,
        query: &[],
        binary: false,
    }
}

/// Every operation (keep in step with [`crate::ROUTES`]; a test checks).
pub const OPERATIONS: &[Operation] = &[
    op(
        "GET",
        crate::HEALTH,
        "Liveness and version",
        None,
        200,
        schema::<Health>,
        Auth::Public,
    ),
    op(
        "GET",
        crate::OPENAPI,
        "This document",
        None,
        200,
        schema::<Value>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::NORMALIZE,
        "Normalize one platform's metrics, or a list",
        Some(schema::<NormalizeRequest>),
        200,
        schema::<NormalizeResponse>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::FEATURES,
        "Cross-platform insight and the 19 unified features of a campaign",
        Some(schema::<FeaturesRequest>),
        200,
        schema::<FeaturesResponse>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::CTR_SCORE,
        "Calibrated CTR with a 95 % interval from an embedded model",
        Some(schema::<ScoreRequest>),
        200,
        schema::<ScoreResponse>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::ACCOUNTS,
        "Create an account; its token is returned once",
        Some(schema::<CreateAccountRequest>),
        201,
        schema::<CreatedAccount>,
        Auth::Operator,
    ),
    op(
        "DELETE",
        crate::ACCOUNT,
        "Erase the account and all its data",
        None,
        200,
        schema::<Erasure>,
        Auth::Account,
    ),
    op(
        "POST",
        crate::ACCOUNT_RECORDS,
        "Ingest up to 500 records (idempotent by record id)",
        Some(schema::<IngestRequest>),
        200,
        schema::<IngestReport>,
        Auth::Account,
    ),
    op(
        "PUT",
        crate::ACCOUNT_CONSENT,
        "Opt in to or out of cross-learning",
        Some(schema::<ConsentRequest>),
        200,
        schema::<ConsentResponse>,
        Auth::Account,
    ),
    op(
        "GET",
        crate::ACCOUNT_EXPORT,
        "Everything stored about the account",
        None,
        200,
        schema::<Export>,
        Auth::Account,
    ),
    Operation {
        query: &[("force_refresh", &["true", "false", "1", "0"])],
        ..op(
            "GET",
            crate::NICHE_WISDOM,
            "The niche's latest published wisdom (re-read, never re-released)",
            None,
            200,
            schema::<WisdomAnswer>,
            Auth::Public,
        )
    },
    op(
        "GET",
        crate::ALL_WISDOM,
        "Every published niche's wisdom",
        None,
        200,
        schema::<AllWisdom>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::DETECT_NICHE,
        "Detect a niche from ad copy (public) or from an account's records (its token)",
        Some(schema::<DetectNicheRequest>),
        200,
        schema::<DetectNicheResponse>,
        Auth::Optional,
    ),
    op(
        "POST",
        crate::EXTRACT_INSIGHTS,
        "Extract and store the account's insight from its records",
        Some(schema::<ExtractInsightsRequest>),
        200,
        schema::<ExtractInsightsResponse>,
        Auth::Account,
    ),
    op(
        "POST",
        crate::APPLY_WISDOM,
        "Recommendations from the niche's latest published release",
        Some(schema::<ApplyWisdomRequest>),
        200,
        schema::<ApplyWisdomResponse>,
        Auth::Account,
    ),
    op(
        "GET",
        crate::DASHBOARD,
        "The account against its niche's release",
        None,
        200,
        schema::<DashboardResponse>,
        Auth::Account,
    ),
    op(
        "GET",
        crate::STATS,
        "Published niches, release ids and periods, noisy counts",
        None,
        200,
        schema::<StatsResponse>,
        Auth::Public,
    ),
    Operation {
        binary: true,
        ..op(
            "GET",
            crate::MODEL_FILE,
            "A model file the Worker embeds (strong ETag; 304 on If-None-Match)",
            None,
            200,
            schema::<Value>,
            Auth::Public,
        )
    },
    op(
        "POST",
        crate::SCORE,
        "Alias of /api/ctr/score",
        Some(schema::<ScoreRequest>),
        200,
        schema::<ScoreResponse>,
        Auth::Public,
    ),
    op(
        "POST",
        crate::ADMIN_PUBLISH,
        "Run the publication now (or dated at_ms), as the cron does",
        Some(schema::<PublishRequest>),
        200,
        schema::<PublishReport>,
        Auth::Operator,
    ),
    op(
        "POST",
        crate::ADMIN_FAULTS,
        "Dev only: make this isolate's D1 writes fail (off | all | after:N); 403 unless the FAULT_INJECTION var is on",
        Some(schema::<crate::store::faults::FaultRequest>),
        200,
        schema::<crate::store::faults::FaultState>,
        Auth::Operator,
    ),
    op(
        "GET",
        crate::runtime::RUNTIME,
        "This isolate's wasm linear memory and rate-limiter size (soak diagnostics)",
        None,
        200,
        schema::<crate::runtime::Runtime>,
        Auth::Operator,
    ),
    op(
        "GET",
        crate::redis_routes::REDIS_HEALTH,
        "Redis aggregate store: configured, reachable, ready, outbox backlog",
        None,
        200,
        schema::<crate::redis_routes::Health>,
        Auth::Operator,
    ),
    op(
        "POST",
        crate::redis_routes::REDIS_SYNC,
        "Drain the D1 outbox into Redis",
        None,
        200,
        schema::<crate::aggregates::SyncReport>,
        Auth::Operator,
    ),
    op(
        "POST",
        crate::redis_routes::REDIS_REBUILD,
        "Rebuild Redis's aggregates from D1",
        None,
        200,
        schema::<crate::aggregates::SyncReport>,
        Auth::Operator,
    ),
    op(
        "GET",
        crate::redis_routes::REDIS_CHECK,
        "Redis aggregates vs a fresh D1 aggregation (and their releases)",
        None,
        200,
        schema::<crate::aggregates::CheckReport>,
        Auth::Operator,
    ),
    Operation {
        query: &[("source", &["d1", "redis"])],
        ..op(
            "GET",
            crate::redis_routes::AGGREGATES,
            "The exact pre-noise aggregates from D1 or Redis",
            None,
            200,
            schema::<crate::redis_routes::AggregatesAnswer>,
            Auth::Operator,
        )
    },
];

/// The OpenAPI path of a route pattern (`/api/accounts/:id` -> `/api/accounts/{id}`) and its
/// parameter names.
pub fn openapi_path(pattern: &str) -> (String, Vec<&str>) {
    let mut params = Vec::new();
    let path = pattern
        .split('/')
        .map(|seg| match seg.strip_prefix(':') {
            Some(name) => {
                params.push(name);
                format!("{{{name}}}")
            }
            None => seg.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/");
    (path, params)
}

fn settings(serialize: bool) -> SchemaSettings {
    let s = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    if serialize {
        s.for_serialize()
    } else {
        s.for_deserialize()
    }
}

/// A response object for an error status.
fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "headers": {"Server-Timing": {"$ref": "#/components/headers/ServerTiming"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// The error statuses an operation can answer, with their descriptions.
fn error_statuses(op: &Operation, has_params: bool) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    if op.request.is_some() {
        out.push((400, "The body is not JSON (`malformed`)."));
    }
    if op.auth != Auth::Public {
        out.push((
            401,
            "No `Authorization: Bearer <token>`, or an unknown token.",
        ));
        out.push((
            403,
            "A valid token used beyond what it may do (another account, an operator route).",
        ));
    }
    if matches!(op.auth, Auth::Account | Auth::Optional) {
        out.push((404, "The account does not exist (operator only)."));
    }
    if op.binary {
        out.push((404, "No model file of that name."));
    }
    out.push((405, "The path does not accept this method (see `Allow`)."));
    if op.auth == Auth::Operator {
        out.push((409, "The account id is taken."));
    }
    if op.request.is_some() {
        out.push((413, "The body is larger than 1 MiB."));
    }
    if op.request.is_some() || has_params || !op.query.is_empty() {
        out.push((
            422,
            "A value of the wrong type or out of range; `field` names it.",
        ));
    }
    if crate::edge::is_rate_limited(op.method, op.path) {
        out.push((
            429,
            "Over this client's rate limit; retry after `Retry-After` seconds.",
        ));
    }
    if READS_RELEASES.contains(&op.path) {
        out.push((
            503,
            "A published release in KV cannot be read (`release_unavailable`); the next publication replaces it.",
        ));
    }
    if WRITES_D1.contains(&(op.method, op.path)) {
        out.push((
            503,
            "A D1 write failed (`storage_unavailable`, naming what was written); nothing of that write was stored and retrying is safe.",
        ));
    }
    out.push((500, "A fault on the server's side (generic message)."));
    if op.path.starts_with("/api/admin/redis/") || op.path == crate::redis_routes::AGGREGATES {
        out.push((
            503,
            "Redis is not configured or unreachable (`redis_unavailable`, with the reason).",
        ));
    }
    out
}

/// The operations that write D1 and answer 503 `storage_unavailable` when a write fails
/// (docs/robustness.md, "D1 write faults"): (method, path).
pub const WRITES_D1: &[(&str, &str)] = &[
    ("POST", crate::ACCOUNTS),
    ("DELETE", crate::ACCOUNT),
    ("POST", crate::ACCOUNT_RECORDS),
    ("PUT", crate::ACCOUNT_CONSENT),
    ("POST", crate::EXTRACT_INSIGHTS),
    ("POST", crate::ADMIN_PUBLISH),
    ("POST", crate::redis_routes::REDIS_SYNC),
    ("POST", crate::redis_routes::REDIS_REBUILD),
];

/// The routes that read published releases from KV (and answer 503 when one is unreadable).
pub const READS_RELEASES: &[&str] = &[
    crate::NICHE_WISDOM,
    crate::ALL_WISDOM,
    crate::APPLY_WISDOM,
    crate::DASHBOARD,
    crate::STATS,
];

/// Operations whose body may be left out (an empty body means `{}`): (method, path).
pub const OPTIONAL_BODIES: &[(&str, &str)] = &[
    ("POST", crate::ACCOUNTS),
    ("POST", crate::ADMIN_PUBLISH),
    ("POST", crate::ADMIN_FAULTS),
];

/// The pattern every account id matches ([`crate::service::check_account_id`]).
pub const ACCOUNT_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// The schema of path parameter `name`: account ids with their pattern, niches and model files
/// as the enums the handlers accept (canonical names), anything else a plain string.
fn path_param_schema(name: &str) -> Value {
    match name {
        "id" | "account_id" => json!({"type": "string", "pattern": ACCOUNT_ID_PATTERN}),
        "niche" => niche_schema(),
        "name" => {
            let names: Vec<&str> = crate::models::MODEL_FILES.iter().map(|(n, _)| *n).collect();
            json!({"type": "string", "enum": names})
        }
        _ => json!({"type": "string"}),
    }
}

/// One of the 15 niches a release exists for, by canonical name.
fn niche_schema() -> Value {
    let names: Vec<&str> = crosslearn::niche::Niche::ALL
        .iter()
        .map(|n| n.as_str())
        .collect();
    json!({"type": "string", "enum": names, "description": "A niche's canonical name (aliases in any letter case are accepted too)."})
}

/// Give every `account_id` string property of `schema` the account id pattern (the
/// handlers reject any other id with 422, so the document says so).
fn constrain_account_ids(schema: &mut Value) {
    let Some(id) = schema.pointer_mut("/properties/account_id") else {
        return;
    };
    let is_string =
        |t: &Value| t == "string" || t.as_array().is_some_and(|a| a.contains(&json!("string")));
    if let Some(obj) = id.as_object_mut() {
        if obj.get("type").is_some_and(is_string) {
            obj.insert("pattern".into(), json!(ACCOUNT_ID_PATTERN));
        }
    }
}

/// `{"type": "string"}` with nothing that narrows it (a description at most).
fn is_plain_string(schema: &Value) -> bool {
    schema.as_object().is_some_and(|o| {
        o.get("type") == Some(&json!("string"))
            && o.keys().all(|k| k == "type" || k == "description")
    })
}

/// Build the document (see [`document`] for the cached one).
pub fn build() -> Value {
    generate().0
}

/// The document, and the names of types whose request and response schemas differ (the
/// response one is then dropped, as both would need one name: a test keeps this list empty).
pub fn generate() -> (Value, Vec<String>) {
    // Requests as deserialized, responses as serialized; the two share `components/schemas`.
    let mut requests = settings(false).into_generator();
    let mut responses = settings(true).into_generator();
    let error_schema = responses.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for op in OPERATIONS {
        let (path, params) = openapi_path(op.path);
        let mut parameters: Vec<Value> = params
            .iter()
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_param_schema(name)}))
            .collect();
        for (name, values) in op.query {
            parameters.push(
                json!({"name": name, "in": "query", "required": false, "schema": {"type": "string", "enum": values}}),
            );
        }
        let mut responses_obj = Map::new();
        if op.binary {
            let etag = json!({"description": "Strong validator: a hash of the bytes.", "schema": {"type": "string"}});
            responses_obj.insert(
                op.status.to_string(),
                json!({
                    "description": "The file's bytes.",
                    "headers": {"Server-Timing": {"$ref": "#/components/headers/ServerTiming"}, "ETag": etag},
                    "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
                }),
            );
            responses_obj.insert(
                "304".into(),
                json!({"description": "Not modified (If-None-Match matched the ETag).", "headers": {"ETag": etag}}),
            );
        } else {
            responses_obj.insert(
                op.status.to_string(),
                json!({
                    "description": "Success.",
                    "headers": {"Server-Timing": {"$ref": "#/components/headers/ServerTiming"}},
                    "content": {"application/json": {"schema": (op.response)(&mut responses)}}
                }),
            );
        }
        for (status, description) in error_statuses(op, !params.is_empty()) {
            let mut r = error_response(description);
            if status == 429 {
                r["headers"]["Retry-After"] = json!({
                    "description": "Whole seconds until a request will be accepted.",
                    "schema": {"type": "integer", "minimum": 1}
                });
            }
            // Two causes of one status (a 503 of KV and of D1): one response, both descriptions.
            match responses_obj.get_mut(&status.to_string()) {
                Some(existing) => {
                    let both = format!(
                        "{} {description}",
                        existing["description"].as_str().unwrap_or_default()
                    );
                    existing["description"] = json!(both);
                }
                None => {
                    responses_obj.insert(status.to_string(), r);
                }
            }
        }
        let security = match op.auth {
            Auth::Public => json!([]),
            Auth::Account => json!([{"accountToken": []}, {"operatorToken": []}]),
            Auth::Operator => json!([{"operatorToken": []}]),
            Auth::Optional => json!([{}, {"accountToken": []}, {"operatorToken": []}]),
        };
        let mut operation = json!({
            "summary": op.summary,
            "operationId": format!("{} {}", op.method.to_lowercase(), path),
            "security": security,
            "responses": responses_obj,
        });
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if let Some(request) = op.request {
            let optional = OPTIONAL_BODIES.contains(&(op.method, op.path));
            operation["requestBody"] = json!({
                "required": !optional,
                "content": {"application/json": {"schema": request(&mut requests)}}
            });
        }
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[op.method.to_lowercase()] = operation;
    }
    let mut schemas = requests.take_definitions(true);
    let mut conflicts = Vec::new();
    for (name, schema) in responses.take_definitions(true) {
        match schemas.get(&name) {
            // The core's vocabularies (platform, niche, hook type...) deserialize through
            // `TryFrom<String>`, which schemars can only describe as "a string". Their
            // serialized form is the enum of canonical names: document that, and say that
            // input also takes aliases in any letter case.
            Some(existing) if is_plain_string(existing) && schema.get("type").is_none() => {
                let mut strict = schema;
                let note = "Canonical names. Input also accepts the documented aliases, in any letter case.";
                strict
                    .as_object_mut()
                    .map(|o| o.insert("description".into(), json!(note)));
                schemas.insert(name, strict);
            }
            Some(existing) if *existing != schema => conflicts.push(name),
            _ => {
                schemas.insert(name, schema);
            }
        }
    }
    for schema in schemas.values_mut() {
        constrain_account_ids(schema);
    }
    // apply-wisdom's optional niche: one of the 15 (the handler refuses others with 422).
    if let Some(niche) = schemas
        .get_mut("ApplyWisdomRequest")
        .and_then(|s| s.pointer_mut("/properties/niche"))
    {
        let description = niche.get("description").cloned();
        *niche = json!({"anyOf": [niche_schema(), {"type": "null"}]});
        if let Some(d) = description {
            niche["description"] = d;
        }
    }
    debug_assert_eq!(
        error_schema,
        json!({"$ref": "#/components/schemas/ErrorBody"})
    );
    let doc = json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "crosslearn edge API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Cross-platform ad learning: normalizer, features, CTR scores, accounts and private niche wisdom. Generated from the Worker's Rust types (worker/src/openapi.rs). Every error is {\"error\": {\"code\", \"message\", \"field\"}}."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "headers": {
                "ServerTiming": {
                    "description": "`handler;dur=<ms>`: time spent inside the Worker.",
                    "schema": {"type": "string"}
                }
            },
            "securitySchemes": {
                "accountToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An account token (`clt_` + 64 hex digits) from POST /api/accounts; acts on its own account only."
                },
                "operatorToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The OPERATOR_TOKEN secret: creates accounts, acts on any account."
                }
            }
        }
    });
    (doc, conflicts)
}

/// The document, built on first use and kept for the isolate's lifetime.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Caller;
    use crate::store::memory::{run, MemoryStore};
    use crate::{api, service, wisdom};

    /// What schemathesis found (docs/schemathesis.md): schema-valid values the handlers refused.
    /// The document now narrows them to what the handlers accept, checked here against the
    /// handlers' own validation.
    #[test]
    fn path_parameters_and_account_ids_say_what_the_handlers_accept() {
        let doc = build();
        let param = |path: &str, method: &str, name: &str| -> Value {
            doc["paths"][path][method]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .unwrap()["schema"]
                .clone()
        };
        let id = param("/api/accounts/{id}/export", "get", "id");
        let dash = param(
            "/api/cross-learning/dashboard/{account_id}",
            "get",
            "account_id",
        );
        let body_id =
            doc["components"]["schemas"]["ApplyWisdomRequest"]["properties"]["account_id"].clone();
        let opt_id = doc["components"]["schemas"]["CreateAccountRequest"]["properties"]
            ["account_id"]
            .clone();
        for (value, ok) in [
            ("acc_1-B", true),
            ("", false),
            ("t\u{f2}", false),
            (&"a".repeat(65) as &str, false),
            (&"a".repeat(64), true),
        ] {
            assert_eq!(
                service::check_account_id("id", value).is_ok(),
                ok,
                "{value:?}"
            );
            for schema in [&id, &dash, &body_id] {
                assert_eq!(
                    check(&doc, schema, &json!(value)).is_ok(),
                    ok,
                    "{value:?} {schema}"
                );
            }
            assert_eq!(
                check(&doc, &opt_id, &json!(value)).is_ok(),
                ok,
                "{value:?} {opt_id}"
            );
        }
        assert!(check(&doc, &opt_id, &Value::Null).is_ok(), "{opt_id}");

        let niche = param("/api/cross-learning/niche-wisdom/{niche}", "get", "niche");
        let niches = niche["enum"].as_array().unwrap();
        assert_eq!(niches.len(), 15);
        for n in niches {
            assert!(wisdom::parse_niche(n.as_str().unwrap()).is_ok(), "{n}");
        }
        assert!(!niches.contains(&json!("unknown")));
        let body_niche =
            doc["components"]["schemas"]["ApplyWisdomRequest"]["properties"]["niche"].clone();
        for (value, ok) in [
            (json!("fitness"), true),
            (Value::Null, true),
            (json!(""), false),
            (json!("unknown"), false),
        ] {
            assert_eq!(check(&doc, &body_niche, &value).is_ok(), ok, "{value}");
        }
        let model = param("/api/models/{name}", "get", "name");
        for name in model["enum"].as_array().unwrap() {
            assert!(
                crate::models::get_model(name.as_str().unwrap(), None).is_ok(),
                "{name}"
            );
        }

        // An empty body means {} for these two; every other body is required.
        for (path, method) in [("/api/accounts", "post"), ("/api/admin/publish", "post")] {
            assert_eq!(
                doc["paths"][path][method]["requestBody"]["required"], false,
                "{path}"
            );
        }
        assert_eq!(
            doc["paths"]["/api/normalize"]["post"]["requestBody"]["required"],
            true
        );
    }

    /// Validate `instance` against the document's schema `schema` (a `$ref` or an inline schema),
    /// resolving references inside the document.
    fn check(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut root = schema.as_object().cloned().unwrap_or_default();
        root.insert("components".into(), doc["components"].clone());
        let validator = jsonschema::draft202012::new(&Value::Object(root))
            .map_err(|e| format!("schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    fn operation<'a>(doc: &'a Value, method: &str, pattern: &str) -> &'a Value {
        &doc["paths"][openapi_path(pattern).0][method.to_lowercase()]
    }

    fn response_schema<'a>(doc: &'a Value, method: &str, pattern: &str, status: u16) -> &'a Value {
        &operation(doc, method, pattern)["responses"][status.to_string()]["content"]
            ["application/json"]["schema"]
    }

    fn request_schema<'a>(doc: &'a Value, method: &str, pattern: &str) -> &'a Value {
        &operation(doc, method, pattern)["requestBody"]["content"]["application/json"]["schema"]
    }

    fn value<T: serde::Serialize>(v: T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn table_and_route_table_list_the_same_operations() {
        let mut routes: Vec<(String, String)> = crate::ROUTES
            .iter()
            .flat_map(|(path, methods)| {
                methods
                    .split(',')
                    .map(|m| (path.to_string(), m.trim().to_string()))
            })
            .collect();
        let mut ops: Vec<(String, String)> = OPERATIONS
            .iter()
            .map(|o| (o.path.to_string(), o.method.to_string()))
            .collect();
        routes.sort();
        ops.sort();
        assert_eq!(ops, routes, "OPERATIONS and ROUTES differ");
        let doc = build();
        for (path, method) in &routes {
            assert!(
                operation(&doc, method, path).is_object(),
                "{method} {path} missing from the document"
            );
        }
    }

    #[test]
    fn document_is_strict_and_consistent() {
        let (doc, conflicts) = generate();
        assert!(
            conflicts.is_empty(),
            "types with two schemas: {conflicts:?}"
        );
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        // Every $ref points at a schema that exists.
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &piece[..piece.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        // Request bodies: named objects that refuse unknown fields and list what is required.
        for op in OPERATIONS.iter().filter(|o| o.request.is_some()) {
            let r = request_schema(&doc, op.method, op.path);
            let name = r["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
            let s = &schemas[name];
            assert_eq!(s["additionalProperties"], json!(false), "{name}");
            assert!(
                s["required"].is_array()
                    || [
                        "CreateAccountRequest",
                        "DetectNicheRequest",
                        "PublishRequest",
                        "FaultRequest"
                    ]
                    .contains(&name),
                "{name}: {s}"
            );
        }
        let required = |name: &str| schemas[name]["required"].clone();
        assert_eq!(required("ConsentRequest"), json!(["opted_in"]));
        assert_eq!(required("ScoreRequest"), json!(["model"]));
        let pm = required("PlatformMetrics");
        for f in [
            "platform",
            "ctr",
            "cpc",
            "cpm",
            "impressions",
            "clicks",
            "spend",
        ] {
            assert!(pm.as_array().unwrap().contains(&json!(f)), "{f}");
        }
        assert!(!pm.as_array().unwrap().contains(&json!("revenue")));
        assert_eq!(
            schemas["PlatformMetrics"]["additionalProperties"],
            json!(false)
        );
        // Every 4xx and the 500 answer the error schema; every op has 405 and its success.
        for op in OPERATIONS {
            let o = operation(&doc, op.method, op.path);
            let responses = o["responses"].as_object().unwrap();
            assert!(responses.contains_key(&op.status.to_string()));
            assert!(responses.contains_key("405"));
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{} {} {status}",
                        op.method,
                        op.path
                    );
                }
            }
            let security = o["security"].as_array().unwrap();
            assert_eq!(security.is_empty(), op.auth == Auth::Public);
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["accountToken"]["scheme"],
            "bearer"
        );
        let wisdom = operation(&doc, "GET", crate::NICHE_WISDOM);
        assert!(wisdom["responses"]["429"]["headers"]["Retry-After"].is_object());
        assert_eq!(wisdom["parameters"][0]["name"], "niche");
        assert_eq!(wisdom["parameters"][1]["in"], "query");
        let error = &schemas["ErrorDetail"];
        assert_eq!(error["required"], json!(["code", "message", "field"]));
    }

    #[test]
    fn real_responses_match_the_document() {
        let doc = build();
        let ok = |method: &str, pattern: &str, status: u16, v: Value| {
            let schema = response_schema(&doc, method, pattern, status);
            check(&doc, schema, &v).unwrap_or_else(|e| panic!("{method} {pattern}: {e}\n{v}"));
        };
        ok("GET", crate::HEALTH, 200, value(api::health()));

        // The account service over the in-memory fakes.
        let store = MemoryStore::new();
        let now = "2026-01-02T03:04:05.006Z";
        let created = run(service::create_account(
            &store,
            &Caller::Operator,
            br#"{"account_id": "acc_1"}"#,
            now,
            "unused".into(),
            "clt_x".into(),
        ))
        .unwrap();
        ok("POST", crate::ACCOUNTS, 201, value(&created));
        let caller = Caller::Account("acc_1".into());
        let records = json!({"records": [
            {"record_id": "r1", "platform": "meta", "niche": "fitness", "hook_type": "question",
             "impressions": 1000, "clicks": 20, "spend": 12.5},
            {"record_id": "r2", "platform": "meta", "impressions": 10, "clicks": 20, "spend": 1.0}
        ]});
        let req = request_schema(&doc, "POST", crate::ACCOUNT_RECORDS);
        check(&doc, req, &records).unwrap();
        let report = run(service::ingest(
            &store,
            &caller,
            "acc_1",
            &serde_json::to_vec(&records).unwrap(),
            now,
        ))
        .unwrap();
        assert_eq!((report.stored, report.rejected), (1, 1));
        ok("POST", crate::ACCOUNT_RECORDS, 200, value(&report));
        let consent = run(service::set_consent(
            &store,
            &caller,
            "acc_1",
            br#"{"opted_in": true}"#,
            now,
        ))
        .unwrap();
        ok("PUT", crate::ACCOUNT_CONSENT, 200, value(&consent));
        let export = run(service::export(&store, &caller, "acc_1", now)).unwrap();
        assert_eq!(export.records.len(), 1);
        ok("GET", crate::ACCOUNT_EXPORT, 200, value(&export));
        let erased = run(service::erase(&store, &caller, "acc_1")).unwrap();
        ok("DELETE", crate::ACCOUNT, 200, value(&erased));

        // Public routes.
        let meta = json!({"platform": "meta", "ctr": 0.025, "cpc": 1.5, "cpm": 12.0,
            "impressions": 10000, "clicks": 250, "spend": 375.0, "engagement_rate": null});
        for body in [
            json!({"metrics": meta}),
            json!({"metrics": [meta, meta], "mode": "seed"}),
        ] {
            check(&doc, request_schema(&doc, "POST", crate::NORMALIZE), &body).unwrap();
            let out = api::normalize_body(&serde_json::to_vec(&body).unwrap()).unwrap();
            ok("POST", crate::NORMALIZE, 200, value(out));
        }
        let features = json!({"platform_data": [meta]});
        check(
            &doc,
            request_schema(&doc, "POST", crate::FEATURES),
            &features,
        )
        .unwrap();
        let out = api::features_body(&serde_json::to_vec(&features).unwrap()).unwrap();
        ok("POST", crate::FEATURES, 200, value(out));
        let score = json!({"model": "pre_launch", "creatives": [{"platform": "tiktok",
            "hook_type": "question", "cta_style": "shop_now", "visual_tags": [], "format": "video"}]});
        check(&doc, request_schema(&doc, "POST", crate::CTR_SCORE), &score).unwrap();
        let out = api::score_body(&serde_json::to_vec(&score).unwrap()).unwrap();
        ok("POST", crate::CTR_SCORE, 200, value(out));

        // A real release, made by the cron's code from 8 opted-in accounts (k 3, ε 100 so the
        // small network is published), then every route that reads it.
        let kv = MemoryStore::new();
        let none = run(wisdom::niche_wisdom(&kv, "fitness", None)).unwrap();
        ok("GET", crate::NICHE_WISDOM, 200, value(none));
        let net = MemoryStore::new();
        for i in 0..8 {
            crate::publish::tests::account(&net, &format!("f{i}"), "fitness", true);
        }
        let config = crosslearn::wisdom::ReleaseConfig {
            k: 3,
            epsilon: 100.0,
            budget_per_window: 400.0,
            ..Default::default()
        };
        let report = run(crate::publish::publish(
            &net,
            &kv,
            crate::publish::tests::NOW,
            &config,
            7,
        ))
        .unwrap();
        ok("POST", crate::ADMIN_PUBLISH, 200, value(&report));
        let found = run(wisdom::niche_wisdom(&kv, "fitness", None)).unwrap();
        assert!(matches!(found, wisdom::WisdomAnswer::Found { .. }));
        ok("GET", crate::NICHE_WISDOM, 200, value(found));
        ok(
            "GET",
            crate::ALL_WISDOM,
            200,
            value(run(wisdom::all_wisdom(&kv)).unwrap()),
        );
        ok(
            "GET",
            crate::STATS,
            200,
            value(run(crate::crosslearning::stats(&kv, now)).unwrap()),
        );
        let model = crate::models::niche_model().unwrap();
        let f0 = Caller::Account("f0".into());
        let applied = run(crate::crosslearning::apply_wisdom(
            &net,
            &kv,
            &f0,
            model,
            br#"{"account_id": "f0"}"#,
            now,
            "ev1".into(),
        ))
        .unwrap();
        ok("POST", crate::APPLY_WISDOM, 200, value(applied));
        let dash = run(crate::crosslearning::account_dashboard(
            &net, &kv, &f0, model, "f0", now,
        ))
        .unwrap();
        ok("GET", crate::DASHBOARD, 200, value(dash));
        let detected = run(crate::crosslearning::detect_niche(
            &net,
            Err(crate::error::ApiError::Unauthorized {
                message: "no token".into(),
            }),
            model,
            br#"{"text": "Home workout plan: burn fat and build muscle in 20 minutes"}"#,
            now,
        ))
        .unwrap();
        ok("POST", crate::DETECT_NICHE, 200, value(detected));
        ok("GET", crate::OPENAPI, 200, doc.clone());

        // Errors, on every 4xx of an operation.
        let e = api::normalize_body(br#"{"metrics": 3}"#).unwrap_err();
        ok("POST", crate::NORMALIZE, 422, value(e.body()));
        let e = crate::error::ApiError::RateLimited { retry_after_s: 2 };
        ok("GET", crate::ALL_WISDOM, 429, value(e.body()));
    }

    #[test]
    fn the_schemas_reject_what_the_handlers_reject() {
        let doc = build();
        let bad = |pattern: &str, body: Value| {
            let schema = request_schema(&doc, "POST", pattern);
            assert!(
                check(&doc, schema, &body).is_err(),
                "{pattern} accepted {body}"
            );
        };
        let meta = json!({"platform": "meta", "ctr": 0.025, "cpc": 1.5, "cpm": 12.0,
            "impressions": 10000, "clicks": 250, "spend": 375.0});
        bad(crate::NORMALIZE, json!({"metrics": meta, "extra": 1}));
        let mut extra = meta.clone();
        extra["bogus"] = json!(1);
        bad(crate::NORMALIZE, json!({"metrics": [extra]}));
        let mut missing = meta.clone();
        missing.as_object_mut().unwrap().remove("spend");
        bad(crate::NORMALIZE, json!({"metrics": missing}));
        bad(crate::NORMALIZE, json!({"metrics": meta, "mode": "fast"}));
        let mut platform = meta.clone();
        platform["platform"] = json!("myspace");
        bad(crate::NORMALIZE, json!({"metrics": platform}));
        bad(crate::CTR_SCORE, json!({"model": "nope", "rows": []}));
        bad(crate::ACCOUNTS, json!({"id": "x"}));
        // And the handlers agree.
        assert!(api::normalize_body(br#"{"metrics": {}, "extra": 1}"#).is_err());
        assert!(
            api::normalize_body(&serde_json::to_vec(&json!({"metrics": platform})).unwrap())
                .is_err()
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            openapi_path("/api/accounts/:id/records"),
            ("/api/accounts/{id}/records".to_string(), vec!["id"])
        );
        assert_eq!(openapi_path("/health"), ("/health".to_string(), vec![]));
        assert!(std::ptr::eq(document(), document()));
    }
}
