-- crosslearn D1 schema, version 1. D1 is the source of truth; KV only holds published releases.
-- Applied by `wrangler d1 migrations apply DB --local` (scripts/dev.sh, tests/e2e/lib/wrangler.mjs)
-- or `--remote` for a deployment. Documented in docs/worker.md ("Storage").
-- Every account-owned table has account_id; DELETE /api/accounts/{id} removes all its rows in one
-- batch (children first, the foreign keys are enforced).

-- Advertiser accounts. Ids are [A-Za-z0-9_-], 1-64 characters.
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY NOT NULL,
  created_at TEXT NOT NULL                 -- UTC ISO 8601
);

-- Bearer tokens, stored only as SHA-256 hex digests (the token is shown once, at creation).
CREATE TABLE account_tokens (
  token_hash TEXT PRIMARY KEY NOT NULL,    -- lowercase hex SHA-256 of the whole token
  account_id TEXT NOT NULL REFERENCES accounts(account_id),
  created_at TEXT NOT NULL
);
CREATE INDEX idx_account_tokens_account ON account_tokens(account_id);

-- Cross-learning consent. Opt-in: no row means not opted in (the seed defaulted to true).
CREATE TABLE consent (
  account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts(account_id),
  opted_in INTEGER NOT NULL DEFAULT 0 CHECK (opted_in IN (0, 1)),
  updated_at TEXT NOT NULL
);

-- Validated creative records (crosslearn::record::CreativeRecord as JSON), idempotent by
-- (account_id, record_id): a re-sent record is left as stored.
CREATE TABLE records (
  account_id TEXT NOT NULL REFERENCES accounts(account_id),
  record_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  niche TEXT,                              -- declared niche, NULL when not declared
  record_json TEXT NOT NULL,
  ingested_at TEXT NOT NULL,
  PRIMARY KEY (account_id, record_id)
);
CREATE INDEX idx_records_niche ON records(niche);

-- History of published niche releases (the seed's niche_patterns, one row per publication
-- instead of one mutable row per niche). Aggregates only: no account ids.
CREATE TABLE release_history (
  release_id TEXT PRIMARY KEY NOT NULL,    -- '<period>:<niche>': one release per (period, niche)
  niche TEXT NOT NULL,
  period INTEGER NOT NULL,                 -- days since 1970-01-01 / cadence_days
  epsilon REAL NOT NULL,                   -- privacy loss charged to the niche's budget window
  published INTEGER NOT NULL CHECK (published IN (0, 1)), -- passed the noisy k gate
  published_at TEXT NOT NULL,
  sample_size INTEGER,                     -- noisy account count, when published
  params_json TEXT NOT NULL,               -- k, bounds, epsilon: what the release was made with
  release_json TEXT NOT NULL               -- what was published to KV
);
CREATE INDEX idx_release_history_period ON release_history(period, niche);

-- Cross-learning events of an account (the seed's cross_learning_events).
CREATE TABLE cross_learning_events (
  event_id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(account_id),
  niche TEXT NOT NULL,
  event_type TEXT NOT NULL,                -- wisdom_applied, insights_extracted, ...
  payload_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL
);
CREATE INDEX idx_events_account ON cross_learning_events(account_id, created_at);
CREATE INDEX idx_events_niche ON cross_learning_events(niche, event_type);
