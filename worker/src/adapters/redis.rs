//! A minimal RESP2 client for a Redis-compatible server, over the Workers TCP socket API
//! (`worker::Socket`). The only code that talks to Redis.
//!
//! - Configuration from vars/secrets ([`RedisConfig::from_vars`]): `REDIS_HOST` (unset = no Redis,
//!   D1-only mode), `REDIS_PORT` (default 6379), `REDIS_USERNAME` (optional, ACL user),
//!   `REDIS_PASSWORD` (a secret; sent with `AUTH`), `REDIS_TLS` (`on` / `off`, default `off`:
//!   the socket's `secureTransport`), `REDIS_TIMEOUT_MS` (default 500, 10-30000).
//! - Every step has a deadline: opening the socket (TCP and, with TLS, the handshake), `AUTH`, and
//!   each command or pipeline. A slow, stopped or absent server therefore costs at most the
//!   timeout, and the error says which step ran out of time.
//! - One connection per request (sockets cannot outlive a request in Workers). Replies are parsed
//!   by [`parse`], a pure function tested natively; the socket code runs only inside workerd.

use crate::ports::{
    niches, AggregateStore, Aggregates, AggregatesLink, Apply, LinkMode, RedisError, StoreState,
};
use crosslearn::niche::Niche;
use crosslearn::privacy::aggregate::Aggregate;
use crosslearn::wisdom::{empty_aggregate, Layout, ReleaseConfig, WISDOM_VERSION};
use futures_util::future::{select, Either};
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use worker::{Delay, SecureTransport, Socket};

/// Default `REDIS_PORT`.
pub const DEFAULT_PORT: u16 = 6379;
/// Default `REDIS_TIMEOUT_MS`.
pub const DEFAULT_TIMEOUT_MS: u64 = 500;
/// Largest reply accepted (a bulk string or the whole buffered reply), bytes.
pub const MAX_REPLY_BYTES: usize = 64 * 1024 * 1024;

/// How to reach the Redis-compatible server.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// Host name or IP.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// ACL user name for `AUTH user pass` (None: `AUTH pass`).
    pub username: Option<String>,
    /// Password (None: no `AUTH`).
    pub password: Option<String>,
    /// Connect with TLS (`secureTransport: "on"`).
    pub tls: bool,
    /// Deadline of each step (connect, AUTH, each command), milliseconds.
    pub timeout_ms: u64,
}

