-- crosslearn D1 schema: briefs issued to accounts (docs/network-effect.md, "Verified briefs").
--
-- POST /api/accounts/{id}/explore draws randomised creative briefs for the account and keeps each
-- here under the record id its record must carry. Ingest accepts a record with
-- `assignment: randomised` only when a brief of that account has its record id and the record
-- matches it (crosslearn::wisdom::explore::check_against_brief); otherwise the record is rejected
-- naming `assignment`. Erasing the account deletes its briefs.
CREATE TABLE explore_briefs (
  account_id TEXT NOT NULL,
  record_id TEXT NOT NULL,                 -- 'brief-<32 hex>', drawn with the brief
  brief_json TEXT NOT NULL,                -- the RandomisedBrief as issued
  issued_at TEXT NOT NULL,
  PRIMARY KEY (account_id, record_id)
);
