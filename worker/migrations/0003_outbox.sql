-- crosslearn D1 schema: the Redis outbox (docs/redis.md). Only used when REDIS_HOST is set.
-- One row per account whose contribution changed while Redis mode was on. Every change (ingest,
-- consent, erasure) bumps `seq` in D1 BEFORE the change is written; after Redis has applied the
-- account's contribution as of `seq`, `synced` is raised to it. Rows with seq > synced are the
-- outbox: changes D1 has and Redis may not. They are drained by the cron run and by
-- POST /api/admin/redis/sync; a full rebuild is POST /api/admin/redis/rebuild.
-- No foreign key: the row of an erased account must outlive the account until Redis has dropped
-- its contribution; it is then deleted.
CREATE TABLE redis_outbox (
  account_id TEXT PRIMARY KEY NOT NULL,
  seq INTEGER NOT NULL,                    -- changes so far (monotonic per account)
  synced INTEGER NOT NULL DEFAULT 0        -- the seq Redis reflects
);
CREATE INDEX idx_redis_outbox_pending ON redis_outbox(account_id) WHERE seq > synced;
