//! `crosslearn wisdom`: fetch and print a published release.

use super::score::parse_wisdom;
use crate::http::{error_line, Client};
use crosslearn::niche::Niche;
use crosslearn::wisdom::NicheWisdom;
use std::time::Duration;

/// `crosslearn wisdom`.
pub fn wisdom(url: &str, niche: Option<&str>, json: bool) -> Result<(), String> {
    let base = url.trim_end_matches('/');
    let full = match niche {
        Some(n) => {
            let n: Niche = n.parse().map_err(|e| format!("NICHE: {e}"))?;
            format!("{base}/api/cross-learning/niche-wisdom/{}", n.as_str())
        }
        None => format!("{base}/api/cross-learning/niche-wisdom"),
    };
    let a = Client::new(Duration::from_secs(30))
        .get(&full)
        .map_err(|f| f.message)?;
    if a.status != 200 {
        return Err(format!("{full}: {}", error_line(&a)));
    }
    if json {
        crate::outln!("{}", a.body.trim_end())?;
        return Ok(());
    }
    let v: serde_json::Value =
        serde_json::from_str(&a.body).map_err(|e| format!("{full}: not JSON: {e}"))?;
    if v.get("success").and_then(|s| s.as_bool()) == Some(false) {
        let msg = v
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("no release");
        crate::outln!("{msg}")?;
        return Ok(());
    }
    let book = parse_wisdom(&a.body).map_err(|e| format!("{full}: {e}"))?;
    if book.releases.is_empty() {
        crate::outln!("no published release in the current period")?;
    }
    for w in &book.releases {
        crate::out!("{}", wisdom_text(w))?;
    }
    Ok(())
}

fn wisdom_text(w: &NicheWisdom) -> String {
    let mut s = format!(
        "niche {} period {}: {}, based on {} accounts (confidence {:.2}), epsilon {:.2}\n",
        w.niche.as_str(),
        w.period,
        if w.published {
            "published"
        } else {
            "not published (below k)"
        },
        w.sample_size.map_or("-".into(), |n| n.to_string()),
        w.confidence,
        w.privacy.epsilon
    );
    for p in &w.platforms {
        if let Some(c) = p.ctr {
            s.push_str(&format!(
                "  {:<10} CTR p25 {:.3} %  median {:.3} %  p75 {:.3} %  ({} accounts)\n",
                p.platform.as_str(),
                c.p25 * 100.0,
                c.p50 * 100.0,
                c.p75 * 100.0,
                p.accounts
            ));
        }
    }
    if w.published && w.platforms.iter().all(|p| p.ctr.is_none()) {
        s.push_str("  no platform CTR benchmark (fewer than k accounts on every platform)\n");
    }
    if w.published && w.lifts.is_empty() {
        s.push_str("  no attribute lift (no value reached k accounts)\n");
    }
    for l in w.lifts.iter().take(8) {
        s.push_str(&format!(
            "  lift {}={}: x{:.2} (95 % {:.2}-{:.2}, {} accounts)\n",
            l.attribute.as_str(),
            l.value,
            l.lift,
            l.lift_interval[0],
            l.lift_interval[1],
            l.accounts
        ));
    }
    s
}
