//! In-memory fakes of every port, for native unit tests of the services.
//!
//! One [`MemoryStore`] plays the whole D1 database plus the KV namespace, with the same semantics
//! as the adapters (insert-or-ignore by (account, record id), erasure of every table);
//! [`MemoryOutbox`] plays the D1 outbox table, [`MemoryAggregates`] the Redis aggregate store
//! (with the Lua script's semantics) and [`MemoryLink`] the connection to it; [`MemoryModels`]
//! the KV namespace of model files.

use crate::adapters::faults;
use crate::adapters::redis::Breaker;
use crate::ports::{
    Account, Accounts, AggregateStore, Aggregates, AggregatesLink, Apply, Consent, Erased, Event,
    Events, History, HistoryRow, Insights, Ledger, LedgerRow, LiftCharge, LinkMode, Membership,
    ModelStore, Outbox, OutboxRow, OutboxTotals, Records, RedisError, ReleaseLogRow, Releases,
    Spent, StoreError, StoreResult, StoreState, StoredInsight, StoredRelease,
    MAX_EVENTS_PER_ACCOUNT,
};
use crosslearn::niche::Niche;
use crosslearn::record::CreativeRecord;
use crosslearn::wisdom::suffstat::PosteriorTable;
use crosslearn::wisdom::NicheWisdom;
use crosslearn::wisdom::{empty_aggregate, ReleaseConfig, WisdomContribution};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Every table as a map, behind `RefCell` (the traits take `&self`, like the bindings do).
#[derive(Debug, Default)]
pub struct MemoryStore {
    accounts: RefCell<BTreeMap<String, Account>>,
    tokens: RefCell<BTreeMap<String, String>>,
    consent: RefCell<BTreeMap<String, Consent>>,
    records: RefCell<BTreeMap<(String, String), CreativeRecord>>,
    events: RefCell<Vec<Event>>,
    insights: RefCell<BTreeMap<String, StoredInsight>>,
    releases: RefCell<BTreeMap<Niche, String>>,
    all_releases: RefCell<Option<String>>,
    history: RefCell<BTreeMap<(u32, String), HistoryRow>>,
    membership: RefCell<BTreeMap<(u32, String), Niche>>,
    release_log: RefCell<BTreeMap<String, ReleaseLogRow>>,
    ledger: RefCell<BTreeMap<(String, String), LedgerRow>>,
    releases_v2: RefCell<BTreeMap<Niche, String>>,
    all_releases_v2: RefCell<Option<String>>,
    briefs: RefCell<BTreeMap<(String, String), String>>,
    /// When set, every call fails (to test that storage faults become a generic 500).
    pub fail: Cell<bool>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// How many rows of any kind mention `account_id` (0 after an erasure).
    pub fn rows_of(&self, account_id: &str) -> usize {
        self.accounts.borrow().contains_key(account_id) as usize
            + self
                .tokens
                .borrow()
                .values()
                .filter(|a| *a == account_id)
                .count()
            + self.consent.borrow().contains_key(account_id) as usize
            + self
                .records
                .borrow()
                .keys()
                .filter(|(a, _)| a == account_id)
                .count()
            + self
                .events
                .borrow()
                .iter()
                .filter(|e| e.account_id == account_id)
                .count()
            + self.insights.borrow().contains_key(account_id) as usize
            + self
                .briefs
                .borrow()
                .keys()
                .filter(|(a, _)| a == account_id)
                .count()
            + self
                .ledger
                .borrow()
                .keys()
                .filter(|(a, _)| a == account_id)
                .count()
    }

    /// Overwrite the stored format-2 posteriors of `niche` (`None`: the bulk array) with raw
    /// text.
    pub fn put_raw_release_v2(&self, niche: Option<Niche>, text: &str) {
        match niche {
            Some(n) => {
                self.releases_v2.borrow_mut().insert(n, text.to_string());
            }
            None => *self.all_releases_v2.borrow_mut() = Some(text.to_string()),
        }
    }

