//! `crosslearn insights`: the account's own insight table.

use crate::input::{ad_text, load_nonempty};
use crate::models::niche_model;
use crosslearn::insights::{account_insights, AccountInsight, AttributeStat, InsightOptions};
use crosslearn::niche::{account_niche, Niche};
use crosslearn::record::CreativeRecord;
use std::collections::BTreeMap;
use std::path::Path;

fn stat_table(title: &str, stats: &[AttributeStat]) -> String {
    if stats.is_empty() {
        return format!("{title}: no value above the impression gate\n");
    }
    let mut s = format!(
        "{title}\n  {:<20} {:>7} {:>11} {:>8} {:>17} {:>6} {:>15} {:>5}\n",
        "value", "records", "impressions", "ctr %", "95 % ctr", "lift", "95 % lift", "sig"
    );
    for a in stats {
        s.push_str(&format!(
            "  {:<20} {:>7} {:>11} {:>8.3} {:>8.3}-{:<8.3} {:>6.2} {:>7.2}-{:<7.2} {:>5}\n",
            a.value,
            a.records,
            a.impressions,
            a.ctr * 100.0,
            a.ctr_interval[0] * 100.0,
            a.ctr_interval[1] * 100.0,
            a.lift,
            a.lift_interval[0],
            a.lift_interval[1],
            if a.significant { "yes" } else { "" }
        ));
        // No trailing blanks when the last column is empty.
        let trimmed = s.trim_end().len();
        s.truncate(trimmed);
        s.push('\n');
    }
    s
}

fn insight_text(i: &AccountInsight) -> String {
    let pct = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.3} %", v * 100.0));
    let mut s = format!(
        "account {}: niche {} ({:.2}), {} records, {} campaigns, platforms {}\n\
         impressions {}, clicks {}, CTR {}, conversions {}, spend {:.2}, winners {}, dispersion {:.2}\n",
        i.account_id,
        i.niche.as_str(),
        i.niche_confidence,
        i.total_records,
        i.total_campaigns,
        i.platforms.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(","),
        i.impressions,
        i.clicks,
        pct(i.avg_ctr),
        i.conversions.map_or("-".to_string(), |c| c.to_string()),
        i.spend,
        i.winners,
        i.dispersion
    );
    if !i.enough_data {
        s.push_str("not enough data for patterns (fewer campaigns than --min-campaigns)\n");
        return s;
    }
    s.push_str(&stat_table("hook types", &i.hook_types));
    s.push_str(&stat_table("CTA styles", &i.cta_styles));
    s.push_str(&stat_table("durations", &i.durations));
    s.push_str(&stat_table("posting hours", &i.posting_hours));
    s.push_str(&stat_table("visual tags", &i.visual_tags));
    s.push_str(&format!(
        "top hook types: {}; effective CTAs: {}\n",
        join(i.top_hook_types.iter().map(|h| h.as_str())),
        join(i.effective_cta_styles.iter().map(|c| c.as_str()))
    ));
    s
}

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// `crosslearn insights`.
pub fn insights(file: &Path, json: bool, min_campaigns: u32) -> Result<(), String> {
    let l = load_nonempty(file)?;
    let model = niche_model()?;
    let mut by: BTreeMap<&str, Vec<CreativeRecord>> = BTreeMap::new();
    for r in &l.accepted {
        by.entry(r.account_id.as_str()).or_default().push(r.clone());
    }
    let mut all = Vec::new();
    for records in by.values() {
        let texts: Vec<String> = records.iter().map(ad_text).collect();
        let n = account_niche(&model, None, &texts);
        let opts = InsightOptions {
            min_campaigns,
            niche: (n.niche != Niche::Unknown).then_some(n.niche),
            ..Default::default()
        };
        let i = account_insights(records, &opts).map_err(|e| format!("{}: {e}", l.path))?;
        if json {
            all.push(i);
        } else {
            crate::out!("{}", insight_text(&i))?;
        }
    }
    if json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?
        )?;
    }
    Ok(())
}
