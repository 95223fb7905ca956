//! `crosslearn push`: upload accepted records to a Worker account
//! (`POST /api/accounts/{id}/records`, docs/worker.md), in batches, with retries, resumable.
//!
//! - **Batches** are planned once from the input: at most `--batch-size` records (the Worker's
//!   cap is 500) and at most [`MAX_BODY`] bytes of JSON (the Worker refuses bodies over 1 MiB
//!   with 413). The plan depends only on the input and the batch size, so a resumed push sends
//!   the same batches.
//! - **Retries**: 429 waits `Retry-After` seconds (capped by `--max-wait`), 5xx and transport
//!   errors wait an exponential backoff; any other status (401 wrong token, 403, 404, 413, 422)
//!   stops at once with the Worker's error. Re-sending a batch is harmless: ingest is
//!   idempotent by (account, record id), so a batch whose answer was lost comes back as
//!   `already_stored`.
//! - **Resume**: after each confirmed batch, a state file beside the input
//!   (`FILE.push-state.json`, written atomically by rename) records which batches are done and
//!   the running totals. A new push with the same input bytes, URL, account and batch size skips
//!   them; any other state file is refused (or replaced with `--restart`). The state file is
//!   removed when every batch is confirmed.
//! - Records go without `account_id`: they belong to the account in the URL path.

use crate::http::{error_line, Answer, Client};
use crate::input::{load_nonempty, rejection_lines};
use clap::Args;
use crosslearn::record::RecordInput;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Largest request body planned (the Worker's cap is 1 MiB = 1,048,576 bytes; the envelope and
/// separators fit in the margin).
pub const MAX_BODY: usize = 1_000_000;
/// The Worker's batch cap.
pub const MAX_BATCH: usize = 500;

/// `crosslearn push` arguments.
#[derive(Args, Debug)]
pub struct PushArgs {
    /// The export (CSV) or records JSON file.
    pub file: PathBuf,
    /// The Worker's base URL (`http://127.0.0.1:8787`).
    #[arg(long)]
    pub url: String,
    /// The account the records belong to (the `{id}` of the route).
    #[arg(long)]
    pub account: String,
    /// A file holding the account's bearer token (or the operator token).
    #[arg(long)]
    pub token_file: PathBuf,
    /// Records per request (1-500).
    #[arg(long, default_value_t = MAX_BATCH, value_parser = batch_size)]
    pub batch_size: usize,
    /// Attempts per batch before giving up (the state file keeps what was confirmed).
    #[arg(long, default_value_t = 6)]
    pub retries: u32,
    /// Longest wait honoured for one `Retry-After` (seconds).
    #[arg(long, default_value_t = 120)]
    pub max_wait: u64,
    /// First backoff after a 5xx or a transport error (milliseconds; doubles each attempt).
    #[arg(long, default_value_t = 500)]
    pub backoff_ms: u64,
    /// Per-request timeout (seconds).
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// The resume state file (default: FILE.push-state.json beside the input).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Ignore (and replace) an existing state file of another push.
    #[arg(long)]
    pub restart: bool,
    /// Declare this niche on records that declare none (`auto`: the account niche detected
    /// from the records' copy, as `crosslearn niche --file`). The Worker's publication groups
    /// accounts by declared niche, so records without one never reach niche wisdom.
    #[arg(long, value_name = "NICHE|auto")]
    pub niche: Option<String>,
}

fn batch_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_BATCH).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from 1 to {MAX_BATCH}")),
    }
}

/// The resume state, written after every confirmed batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushState {
    /// Format version of this file.
    pub version: u32,
    /// FNV-1a 64 of the input bytes, hex.
    pub input_digest: String,
    /// The base URL.
    pub url: String,
    /// The account.
    pub account: String,
    /// Records per request.
    pub batch_size: usize,
    /// Planned batches.
    pub batches: usize,
    /// Confirmed batch indices, ascending.
    pub confirmed: Vec<usize>,
    /// Running totals over confirmed batches.
    pub totals: Totals,
    /// Up to [`KEEP_REJECTIONS`] server rejections, one line each.
    pub rejections: Vec<String>,
}

/// Server-side counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Records sent in confirmed batches.
    pub received: usize,
    /// Newly stored.
    pub stored: usize,
    /// Already stored (an idempotent re-send).
    pub already_stored: usize,
    /// Rejected by the Worker.
    pub rejected: usize,
}

const KEEP_REJECTIONS: usize = 100;

