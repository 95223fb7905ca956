//! The `/api/ctr/score` handler's own work, natively, for profiling (callgrind counts
//! instructions repeatably on noisy machines; docs/robustness.md "Profiling"):
//!
//! ```sh
//! cargo build --release -p crosslearn-worker --example profile_score
//! valgrind --tool=callgrind target/release/examples/profile_score 2000
//! ```
//!
//! Parses the body and calls `service::compute::score` N times (what the route does) (default 2,000) with the benchmark's request
//! (`scripts/bench-worker.mjs`: one pre-launch creative) and prints the mean time per call.

use crosslearn_worker::http::json::parse;
use crosslearn_worker::service::compute::score;
use std::time::Instant;

const BODY: &str = r#"{"model":"pre_launch","creatives":[{"platform":"tiktok","niche":"fitness","hook_type":"question","cta_style":"shop_now","visual_tags":["fast_cuts","text_overlay"],"format":"video","duration_s":20,"posting_hour":18}]}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 2_000,
    };
    let t = Instant::now();
    let mut sum = 0.0;
    for _ in 0..n {
        let r = parse(BODY.as_bytes())
            .and_then(score)
            .map_err(|e| format!("{e:?}"))?;
        sum += serde_json::to_vec(&r)?.len() as f64;
    }
    let dt = t.elapsed().as_secs_f64();
    println!(
        "score_body calls={n} mean_us={:.1} response_bytes={}",
        dt / n as f64 * 1e6,
        sum / n as f64
    );
    Ok(())
}
