//! Each route's request path over the in-memory fakes, from the raw body as the handler gets it:
//! the same steps in the same order (authorization, then the body parsed once by
//! [`crate::http::json`], then the service), minus the Workers runtime. Tests of the services and
//! of the OpenAPI document call these, so they see exactly the errors a client would.

use crate::error::ApiError;
use crate::http::json::{parse, parse_or_default};
use crate::ports::{Accounts, Events, Insights, Records, Releases};
use crate::service::accounts::{
    self, owned, ConsentResponse, CreatedAccount, Erasure, Export, IngestReport,
};
use crate::service::auth::{require_operator, Caller};
use crate::service::compute::{self, FeaturesResponse, NormalizeResponse, ScoreResponse};
use crate::service::crosslearning::{
    self, ApplyWisdomResponse, DetectNicheResponse, ExtractInsightsResponse,
};
use crate::service::sync::Ports;
use crate::testing::{MemoryLink, MemoryOutbox};
use crosslearn::niche::NicheModel;

/// `POST /api/normalize`.
pub fn normalize_body(body: &[u8]) -> Result<NormalizeResponse, ApiError> {
    compute::normalize(parse(body)?)
}

/// `POST /api/features`.
pub fn features_body(body: &[u8]) -> Result<FeaturesResponse, ApiError> {
    compute::features(parse(body)?)
}

/// `POST /api/ctr/score` (the grounded model reads the releases in `kv`).
pub async fn score_body<R: Releases>(kv: &R, body: &[u8]) -> Result<ScoreResponse, ApiError> {
    compute::score_request(kv, parse(body)?).await
}

/// `POST /api/accounts`.
pub async fn create_account<S: Accounts>(
    store: &S,
    caller: &Caller,
    body: &[u8],
    now: &str,
    generated_id: String,
    token: String,
) -> Result<CreatedAccount, ApiError> {
    require_operator(caller)?;
    let req = parse_or_default(body)?;
    accounts::create_account(store, caller, req, now, generated_id, token).await
}

/// D1-only ports over `store` (no aggregate store: nothing is marked).
fn d1_only<S>(store: &S) -> (MemoryOutbox, MemoryLink, &S) {
    (MemoryOutbox::new(), MemoryLink::off(), store)
}

/// `POST /api/accounts/{id}/records` in D1-only mode.
pub async fn ingest<S: Accounts + Records>(
    store: &S,
    caller: &Caller,
    account_id: &str,
    body: &[u8],
    now: &str,
) -> Result<IngestReport, ApiError> {
    let owner = owned(store, caller, account_id).await?;
    let req = parse(body)?;
    let (outbox, link, store) = d1_only(store);
    let ports = Ports {
        store,
        outbox: &outbox,
        link: &link,
    };
    let cap = accounts::DEFAULT_MAX_RECORDS;
    Ok(accounts::ingest(&ports, &owner, req, now, cap).await?.value)
}

/// `PUT /api/accounts/{id}/consent` in D1-only mode.
pub async fn set_consent<S: Accounts + Records>(
    store: &S,
    caller: &Caller,
    account_id: &str,
    body: &[u8],
    now: &str,
) -> Result<ConsentResponse, ApiError> {
    let owner = owned(store, caller, account_id).await?;
    let req = parse(body)?;
    let (outbox, link, store) = d1_only(store);
    let ports = Ports {
        store,
        outbox: &outbox,
        link: &link,
    };
    Ok(accounts::set_consent(&ports, &owner, req, now).await?.value)
}

/// `GET /api/accounts/{id}/export`.
pub async fn export<S: Accounts + Records + Events + Insights>(
    store: &S,
    caller: &Caller,
    account_id: &str,
    now: &str,
) -> Result<Export, ApiError> {
    let owner = owned(store, caller, account_id).await?;
    accounts::export(store, &owner, &accounts::ExportPage::default(), now).await
}

/// `DELETE /api/accounts/{id}` in D1-only mode.
pub async fn erase<S: Accounts + Records>(
    store: &S,
    caller: &Caller,
    account_id: &str,
) -> Result<Erasure, ApiError> {
    let owner = owned(store, caller, account_id).await?;
    let (outbox, link, store) = d1_only(store);
    let ports = Ports {
        store,
        outbox: &outbox,
        link: &link,
    };
    Ok(accounts::erase(&ports, owner).await?.value)
}

/// `POST /api/cross-learning/detect-niche`.
pub async fn detect_niche<S: Accounts + Records>(
    store: &S,
    caller: Result<Caller, ApiError>,
    model: &NicheModel,
    body: &[u8],
    now: &str,
) -> Result<DetectNicheResponse, ApiError> {
    crosslearning::detect_niche(store, caller, model, parse(body)?, now).await
}

/// `POST /api/cross-learning/extract-insights`.
pub async fn extract_insights<S: Accounts + Records + Insights + Events>(
    store: &S,
    caller: &Caller,
    model: &NicheModel,
    body: &[u8],
    now: &str,
    event_id: String,
) -> Result<ExtractInsightsResponse, ApiError> {
    crosslearning::extract_insights(store, caller, model, parse(body)?, now, event_id).await
}

/// `POST /api/cross-learning/apply-wisdom`.
#[allow(clippy::too_many_arguments)]
pub async fn apply_wisdom<S: Accounts + Records + Events, R: Releases>(
    store: &S,
    kv: &R,
    caller: &Caller,
    model: &NicheModel,
    body: &[u8],
    now: &str,
    event_id: String,
) -> Result<ApplyWisdomResponse, ApiError> {
    crosslearning::apply_wisdom(store, kv, caller, model, parse(body)?, now, event_id).await
}