/// The part of the Worker's ingest answer read here.
#[derive(Debug, Deserialize)]
struct IngestAnswer {
    received: usize,
    stored: usize,
    already_stored: usize,
    rejected: usize,
    #[serde(default)]
    results: Vec<IngestResult>,
}

#[derive(Debug, Deserialize)]
struct IngestResult {
    record_id: Option<String>,
    status: String,
    #[serde(default)]
    issues: Vec<crosslearn::record::RecordIssue>,
}

/// Plan batches: consecutive records, at most `size` each and at most [`MAX_BODY`] bytes of
/// JSON. Returns the batches as ranges and the records too large to send alone (index, bytes).
pub fn plan(
    encoded: &[Vec<u8>],
    size: usize,
) -> (Vec<std::ops::Range<usize>>, Vec<(usize, usize)>) {
    let mut batches = Vec::new();
    let mut too_large = Vec::new();
    let mut start = None::<usize>;
    let mut bytes = 0usize;
    for (i, e) in encoded.iter().enumerate() {
        if e.len() + 32 > MAX_BODY {
            if let Some(s) = start.take() {
                batches.push(s..i);
            }
            too_large.push((i, e.len()));
            bytes = 0;
            continue;
        }
        if let Some(s) = start {
            if i - s >= size || bytes + e.len() + 1 > MAX_BODY {
                batches.push(s..i);
                start = None;
            }
        }
        if start.is_none() {
            start = Some(i);
            bytes = 16;
        }
        bytes += e.len() + 1;
    }
    if let Some(s) = start {
        batches.push(s..encoded.len());
    }
    (batches, too_large)
}

fn body_of(encoded: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::with_capacity(encoded.iter().map(|e| e.len() + 1).sum::<usize>() + 16);
    body.extend_from_slice(b"{\"records\":[");
    for (i, e) in encoded.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(e);
    }
    body.extend_from_slice(b"]}");
    body
}

fn default_state_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".push-state.json");
    file.with_file_name(name)
}

fn read_state(path: &Path) -> Result<Option<PushState>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            format!(
                "{}: not a push state file ({e}); delete it or pass --restart",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: cannot read: {e}", path.display())),
    }
}

fn write_state(path: &Path, state: &PushState) -> Result<(), String> {
    let tmp = path.with_extension("json.tmp");
    let json = serde_json::to_vec_pretty(state).map_err(|e| format!("push state: {e}"))?;
    std::fs::write(&tmp, json).map_err(|e| format!("{}: cannot write: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

fn records_url(base: &str, account: &str) -> Result<String, String> {
    if account.is_empty()
        || account.len() > 64
        || !account
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "--account: {account:?} is not an account id (1-64 characters of A-Z a-z 0-9 _ -)"
        ));
    }
    Ok(format!(
        "{}/api/accounts/{account}/records",
        base.trim_end_matches('/')
    ))
}

pub(crate) fn read_token(path: &Path) -> Result<String, String> {
    let t = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the token: {e}", path.display()))?;
    let t = t.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return Err(format!(
            "{}: the token file must hold one token on one line",
            path.display()
        ));
    }
    Ok(t.to_string())
}

/// Send one batch until it is confirmed, retrying what can be retried.
fn send_batch(
    client: &Client,
    url: &str,
    token: &str,
    body: &[u8],
    args: &PushArgs,
    bar: &ProgressBar,
    label: &str,
) -> Result<IngestAnswer, String> {
    let mut last = String::new();
    for attempt in 0..args.retries.max(1) {
        let backoff = Duration::from_millis(
            args.backoff_ms
                .saturating_mul(1u64 << attempt.min(16))
                .min(30_000),
        );
        let wait = match client.post_json(url, token, body) {
            Ok(a) if a.status == 200 => {
                return serde_json::from_str(&a.body)
                    .map_err(|e| format!("{label}: unexpected answer from {url}: {e}"));
            }
            Ok(a) if a.status == 429 => {
                last = error_line(&a);
                match a.retry_after {
                    Some(s) if s > args.max_wait => {
                        return Err(format!(
                            "{label}: {last}; Retry-After {s} s exceeds --max-wait {}",
                            args.max_wait
                        ))
                    }
                    Some(s) => Duration::from_secs(s),
                    None => backoff,
                }
            }
            Ok(a) if matches!(a.status, 500 | 502 | 503 | 504) => {
                last = error_line(&a);
                backoff
            }
            Ok(a) => return Err(format!("{label}: {}", fatal_status(&a))),
            Err(f) if f.fatal => return Err(f.message),
            Err(f) => {
                last = f.message;
                backoff
            }
        };
        if attempt + 1 < args.retries.max(1) {
            bar.set_message(format!("retry in {:.1} s: {last}", wait.as_secs_f64()));
            std::thread::sleep(wait);
            bar.set_message("");
        }
    }
    Err(format!(
        "{label}: gave up after {} attempts: {last}",
        args.retries.max(1)
    ))
}

