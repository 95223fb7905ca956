//! The Redis outbox in D1 (`worker/migrations/0003_outbox.sql`): which accounts changed in D1
//! after Redis last reflected them. See `docs/redis.md`.

use super::d1::{fault, text, D1Store};
use super::{StoreError, StoreResult};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use worker::wasm_bindgen::JsValue;

/// One outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxRow {
    /// Changes of the account so far.
    pub seq: u64,
    /// The change Redis reflects.
    pub synced: u64,
}

/// Per-account change counters (D1: `redis_outbox`).
#[allow(async_fn_in_trait)]
pub trait Outbox {
    /// Count one more change of the account (call BEFORE writing it to D1); returns its seq.
    async fn mark(&self, account_id: &str) -> StoreResult<u64>;
    /// Accounts with changes Redis may not have (`seq > synced`), at most `limit`, by id.
    async fn pending(&self, limit: u32) -> StoreResult<Vec<(String, u64)>>;
    /// How many accounts are pending.
    async fn pending_count(&self) -> StoreResult<u64>;
    /// Every row, by account id.
    async fn rows(&self) -> StoreResult<BTreeMap<String, OutboxRow>>;
    /// Redis reflects the account as of `seq` (raises `synced`, never lowers it).
    async fn synced(&self, account_id: &str, seq: u64) -> StoreResult<()>;
    /// Delete the row of an erased account once Redis dropped it, unless it changed after `seq`.
    async fn forget(&self, account_id: &str, seq: u64) -> StoreResult<()>;
}

#[derive(Deserialize)]
struct SeqRow {
    seq: f64,
}

#[derive(Deserialize)]
struct PendingRow {
    account_id: String,
    seq: f64,
}

#[derive(Deserialize)]
struct FullRow {
    account_id: String,
    seq: f64,
    synced: f64,
}

#[derive(Deserialize)]
struct CountRow {
    n: f64,
}

/// What a failed outbox write names (503 `storage_unavailable`).
const OUTBOX: &str = "redis outbox";

fn num(n: u64) -> JsValue {
    JsValue::from_f64(n as f64)
}

impl Outbox for D1Store {
    async fn mark(&self, account_id: &str) -> StoreResult<u64> {
        super::faults::check_write(OUTBOX)?;
        let row: Option<SeqRow> = self
            .statement(
                "INSERT INTO redis_outbox (account_id, seq, synced) VALUES (?1, 1, 0) \
                 ON CONFLICT(account_id) DO UPDATE SET seq = seq + 1 RETURNING seq",
                &[text(account_id)],
            )?
            .first(None)
            .await
            .map_err(|e| StoreError::write(OUTBOX, e.to_string()))?;
        row.map(|r| r.seq as u64)
            .ok_or_else(|| super::StoreError::new("redis_outbox: no seq returned"))
    }

    async fn pending(&self, limit: u32) -> StoreResult<Vec<(String, u64)>> {
        let rows: Vec<PendingRow> = self
            .statement(
                "SELECT account_id, seq FROM redis_outbox WHERE seq > synced \
                 ORDER BY account_id LIMIT ?1",
                &[num(u64::from(limit))],
            )?
            .all()
            .await
            .map_err(fault)?
            .results()
            .map_err(fault)?;
        Ok(rows
            .into_iter()
            .map(|r| (r.account_id, r.seq as u64))
            .collect())
    }

    async fn pending_count(&self) -> StoreResult<u64> {
        let row: Option<CountRow> = self
            .statement(
                "SELECT COUNT(*) AS n FROM redis_outbox WHERE seq > synced",
                &[],
            )?
            .first(None)
            .await
            .map_err(fault)?;
        Ok(row.map_or(0, |r| r.n as u64))
    }

    async fn rows(&self) -> StoreResult<BTreeMap<String, OutboxRow>> {
        let rows: Vec<FullRow> = self
            .statement("SELECT account_id, seq, synced FROM redis_outbox", &[])?
            .all()
            .await
            .map_err(fault)?
            .results()
            .map_err(fault)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                (
                    r.account_id,
                    OutboxRow {
                        seq: r.seq as u64,
                        synced: r.synced as u64,
                    },
                )
            })
            .collect())
    }

    async fn synced(&self, account_id: &str, seq: u64) -> StoreResult<()> {
        let statement = self.statement(
            "UPDATE redis_outbox SET synced = MAX(synced, ?2) WHERE account_id = ?1",
            &[text(account_id), num(seq)],
        )?;
        self.write(OUTBOX, statement).await?;
        Ok(())
    }

    async fn forget(&self, account_id: &str, seq: u64) -> StoreResult<()> {
        let statement = self.statement(
            "DELETE FROM redis_outbox WHERE account_id = ?1 AND seq <= ?2",
            &[text(account_id), num(seq)],
        )?;
        self.write(OUTBOX, statement).await?;
        Ok(())
    }
}

/// In-memory [`Outbox`] for native tests.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    rows: RefCell<BTreeMap<String, OutboxRow>>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Outbox for MemoryOutbox {
    async fn mark(&self, account_id: &str) -> StoreResult<u64> {
        super::faults::check_write(OUTBOX)?;
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
        Ok(self.rows.borrow().clone())
    }
    async fn synced(&self, account_id: &str, seq: u64) -> StoreResult<()> {
        super::faults::check_write(OUTBOX)?;
        if let Some(r) = self.rows.borrow_mut().get_mut(account_id) {
            r.synced = r.synced.max(seq);
        }
        Ok(())
    }
    async fn forget(&self, account_id: &str, seq: u64) -> StoreResult<()> {
        super::faults::check_write(OUTBOX)?;
        let mut rows = self.rows.borrow_mut();
        if rows.get(account_id).is_some_and(|r| r.seq <= seq) {
            rows.remove(account_id);
        }
        Ok(())
    }
}
