//! Account routes: create (operator), ingest, consent, export, token rotation, privacy ledger,
//! erase. Each change answers with the [`SYNC_HEADER`] saying what happened to the aggregate
//! store.

use crate::adapters::bindings;
use crate::error::ApiError;
use crate::http::json::{parse, parse_or_default};
use crate::http::respond::private_json;
use crate::http::{query_param, read_body, read_csv_body};
use crate::routes::{account_param, connect, now};
use crate::service::accounts::{self as service, owned};
use crate::service::aggregates::SyncOutcome;
use crate::service::auth;
use crate::service::sync::{Changed, Ports};
use worker::{console_error, Request, Response, RouteContext};

/// The response header on account changes saying what happened to Redis: `disabled`, `synced`,
/// `superseded` or `queued`.
pub const SYNC_HEADER: &str = "x-aggregates-sync";

/// `POST /api/accounts` (operator): create an account, answer its token once (201).
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        auth::require_operator(&caller)?;
        let request = parse_or_default(&body)?;
        let generated = format!("acc_{}", auth::hex(&auth::random_bytes::<8>()?));
        let token = auth::new_token()?;
        service::create_account(&store, &caller, request, &now(), generated, token).await
    }
    .await;
    private_json(result, 201)
}

/// `POST /api/accounts/{id}/records`: batch ingest, as JSON (`{"records": [...]}`) or, with
/// `Content-Type: text/csv`, as a CSV export in any format the core imports, streamed through
/// the importer as it arrives ([`read_csv_body`]). The token and the account are checked before
/// any of the body is read.
pub async fn ingest(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let owner = owned(&store, &caller, &id).await?;
        let csv = is_csv(req.headers().get("content-type").ok().flatten().as_deref());
        let link = bindings::redis_link(&ctx.env);
        let ports = Ports {
            store: &store,
            outbox: &store,
            link: &link,
        };
        let cap = service::max_records_from_var(
            bindings::var(&ctx.env, service::MAX_RECORDS_VAR).as_deref(),
        )
        .unwrap_or_else(|e| {
            console_error!("{e}; using the default record cap");
            service::DEFAULT_MAX_RECORDS
        });
        if csv {
            let report = read_csv_body(&mut req, service::MAX_CSV_ROWS).await?;
            return service::ingest_csv(&ports, &owner, report, &now(), cap).await;
        }
        let body = read_body(&mut req).await?;
        let request = parse(&body)?;
        service::ingest(&ports, &owner, request, &now(), cap).await
    }
    .await;
    changed(result)
}

/// Whether a `Content-Type` names CSV (`text/csv`, with or without parameters).
fn is_csv(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        t.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
    })
}

/// `PUT /api/accounts/{id}/consent`.
pub async fn consent(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let body = read_body(&mut req).await?;
        let owner = owned(&store, &caller, &id).await?;
        let request = parse(&body)?;
        let link = bindings::redis_link(&ctx.env);
        let ports = Ports {
            store: &store,
            outbox: &store,
            link: &link,
        };
        service::set_consent(&ports, &owner, request, &now()).await
    }
    .await;
    changed(result)
}

/// `POST /api/accounts/{id}/explore`: randomised briefs issued to the account (ChaCha20 seeded
/// from the OS) and kept, so that the records made from them can be ingested as randomised.
pub async fn explore(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let body = read_body(&mut req).await?;
        let owner = owned(&store, &caller, &id).await?;
        let request = parse(&body)?;
        let mut rng = crosslearn::privacy::dgauss::noise_rng_from_entropy()?;
        service::issue_briefs(&store, &owner, request, &mut rng, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/accounts/{id}/token`: rotate the account's token (the new one is answered once).
pub async fn rotate_token(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let owner = owned(&store, &caller, &id).await?;
        service::rotate_token(&store, &owner, auth::new_token()?, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/accounts/{id}/export`.
pub async fn export(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let url = req.inner().url();
        let page =
            service::ExportPage::parse(query_param(&url, "cursor"), query_param(&url, "limit"))?;
        let owner = owned(&store, &caller, &id).await?;
        service::export(&store, &owner, &page, &now()).await
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/accounts/{id}/privacy`: the account's privacy ledger (its own token or the
/// operator's).
pub async fn privacy(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let owner = owned(&store, &caller, &id).await?;
        let config = crate::routes::admin::publish_config_of(&ctx.env)?;
        let now_ms = worker::Date::now().as_millis();
        crate::service::format2::account_privacy(&store, owner.id(), now_ms, &config).await
    }
    .await;
    private_json(result, 200)
}

/// `POST /api/accounts/{id}/ctr/score`: the grounded model personalised on the account's records.
pub async fn ctr_score(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let body = parse(&read_body(&mut req).await?)?;
        let kv = bindings::releases(&ctx.env)?;
        let model = &crate::routes::niche_model(&ctx).await?.model;
        crate::service::scoring::account_score(&store, &kv, &caller, model, &id, body).await
    }
    .await;
    private_json(result, 200)
}

/// `DELETE /api/accounts/{id}`: erasure.
pub async fn erase(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let id = account_param(&ctx, "id")?;
        let owner = owned(&store, &caller, &id).await?;
        let link = bindings::redis_link(&ctx.env);
        let ports = Ports {
            store: &store,
            outbox: &store,
            link: &link,
        };
        service::erase(&ports, owner).await
    }
    .await;
    changed(result)
}

/// The answer of an account change, with [`SYNC_HEADER`] when it succeeded.
fn changed<T: serde::Serialize>(result: Result<Changed<T>, ApiError>) -> worker::Result<Response> {
    let (result, sync) = match result {
        Ok(Changed { value, sync, log }) => {
            if let Some(log) = log {
                console_error!("{log}");
            }
            (Ok(value), Some(sync.unwrap_or(SyncOutcome::Disabled)))
        }
        Err(e) => (Err(e), None),
    };
    let mut resp = private_json(result, 200)?;
    if let Some(sync) = sync {
        let value = match sync {
            SyncOutcome::Disabled => "disabled",
            SyncOutcome::Synced => "synced",
            SyncOutcome::Superseded => "superseded",
            SyncOutcome::Queued { .. } => "queued",
        };
        let _ = resp.headers_mut().set(SYNC_HEADER, value);
    }
    Ok(resp)
}
