-- crosslearn D1 schema: the Redis epoch, and outbox rows that outlive erasure (docs/redis.md).
-- Every account change is now counted in redis_outbox whether or not REDIS_HOST is set, and a
-- row is never deleted: an erased account keeps its row (its id and last seq, no data) as a
-- tombstone, so its seq never restarts at 0 and a stale update can never look newer than the
-- erasure.
--
-- redis_state.epoch is bumped by every Redis rebuild, and the rebuild's ready marker in Redis
-- carries it. Redis is trusted only when its marker's epoch equals this one and its totals (the
-- sum of its entries' seqs, its opted-in entry count) match the outbox and D1's consent, so a
-- Redis restarted from an older snapshot, or one that comes back with old data after running
-- without it, is detected and rebuilt instead of served.
CREATE TABLE redis_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL                   -- 0: Redis never rebuilt under this protocol
);
INSERT INTO redis_state (id, epoch) VALUES (1, 0);

-- Accounts that changed while REDIS_HOST was unset have no row yet: give every account one
-- (pending), so a rebuild, which walks the outbox, sees them all.
INSERT INTO redis_outbox (account_id, seq, synced)
  SELECT account_id, 1, 0 FROM accounts WHERE 1
  ON CONFLICT(account_id) DO NOTHING;
