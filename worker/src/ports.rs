//! The ports: the typed traits the services are written against, with their own error types
//! ([`StoreError`] for D1/KV, [`RedisError`] for the aggregate store) and the values they carry.
//!
//! The services ([`crate::service::accounts`]) are generic over these traits, so every rule (who may do
//! what, idempotent ingest, erasure, the outbox protocol, publication) is tested natively against
//! the in-memory fakes in [`crate::testing`]. The adapters in [`crate::adapters`] (D1 = the source
//! of truth; KV = published releases, and the niche model file in its own namespace; Redis = niche
//! aggregates) are the only code that touches the Workers bindings.
//!
//! Methods are `async fn` without `Send` bounds: Worker futures are single-threaded (D1 calls hold
//! JS values), and the fakes are always ready.

use crosslearn::niche::Niche;
use crosslearn::privacy::aggregate::Aggregate;
use crosslearn::privacy::zcdp::BudgetPolicy;
use crosslearn::record::CreativeRecord;
use crosslearn::wisdom::suffstat::{PosteriorTable, SuffStatConfig};
use crosslearn::wisdom::{NicheWisdom, ReleaseConfig, WisdomContribution};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A storage failure. Never caused by client input. A failed write names what it wrote
/// ([`StoreError::write`]) and is answered 503 `storage_unavailable`; any other storage fault is
/// logged and answered with a generic 500 (see [`crate::service::accounts::auth::internal`]).
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
    /// Replace every token of the account by the one with this hash, in one transaction (the
    /// old tokens stop working the moment the new one is stored).
    async fn replace_token(&self, account_id: &str, token_hash: &str, now: &str)
        -> StoreResult<()>;
    /// The account's consent (the default, not opted in, if never set).
    async fn consent(&self, account_id: &str) -> StoreResult<Consent>;
    /// Set the account's consent.
    async fn set_consent(&self, account_id: &str, consent: &Consent) -> StoreResult<()>;
    /// Ids of the accounts that opted in to cross-learning, ordered.
    async fn opted_in_accounts(&self) -> StoreResult<Vec<String>>;
    /// One page of [`Accounts::opted_in_accounts`]: at most `limit` ids greater than `after`
    /// (`""` for the first page), ordered. Publication reads accounts page by page.
    async fn opted_in_page(&self, after: &str, limit: u32) -> StoreResult<Vec<String>>;
    /// How many accounts opted in.
    async fn opted_in_count(&self) -> StoreResult<u64> {
        Ok(self.opted_in_accounts().await?.len() as u64)
    }
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
    /// At most `limit` records of the account whose id sorts after `after` (`""`: from the
    /// first), ordered by record id: one page of an export.
    async fn records_page(
        &self,
        account_id: &str,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<CreativeRecord>>;
    /// How many records the account has stored (for the per-account storage cap).
    async fn record_count(&self, account_id: &str) -> StoreResult<u64>;
    /// Keep briefs issued to the account: `(record id, brief JSON)` pairs (D1
    /// `explore_briefs`; the record ids are fresh random ids, never reused).
    async fn insert_briefs(
        &self,
        account_id: &str,
        briefs: &[(String, String)],
        now: &str,
    ) -> StoreResult<()>;
    /// How many briefs the account has been issued (for [`crate::service::accounts::MAX_BRIEFS_PER_ACCOUNT`]).
    async fn brief_count(&self, account_id: &str) -> StoreResult<u64>;
    /// The briefs issued to the account whose record ids are among `record_ids`: record id →
    /// brief JSON.
    async fn briefs(
        &self,
        account_id: &str,
        record_ids: &[String],
    ) -> StoreResult<BTreeMap<String, String>>;
}

/// Most events kept per account: appending one more (apply-wisdom, extract-insights) drops the
/// account's oldest beyond this, in the same transaction, so no client can grow the events
/// table without bound.
pub const MAX_EVENTS_PER_ACCOUNT: usize = 1_000;

/// Cross-learning events.
#[allow(async_fn_in_trait)]
pub trait Events {
    /// Append an event, keeping only the account's newest [`MAX_EVENTS_PER_ACCOUNT`].
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
    /// Append a row and charge its `ε` to each of `charge.accounts` in the privacy ledger, in one
    /// transaction (the release's `release_log` row, kind [`KIND_LIFT`], holds `charge.draw`,
    /// and the ledger rows are written only when that draw is the recorded one). `Ok(false)`
    /// (no change, nobody charged) if the (period, niche) release is already recorded.
    async fn record_release(&self, row: &HistoryRow, charge: &LiftCharge) -> StoreResult<bool>;
}

