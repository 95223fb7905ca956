//! The D1 adapter: the only code that runs SQL, always `prepare()` + `bind()` (no string-built
//! SQL). The schema is `worker/migrations/*.sql`.

use crate::ports::{
    Account, Accounts, Consent, Erased, Event, Events, History, HistoryRow, Insights, Ledger,
    LedgerRow, LiftCharge, Membership, Records, ReleaseLogRow, Spent, StoreError, StoreResult,
    StoredInsight, MAX_EVENTS_PER_ACCOUNT,
};
use crosslearn::niche::Niche;
use crosslearn::record::CreativeRecord;
use serde::Deserialize;
use std::collections::BTreeMap;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

/// Accounts, tokens, consent, records and events in one D1 database (binding `DB`).
pub struct D1Store {
    db: D1Database,
}

impl D1Store {
    /// Wrap the binding.
    pub fn new(db: D1Database) -> Self {
        D1Store { db }
    }

    pub(crate) fn statement(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> StoreResult<D1PreparedStatement> {
        self.db.prepare(sql).bind(args).map_err(fault)
    }

    /// Every row a statement returns, decoded as `T`.
    pub(crate) async fn all_rows<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: &[JsValue],
    ) -> StoreResult<Vec<T>> {
        self.statement(sql, args)?
            .all()
            .await
            .map_err(fault)?
            .results()
            .map_err(fault)
    }

    /// The records a `SELECT record_json ...` statement returns, decoded.
    async fn record_rows(&self, sql: &str, args: &[JsValue]) -> StoreResult<Vec<CreativeRecord>> {
        let rows: Vec<RecordRow> = self.all_rows(sql, args).await?;
        rows.iter()
            .map(|r| {
                serde_json::from_str(&r.record_json).map_err(|e| StoreError::new(e.to_string()))
            })
            .collect()
    }

    /// Run a write batch of `what` (one transaction). Every D1 write goes through here or
    /// [`D1Store::write`]: the fault hook ([`super::faults::check_write`]) may refuse it before any
    /// SQL is sent, and a failure is a [`StoreError::write`] (503 `storage_unavailable`).
    async fn batch(
        &self,
        what: &'static str,
        statements: Vec<D1PreparedStatement>,
    ) -> StoreResult<Vec<D1Result>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        super::faults::check_write(what)?;
        self.db
            .batch(statements)
            .await
            .map_err(|e| StoreError::write(what, e.to_string()))
    }

    /// Run one write statement of `what` (see [`D1Store::batch`]).
    pub(crate) async fn write(
        &self,
        what: &'static str,
        statement: D1PreparedStatement,
    ) -> StoreResult<D1Result> {
        super::faults::check_write(what)?;
        statement
            .run()
            .await
            .map_err(|e| StoreError::write(what, e.to_string()))
    }
}

pub(crate) fn fault(e: worker::Error) -> StoreError {
    StoreError::new(e.to_string())
}

pub(crate) fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// Rows changed by a write.
fn changes(result: &D1Result) -> StoreResult<u64> {
    Ok(result
        .meta()
        .map_err(fault)?
        .and_then(|m| m.changes)
        .unwrap_or(0) as u64)
}

#[derive(Deserialize)]
struct AccountRow {
    account_id: String,
    created_at: String,
}

#[derive(Deserialize)]
struct ConsentRow {
    opted_in: f64,
    updated_at: String,
}

#[derive(Deserialize)]
struct RecordRow {
    record_json: String,
}

#[derive(Deserialize)]
struct EventRow {
    event_id: String,
    account_id: String,
    niche: String,
    event_type: String,
    payload_json: String,
    created_at: String,
}

impl Accounts for D1Store {
    async fn create_account(&self, account: &Account, token_hash: &str) -> StoreResult<bool> {
        // One transaction: the account and its token hash exist together or not at all.
        let insert = self.statement(
            "INSERT INTO accounts (account_id, created_at) VALUES (?1, ?2) \
             ON CONFLICT(account_id) DO NOTHING",
            &[text(&account.account_id), text(&account.created_at)],
        )?;
        // The token row only goes in when the account row above was new (changes() = 1).
        let token = self.statement(
            "INSERT INTO account_tokens (token_hash, account_id, created_at) \
             SELECT ?1, ?2, ?3 WHERE changes() = 1",
            &[
                text(token_hash),
                text(&account.account_id),
                text(&account.created_at),
            ],
        )?;
        let results = self.batch("account", vec![insert, token]).await?;
        Ok(changes(&results[0])? == 1)
    }

