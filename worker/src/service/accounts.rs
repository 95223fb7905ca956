//! The account service: create, ingest, consent, export, erase. Generic over the ports
//! ([`crate::ports`]), so every rule here is tested natively against the in-memory fakes.
//!
//! Every operation on an existing account takes the proof [`Owned`] (from [`owned`]: the caller
//! may act on it, and it exists), its typed request (parsed once, by the route) and the current
//! time (UTC ISO 8601, passed in: nothing here reads a clock or a random source), then calls the
//! core ([`crosslearn::record::validate_json_values`]) and the ports. The changes (ingest,
//! consent, erasure) run under the outbox protocol of [`sync`]: they return [`Changed`], the
//! answer plus what happened to the aggregate store.

use crate::error::ApiError;
use crate::ports::{
    Account, Accounts, AggregatesLink, Consent, Erased, Event, Events, Insights, Outbox, Records,
    StoredInsight,
};
use crate::service::auth::{authorize, internal, require_operator, Caller};
use crate::service::sync::{self, Changed, Ports};
use crosslearn::error::ErrorCode;
use crosslearn::record::{
    validate_json_values, CreativeRecord, RecordIssue, RecordSource, RejectedRecord,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most records accepted in one `POST /api/accounts/{id}/records` (a larger batch is refused
/// whole with 422 `too_many`). With the 1 MiB body cap this leaves ~2 KiB per record.
pub const MAX_BATCH_RECORDS: usize = 500;

/// Most data rows in one CSV upload (`Content-Type: text/csv`); more is refused whole with 413
/// `too_large` before anything is stored. Derived from D1's limits
/// (https://developers.cloudflare.com/d1/platform/limits/): every row becomes one `INSERT` of 6
/// bound parameters (under the 100 per statement), and the statements of one upload run in one
/// batch, each counting against the 1,000 queries per Worker invocation (Workers Paid); the
/// ingest's own lookups (token, account, record count, outbox) take a handful more, so 500
/// rows leaves half the budget free. The same number bounds a JSON batch
/// ([`MAX_BATCH_RECORDS`]). The body is capped at 1 MiB like every body
/// ([`crate::http::body::MAX_BODY_BYTES`]).
pub const MAX_CSV_ROWS: usize = MAX_BATCH_RECORDS;

/// The var with the per-account storage cap (records).
pub const MAX_RECORDS_VAR: &str = "MAX_RECORDS_PER_ACCOUNT";

/// Records one account may store when [`MAX_RECORDS_VAR`] is unset. A batch that would take
/// the account past its cap is refused whole (422 `record_cap_exceeded`, naming the cap, the
/// account's count and the batch's valid records); nothing already stored is touched.
pub const DEFAULT_MAX_RECORDS: u64 = 20_000;

/// The cap from the var's value (unset: [`DEFAULT_MAX_RECORDS`]); a value that is not a whole
/// number >= 1 is an error naming the var (the caller logs it and uses the default).
pub fn max_records_from_var(value: Option<&str>) -> Result<u64, ApiError> {
    match value {
        None => Ok(DEFAULT_MAX_RECORDS),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(ApiError::Invalid {
                code: "invalid_value",
                field: Some(MAX_RECORDS_VAR.to_string()),
                message: format!("{MAX_RECORDS_VAR} must be a whole number >= 1, got {v:?}"),
            }),
        },
    }
}

/// Longest account id.
pub const MAX_ACCOUNT_ID_CHARS: usize = 64;

/// `POST /api/accounts` body (operator only). Every field is optional: `{}` creates an account
/// with a generated id.
#[derive(Debug, Clone, PartialEq, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    /// The id to use (`[A-Za-z0-9_-]`, 1-64 characters); generated when absent.
    #[serde(default)]
    pub account_id: Option<String>,
}

/// `POST /api/accounts` response (201). The token is shown here once and never again.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CreatedAccount {
    /// The new account's id.
    pub account_id: String,
    /// Its bearer token (store it: only its hash is kept).
    pub token: String,
    /// Creation time.
    pub created_at: String,
    /// The initial consent: not opted in.
    pub consent: Consent,
}

/// Check an account id: `[A-Za-z0-9_-]`, 1-64 characters.
pub fn check_account_id(field: &str, id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.chars().count() <= MAX_ACCOUNT_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::Core(crosslearn::Error::field(
            ErrorCode::InvalidValue,
            field,
            format!(
                "account ids are 1-{MAX_ACCOUNT_ID_CHARS} characters of A-Z, a-z, 0-9, _ and -"
            ),
        )))
    }
}

/// Create an account (operator only). `generated_id` is used when the request names none;
/// `token` is the fresh bearer token (see [`crate::service::auth::new_token`]).
pub async fn create_account<S: Accounts>(
    store: &S,
    caller: &Caller,
    req: CreateAccountRequest,
    now: &str,
    generated_id: String,
    token: String,
) -> Result<CreatedAccount, ApiError> {
    require_operator(caller)?;
    let account_id = req.account_id.unwrap_or(generated_id);
    check_account_id("account_id", &account_id)?;
    let account = Account {
        account_id: account_id.clone(),
        created_at: now.to_string(),
    };
    let created = store
        .create_account(&account, &crate::service::auth::token_hash(&token))
        .await
        .map_err(internal)?;
    if !created {
        return Err(ApiError::Conflict {
            message: format!("account {account_id} already exists"),
        });
    }
    Ok(CreatedAccount {
        account_id,
        token,
        created_at: now.to_string(),
        consent: Consent::default(),
    })
}

/// `POST /api/accounts/{id}/token` response. The new token is shown here once; the old one no
/// longer works.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RotatedToken {
    /// The account.
    pub account_id: String,
    /// Its new bearer token (store it: only its hash is kept).
    pub token: String,
    /// When it was issued (UTC, ISO 8601).
    pub rotated_at: String,
}

/// Rotate the account's token: `token` (fresh, see [`crate::service::auth::new_token`])
/// replaces every token the account had, in one transaction.
pub async fn rotate_token<S: Accounts>(
    store: &S,
    owner: &Owned,
    token: String,
    now: &str,
) -> Result<RotatedToken, ApiError> {
    store
        .replace_token(owner.id(), &crate::service::auth::token_hash(&token), now)
        .await
        .map_err(internal)?;
    Ok(RotatedToken {
        account_id: owner.id().to_string(),
        token,
        rotated_at: now.to_string(),
    })
}

/// An existing account the caller may act on: the proof [`owned`] returns, which every account
/// operation takes (so none can run before the caller was authorized and the account found).
#[derive(Debug, Clone, PartialEq)]
pub struct Owned {
    account: Account,
}

impl Owned {
    /// The account's id.
    pub fn id(&self) -> &str {
        &self.account.account_id
    }

    /// The account.
    pub fn account(&self) -> &Account {
        &self.account
    }
}

