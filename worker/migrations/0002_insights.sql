-- crosslearn D1 schema, version 2: account insights (the seed's account_insights).
-- `cross_learning_events` already exists (0001_init.sql). Documented in docs/worker.md.
-- One row per account: the latest insight POST /api/cross-learning/extract-insights computed
-- from the account's stored records (crosslearn::insights::AccountInsight as JSON). It holds the
-- account's own numbers, so it is private: never published, exported with the account, erased
-- with it (DELETE /api/accounts/{id} deletes it before the account row).
CREATE TABLE account_insights (
  account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts(account_id),
  niche TEXT NOT NULL,                     -- the insight's niche (snake_case name)
  insight_json TEXT NOT NULL,              -- crosslearn::insights::AccountInsight
  extracted_at TEXT NOT NULL               -- UTC ISO 8601
);
CREATE INDEX idx_account_insights_niche ON account_insights(niche);
