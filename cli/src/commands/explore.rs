//! `crosslearn explore`: randomised creative briefs for the exploration cohort
//! (`crosslearn::wisdom::explore`).

use crosslearn::platform::Platform;
use crosslearn::privacy::dgauss::{noise_rng_from_entropy, noise_rng_from_seed};
use crosslearn::record::AdFormat;
use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions};
use std::path::Path;
use std::str::FromStr;

/// `crosslearn explore`: `count` briefs for `platform`, as a generic-format CSV whose
/// `assignment` column is `randomised`; the advertiser makes each creative as drawn, fills in its
/// copy and results, and imports the file. `seed` makes the draws reproducible (tests); without
/// it they come from ChaCha20 seeded by the operating system.
#[allow(clippy::too_many_arguments)]
pub fn explore(
    platform: &str,
    count: u32,
    formats: &str,
    tag_probability: f64,
    account: Option<&str>,
    seed: Option<u64>,
    out: Option<&Path>,
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
    let mut rng = match seed {
        Some(s) => noise_rng_from_seed(s),
        None => noise_rng_from_entropy().map_err(|e| e.to_string())?,
    };
    // A run id from the same generator, so two runs' record ids do not collide.
    let run = crosslearn::privacy::dgauss::uniform_below(&mut rng, 1 << 32) as u32;
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
    for i in 1..=count {
        let b = randomised_brief(platform, &opts, &mut rng).map_err(|e| {
            let field = e.field.clone().unwrap_or_default();
            let flag = match field.as_str() {
                "tag_probability" => "--tag-probability",
                "formats" => "--formats",
                _ => "--platform",
            };
            format!("{flag}: {}", e.message)
        })?;
        let duration = b
            .duration_range_s
            .map(|(lo, hi)| format!("{}", ((lo + hi) / 2.0).round()))
            .unwrap_or_default();
        let tags: Vec<&str> = b.visual_tags.iter().map(|t| t.as_str()).collect();
        w.write_record([
            format!("explore-{run:08x}-{i}"),
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