/// Authorize `caller` on `account_id` and check that the account exists (404 otherwise; an
/// account token never gets this far for another account, so 404 reveals nothing to it).
pub async fn owned<S: Accounts>(
    store: &S,
    caller: &Caller,
    account_id: &str,
) -> Result<Owned, ApiError> {
    authorize(caller, account_id)?;
    store
        .account(account_id)
        .await
        .map_err(internal)?
        .map(|account| Owned { account })
        .ok_or_else(|| ApiError::NotFound {
            path: format!("/api/accounts/{account_id}"),
        })
}

/// `POST /api/accounts/{id}/records` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestRequest {
    /// Record objects (the core's `RecordInput` fields). A record without `account_id` belongs
    /// to the account in the path; one naming another account is rejected.
    #[schemars(with = "Vec<serde_json::Map<String, Value>>")]
    pub records: Vec<Value>,
}

/// What happened to one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IngestStatus {
    /// Newly stored.
    Stored,
    /// A record with this id was already stored for the account; left unchanged.
    AlreadyStored,
    /// Invalid; see `issues`.
    Rejected,
}

/// One record's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IngestResult {
    /// Position in the batch (0-based; for a CSV upload, the data row's position).
    pub index: usize,
    /// For a CSV upload: the 1-based line of the row in the file (absent for JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The record's id, when it had one.
    pub record_id: Option<String>,
    /// The outcome.
    pub status: IngestStatus,
    /// Why it was rejected (empty unless rejected).
    pub issues: Vec<RecordIssue>,
}

/// `POST /api/accounts/{id}/records` response: counts and one result per record, in batch order.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IngestReport {
    /// The account.
    pub account_id: String,
    /// Records in the batch.
    pub received: usize,
    /// Newly stored.
    pub stored: usize,
    /// Already stored before (idempotent re-send).
    pub already_stored: usize,
    /// Rejected.
    pub rejected: usize,
    /// Per record, in batch order.
    pub results: Vec<IngestResult>,
}

/// Validate a batch with the core and store the valid records (idempotent by record id), as one
/// change of the account under the outbox protocol ([`sync::change`]). The account may hold at
/// most `max_records` records ([`DEFAULT_MAX_RECORDS`]).
pub async fn ingest<S: Accounts + Records, O: Outbox, L: AggregatesLink>(
    ports: &Ports<'_, S, O, L>,
    owner: &Owned,
    req: IngestRequest,
    now: &str,
    max_records: u64,
) -> Result<Changed<IngestReport>, ApiError> {
    sync::change(ports, owner.id(), async || {
        store_records(ports.store, owner.id(), req, now, max_records).await
    })
    .await
}

/// `POST /api/accounts/{id}/records` with `Content-Type: text/csv`: the body is a CSV export in
/// any format the core imports ([`crosslearn::import::CsvImport`]: Facebook, TikTok, KAG,
/// Microsoft Advertising, X, LinkedIn, the generic record CSV), streamed through the importer
/// by the route ([`crate::http::body::CsvBody`] with [`MAX_CSV_ROWS`], which refuses row
/// `MAX_CSV_ROWS + 1` with 413 `too_large` and an unrecognised header with 422 before the body
/// ends), and stored like a JSON batch (idempotent by the importer's content-derived record
/// ids, the per-account cap applies). Only a whole body that fits reaches this function, so a
/// refused upload stores nothing. Rows the importer rejects are answered with their line
/// numbers. An export's records belong to the account in the path (the platform's own account
/// column names the ad account there, not this service's); a generic CSV row naming another
/// `account_id` is rejected, as in JSON.
pub async fn ingest_csv<S: Accounts + Records, O: Outbox, L: AggregatesLink>(
    ports: &Ports<'_, S, O, L>,
    owner: &Owned,
    report: crosslearn::import::ImportReport,
    now: &str,
    max_records: u64,
) -> Result<Changed<IngestReport>, ApiError> {
    let batch = csv_batch(owner.id(), report)?;
    sync::change(ports, owner.id(), async || {
        store_batch(ports.store, owner.id(), batch.clone(), now, max_records).await
    })
    .await
}

/// One brief issued to an account: the drawn attributes and the record id the creative's record
/// must carry to be ingested as `assignment: randomised`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IssuedBrief {
    /// The record id to give the creative's record (`brief-` and 32 hex digits, drawn with the
    /// brief).
    pub record_id: String,
    /// The attributes to make the creative with.
    #[serde(flatten)]
    pub brief: crosslearn::wisdom::explore::RandomisedBrief,
}

/// `POST /api/accounts/{id}/explore` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct IssuedBriefs {
    /// The account the briefs were issued to.
    pub account_id: String,
    /// The briefs, each drawn independently.
    pub briefs: Vec<IssuedBrief>,
    /// The `assignment` to ingest their records with: `randomised`.
    pub assignment: crosslearn::record::Assignment,
}

/// Most briefs one account may be issued (as many as it may store records): a call that would
/// pass it is refused with 422 `brief_cap_exceeded`, so no account can grow `explore_briefs`
/// without bound.
pub const MAX_BRIEFS_PER_ACCOUNT: u64 = DEFAULT_MAX_RECORDS;