/// Who a format-1 release is charged to, and the run that drew it ([`History::record_release`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiftCharge {
    /// The day charged (the period's first day, days since 1970-01-01).
    pub day: i64,
    /// Id of the run that drew the release's noise.
    pub draw: String,
    /// The accounts counted in the release (its niche's frozen members for the period).
    pub accounts: Vec<String>,
}

impl LiftCharge {
    /// The `release_log` row of the format-1 release `row` drawn by this charge's run: kind
    /// [`KIND_LIFT`], `ρ` 0, pure `ε` (`δ` 0); the release itself stays in `release_history`.
    pub fn log_row(&self, row: &HistoryRow) -> ReleaseLogRow {
        ReleaseLogRow {
            release_id: row.release_id(),
            kind: KIND_LIFT.to_string(),
            niche: row.niche.clone(),
            period: row.period,
            day: self.day,
            rho: 0.0,
            epsilon: row.epsilon,
            delta: 0.0,
            published: row.published,
            noisy_count: row.sample_size.map(|n| n as i64),
            draw: self.draw.clone(),
            params_json: row.params_json.clone(),
            release_json: String::new(),
            published_at: row.published_at.clone(),
        }
    }
}

impl HistoryRow {
    /// The release id: `"<period>:<niche>"`.
    pub fn release_id(&self) -> String {
        format!("{}:{}", self.period, self.niche)
    }
}

/// Everything `RELEASE_CONFIG` configures: the format-1 (lift) release, the format-2
/// (sufficient statistics) release and the per-account budget format 2 is held to.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishConfig {
    /// The format-1 release config (every key but `format2` and `privacy_budget`).
    pub release: ReleaseConfig,
    /// The format-2 release config, its `period_days` equal to `release.cadence_days`.
    pub format2: SuffStatConfig,
    /// The per-account zCDP cap over the rolling window.
    pub budget: BudgetPolicy,
}

/// The kind of a format-2 release in the release log and the ledger.
pub const KIND_SUFFSTAT: &str = "suffstat";

/// The kind of a format-1 (lift) release in the release log and the ledger: a pure `ε`-DP
/// release, charged as `ε` (`rho` 0 in its rows).
pub const KIND_LIFT: &str = "lift";

/// The kind of a distribution release (the benchmarks on their own cadence,
/// `RELEASE_CONFIG.distributions`) in the release log and the ledger: a pure `ε`-DP release,
/// charged as `ε` (`rho` 0), id `"dist:<period>:<niche>"` (migration 0008).
pub const KIND_DISTRIBUTION: &str = "distribution";

/// What an account spent within a window: pure `ε` (format 1) and `ρ` (format 2).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Spent {
    /// Sum of the pure `ε`-DP releases' `ε`.
    pub epsilon: f64,
    /// Sum of the zCDP releases' `ρ`.
    pub rho: f64,
}

impl Spent {
    /// The total `ε` at `delta` ([`crosslearn::privacy::zcdp::total_epsilon`]).
    pub fn total_epsilon(&self, delta: f64) -> f64 {
        crosslearn::privacy::zcdp::total_epsilon(self.epsilon, self.rho, delta)
    }
}

/// One row of the release log (D1 `release_log`): a release with its kind and the zCDP `ρ` it
/// spent on every account in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseLogRow {
    /// `"<period>/<niche>"` (format 2), `"<period>:<niche>"` (format 1),
    /// `"dist:<period>:<niche>"` (distribution release).
    pub release_id: String,
    /// [`KIND_SUFFSTAT`], [`KIND_LIFT`] or [`KIND_DISTRIBUTION`].
    pub kind: String,
    /// The niche (snake_case).
    pub niche: String,
    /// The period.
    pub period: u32,
    /// The period's first day (days since 1970-01-01): the day the ledger charges.
    pub day: i64,
    /// `ρ` spent on every account in it.
    pub rho: f64,
    /// `ε` at `delta` of the release.
    pub epsilon: f64,
    /// The `δ`.
    pub delta: f64,
    /// Passed the noisy niche count gate.
    pub published: bool,
    /// The noisy count, when published.
    pub noisy_count: Option<i64>,
    /// Id of the run that drew its noise: the ledger is charged only by the run whose draw was
    /// recorded.
    pub draw: String,
    /// The release parameters as JSON (`crosslearn::wisdom::suffstat::SuffStatConfig`).
    pub params_json: String,
    /// The noisy release (`crosslearn::wisdom::suffstat::NicheSuffRelease`) as JSON; empty for
    /// a format-1 release (held in `release_history`).
    pub release_json: String,
    /// When it was made (UTC, ISO 8601).
    pub published_at: String,
}