    async fn account(&self, account_id: &str) -> StoreResult<Option<Account>> {
        let row: Option<AccountRow> = self
            .statement(
                "SELECT account_id, created_at FROM accounts WHERE account_id = ?1",
                &[text(account_id)],
            )?
            .first(None)
            .await
            .map_err(fault)?;
        Ok(row.map(|r| Account {
            account_id: r.account_id,
            created_at: r.created_at,
        }))
    }

    async fn account_for_token(&self, token_hash: &str) -> StoreResult<Option<String>> {
        self.statement(
            "SELECT account_id FROM account_tokens WHERE token_hash = ?1",
            &[text(token_hash)],
        )?
        .first::<String>(Some("account_id"))
        .await
        .map_err(fault)
    }

    async fn replace_token(
        &self,
        account_id: &str,
        token_hash: &str,
        now: &str,
    ) -> StoreResult<()> {
        let revoke = self.statement(
            "DELETE FROM account_tokens WHERE account_id = ?1",
            &[text(account_id)],
        )?;
        let insert = self.statement(
            "INSERT INTO account_tokens (token_hash, account_id, created_at) VALUES (?1, ?2, ?3)",
            &[text(token_hash), text(account_id), text(now)],
        )?;
        // One transaction: never zero tokens, never old and new together.
        self.batch("token", vec![revoke, insert]).await?;
        Ok(())
    }

    async fn consent(&self, account_id: &str) -> StoreResult<Consent> {
        let row: Option<ConsentRow> = self
            .statement(
                "SELECT opted_in, updated_at FROM consent WHERE account_id = ?1",
                &[text(account_id)],
            )?
            .first(None)
            .await
            .map_err(fault)?;
        Ok(row
            .map(|r| Consent {
                opted_in: r.opted_in != 0.0,
                updated_at: Some(r.updated_at),
            })
            .unwrap_or_default())
    }

    async fn set_consent(&self, account_id: &str, consent: &Consent) -> StoreResult<()> {
        let updated_at = consent.updated_at.clone().unwrap_or_default();
        let statement = self.statement(
            "INSERT INTO consent (account_id, opted_in, updated_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT(account_id) DO UPDATE SET opted_in = excluded.opted_in, \
             updated_at = excluded.updated_at",
            &[
                text(account_id),
                JsValue::from_f64(if consent.opted_in { 1.0 } else { 0.0 }),
                text(&updated_at),
            ],
        )?;
        self.write("consent", statement).await?;
        Ok(())
    }

    async fn opted_in_accounts(&self) -> StoreResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            account_id: String,
        }
        let rows: Vec<Row> = self
            .all_rows(
                "SELECT account_id FROM consent WHERE opted_in = ?1 ORDER BY account_id",
                &[JsValue::from_f64(1.0)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.account_id).collect())
    }

    async fn opted_in_page(&self, after: &str, limit: u32) -> StoreResult<Vec<String>> {
        #[derive(Deserialize)]
        struct Row {
            account_id: String,
        }
        let rows: Vec<Row> = self
            .all_rows(
                "SELECT account_id FROM consent WHERE opted_in = ?1 AND account_id > ?2 \
                 ORDER BY account_id LIMIT ?3",
                &[
                    JsValue::from_f64(1.0),
                    text(after),
                    JsValue::from_f64(f64::from(limit)),
                ],
            )
            .await?;
        Ok(rows.into_iter().map(|r| r.account_id).collect())
    }

    async fn opted_in_count(&self) -> StoreResult<u64> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let row: Option<Row> = self
            .statement(
                "SELECT COUNT(*) AS n FROM consent WHERE opted_in = ?1",
                &[JsValue::from_f64(1.0)],
            )?
            .first(None)
            .await
            .map_err(fault)?;
        Ok(row.map_or(0, |r| r.n as u64))
    }

    async fn erase_account(&self, account_id: &str) -> StoreResult<Erased> {
        // Children first (foreign keys); a D1 batch is one transaction.
        let tables = [
            "DELETE FROM records WHERE account_id = ?1",
            "DELETE FROM cross_learning_events WHERE account_id = ?1",
            "DELETE FROM account_insights WHERE account_id = ?1",
            "DELETE FROM niche_membership WHERE account_id = ?1",
            "DELETE FROM privacy_ledger WHERE account_id = ?1",
            "DELETE FROM explore_briefs WHERE account_id = ?1",
            "DELETE FROM consent WHERE account_id = ?1",
            "DELETE FROM account_tokens WHERE account_id = ?1",
            "DELETE FROM accounts WHERE account_id = ?1",
        ];
        let statements = tables
            .iter()
            .map(|sql| self.statement(sql, &[text(account_id)]))
            .collect::<StoreResult<Vec<_>>>()?;
        let results = self.batch("erasure", statements).await?;
        Ok(Erased {
            records: changes(&results[0])?,
            events: changes(&results[1])?,
            insights: changes(&results[2])?,
        })
    }
}

