//! The HTTP client: a blocking ureq agent that returns every status as a value (so 4xx/5xx
//! bodies and `Retry-After` can be read), with timeouts, and the Worker's error shape read into
//! one line.
//!
//! https needs the `tls` feature (on by default: rustls with bundled roots); without it only
//! plain http is spoken and an https URL is a clear error.

use std::time::Duration;

/// An answer: status, `Retry-After` in seconds when sent, and the body text.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` as whole seconds (the Worker sends seconds; an HTTP date is ignored).
    pub retry_after: Option<u64>,
    /// The body.
    pub body: String,
}

/// A transport failure (refused, reset, timeout, bad URL): retryable unless `fatal`.
pub struct Failure {
    /// One-line description.
    pub message: String,
    /// True when retrying cannot help (bad URL, https without TLS).
    pub fatal: bool,
}

/// The client.
pub struct Client {
    agent: ureq::Agent,
}

impl Client {
    /// A client with a connect timeout and an overall per-request timeout.
    pub fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
            .timeout_global(Some(timeout))
            .user_agent(concat!("crosslearn-cli/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
        }
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> Result<Answer, Failure> {
        check_scheme(url)?;
        let resp = self.agent.get(url).call();
        answer(url, resp)
    }

    /// `POST url` with a JSON body and a bearer token.
    pub fn post_json(&self, url: &str, token: &str, body: &[u8]) -> Result<Answer, Failure> {
        check_scheme(url)?;
        let resp = self
            .agent
            .post(url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .send(body);
        answer(url, resp)
    }
}

fn check_scheme(url: &str) -> Result<(), Failure> {
    let fatal = |message: String| Failure {
        message,
        fatal: true,
    };
    if url.starts_with("https://") {
        if cfg!(feature = "tls") {
            return Ok(());
        }
        return Err(fatal(format!(
            "{url}: https needs the `tls` feature (cargo install --path cli --features tls)"
        )));
    }
    if !url.starts_with("http://") {
        return Err(fatal(format!("{url}: not an http:// or https:// URL")));
    }
    Ok(())
}

fn answer(
    url: &str,
    resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, Failure> {
    let mut resp = resp.map_err(|e| Failure {
        fatal: matches!(e, ureq::Error::BadUri(_) | ureq::Error::HostNotFound),
        message: format!("{url}: {e}"),
    })?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = resp.body_mut().read_to_string().map_err(|e| Failure {
        message: format!("{url}: reading the answer: {e}"),
        fatal: false,
    })?;
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// The Worker's error body `{"error": {"code", "message", "field"}}` as one line, or the
/// status and the start of the body for anything else.
pub fn error_line(a: &Answer) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(&a.body).ok();
    if let Some(e) = parsed.as_ref().and_then(|v| v.get("error")) {
        let code = e.get("code").and_then(|v| v.as_str()).unwrap_or("error");
        let message = e.get("message").and_then(|v| v.as_str()).unwrap_or("");
        let field = e
            .get("field")
            .and_then(|v| v.as_str())
            .map(|f| format!(" (field {f})"))
            .unwrap_or_default();
        return format!("HTTP {} {code}: {message}{field}", a.status);
    }
    let snippet: String = a.body.chars().take(160).collect();
    format!("HTTP {}: {}", a.status, snippet.replace('\n', " "))
}
