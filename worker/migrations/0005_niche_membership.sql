-- crosslearn D1 schema: niche membership frozen per release period (docs/worker.md, "Storage").
-- The first niche an opted-in account is counted in during a period is the only one it can count
-- in for that period: publication runs niche by niche and may be rerun within a period (a niche
-- that failed is retried), so an account whose records move to another niche in between is
-- counted once. Rows of older periods are deleted by the next run; erasure deletes the account's.
CREATE TABLE niche_membership (
  period INTEGER NOT NULL,                 -- release period (days since 1970-01-01 / cadence_days)
  account_id TEXT NOT NULL,
  niche TEXT NOT NULL,                     -- snake_case niche name
  PRIMARY KEY (period, account_id)
);
CREATE INDEX idx_niche_membership_account ON niche_membership(account_id);