impl Records for D1Store {
    async fn insert_records(
        &self,
        account_id: &str,
        records: &[CreativeRecord],
        now: &str,
    ) -> StoreResult<Vec<bool>> {
        let mut statements = Vec::with_capacity(records.len());
        for r in records {
            let json = serde_json::to_string(r).map_err(|e| StoreError::new(e.to_string()))?;
            let niche = r.niche.map_or(JsValue::NULL, |n| text(n.as_str()));
            statements.push(self.statement(
                "INSERT INTO records (account_id, record_id, platform, niche, record_json, \
                 ingested_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT(account_id, record_id) DO NOTHING",
                &[
                    text(account_id),
                    text(&r.record_id),
                    text(r.platform.as_str()),
                    niche,
                    text(&json),
                    text(now),
                ],
            )?);
        }
        self.batch("records", statements)
            .await?
            .iter()
            .map(|res| changes(res).map(|n| n == 1))
            .collect()
    }

    async fn records(&self, account_id: &str) -> StoreResult<Vec<CreativeRecord>> {
        self.record_rows(
            "SELECT record_json FROM records WHERE account_id = ?1 ORDER BY record_id",
            &[text(account_id)],
        )
        .await
    }

    async fn records_page(
        &self,
        account_id: &str,
        after: &str,
        limit: u32,
    ) -> StoreResult<Vec<CreativeRecord>> {
        self.record_rows(
            "SELECT record_json FROM records WHERE account_id = ?1 AND record_id > ?2 \
             ORDER BY record_id LIMIT ?3",
            &[
                text(account_id),
                text(after),
                JsValue::from_f64(f64::from(limit)),
            ],
        )
        .await
    }

    async fn record_count(&self, account_id: &str) -> StoreResult<u64> {
        let n: Option<f64> = self
            .statement(
                "SELECT COUNT(*) AS n FROM records WHERE account_id = ?1",
                &[text(account_id)],
            )?
            .first(Some("n"))
            .await
            .map_err(fault)?;
        Ok(n.unwrap_or(0.0) as u64)
    }

    async fn insert_briefs(
        &self,
        account_id: &str,
        briefs: &[(String, String)],
        now: &str,
    ) -> StoreResult<()> {
        if briefs.is_empty() {
            return Ok(());
        }
        let statements = briefs
            .iter()
            .map(|(id, json)| {
                self.statement(
                    "INSERT INTO explore_briefs (account_id, record_id, brief_json, issued_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    &[text(account_id), text(id), text(json), text(now)],
                )
            })
            .collect::<StoreResult<Vec<_>>>()?;
        self.batch("briefs", statements).await?;
        Ok(())
    }

    async fn brief_count(&self, account_id: &str) -> StoreResult<u64> {
        let n: Option<f64> = self
            .statement(
                "SELECT COUNT(*) AS n FROM explore_briefs WHERE account_id = ?1",
                &[text(account_id)],
            )?
            .first(Some("n"))
            .await
            .map_err(fault)?;
        Ok(n.unwrap_or(0.0) as u64)
    }

    async fn briefs(
        &self,
        account_id: &str,
        record_ids: &[String],
    ) -> StoreResult<BTreeMap<String, String>> {
        #[derive(Deserialize)]
        struct Row {
            record_id: String,
            brief_json: String,
        }
        let mut out = BTreeMap::new();
        // D1 binds at most 100 parameters per statement.
        for chunk in record_ids.chunks(90) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("?{}", i + 2)).collect();
            let sql = format!(
                "SELECT record_id, brief_json FROM explore_briefs WHERE account_id = ?1 \
                 AND record_id IN ({})",
                marks.join(", ")
            );
            let mut params = vec![text(account_id)];
            params.extend(chunk.iter().map(|id| text(id)));
            let rows: Vec<Row> = self.all_rows(&sql, &params).await?;
            out.extend(rows.into_iter().map(|r| (r.record_id, r.brief_json)));
        }
        Ok(out)
    }
}

