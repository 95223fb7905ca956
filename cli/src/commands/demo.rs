//! `crosslearn demo-network`: the SIMULATED network the main command (`scripts/dev.sh`) seeds,
//! its size checked against the core's publication gates, and written as SQL for the local D1.
//!
//! **Why a native generator.** Every niche must publish under the *production* release config
//! (k 50). The simulator's accounts only contribute when they pass the insight's data gate (3
//! campaigns = 3 platforms: about 14.5 % of them), and a contributor feeds one platform
//! (`max_platforms` 1). Publishing every niche on every platform therefore takes tens of
//! thousands of accounts, far too many to push through the public API in a few minutes. The
//! records go through exactly the API's path up to the database: the simulator's record ->
//! `RecordInput` (as `scripts/seed-demo.mjs` sends it) -> the core's `validate_json_values`
//! with source `user` -> the JSON the Worker's D1 adapter stores.
//!
//! **The sizing rule** ([`plan`]). For every niche, each gate a release must clear is a noisy
//! count `c + X` against a threshold `g`, `X` discrete Laplace with the gate's scale `t`, so
//! `P(c + X < g)` is exact (below). The gates checked, at the given release config:
//! format 1 (the Worker's release today): the niche count against [`niche_gate`] and, on each
//! of the 3 platforms, the platform count against [`platform_gate`] (the editor's percentile
//! needs the platform's CTR histogram); format 2 (`crosslearn::wisdom::suffstat`, at its
//! defaults, k 50): the niche count against [`niche_count_gate`], counting conservatively only
//! the accounts that contribute to format 1. A network is big enough when the probability that
//! **any** of these 75 gates fails is at most [`MAX_FAILURE`].
//!
//! **Ids.** One simulator call makes at most 10,000 accounts, so the network is made of
//! batches of at most [`BATCH`] accounts (a multiple of 15, so the niches stay balanced): batch
//! 0 is the simulator's network for `seed` unchanged (`sim-a0000` ...: the same accounts the API
//! seeding sends), batch `b >= 1` the one for `seed + b` with its ids prefixed
//! (`sim-b1-a0000`, `sim-b1-a0000-c00-meta`).
//!
//! **SQL.** Multi-row `INSERT ... ON CONFLICT DO NOTHING` statements of at most
//! [`MAX_STATEMENT_BYTES`] (D1 caps a statement at 100 KB): accounts, consent (opted in),
//! the Redis outbox (pending, as the migration leaves existing accounts, so a later Redis
//! rebuild includes them) and records. Idempotent: rows that exist are left as they are. The
//! simulated accounts get no token: nobody signs in as them; the operator acts on them.

use crosslearn::insights::InsightOptions;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::record::iso_utc;
use crosslearn::record::{validate_json_values, CreativeRecord, RecordSource};
use crosslearn::sim::{generate_network, SimOptions};
use crosslearn::wisdom::layout::GroupKind;
use crosslearn::wisdom::suffstat::{niche_count_gate, SuffStatConfig};
use crosslearn::wisdom::{
    niche_gate, platform_gate, wisdom_contribution, AccountConsent, Layout, ReleaseConfig,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Accounts per simulator call (a multiple of 15 below the simulator's 10,000).
pub const BATCH: u32 = 9_990;
/// Largest SQL statement written (D1 refuses statements over 100,000 bytes).
pub const MAX_STATEMENT_BYTES: usize = 90_000;
/// The demo is big enough when every niche publishes everything the plan checks with at
/// least this probability of some gate failing, or less.
pub const MAX_FAILURE: f64 = 0.01;

/// One gate of one niche: true count against a noisy threshold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gate {
    /// What is gated (`format1.niche`, `format1.platform.meta`, `format2.niche`).
    pub gate: String,
    /// The true count behind the noisy one.
    pub count: u64,
    /// The threshold the noisy count must reach.
    pub threshold: f64,
    /// The discrete Laplace scale of the count's noise.
    pub noise_scale: f64,
    /// Probability that the noisy count falls below the threshold.
    pub failure: f64,
}

/// The sizing of one niche.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NichePlan {
    /// The niche.
    pub niche: Niche,
    /// Simulated accounts in it (all opted in).
    pub accounts: u64,
    /// Its gates.
    pub gates: Vec<Gate>,
}

/// The sizing of the whole network.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Simulated accounts.
    pub simulated: u64,
    /// Seeded accounts (all, or the contributors and the API accounts with
    /// `--only-contributors`).
    pub accounts: u64,
    /// Their records.
    pub records: u64,
    /// Per niche.
    pub niches: Vec<NichePlan>,
    /// Probability that at least one gate fails: `1 - Π (1 - failure)` (rule `platforms`).
    pub any_failure: f64,
    /// Probability that some niche fails a niche gate (either format) or publishes no platform
    /// benchmark at all (rule `niches`).
    pub niche_failure: f64,
}