/// The niche `--niche` names, or the account niche detected over the records' copy for `auto`.
fn resolve_niche(
    arg: &str,
    records: &[crosslearn::record::CreativeRecord],
) -> Result<crosslearn::niche::Niche, String> {
    use crosslearn::niche::{account_niche, Niche};
    if arg != "auto" {
        let n: Niche = arg.parse().map_err(|e| format!("--niche: {e}"))?;
        if n == Niche::Unknown {
            return Err("--niche: name a niche (or auto), not unknown".into());
        }
        return Ok(n);
    }
    let texts: Vec<String> = records.iter().map(crate::input::ad_text).collect();
    let a = account_niche(&crate::models::niche_model()?, None, &texts);
    if a.niche == Niche::Unknown {
        return Err(format!(
            "--niche auto: no niche detected over {} ads with text (confidence {:.2}); name one with --niche NICHE",
            a.texts_used, a.confidence
        ));
    }
    eprintln!(
        "niche {} (detected, confidence {:.2} over {} ads) declared on records without one",
        a.niche.as_str(),
        a.confidence,
        a.texts_used
    );
    Ok(a.niche)
}

fn fatal_status(a: &Answer) -> String {
    let hint = match a.status {
        401 => " (is the token right?)",
        403 => " (the token belongs to another account)",
        404 => " (no such account, or not a crosslearn Worker)",
        _ => "",
    };
    format!("{}{hint}", error_line(a))
}