    /// Overwrite the stored release of `niche` (`None`: the bulk array) with raw text, as a
    /// corrupt or foreign KV value would be.
    pub fn put_raw_release(&self, niche: Option<Niche>, text: &str) {
        match niche {
            Some(n) => {
                self.releases.borrow_mut().insert(n, text.to_string());
            }
            None => *self.all_releases.borrow_mut() = Some(text.to_string()),
        }
    }

    /// Keep only the newest [`MAX_EVENTS_PER_ACCOUNT`] events of `account_id`.
    fn prune_events(events: &mut Vec<Event>, account_id: &str) {
        let mine = events.iter().filter(|e| e.account_id == account_id).count();
        let mut drop = mine.saturating_sub(MAX_EVENTS_PER_ACCOUNT);
        events.retain(|e| {
            if drop > 0 && e.account_id == account_id {
                drop -= 1;
                false
            } else {
                true
            }
        });
    }

    /// Before a write of `what`: [`MemoryStore::check`], then the same fault hook as the D1
    /// adapter ([`faults::check_write`]), so native tests exercise D1 write faults.
    fn check_write(&self, what: &'static str) -> StoreResult<()> {
        self.check()?;
        faults::check_write(what)
    }

    fn check(&self) -> StoreResult<()> {
        if self.fail.get() {
            Err(StoreError::new("injected failure"))
        } else {
            Ok(())
        }
    }
}

impl Accounts for MemoryStore {
    async fn create_account(&self, account: &Account, token_hash: &str) -> StoreResult<bool> {
        self.check_write("account")?;
        let mut accounts = self.accounts.borrow_mut();
        if accounts.contains_key(&account.account_id) {
            return Ok(false);
        }
        accounts.insert(account.account_id.clone(), account.clone());
        self.tokens
            .borrow_mut()
            .insert(token_hash.to_string(), account.account_id.clone());
        Ok(true)
    }

    async fn account(&self, account_id: &str) -> StoreResult<Option<Account>> {
        self.check()?;
        Ok(self.accounts.borrow().get(account_id).cloned())
    }

    async fn account_for_token(&self, token_hash: &str) -> StoreResult<Option<String>> {
        self.check()?;
        Ok(self.tokens.borrow().get(token_hash).cloned())
    }

    async fn replace_token(
        &self,
        account_id: &str,
        token_hash: &str,
        _now: &str,
    ) -> StoreResult<()> {
        self.check_write("token")?;
        let mut tokens = self.tokens.borrow_mut();
        tokens.retain(|_, a| a != account_id);
        tokens.insert(token_hash.to_string(), account_id.to_string());
        Ok(())
    }

    async fn consent(&self, account_id: &str) -> StoreResult<Consent> {
        self.check()?;
        Ok(self
            .consent
            .borrow()
            .get(account_id)
            .cloned()
            .unwrap_or_default())
    }

    async fn set_consent(&self, account_id: &str, consent: &Consent) -> StoreResult<()> {
        self.check_write("consent")?;
        self.consent
            .borrow_mut()
            .insert(account_id.to_string(), consent.clone());
        Ok(())
    }

    async fn opted_in_accounts(&self) -> StoreResult<Vec<String>> {
        self.check()?;
        Ok(self
            .consent
            .borrow()
            .iter()
            .filter(|(_, c)| c.opted_in)
            .map(|(a, _)| a.clone())
            .collect())
    }

    async fn opted_in_page(&self, after: &str, limit: u32) -> StoreResult<Vec<String>> {
        Ok(self
            .opted_in_accounts()
            .await?
            .into_iter()
            .filter(|a| a.as_str() > after)
            .take(limit as usize)
            .collect())
    }

    async fn erase_account(&self, account_id: &str) -> StoreResult<Erased> {
        self.check_write("erasure")?;
        let mut records = self.records.borrow_mut();
        let before = records.len();
        records.retain(|(a, _), _| a != account_id);
        let mut events = self.events.borrow_mut();
        let events_before = events.len();
        events.retain(|e| e.account_id != account_id);
        let insights = self.insights.borrow_mut().remove(account_id).is_some() as u64;
        self.consent.borrow_mut().remove(account_id);
        self.tokens.borrow_mut().retain(|_, a| a != account_id);
        self.membership
            .borrow_mut()
            .retain(|(_, a), _| a != account_id);
        self.ledger.borrow_mut().retain(|(a, _), _| a != account_id);
        self.briefs.borrow_mut().retain(|(a, _), _| a != account_id);
        self.accounts.borrow_mut().remove(account_id);
        Ok(Erased {
            records: (before - records.len()) as u64,
            events: (events_before - events.len()) as u64,
            insights,
        })
    }
}

