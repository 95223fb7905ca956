//! Storage: the traits the service layer is written against, and their implementations.
//!
//! The service ([`crate::service`]) is generic over these traits, so every rule (who may do what,
//! idempotent ingest, erasure) is tested natively against the in-memory fakes in [`memory`]. The
//! adapters [`d1`] (D1 = the source of truth: accounts, token hashes, consent, records, events,
//! release history) and [`kv`] (published releases) are the only code that touches the Workers
//! bindings; all SQL is in [`d1`], always through `prepare().bind()`.
//!
//! Methods are `async fn` without `Send` bounds: Worker futures are single-threaded (D1 calls hold
//! JS values), and the fakes are always ready.

pub mod d1;
pub mod faults;
pub mod kv;
pub mod memory;
pub mod outbox;
pub mod redis;

use crosslearn::record::CreativeRecord;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A storage failure. Never caused by client input. A failed write names what it wrote
/// ([`StoreError::write`]) and is answered 503 `storage_unavailable`; any other storage fault is
/// logged and answered with a generic 500 (see [`crate::auth::internal`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreError {
    /// What the storage layer reported (logged, never sent to a client).
    pub cause: String,
    /// For a failed write: what was being written (`records`, `consent`, ...), safe to show.
    pub write: Option<&'static str>,
}

impl StoreError {
    /// A storage fault that is not (known to be) a failed write.
    pub fn new(cause: impl Into<String>) -> Self {
        StoreError {
            cause: cause.into(),
            write: None,
        }
    }

    /// A write of `what` that failed (D1 refused or could not run it): nothing of it was stored.
    pub fn write(what: &'static str, cause: impl Into<String>) -> Self {
        StoreError {
            cause: cause.into(),
            write: Some(what),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.write {
            Some(what) => write!(f, "storage error writing {what}: {}", self.cause),
            None => write!(f, "storage error: {}", self.cause),
        }
    }
}

impl std::error::Error for StoreError {}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// An advertiser account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Account {
    /// The account's id (`[A-Za-z0-9_-]`, 1-64 characters).
    pub account_id: String,
    /// When it was created (UTC, ISO 8601).
    pub created_at: String,
}

/// An account's cross-learning consent. Opt-in: a new account is not opted in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Consent {
    /// Whether the account's records may contribute to published niche releases.
    pub opted_in: bool,
    /// When consent was last changed (UTC, ISO 8601); `None` if it never was.
    pub updated_at: Option<String>,
}

/// A cross-learning event of one account (the seed's `cross_learning_events`): wisdom applied,
/// insights extracted. Erased with the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// Unique id.
    pub event_id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// The niche involved.
    pub niche: String,
    /// `wisdom_applied`, `insights_extracted`, ...
    pub event_type: String,
    /// Event details as JSON.
    pub payload: serde_json::Value,
    /// When it happened (UTC, ISO 8601).
    pub created_at: String,
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Erased {
    /// Records deleted.
    pub records: u64,
    /// Events deleted.
    pub events: u64,
    /// Stored insights deleted (0 or 1).
    pub insights: u64,
}

/// An account's latest extracted insight (D1 `account_insights`): private to the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StoredInsight {
    /// The account.
    pub account_id: String,
    /// The insight's niche (snake_case name).
    pub niche: String,
    /// The insight (`crosslearn::insights::AccountInsight`) as JSON.
    pub insight_json: String,
    /// When it was extracted (UTC, ISO 8601).
    pub extracted_at: String,
}

/// Account insights: the latest one per account.
#[allow(async_fn_in_trait)]
pub trait Insights {
    /// Store (replace) the account's insight and append its `insights_extracted` event, in one
    /// transaction (both or neither).
    async fn put_insight(&self, insight: &StoredInsight, event: &Event) -> StoreResult<()>;
    /// The account's stored insight, if one was extracted.
    async fn insight(&self, account_id: &str) -> StoreResult<Option<StoredInsight>>;
}

