//! Shared helpers of the CLI tests: run the built binary, find the real exports, and a tiny
//! in-process HTTP/1.1 server (std::net) that stands in for the Worker in tests of the client
//! logic.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

/// The `crosslearn` binary built for this test run.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_crosslearn"))
}

/// Run the binary with `args`.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A file of the real public data (`../shared/data`, beside the repository).
pub fn data(name: &str) -> String {
    let p = format!("{}/../../shared/data/{name}", env!("CARGO_MANIFEST_DIR"));
    assert!(Path::new(&p).exists(), "missing {p}");
    p
}

/// Records in a [`sample`]: the slower commands (niche, insights, score) run on a prefix of the
/// export so the debug-build test run stays short; import, MCDM and push use the full files.
pub const SAMPLE_RECORDS: u64 = 400;

/// A byte-identical prefix of the real export `name` in `../shared/data` (its header and first
/// [`SAMPLE_RECORDS`] records, cut at a record boundary), written to the test's temp folder: the
/// exports' licence does not allow copies in the repository.
pub fn sample(name: &str) -> String {
    let bytes = std::fs::read(data(name)).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while n < SAMPLE_RECORDS && reader.read_byte_record(&mut record).unwrap() {
        n += 1;
    }
    assert_eq!(
        n, SAMPLE_RECORDS,
        "{name} has fewer records than the sample"
    );
    let end = reader.position().byte() as usize;
    let dir = std::env::temp_dir().join(format!("crosslearn-cli-samples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &bytes[..end]).unwrap();
    path.to_str().unwrap().to_string()
}
/// A fresh temporary directory for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("crosslearn-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A failed run: exit code 1, exactly one line on stderr naming `needle`, and no panic.
pub fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("crosslearn: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} does not contain {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// One request the fake server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Vec<u8>,
    pub at: std::time::Instant,
}

/// An answer: status, extra headers, body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: String) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body,
        }
    }
}

/// A server on 127.0.0.1 answering every request with `handler` on its own thread. It stops
/// when the test process ends.
pub struct FakeServer {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

pub fn serve<H>(handler: H) -> FakeServer
where
    H: Fn(&Seen) -> Reply + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &log, &*handler);
            });
        }
    });
    FakeServer { url, seen }
}

fn handle(
    stream: TcpStream,
    log: &Mutex<Vec<Seen>>,
    handler: &dyn Fn(&Seen) -> Reply,
) -> std::io::Result<()> {
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut len = 0usize;
    let mut authorization = None;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    let seen = Seen {
        method,
        path,
        authorization,
        body,
        at: std::time::Instant::now(),
    };
    let reply = handler(&seen);
    log.lock().unwrap().push(seen);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(reply.body.as_bytes())?;
    out.flush()
}