/// Which gates a network must clear with probability `1 -` [`MAX_FAILURE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Rule {
    /// Every gate: both niche gates and all 3 platforms of every niche (the demo of
    /// `scripts/dev.sh`: every niche has a percentile on every platform).
    Platforms,
    /// Both niche gates of every niche and at least one platform benchmark in each (the
    /// end-to-end test's fraction).
    Niches,
}

/// `P(X <= -m)` for discrete Laplace `X` with scale `t` (`P(x) ∝ q^|x|`, `q = e^{-1/t}`):
/// `q^m / (1 + q)` for `m >= 0`, `1 - q^{1-m} / (1 + q)` below.
pub fn laplace_lower_tail(m: i64, t: f64) -> f64 {
    let q = (-1.0 / t).exp();
    if m >= 0 {
        q.powf(m as f64) / (1.0 + q)
    } else {
        1.0 - q.powf((1 - m) as f64) / (1.0 + q)
    }
}

/// Probability that `count + X < threshold` (the noisy count is an integer).
pub fn failure(count: u64, threshold: f64, t: f64) -> f64 {
    // noisy < g  <=>  noisy <= ceil(g) - 1  <=>  X <= -(count - ceil(g) + 1)
    let m = count as i64 - threshold.ceil() as i64 + 1;
    laplace_lower_tail(m, t)
}

/// What each account adds to the plan: its niche, whether it contributes, and on which platform.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    accounts: u64,
    contributors: u64,
    per_platform: [u64; 3],
}

fn gates_of(
    niche: Niche,
    t: &Tally,
    config: &ReleaseConfig,
    suff: &SuffStatConfig,
) -> Result<NichePlan, String> {
    let layout = Layout::new(config).map_err(|e| format!("release config: {e}"))?;
    let mut gates = vec![Gate {
        gate: "format1.niche".into(),
        count: t.contributors,
        threshold: niche_gate(&layout, config),
        noise_scale: 1.0 / layout.count_epsilon,
        failure: 0.0,
    }];
    let tp = layout.group(GroupKind::PlatformCount).noise_scale();
    for (i, p) in Platform::KNOWN.iter().enumerate() {
        gates.push(Gate {
            gate: format!("format1.platform.{}", p.as_str()),
            count: t.per_platform[i],
            threshold: platform_gate(&layout, config),
            noise_scale: tp,
            failure: 0.0,
        });
    }
    // With a separate distribution release, the benchmarks are published by its own gates.
    if config.distributions.is_some() {
        let dl = Layout::distribution(config).map_err(|e| format!("release config: {e}"))?;
        gates.push(Gate {
            gate: "distributions.niche".into(),
            count: t.contributors,
            threshold: niche_gate(&dl, config),
            noise_scale: 1.0 / dl.count_epsilon,
            failure: 0.0,
        });
        let tp = dl.group(GroupKind::PlatformCount).noise_scale();
        for (i, p) in Platform::KNOWN.iter().enumerate() {
            gates.push(Gate {
                gate: format!("distributions.platform.{}", p.as_str()),
                count: t.per_platform[i],
                threshold: platform_gate(&dl, config),
                noise_scale: tp,
                failure: 0.0,
            });
        }
    }
    let plan2 = suff
        .validate()
        .map_err(|e| format!("format 2 config: {e}"))?;
    gates.push(Gate {
        gate: "format2.niche".into(),
        count: t.contributors,
        threshold: niche_count_gate(suff).map_err(|e| format!("format 2 config: {e}"))? as f64,
        noise_scale: plan2.count_scale_num as f64 / plan2.count_scale_den as f64,
        failure: 0.0,
    });
    for g in &mut gates {
        g.failure = failure(g.count, g.threshold, g.noise_scale);
    }
    Ok(NichePlan {
        niche,
        accounts: t.accounts,
        gates,
    })
}

/// The plan from per-niche tallies.
fn plan_of(
    tallies: &BTreeMap<Niche, Tally>,
    records: u64,
    config: &ReleaseConfig,
    suff: &SuffStatConfig,
) -> Result<Plan, String> {
    let mut niches = Vec::new();
    let (mut pass, mut niche_pass) = (1.0, 1.0);
    for n in Niche::ALL {
        let t = tallies.get(&n).copied().unwrap_or_default();
        let p = gates_of(n, &t, config, suff)?;
        // Per family of platform gates (format 1, distributions): at least one platform.
        let mut all_platforms_fail: BTreeMap<&str, f64> = BTreeMap::new();
        for g in &p.gates {
            pass *= 1.0 - g.failure;
            match g.gate.split_once(".platform.") {
                Some((family, _)) => *all_platforms_fail.entry(family).or_insert(1.0) *= g.failure,
                None => niche_pass *= 1.0 - g.failure,
            }
        }
        for fail in all_platforms_fail.values() {
            niche_pass *= 1.0 - fail;
        }
        niches.push(p);
    }
    Ok(Plan {
        simulated: 0,
        accounts: niches.iter().map(|n| n.accounts).sum(),
        records,
        niches,
        any_failure: 1.0 - pass,
        niche_failure: 1.0 - niche_pass,
    })
}