/// Run `crosslearn push`.
pub fn run(args: &PushArgs) -> Result<(), String> {
    let url = records_url(&args.url, &args.account)?;
    let token = read_token(&args.token_file)?;
    let loaded = load_nonempty(&args.file)?;
    for r in &loaded.rejected {
        for line in rejection_lines(&loaded.path, r).into_iter().take(1) {
            eprintln!("skipped: {line}");
        }
    }
    let declared = match args.niche.as_deref() {
        None => None,
        Some(n) => Some(resolve_niche(n, &loaded.accepted)?),
    };
    let mut encoded = Vec::with_capacity(loaded.accepted.len());
    for r in &loaded.accepted {
        let mut input = RecordInput::from(r);
        if let (None, Some(n)) = (&input.niche, declared) {
            input.niche = Some(n.as_str().to_string());
        }
        input.account_id = None;
        // Absent fields are left out rather than sent as null: smaller bodies, same meaning.
        let v = crate::commands::record_json(&input)?;
        encoded.push(serde_json::to_vec(&v).map_err(|e| format!("{}: {e}", r.record_id))?);
    }
    let (batches, too_large) = plan(&encoded, args.batch_size);
    for &(i, bytes) in &too_large {
        eprintln!(
            "skipped: {}: record {:?}: {bytes} bytes of JSON exceeds the Worker's 1 MiB body cap",
            loaded.path, loaded.accepted[i].record_id
        );
    }
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| default_state_path(&args.file));
    let fresh = PushState {
        version: 1,
        input_digest: format!("{:016x}", loaded.digest),
        url: args.url.trim_end_matches('/').to_string(),
        account: args.account.clone(),
        batch_size: args.batch_size,
        batches: batches.len(),
        confirmed: Vec::new(),
        totals: Totals::default(),
        rejections: Vec::new(),
    };
    let mut state = match read_state(&state_path)? {
        Some(_) if args.restart => {
            eprintln!("{}: replaced (--restart)", state_path.display());
            fresh
        }
        Some(s) => {
            let same = PushState {
                confirmed: Vec::new(),
                totals: Totals::default(),
                rejections: Vec::new(),
                ..s.clone()
            } == fresh;
            if !same {
                return Err(format!(
                    "{}: a push state of another input, URL, account or batch size; delete it or pass --restart",
                    state_path.display()
                ));
            }
            eprintln!(
                "resuming: {} of {} batches already confirmed ({})",
                s.confirmed.len(),
                s.batches,
                state_path.display()
            );
            s
        }
        None => fresh,
    };
    let done_records: usize = state
        .confirmed
        .iter()
        .filter_map(|&b| batches.get(b))
        .map(|r| r.len())
        .sum();
    let resumed = state.confirmed.len();
    let total_records: usize = batches.iter().map(|r| r.len()).sum();
    let bar =
        ProgressBar::with_draw_target(Some(total_records as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {pos}/{len} records  {per_sec}  eta {eta}  {wide_msg}",
        )
        .map_err(|e| format!("progress bar: {e}"))?,
    );
    bar.set_position(done_records as u64);
    let client = Client::new(Duration::from_secs(args.timeout.max(1)));
    let started = Instant::now();
    let mut sent_now = 0usize;
    for (b, range) in batches.iter().enumerate() {
        if state.confirmed.binary_search(&b).is_ok() {
            continue;
        }
        let label = format!(
            "batch {}/{} (records {}-{})",
            b + 1,
            batches.len(),
            range.start + 1,
            range.end
        );
        let body = body_of(&encoded[range.clone()]);
        let answer =
            send_batch(&client, &url, &token, &body, args, &bar, &label).inspect_err(|_| {
                bar.abandon();
            })?;
        if answer.received != range.len() {
            bar.abandon();
            return Err(format!(
                "{label}: the Worker received {} records, {} were sent",
                answer.received,
                range.len()
            ));
        }
        state.totals.received += answer.received;
        state.totals.stored += answer.stored;
        state.totals.already_stored += answer.already_stored;
        state.totals.rejected += answer.rejected;
        for r in answer.results.iter().filter(|r| r.status == "rejected") {
            if state.rejections.len() >= KEEP_REJECTIONS {
                break;
            }
            let why: Vec<String> = r
                .issues
                .iter()
                .map(|i| format!("{}: {}", i.field, i.message))
                .collect();
            state.rejections.push(format!(
                "record {:?}: {}",
                r.record_id.as_deref().unwrap_or(""),
                why.join("; ")
            ));
        }
        let at = state.confirmed.partition_point(|&c| c < b);
        state.confirmed.insert(at, b);
        write_state(&state_path, &state)?;
        sent_now += range.len();
        bar.inc(range.len() as u64);
    }
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let t = state.totals;
    crate::outln!(
        "{}: {} rows, {} accepted locally, {} rejected locally",
        loaded.path,
        loaded.rows,
        loaded.accepted.len(),
        loaded.rejected.len() + too_large.len()
    )?;
    let resumed_note = if resumed > 0 {
        format!(
            " ({resumed} confirmed earlier, resumed from {})",
            state_path.display()
        )
    } else {
        String::new()
    };
    crate::outln!(
        "pushed to {url}: {} batch{}{resumed_note}, {} records received: {} stored, {} already stored, {} rejected",
        batches.len(),
        if batches.len() == 1 { "" } else { "es" },
        t.received,
        t.stored,
        t.already_stored,
        t.rejected
    )?;
    for line in &state.rejections {
        crate::outln!("  rejected by the Worker: {line}")?;
    }
    if secs > 0.0 && sent_now > 0 {
        crate::outln!(
            "throughput: {sent_now} records in {secs:.1} s = {:.0} records/s",
            sent_now as f64 / secs
        )?;
    }
    match std::fs::remove_file(&state_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("{}: cannot remove: {e}", state_path.display()))
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(v: &[usize]) -> Vec<Vec<u8>> {
        v.iter().map(|&n| vec![b'x'; n]).collect()
    }

    #[test]
    fn plans_by_count_then_by_bytes() {
        let (b, big) = plan(&sizes(&[10; 7]), 3);
        assert_eq!(b, vec![0..3, 3..6, 6..7]);
        assert!(big.is_empty());
        let (b, big) = plan(&sizes(&[400_000, 400_000, 400_000, 10]), 500);
        assert_eq!(b, vec![0..2, 2..4]);
        assert!(big.is_empty());
        let (b, big) = plan(&sizes(&[10, MAX_BODY, 10]), 500);
        assert_eq!(b, vec![0..1, 2..3]);
        assert_eq!(big, vec![(1, MAX_BODY)]);
        for (r, e) in b.iter().zip([1usize, 1]) {
            assert!(body_of(&sizes(&vec![10; r.len()])).len() <= MAX_BODY && r.len() == e);
        }
    }

    #[test]
    fn account_ids_are_checked_before_any_request() {
        assert!(
            records_url("http://h/", "acc_1-x").unwrap() == "http://h/api/accounts/acc_1-x/records"
        );
        assert!(records_url("http://h", "a/b").is_err());
        assert!(records_url("http://h", "").is_err());
    }
}
