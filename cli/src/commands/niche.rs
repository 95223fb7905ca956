//! `crosslearn niche`: one text, or every ad of a file and its account.

use super::bar;
use crate::input::{ad_text, load_nonempty};
use crate::models::niche_model;
use crosslearn::niche::{account_niche, NicheDetection, NicheScore};
use crosslearn::record::CreativeRecord;
use std::collections::BTreeMap;
use std::path::Path;

fn alternatives(a: &[NicheScore]) -> String {
    a.iter()
        .map(|s| format!("{} {:.2}", s.niche.as_str(), s.probability))
        .collect::<Vec<_>>()
        .join(", ")
}

fn detection_line(d: &NicheDetection) -> String {
    format!(
        "{} (confidence {:.2}; alternatives: {})",
        d.niche.as_str(),
        d.confidence,
        alternatives(&d.alternatives)
    )
}

/// `crosslearn niche`.
pub fn niche(
    text: Option<&str>,
    file: Option<&Path>,
    show: usize,
    json: bool,
) -> Result<(), String> {
    let model = niche_model()?;
    if let Some(t) = text {
        let d = model.detect(t);
        if json {
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&d).map_err(|e| e.to_string())?
            )?;
        } else {
            crate::outln!("{}", detection_line(&d))?;
        }
        return Ok(());
    }
    let Some(file) = file else {
        return Err("give a TEXT or --file FILE".into());
    };
    let l = load_nonempty(file)?;
    // Per account: an export of several accounts gets one answer each.
    let mut by: BTreeMap<&str, Vec<&CreativeRecord>> = BTreeMap::new();
    for r in &l.accepted {
        by.entry(r.account_id.as_str()).or_default().push(r);
    }
    let mut out_json = Vec::new();
    let progress = bar(l.accepted.len(), "ads");
    for (account, records) in &by {
        let texts: Vec<String> = records.iter().map(|r| ad_text(r)).collect();
        let per_ad: Vec<NicheDetection> = texts
            .iter()
            .map(|t| {
                progress.inc(1);
                model.detect(t)
            })
            .collect();
        let acc = account_niche(&model, None, &texts);
        if json {
            out_json.push(serde_json::json!({
                "account_id": account,
                "account": acc,
                "ads": records.iter().zip(&per_ad).map(|(r, d)| serde_json::json!({
                    "record_id": r.record_id, "detection": d,
                })).collect::<Vec<_>>(),
            }));
            continue;
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &per_ad {
            *counts.entry(d.niche.as_str()).or_default() += 1;
        }
        let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (r, d) in records
            .iter()
            .zip(&per_ad)
            .filter(|(r, _)| !ad_text(r).is_empty())
            .take(show)
        {
            let text: String = ad_text(r).replace('\n', " / ").chars().take(60).collect();
            crate::outln!("{}  {:<60}  {}", r.record_id, text, detection_line(d))?;
        }
        crate::outln!(
            "per ad: {}",
            counts
                .iter()
                .map(|(n, c)| format!("{n} {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        crate::outln!(
            "account {account}: {} (confidence {:.2}, over {} ads with text of {}; alternatives: {})",
            acc.niche.as_str(),
            acc.confidence,
            acc.texts_used,
            records.len(),
            alternatives(&acc.alternatives)
        )?;
    }
    progress.finish_and_clear();
    if json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&out_json).map_err(|e| e.to_string())?
        )?;
    }
    Ok(())
}