impl D1Store {
    fn event_statement(&self, event: &Event) -> StoreResult<D1PreparedStatement> {
        self.statement(
            "INSERT INTO cross_learning_events (event_id, account_id, niche, event_type, \
             payload_json, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                text(&event.event_id),
                text(&event.account_id),
                text(&event.niche),
                text(&event.event_type),
                text(&event.payload.to_string()),
                text(&event.created_at),
            ],
        )
    }

    /// Drop the account's events beyond the newest [`MAX_EVENTS_PER_ACCOUNT`] (run in the same
    /// batch as the insert that may cross the bound).
    fn prune_statement(&self, account_id: &str) -> StoreResult<D1PreparedStatement> {
        self.statement(
            "DELETE FROM cross_learning_events WHERE account_id = ?1 AND event_id NOT IN \
             (SELECT event_id FROM cross_learning_events WHERE account_id = ?1 \
              ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
            &[
                text(account_id),
                JsValue::from_f64(MAX_EVENTS_PER_ACCOUNT as f64),
            ],
        )
    }
}

impl Events for D1Store {
    async fn add_event(&self, event: &Event) -> StoreResult<()> {
        let statements = vec![
            self.event_statement(event)?,
            self.prune_statement(&event.account_id)?,
        ];
        self.batch("event", statements).await?;
        Ok(())
    }

    async fn events(&self, account_id: &str) -> StoreResult<Vec<Event>> {
        let rows: Vec<EventRow> = self
            .all_rows(
                "SELECT event_id, account_id, niche, event_type, payload_json, created_at \
                 FROM cross_learning_events WHERE account_id = ?1 ORDER BY created_at, event_id",
                &[text(account_id)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Event {
                    payload: serde_json::from_str(&r.payload_json)
                        .map_err(|e| StoreError::new(e.to_string()))?,
                    event_id: r.event_id,
                    account_id: r.account_id,
                    niche: r.niche,
                    event_type: r.event_type,
                    created_at: r.created_at,
                })
            })
            .collect()
    }
}

impl Insights for D1Store {
    async fn put_insight(&self, insight: &StoredInsight, event: &Event) -> StoreResult<()> {
        let put = self.statement(
            "INSERT INTO account_insights (account_id, niche, insight_json, extracted_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT(account_id) DO UPDATE SET \
             niche = excluded.niche, insight_json = excluded.insight_json, \
             extracted_at = excluded.extracted_at",
            &[
                text(&insight.account_id),
                text(&insight.niche),
                text(&insight.insight_json),
                text(&insight.extracted_at),
            ],
        )?;
        // One transaction: the insight and its event are stored together or not at all.
        let prune = self.prune_statement(&event.account_id)?;
        self.batch("insight", vec![put, self.event_statement(event)?, prune])
            .await?;
        Ok(())
    }

    async fn insight(&self, account_id: &str) -> StoreResult<Option<StoredInsight>> {
        self.statement(
            "SELECT account_id, niche, insight_json, extracted_at FROM account_insights \
             WHERE account_id = ?1",
            &[text(account_id)],
        )?
        .first::<StoredInsight>(None)
        .await
        .map_err(fault)
    }
}

#[derive(Deserialize)]
struct HistoryDbRow {
    period: f64,
    niche: String,
    epsilon: f64,
    published: f64,
    sample_size: Option<f64>,
    params_json: String,
    release_json: String,
    published_at: String,
}