/// Draw randomised briefs for the account (the core's `randomised_brief` from `rng`: ChaCha20
/// from the OS in the Worker), give each a fresh record id from the same generator, and keep
/// them (D1 `explore_briefs`), so that ingest can accept the records made from them as
/// `randomised` ([`store_batch`]). Errors name `count`, `platform`, `formats` or
/// `tag_probability`; nothing is stored then.
pub async fn issue_briefs<S: Records, R: rand_core::Rng + ?Sized>(
    store: &S,
    owner: &Owned,
    req: crate::service::compute::ExploreRequest,
    rng: &mut R,
    now: &str,
) -> Result<IssuedBriefs, ApiError> {
    let drawn = crate::service::compute::explore(req, rng)?;
    let issued = store.brief_count(owner.id()).await.map_err(internal)?;
    let adding = drawn.briefs.len() as u64;
    if issued.saturating_add(adding) > MAX_BRIEFS_PER_ACCOUNT {
        return Err(ApiError::Invalid {
            code: "brief_cap_exceeded",
            field: Some("count".to_string()),
            message: format!(
                "account {} has been issued {issued} briefs and asks for {adding} more: more than \
                 the cap of {MAX_BRIEFS_PER_ACCOUNT} briefs per account; nothing was issued",
                owner.id()
            ),
        });
    }
    let briefs: Vec<IssuedBrief> = drawn
        .briefs
        .into_iter()
        .map(|brief| IssuedBrief {
            record_id: format!("brief-{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
            brief,
        })
        .collect();
    let rows = briefs
        .iter()
        .map(|b| {
            serde_json::to_string(&b.brief)
                .map(|json| (b.record_id.clone(), json))
                .map_err(|_| ApiError::Internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    store
        .insert_briefs(owner.id(), &rows, now)
        .await
        .map_err(internal)?;
    Ok(IssuedBriefs {
        account_id: owner.id().to_string(),
        briefs,
        assignment: crosslearn::record::Assignment::Randomised,
    })
}

/// Move each accepted `randomised` record that was not made from a brief issued to the account
/// ([`issue_briefs`]: no brief under its record id, or the record differs from it) to the
/// rejections, naming `assignment` and the difference.
async fn verify_randomised<S: Records>(
    store: &S,
    account_id: &str,
    batch: Batch,
) -> Result<Batch, ApiError> {
    use crosslearn::record::Assignment;
    use crosslearn::wisdom::explore::{check_against_brief, RandomisedBrief};
    let ids: Vec<String> = batch
        .accepted
        .iter()
        .filter(|(_, r)| r.assignment == Assignment::Randomised)
        .map(|(_, r)| r.record_id.clone())
        .collect();
    if ids.is_empty() {
        return Ok(batch);
    }
    let issued = store.briefs(account_id, &ids).await.map_err(internal)?;
    let mut out = Batch {
        received: batch.received,
        accepted: Vec::new(),
        rejected: batch.rejected,
    };
    for (index, record) in batch.accepted {
        if record.assignment != Assignment::Randomised {
            out.accepted.push((index, record));
            continue;
        }
        let why = match issued.get(&record.record_id) {
            None => Some(format!(
                "no brief {} was issued to account {account_id}: a record is randomised only \
                 when it is made from a brief drawn for the account (POST \
                 /api/accounts/{account_id}/explore) and carries that brief's record_id; \
                 ingest it as chosen otherwise",
                record.record_id
            )),
            Some(json) => {
                let brief: RandomisedBrief =
                    serde_json::from_str(json).map_err(|_| ApiError::Internal)?;
                check_against_brief(&brief, &record).map(|m| {
                    format!(
                        "the record was not made as brief {} says: {m}",
                        record.record_id
                    )
                })
            }
        };
        match why {
            None => out.accepted.push((index, record)),
            Some(message) => out.rejected.push(RejectedRecord {
                index,
                line: None,
                record_id: Some(record.record_id.clone()),
                issues: vec![RecordIssue::new(
                    ErrorCode::InvalidValue,
                    "assignment",
                    "randomised",
                    &message,
                )],
            }),
        }
    }
    Ok(out)
}

/// A validated batch: its size, the accepted records and the rejections, by batch index.
#[derive(Debug, Clone)]
struct Batch {
    received: usize,
    accepted: Vec<(usize, CreativeRecord)>,
    rejected: Vec<RejectedRecord>,
}

/// An imported CSV body as a batch for `account_id` ([`ingest_csv`]).
fn csv_batch(
    account_id: &str,
    report: crosslearn::import::ImportReport,
) -> Result<Batch, ApiError> {
    let generic = report.format == crosslearn::import::ImportFormat::Generic;
    // Batch indexes are data-row positions: the importer's `index` for rejections; accepted
    // records fill the positions no rejection took, in file order.
    let rejected_at: std::collections::HashSet<usize> =
        report.rejected.iter().map(|r| r.index).collect();
    let mut next = (0..report.rows).filter(|i| !rejected_at.contains(i));
    let mut batch = Batch {
        received: report.rows,
        accepted: Vec::new(),
        rejected: report.rejected,
    };
    for mut record in report.accepted {
        let index = next.next().ok_or(ApiError::Internal)?;
        if !generic {
            record.account_id = account_id.to_string();
        }
        batch.accepted.push((index, record));
    }
    Ok(own_account(account_id, batch))
}

/// Move accepted records of another account to the rejections.
fn own_account(account_id: &str, batch: Batch) -> Batch {
    let mut out = Batch {
        received: batch.received,
        accepted: Vec::new(),
        rejected: batch.rejected,
    };
    for (index, record) in batch.accepted {
        if record.account_id == account_id {
            out.accepted.push((index, record));
        } else {
            out.rejected.push(RejectedRecord {
                index,
                line: None,
                record_id: Some(record.record_id.clone()),
                issues: vec![RecordIssue::new(
                    ErrorCode::InvalidValue,
                    "account_id",
                    record.account_id.as_str(),
                    "a record may only be ingested into its own account (the one in the path)",
                )],
            });
        }
    }
    out
}

/// The write of [`ingest`].
async fn store_records<S: Records>(
    store: &S,
    account_id: &str,
    req: IngestRequest,
    now: &str,
    max_records: u64,
) -> Result<IngestReport, ApiError> {
    if req.records.len() > MAX_BATCH_RECORDS {
        return Err(ApiError::Invalid {
            code: "too_many",
            field: Some("records".to_string()),
            message: format!(
                "{} records in one batch; at most {MAX_BATCH_RECORDS} are accepted",
                req.records.len()
            ),
        });
    }
    let received = req.records.len();
    let values: Vec<Value> = req
        .records
        .into_iter()
        .map(|mut v| {
            if let Value::Object(map) = &mut v {
                map.entry("account_id")
                    .or_insert_with(|| Value::String(account_id.to_string()));
            }
            v
        })
        .collect();
    let report = validate_json_values(values, RecordSource::User);
    // Per batch index: the accepted record, or why it was rejected.
    let rejected_at: std::collections::HashSet<usize> =
        report.rejected.iter().map(|r| r.index).collect();
    let mut next = (0..received).filter(|i| !rejected_at.contains(i));
    let mut batch = Batch {
        received,
        accepted: Vec::new(),
        rejected: report.rejected,
    };
    for record in report.accepted {
        let index = next.next().ok_or(ApiError::Internal)?;
        batch.accepted.push((index, record));
    }
    let batch = own_account(account_id, batch);
    store_batch(store, account_id, batch, now, max_records).await
}

/// Store a validated batch (idempotent by record id, within the account's cap) and report it.
/// A `randomised` record is stored only when it matches a brief issued to the account
/// ([`verify_randomised`]); otherwise it is rejected like any invalid record.
async fn store_batch<S: Records>(
    store: &S,
    account_id: &str,
    batch: Batch,
    now: &str,
    max_records: u64,
) -> Result<IngestReport, ApiError> {
    let Batch {
        received,
        accepted,
        rejected,
    } = verify_randomised(store, account_id, batch).await?;
    let records: Vec<CreativeRecord> = accepted.iter().map(|(_, r)| r.clone()).collect();
    if !records.is_empty() {
        let stored = store.record_count(account_id).await.map_err(internal)?;
        let adding = records.len() as u64;
        if stored.saturating_add(adding) > max_records {
            return Err(ApiError::Invalid {
                code: "record_cap_exceeded",
                field: Some("records".to_string()),
                message: format!(
                    "account {account_id} stores {stored} records and this batch has {adding} \
                     valid ones: more than the cap of {max_records} records per account \
                     ({MAX_RECORDS_VAR}); nothing of this batch was stored"
                ),
            });
        }
    }
    let fresh = store
        .insert_records(account_id, &records, now)
        .await
        .map_err(internal)?;
    let mut results: Vec<IngestResult> = accepted
        .into_iter()
        .zip(fresh)
        .map(|((index, r), new)| IngestResult {
            index,
            line: None,
            record_id: Some(r.record_id),
            status: if new {
                IngestStatus::Stored
            } else {
                IngestStatus::AlreadyStored
            },
            issues: Vec::new(),
        })
        .chain(rejected.into_iter().map(|r| IngestResult {
            index: r.index,
            line: r.line,
            record_id: r.record_id,
            status: IngestStatus::Rejected,
            issues: r.issues,
        }))
        .collect();
    results.sort_by_key(|r| r.index);
    let count = |s: IngestStatus| results.iter().filter(|r| r.status == s).count();
    Ok(IngestReport {
        account_id: account_id.to_string(),
        received,
        stored: count(IngestStatus::Stored),
        already_stored: count(IngestStatus::AlreadyStored),
        rejected: count(IngestStatus::Rejected),
        results,
    })
}

/// `PUT /api/accounts/{id}/consent` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// Opt in to (true) or out of (false) cross-learning contributions.
    pub opted_in: bool,
}

/// Consent as answered: the account and its current consent.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConsentResponse {
    /// The account.
    pub account_id: String,
    /// Opted in or not.
    pub opted_in: bool,
    /// When consent last changed.
    pub updated_at: Option<String>,
}

/// Set the account's consent: one change of the account under the outbox protocol.
pub async fn set_consent<S: Accounts + Records, O: Outbox, L: AggregatesLink>(
    ports: &Ports<'_, S, O, L>,
    owner: &Owned,
    req: ConsentRequest,
    now: &str,
) -> Result<Changed<ConsentResponse>, ApiError> {
    let account_id = owner.id();
    sync::change(ports, account_id, async || {
        let consent = Consent {
            opted_in: req.opted_in,
            updated_at: Some(now.to_string()),
        };
        ports
            .store
            .set_consent(account_id, &consent)
            .await
            .map_err(internal)?;
        Ok(ConsentResponse {
            account_id: account_id.to_string(),
            opted_in: consent.opted_in,
            updated_at: consent.updated_at,
        })
    })
    .await
}

/// Records per export page when the request gives no `limit`.
pub const DEFAULT_EXPORT_PAGE: u32 = 1_000;
/// Most records per export page (`limit`): one page stays a few MB of JSON.
pub const MAX_EXPORT_PAGE: u32 = 5_000;
/// An export cursor: the last record id of the previous page, hex-encoded UTF-8 (opaque to the
/// client; record ids are at most 128 characters).
pub const EXPORT_CURSOR_PATTERN: &str = "^([0-9a-f]{2}){1,512}$";

/// Which page of an export: records after the cursor, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPage {
    /// Records whose id sorts after this one (`""`: from the first).
    pub after: String,
    /// Most records on the page (`1..=MAX_EXPORT_PAGE`).
    pub limit: u32,
}

impl ExportPage {
    /// From the `cursor` and `limit` query parameters (raw, as in the URL); an error names the
    /// parameter and the reason.
    pub fn parse(cursor: Option<&str>, limit: Option<&str>) -> Result<ExportPage, ApiError> {
        let invalid = |field: &str, message: String| ApiError::Invalid {
            code: "invalid_value",
            field: Some(field.to_string()),
            message,
        };
        let limit = match limit {
            None => DEFAULT_EXPORT_PAGE,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_EXPORT_PAGE).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        "limit",
                        format!("limit must be an integer in 1..={MAX_EXPORT_PAGE}, got {raw:?}"),
                    ))
                }
            },
        };
        let after = match cursor {
            None => String::new(),
            Some(raw) => decode_cursor(raw).ok_or_else(|| {
                invalid(
                    "cursor",
                    "cursor must be a next_cursor value from a previous export page".to_string(),
                )
            })?,
        };
        Ok(ExportPage { after, limit })
    }
}

