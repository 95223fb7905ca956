-- crosslearn D1 schema: the distribution release (docs/privacy.md, "The distribution release").
--
-- A niche's CTR / conversion-rate / ROAS distributions (the benchmarks) can be released on their
-- own, slower cadence (RELEASE_CONFIG.distributions). Each such release is one release_log row of
-- the new kind 'distribution' (release id 'dist:<period>:<niche>', period = day / the
-- distribution cadence; pure epsilon, delta 0, rho 0; release_json = the noisy release), and its
-- accounts are charged its epsilon in privacy_ledger in the same transaction, as for the other
-- kinds. SQLite cannot change a CHECK constraint in place, so release_log is rebuilt with the
-- same columns and rows and the wider CHECK; privacy_ledger is untouched.
CREATE TABLE release_log_0008 (
  release_id TEXT PRIMARY KEY NOT NULL,    -- 'suffstat': '<period>/<niche>'; 'lift': '<period>:<niche>'; 'distribution': 'dist:<period>:<niche>'
  kind TEXT NOT NULL CHECK (kind IN ('lift', 'suffstat', 'distribution')),
  niche TEXT NOT NULL,
  period INTEGER NOT NULL,                 -- days since 1970-01-01 / the kind's cadence
  day INTEGER NOT NULL,                    -- first day of the period (days since 1970-01-01)
  rho REAL NOT NULL,                       -- zCDP rho spent on every account in the release
  epsilon REAL NOT NULL,                   -- 'suffstat': epsilon at delta; 'lift', 'distribution': pure epsilon
  delta REAL NOT NULL,                     -- 0 for a pure epsilon-DP release
  published INTEGER NOT NULL CHECK (published IN (0, 1)),
  noisy_count INTEGER,                     -- noisy account count, when published
  draw TEXT NOT NULL,                      -- id of the run that drew the noise (ledger rows follow it)
  params_json TEXT NOT NULL,
  release_json TEXT NOT NULL,              -- the noisy release (format 2: noisy sums, in D1 only)
  published_at TEXT NOT NULL
);
INSERT INTO release_log_0008 (release_id, kind, niche, period, day, rho, epsilon, delta, published,
  noisy_count, draw, params_json, release_json, published_at)
SELECT release_id, kind, niche, period, day, rho, epsilon, delta, published, noisy_count, draw,
  params_json, release_json, published_at FROM release_log;
DROP TABLE release_log;
ALTER TABLE release_log_0008 RENAME TO release_log;
CREATE INDEX idx_release_log_period ON release_log(kind, period, niche);