/// Accounts, their token hashes and consent.
#[allow(async_fn_in_trait)]
pub trait Accounts {
    /// Create `account` with the SHA-256 hex digest of its token. `Ok(false)` (and no change) if
    /// the id is taken.
    async fn create_account(&self, account: &Account, token_hash: &str) -> StoreResult<bool>;
    /// The account with this id.
    async fn account(&self, account_id: &str) -> StoreResult<Option<Account>>;
    /// The id of the account whose token has this hash.
    async fn account_for_token(&self, token_hash: &str) -> StoreResult<Option<String>>;
    /// The account's consent (the default, not opted in, if never set).
    async fn consent(&self, account_id: &str) -> StoreResult<Consent>;
    /// Set the account's consent.
    async fn set_consent(&self, account_id: &str, consent: &Consent) -> StoreResult<()>;
    /// Ids of the accounts that opted in to cross-learning, ordered.
    async fn opted_in_accounts(&self) -> StoreResult<Vec<String>>;
    /// Delete everything of the account, in one transaction: records, events, insights, consent,
    /// token hashes, the account itself.
    async fn erase_account(&self, account_id: &str) -> StoreResult<Erased>;
}

/// Creative records, keyed by (account, record id).
#[allow(async_fn_in_trait)]
pub trait Records {
    /// Store records of one account; a record whose id is already stored for the account is left
    /// as it is. Returns, per record in order, whether it was newly stored.
    async fn insert_records(
        &self,
        account_id: &str,
        records: &[CreativeRecord],
        now: &str,
    ) -> StoreResult<Vec<bool>>;
    /// All records of the account, ordered by record id.
    async fn records(&self, account_id: &str) -> StoreResult<Vec<CreativeRecord>>;
}

/// Cross-learning events.
#[allow(async_fn_in_trait)]
pub trait Events {
    /// Append an event.
    async fn add_event(&self, event: &Event) -> StoreResult<()>;
    /// All events of the account, oldest first.
    async fn events(&self, account_id: &str) -> StoreResult<Vec<Event>>;
}

/// One row of the release history (D1 `release_history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Release period.
    pub period: u32,
    /// The niche (its snake_case name).
    pub niche: String,
    /// Epsilon charged for it.
    pub epsilon: f64,
    /// Passed the noisy k gate.
    pub published: bool,
    /// Noisy account count, when published.
    pub sample_size: Option<u64>,
    /// The release parameters as JSON (`crosslearn::wisdom::ReleaseConfig`).
    pub params_json: String,
    /// The release (`crosslearn::wisdom::NicheWisdom`) as JSON.
    pub release_json: String,
    /// When it was made (UTC, ISO 8601).
    pub published_at: String,
}

/// The history of releases: what was released when, and the budget it spent.
#[allow(async_fn_in_trait)]
pub trait History {
    /// Rows with `from <= period < to`, ordered by period then niche.
    async fn history(&self, from: u32, to: u32) -> StoreResult<Vec<HistoryRow>>;
    /// Append a row; `Ok(false)` (no change) if the (period, niche) release is already recorded.
    async fn record_release(&self, row: &HistoryRow) -> StoreResult<bool>;
}

/// Published niche releases (KV): one read per wisdom request.
#[allow(async_fn_in_trait)]
pub trait Releases {
    /// The published release of `niche`, as the JSON text that was published.
    async fn published(&self, niche: &str) -> StoreResult<Option<String>>;
    /// Publish (replace) the release of `niche`.
    async fn publish(&self, niche: &str, release_json: &str) -> StoreResult<()>;
    /// Every niche's current release as one JSON array (for the bulk read), if published.
    async fn published_all(&self) -> StoreResult<Option<String>>;
    /// Publish (replace) the bulk array.
    async fn publish_all(&self, releases_json: &str) -> StoreResult<()>;
}