impl Records for MemoryStore {
    async fn insert_records(
        &self,
        account_id: &str,
        records: &[CreativeRecord],
        _now: &str,
    ) -> StoreResult<Vec<bool>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.check_write("records")?;
        let mut stored = self.records.borrow_mut();
        Ok(records
            .iter()
            .map(|r| {
                let key = (account_id.to_string(), r.record_id.clone());
                match stored.entry(key) {
                    std::collections::btree_map::Entry::Occupied(_) => false,
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        slot.insert(r.clone());
                        true
                    }
                }
            })
            .collect())
    }

    async fn records(&self, account_id: &str) -> StoreResult<Vec<CreativeRecord>> {
        self.check()?;
        Ok(self
            .records
            .borrow()
            .iter()
            .filter(|((a, _), _)| a == account_id)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn records_page(
        &self,
        account_id: &str,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<CreativeRecord>> {
        self.check()?;
        Ok(self
            .records
            .borrow()
            .iter()
            .filter(|((a, id), _)| a == account_id && id.as_str() > after)
            .take(limit as usize)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn record_count(&self, account_id: &str) -> StoreResult<u64> {
        self.check()?;
        Ok(self
            .records
            .borrow()
            .keys()
            .filter(|(a, _)| a == account_id)
            .count() as u64)
    }

    async fn insert_briefs(
        &self,
        account_id: &str,
        briefs: &[(String, String)],
        _now: &str,
    ) -> StoreResult<()> {
        self.check_write("briefs")?;
        let mut stored = self.briefs.borrow_mut();
        for (id, json) in briefs {
            stored.insert((account_id.to_string(), id.clone()), json.clone());
        }
        Ok(())
    }

    async fn brief_count(&self, account_id: &str) -> StoreResult<u64> {
        self.check()?;
        Ok(self
            .briefs
            .borrow()
            .keys()
            .filter(|(a, _)| a == account_id)
            .count() as u64)
    }

    async fn briefs(
        &self,
        account_id: &str,
        record_ids: &[String],
    ) -> StoreResult<BTreeMap<String, String>> {
        self.check()?;
        let stored = self.briefs.borrow();
        Ok(record_ids
            .iter()
            .filter_map(|id| {
                stored
                    .get(&(account_id.to_string(), id.clone()))
                    .map(|j| (id.clone(), j.clone()))
            })
            .collect())
    }
}

impl Events for MemoryStore {
    async fn add_event(&self, event: &Event) -> StoreResult<()> {
        self.check_write("event")?;
        let mut events = self.events.borrow_mut();
        events.push(event.clone());
        Self::prune_events(&mut events, &event.account_id);
        Ok(())
    }

    async fn events(&self, account_id: &str) -> StoreResult<Vec<Event>> {
        self.check()?;
        Ok(self
            .events
            .borrow()
            .iter()
            .filter(|e| e.account_id == account_id)
            .cloned()
            .collect())
    }
}

impl Insights for MemoryStore {
    async fn put_insight(&self, insight: &StoredInsight, event: &Event) -> StoreResult<()> {
        self.check_write("insight")?;
        self.insights
            .borrow_mut()
            .insert(insight.account_id.clone(), insight.clone());
        let mut events = self.events.borrow_mut();
        events.push(event.clone());
        Self::prune_events(&mut events, &event.account_id);
        Ok(())
    }

    async fn insight(&self, account_id: &str) -> StoreResult<Option<StoredInsight>> {
        self.check()?;
        Ok(self.insights.borrow().get(account_id).cloned())
    }
}

impl History for MemoryStore {
    async fn history(&self, from: u32, to: u32) -> StoreResult<Vec<HistoryRow>> {
        self.check()?;
        Ok(self
            .history
            .borrow()
            .values()
            .filter(|r| from <= r.period && r.period < to)
            .cloned()
            .collect())
    }

    async fn record_release(&self, row: &HistoryRow, charge: &LiftCharge) -> StoreResult<bool> {
        self.check_write("release history")?;
        let key = (row.period, row.niche.clone());
        if self.history.borrow().contains_key(&key) {
            return Ok(false);
        }
        self.history.borrow_mut().insert(key, row.clone());
        // The same transaction in D1: the release_log row and the charges.
        self.charge(&charge.log_row(row), &charge.accounts);
        Ok(true)
    }
}

impl Releases for MemoryStore {
    async fn published(&self, niche: Niche) -> StoreResult<Option<StoredRelease>> {
        self.check()?;
        Ok(self
            .releases
            .borrow()
            .get(&niche)
            .cloned()
            .map(StoredRelease::from_text))
    }

    async fn publish(&self, release: &NicheWisdom) -> StoreResult<()> {
        self.check()?;
        let stored = StoredRelease::of(release)?;
        self.releases
            .borrow_mut()
            .insert(release.niche, stored.text().to_string());
        Ok(())
    }

    async fn published_all(&self) -> StoreResult<Option<StoredRelease>> {
        self.check()?;
        Ok(self
            .all_releases
            .borrow()
            .clone()
            .map(StoredRelease::from_text))
    }

    async fn publish_all(&self, releases: &[NicheWisdom]) -> StoreResult<()> {
        self.check()?;
        let stored = StoredRelease::of(releases)?;
        *self.all_releases.borrow_mut() = Some(stored.text().to_string());
        Ok(())
    }

    async fn published_v2(&self, niche: Niche) -> StoreResult<Option<StoredRelease>> {
        self.check()?;
        Ok(self
            .releases_v2
            .borrow()
            .get(&niche)
            .cloned()
            .map(StoredRelease::from_text))
    }

    async fn publish_v2(&self, table: &PosteriorTable) -> StoreResult<()> {
        self.check()?;
        let stored = StoredRelease::of(table)?;
        self.releases_v2
            .borrow_mut()
            .insert(table.niche, stored.text().to_string());
        Ok(())
    }

    async fn published_v2_all(&self) -> StoreResult<Option<StoredRelease>> {
        self.check()?;
        Ok(self
            .all_releases_v2
            .borrow()
            .clone()
            .map(StoredRelease::from_text))
    }

    async fn publish_v2_all(&self, tables: &[PosteriorTable]) -> StoreResult<()> {
        self.check()?;
        let stored = StoredRelease::of(tables)?;
        *self.all_releases_v2.borrow_mut() = Some(stored.text().to_string());
        Ok(())
    }
}

impl MemoryStore {
    /// Record `row` in the release log and charge each of `accounts` (D1's transaction);
    /// `false` when the release id is already recorded (nobody charged).
    fn charge(&self, row: &ReleaseLogRow, accounts: &[String]) -> bool {
        let mut log = self.release_log.borrow_mut();
        if log.contains_key(&row.release_id) {
            return false;
        }
        log.insert(row.release_id.clone(), row.clone());
        let mut ledger = self.ledger.borrow_mut();
        for a in accounts {
            ledger
                .entry((a.clone(), row.release_id.clone()))
                .or_insert_with(|| LedgerRow {
                    release_id: row.release_id.clone(),
                    kind: row.kind.clone(),
                    niche: row.niche.clone(),
                    period: row.period,
                    day: row.day,
                    rho: row.rho,
                    epsilon: row.pure_epsilon(),
                });
        }
        true
    }
}

impl Ledger for MemoryStore {
    async fn release_log(&self, kind: &str, period: u32) -> StoreResult<Vec<ReleaseLogRow>> {
        self.check()?;
        let mut rows: Vec<ReleaseLogRow> = self
            .release_log
            .borrow()
            .values()
            .filter(|r| r.kind == kind && r.period == period)
            .cloned()
            .collect();
        rows.sort_by(|a, b| a.niche.cmp(&b.niche));
        Ok(rows)
    }

    async fn record_charged(&self, row: &ReleaseLogRow, accounts: &[String]) -> StoreResult<bool> {
        self.check_write("release log")?;
        Ok(self.charge(row, accounts))
    }

    async fn spent(
        &self,
        accounts: &[String],
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<BTreeMap<String, Spent>> {
        self.check()?;
        let mut out = BTreeMap::new();
        for ((a, _), row) in self.ledger.borrow().iter() {
            if accounts.contains(a) && row.day > from_day && row.day <= to_day {
                let spent: &mut Spent = out.entry(a.clone()).or_default();
                spent.rho += row.rho;
                spent.epsilon += row.epsilon;
            }
        }
        Ok(out)
    }

    async fn ledger(&self, account_id: &str) -> StoreResult<Vec<LedgerRow>> {
        self.check()?;
        let mut rows: Vec<LedgerRow> = self
            .ledger
            .borrow()
            .iter()
            .filter(|((a, _), _)| a == account_id)
            .map(|(_, r)| r.clone())
            .collect();
        rows.sort_by(|a, b| {
            a.day
                .cmp(&b.day)
                .then_with(|| a.release_id.cmp(&b.release_id))
        });
        Ok(rows)
    }
}

impl Membership for MemoryStore {
    async fn freeze_niches(
        &self,
        period: u32,
        members: &[(String, Niche)],
    ) -> StoreResult<Vec<Niche>> {
        self.check_write("niche membership")?;
        let mut frozen = self.membership.borrow_mut();
        frozen.retain(|(p, _), _| *p >= period);
        Ok(members
            .iter()
            .map(|(a, n)| *frozen.entry((period, a.clone())).or_insert(*n))
            .collect())
    }
}

/// What a failed outbox write names, as in the D1 adapter.
const OUTBOX: &str = "redis outbox";

/// In-memory [`Outbox`] for native tests (rows and the epoch of `redis_state`).
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    rows: RefCell<BTreeMap<String, OutboxRow>>,
    epoch: Cell<u64>,
    /// Calls of [`Outbox::page`] and their largest answer (a rebuild reads in pages).
    pub pages: Cell<(u32, usize)>,
    /// Calls of [`Outbox::rows`] (the whole table at once).
    pub whole_reads: Cell<u32>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Outbox for MemoryOutbox {
    async fn mark(&self, account_id: &str) -> StoreResult<u64> {
        faults::check_write(OUTBOX)?;
        let mut rows = self.rows.borrow_mut();
        let row = rows
            .entry(account_id.to_string())
            .or_insert(OutboxRow { seq: 0, synced: 0 });
        row.seq += 1;
        Ok(row.seq)
    }
    async fn pending(&self, limit: u32) -> StoreResult<Vec<(String, u64)>> {
        Ok(self
            .rows
            .borrow()
            .iter()
            .filter(|(_, r)| r.seq > r.synced)
            .take(limit as usize)
            .map(|(a, r)| (a.clone(), r.seq))
            .collect())
    }
    async fn pending_count(&self) -> StoreResult<u64> {
        Ok(self.pending(u32::MAX).await?.len() as u64)
    }
    async fn rows(&self) -> StoreResult<BTreeMap<String, OutboxRow>> {
        self.whole_reads.set(self.whole_reads.get() + 1);
        Ok(self.rows.borrow().clone())
    }
    async fn page(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, OutboxRow)>> {
        let page: Vec<(String, OutboxRow)> = self
            .rows
            .borrow()
            .iter()
            .filter(|(a, _)| after.is_none_or(|after| a.as_str() > after))
            .take(limit as usize)
            .map(|(a, r)| (a.clone(), *r))
            .collect();
        let (calls, largest) = self.pages.get();
        self.pages.set((calls + 1, largest.max(page.len())));
        Ok(page)
    }
    async fn synced(&self, account_id: &str, seq: u64) -> StoreResult<()> {
        faults::check_write(OUTBOX)?;
        if let Some(r) = self.rows.borrow_mut().get_mut(account_id) {
            r.synced = r.synced.max(seq);
        }
        Ok(())
    }
    async fn totals(&self) -> StoreResult<OutboxTotals> {
        let rows = self.rows.borrow();
        Ok(OutboxTotals {
            epoch: self.epoch.get(),
            synced_sum: rows.values().map(|r| r.synced).sum(),
            pending: rows.values().filter(|r| r.seq > r.synced).count() as u64,
        })
    }
    async fn next_epoch(&self) -> StoreResult<u64> {
        faults::check_write(OUTBOX)?;
        self.epoch.set(self.epoch.get() + 1);
        Ok(self.epoch.get())
    }
}

/// Something a test runs at the start of the next [`AggregateStore::apply`] through a
/// [`MemoryConn`] (another request's change landing mid-flight).
pub struct Hook(pub Box<dyn FnOnce()>);

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hook")
    }
}

/// One account entry: seq, opted in, contribution.
type Entry = (u64, bool, Option<WisdomContribution>);

/// [`AggregateStore`] in memory, with the script's semantics (native tests). `fail` makes every
/// call fail, like an unreachable Redis; `lose_data` empties it, like a restart without
/// persistence; `snapshot` / `restore` play an RDB dump and a restart from it.
#[derive(Debug, Default)]
pub struct MemoryAggregates {
    accounts: BTreeMap<String, Entry>,
    sums: Aggregates,
    epoch: Option<(u64, String)>,
    /// When set, every call fails.
    pub fail: bool,
    /// Run once at the start of the next apply through a [`MemoryConn`].
    pub before_apply: Option<Hook>,
}

/// A copy of a [`MemoryAggregates`]' data (an RDB snapshot).
#[derive(Debug, Clone)]
pub struct Snapshot {
    accounts: BTreeMap<String, Entry>,
    sums: Aggregates,
    epoch: Option<(u64, String)>,
}

impl MemoryAggregates {
    /// An empty, not ready store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget everything (a restarted Redis without persistence).
    pub fn lose_data(&mut self) {
        *self = MemoryAggregates {
            fail: self.fail,
            ..MemoryAggregates::default()
        };
    }

    /// The data as of now (`SAVE`).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            accounts: self.accounts.clone(),
            sums: self.sums.clone(),
            epoch: self.epoch.clone(),
        }
    }

    /// Replace the data by a snapshot (a restart from an older dump file).
    pub fn restore(&mut self, snapshot: &Snapshot) {
        self.accounts = snapshot.accounts.clone();
        self.sums = snapshot.sums.clone();
        self.epoch = snapshot.epoch.clone();
    }

    fn check(&self) -> Result<(), RedisError> {
        if self.fail {
            Err(RedisError::Io("connection refused (test)".into()))
        } else {
            Ok(())
        }
    }
}

impl AggregateStore for MemoryAggregates {
    async fn apply(&mut self, updates: &[Apply]) -> Result<Vec<bool>, RedisError> {
        self.check()?;
        let mut out = Vec::new();
        for u in updates {
            let old = self.accounts.get(&u.account_id);
            if old.is_some_and(|(s, _, _)| *s >= u.seq) {
                out.push(false);
                continue;
            }
            if let Some((_, _, Some(c))) = old {
                let agg = self.sums.entry(c.niche).or_insert_with(empty_aggregate);
                agg.remove(&crosslearn::privacy::aggregate::Contribution {
                    values: c.values.clone(),
                })
                .map_err(|e| RedisError::Server(e.to_string()))?;
            }
            if let Some(c) = &u.contribution {
                let agg = self.sums.entry(c.niche).or_insert_with(empty_aggregate);
                agg.add(&crosslearn::privacy::aggregate::Contribution {
                    values: c.values.clone(),
                })
                .map_err(|e| RedisError::Server(e.to_string()))?;
            }
            // Tombstones included: an entry is never deleted.
            self.accounts.insert(
                u.account_id.clone(),
                (u.seq, u.opted_in, u.contribution.clone()),
            );
            out.push(true);
        }
        Ok(out)
    }

    async fn read(&mut self) -> Result<StoreState, RedisError> {
        self.check()?;
        Ok(StoreState {
            epoch: self.epoch.as_ref().map(|(e, _)| *e),
            config: self.epoch.as_ref().map(|(_, c)| c.clone()),
            seq_sum: self.accounts.values().map(|(s, _, _)| s).sum(),
            opted_in: self.accounts.values().filter(|(_, o, _)| *o).count() as u64,
            aggregates: self
                .sums
                .iter()
                .filter(|(_, a)| a.accounts != 0 || a.sums.iter().any(|s| *s != 0))
                .map(|(n, a)| (*n, a.clone()))
                .collect(),
        })
    }

    async fn clear(&mut self) -> Result<(), RedisError> {
        self.check()?;
        self.lose_data();
        Ok(())
    }

    async fn set_ready(&mut self, epoch: u64, config: &str) -> Result<(), RedisError> {
        self.check()?;
        self.epoch = Some((epoch, config.to_string()));
        Ok(())
    }

    async fn ping(&mut self) -> Result<(), RedisError> {
        self.check()
    }

    async fn close(self) {}
}

/// [`AggregatesLink`] to a shared [`MemoryAggregates`]: every [`AggregatesLink::open`] hands out
/// a connection to the same store, so a test can look at it between requests.
#[derive(Debug, Clone, Default)]
pub struct MemoryLink {
    /// The store behind every connection.
    pub store: Rc<RefCell<MemoryAggregates>>,
    /// What [`AggregatesLink::mode`] answers.
    pub mode: Option<LinkMode>,
    /// The release config contributions are clipped with (None: the core's defaults).
    pub release: Option<ReleaseConfig>,
    /// The circuit breaker, as the Worker keeps one per isolate.
    pub breaker: Rc<Cell<Breaker>>,
    /// The clock the breaker reads, milliseconds.
    pub clock: Rc<Cell<u64>>,
}

impl MemoryLink {
    /// A configured link to an empty, not ready store.
    pub fn on() -> Self {
        MemoryLink {
            mode: Some(LinkMode::On),
            ..MemoryLink::default()
        }
    }

    /// No aggregate store (D1-only mode).
    pub fn off() -> Self {
        MemoryLink {
            mode: Some(LinkMode::Off),
            ..MemoryLink::default()
        }
    }
}

/// One connection of a [`MemoryLink`].
#[derive(Debug)]
pub struct MemoryConn(Rc<RefCell<MemoryAggregates>>);

impl AggregatesLink for MemoryLink {
    type Store = MemoryConn;

    fn mode(&self) -> LinkMode {
        self.mode.clone().unwrap_or(LinkMode::On)
    }

    async fn open(&self) -> Result<MemoryConn, RedisError> {
        if self.mode() == LinkMode::Off {
            return Err(RedisError::Config("no aggregate store (test)".into()));
        }
        self.store.borrow().check()?;
        Ok(MemoryConn(self.store.clone()))
    }

    fn release_config(&self) -> Result<ReleaseConfig, String> {
        Ok(self.release.unwrap_or_default())
    }

    fn admit(&self) -> Result<(), String> {
        self.breaker.get().admit(self.clock.get())
    }

    fn outcome(&self, ok: bool) {
        let mut breaker = self.breaker.get();
        breaker.record(ok, self.clock.get());
        self.breaker.set(breaker);
    }
}

impl AggregateStore for MemoryConn {
    async fn apply(&mut self, updates: &[Apply]) -> Result<Vec<bool>, RedisError> {
        // The hook runs outside the borrow: it may apply changes through another connection.
        let hook = self.0.borrow_mut().before_apply.take();
        if let Some(Hook(hook)) = hook {
            hook();
        }
        let mut store = self.0.borrow_mut();
        crate::testing::run(store.apply(updates))
    }
    async fn read(&mut self) -> Result<StoreState, RedisError> {
        let mut store = self.0.borrow_mut();
        crate::testing::run(store.read())
    }
    async fn clear(&mut self) -> Result<(), RedisError> {
        let mut store = self.0.borrow_mut();
        crate::testing::run(store.clear())
    }
    async fn set_ready(&mut self, epoch: u64, config: &str) -> Result<(), RedisError> {
        let mut store = self.0.borrow_mut();
        crate::testing::run(store.set_ready(epoch, config))
    }
    async fn ping(&mut self) -> Result<(), RedisError> {
        self.0.borrow().check()
    }
    async fn close(self) {}
}

/// The model files' KV namespace (binding `MODELS`): bytes by key, with a read counter and a
/// switch that makes reads fail.
#[derive(Debug, Default)]
pub struct MemoryModels {
    entries: RefCell<BTreeMap<String, Vec<u8>>>,
    reads: Cell<u32>,
    /// When set, every read fails (a KV outage).
    pub fail: Cell<bool>,
}

impl MemoryModels {
    /// An empty namespace (nothing seeded).
    pub fn new() -> Self {
        MemoryModels::default()
    }

    /// A namespace seeded as `scripts/seed-models.sh` seeds it: every KV model's repository file
    /// under its key.
    pub fn seeded() -> Self {
        let m = MemoryModels::new();
        for model in crate::service::models::KV_MODELS {
            m.put(
                model.key,
                crate::testing::fixtures::repository_model(model.name),
            );
        }
        m
    }

    /// Store `bytes` under `key` (replacing what is there).
    pub fn put(&self, key: &str, bytes: Vec<u8>) {
        self.entries.borrow_mut().insert(key.to_string(), bytes);
    }

    /// Remove `key`.
    pub fn remove(&self, key: &str) {
        self.entries.borrow_mut().remove(key);
    }

    /// How many reads were made.
    pub fn reads(&self) -> u32 {
        self.reads.get()
    }
}

impl ModelStore for MemoryModels {
    async fn model_bytes(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.reads.set(self.reads.get() + 1);
        if self.fail.get() {
            return Err(StoreError::new("injected KV read failure"));
        }
        Ok(self.entries.borrow().get(key).cloned())
    }
}

/// Run a future that never waits (the in-memory fakes are always ready), for native unit tests.
pub fn run<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    match std::pin::pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the in-memory store never waits"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_replace_per_niche() {
        let s = MemoryStore::new();
        assert_eq!(run(s.published(Niche::Fitness)).unwrap(), None);
        let id = crosslearn::wisdom::ReleaseId {
            period: 1,
            niche: Niche::Fitness,
        };
        let config = crosslearn::wisdom::ReleaseConfig::default();
        let mut rng = crosslearn::rng::Rng::new(1);
        let mut w =
            crosslearn::wisdom::release_wisdom(&empty_aggregate(), id, &config, &mut rng).unwrap();
        run(s.publish(&w)).unwrap();
        w.period = 2;
        run(s.publish(&w)).unwrap();
        let stored = run(s.published(Niche::Fitness)).unwrap().unwrap();
        assert_eq!(stored.text(), serde_json::to_string(&w).unwrap());
        assert_eq!(stored.decode::<NicheWisdom>().unwrap(), w);
        assert_eq!(run(s.published(Niche::Beauty)).unwrap(), None);
    }

    #[test]
    fn events_are_bounded_per_account() {
        let s = MemoryStore::new();
        let event = |a: &str, i: usize| Event {
            event_id: format!("{a}-{i}"),
            account_id: a.into(),
            niche: "fitness".into(),
            event_type: "wisdom_applied".into(),
            payload: serde_json::json!({}),
            created_at: format!("t{i:06}"),
        };
        run(s.add_event(&event("other", 0))).unwrap();
        for i in 0..MAX_EVENTS_PER_ACCOUNT + 5 {
            run(s.add_event(&event("a", i))).unwrap();
        }
        let kept = run(s.events("a")).unwrap();
        assert_eq!(kept.len(), MAX_EVENTS_PER_ACCOUNT);
        // The oldest were dropped; another account's events were not touched.
        assert_eq!(kept[0].event_id, "a-5");
        assert_eq!(run(s.events("other")).unwrap().len(), 1);
    }
}