impl History for D1Store {
    async fn history(&self, from: u32, to: u32) -> StoreResult<Vec<HistoryRow>> {
        let rows: Vec<HistoryDbRow> = self
            .all_rows(
                "SELECT period, niche, epsilon, published, sample_size, params_json, \
                 release_json, published_at FROM release_history \
                 WHERE period >= ?1 AND period < ?2 ORDER BY period, niche",
                &[
                    JsValue::from_f64(f64::from(from)),
                    JsValue::from_f64(f64::from(to)),
                ],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| HistoryRow {
                period: r.period as u32,
                niche: r.niche,
                epsilon: r.epsilon,
                published: r.published != 0.0,
                sample_size: r.sample_size.map(|n| n as u64),
                params_json: r.params_json,
                release_json: r.release_json,
                published_at: r.published_at,
            })
            .collect())
    }

    async fn record_release(&self, row: &HistoryRow, charge: &LiftCharge) -> StoreResult<bool> {
        let mut statements = vec![self.statement(
            "INSERT INTO release_history (release_id, niche, period, epsilon, published, \
                 sample_size, params_json, release_json, published_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(release_id) DO NOTHING",
            &[
                text(&row.release_id()),
                text(&row.niche),
                JsValue::from_f64(f64::from(row.period)),
                JsValue::from_f64(row.epsilon),
                JsValue::from_f64(if row.published { 1.0 } else { 0.0 }),
                row.sample_size
                    .map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)),
                text(&row.params_json),
                text(&row.release_json),
                text(&row.published_at),
            ],
        )?];
        // The release_log row and the charges in the same transaction.
        statements.extend(self.charge_statements(&charge.log_row(row), &charge.accounts)?);
        let results = self.batch("release history", statements).await?;
        Ok(changes(&results[0])? == 1)
    }
}

impl Membership for D1Store {
    async fn freeze_niches(
        &self,
        period: u32,
        members: &[(String, Niche)],
    ) -> StoreResult<Vec<Niche>> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let p = JsValue::from_f64(f64::from(period));
        let mut statements = vec![self.statement(
            "DELETE FROM niche_membership WHERE period < ?1",
            std::slice::from_ref(&p),
        )?];
        for (account_id, niche) in members {
            statements.push(self.statement(
                "INSERT INTO niche_membership (period, account_id, niche) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(period, account_id) DO NOTHING",
                &[p.clone(), text(account_id), text(niche.as_str())],
            )?);
        }
        // Read back in the same transaction: the niche each account is frozen in.
        for (account_id, _) in members {
            statements.push(self.statement(
                "SELECT niche FROM niche_membership WHERE period = ?1 AND account_id = ?2",
                &[p.clone(), text(account_id)],
            )?);
        }
        #[derive(Deserialize)]
        struct Row {
            niche: String,
        }
        let results = self.batch("niche membership", statements).await?;
        results[1 + members.len()..]
            .iter()
            .zip(members)
            .map(|(res, (_, asked))| {
                let rows: Vec<Row> = res.results().map_err(fault)?;
                match rows.first() {
                    Some(r) => r
                        .niche
                        .parse()
                        .map_err(|e: crosslearn::Error| StoreError::new(e.to_string())),
                    None => Ok(*asked),
                }
            })
            .collect()
    }
}

/// Accounts charged per ledger statement (their ids travel as one JSON array parameter).
const LEDGER_CHUNK: usize = 200;

#[derive(Deserialize)]
struct ReleaseLogDbRow {
    release_id: String,
    kind: String,
    niche: String,
    period: f64,
    day: f64,
    rho: f64,
    epsilon: f64,
    delta: f64,
    published: f64,
    noisy_count: Option<f64>,
    draw: String,
    params_json: String,
    release_json: String,
    published_at: String,
}

#[derive(Deserialize)]
struct LedgerDbRow {
    release_id: String,
    kind: String,
    niche: String,
    period: f64,
    day: f64,
    rho: f64,
    epsilon: f64,
}

#[derive(Deserialize)]
struct SpentDbRow {
    account_id: String,
    rho: f64,
    epsilon: f64,
}

fn ids_json(ids: &[String]) -> StoreResult<JsValue> {
    serde_json::to_string(ids)
        .map(|s| text(&s))
        .map_err(|e| StoreError::new(e.to_string()))
}