impl ReleaseLogRow {
    /// The pure `ε` it charges each account: its `ε` when it is a pure `ε`-DP release (`δ` 0),
    /// else 0 (a zCDP release charges `ρ`).
    pub fn pure_epsilon(&self) -> f64 {
        if self.delta == 0.0 {
            self.epsilon
        } else {
            0.0
        }
    }
}

/// One release an account's data entered, as the account reads it (D1 `privacy_ledger`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LedgerRow {
    /// The release (`"<period>/<niche>"`).
    pub release_id: String,
    /// The release kind (`suffstat`: format 2; `lift`: format 1; `distribution`: the
    /// benchmarks' own release).
    pub kind: String,
    /// The niche it was counted in.
    pub niche: String,
    /// The period.
    pub period: u32,
    /// The day charged (the period's first day, days since 1970-01-01).
    pub day: i64,
    /// The zCDP `ρ` it spent (0 for a format-1 release).
    pub rho: f64,
    /// The pure `ε` it spent (a format-1 release's `ε`; 0 for format 2).
    pub epsilon: f64,
}

/// The release log and the per-account privacy ledger (D1 `release_log`, `privacy_ledger`).
#[allow(async_fn_in_trait)]
pub trait Ledger {
    /// The releases of `kind` made for `period`, by niche.
    async fn release_log(&self, kind: &str, period: u32) -> StoreResult<Vec<ReleaseLogRow>>;
    /// Record the release and charge its `ρ` to each of `accounts`, in one transaction.
    /// `Ok(false)` (nothing recorded, nobody charged) if the release id is already recorded.
    async fn record_charged(&self, row: &ReleaseLogRow, accounts: &[String]) -> StoreResult<bool>;
    /// Each of `accounts`' total pure `ε` and `ρ` over ledger days `from_day < day <= to_day`
    /// (accounts with nothing spent may be absent).
    async fn spent(
        &self,
        accounts: &[String],
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<BTreeMap<String, Spent>>;
    /// The account's ledger, oldest first.
    async fn ledger(&self, account_id: &str) -> StoreResult<Vec<LedgerRow>>;
}

/// A release as the releases store holds it: the exact bytes that were published (served
/// verbatim by the wisdom reads), decoded on demand. Made from typed values only
/// ([`StoredRelease::of`]) or read back from the store ([`StoredRelease::from_text`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    text: String,
}

impl StoredRelease {
    /// The JSON of `value` (a `NicheWisdom`, or the bulk array of them), as published.
    pub fn of<T: Serialize + ?Sized>(value: &T) -> StoreResult<Self> {
        serde_json::to_string(value)
            .map(|text| StoredRelease { text })
            .map_err(|e| StoreError::new(format!("release not serializable: {e}")))
    }

    /// Bytes read back from the store (not yet known to decode).
    pub fn from_text(text: String) -> Self {
        StoredRelease { text }
    }

    /// The stored JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Decode it (a stored value may be corrupt or foreign: the caller answers 503).
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.text)
    }
}

/// Published niche releases (KV): one read per wisdom request.
#[allow(async_fn_in_trait)]
pub trait Releases {
    /// The published release of `niche`, as stored.
    async fn published(&self, niche: Niche) -> StoreResult<Option<StoredRelease>>;
    /// Publish (replace) the release of its niche.
    async fn publish(&self, release: &NicheWisdom) -> StoreResult<()>;
    /// Every niche's current release as one JSON array (for the bulk read), if published.
    async fn published_all(&self) -> StoreResult<Option<StoredRelease>>;
    /// Publish (replace) the bulk array.
    async fn publish_all(&self, releases: &[NicheWisdom]) -> StoreResult<()>;
    /// The published format-2 posteriors of `niche`, as stored.
    async fn published_v2(&self, niche: Niche) -> StoreResult<Option<StoredRelease>>;
    /// Publish (replace) the format-2 posteriors of its niche.
    async fn publish_v2(&self, table: &PosteriorTable) -> StoreResult<()>;
    /// Every niche's format-2 posteriors as one JSON array, if published.
    async fn published_v2_all(&self) -> StoreResult<Option<StoredRelease>>;
    /// Publish (replace) the format-2 bulk array.
    async fn publish_v2_all(&self, tables: &[PosteriorTable]) -> StoreResult<()>;
}

