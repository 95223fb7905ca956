-- crosslearn D1 schema: format-1 (lift) releases are charged to the per-account privacy ledger
-- as well (docs/privacy.md, "An account's total loss").
--
-- privacy_ledger.epsilon is the pure epsilon-DP share a row spent: a format-1 release's epsilon,
-- 0 for format 2 (its loss is in rho). An account's loss over the rolling window is
-- SUM(epsilon) + epsilon(SUM(rho), delta 1e-6), capped by privacy_budget.epsilon_cap.
ALTER TABLE privacy_ledger ADD COLUMN epsilon REAL NOT NULL DEFAULT 0;

-- Every format-1 release made before this migration gets its release_log row (kind 'lift',
-- draw 'before_ledger'; the release itself stays in release_history), so no later run charges it
-- again. The day charged is the period's first day (period * cadence_days of its own params).
INSERT INTO release_log (release_id, kind, niche, period, day, rho, epsilon, delta, published,
  noisy_count, draw, params_json, release_json, published_at)
SELECT release_id, 'lift', niche, period,
  period * COALESCE(json_extract(params_json, '$.cadence_days'), 7), 0, epsilon, 0, published,
  sample_size, 'before_ledger', params_json, '', published_at
FROM release_history WHERE 1
ON CONFLICT(release_id) DO NOTHING;

-- Exact where the period's frozen niche membership is still held (the current period): each
-- member is charged its niche's release.
INSERT INTO privacy_ledger (account_id, release_id, kind, niche, period, day, rho, epsilon)
SELECT m.account_id, r.release_id, 'lift', r.niche, r.period, r.day, 0, r.epsilon
FROM release_log r JOIN niche_membership m ON m.period = r.period AND m.niche = r.niche
WHERE r.kind = 'lift' AND r.draw = 'before_ledger'
ON CONFLICT(account_id, release_id) DO NOTHING;

-- Conservative where it is not (membership of earlier periods is not kept): every account that
-- existed by the period's last release is charged the period's largest epsilon, once (an account
-- is counted in one niche per period), under the id '<period>:before_ledger'.
INSERT INTO privacy_ledger (account_id, release_id, kind, niche, period, day, rho, epsilon)
SELECT a.account_id, p.period || ':before_ledger', 'lift', '', p.period, p.day, 0, p.epsilon
FROM accounts a
JOIN (SELECT period, MIN(day) AS day, MAX(epsilon) AS epsilon, MAX(published_at) AS last_at
      FROM release_log WHERE kind = 'lift' AND draw = 'before_ledger' GROUP BY period) p
  ON a.created_at <= p.last_at
WHERE NOT EXISTS (SELECT 1 FROM niche_membership m WHERE m.period = p.period)
ON CONFLICT(account_id, release_id) DO NOTHING;