impl D1Store {
    /// The statements that record `row` in `release_log` and charge each of `accounts` in
    /// `privacy_ledger` (its `ρ` and pure `ε`): run in one batch (one transaction). The charges
    /// are written only when this run's draw is the recorded one, so a run that lost the insert
    /// race charges nobody.
    fn charge_statements(
        &self,
        row: &ReleaseLogRow,
        accounts: &[String],
    ) -> StoreResult<Vec<D1PreparedStatement>> {
        let mut statements = vec![self.statement(
            "INSERT INTO release_log (release_id, kind, niche, period, day, rho, epsilon, delta, \
             published, noisy_count, draw, params_json, release_json, published_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT(release_id) DO NOTHING",
            &[
                text(&row.release_id),
                text(&row.kind),
                text(&row.niche),
                JsValue::from_f64(f64::from(row.period)),
                JsValue::from_f64(row.day as f64),
                JsValue::from_f64(row.rho),
                JsValue::from_f64(row.epsilon),
                JsValue::from_f64(row.delta),
                JsValue::from_f64(if row.published { 1.0 } else { 0.0 }),
                row.noisy_count
                    .map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64)),
                text(&row.draw),
                text(&row.params_json),
                text(&row.release_json),
                text(&row.published_at),
            ],
        )?];
        for chunk in accounts.chunks(LEDGER_CHUNK) {
            statements.push(self.statement(
                "INSERT INTO privacy_ledger (account_id, release_id, kind, niche, period, day, \
                 rho, epsilon) \
                 SELECT j.value, ?1, ?2, ?3, ?4, ?5, ?6, ?9 FROM json_each(?7) AS j \
                 WHERE EXISTS (SELECT 1 FROM release_log WHERE release_id = ?1 AND draw = ?8) \
                 ON CONFLICT(account_id, release_id) DO NOTHING",
                &[
                    text(&row.release_id),
                    text(&row.kind),
                    text(&row.niche),
                    JsValue::from_f64(f64::from(row.period)),
                    JsValue::from_f64(row.day as f64),
                    JsValue::from_f64(row.rho),
                    ids_json(chunk)?,
                    text(&row.draw),
                    JsValue::from_f64(row.pure_epsilon()),
                ],
            )?);
        }
        Ok(statements)
    }
}

impl Ledger for D1Store {
    async fn release_log(&self, kind: &str, period: u32) -> StoreResult<Vec<ReleaseLogRow>> {
        let rows: Vec<ReleaseLogDbRow> = self
            .all_rows(
                "SELECT release_id, kind, niche, period, day, rho, epsilon, delta, published, \
                 noisy_count, draw, params_json, release_json, published_at FROM release_log \
                 WHERE kind = ?1 AND period = ?2 ORDER BY niche",
                &[text(kind), JsValue::from_f64(f64::from(period))],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| ReleaseLogRow {
                release_id: r.release_id,
                kind: r.kind,
                niche: r.niche,
                period: r.period as u32,
                day: r.day as i64,
                rho: r.rho,
                epsilon: r.epsilon,
                delta: r.delta,
                published: r.published != 0.0,
                noisy_count: r.noisy_count.map(|n| n as i64),
                draw: r.draw,
                params_json: r.params_json,
                release_json: r.release_json,
                published_at: r.published_at,
            })
            .collect())
    }

    async fn record_charged(&self, row: &ReleaseLogRow, accounts: &[String]) -> StoreResult<bool> {
        let statements = self.charge_statements(row, accounts)?;
        let results = self.batch("release log", statements).await?;
        Ok(changes(&results[0])? == 1)
    }

    async fn spent(
        &self,
        accounts: &[String],
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<BTreeMap<String, Spent>> {
        let mut out = BTreeMap::new();
        for chunk in accounts.chunks(LEDGER_CHUNK) {
            let rows: Vec<SpentDbRow> = self
                .all_rows(
                    "SELECT account_id, SUM(rho) AS rho, SUM(epsilon) AS epsilon FROM privacy_ledger \
                     WHERE account_id IN (SELECT value FROM json_each(?1)) \
                     AND day > ?2 AND day <= ?3 GROUP BY account_id",
                    &[
                        ids_json(chunk)?,
                        JsValue::from_f64(from_day as f64),
                        JsValue::from_f64(to_day as f64),
                    ],
                )
                .await?;
            out.extend(rows.into_iter().map(|r| {
                let spent = Spent {
                    rho: r.rho,
                    epsilon: r.epsilon,
                };
                (r.account_id, spent)
            }));
        }
        Ok(out)
    }

    async fn ledger(&self, account_id: &str) -> StoreResult<Vec<LedgerRow>> {
        let rows: Vec<LedgerDbRow> = self
            .all_rows(
                "SELECT release_id, kind, niche, period, day, rho, epsilon FROM privacy_ledger \
                 WHERE account_id = ?1 ORDER BY day, release_id",
                &[text(account_id)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| LedgerRow {
                release_id: r.release_id,
                kind: r.kind,
                niche: r.niche,
                period: r.period as u32,
                day: r.day as i64,
                rho: r.rho,
                epsilon: r.epsilon,
            })
            .collect())
    }
}
