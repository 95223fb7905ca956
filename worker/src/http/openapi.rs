//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the same Rust types the
//! handlers parse and answer with (schemars derives; the core's wire types derive it behind the
//! core's `schemars` feature).
//!
//! Every operation is a row of the route table ([`crate::routes::ROUTES`]): method, path, request
//! body type (required or optional), success status and type, who may call it, and the facts that
//! add error statuses (rate limit, D1 writes, release reads, Redis).
//!
//! Strictness comes from the types: request bodies are described as they are *deserialized*
//! (`required` lists exactly the fields without a default, `additionalProperties: false` where
//! the type denies unknown fields, which every request type does), responses as they are
//! *serialized* (every field the type always writes is `required`). Every 4xx (and the generic
//! 500) answers the error schema `{"error": {"code", "message", "field"}}`.
//!
//! The route serving it builds the document once per isolate and serves it as is.

use crate::error::ErrorBody;
use crate::http::table::{Answer, Auth, Body, Query, Route};
use schemars::generate::SchemaSettings;
use serde_json::{json, Map, Value};

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
fn error_statuses(op: &Route, has_params: bool) -> Vec<(u16, &'static str)> {
    let mut out = Vec::new();
    let has_body = !matches!(op.body, Body::None);
    if has_body {
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
    if matches!(op.answer, Answer::Binary) {
        out.push((404, "No model file of that name."));
    }
    if op.dev_only {
        out.push((
            404,
            "A development aid: absent where ENVIRONMENT is production.",
        ));
    }
    out.push((405, "The path does not accept this method (see `Allow`)."));
    if op.auth == Auth::Operator {
        out.push((409, "The account id is taken."));
    }
    if has_body && op.accepts_csv {
        out.push((
            413,
            "The body is larger than 1 MiB (from Content-Length before it is read, or once the \
             streamed bytes pass it), or a CSV body reached data row 501; nothing was stored.",
        ));
    } else if has_body {
        out.push((413, "The body is larger than 1 MiB."));
    }
    if has_body || has_params || !op.query.is_empty() {
        out.push((
            422,
            "A value of the wrong type or out of range; `field` names it.",
        ));
    }
    match op.limit {
        crate::http::table::Limit::PerClient => out.push((
            429,
            "Over this client's rate limit; retry after `Retry-After` seconds.",
        )),
        crate::http::table::Limit::PerAccount => out.push((
            429,
            "Over this client's or this token's rate limit (the message names it); retry after `Retry-After` seconds.",
        )),
        crate::http::table::Limit::None => {}
    }
    if op.auth != Auth::Public {
        out.push((
            503,
            "The operator token configured on the server is too weak (`config_error` naming OPERATOR_TOKEN).",
        ));
    }
    if op.reads_releases {
        out.push((
            503,
            "A published release in KV cannot be read (`release_unavailable`); the next publication replaces it.",
        ));
    }
    if op.needs_model {
        out.push((
            503,
            "A model file the Worker reads from KV (binding MODELS) is missing or differs from the hash it was built with (`model_unavailable`, naming the key and expected vs got hash).",
        ));
    }
    if op.writes_d1 {
        out.push((
            503,
            "A D1 write failed (`storage_unavailable`, naming what was written); nothing of that write was stored and retrying is safe.",
        ));
    }
    out.push((500, "A fault on the server's side (generic message)."));
    if op.needs_redis {
        out.push((
            503,
            "Redis is not configured or unreachable (`redis_unavailable`, with the reason).",
        ));
    }
    out
}

/// The pattern every account id matches ([`crate::service::accounts::check_account_id`]).
pub const ACCOUNT_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";

/// The schema of path parameter `name`: account ids with their pattern, niches and model files
/// as the enums the handlers accept (canonical names), anything else a plain string.
fn path_param_schema(name: &str) -> Value {
    match name {
        "id" | "account_id" => json!({"type": "string", "pattern": ACCOUNT_ID_PATTERN}),
        "niche" => niche_schema(),
        "name" => {
            let names = crate::service::models::model_names();
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

/// Build the document of `table`.
pub fn build(table: &[Route]) -> Value {
    generate(table).0
}

/// The document, and the names of types whose request and response schemas differ (the
/// response one is then dropped, as both would need one name: a test keeps this list empty).
pub fn generate(table: &[Route]) -> (Value, Vec<String>) {
    // Requests as deserialized, responses as serialized; the two share `components/schemas`.
    let mut requests = settings(false).into_generator();
    let mut responses = settings(true).into_generator();
    let error_schema = responses.subschema_for::<ErrorBody>();
    let mut paths = Map::new();
    for op in table {
        let method = op.method.as_str();
        let (path, params) = openapi_path(op.path);
        let mut parameters: Vec<Value> = params
            .iter()
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_param_schema(name)}))
            .collect();
        for q in op.query {
            let schema = match *q {
                Query::Enum(_, values) => json!({"type": "string", "enum": values}),
                Query::Integer(_, min, max) => {
                    json!({"type": "integer", "minimum": min, "maximum": max})
                }
                Query::Pattern(_, pattern) => json!({"type": "string", "pattern": pattern}),
            };
            parameters.push(
                json!({"name": q.name(), "in": "query", "required": false, "schema": schema}),
            );
        }
        let mut responses_obj = Map::new();
        if let Answer::Json(response) = op.answer {
            responses_obj.insert(
                op.status.to_string(),
                json!({
                    "description": "Success.",
                    "headers": {"Server-Timing": {"$ref": "#/components/headers/ServerTiming"}},
                    "content": {"application/json": {"schema": response(&mut responses)}}
                }),
            );
        } else {
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
            "operationId": format!("{} {}", method.to_lowercase(), path),
            "security": security,
            "responses": responses_obj,
        });
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        let request = match op.body {
            Body::None => None,
            Body::Required(schema) => Some((schema, true)),
            Body::Optional(schema) => Some((schema, false)),
        };
        if let Some((schema, required)) = request {
            operation["requestBody"] = json!({
                "required": required,
                "content": {"application/json": {"schema": schema(&mut requests)}}
            });
            if op.accepts_csv {
                operation["requestBody"]["content"]["text/csv"] = json!({
                    "schema": {
                        "type": "string",
                        "description": "A CSV export in any format the core imports (Facebook, \
                            TikTok, KAG, Microsoft Advertising, X, LinkedIn, the generic record \
                            CSV; docs/data-layer.md), at most 500 data rows and 1 MiB. The \
                            body is imported as it streams in: past 1 MiB or at data row 501 \
                            it is refused with 413 too_large, and an unrecognised header with \
                            422, before the rest is parsed; nothing is stored unless the whole \
                            body fits. Rejected rows are answered with their line (docs/worker.md)."
                    }
                });
            }
        }
        let item = paths
            .entry(path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[method.to_lowercase()] = operation;
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
            "description": "Cross-platform ad learning: normalizer, features, CTR scores, accounts and private niche wisdom. Generated from the Worker's Rust types (worker/src/routes/mod.rs, worker/src/http/openapi.rs). Every error is {\"error\": {\"code\", \"message\", \"field\"}}."
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{self, ROUTES};
    use crate::service::auth::Caller;
    use crate::service::{self as service_mod, compute as api, wisdom};
    use crate::testing::requests as service;
    use crate::testing::{run, MemoryStore};

    fn build() -> Value {
        super::build(ROUTES)
    }

    fn generate() -> (Value, Vec<String>) {
        super::generate(ROUTES)
    }

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
                service_mod::accounts::check_account_id("id", value).is_ok(),
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
            let cache = crate::service::models::NicheCache::new();
            let store = crate::testing::MemoryModels::seeded();
            let name = name.as_str().unwrap();
            let got = run(crate::service::models::get_model(
                name, None, &store, &cache,
            ));
            assert!(got.is_ok(), "{name}");
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
    fn the_document_has_every_route_and_nothing_else() {
        let doc = build();
        for r in ROUTES {
            assert!(
                operation(&doc, r.method.as_str(), r.path).is_object(),
                "{} {} missing from the document",
                r.method.as_str(),
                r.path
            );
        }
        let operations: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| item.as_object().unwrap().len())
            .sum();
        assert_eq!(operations, ROUTES.len());
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
        for op in ROUTES.iter().filter(|o| !matches!(o.body, Body::None)) {
            let r = request_schema(&doc, op.method.as_str(), op.path);
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
        for op in ROUTES {
            let o = operation(&doc, op.method.as_str(), op.path);
            let responses = o["responses"].as_object().unwrap();
            assert!(responses.contains_key(&op.status.to_string()));
            assert!(responses.contains_key("405"));
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{} {} {status}",
                        op.method.as_str(),
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
        let wisdom = operation(&doc, "GET", routes::NICHE_WISDOM);
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
        for models in [
            crate::testing::MemoryModels::seeded(),
            crate::testing::MemoryModels::new(),
        ] {
            let cache = crate::service::models::NicheCache::new();
            let status = run(crate::service::models::niche_status(&models, &cache));
            ok("GET", routes::HEALTH, 200, value(api::health(vec![status])));
        }

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
        ok("POST", routes::ACCOUNTS, 201, value(&created));
        let caller = Caller::Account("acc_1".into());
        let records = json!({"records": [
            {"record_id": "r1", "platform": "meta", "niche": "fitness", "hook_type": "question",
             "impressions": 1000, "clicks": 20, "spend": 12.5},
            {"record_id": "r2", "platform": "meta", "impressions": 10, "clicks": 20, "spend": 1.0}
        ]});
        let req = request_schema(&doc, "POST", routes::ACCOUNT_RECORDS);
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
        ok("POST", routes::ACCOUNT_RECORDS, 200, value(&report));
        let consent = run(service::set_consent(
            &store,
            &caller,
            "acc_1",
            br#"{"opted_in": true}"#,
            now,
        ))
        .unwrap();
        ok("PUT", routes::ACCOUNT_CONSENT, 200, value(&consent));
        let export = run(service::export(&store, &caller, "acc_1", now)).unwrap();
        assert_eq!(export.records.len(), 1);
        ok("GET", routes::ACCOUNT_EXPORT, 200, value(&export));
        let erased = run(service::erase(&store, &caller, "acc_1")).unwrap();
        ok("DELETE", routes::ACCOUNT, 200, value(&erased));

        // Public routes.
        let meta = json!({"platform": "meta", "ctr": 0.025, "cpc": 1.5, "cpm": 12.0,
            "impressions": 10000, "clicks": 250, "spend": 375.0, "engagement_rate": null});
        for body in [
            json!({"metrics": meta}),
            json!({"metrics": [meta, meta], "mode": "seed"}),
        ] {
            check(&doc, request_schema(&doc, "POST", routes::NORMALIZE), &body).unwrap();
            let out = service::normalize_body(&serde_json::to_vec(&body).unwrap()).unwrap();
            ok("POST", routes::NORMALIZE, 200, value(out));
        }
        let features = json!({"platform_data": [meta]});
        check(
            &doc,
            request_schema(&doc, "POST", routes::FEATURES),
            &features,
        )
        .unwrap();
        let out = service::features_body(&serde_json::to_vec(&features).unwrap()).unwrap();
        ok("POST", routes::FEATURES, 200, value(out));
        let explore =
            json!({"platform": "tiktok", "count": 3, "formats": ["video"], "tag_probability": 0.5});
        check(
            &doc,
            request_schema(&doc, "POST", routes::EXPLORE),
            &explore,
        )
        .unwrap();
        let out = crate::service::compute::explore(
            serde_json::from_value(explore).unwrap(),
            &mut crosslearn::privacy::dgauss::noise_rng_from_seed(5),
        )
        .unwrap();
        ok("POST", routes::EXPLORE, 200, value(out));
        let score = json!({"model": "pre_launch", "creatives": [{"platform": "tiktok",
            "hook_type": "question", "cta_style": "shop_now", "visual_tags": [], "format": "video"}]});
        check(
            &doc,
            request_schema(&doc, "POST", routes::CTR_SCORE),
            &score,
        )
        .unwrap();
        let out = run(service::score_body(
            &MemoryStore::new(),
            &serde_json::to_vec(&score).unwrap(),
        ))
        .unwrap();
        ok("POST", routes::CTR_SCORE, 200, value(out));

        // A real release, made by the cron's code from 8 opted-in accounts (k 3, ε 100 so the
        // small network is published), then every route that reads it.
        let kv = MemoryStore::new();
        let none = run(wisdom::niche_wisdom(&kv, "fitness", None)).unwrap();
        ok("GET", routes::NICHE_WISDOM, 200, value(none));
        let (net, report, f2, c2) = crate::testing::fixtures::published_fitness_network(&kv);
        ok("POST", routes::ADMIN_PUBLISH, 200, value(&report));
        // The same run's format-2 release, and the ledger an account reads.
        let mut both = report.clone();
        both.format2 = Some(f2);
        ok("POST", routes::ADMIN_PUBLISH, 200, value(&both));
        let privacy = run(crate::service::format2::account_privacy(
            &net,
            "f0",
            crate::testing::fixtures::NOW,
            &c2,
        ))
        .unwrap();
        // Both formats' releases, each charged once.
        let mut kinds: Vec<&str> = privacy.releases.iter().map(|r| r.kind.as_str()).collect();
        kinds.sort_unstable();
        assert_eq!(kinds, ["lift", "suffstat"], "{privacy:?}");
        assert_eq!(privacy.window_pure_epsilon, 100.0);
        ok("GET", routes::ACCOUNT_PRIVACY, 200, value(privacy));
        // The grounded model scored on those releases.
        let grounded = json!({"model": "grounded", "creatives": [{"platform": "meta",
            "niche": "fitness", "hook_type": "question", "cta_style": "shop_now",
            "visual_tags": [], "format": "video"}]});
        check(
            &doc,
            request_schema(&doc, "POST", routes::CTR_SCORE),
            &grounded,
        )
        .unwrap();
        let out = run(service::score_body(
            &kv,
            &serde_json::to_vec(&grounded).unwrap(),
        ))
        .unwrap();
        assert!(!out.model.releases.as_ref().unwrap().is_empty());
        ok("POST", routes::CTR_SCORE, 200, value(out));
        // The same, personalised on an account's records.
        let creatives = json!({"creatives": grounded["creatives"].clone()});
        check(
            &doc,
            request_schema(&doc, "POST", routes::ACCOUNT_CTR_SCORE),
            &creatives,
        )
        .unwrap();
        let out = run(crate::service::scoring::account_score(
            &net,
            &kv,
            &Caller::Account("f0".into()),
            crate::testing::fixtures::niche_model(),
            "f0",
            serde_json::from_value(creatives).unwrap(),
        ))
        .unwrap();
        assert!(out.personalisation.used > 0);
        ok("POST", routes::ACCOUNT_CTR_SCORE, 200, value(out));
        let found = run(wisdom::niche_wisdom(&kv, "fitness", None)).unwrap();
        assert!(
            matches!(found, wisdom::WisdomAnswer::Found { format: 2, .. }),
            "{found:?}"
        );
        ok("GET", routes::NICHE_WISDOM, 200, value(found));
        ok(
            "GET",
            routes::ALL_WISDOM,
            200,
            value(run(wisdom::all_wisdom(&kv)).unwrap()),
        );
        ok(
            "GET",
            routes::STATS,
            200,
            value(run(crate::service::crosslearning::stats(&kv, now)).unwrap()),
        );
        let model = crate::testing::fixtures::niche_model();
        let f0 = Caller::Account("f0".into());
        let applied = run(service::apply_wisdom(
            &net,
            &kv,
            &f0,
            model,
            br#"{"account_id": "f0"}"#,
            now,
            "ev1".into(),
        ))
        .unwrap();
        ok("POST", routes::APPLY_WISDOM, 200, value(applied));
        let dash = run(crate::service::crosslearning::account_dashboard(
            &net, &kv, &f0, model, "f0", now,
        ))
        .unwrap();
        assert!(
            dash.posteriors.is_some(),
            "the dashboard carries the format-2 posteriors"
        );
        ok("GET", routes::DASHBOARD, 200, value(dash));
        let detected = run(service::detect_niche(
            &net,
            Err(crate::error::ApiError::Unauthorized {
                message: "no token".into(),
            }),
            model,
            br#"{"text": "Home workout plan: burn fat and build muscle in 20 minutes"}"#,
            now,
        ))
        .unwrap();
        ok("POST", routes::DETECT_NICHE, 200, value(detected));
        ok("GET", routes::OPENAPI, 200, doc.clone());

        // Errors, on every 4xx of an operation.
        let e = service::normalize_body(br#"{"metrics": 3}"#).unwrap_err();
        ok("POST", routes::NORMALIZE, 422, value(e.body()));
        let e = crate::error::ApiError::RateLimited {
            retry_after_s: 2,
            limit: "RATE_LIMIT_PER_MIN",
        };
        ok("GET", routes::ALL_WISDOM, 429, value(e.body()));
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
        bad(routes::NORMALIZE, json!({"metrics": meta, "extra": 1}));
        let mut extra = meta.clone();
        extra["bogus"] = json!(1);
        bad(routes::NORMALIZE, json!({"metrics": [extra]}));
        let mut missing = meta.clone();
        missing.as_object_mut().unwrap().remove("spend");
        bad(routes::NORMALIZE, json!({"metrics": missing}));
        bad(routes::NORMALIZE, json!({"metrics": meta, "mode": "fast"}));
        let mut platform = meta.clone();
        platform["platform"] = json!("myspace");
        bad(routes::NORMALIZE, json!({"metrics": platform}));
        bad(routes::CTR_SCORE, json!({"model": "nope", "rows": []}));
        bad(routes::ACCOUNTS, json!({"id": "x"}));
        // And the handlers agree.
        assert!(service::normalize_body(br#"{"metrics": {}, "extra": 1}"#).is_err());
        assert!(service::normalize_body(
            &serde_json::to_vec(&json!({"metrics": platform})).unwrap()
        )
        .is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(
            openapi_path("/api/accounts/:id/records"),
            ("/api/accounts/{id}/records".to_string(), vec!["id"])
        );
        assert_eq!(openapi_path("/health"), ("/health".to_string(), vec![]));
        let document = crate::routes::public::document;
        assert!(std::ptr::eq(document(), document()));
    }
}
