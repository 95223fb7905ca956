//! In-memory fakes of every storage trait, for native unit tests of the service layer.
//!
//! One [`MemoryStore`] plays the whole D1 database plus the KV namespace, with the same semantics
//! as the adapters (insert-or-ignore by (account, record id), erasure of every table).

use super::{
    Account, Accounts, Consent, Erased, Event, Events, History, HistoryRow, Insights, Records,
    Releases, StoreError, StoreResult, StoredInsight,
};
use crosslearn::record::CreativeRecord;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// Every table as a map, behind `RefCell` (the traits take `&self`, like the bindings do).
#[derive(Debug, Default)]
pub struct MemoryStore {
    accounts: RefCell<BTreeMap<String, Account>>,
    tokens: RefCell<BTreeMap<String, String>>,
    consent: RefCell<BTreeMap<String, Consent>>,
    records: RefCell<BTreeMap<(String, String), CreativeRecord>>,
    events: RefCell<Vec<Event>>,
    insights: RefCell<BTreeMap<String, StoredInsight>>,
    releases: RefCell<BTreeMap<String, String>>,
    all_releases: RefCell<Option<String>>,
    history: RefCell<BTreeMap<(u32, String), HistoryRow>>,
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
    }

    /// Before a write of `what`: [`MemoryStore::check`], then the same fault hook as the D1
    /// adapter ([`super::faults::check_write`]), so native tests exercise D1 write faults.
    fn check_write(&self, what: &'static str) -> StoreResult<()> {
        self.check()?;
        super::faults::check_write(what)
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
}

impl Events for MemoryStore {
    async fn add_event(&self, event: &Event) -> StoreResult<()> {
        self.check_write("event")?;
        self.events.borrow_mut().push(event.clone());
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
        self.events.borrow_mut().push(event.clone());
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

    async fn record_release(&self, row: &HistoryRow) -> StoreResult<bool> {
        self.check_write("release history")?;
        let key = (row.period, row.niche.clone());
        let mut history = self.history.borrow_mut();
        if history.contains_key(&key) {
            return Ok(false);
        }
        history.insert(key, row.clone());
        Ok(true)
    }
}

impl Releases for MemoryStore {
    async fn published(&self, niche: &str) -> StoreResult<Option<String>> {
        self.check()?;
        Ok(self.releases.borrow().get(niche).cloned())
    }

    async fn publish(&self, niche: &str, release_json: &str) -> StoreResult<()> {
        self.check()?;
        self.releases
            .borrow_mut()
            .insert(niche.to_string(), release_json.to_string());
        Ok(())
    }

    async fn published_all(&self) -> StoreResult<Option<String>> {
        self.check()?;
        Ok(self.all_releases.borrow().clone())
    }

    async fn publish_all(&self, releases_json: &str) -> StoreResult<()> {
        self.check()?;
        *self.all_releases.borrow_mut() = Some(releases_json.to_string());
        Ok(())
    }
}

/// Run a future that never waits (the in-memory fakes are always ready), for native unit tests.
#[cfg(test)]
pub(crate) fn run<F: std::future::Future>(f: F) -> F::Output {
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
        assert_eq!(run(s.published("fitness")).unwrap(), None);
        run(s.publish("fitness", "{\"v\":1}")).unwrap();
        run(s.publish("fitness", "{\"v\":2}")).unwrap();
        assert_eq!(
            run(s.published("fitness")).unwrap().as_deref(),
            Some("{\"v\":2}")
        );
        assert_eq!(run(s.published("beauty")).unwrap(), None);
    }
}
