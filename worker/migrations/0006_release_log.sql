-- crosslearn D1 schema: every release with its kind and the zCDP rho it spent, and the per-account
-- privacy ledger (docs/privacy.md, "Release format 2"; docs/worker.md, "Storage").
--
-- release_log holds one row per release id with its kind: 'suffstat' = format 2 (the
-- sufficient-statistics release, discrete Gaussian under zCDP). Format-1 (lift) releases keep
-- their rows in release_history, unchanged by this migration; the kind 'lift' is reserved for
-- charging them here too.
-- privacy_ledger holds, per account, the format-2 releases its data entered and the rho each
-- spent. Publication sums an account's rho over the rolling window (day > today - window_days)
-- and refuses a release that would take any of its accounts past the cap. Erasure deletes the
-- account's ledger rows with the rest of its data.
CREATE TABLE release_log (
  release_id TEXT PRIMARY KEY NOT NULL,    -- 'suffstat': '<period>/<niche>'; 'lift': '<period>:<niche>'
  kind TEXT NOT NULL CHECK (kind IN ('lift', 'suffstat')),
  niche TEXT NOT NULL,
  period INTEGER NOT NULL,                 -- days since 1970-01-01 / cadence_days
  day INTEGER NOT NULL,                    -- first day of the period (days since 1970-01-01)
  rho REAL NOT NULL,                       -- zCDP rho spent on every account in the release
  epsilon REAL NOT NULL,                   -- 'suffstat': epsilon at delta; 'lift': pure epsilon
  delta REAL NOT NULL,                     -- 0 for a pure epsilon-DP release
  published INTEGER NOT NULL CHECK (published IN (0, 1)),
  noisy_count INTEGER,                     -- noisy account count, when published
  draw TEXT NOT NULL,                      -- id of the run that drew the noise (ledger rows follow it)
  params_json TEXT NOT NULL,
  release_json TEXT NOT NULL,              -- the noisy release (format 2: noisy sums, in D1 only)
  published_at TEXT NOT NULL
);
CREATE INDEX idx_release_log_period ON release_log(kind, period, niche);

CREATE TABLE privacy_ledger (
  account_id TEXT NOT NULL,
  release_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  niche TEXT NOT NULL,
  period INTEGER NOT NULL,
  day INTEGER NOT NULL,
  rho REAL NOT NULL,
  PRIMARY KEY (account_id, release_id)
);
CREATE INDEX idx_privacy_ledger_day ON privacy_ledger(account_id, day);