// The password never appears in logs.
impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("tls", &self.tls)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl RedisConfig {
    /// The configuration from vars (`get(name)` returns a var's or secret's value). `Ok(None)`
    /// when `REDIS_HOST` is unset or empty (D1-only mode); an error names the bad var.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, RedisError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(host) = var("REDIS_HOST") else {
            return Ok(None);
        };
        let bad = |name: &str, why: &str| RedisError::Config(format!("{name}: {why}"));
        let port = match var("REDIS_PORT") {
            None => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => return Err(bad("REDIS_PORT", "expected a port number 1-65535")),
            },
        };
        let tls = match var("REDIS_TLS").as_deref() {
            None | Some("off") | Some("false") | Some("0") => false,
            Some("on") | Some("true") | Some("1") => true,
            Some(_) => return Err(bad("REDIS_TLS", "expected on or off")),
        };
        let timeout_ms = match var("REDIS_TIMEOUT_MS") {
            None => DEFAULT_TIMEOUT_MS,
            Some(t) => match t.parse::<u64>() {
                Ok(t) if (10..=30_000).contains(&t) => t,
                _ => return Err(bad("REDIS_TIMEOUT_MS", "expected milliseconds, 10-30000")),
            },
        };
        Ok(Some(RedisConfig {
            host,
            port,
            username: var("REDIS_USERNAME"),
            password: get("REDIS_PASSWORD").filter(|p| !p.is_empty()),
            tls,
            timeout_ms,
        }))
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...` (kept as a value: inside a pipeline one failed command is not a failed call).
    Error(String),
    /// `:42`.
    Int(i64),
    /// `$n` bytes, or `$-1` (None).
    Bulk(Option<Vec<u8>>),
    /// `*n` replies, or `*-1` (None).
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The reply as an error if it is one.
    pub fn into_result(self) -> Result<Reply, RedisError> {
        match self {
            Reply::Error(e) => Err(RedisError::Server(e)),
            r => Ok(r),
        }
    }

    /// A bulk or simple string as UTF-8 text (None for nil).
    pub fn text(&self) -> Result<Option<String>, RedisError> {
        match self {
            Reply::Bulk(None) => Ok(None),
            Reply::Bulk(Some(b)) => String::from_utf8(b.clone())
                .map(Some)
                .map_err(|_| RedisError::Protocol("non-UTF-8 string".into())),
            Reply::Simple(s) => Ok(Some(s.clone())),
            Reply::Error(e) => Err(RedisError::Server(e.clone())),
            other => Err(RedisError::Protocol(format!(
                "expected a string, got {other:?}"
            ))),
        }
    }

    /// An integer reply.
    pub fn int(&self) -> Result<i64, RedisError> {
        match self {
            Reply::Int(i) => Ok(*i),
            Reply::Error(e) => Err(RedisError::Server(e.clone())),
            other => Err(RedisError::Protocol(format!(
                "expected an integer, got {other:?}"
            ))),
        }
    }

    /// An array reply's items (nil = empty).
    pub fn items(self) -> Result<Vec<Reply>, RedisError> {
        match self {
            Reply::Array(a) => Ok(a.unwrap_or_default()),
            Reply::Error(e) => Err(RedisError::Server(e)),
            other => Err(RedisError::Protocol(format!(
                "expected an array, got {other:?}"
            ))),
        }
    }
}

/// One command in RESP (an array of bulk strings).
pub fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parse one reply from the start of `buf`: `Ok(None)` when more bytes are needed, else the
/// reply and how many bytes it used.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, RedisError> {
    let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[1..line_end])
        .map_err(|_| RedisError::Protocol("non-UTF-8 header line".into()))?;
    let after = line_end + 2;
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| RedisError::Protocol(format!("bad length or integer {s:?}")))
    };
    match kind {
        b'+' => Ok(Some((Reply::Simple(line.to_string()), after))),
        b'-' => Ok(Some((Reply::Error(line.to_string()), after))),
        b':' => Ok(Some((Reply::Int(number(line)?), after))),
        b'$' => {
            let n = number(line)?;
            if n < 0 {
                return Ok(Some((Reply::Bulk(None), after)));
            }
            let n = n as usize;
            if n > MAX_REPLY_BYTES {
                return Err(RedisError::Protocol(format!("bulk string of {n} bytes")));
            }
            if buf.len() < after + n + 2 {
                return Ok(None);
            }
            if &buf[after + n..after + n + 2] != b"\r\n" {
                return Err(RedisError::Protocol("bulk string not ended by CRLF".into()));
            }
            Ok(Some((
                Reply::Bulk(Some(buf[after..after + n].to_vec())),
                after + n + 2,
            )))
        }
        b'*' => {
            let n = number(line)?;
            if n < 0 {
                return Ok(Some((Reply::Array(None), after)));
            }
            let mut items = Vec::with_capacity((n as usize).min(1024));
            let mut at = after;
            for _ in 0..n {
                match parse(&buf[at..])? {
                    None => return Ok(None),
                    Some((r, used)) => {
                        items.push(r);
                        at += used;
                    }
                }
            }
            Ok(Some((Reply::Array(Some(items)), at)))
        }
        other => Err(RedisError::Protocol(format!(
            "unexpected reply type byte {other:#04x} (is this a Redis server, and is REDIS_TLS right?)"
        ))),
    }
}

/// Key prefix: the `{cl}` hash tag keeps every key in one cluster slot (the Lua script touches
/// several), and the layout version keeps vectors of another layout apart.
pub fn prefix() -> String {
    format!("{{cl}}:w{WISDOM_VERSION}:")
}

/// The atomic replace: `KEYS[1]` = the account key, `KEYS[2]` = the meta hash; `ARGV` = seq,
/// niche (empty: none), the comma-separated values, `1` when the account is opted in (else `0`),
/// the niche key prefix. Returns 1 when applied, 0 when the stored seq is as new or newer (a stale
/// update). The account entry is `"<seq>|<opted>|<niche>|<values>"`; an opted-out or erased
/// account keeps `"<seq>|0||"`, a tombstone, so an older update can never re-create it. The meta
/// hash keeps `seqsum` (the sum of every entry's seq) and `opted` (entries opted in): what the
/// Worker compares with D1 before trusting Redis (a restart from an older snapshot loses some of
/// the seq sum). Values travel as decimal strings and are negated as strings, so no integer
/// passes through a Lua double.
pub const APPLY_SCRIPT: &str = r#"
local seq = tonumber(ARGV[1])
local cur = redis.call('GET', KEYS[1])
local function each(csv, agg, negate)
  local i = 0
  for x in string.gmatch(csv, '[^,]+') do
    if x ~= '0' then
      if negate then
        if string.sub(x, 1, 1) == '-' then x = string.sub(x, 2) else x = '-' .. x end
      end
      redis.call('HINCRBY', agg, tostring(i), x)
    end
    i = i + 1
  end
end
local old_seq = 0
local old_opted = 0
if cur then
  local s, o, n, v = string.match(cur, '^(%d+)|([01])|([^|]*)|(.*)$')
  if s == nil then return redis.error_reply('corrupt account entry') end
  if tonumber(s) >= seq then return 0 end
  old_seq = tonumber(s)
  old_opted = tonumber(o)
  if n ~= '' then
    local agg = ARGV[5] .. n
    redis.call('HINCRBY', agg, 'accounts', -1)
    each(v, agg, true)
  end
end
if ARGV[2] ~= '' then
  local agg = ARGV[5] .. ARGV[2]
  redis.call('HINCRBY', agg, 'accounts', 1)
  each(ARGV[3], agg, false)
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[4] .. '|' .. ARGV[2] .. '|' .. ARGV[3])
redis.call('HINCRBY', KEYS[2], 'seqsum', seq - old_seq)
redis.call('HINCRBY', KEYS[2], 'opted', tonumber(ARGV[4]) - old_opted)
return 1
"#;

/// The epoch and the release config fingerprint a ready marker carries
/// (`epoch:<n>:<fingerprint>`); a marker of an older layout (`1`) reads as epoch 0, which no D1
/// epoch equals, so such a store is rebuilt.
pub fn parse_marker(marker: &str) -> Result<(u64, Option<String>), RedisError> {
    let Some(rest) = marker.strip_prefix("epoch:") else {
        return Ok((0, None));
    };
    let (n, config) = match rest.split_once(':') {
        Some((n, c)) => (n, Some(c.to_string())),
        None => (rest, None),
    };
    let epoch = n
        .parse::<u64>()
        .map_err(|_| RedisError::Protocol(format!("ready marker {marker:?}")))?;
    Ok((epoch, config))
}

/// An aggregate from a Redis hash's field/value pairs (`accounts`, `<i>`); absent fields are 0.
pub fn aggregate_from_hash(pairs: &[(String, String)]) -> Result<Aggregate, RedisError> {
    let mut agg = empty_aggregate();
    let fields = Layout::field_count();
    for (k, v) in pairs {
        let value: i64 = v
            .parse()
            .map_err(|_| RedisError::Protocol(format!("aggregate field {k} = {v:?}")))?;
        if k == "accounts" {
            agg.accounts = value;
        } else {
            match k.parse::<usize>() {
                Ok(i) if i < fields => agg.sums[i] = value,
                _ => return Err(RedisError::Protocol(format!("unknown aggregate field {k}"))),
            }
        }
    }
    Ok(agg)
}

/// The values of a contribution as the script's comma-separated list.
pub fn csv(values: &[i64]) -> String {
    let mut s = String::with_capacity(values.len() * 4);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&v.to_string());
    }
    s
}

/// Consecutive failed syncs after which [`Breaker`] opens.
pub const BREAKER_FAILURES: u32 = 3;
/// How long an open [`Breaker`] skips Redis, milliseconds.
pub const BREAKER_COOLDOWN_MS: u64 = 30_000;

/// A circuit breaker for the account changes' syncs: after [`BREAKER_FAILURES`] consecutive
/// failures, Redis is skipped for [`BREAKER_COOLDOWN_MS`] (the change answers at once, queued in
/// the outbox) instead of every change waiting a full timeout for a server that is down. After
/// the cool-down one attempt goes through: a success closes it, a failure opens it again. Pure
/// (time passed in); the Worker keeps one per isolate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Breaker {
    failures: u32,
    open_until_ms: u64,
}

impl Breaker {
    /// `Err(why)` while open at `now_ms`.
    pub fn admit(&self, now_ms: u64) -> Result<(), String> {
        if now_ms < self.open_until_ms {
            Err(format!(
                "redis skipped for {} ms more after {} consecutive failures (circuit breaker)",
                self.open_until_ms - now_ms,
                self.failures
            ))
        } else {
            Ok(())
        }
    }

    /// Record an attempt's outcome at `now_ms`.
    pub fn record(&mut self, ok: bool, now_ms: u64) {
        if ok {
            *self = Breaker::default();
        } else {
            self.failures = self.failures.saturating_add(1);
            if self.failures >= BREAKER_FAILURES {
                self.open_until_ms = now_ms.saturating_add(BREAKER_COOLDOWN_MS);
            }
        }
    }
}

thread_local! {
    /// This isolate's breaker (a Worker isolate runs one thread).
    static BREAKER: std::cell::Cell<Breaker> = std::cell::Cell::new(Breaker::default());
}

fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// The `REDIS_*` configuration as the services' [`AggregatesLink`]: `Ok(None)` is D1-only mode,
/// an error a configuration that cannot be used (changes are still counted in the outbox); with
/// the publication's release config (`RELEASE_CONFIG`), which clips the contributions.
#[derive(Debug, Clone)]
pub struct RedisLink {
    config: Result<Option<RedisConfig>, RedisError>,
    release: Result<ReleaseConfig, String>,
}

impl RedisLink {
    /// The link for a configuration read by [`RedisConfig::from_vars`] and the release config
    /// (or why it is unusable).
    pub fn new(
        config: Result<Option<RedisConfig>, RedisError>,
        release: Result<ReleaseConfig, String>,
    ) -> Self {
        RedisLink { config, release }
    }

    /// The configuration, or why it is unusable.
    pub fn config(&self) -> &Result<Option<RedisConfig>, RedisError> {
        &self.config
    }
}

impl AggregatesLink for RedisLink {
    type Store = RedisAggregates;

    fn mode(&self) -> LinkMode {
        match &self.config {
            Ok(None) => LinkMode::Off,
            Ok(Some(_)) => LinkMode::On,
            Err(e) => LinkMode::Broken(e.to_string()),
        }
    }

    async fn open(&self) -> Result<RedisAggregates, RedisError> {
        match &self.config {
            Ok(Some(config)) => RedisAggregates::connect(config).await,
            Ok(None) => Err(RedisError::Config(
                "REDIS_HOST is not set (D1-only mode)".into(),
            )),
            Err(e) => Err(e.clone()),
        }
    }

    fn release_config(&self) -> Result<ReleaseConfig, String> {
        self.release.clone()
    }

    fn admit(&self) -> Result<(), String> {
        BREAKER.with(|b| b.get().admit(now_ms()))
    }

    fn outcome(&self, ok: bool) {
        BREAKER.with(|b| {
            let mut breaker = b.get();
            breaker.record(ok, now_ms());
            b.set(breaker);
        });
    }
}

pub use conn::{RedisAggregates, RedisConn};

/// The socket side (runs only inside workerd; compiled everywhere so that native builds check it).
mod conn {
    use super::*;

    /// An open, authenticated connection.
    pub struct RedisConn {
        socket: Socket,
        buf: Vec<u8>,
        config: RedisConfig,
    }

    async fn within<T>(
        config: &RedisConfig,
        step: &str,
        fut: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, RedisError> {
        let delay = Delay::from(Duration::from_millis(config.timeout_ms));
        let fut = std::pin::pin!(fut);
        match select(fut, delay).await {
            Either::Left((r, _)) => r,
            Either::Right(_) => Err(RedisError::Timeout {
                step: step.to_string(),
                ms: config.timeout_ms,
                tls: config.tls,
            }),
        }
    }

    impl RedisConn {
        /// Open the socket (TCP, TLS when configured) and `AUTH` when a password is set, each
        /// within the timeout.
        pub async fn connect(config: &RedisConfig) -> Result<RedisConn, RedisError> {
            let transport = if config.tls {
                SecureTransport::On
            } else {
                SecureTransport::Off
            };
            let socket = Socket::builder()
                .secure_transport(transport)
                .connect(config.host.clone(), config.port)
                .map_err(|e| RedisError::Io(e.to_string()))?;
            within(config, "connect", async {
                socket
                    .opened()
                    .await
                    .map(|_| ())
                    .map_err(|e| RedisError::Io(e.to_string()))
            })
            .await?;
            let mut conn = RedisConn {
                socket,
                buf: Vec::new(),
                config: config.clone(),
            };
            if let Some(password) = config.password.clone() {
                let mut args: Vec<&[u8]> = vec![b"AUTH"];
                if let Some(user) = &config.username {
                    args.push(user.as_bytes());
                }
                args.push(password.as_bytes());
                match conn.pipeline_step("AUTH", &[args]).await?.pop() {
                    Some(Reply::Error(e)) => return Err(RedisError::Auth(e)),
                    Some(_) => {}
                    None => return Err(RedisError::Protocol("no AUTH reply".into())),
                }
            }
            Ok(conn)
        }

        /// One command; an error reply is an error.
        pub async fn command(&mut self, args: &[&[u8]]) -> Result<Reply, RedisError> {
            let step = String::from_utf8_lossy(args.first().copied().unwrap_or(b"?")).to_string();
            let reply = self
                .pipeline_step(&step, &[args.to_vec()])
                .await?
                .pop()
                .ok_or_else(|| RedisError::Protocol("no reply".into()))?;
            reply.into_result()
        }

        /// Several commands in one round trip; one reply per command (error replies included).
        pub async fn pipeline(
            &mut self,
            commands: &[Vec<&[u8]>],
        ) -> Result<Vec<Reply>, RedisError> {
            self.pipeline_step("pipeline", commands).await
        }

        async fn pipeline_step(
            &mut self,
            step: &str,
            commands: &[Vec<&[u8]>],
        ) -> Result<Vec<Reply>, RedisError> {
            let mut out = Vec::new();
            for c in commands {
                encode(c, &mut out);
            }
            let config = self.config.clone();
            let n = commands.len();
            within(&config, step, async move {
                self.socket
                    .write_all(&out)
                    .await
                    .map_err(|e| RedisError::Io(e.to_string()))?;
                self.socket
                    .flush()
                    .await
                    .map_err(|e| RedisError::Io(e.to_string()))?;
                let mut replies = Vec::with_capacity(n);
                let mut chunk = vec![0u8; 16 * 1024];
                while replies.len() < n {
                    if let Some((reply, used)) = parse(&self.buf)? {
                        self.buf.drain(..used);
                        replies.push(reply);
                        continue;
                    }
                    if self.buf.len() > MAX_REPLY_BYTES {
                        return Err(RedisError::Protocol("reply too large".into()));
                    }
                    let got = self
                        .socket
                        .read(&mut chunk)
                        .await
                        .map_err(|e| RedisError::Io(e.to_string()))?;
                    if got == 0 {
                        return Err(RedisError::Io("connection closed by the server".into()));
                    }
                    self.buf.extend_from_slice(&chunk[..got]);
                }
                Ok(replies)
            })
            .await
        }

        /// Close the socket (best effort).
        pub async fn close(mut self) {
            let _ = self.socket.close().await;
        }
    }

    /// The Redis side of the aggregate store ([`crate::ports::AggregateStore`]): an open
    /// connection and the script's SHA1.
    pub struct RedisAggregates {
        conn: RedisConn,
        script_sha: Option<String>,
    }

    impl RedisAggregates {
        /// Connect (see [`RedisConn::connect`]).
        pub async fn connect(config: &RedisConfig) -> Result<Self, RedisError> {
            Ok(RedisAggregates {
                conn: RedisConn::connect(config).await?,
                script_sha: None,
            })
        }

        async fn sha(&mut self) -> Result<String, RedisError> {
            if let Some(sha) = &self.script_sha {
                return Ok(sha.clone());
            }
            let sha = self
                .conn
                .command(&[b"SCRIPT", b"LOAD", APPLY_SCRIPT.as_bytes()])
                .await?
                .text()?
                .ok_or_else(|| RedisError::Protocol("SCRIPT LOAD returned nil".into()))?;
            self.script_sha = Some(sha.clone());
            Ok(sha)
        }
    }

    impl AggregateStore for RedisAggregates {
        async fn apply(&mut self, updates: &[Apply]) -> Result<Vec<bool>, RedisError> {
            if updates.is_empty() {
                return Ok(Vec::new());
            }
            let sha = self.sha().await?;
            let p = prefix();
            let niche_prefix = format!("{p}n:");
            let meta = format!("{p}meta");
            let rows: Vec<[String; 5]> = updates
                .iter()
                .map(|u| {
                    [
                        format!("{p}a:{}", u.account_id),
                        u.seq.to_string(),
                        u.contribution
                            .as_ref()
                            .map_or(String::new(), |c| c.niche.as_str().to_string()),
                        u.contribution
                            .as_ref()
                            .map_or(String::new(), |c| csv(&c.values)),
                        if u.opted_in { "1" } else { "0" }.to_string(),
                    ]
                })
                .collect();
            let commands: Vec<Vec<&[u8]>> = rows
                .iter()
                .map(|r| {
                    vec![
                        b"EVALSHA".as_slice(),
                        sha.as_bytes(),
                        b"2",
                        r[0].as_bytes(),
                        meta.as_bytes(),
                        r[1].as_bytes(),
                        r[2].as_bytes(),
                        r[3].as_bytes(),
                        r[4].as_bytes(),
                        niche_prefix.as_bytes(),
                    ]
                })
                .collect();
            let replies = self.conn.pipeline(&commands).await?;
            replies.into_iter().map(|r| Ok(r.int()? == 1)).collect()
        }

        async fn read(&mut self) -> Result<StoreState, RedisError> {
            let p = prefix();
            let keys: Vec<(Niche, String)> = niches()
                .map(|n| (n, format!("{p}n:{}", n.as_str())))
                .collect();
            let ready = format!("{p}ready");
            let meta = format!("{p}meta");
            let mut commands: Vec<Vec<&[u8]>> = vec![
                vec![b"GET", ready.as_bytes()],
                vec![b"HMGET", meta.as_bytes(), b"seqsum", b"opted"],
            ];
            for (_, k) in &keys {
                commands.push(vec![b"HGETALL", k.as_bytes()]);
            }
            let mut replies = self.conn.pipeline(&commands).await?.into_iter();
            let mut next = || {
                replies
                    .next()
                    .ok_or_else(|| RedisError::Protocol("no reply".into()))
            };
            let marker = next()?.text()?.map(|m| parse_marker(&m)).transpose()?;
            let (epoch, config) = match marker {
                Some((e, c)) => (Some(e), c),
                None => (None, None),
            };
            let counters = next()?.items()?;
            let counter = |i: usize| -> Result<u64, RedisError> {
                match counters.get(i).map(Reply::text).transpose()?.flatten() {
                    None => Ok(0),
                    Some(v) => v
                        .parse::<u64>()
                        .map_err(|_| RedisError::Protocol(format!("meta counter {v:?}"))),
                }
            };
            let mut state = StoreState {
                epoch,
                config,
                seq_sum: counter(0)?,
                opted_in: counter(1)?,
                aggregates: Aggregates::new(),
            };
            for (niche, _) in &keys {
                let items = next()?.items()?;
                let mut pairs = Vec::with_capacity(items.len() / 2);
                for kv in items.chunks(2) {
                    let k = kv[0].text()?.unwrap_or_default();
                    let v = kv.get(1).map(|v| v.text()).transpose()?.flatten();
                    pairs.push((k, v.unwrap_or_default()));
                }
                let agg = aggregate_from_hash(&pairs)?;
                if agg.accounts != 0 || agg.sums.iter().any(|s| *s != 0) {
                    state.aggregates.insert(*niche, agg);
                }
            }
            Ok(state)
        }

        async fn clear(&mut self) -> Result<(), RedisError> {
            let pattern = format!("{}*", prefix());
            let ready = format!("{}ready", prefix());
            let mut cursor = "0".to_string();
            let mut first = true;
            loop {
                let reply = self
                    .conn
                    .command(&[
                        b"SCAN",
                        cursor.as_bytes(),
                        b"MATCH",
                        pattern.as_bytes(),
                        b"COUNT",
                        b"1000",
                    ])
                    .await?
                    .items()?;
                // Once the server answered: the ready marker goes first, so a clear cut off
                // half-way leaves a store that is not ready (rebuilt), never one that looks whole.
                if std::mem::take(&mut first) {
                    self.conn.command(&[b"DEL", ready.as_bytes()]).await?;
                }
                let mut it = reply.into_iter();
                cursor = it
                    .next()
                    .ok_or_else(|| RedisError::Protocol("SCAN reply".into()))?
                    .text()?
                    .unwrap_or_default();
                let keys: Vec<String> = it
                    .next()
                    .map(|k| k.items())
                    .transpose()?
                    .unwrap_or_default()
                    .iter()
                    .map(|k| k.text().map(Option::unwrap_or_default))
                    .collect::<Result<_, _>>()?;
                if !keys.is_empty() {
                    let mut args: Vec<&[u8]> = vec![b"UNLINK"];
                    args.extend(keys.iter().map(|k| k.as_bytes()));
                    self.conn.command(&args).await?;
                }
                if cursor == "0" {
                    return Ok(());
                }
            }
        }

        async fn set_ready(&mut self, epoch: u64, config: &str) -> Result<(), RedisError> {
            let key = format!("{}ready", prefix());
            let value = format!("epoch:{epoch}:{config}");
            self.conn
                .command(&[b"SET", key.as_bytes(), value.as_bytes()])
                .await
                .map(|_| ())
        }

        async fn ping(&mut self) -> Result<(), RedisError> {
            self.conn.command(&[b"PING"]).await.map(|_| ())
        }

        async fn close(self) {
            self.conn.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn config_from_vars() {
        assert_eq!(RedisConfig::from_vars(vars(&[])).unwrap(), None);
        assert_eq!(
            RedisConfig::from_vars(vars(&[("REDIS_HOST", " ")])).unwrap(),
            None
        );
        let c = RedisConfig::from_vars(vars(&[("REDIS_HOST", "127.0.0.1")]))
            .unwrap()
            .unwrap();
        assert_eq!((c.port, c.tls, c.timeout_ms), (6379, false, 500));
        assert_eq!(c.password, None);
        let c = RedisConfig::from_vars(vars(&[
            ("REDIS_HOST", "r.example"),
            ("REDIS_PORT", "6380"),
            ("REDIS_PASSWORD", "pw"),
            ("REDIS_USERNAME", "app"),
            ("REDIS_TLS", "on"),
            ("REDIS_TIMEOUT_MS", "250"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.port, c.tls, c.timeout_ms, c.username.as_deref()),
            (6380, true, 250, Some("app"))
        );
        assert!(!format!("{c:?}").contains("pw"), "password leaked in Debug");
        for (k, v) in [
            ("REDIS_PORT", "0"),
            ("REDIS_PORT", "x"),
            ("REDIS_TLS", "maybe"),
            ("REDIS_TIMEOUT_MS", "5"),
            ("REDIS_TIMEOUT_MS", "-1"),
        ] {
            let e = RedisConfig::from_vars(vars(&[("REDIS_HOST", "h"), (k, v)])).unwrap_err();
            assert!(e.to_string().contains(k), "{e}");
        }
    }

    #[test]
    fn encodes_commands() {
        let mut out = Vec::new();
        encode(&[b"HINCRBY", b"k", b"-3"], &mut out);
        assert_eq!(out, b"*3\r\n$7\r\nHINCRBY\r\n$1\r\nk\r\n$2\r\n-3\r\n");
    }

    #[test]
    fn parses_replies_whole_and_in_pieces() {
        let wire = b"*4\r\n+OK\r\n:-12\r\n$5\r\nhe\r\no\r\n*2\r\n$-1\r\n-ERR no\r\n";
        let (r, used) = parse(wire).unwrap().unwrap();
        assert_eq!(used, wire.len());
        assert_eq!(
            r,
            Reply::Array(Some(vec![
                Reply::Simple("OK".into()),
                Reply::Int(-12),
                Reply::Bulk(Some(b"he\r\no".to_vec())),
                Reply::Array(Some(vec![Reply::Bulk(None), Reply::Error("ERR no".into())])),
            ]))
        );
        // Every strict prefix needs more bytes.
        for cut in 0..wire.len() {
            assert_eq!(parse(&wire[..cut]).unwrap(), None, "prefix {cut}");
        }
        assert!(parse(b"?what\r\n").is_err());
        assert!(parse(b":abc\r\n").is_err());
        assert!(parse(b"$2\r\nabXY").is_err());
        // A TLS record where RESP was expected is a protocol error naming TLS.
        let e = parse(b"\x15\x03\x03\x00\x02\r\n").unwrap_err();
        assert!(e.to_string().contains("REDIS_TLS"), "{e}");
    }

    #[test]
    fn errors_say_what_to_check() {
        let t = RedisError::Timeout {
            step: "connect".into(),
            ms: 500,
            tls: true,
        };
        assert!(t.to_string().contains("TLS"), "{t}");
        let a = RedisError::Auth("WRONGPASS invalid username-password pair".into());
        assert!(a.to_string().contains("REDIS_PASSWORD"), "{a}");
        assert_eq!(Reply::Int(3).int().unwrap(), 3);
        assert!(Reply::Error("E".into()).into_result().is_err());
        assert_eq!(Reply::Bulk(None).text().unwrap(), None);
    }

    #[test]
    fn the_breaker_opens_after_consecutive_failures_and_retries_after_the_cool_down() {
        let mut b = Breaker::default();
        let t = 1_000_000;
        for i in 0..BREAKER_FAILURES - 1 {
            b.record(false, t + u64::from(i));
            assert!(b.admit(t + u64::from(i)).is_ok(), "still closed after {i}");
        }
        // A success in between resets the count.
        b.record(true, t);
        for _ in 0..BREAKER_FAILURES - 1 {
            b.record(false, t);
        }
        assert!(b.admit(t).is_ok());
        b.record(false, t);
        let why = b.admit(t + 1).unwrap_err();
        assert!(why.contains("circuit breaker"), "{why}");
        assert!(b.admit(t + BREAKER_COOLDOWN_MS - 1).is_err());
        // Half open: one attempt after the cool-down; its failure opens it again at once.
        assert!(b.admit(t + BREAKER_COOLDOWN_MS).is_ok());
        b.record(false, t + BREAKER_COOLDOWN_MS);
        assert!(b.admit(t + BREAKER_COOLDOWN_MS + 1).is_err());
        // A success closes it.
        b.record(true, t + 2 * BREAKER_COOLDOWN_MS);
        assert!(b.admit(t + 2 * BREAKER_COOLDOWN_MS).is_ok());
        assert_eq!(b, Breaker::default());
    }

    #[test]
    fn ready_markers_carry_the_epoch_and_the_config() {
        assert_eq!(
            parse_marker("epoch:7:00ff").unwrap(),
            (7, Some("00ff".to_string()))
        );
        assert_eq!(parse_marker("epoch:7").unwrap(), (7, None));
        assert_eq!(
            parse_marker("1").unwrap(),
            (0, None),
            "the old marker is no epoch"
        );
        assert!(parse_marker("epoch:x:1").is_err());
    }

    #[test]
    fn hashes_and_csv_round_trip() {
        let mut v = vec![0i64; Layout::field_count()];
        v[0] = -5_000_000_000_123;
        v[3] = 42;
        let text = csv(&v);
        let pairs: Vec<(String, String)> = std::iter::once(("accounts".into(), "2".into()))
            .chain(
                text.split(',')
                    .enumerate()
                    .filter(|(_, x)| *x != "0")
                    .map(|(i, x)| (i.to_string(), x.to_string())),
            )
            .collect();
        let agg = aggregate_from_hash(&pairs).unwrap();
        assert_eq!((agg.accounts, agg.sums.clone()), (2, v));
        assert!(aggregate_from_hash(&[("x".into(), "1".into())]).is_err());
        assert!(aggregate_from_hash(&[("0".into(), "1.5".into())]).is_err());
        let too_far = Layout::field_count().to_string();
        assert!(aggregate_from_hash(&[(too_far, "1".into())]).is_err());
        assert!(prefix().starts_with("{cl}:w"));
    }
}