impl Default for ExportPage {
    fn default() -> Self {
        ExportPage {
            after: String::new(),
            limit: DEFAULT_EXPORT_PAGE,
        }
    }
}

/// The cursor that continues after `record_id`.
pub fn encode_cursor(record_id: &str) -> String {
    record_id.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The position a cursor names, if it is one (even-length lowercase hex, at most 1,024
/// characters). Any such value is a position: bytes that are not UTF-8 are read lossily, so a
/// made-up cursor only starts the page elsewhere in the id order.
fn decode_cursor(raw: &str) -> Option<String> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) || raw.len() > 1024 {
        return None;
    }
    let bytes = (0..raw.len())
        .step_by(2)
        .map(|i| {
            let pair = raw.get(i..i + 2)?;
            if !pair.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            u8::from_str_radix(pair, 16).ok()
        })
        .collect::<Option<Vec<u8>>>()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `GET /api/accounts/{id}/export`: everything stored about the account, its records one page
/// at a time.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Export {
    /// The account.
    pub account: Account,
    /// Its consent.
    pub consent: Consent,
    /// This page of its records, by record id (at most `limit`, default 1,000).
    pub records: Vec<CreativeRecord>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Its cross-learning events, oldest first.
    pub events: Vec<Event>,
    /// Its latest extracted insight (`POST /api/cross-learning/extract-insights`), if any.
    pub insight: Option<StoredInsight>,
    /// When this export was made.
    pub exported_at: String,
}

/// Export everything of the account, with one page of its records.
pub async fn export<S: Accounts + Records + Events + Insights>(
    store: &S,
    owner: &Owned,
    page: &ExportPage,
    now: &str,
) -> Result<Export, ApiError> {
    let account_id = owner.id();
    // One more than the page: whether another page follows.
    let mut records = store
        .records_page(account_id, &page.after, page.limit + 1)
        .await
        .map_err(internal)?;
    let next_cursor = if records.len() > page.limit as usize {
        records.truncate(page.limit as usize);
        records.last().map(|r| encode_cursor(&r.record_id))
    } else {
        None
    };
    Ok(Export {
        account: owner.account().clone(),
        consent: store.consent(account_id).await.map_err(internal)?,
        records,
        next_cursor,
        events: store.events(account_id).await.map_err(internal)?,
        insight: store.insight(account_id).await.map_err(internal)?,
        exported_at: now.to_string(),
    })
}

/// `DELETE /api/accounts/{id}` response.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Erasure {
    /// The erased account.
    pub account_id: String,
    /// Always true: the account, its token, consent, records and events are gone.
    pub erased: bool,
    /// Records deleted.
    pub records: u64,
    /// Events deleted.
    pub events: u64,
    /// Stored insights deleted (0 or 1).
    pub insights: u64,
}

/// Erase the account and everything of it (its token stops working at once): one change of the
/// account under the outbox protocol, after which the aggregate store drops it.
pub async fn erase<S: Accounts + Records, O: Outbox, L: AggregatesLink>(
    ports: &Ports<'_, S, O, L>,
    owner: Owned,
) -> Result<Changed<Erasure>, ApiError> {
    let account_id = owner.id();
    sync::change(ports, account_id, async || {
        let Erased {
            records,
            events,
            insights,
        } = ports
            .store
            .erase_account(account_id)
            .await
            .map_err(internal)?;
        Ok(Erasure {
            account_id: account_id.to_string(),
            erased: true,
            records,
            events,
            insights,
        })
    })
    .await
}