/// The ids of batch `b`: batch 0 unchanged, others `sim-b<b>-a...`.
fn rename(id: &str, b: u32) -> String {
    match (b, id.strip_prefix("sim-")) {
        (0, _) | (_, None) => id.to_string(),
        (_, Some(rest)) => format!("sim-b{b}-{rest}"),
    }
}

/// The simulator's record as the API's ingest input (what `scripts/seed-demo.mjs` sends:
/// `date_start` becomes `date`, `source` is dropped), ids of batch `b`.
fn to_input(r: &CreativeRecord, b: u32) -> Result<Value, String> {
    let mut v = serde_json::to_value(r).map_err(|e| e.to_string())?;
    let Value::Object(map) = &mut v else {
        return Err("a simulated record is not a JSON object".into());
    };
    let date = map.remove("date_start").unwrap_or(Value::Null);
    map.remove("source");
    map.insert("date".into(), date);
    for key in ["account_id", "record_id", "campaign_id"] {
        if let Some(Value::String(s)) = map.get(key) {
            let renamed = rename(s, b);
            map.insert(key.into(), Value::String(renamed));
        }
    }
    Ok(v)
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Multi-row INSERT statements of at most [`MAX_STATEMENT_BYTES`] each.
struct Inserts<W: Write> {
    out: W,
    head: &'static str,
    tail: &'static str,
    buf: String,
    rows: usize,
    statements: u64,
}

impl<W: Write> Inserts<W> {
    fn new(out: W, head: &'static str, tail: &'static str) -> Self {
        Inserts {
            out,
            head,
            tail,
            buf: String::new(),
            rows: 0,
            statements: 0,
        }
    }

    fn row(&mut self, values: &str) -> Result<(), String> {
        let extra = values.len() + 2;
        if self.head.len() + values.len() + self.tail.len() + 4 > MAX_STATEMENT_BYTES {
            return Err(format!(
                "one row of `{}` is {} bytes: over the statement limit",
                self.head.trim(),
                values.len()
            ));
        }
        if self.rows > 0
            && self.head.len() + self.buf.len() + extra + self.tail.len() > MAX_STATEMENT_BYTES
        {
            self.flush()?;
        }
        if self.rows > 0 {
            self.buf.push_str(",\n");
        }
        self.buf.push_str(values);
        self.rows += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        if self.rows == 0 {
            return Ok(());
        }
        writeln!(self.out, "{}{}{};", self.head, self.buf, self.tail)
            .map_err(|e| format!("cannot write SQL: {e}"))?;
        self.buf.clear();
        self.rows = 0;
        self.statements += 1;
        Ok(())
    }
}

/// What to simulate and seed.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    /// The simulator seed (batch `b` uses `seed + b`).
    pub seed: u64,
    /// Simulated accounts (a positive multiple of 15).
    pub accounts: u32,
    /// Leave out the accounts that fail the insight's data gate (see [`build`]).
    pub only_contributors: bool,
    /// The first accounts of batch 0, seeded through the public API instead (see [`build`]).
    pub api_accounts: u32,
    /// Write at most this many records per campaign (the first ones, in the simulator's order)
    /// of each account written to the SQL; `None` writes them all. See [`trim_per_campaign`]:
    /// it changes what is written, not who contributes.
    pub records_per_campaign: Option<u32>,
}

/// The first `n` records of each campaign (records without a campaign count as one campaign),
/// in their order. Every campaign keeps at least one record when `n >= 1`, so the account keeps
/// its distinct campaigns (the insight's data gate counts them), its platforms (a contribution
/// feeds a platform picked from the ones with impressions, by a hash of the account id) and its
/// niche: it contributes exactly when it did with all its records, to the same platform. Only
/// the values it contributes (its CTR, rates, lifts) come from fewer records.
pub fn trim_per_campaign(records: Vec<CreativeRecord>, n: u32) -> Vec<CreativeRecord> {
    let mut kept: BTreeMap<Option<String>, u32> = BTreeMap::new();
    records
        .into_iter()
        .filter(|r| {
            let k = kept.entry(r.campaign_id.clone()).or_default();
            *k += 1;
            *k <= n
        })
        .collect()
}

