//! The Redis outbox in D1 (`worker/migrations/0003_outbox.sql`, `0004_redis_epoch.sql`): which
//! accounts changed in D1 after Redis last reflected them (rows are never deleted: an erased
//! account's row is its tombstone), and the Redis epoch. See `docs/redis.md`.

use super::d1::{fault, text, D1Store};
use crate::ports::{Outbox, OutboxRow, OutboxTotals, StoreError, StoreResult};
use serde::Deserialize;
use std::collections::BTreeMap;
use worker::wasm_bindgen::JsValue;

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
struct EpochRow {
    epoch: f64,
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
            .ok_or_else(|| StoreError::new("redis_outbox: no seq returned"))
    }

    async fn pending(&self, limit: u32) -> StoreResult<Vec<(String, u64)>> {
        let rows: Vec<PendingRow> = self
            .all_rows(
                "SELECT account_id, seq FROM redis_outbox WHERE seq > synced \
                 ORDER BY account_id LIMIT ?1",
                &[num(u64::from(limit))],
            )
            .await?;
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
        Ok(full_rows(
            self,
            "SELECT account_id, seq, synced FROM redis_outbox",
            &[],
        )
        .await?
        .into_iter()
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

    async fn page(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<(String, OutboxRow)>> {
        full_rows(
            self,
            "SELECT account_id, seq, synced FROM redis_outbox WHERE account_id > ?1 \
             ORDER BY account_id LIMIT ?2",
            &[text(after.unwrap_or("")), num(u64::from(limit))],
        )
        .await
    }

    async fn totals(&self) -> StoreResult<OutboxTotals> {
        #[derive(Deserialize)]
        struct Totals {
            epoch: Option<f64>,
            synced_sum: Option<f64>,
            pending: Option<f64>,
        }
        // One statement: one consistent view of the epoch and the rows.
        let row: Option<Totals> = self
            .statement(
                "SELECT (SELECT epoch FROM redis_state WHERE id = 1) AS epoch, \
                 (SELECT SUM(synced) FROM redis_outbox) AS synced_sum, \
                 (SELECT COUNT(*) FROM redis_outbox WHERE seq > synced) AS pending",
                &[],
            )?
            .first(None)
            .await
            .map_err(fault)?;
        let n = |v: Option<f64>| v.unwrap_or(0.0) as u64;
        Ok(row.map_or(OutboxTotals::default(), |r| OutboxTotals {
            epoch: n(r.epoch),
            synced_sum: n(r.synced_sum),
            pending: n(r.pending),
        }))
    }

    async fn next_epoch(&self) -> StoreResult<u64> {
        super::faults::check_write(OUTBOX)?;
        let row: Option<EpochRow> = self
            .statement(
                "INSERT INTO redis_state (id, epoch) VALUES (1, 1) \
                 ON CONFLICT(id) DO UPDATE SET epoch = epoch + 1 RETURNING epoch",
                &[],
            )?
            .first(None)
            .await
            .map_err(|e| StoreError::write(OUTBOX, e.to_string()))?;
        row.map(|r| r.epoch as u64)
            .ok_or_else(|| StoreError::new("redis_state: no epoch returned"))
    }
}

/// The `(account_id, seq, synced)` rows a `SELECT` on `redis_outbox` returns, in its order.
async fn full_rows(
    store: &D1Store,
    sql: &str,
    args: &[JsValue],
) -> StoreResult<Vec<(String, OutboxRow)>> {
    let rows: Vec<FullRow> = store.all_rows(sql, args).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let row = OutboxRow {
                seq: r.seq as u64,
                synced: r.synced as u64,
            };
            (r.account_id, row)
        })
        .collect())
}