/// Model files kept in a KV namespace (binding `MODELS`), by key: read once per isolate by
/// [`crate::service::models::load`], which checks the bytes against the Worker's pinned hash.
#[allow(async_fn_in_trait)]
pub trait ModelStore {
    /// The bytes stored under `key` (`None`: no such key).
    async fn model_bytes(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
}

/// Niche membership frozen per release period (D1 `niche_membership`): the niche an account
/// was first counted in during a period is the only one it can count in for that period, so an
/// account whose records change niche between two runs of one period is counted once.
#[allow(async_fn_in_trait)]
pub trait Membership {
    /// Record each (account, niche) for `period` unless the account already has a niche for it
    /// (first write wins), forget older periods, and return each account's frozen niche, in
    /// order.
    async fn freeze_niches(
        &self,
        period: u32,
        members: &[(String, Niche)],
    ) -> StoreResult<Vec<Niche>>;
}

/// One outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxRow {
    /// Changes of the account so far.
    pub seq: u64,
    /// The change Redis reflects.
    pub synced: u64,
}

/// The outbox as a whole, read in one statement: what Redis must match before it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxTotals {
    /// The current Redis epoch (bumped by every rebuild; 0: never rebuilt).
    pub epoch: u64,
    /// Sum of `synced` over every row (erased accounts' tombstone rows included).
    pub synced_sum: u64,
    /// Rows with `seq > synced`.
    pub pending: u64,
}

/// Per-account change counters (D1: `redis_outbox`) and the Redis epoch (D1: `redis_state`).
/// Rows are never deleted: an erased account keeps its row (its id and last seq, no data) as a
/// tombstone, so its seq never restarts and a stale update can never be newer than the erasure.
#[allow(async_fn_in_trait)]
pub trait Outbox {
    /// Count one more change of the account (call BEFORE writing it to D1); returns its seq.
    async fn mark(&self, account_id: &str) -> StoreResult<u64>;
    /// Accounts with changes Redis may not have (`seq > synced`), at most `limit`, by id.
    async fn pending(&self, limit: u32) -> StoreResult<Vec<(String, u64)>>;
    /// How many accounts are pending.
    async fn pending_count(&self) -> StoreResult<u64>;
    /// Every row, by account id (tests and small tables; a rebuild reads [`Outbox::page`]s).
    async fn rows(&self) -> StoreResult<BTreeMap<String, OutboxRow>>;
    /// At most `limit` rows with an account id after `after` (from the start when None), by id.
    async fn page(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, OutboxRow)>>;
    /// Redis reflects the account as of `seq` (raises `synced`, never lowers it).
    async fn synced(&self, account_id: &str, seq: u64) -> StoreResult<()>;
    /// The epoch, the sum of `synced` and the pending count, as of one moment.
    async fn totals(&self) -> StoreResult<OutboxTotals>;
    /// Start a new Redis epoch (before a rebuild clears Redis); returns it.
    async fn next_epoch(&self) -> StoreResult<u64>;
}

/// Exact aggregates per niche (niches nobody contributes to may be absent).
pub type Aggregates = BTreeMap<Niche, Aggregate>;

/// The niches a publication releases (all but `unknown`).
pub fn niches() -> impl Iterator<Item = Niche> {
    Niche::ALL.into_iter().filter(|n| *n != Niche::Unknown)
}

/// One account's update.
#[derive(Debug, Clone, PartialEq)]
pub struct Apply {
    /// The account.
    pub account_id: String,
    /// Its outbox seq as of which `contribution` was read from D1.
    pub seq: u64,
    /// Its contribution then (None: not opted in, not enough data, or erased).
    pub contribution: Option<WisdomContribution>,
    /// The account existed and was opted in then (counted in [`StoreState::opted_in`]). An
    /// erased or opted-out account is stored as a tombstone with its seq, never deleted.
    pub opted_in: bool,
}

/// What the aggregate store holds besides the per-account entries: its ready marker's epoch,
/// the sum of the seqs of its account entries and how many of them are opted in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreState {
    /// The epoch its ready marker carries (None: not ready, never rebuilt or lost its data).
    pub epoch: Option<u64>,
    /// The fingerprint of the release config its contributions were clipped with (the ready
    /// marker's; see [`config_fingerprint`]).
    pub config: Option<String>,
    /// Sum of the seqs of every account entry (tombstones included).
    pub seq_sum: u64,
    /// Account entries that are opted in.
    pub opted_in: u64,
    /// The per-niche aggregates.
    pub aggregates: Aggregates,
}

