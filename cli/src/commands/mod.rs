//! The commands other than `push`: import, score, niche, insights, wisdom, simulate, one
//! module each; shared helpers here.

mod demo;
mod explore;
mod import;
mod insights;
mod niche;
mod score;
mod simulate;
mod wisdom;

pub use demo::{demo_network, DemoOptions, Rule};
pub use explore::explore;
pub use import::import;
pub use insights::insights;
pub use niche::niche;
pub use score::score;
pub use simulate::simulate;
pub use wisdom::wisdom;

use crosslearn::record::RecordInput;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::path::Path;

/// Write `bytes` to `out`, or to standard output.
pub(crate) fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
    match out {
        Some(p) => {
            std::fs::write(p, bytes).map_err(|e| format!("{}: cannot write: {e}", p.display()))
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)
                .and_then(|_| o.flush())
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::BrokenPipe => crate::BROKEN_PIPE.to_string(),
                    _ => format!("standard output: {e}"),
                })
        }
    }
}

/// A progress bar over `n` items on stderr (drawn only on a terminal, and only for inputs big
/// enough to take about a second).
pub(crate) fn bar(n: usize, what: &str) -> ProgressBar {
    if n < 2_000 {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::with_draw_target(Some(n as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what}  eta {{eta}}"))
    {
        b.set_style(style);
    }
    b
}

/// A record input as a JSON object without its absent (null) fields: the same record, smaller.
pub fn record_json(input: &RecordInput) -> Result<serde_json::Value, String> {
    let mut v = serde_json::to_value(input).map_err(|e| format!("records JSON: {e}"))?;
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
    Ok(v)
}