/// The account, consent (opted in) and outbox rows of `ids`.
fn account_rows(out: &mut dyn Write, ids: &[String], now_sql: &str) -> Result<(), String> {
    type Row<'a> = &'a dyn Fn(&str) -> String;
    let tables: [(&'static str, Row); 3] = [
        (
            "INSERT INTO accounts (account_id, created_at) VALUES\n",
            &|id| format!("({}, {now_sql})", sql_text(id)),
        ),
        (
            "INSERT INTO consent (account_id, opted_in, updated_at) VALUES\n",
            &|id| format!("({}, 1, {now_sql})", sql_text(id)),
        ),
        (
            "INSERT INTO redis_outbox (account_id, seq, synced) VALUES\n",
            &|id| format!("({}, 1, 0)", sql_text(id)),
        ),
    ];
    for (head, row) in tables {
        let mut ins = Inserts::new(&mut *out, head, "\nON CONFLICT(account_id) DO NOTHING");
        for id in ids {
            ins.row(&row(id))?;
        }
        ins.flush()?;
    }
    Ok(())
}

/// What one simulator batch adds: its tallies, its record count and its SQL.
struct BatchOut {
    tallies: BTreeMap<Niche, Tally>,
    records: u64,
    sql: Vec<u8>,
}

/// Simulate batch `b` (`n` accounts), tally it and (with `want_sql`) write its SQL.
fn batch(
    b: u32,
    n: u32,
    opts: DemoOptions,
    config: &ReleaseConfig,
    want_sql: bool,
    now_sql: &str,
) -> Result<BatchOut, String> {
    let DemoOptions {
        seed,
        only_contributors,
        api_accounts,
        records_per_campaign,
        ..
    } = opts;
    let insight = InsightOptions::default();
    let layout = Layout::new(config).map_err(|e| format!("release config: {e}"))?;
    let platform_count = layout.group(GroupKind::PlatformCount).start;
    let mut tallies: BTreeMap<Niche, Tally> = BTreeMap::new();
    let mut records = 0u64;
    let net = generate_network(&SimOptions {
        seed: seed.wrapping_add(u64::from(b)),
        accounts: n,
        effect_scale: None,
    })
    .map_err(|e| format!("simulator: {e}"))?;
    let mut seeded: Vec<String> = Vec::new();
    let mut batch_sql: Vec<u8> = Vec::new();
    let mut by: BTreeMap<&str, Vec<&CreativeRecord>> = BTreeMap::new();
    for r in &net.records {
        by.entry(r.account_id.as_str()).or_default().push(r);
    }
    let mut rec = want_sql.then(|| {
        Inserts::new(
            &mut batch_sql,
            "INSERT INTO records (account_id, record_id, platform, niche, record_json, \
             ingested_at) VALUES\n",
            "\nON CONFLICT(account_id, record_id) DO NOTHING",
        )
    });
    for (i, a) in net.accounts.iter().enumerate() {
        let id = rename(&a.account_id, b);
        // Seeded through the public API by scripts/seed-demo.mjs (same simulator, seed and
        // ids): counted here, but not written.
        let via_api = b == 0 && (i as u32) < api_accounts;
        let own = by.get(a.account_id.as_str());
        // Fast path of the data gate: fewer distinct campaigns than it needs.
        let campaigns: std::collections::BTreeSet<_> = own
            .into_iter()
            .flatten()
            .map(|r| r.campaign_id.as_deref())
            .collect();
        if only_contributors && !via_api && campaigns.len() < insight.min_campaigns as usize {
            continue;
        }
        let inputs = own
            .map(|rs| {
                rs.iter()
                    .map(|r| to_input(r, b))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let report = validate_json_values(inputs, RecordSource::User);
        if let Some(bad) = report.rejected.first() {
            return Err(format!(
                "simulated record {:?} of {id} rejected: {:?}",
                bad.record_id, bad.issues
            ));
        }
        // What the Worker will hold for this account: the API accounts send all their records;
        // the written ones are trimmed with --records-per-campaign. The plan (contributors,
        // platforms) is computed from exactly these records.
        let stored = match records_per_campaign {
            Some(n) if !via_api => trim_per_campaign(report.accepted, n),
            _ => report.accepted,
        };
        let c = wisdom_contribution(&stored, AccountConsent { opted_in: true }, &insight, config)
            .map_err(|e| format!("contribution of {id}: {e}"))?;
        if only_contributors && !via_api && c.is_none() {
            continue;
        }
        records += stored.len() as u64;
        let t = tallies.entry(a.niche).or_default();
        t.accounts += 1;
        if !via_api {
            seeded.push(id.clone());
        }
        if let Some(c) = c {
            t.contributors += 1;
            for (p, slot) in t.per_platform.iter_mut().enumerate() {
                if c.values[platform_count + p] != 0 {
                    *slot += 1;
                }
            }
        }
        if let Some(rec) = rec.as_mut().filter(|_| !via_api) {
            for r in &stored {
                let json = serde_json::to_string(r).map_err(|e| e.to_string())?;
                let niche = r.niche.map_or("NULL".to_string(), |n| sql_text(n.as_str()));
                rec.row(&format!(
                    "({}, {}, {}, {niche}, {}, {now_sql})",
                    sql_text(&id),
                    sql_text(&r.record_id),
                    sql_text(r.platform.as_str()),
                    sql_text(&json),
                ))?;
            }
        }
    }
    if let Some(mut rec) = rec {
        rec.flush()?;
    }
    let mut out = Vec::new();
    if want_sql {
        // Accounts before their records (D1 enforces the foreign keys).
        account_rows(&mut out, &seeded, now_sql)?;
        out.extend_from_slice(&batch_sql);
    }
    Ok(BatchOut {
        tallies,
        records,
        sql: out,
    })
}

/// Simulate `accounts` accounts (in batches, see the module docs), tally them against the gates
/// and, when `sql` is given, write the SQL that seeds them into it. With `only_contributors`,
/// the accounts whose records fail the insight's data gate are left out (they add nothing to
/// any format-1 release, only seeding time); the plan then counts only the seeded ones. The
/// first `api_accounts` accounts of batch 0 are counted but not written: scripts/seed-demo.mjs
/// seeds them through the public API. `now` is the ISO time
/// stored as `created_at` / `ingested_at`.
pub fn build(
    opts: DemoOptions,
    config: &ReleaseConfig,
    suff: &SuffStatConfig,
    mut sql: Option<&mut dyn Write>,
    now: &str,
) -> Result<Plan, String> {
    let DemoOptions {
        seed,
        accounts,
        records_per_campaign,
        ..
    } = opts;
    if accounts == 0 || !accounts.is_multiple_of(15) {
        return Err(format!(
            "accounts: must be a positive multiple of 15 (one share per niche), got {accounts}"
        ));
    }
    if records_per_campaign == Some(0) {
        return Err(
            "records-per-campaign: must be at least 1 (a campaign without records is no campaign), got 0"
                .into(),
        );
    }
    Layout::new(config).map_err(|e| format!("release config: {e}"))?;
    let now_sql = sql_text(now);
    if let Some(out) = sql.as_deref_mut() {
        writeln!(
            out,
            "-- SIMULATED demo network: {accounts} accounts (crosslearn demo-network --seed {seed} \
             --accounts {accounts}{}). Idempotent: existing rows are kept.",
            records_per_campaign.map_or(String::new(), |n| format!(
                " --records-per-campaign {n}"
            ))
        )
        .map_err(|e| format!("cannot write SQL: {e}"))?;
    }
    // Batches run on threads (as many at a time as the machine has cores); their SQL is written
    // in batch order, so the output does not depend on the scheduling.
    let sizes: Vec<(u32, u32)> = (0..accounts.div_ceil(BATCH))
        .map(|b| (b, (accounts - b * BATCH).min(BATCH)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut tallies: BTreeMap<Niche, Tally> = BTreeMap::new();
    let mut records_total = 0u64;
    let want_sql = sql.is_some();
    for group in sizes.chunks(threads) {
        let outs: Vec<Result<BatchOut, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = group
                .iter()
                .map(|&(b, n)| {
                    let now_sql = &now_sql;
                    scope.spawn(move || batch(b, n, opts, config, want_sql, now_sql))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a simulator batch panicked".into()))
                })
                .collect()
        });
        for out in outs {
            let out = out?;
            for (niche, t) in out.tallies {
                let e = tallies.entry(niche).or_default();
                e.accounts += t.accounts;
                e.contributors += t.contributors;
                for p in 0..3 {
                    e.per_platform[p] += t.per_platform[p];
                }
            }
            records_total += out.records;
            if let Some(w) = sql.as_deref_mut() {
                w.write_all(&out.sql)
                    .map_err(|e| format!("cannot write SQL: {e}"))?;
            }
        }
    }
    let mut plan = plan_of(&tallies, records_total, config, suff)?;
    plan.simulated = u64::from(accounts);
    Ok(plan)
}

/// The Worker's whole `RELEASE_CONFIG` (wrangler.toml): the format-1 keys, `format2` (release
/// format 2's config) and `privacy_budget` (the per-account ledger's caps: a fresh demo publishes
/// one period, far below them, so they gate nothing here).
fn parse_release_config(text: &str) -> Result<(ReleaseConfig, SuffStatConfig), String> {
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| format!("--release-config: {e}"))?;
    let format2 = map.remove("format2");
    map.remove("privacy_budget");
    let config: ReleaseConfig = serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| format!("--release-config: {e}"))?;
    let suff: SuffStatConfig = match format2 {
        Some(v) => {
            serde_json::from_value(v).map_err(|e| format!("--release-config.format2: {e}"))?
        }
        None => SuffStatConfig::default(),
    };
    suff.validate()
        .map_err(|e| format!("--release-config.format2: {e}"))?;
    Ok((config, suff))
}

/// `crosslearn demo-network`: print the plan (text or JSON) and write the SQL.
pub fn demo_network(
    opts: DemoOptions,
    release_config: Option<&str>,
    sql_out: Option<&Path>,
    rule: Rule,
    json: bool,
) -> Result<(), String> {
    let (config, suff) = match release_config {
        Some(text) if !text.trim().is_empty() => parse_release_config(text)?,
        _ => (ReleaseConfig::default(), SuffStatConfig::default()),
    };
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as u64;
    let now = iso_utc(now_ms);
    let plan = match sql_out {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| format!("{}: cannot create: {e}", p.display()))?;
            let mut w = std::io::BufWriter::new(f);
            let plan = build(opts, &config, &suff, Some(&mut w), &now)?;
            w.flush()
                .map_err(|e| format!("{}: cannot write: {e}", p.display()))?;
            plan
        }
        None => build(opts, &config, &suff, None, &now)?,
    };
    if json {
        let text = serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())?;
        crate::outln!("{text}")?;
    } else {
        print_plan(&plan)?;
    }
    let p = match rule {
        Rule::Platforms => plan.any_failure,
        Rule::Niches => plan.niche_failure,
    };
    if p > MAX_FAILURE {
        return Err(format!(
            "the network is too small for k {} (rule {rule:?}): it fails with probability {p:.3} (> {MAX_FAILURE}); add accounts",
            config.k
        ));
    }
    Ok(())
}