/// A short fingerprint of a release config (FNV-1a 64 of its JSON, hex): Redis's contributions
/// were clipped with the config whose fingerprint its ready marker carries, so a changed
/// `RELEASE_CONFIG` makes Redis untrusted until it is rebuilt under the new one.
pub fn config_fingerprint(config: &ReleaseConfig) -> String {
    let json = serde_json::to_string(config).unwrap_or_default();
    let hash = json.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// Where the Redis-side aggregates live ([`crate::adapters::redis`] in the Worker,
/// [`crate::testing::MemoryAggregates`] in native tests). Must apply each [`Apply`] atomically.
#[allow(async_fn_in_trait)]
pub trait AggregateStore {
    /// Apply updates in order; per update, whether it was applied (false: stale seq).
    async fn apply(&mut self, updates: &[Apply]) -> Result<Vec<bool>, RedisError>;
    /// The aggregates with the ready marker's epoch and the entry totals.
    async fn read(&mut self) -> Result<StoreState, RedisError>;
    /// Delete every key (and the ready marker).
    async fn clear(&mut self) -> Result<(), RedisError>;
    /// Set the ready marker to `epoch` and the release config's fingerprint.
    async fn set_ready(&mut self, epoch: u64, config: &str) -> Result<(), RedisError>;
    /// Check the connection answers (`PING`).
    async fn ping(&mut self) -> Result<(), RedisError>;
    /// Close the connection (best effort; a no-op for stores without one).
    async fn close(self);
}

/// Whether aggregates are kept outside D1, as the configuration says.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkMode {
    /// No aggregate store configured (D1-only mode).
    Off,
    /// Configured.
    On,
    /// Configured, but the configuration is unusable (the reason). Changes are still counted in
    /// the outbox, so a later rebuild cannot miss them.
    Broken(String),
}

/// How the services reach the aggregate store: its mode, and a fresh connection per use (a
/// Worker's socket cannot outlive its request).
#[allow(async_fn_in_trait)]
pub trait AggregatesLink {
    /// The open store.
    type Store: AggregateStore;
    /// Off, on, or misconfigured.
    fn mode(&self) -> LinkMode;
    /// Open a connection (each step within the configured timeout).
    async fn open(&self) -> Result<Self::Store, RedisError>;
    /// The release config contributions are clipped with: the publication's (`RELEASE_CONFIG`),
    /// so the sensitivity the noise assumes holds; an error says why it is unusable.
    fn release_config(&self) -> Result<ReleaseConfig, String>;
    /// Before an account change's sync: `Err(why)` to skip the store for now (its circuit
    /// breaker is open); the change stays in the outbox.
    fn admit(&self) -> Result<(), String> {
        Ok(())
    }
    /// After a sync attempt: whether the store answered (feeds the circuit breaker).
    fn outcome(&self, _ok: bool) {}
}

/// Why a Redis call failed. Never shown to API clients except on operator routes.
#[derive(Debug, Clone, PartialEq)]
pub enum RedisError {
    /// A bad `REDIS_*` var.
    Config(String),
    /// A step did not finish within the timeout.
    Timeout {
        /// Which step (`connect`, `AUTH`, a command name).
        step: String,
        /// The deadline, milliseconds.
        ms: u64,
        /// Whether TLS was on (a TLS/plain mismatch often shows as a stalled handshake).
        tls: bool,
    },
    /// The socket failed (refused, reset, TLS handshake error).
    Io(String),
    /// `AUTH` was refused.
    Auth(String),
    /// The server answered with an error.
    Server(String),
    /// The reply was not valid RESP or not the expected shape.
    Protocol(String),
}

impl fmt::Display for RedisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisError::Config(m) => write!(f, "redis config: {m}"),
            RedisError::Timeout { step, ms, tls } => {
                write!(f, "redis: {step} timed out after {ms} ms")?;
                if *tls {
                    write!(f, " (REDIS_TLS is on: does the server speak TLS?)")?;
                }
                Ok(())
            }
            RedisError::Io(m) => write!(f, "redis connection failed: {m}"),
            RedisError::Auth(m) => write!(
                f,
                "redis authentication failed (check REDIS_PASSWORD / REDIS_USERNAME): {m}"
            ),
            RedisError::Server(m) => write!(f, "redis error reply: {m}"),
            RedisError::Protocol(m) => write!(f, "redis protocol error: {m}"),
        }
    }
}

impl std::error::Error for RedisError {}
