//! `crosslearn push` against a tiny in-process HTTP server (tests/common): a **unit test of the
//! client logic** (batching, bearer token, 429 + Retry-After, retries, resume after a failure and
//! after a kill, idempotent re-send, one-line errors), not of the Worker. The Worker's side of
//! ingest (idempotency by record id, the 500-record cap) is tested in worker/ and tests/e2e.

mod common;

use common::*;
use crosslearn::import::import_csv;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "clt_test_token";
const ACCOUNT: &str = "acc_cli";

/// Record ids of the accepted rows of a real export, as the core imports them.
fn export_ids(path: &str) -> Vec<String> {
    let r = import_csv(&std::fs::read(path).unwrap()).unwrap();
    r.accepted.into_iter().map(|r| r.record_id).collect()
}

fn ids_of(body: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(
                r.get("account_id").is_none(),
                "records go without account_id"
            );
            r["record_id"].as_str().unwrap().to_string()
        })
        .collect()
}

/// An idempotent ingest like the Worker's: stores unseen ids, reports seen ones as
/// already stored; the `gate` decides per request whether to answer normally.
struct Ingest {
    stored: Mutex<HashSet<String>>,
    /// Record ids of every request answered 200, in order (duplicates kept).
    answered: Mutex<Vec<String>>,
}

impl Ingest {
    fn new() -> Arc<Self> {
        Arc::new(Ingest {
            stored: Mutex::new(HashSet::new()),
            answered: Mutex::new(Vec::new()),
        })
    }

    fn reply(&self, s: &Seen) -> Reply {
        if s.authorization.as_deref() != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(
                401,
                r#"{"error":{"code":"unauthorized","message":"missing or unknown token","field":null}}"#.into(),
            );
        }
        assert_eq!(s.method, "POST");
        assert_eq!(s.path, format!("/api/accounts/{ACCOUNT}/records"));
        let ids = ids_of(&s.body);
        assert!(ids.len() <= 500);
        let mut stored = self.stored.lock().unwrap();
        let mut results = Vec::new();
        let (mut new, mut old) = (0, 0);
        for (i, id) in ids.iter().enumerate() {
            let status = if stored.insert(id.clone()) {
                new += 1;
                "stored"
            } else {
                old += 1;
                "already_stored"
            };
            results.push(
                serde_json::json!({"index": i, "record_id": id, "status": status, "issues": []}),
            );
        }
        self.answered.lock().unwrap().extend(ids.iter().cloned());
        Reply::json(
            200,
            serde_json::json!({"account_id": ACCOUNT, "received": ids.len(), "stored": new,
                "already_stored": old, "rejected": 0, "results": results})
            .to_string(),
        )
    }
}

fn token_file(dir: &std::path::Path) -> String {
    let p = dir.join("token");
    std::fs::write(&p, format!("{TOKEN}\n")).unwrap();
    p.display().to_string()
}

/// A copy of a real export in `dir` (the state file goes beside the input).
fn input_copy(dir: &std::path::Path, name: &str) -> String {
    let p = dir.join(name);
    std::fs::copy(data(name), &p).unwrap();
    p.display().to_string()
}

fn push_args<'a>(input: &'a str, url: &'a str, token: &'a str, batch: &'a str) -> Vec<&'a str> {
    vec![
        "push",
        input,
        "--url",
        url,
        "--account",
        ACCOUNT,
        "--token-file",
        token,
        "--batch-size",
        batch,
        "--backoff-ms",
        "10",
    ]
}

#[test]
fn pushes_every_record_once_in_batches_and_honours_429_retry_after() {
    let dir = tempdir("push-429");
    let input = input_copy(&dir, "KAG_conversion_data.csv");
    let token = token_file(&dir);
    let ingest = Ingest::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let (i2, c2) = (ingest.clone(), calls.clone());
    let server = serve(move |s| {
        // The second request is rate limited once.
        if c2.fetch_add(1, Ordering::SeqCst) == 1 {
            let mut r = Reply::json(
                429,
                r#"{"error":{"code":"rate_limited","message":"retry after 1 s","field":null}}"#
                    .into(),
            );
            r.headers.push(("Retry-After".into(), "1".into()));
            return r;
        }
        i2.reply(s)
    });
    let o = bin()
        .args(push_args(&input, &server.url, &token, "200"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let ids = export_ids(&input);
    let answered = ingest.answered.lock().unwrap().clone();
    assert_eq!(answered, ids, "every record once, in file order");
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), ids.len().div_ceil(200) + 1, "one retry");
    // The retry came after Retry-After (1 s), not at once.
    assert!(seen[2].at.duration_since(seen[1].at) >= Duration::from_millis(950));
    assert_eq!(
        ids_of(&seen[1].body),
        ids_of(&seen[2].body),
        "the same batch again"
    );
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "{} records received: {} stored, 0 already stored, 0 rejected",
            ids.len(),
            ids.len()
        )),
        "{out}"
    );
    assert!(!dir.join("KAG_conversion_data.csv.push-state.json").exists());
}

