//! `crosslearn explore`: randomised creative briefs for the exploration cohort
//! (`crosslearn::wisdom::explore`).

use crosslearn::platform::Platform;
use crosslearn::privacy::dgauss::{noise_rng_from_entropy, noise_rng_from_seed};
use crosslearn::record::AdFormat;
use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions, RandomisedBrief};
use std::path::Path;
use std::str::FromStr;

/// `crosslearn explore`: `count` briefs for `platform`, as a generic-format CSV whose
/// `assignment` column is `randomised`; the advertiser makes each creative as drawn, fills in its
/// copy and results, and imports the file. `seed` makes the draws reproducible (tests); without
/// it they come from ChaCha20 seeded by the operating system. With `worker` (`--url`,
/// `--token-file`) the Worker draws them for `account` (`POST /api/accounts/{id}/explore`, at most
/// 100 per call) and the CSV carries the record ids it issued, so that `crosslearn push` stores the
/// records as randomised.
#[allow(clippy::too_many_arguments)]
pub fn explore(
    platform: &str,
    count: u32,
    formats: &str,
    tag_probability: f64,
    account: Option<&str>,
    seed: Option<u64>,
    out: Option<&Path>,
    worker: Option<(&str, &Path)>,
) -> Result<(), String> {
    let platform = Platform::from_str(platform).map_err(|e| format!("--platform: {e}"))?;
    if count == 0 || count > 10_000 {
        return Err(format!("--count: must be 1..=10000, got {count}"));
    }
    let formats: Vec<AdFormat> = formats
        .split(',')
        .map(|f| AdFormat::from_str(f).map_err(|e| format!("--formats: {e}")))
        .collect::<Result<_, _>>()?;
    let opts = ExploreOptions {
        formats,
        tag_probability,
    };
    let briefs: Vec<(String, RandomisedBrief)> = match worker {
        Some((url, token_file)) => {
            if seed.is_some() {
                return Err("--seed: with --url the Worker draws the briefs".into());
            }
            let account = account.ok_or("--url needs --account (the briefs are issued to it)")?;
            issued(url, token_file, account, platform, count, &opts)?
        }
        None => {
            let mut rng = match seed {
                Some(s) => noise_rng_from_seed(s),
                None => noise_rng_from_entropy().map_err(|e| e.to_string())?,
            };
            // A run id from the same generator, so two runs' record ids do not collide.
            let run = crosslearn::privacy::dgauss::uniform_below(&mut rng, 1 << 32) as u32;
            (1..=count)
                .map(|i| {
                    randomised_brief(platform, &opts, &mut rng)
                        .map(|b| (format!("explore-{run:08x}-{i}"), b))
                        .map_err(|e| {
                            let field = e.field.clone().unwrap_or_default();
                            let flag = match field.as_str() {
                                "tag_probability" => "--tag-probability",
                                "formats" => "--formats",
                                _ => "--platform",
                            };
                            format!("{flag}: {}", e.message)
                        })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| e.to_string();
    w.write_record([
        "record_id",
        "account_id",
        "platform",
        "hook_type",
        "cta_style",
        "format",
        "duration_s",
        "visual_tags",
        "posting_hour",
        "assignment",
        "headline",
        "body",
        "impressions",
        "clicks",
        "spend",
    ])
    .map_err(csv_err)?;
    for (record_id, b) in &briefs {
        let duration = b
            .duration_range_s
            .map(|(lo, hi)| format!("{}", ((lo + hi) / 2.0).round()))
            .unwrap_or_default();
        let tags: Vec<&str> = b.visual_tags.iter().map(|t| t.as_str()).collect();
        w.write_record([
            record_id.clone(),
            account.unwrap_or_default().to_string(),
            b.platform.as_str().to_string(),
            b.hook_type.as_str().to_string(),
            b.cta_style.as_str().to_string(),
            b.format.as_str().to_string(),
            duration,
            tags.join("|"),
            b.posting_hour.to_string(),
            "randomised".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ])
        .map_err(csv_err)?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    super::emit(out, &bytes)?;
    eprintln!(
        "{count} randomised briefs for {}: make each creative as drawn (the video length near \
         duration_s), post it at posting_hour, fill in account_id, headline, body and the results, \
         then import the file; its assignment column marks the records randomised",
        platform.as_str()
    );
    Ok(())
}

/// Briefs the Worker at `url` issues to `account` (`POST /api/accounts/{id}/explore`, in calls of
/// at most 100): `(record id, brief)`, in order. A refusal is an error naming the Worker's answer.
fn issued(
    url: &str,
    token_file: &Path,
    account: &str,
    platform: Platform,
    count: u32,
    opts: &ExploreOptions,
) -> Result<Vec<(String, RandomisedBrief)>, String> {
    #[derive(serde::Deserialize)]
    struct Issued {
        record_id: String,
        #[serde(flatten)]
        brief: RandomisedBrief,
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        briefs: Vec<Issued>,
    }
    let token = crate::push::read_token(token_file)?;
    let client = crate::http::Client::new(std::time::Duration::from_secs(30));
    let route = format!(
        "{}/api/accounts/{account}/explore",
        url.trim_end_matches('/')
    );
    let formats: Vec<&str> = opts.formats.iter().map(|f| f.as_str()).collect();
    let mut out = Vec::with_capacity(count as usize);
    let mut left = count;
    while left > 0 {
        let n = left.min(100);
        let body = serde_json::json!({
            "platform": platform.as_str(), "count": n, "formats": formats,
            "tag_probability": opts.tag_probability,
        });
        let answer = client
            .post_json(&route, &token, body.to_string().as_bytes())
            .map_err(|f| f.message)?;
        if answer.status != 200 {
            return Err(format!(
                "{route} answered {}: {}",
                answer.status, answer.body
            ));
        }
        let a: Answer = serde_json::from_str(&answer.body)
            .map_err(|e| format!("{route}: unreadable answer ({e})"))?;
        out.extend(a.briefs.into_iter().map(|i| (i.record_id, i.brief)));
        left -= n;
    }
    Ok(out)
}