/// UTC ISO 8601 with milliseconds (`2026-11-21T18:12:08.123Z`) for `ms` since the Unix epoch.
pub use crosslearn::record::iso_utc;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Events;
    use crate::service::auth::{authenticate, token_hash};
    use crate::testing::requests::{create_account, erase, export, ingest, set_consent};
    use crate::testing::run;
    use crate::testing::MemoryStore;

    const NOW: &str = "2026-01-02T03:04:05.006Z";
    const OP: &str = "operator-secret";

    fn record(id: &str) -> Value {
        serde_json::json!({
            "record_id": id, "platform": "meta", "niche": "fitness", "hook_type": "question",
            "impressions": 1000, "clicks": 20, "spend": 12.5
        })
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    /// A store with accounts `a` and `b`; returns their tokens.
    fn setup() -> (MemoryStore, String, String) {
        let store = MemoryStore::new();
        let mut tokens = Vec::new();
        for id in ["a", "b"] {
            let token = format!("clt_token_of_{id}");
            let created = run(create_account(
                &store,
                &Caller::Operator,
                &body(serde_json::json!({ "account_id": id })),
                NOW,
                "unused".into(),
                token.clone(),
            ))
            .unwrap();
            assert_eq!(created.account_id, id);
            assert_eq!(created.token, token);
            assert!(!created.consent.opted_in, "consent is opt-in");
            tokens.push(token);
        }
        let b = tokens.pop().unwrap();
        (store, tokens.pop().unwrap(), b)
    }

    fn caller(store: &MemoryStore, token: &str) -> Result<Caller, ApiError> {
        run(authenticate(
            store,
            Some(&format!("Bearer {token}")),
            Some(OP),
        ))
    }

    #[test]
    fn the_export_pages_through_every_record_once_in_order() {
        let (store, a, _) = setup();
        let me = caller(&store, &a).unwrap();
        // 25 records, ids with characters a URL would have to escape.
        let ids: Vec<String> = (0..25).map(|i| format!("r {i:02}/é&?")).collect();
        let records: Vec<Value> = ids.iter().map(|id| record(id)).collect();
        run(ingest(
            &store,
            &me,
            "a",
            &body(serde_json::json!({ "records": records })),
            NOW,
        ))
        .unwrap();
        let owner = run(owned(&store, &me, "a")).unwrap();
        let mut cursor: Option<String> = None;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = ExportPage::parse(cursor.as_deref(), Some("10")).unwrap();
            let out = run(super::export(&store, &owner, &page, NOW)).unwrap();
            pages += 1;
            seen.extend(out.records.iter().map(|r| r.record_id.clone()));
            match out.next_cursor {
                Some(c) => {
                    assert!(regex_lite_hex(&c), "{c}");
                    cursor = Some(c);
                }
                None => break,
            }
        }
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!((pages, seen), (3, sorted));
        // The default page holds them all; a full last page has no cursor.
        let all = run(super::export(&store, &owner, &ExportPage::default(), NOW)).unwrap();
        assert_eq!((all.records.len(), all.next_cursor), (25, None));
        let exact = ExportPage::parse(None, Some("25")).unwrap();
        assert_eq!(
            run(super::export(&store, &owner, &exact, NOW))
                .unwrap()
                .next_cursor,
            None
        );
    }

    /// Verified briefs: a record is stored as `randomised` only when it carries the record id of
    /// a brief issued to its account and matches it; anything else is rejected naming
    /// `assignment` (chosen records are untouched); erasure deletes the briefs.
    #[test]
    fn randomised_records_must_match_a_brief_issued_to_the_account() {
        let (store, a, b) = setup();
        let me = caller(&store, &a).unwrap();
        let owner = run(owned(&store, &me, "a")).unwrap();
        let req: crate::service::compute::ExploreRequest =
            serde_json::from_value(serde_json::json!({"platform": "tiktok", "count": 3})).unwrap();
        let mut rng = crosslearn::privacy::dgauss::noise_rng_from_seed(5);
        let issued = run(issue_briefs(&store, &owner, req.clone(), &mut rng, NOW)).unwrap();
        assert_eq!((issued.account_id.as_str(), issued.briefs.len()), ("a", 3));
        // The core's draws at that seed, then the ids from the same generator.
        let again = crate::service::compute::explore(
            req.clone(),
            &mut crosslearn::privacy::dgauss::noise_rng_from_seed(5),
        )
        .unwrap();
        let drawn: Vec<_> = issued.briefs.iter().map(|b| b.brief.clone()).collect();
        assert_eq!(drawn, again.briefs);
        assert!(issued
            .briefs
            .iter()
            .all(|b| b.record_id.len() == 38 && b.record_id.starts_with("brief-")));
        let made = |b: &IssuedBrief| {
            let br = &b.brief;
            serde_json::json!({
                "record_id": b.record_id, "platform": br.platform.as_str(),
                "hook_type": br.hook_type.as_str(), "cta_style": br.cta_style.as_str(),
                "format": br.format.as_str(),
                "duration_s": br.duration_range_s.map(|(lo, _)| lo),
                "visual_tags": br.visual_tags.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                "posting_hour": br.posting_hour, "assignment": "randomised",
                "impressions": 1000, "clicks": 20, "spend": 12.5
            })
        };
        let good = made(&issued.briefs[0]);
        let mut wrong_hook = made(&issued.briefs[1]);
        let other_hook = if issued.briefs[1].brief.hook_type.as_str() == "question" {
            "offer"
        } else {
            "question"
        };
        wrong_hook["hook_type"] = other_hook.into();
        let mut unknown = made(&issued.briefs[2]);
        unknown["record_id"] = "brief-0000".into();
        let mut chosen = record("c1");
        chosen["assignment"] = "chosen".into();
        let report = run(ingest(
            &store,
            &me,
            "a",
            &body(serde_json::json!({ "records": [good, wrong_hook, unknown, chosen] })),
            NOW,
        ))
        .unwrap();
        assert_eq!((report.stored, report.rejected), (2, 2), "{report:?}");
        let issue = |i: usize| &report.results[i].issues[0];
        assert_eq!(issue(1).field, "assignment");
        assert!(
            issue(1)
                .message
                .contains(&format!("hook_type is {other_hook}")),
            "{}",
            issue(1).message
        );
        assert_eq!(issue(2).field, "assignment");
        assert!(
            issue(2).message.contains("no brief brief-0000"),
            "{}",
            issue(2).message
        );
        // Another account cannot use a's brief.
        let other = caller(&store, &b).unwrap();
        let mut stolen = made(&issued.briefs[1]);
        stolen["account_id"] = "b".into();
        let report = run(ingest(
            &store,
            &other,
            "b",
            &body(serde_json::json!({ "records": [stolen] })),
            NOW,
        ))
        .unwrap();
        assert_eq!(report.rejected, 1);
        assert_eq!(report.results[0].issues[0].field, "assignment");
        // The cap: a call that would pass it issues nothing.
        let big: crate::service::compute::ExploreRequest =
            serde_json::from_value(serde_json::json!({"platform": "meta", "count": 100})).unwrap();
        let mut issued_total = run(store.brief_count("a")).unwrap();
        while issued_total + 100 <= MAX_BRIEFS_PER_ACCOUNT {
            run(issue_briefs(&store, &owner, big.clone(), &mut rng, NOW)).unwrap();
            issued_total += 100;
        }
        let e = run(issue_briefs(&store, &owner, big, &mut rng, NOW)).unwrap_err();
        assert_eq!((e.status(), e.field()), (422, Some("count")));
        assert_eq!(run(store.brief_count("a")).unwrap(), issued_total);
        // Erasure deletes the briefs with everything else.
        run(erase(&store, &me, "a")).unwrap();
        assert_eq!(store.rows_of("a"), 0);
    }

    /// The cursor pattern of the OpenAPI document, checked by hand.
    fn regex_lite_hex(c: &str) -> bool {
        !c.is_empty()
            && c.len().is_multiple_of(2)
            && c.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    #[test]
    fn bad_export_parameters_name_the_parameter() {
        for limit in ["0", "5001", "-1", "ten", "", "1.5"] {
            let e = ExportPage::parse(None, Some(limit)).unwrap_err();
            assert_eq!((e.status(), e.field()), (422, Some("limit")), "{limit}");
        }
        for cursor in ["", "zz", "abc", "ABCD", "+f", &"ab".repeat(513)] {
            let e = ExportPage::parse(Some(cursor), None).unwrap_err();
            assert_eq!((e.status(), e.field()), (422, Some("cursor")), "{cursor}");
        }
        let page = ExportPage::parse(Some(&encode_cursor("r 1/é")), Some("5000")).unwrap();
        assert_eq!((page.after.as_str(), page.limit), ("r 1/é", 5000));
        // A made-up cursor that is not UTF-8 is still a position (schema-valid input is accepted).
        assert_eq!(
            ExportPage::parse(Some("ff"), None).unwrap().after,
            "\u{fffd}"
        );
    }

    #[test]
    fn authentication() {
        let (store, a, _) = setup();
        assert_eq!(caller(&store, OP), Ok(Caller::Operator));
        assert_eq!(caller(&store, &a), Ok(Caller::Account("a".into())));
        for header in [
            None,
            Some(""),
            Some("Basic abc"),
            Some("Bearer "),
            Some(a.as_str()),
        ] {
            let e = run(authenticate(&store, header, Some(OP))).unwrap_err();
            assert_eq!(e.status(), 401, "{header:?}");
        }
        assert_eq!(caller(&store, "clt_wrong").unwrap_err().status(), 401);
        // Without a configured operator token, nothing is the operator (not even an empty one).
        let e = run(authenticate(&store, Some(&format!("Bearer {OP}")), None)).unwrap_err();
        assert_eq!(e.status(), 401);
        let e = run(authenticate(&store, Some("Bearer x"), Some(""))).unwrap_err();
        assert_eq!(e.status(), 401);
        // Only the hash is stored.
        assert_eq!(
            run(store.account_for_token(&token_hash(&a))).unwrap(),
            Some("a".into())
        );
        assert_eq!(run(store.account_for_token(&a)).unwrap(), None);
    }

    #[test]
    fn only_the_operator_creates_accounts_and_ids_are_unique() {
        let (store, a, _) = setup();
        let me = caller(&store, &a).unwrap();
        let e = run(create_account(
            &store,
            &me,
            b"{}",
            NOW,
            "c".into(),
            "t".into(),
        ))
        .unwrap_err();
        assert_eq!(e.status(), 403);
        let e = run(create_account(
            &store,
            &Caller::Operator,
            &body(serde_json::json!({"account_id": "a"})),
            NOW,
            "x".into(),
            "clt_other".into(),
        ))
        .unwrap_err();
        assert_eq!((e.status(), e.code()), (409, "conflict"));
        // The failed creation did not register its token.
        assert_eq!(caller(&store, "clt_other").unwrap_err().status(), 401);
        let made = run(create_account(
            &store,
            &Caller::Operator,
            b"",
            NOW,
            "gen_1".into(),
            "clt_t".into(),
        ))
        .unwrap();
        assert_eq!(made.account_id, "gen_1");
        for bad in [
            r#"{"account_id": ""}"#,
            r#"{"account_id": "a b"}"#,
            r#"{"x": 1}"#,
        ] {
            let e = run(create_account(
                &store,
                &Caller::Operator,
                bad.as_bytes(),
                NOW,
                "g".into(),
                "clt_u".into(),
            ))
            .unwrap_err();
            assert_eq!(e.status(), 422, "{bad}");
        }
        let long = format!(r#"{{"account_id": "{}"}}"#, "x".repeat(65));
        let e = run(create_account(
            &store,
            &Caller::Operator,
            long.as_bytes(),
            NOW,
            "g".into(),
            "clt_v".into(),
        ))
        .unwrap_err();
        assert_eq!(e.field(), Some("account_id"));
    }

    #[test]
    fn ingest_is_idempotent_and_reports_each_record() {
        let (store, a, _) = setup();
        let me = caller(&store, &a).unwrap();
        let mut bad = record("r3");
        bad["clicks"] = serde_json::json!(5000); // clicks > impressions
        let mut foreign = record("r4");
        foreign["account_id"] = serde_json::json!("b");
        let batch = body(serde_json::json!({
            "records": [record("r1"), record("r2"), bad, foreign, 7, record("r1")]
        }));
        let report = run(ingest(&store, &me, "a", &batch, NOW)).unwrap();
        let statuses: Vec<_> = report.results.iter().map(|r| r.status).collect();
        use IngestStatus::*;
        assert_eq!(
            statuses,
            [Stored, Stored, Rejected, Rejected, Rejected, Rejected]
        );
        assert_eq!(
            (
                report.received,
                report.stored,
                report.already_stored,
                report.rejected
            ),
            (6, 2, 0, 4)
        );
        let idx: Vec<usize> = report.results.iter().map(|r| r.index).collect();
        assert_eq!(idx, [0, 1, 2, 3, 4, 5]);
        assert_eq!(report.results[2].issues[0].field, "clicks");
        assert_eq!(report.results[3].issues[0].field, "account_id");
        assert_eq!(report.results[5].issues[0].code, "duplicate");

        // Re-sending is idempotent: nothing new, the stored record is unchanged.
        let mut changed = record("r1");
        changed["clicks"] = serde_json::json!(1);
        let again = body(serde_json::json!({ "records": [changed, record("r5")] }));
        let report = run(ingest(&store, &me, "a", &again, NOW)).unwrap();
        assert_eq!((report.stored, report.already_stored), (1, 1));
        let export = run(export(&store, &me, "a", NOW)).unwrap();
        let ids: Vec<&str> = export
            .records
            .iter()
            .map(|r| r.record_id.as_str())
            .collect();
        assert_eq!(ids, ["r1", "r2", "r5"]);
        assert_eq!(export.records[0].clicks, 20);
        assert!(export.records.iter().all(|r| r.account_id == "a"));
    }

    #[test]
    fn ingest_limits_and_bad_bodies() {
        let (store, a, _) = setup();
        let me = caller(&store, &a).unwrap();
        let many: Vec<Value> = (0..=MAX_BATCH_RECORDS)
            .map(|i| record(&format!("r{i}")))
            .collect();
        let e = run(ingest(
            &store,
            &me,
            "a",
            &body(serde_json::json!({"records": many})),
            NOW,
        ))
        .unwrap_err();
        assert_eq!(
            (e.status(), e.code(), e.field()),
            (422, "too_many", Some("records"))
        );
        let e = run(ingest(&store, &me, "a", b"{", NOW)).unwrap_err();
        assert_eq!(e.status(), 400);
        let e = run(ingest(&store, &me, "a", br#"{"records": [], "x": 1}"#, NOW)).unwrap_err();
        assert_eq!(e.code(), "unknown_field");
        let e = run(ingest(&store, &me, "a", br#"{"records": {}}"#, NOW)).unwrap_err();
        assert_eq!(e.code(), "invalid_type");
        let ok = run(ingest(&store, &me, "a", br#"{"records": []}"#, NOW)).unwrap();
        assert_eq!(ok.received, 0);
    }

    /// The per-account storage cap: a batch that would cross it is refused whole with a 422
    /// naming the cap and the count; what was stored before is kept; the other accounts are
    /// not affected.
    #[test]
    fn the_record_cap_refuses_a_batch_that_would_cross_it() {
        let (store, a, b) = setup();
        let (ca, cb) = (caller(&store, &a).unwrap(), caller(&store, &b).unwrap());
        let (outbox, link) = (
            crate::testing::MemoryOutbox::new(),
            crate::testing::MemoryLink::off(),
        );
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        let batch = |from: usize, n: usize| IngestRequest {
            records: (from..from + n).map(|i| record(&format!("r{i}"))).collect(),
        };
        let ingest_capped = |caller: &Caller, id: &str, req: IngestRequest| {
            let owner = run(owned(&store, caller, id)).unwrap();
            run(super::ingest(&ports, &owner, req, NOW, 10)).map(|c| c.value)
        };
        assert_eq!(ingest_capped(&ca, "a", batch(0, 8)).unwrap().stored, 8);
        let e = ingest_capped(&ca, "a", batch(8, 3)).unwrap_err();
        assert_eq!(
            (e.status(), e.code(), e.field()),
            (422, "record_cap_exceeded", Some("records"))
        );
        let message = e.body().error.message;
        assert!(
            message.contains("10") && message.contains(" 8 ") && message.contains(MAX_RECORDS_VAR),
            "{message}"
        );
        // Refused whole; nothing stored before is lost.
        assert_eq!(run(store.record_count("a")).unwrap(), 8);
        // Up to the cap is fine; another account has its own cap.
        assert_eq!(ingest_capped(&ca, "a", batch(8, 2)).unwrap().stored, 2);
        assert_eq!(ingest_capped(&cb, "b", batch(0, 10)).unwrap().stored, 10);
        // A batch of only invalid records is answered as before (nothing to store).
        let bad = IngestRequest {
            records: vec![serde_json::json!(7)],
        };
        assert_eq!(ingest_capped(&ca, "a", bad).unwrap().rejected, 1);
        assert_eq!(run(store.record_count("a")).unwrap(), 10);
    }

    #[test]
    fn token_rotation_revokes_the_old_token() {
        let (store, a, b) = setup();
        let me = caller(&store, &a).unwrap();
        let owner = run(owned(&store, &me, "a")).unwrap();
        let rotated = run(rotate_token(&store, &owner, "clt_new".into(), NOW)).unwrap();
        assert_eq!(
            (rotated.account_id.as_str(), rotated.token.as_str()),
            ("a", "clt_new")
        );
        assert_eq!(caller(&store, &a).unwrap_err().status(), 401);
        assert_eq!(
            caller(&store, "clt_new").unwrap(),
            Caller::Account("a".into())
        );
        // The other account's token is untouched.
        assert_eq!(caller(&store, &b).unwrap(), Caller::Account("b".into()));
        // Another account's token cannot rotate this one (403, as every account route).
        let other = caller(&store, &b).unwrap();
        assert_eq!(run(owned(&store, &other, "a")).unwrap_err().status(), 403);
        // A failed write changes nothing.
        store.fail.set(true);
        assert!(run(rotate_token(&store, &owner, "clt_x".into(), NOW)).is_err());
        store.fail.set(false);
        assert!(caller(&store, "clt_new").is_ok());
    }

    #[test]
    fn max_records_var() {
        assert_eq!(max_records_from_var(None), Ok(DEFAULT_MAX_RECORDS));
        assert_eq!(max_records_from_var(Some(" 500 ")), Ok(500));
        for bad in ["0", "-1", "lots", ""] {
            let e = max_records_from_var(Some(bad)).unwrap_err();
            assert_eq!(e.field(), Some(MAX_RECORDS_VAR), "{bad}");
        }
    }

    #[test]
    fn no_cross_account_access() {
        let (store, a, b) = setup();
        let (ca, cb) = (caller(&store, &a).unwrap(), caller(&store, &b).unwrap());
        let batch = body(serde_json::json!({ "records": [record("r1")] }));
        run(ingest(&store, &cb, "b", &batch, NOW)).unwrap();
        // a may not touch b (nor a non-existent account: 403, not 404).
        for target in ["b", "nobody"] {
            let errs = [
                run(ingest(&store, &ca, target, &batch, NOW)).unwrap_err(),
                run(set_consent(
                    &store,
                    &ca,
                    target,
                    br#"{"opted_in":true}"#,
                    NOW,
                ))
                .unwrap_err(),
                run(export(&store, &ca, target, NOW)).unwrap_err(),
                run(erase(&store, &ca, target)).unwrap_err(),
            ];
            for e in errs {
                assert_eq!((e.status(), e.code()), (403, "forbidden"), "{target}");
            }
        }
        assert_eq!(run(export(&store, &cb, "b", NOW)).unwrap().records.len(), 1);
        assert!(!run(store.consent("b")).unwrap().opted_in);
        // The operator may act on any account; unknown ones are 404.
        assert_eq!(
            run(export(&store, &Caller::Operator, "b", NOW))
                .unwrap()
                .records
                .len(),
            1
        );
        let e = run(export(&store, &Caller::Operator, "nobody", NOW)).unwrap_err();
        assert_eq!(e.status(), 404);
    }

    #[test]
    fn consent_is_opt_in_and_settable() {
        let (store, a, _) = setup();
        let me = caller(&store, &a).unwrap();
        let ex = run(export(&store, &me, "a", NOW)).unwrap();
        assert_eq!(ex.consent, Consent::default());
        let c = run(set_consent(&store, &me, "a", br#"{"opted_in": true}"#, NOW)).unwrap();
        assert!(c.opted_in);
        assert_eq!(c.updated_at.as_deref(), Some(NOW));
        assert!(run(export(&store, &me, "a", NOW)).unwrap().consent.opted_in);
        run(set_consent(
            &store,
            &me,
            "a",
            br#"{"opted_in": false}"#,
            NOW,
        ))
        .unwrap();
        assert!(!run(store.consent("a")).unwrap().opted_in);
        for bad in [
            &br#"{"opted_in": "yes"}"#[..],
            b"{}",
            br#"{"opted_in": true, "x": 1}"#,
        ] {
            let e = run(set_consent(&store, &me, "a", bad, NOW)).unwrap_err();
            assert_eq!(e.status(), 422);
        }
    }

    #[test]
    fn erasure_removes_everything_and_revokes_the_token() {
        let (store, a, b) = setup();
        let me = caller(&store, &a).unwrap();
        let batch = body(serde_json::json!({ "records": [record("r1"), record("r2")] }));
        run(ingest(&store, &me, "a", &batch, NOW)).unwrap();
        run(ingest(
            &store,
            &caller(&store, &b).unwrap(),
            "b",
            &batch,
            NOW,
        ))
        .unwrap();
        run(set_consent(&store, &me, "a", br#"{"opted_in": true}"#, NOW)).unwrap();
        run(store.add_event(&Event {
            event_id: "e1".into(),
            account_id: "a".into(),
            niche: "fitness".into(),
            event_type: "wisdom_applied".into(),
            payload: serde_json::json!({}),
            created_at: NOW.into(),
        }))
        .unwrap();
        assert_eq!(run(export(&store, &me, "a", NOW)).unwrap().events.len(), 1);
        let gone = run(erase(&store, &me, "a")).unwrap();
        assert_eq!((gone.records, gone.events), (2, 1));
        assert_eq!(store.rows_of("a"), 0);
        assert_eq!(caller(&store, &a).unwrap_err().status(), 401);
        let e = run(export(&store, &Caller::Operator, "a", NOW)).unwrap_err();
        assert_eq!(e.status(), 404);
        // b is untouched.
        assert_eq!(
            run(export(&store, &Caller::Operator, "b", NOW))
                .unwrap()
                .records
                .len(),
            2
        );
        // The id can be reused afterwards, starting empty.
        run(create_account(
            &store,
            &Caller::Operator,
            br#"{"account_id": "a"}"#,
            NOW,
            "g".into(),
            "clt_new".into(),
        ))
        .unwrap();
        let fresh = run(export(&store, &Caller::Operator, "a", NOW)).unwrap();
        assert!(fresh.records.is_empty() && fresh.events.is_empty() && !fresh.consent.opted_in);
    }

    #[test]
    fn storage_faults_are_generic_500s() {
        let (store, a, _) = setup();
        store.fail.set(true);
        let e = run(authenticate(&store, Some(&format!("Bearer {a}")), Some(OP))).unwrap_err();
        assert_eq!((e.status(), e.code()), (500, "internal"));
        assert_eq!(e.body().error.message, "internal error");
        let e = run(export(&store, &Caller::Operator, "a", NOW)).unwrap_err();
        assert_eq!(e.status(), 500);
    }

    #[test]
    fn iso_times() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(1_767_323_045_006), "2026-01-02T03:04:05.006Z");
        assert_eq!(iso_utc(951_782_400_000 - 1), "2000-02-28T23:59:59.999Z");
    }

    /// CSV uploads go through the core's importer and the same store as JSON batches.
    #[test]
    fn csv_uploads_are_idempotent_report_lines_and_respect_the_limits() {
        let (store, a, _) = setup();
        let ca = caller(&store, &a).unwrap();
        let (outbox, link) = (
            crate::testing::MemoryOutbox::new(),
            crate::testing::MemoryLink::off(),
        );
        let ports = Ports {
            store: &store,
            outbox: &outbox,
            link: &link,
        };
        // As the route streams it: in 100-byte chunks through the CSV body reader.
        let upload = |csv: &[u8], cap: u64| {
            let owner = run(owned(&store, &ca, "a")).unwrap();
            let mut body = crate::http::body::CsvBody::new(MAX_CSV_ROWS);
            for chunk in csv.chunks(100) {
                body.push(chunk);
            }
            let report = body.finish()?;
            run(super::ingest_csv(&ports, &owner, report, NOW, cap)).map(|c| c.value)
        };
        let bing: &[u8] = include_bytes!("../../../tests/data/imports/bing_ad_performance_us.csv");
        let r = upload(bing, 100).unwrap();
        assert_eq!((r.received, r.stored, r.rejected), (5, 5, 0));
        let stored = run(store.records("a")).unwrap();
        assert!(
            stored.iter().all(|x| x.account_id == "a"),
            "the path's account"
        );
        assert!(stored
            .iter()
            .all(|x| x.network == Some(crosslearn::network::AdNetwork::MicrosoftAds)));
        // The same export again, with its data rows in another order: nothing stored twice.
        let text = std::str::from_utf8(bing).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        let mut shuffled: Vec<&str> = lines[..11].to_vec();
        shuffled.extend([lines[14], lines[12], lines[15], lines[11], lines[13]]);
        shuffled.extend(&lines[16..]);
        let again = upload(shuffled.join("\r\n").as_bytes(), 100).unwrap();
        assert_eq!((again.stored, again.already_stored), (0, 5));
        assert_eq!(run(store.record_count("a")).unwrap(), 5);
        // A bad row is answered with its line; the others are stored.
        let csv = "record_id,account_id,platform,impressions,clicks,spend\n\
                   g1,a,bing,100,2,1.5\n\
                   g2,a,meta,100,200,1.5\n\
                   g3,someone-else,meta,100,2,1.5\n";
        let r = upload(csv.as_bytes(), 100).unwrap();
        assert_eq!((r.received, r.stored, r.rejected), (3, 1, 2));
        let bad = &r.results[1];
        assert_eq!(
            (bad.index, bad.line, bad.status),
            (1, Some(3), IngestStatus::Rejected)
        );
        assert_eq!(bad.issues[0].field, "clicks");
        assert_eq!(r.results[2].issues[0].field, "account_id");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["results"][1]["line"], 3);
        assert!(json["results"][0].get("line").is_none());
        // Over the row limit: 413, nothing stored.
        let mut big = String::from("record_id,account_id,platform,impressions,clicks,spend\n");
        for i in 0..=MAX_CSV_ROWS {
            big.push_str(&format!("big{i},a,meta,10,1,1\n"));
        }
        let e = upload(big.as_bytes(), 10_000).unwrap_err();
        assert_eq!((e.status(), e.code()), (413, "too_large"));
        assert!(e
            .body()
            .error
            .message
            .contains("more than 500 data rows (row 501 starts at line 502)"));
        assert_eq!(run(store.record_count("a")).unwrap(), 6);
        // The per-account cap applies to CSV too.
        let x: &[u8] = include_bytes!("../../../tests/data/imports/x_ads_manager_export.csv");
        let e = upload(x, 8).unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "record_cap_exceeded"));
        // Not a known format: 422 naming the formats.
        let e = upload(b"a,b\n1,2\n", 100).unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "unsupported"));
        assert!(e.body().error.message.contains("Microsoft Advertising"));
    }
}