#[test]
fn resumes_after_a_failure_without_resending_confirmed_batches() {
    let dir = tempdir("push-resume");
    let input = input_copy(&dir, "src_ads_tiktok_ads_all_data.csv");
    let token = token_file(&dir);
    let ingest = Ingest::new();
    let up = Arc::new(AtomicUsize::new(10)); // answer 10 batches, then fail with 503
    let (i2, u2) = (ingest.clone(), up.clone());
    let server = serve(move |s| {
        if u2.load(Ordering::SeqCst) == 0 {
            return Reply::json(
                503,
                r#"{"error":{"code":"unavailable","message":"down","field":null}}"#.into(),
            );
        }
        u2.fetch_sub(1, Ordering::SeqCst);
        i2.reply(s)
    });
    let mut args = push_args(&input, &server.url, &token, "100");
    args.extend(["--retries", "3"]);
    let o = bin().args(&args).output().unwrap();
    assert_one_line_error(
        &o,
        "batch 11/24 (records 1001-1100): gave up after 3 attempts: HTTP 503 unavailable",
    );
    let state_path = dir.join("src_ads_tiktok_ads_all_data.csv.push-state.json");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    assert_eq!(
        state["confirmed"],
        serde_json::json!((0..10).collect::<Vec<_>>())
    );
    assert_eq!(state["totals"]["stored"], 1000);

    up.store(usize::MAX, Ordering::SeqCst);
    let o = bin().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("resuming: 10 of 24 batches already confirmed"),
        "{}",
        stderr(&o)
    );
    let ids = export_ids(&input);
    assert_eq!(
        *ingest.answered.lock().unwrap(),
        ids,
        "each record answered exactly once"
    );
    assert!(
        stdout(&o).contains("24 batches (10 confirmed earlier, resumed from"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains(&format!("{} stored, 0 already stored", ids.len())),
        "{}",
        stdout(&o)
    );
    assert!(!state_path.exists(), "state removed when done");
}

#[test]
fn resumes_after_being_killed_half_way_with_no_loss_and_no_duplicate() {
    let dir = tempdir("push-kill");
    let input = input_copy(&dir, "src_ads_creative_facebook_all_data.csv");
    let token = token_file(&dir);
    let ingest = Ingest::new();
    let i2 = ingest.clone();
    // A slow server, so the kill lands mid-push.
    let server = serve(move |s| {
        std::thread::sleep(Duration::from_millis(60));
        i2.reply(s)
    });
    let args = push_args(&input, &server.url, &token, "50");
    let state_path = dir.join("src_ads_creative_facebook_all_data.csv.push-state.json");
    let mut child = bin()
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let confirmed = std::fs::read(&state_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v["confirmed"].as_array().map(|a| a.len()))
            .unwrap_or(0);
        if confirmed >= 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "push made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let before = ingest.answered.lock().unwrap().len();
    let ids = export_ids(&input);
    assert!(before < ids.len(), "killed before the end");

    let o = bin().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let answered = ingest.answered.lock().unwrap().clone();
    let stored = ingest.stored.lock().unwrap().clone();
    assert_eq!(
        stored,
        ids.iter().cloned().collect::<HashSet<_>>(),
        "no loss"
    );
    // At most the batch in flight at the kill is sent twice (and comes back already stored).
    let mut times: HashMap<&str, usize> = HashMap::new();
    for id in &answered {
        *times.entry(id).or_default() += 1;
    }
    let twice = times.values().filter(|&&n| n > 1).count();
    assert!(twice <= 50, "{twice} records re-sent");
    assert!(times.values().all(|&n| n <= 2));
    let out = stdout(&o);
    assert!(out.contains(&format!("{} already stored", twice)), "{out}");
}