fn print_plan(plan: &Plan) -> Result<(), String> {
    crate::outln!(
        "SIMULATED demo network: {} accounts simulated, {} seeded with {} records",
        plan.simulated,
        plan.accounts,
        plan.records
    )?;
    crate::outln!(
        "{:<14} {:>8} {:>12} {:>22} {:>12}",
        "niche",
        "accounts",
        "contributors",
        "meta/tiktok/google_ads",
        "P(any fail)"
    )?;
    for n in &plan.niches {
        let c = |g: &str| n.gates.iter().find(|x| x.gate == g).map_or(0, |x| x.count);
        let pass: f64 = n.gates.iter().map(|g| 1.0 - g.failure).product();
        crate::outln!(
            "{:<14} {:>8} {:>12} {:>22} {:>12.2e}",
            n.niche.as_str(),
            n.accounts,
            c("format1.niche"),
            format!(
                "{}/{}/{}",
                c("format1.platform.meta"),
                c("format1.platform.tiktok"),
                c("format1.platform.google_ads")
            ),
            1.0 - pass
        )?;
    }
    if let Some(n) = plan.niches.first() {
        for g in &n.gates {
            crate::outln!(
                "gate {:<28} threshold {:>6.1}  noise scale {:>5.2}",
                g.gate,
                g.threshold,
                g.noise_scale
            )?;
        }
    }
    crate::outln!(
        "rule platforms: P(some niche or platform does not publish) = {:.2e}",
        plan.any_failure
    )?;
    crate::outln!(
        "rule niches:    P(some niche does not publish, or has no platform benchmark) = {:.2e}",
        plan.niche_failure
    )?;
    crate::outln!("(the rule asked for must be <= {MAX_FAILURE})")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laplace_tail_sums_to_one_and_matches_a_direct_sum() {
        let t: f64 = 6.5;
        let q: f64 = (-1.0 / t).exp();
        let p = |x: i64| (1.0 - q) / (1.0 + q) * q.powf(x.abs() as f64);
        for m in [-30i64, -3, -1, 0, 1, 4, 40] {
            let direct: f64 = (-2000..=-m).map(p).sum();
            assert!((laplace_lower_tail(m, t) - direct).abs() < 1e-9, "m {m}");
        }
        // count 60 at gate 60: fails when X <= -1.
        assert!((failure(60, 60.0, t) - laplace_lower_tail(1, t)).abs() < 1e-15);
    }

    #[test]
    fn ids_of_later_batches_are_prefixed() {
        assert_eq!(rename("sim-a0001-c02-meta", 0), "sim-a0001-c02-meta");
        assert_eq!(rename("sim-a0001-c02-meta", 3), "sim-b3-a0001-c02-meta");
    }

    #[test]
    fn statements_stay_under_the_limit_and_quote() {
        let mut out = Vec::new();
        let mut ins = Inserts::new(&mut out, "INSERT INTO t (a) VALUES\n", "");
        for i in 0..5000 {
            ins.row(&format!(
                "({})",
                sql_text(&format!("it's {i} {}", "x".repeat(100)))
            ))
            .unwrap();
        }
        ins.flush().unwrap();
        let text = String::from_utf8(out).unwrap();
        let statements: Vec<&str> = text.split(";\n").filter(|s| !s.is_empty()).collect();
        assert!(statements.len() > 5);
        assert!(statements.iter().all(|s| s.len() <= MAX_STATEMENT_BYTES));
        assert_eq!(text.matches("it''s").count(), 5000);
    }

    /// The whole production RELEASE_CONFIG of wrangler.toml (format-1 keys, `format2`,
    /// `privacy_budget`) is what dev.sh passes: it parses, and its format-1 epsilon is read.
    #[test]
    fn the_production_release_config_of_wrangler_toml_parses() {
        let toml = include_str!("../../../wrangler.toml");
        let section = &toml[toml.find("[env.production.vars]").unwrap()..];
        let raw = section
            .lines()
            .find_map(|l| l.strip_prefix("RELEASE_CONFIG = '"))
            .and_then(|l| l.strip_suffix('\''))
            .expect("production RELEASE_CONFIG");
        let (config, suff) = parse_release_config(raw).unwrap();
        assert!(config.k >= 50 && suff.k >= 50);
        // The production config the evaluations read (eval-wisdom --compare) is this one;
        // docs/release-production-format1.json is the one before the distribution release.
        let doc: ReleaseConfig = serde_json::from_str(include_str!(
            "../../../docs/release-production-distributions.json"
        ))
        .unwrap();
        assert_eq!(
            doc, config,
            "docs/release-production-distributions.json differs from wrangler.toml"
        );
        assert!(config.distributions.is_some());
        assert!(config.epsilon < 1.0, "{config:?}");
        let err = parse_release_config(r#"{"k": 50, "format2": {"nope": 1}}"#).unwrap_err();
        assert!(err.contains("format2"), "{err}");
    }

    fn production() -> ReleaseConfig {
        serde_json::from_str(
            r#"{"k": 50, "cadence_days": 30, "window_periods": 12, "budget_per_window": 12.0}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_rule_follows_the_gates() {
        let (config, suff) = (production(), SuffStatConfig::default());
        let tallies = |c: u64, p: u64| -> BTreeMap<Niche, Tally> {
            Niche::ALL
                .iter()
                .map(|n| {
                    let t = Tally {
                        accounts: c,
                        contributors: c,
                        per_platform: [p; 3],
                    };
                    (*n, t)
                })
                .collect()
        };
        // At the gates themselves (k 50, format 2's 60) about half the draws fail.
        let at_gates = plan_of(&tallies(60, 50), 0, &config, &suff).unwrap();
        assert!(at_gates.any_failure > 0.99 && at_gates.niche_failure > 0.9);
        // 400 contributors, 130 per platform: every gate passes with probability > 99 %.
        let big = plan_of(&tallies(400, 130), 0, &config, &suff).unwrap();
        assert!(big.any_failure < MAX_FAILURE, "{}", big.any_failure);
        // 250 and 70: the niches publish, but some platform almost surely does not.
        let mid = plan_of(&tallies(250, 70), 0, &config, &suff).unwrap();
        assert!(mid.niche_failure < MAX_FAILURE && mid.any_failure > 0.5);
        let g = &big.niches[0].gates;
        assert_eq!(
            g.iter()
                .find(|x| x.gate == "format2.niche")
                .unwrap()
                .threshold,
            60.0
        );
        assert_eq!(
            g.iter()
                .find(|x| x.gate == "format1.niche")
                .unwrap()
                .threshold,
            50.0
        );
    }

    #[test]
    fn a_distribution_release_adds_its_own_gates() {
        use crosslearn::wisdom::{DistributionConfig, EpsilonSplit};
        let config = ReleaseConfig {
            split: EpsilonSplit {
                ctr_histogram: 0.0,
                cvr_histogram: 0.0,
                roas_histogram: 0.0,
                ..EpsilonSplit::default()
            },
            distributions: Some(DistributionConfig::default()),
            ..production()
        };
        let t = Tally {
            accounts: 400,
            contributors: 400,
            per_platform: [130, 130, 0],
        };
        let p = gates_of(Niche::Fitness, &t, &config, &SuffStatConfig::default()).unwrap();
        let names: Vec<&str> = p.gates.iter().map(|g| g.gate.as_str()).collect();
        assert!(names.contains(&"distributions.niche"), "{names:?}");
        assert!(names.contains(&"distributions.platform.google_ads"));
        // A platform nobody uses fails both families' gates; one platform per family is enough
        // for the niche.
        let tallies: BTreeMap<Niche, Tally> = Niche::ALL.iter().map(|n| (*n, t)).collect();
        let plan = plan_of(&tallies, 0, &config, &SuffStatConfig::default()).unwrap();
        assert!(plan.any_failure > 0.99);
        assert!(plan.niche_failure < MAX_FAILURE, "{}", plan.niche_failure);
    }

    #[test]
    fn the_sql_holds_what_the_api_would_store() {
        let opts = DemoOptions {
            seed: 7,
            accounts: 30,
            only_contributors: false,
            api_accounts: 2,
            records_per_campaign: None,
        };
        let mut out = Vec::new();
        let plan = build(
            opts,
            &production(),
            &SuffStatConfig::default(),
            Some(&mut out),
            "2026-01-01T00:00:00.000Z",
        )
        .unwrap();
        let sql = String::from_utf8(out).unwrap();
        assert_eq!(plan.accounts, 30);
        // The 2 API accounts are counted but not written.
        assert!(!sql.contains("('sim-a0000',") && !sql.contains("('sim-a0001',"));
        assert!(sql.contains("('sim-a0002', '2026-01-01T00:00:00.000Z')"));
        let net = generate_network(&SimOptions {
            seed: 7,
            accounts: 30,
            effect_scale: None,
        })
        .unwrap();
        let written = net
            .records
            .iter()
            .filter(|r| r.account_id != "sim-a0000" && r.account_id != "sim-a0001")
            .count();
        assert_eq!(sql.matches("'{\"record_id\":").count(), written);
        assert!(sql.contains("\"source\":\"user\""));
        assert!(!sql.contains("\"source\":\"simulated\""));
        for statement in sql.split(";\n") {
            assert!(statement.len() <= MAX_STATEMENT_BYTES);
        }
    }

    /// `--records-per-campaign` trims the records written, not the accounts that contribute:
    /// the same accounts are seeded, in the same niches, with the same contributors per niche
    /// and per platform (so the same gates and the same rule), from far fewer records.
    #[test]
    fn records_per_campaign_trims_what_is_written_not_who_contributes() {
        let run = |records_per_campaign| {
            let opts = DemoOptions {
                seed: 11,
                accounts: 300,
                only_contributors: true,
                api_accounts: 3,
                records_per_campaign,
            };
            let mut out = Vec::new();
            let plan = build(
                opts,
                &production(),
                &SuffStatConfig::default(),
                Some(&mut out),
                "2026-01-01T00:00:00.000Z",
            )
            .unwrap();
            (plan, String::from_utf8(out).unwrap())
        };
        let (full, full_sql) = run(None);
        let (trimmed, trimmed_sql) = run(Some(1));
        assert_eq!(trimmed.accounts, full.accounts);
        assert!(full.niches.iter().any(|n| n.gates[0].count > 0));
        for (a, b) in full.niches.iter().zip(&trimmed.niches) {
            assert_eq!(a.niche, b.niche);
            assert_eq!(a.accounts, b.accounts);
            let counts = |n: &NichePlan| n.gates.iter().map(|g| g.count).collect::<Vec<_>>();
            assert_eq!(counts(a), counts(b), "{:?}", a.niche);
        }
        assert_eq!(trimmed.any_failure, full.any_failure);
        assert_eq!(trimmed.niche_failure, full.niche_failure);
        // The same accounts are written, with fewer records: one per campaign.
        let accounts_of = |sql: &str| {
            sql.split(";\n")
                .filter(|st| st.contains("INSERT INTO accounts "))
                .map(|st| st.matches("\n('").count())
                .sum::<usize>()
        };
        assert!(accounts_of(&full_sql) > 0);
        assert_eq!(accounts_of(&trimmed_sql), accounts_of(&full_sql));
        let written = |sql: &str| sql.matches("'{\"record_id\":").count();
        assert!(written(&trimmed_sql) * 3 < written(&full_sql));
        assert!(trimmed.records < full.records);
        assert!(trimmed_sql.contains("--records-per-campaign 1"));
        // One record per campaign: no campaign id is written twice.
        let campaigns: Vec<&str> = trimmed_sql
            .match_indices("\"campaign_id\":\"")
            .map(|(i, m)| {
                let rest = &trimmed_sql[i + m.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect();
        let distinct: std::collections::BTreeSet<_> = campaigns.iter().collect();
        assert_eq!(distinct.len(), campaigns.len(), "a campaign written twice");
        assert_eq!(campaigns.len(), written(&trimmed_sql));
        let zero = DemoOptions {
            seed: 11,
            accounts: 30,
            only_contributors: true,
            api_accounts: 0,
            records_per_campaign: Some(0),
        };
        let err = build(zero, &production(), &SuffStatConfig::default(), None, "x").unwrap_err();
        assert!(err.contains("records-per-campaign"), "{err}");
    }
}