#[test]
fn a_wrong_token_is_a_one_line_error_without_retries() {
    let dir = tempdir("push-401");
    let input = input_copy(&dir, "KAG_conversion_data.csv");
    let bad = dir.join("bad-token");
    std::fs::write(&bad, "clt_wrong").unwrap();
    let ingest = Ingest::new();
    let server = serve(move |s| ingest.reply(s));
    let o = bin()
        .args(push_args(&input, &server.url, bad.to_str().unwrap(), "500"))
        .output()
        .unwrap();
    assert_one_line_error(
        &o,
        "HTTP 401 unauthorized: missing or unknown token (is the token right?)",
    );
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[test]
fn bad_arguments_and_unreachable_urls_are_one_line_errors() {
    let dir = tempdir("push-bad");
    let input = input_copy(&dir, "KAG_conversion_data.csv");
    let token = token_file(&dir);
    // Nothing listens on a port that was just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut args = push_args(&input, &url, &token, "500");
    args.extend(["--retries", "2"]);
    assert_one_line_error(
        &bin().args(&args).output().unwrap(),
        "gave up after 2 attempts",
    );
    assert_one_line_error(
        &bin()
            .args(push_args(&input, "ftp://x", &token, "500"))
            .output()
            .unwrap(),
        "not an http:// or https:// URL",
    );
    let missing = dir.join("no-token");
    assert_one_line_error(
        &bin()
            .args(push_args(&input, &url, missing.to_str().unwrap(), "500"))
            .output()
            .unwrap(),
        "cannot read the token",
    );
    let mut a = push_args(&input, &url, &token, "500");
    a[5] = "a/b";
    assert_one_line_error(&bin().args(&a).output().unwrap(), "--account");
    let o = bin()
        .args(push_args(&input, &url, &token, "501"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(stderr(&o).contains("from 1 to 500"));
}

#[test]
fn niche_auto_declares_the_detected_account_niche_on_records_without_one() {
    use crosslearn::niche::{account_niche, NicheModel};
    let dir = tempdir("push-niche");
    let input = dir.join("fb.csv");
    std::fs::copy(sample("src_ads_creative_facebook_all_data.csv"), &input).unwrap();
    let input = input.to_str().unwrap().to_string();
    let token = token_file(&dir);
    let ingest = Ingest::new();
    let i2 = ingest.clone();
    let server = serve(move |s| i2.reply(s));
    let mut args = push_args(&input, &server.url, &token, "500");
    args.extend(["--niche", "auto"]);
    let o = bin().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let core = import_csv(&std::fs::read(&input).unwrap()).unwrap();
    let model = NicheModel::from_bytes(include_bytes!("../../models/niche-v2.bin")).unwrap();
    let texts: Vec<String> = core
        .accepted
        .iter()
        .map(
            |r| match (r.headline.trim().is_empty(), r.body.trim().is_empty()) {
                (false, false) => format!("{}\n{}", r.headline.trim(), r.body.trim()),
                (false, true) => r.headline.trim().to_string(),
                (true, _) => r.body.trim().to_string(),
            },
        )
        .collect();
    let want = account_niche(&model, None, &texts).niche;
    let seen = server.seen.lock().unwrap().clone();
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), core.accepted.len());
    assert!(
        records.iter().all(|r| r["niche"] == want.as_str()),
        "{want:?}"
    );
    assert!(stderr(&o).contains(&format!("niche {} (detected", want.as_str())));

    // A declared niche is kept; a named one fills the rest; a bad name is a one-line error.
    let csv = dir.join("declared.csv");
    std::fs::write(
        &csv,
        "record_id,account_id,platform,impressions,clicks,spend,niche\nx,a,meta,100,2,3,food\ny,a,meta,100,2,3,\n",
    )
    .unwrap();
    let c = csv.to_str().unwrap();
    let mut args = push_args(c, &server.url, &token, "500");
    args.extend(["--niche", "travel"]);
    assert!(bin().args(&args).output().unwrap().status.success());
    let seen = server.seen.lock().unwrap().clone();
    let body: serde_json::Value = serde_json::from_slice(&seen.last().unwrap().body).unwrap();
    assert_eq!(body["records"][0]["niche"], "food");
    assert_eq!(body["records"][1]["niche"], "travel");
    let mut args = push_args(c, &server.url, &token, "500");
    args.extend(["--niche", "astrology"]);
    assert_one_line_error(&bin().args(&args).output().unwrap(), "--niche:");
}
