//! `crosslearn score`: the scored CSV, and reading a published release (`--wisdom`).

use super::{bar, emit};
use crate::http::{error_line, Client};
use crate::input::{ad_text, load_nonempty};
use crate::models::{niche_model, prelaunch_model, NICHE_MODEL_NAME, PRELAUNCH_MODEL_NAME};
use crosslearn::benchmarks::Benchmarks;
use crosslearn::model::{encode_creative, CreativeAttributes, NichePriors, NoPriors};
use crosslearn::network::AdNetwork;
use crosslearn::niche::Niche;
use crosslearn::wisdom::{NicheWisdom, WisdomBook};
use std::path::Path;
use std::time::Duration;

/// Wilson score interval for `k` clicks in `n` impressions at z = 1.96.
pub fn wilson(k: u64, n: u64) -> [f64; 2] {
    if n == 0 {
        return [0.0, 1.0];
    }
    let z = 1.96f64;
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let den = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / den;
    [(center - half).max(0.0), (center + half).min(1.0)]
}

/// Read a published release: a JSON file or an http(s) URL (the Worker's bulk endpoint is
/// used when the URL has no path).
pub fn read_wisdom(source: &str) -> Result<WisdomBook, String> {
    let (text, name) = if source.starts_with("http://") || source.starts_with("https://") {
        let url = bulk_url(source);
        let a = Client::new(Duration::from_secs(30))
            .get(&url)
            .map_err(|f| f.message)?;
        if a.status != 200 {
            return Err(format!("{url}: {}", error_line(&a)));
        }
        (a.body, url)
    } else {
        let t =
            std::fs::read_to_string(source).map_err(|e| format!("{source}: cannot read: {e}"))?;
        (t, source.to_string())
    };
    parse_wisdom(&text).map_err(|e| format!("{name}: {e}"))
}

fn bulk_url(source: &str) -> String {
    let after_scheme = source.split_once("://").map_or("", |(_, r)| r);
    if after_scheme.trim_end_matches('/').contains('/') {
        source.to_string()
    } else {
        format!(
            "{}/api/cross-learning/niche-wisdom",
            source.trim_end_matches('/')
        )
    }
}

/// Accepts every shape a release comes in: the Worker's bulk answer `{"niches": [...]}`, its
/// per-niche answer `{"success": true, "wisdom": {...}}`, a `WisdomBook` `{"releases": [...]}`,
/// a bare array, or one release.
pub(crate) fn parse_wisdom(text: &str) -> Result<WisdomBook, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("line {}: not valid JSON: {e}", e.line()))?;
    let list = if let Some(a) = v.as_array() {
        a.clone()
    } else if let Some(a) = v.get("niches").and_then(|x| x.as_array()) {
        a.clone()
    } else if let Some(a) = v.get("releases").and_then(|x| x.as_array()) {
        a.clone()
    } else if let Some(w) = v.get("wisdom") {
        if w.is_null() {
            return Err("the answer holds no release (insufficient data for the niche)".into());
        }
        vec![w.clone()]
    } else {
        vec![v]
    };
    let mut book = WisdomBook::default();
    for (i, w) in list.into_iter().enumerate() {
        let w: NicheWisdom = serde_json::from_value(w)
            .map_err(|e| format!("releases[{i}]: not a wisdom release: {e}"))?;
        book.insert(w);
    }
    Ok(book)
}

/// `crosslearn score`.
pub fn score(file: &Path, out: Option<&Path>, wisdom: Option<&str>) -> Result<(), String> {
    let l = load_nonempty(file)?;
    let book = wisdom.map(read_wisdom).transpose()?;
    let priors: &dyn NichePriors = match &book {
        Some(b) => b,
        None => &NoPriors,
    };
    let niche = niche_model()?;
    let ctr = prelaunch_model()?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let header = [
        "record_id",
        "platform",
        "date",
        "niche",
        "niche_confidence",
        "hook_type",
        "cta_style",
        "impressions",
        "clicks",
        "observed_ctr",
        "observed_ctr_low",
        "observed_ctr_high",
        "predicted_ctr",
        "predicted_ctr_low",
        "predicted_ctr_high",
        "niche_prior_ctr",
        "network",
        "benchmark",
        "headline",
        "body",
    ];
    w.write_record(header).map_err(|e| e.to_string())?;
    let progress = bar(l.accepted.len(), "creatives scored");
    let mut with_prior = 0;
    for r in &l.accepted {
        let d = niche.detect(&ad_text(r));
        let mut attrs = CreativeAttributes::from(r);
        if attrs.niche.is_none() && d.niche != Niche::Unknown {
            attrs.niche = Some(d.niche);
        }
        let prior = attrs.niche.and_then(|n| priors.ctr_prior(n, r.platform));
        with_prior += usize::from(prior.is_some());
        let row = encode_creative(&attrs, priors)
            .map_err(|e| format!("{}: record {}: {e}", l.path, r.record_id))?;
        let s = ctr
            .score(&row)
            .map_err(|e| format!("{}: record {}: {e}", l.path, r.record_id))?;
        let [lo, hi] = wilson(r.clicks, r.impressions);
        // The network's own normalizer row, or an explicit "none" (never the class's row).
        let network = r
            .network
            .or_else(|| AdNetwork::of_class(r.platform))
            .unwrap_or(AdNetwork::Meta);
        let benchmark = if Benchmarks::seed().get_network(network).is_some() {
            "own"
        } else {
            "none"
        };
        let f = |x: f64| format!("{x:.6}");
        w.write_record([
            r.record_id.clone(),
            r.platform.as_str().to_string(),
            r.date_start.clone().unwrap_or_default(),
            attrs.niche.unwrap_or(Niche::Unknown).as_str().to_string(),
            format!("{:.3}", d.confidence),
            r.hook_type.as_str().to_string(),
            r.cta_style.as_str().to_string(),
            r.impressions.to_string(),
            r.clicks.to_string(),
            r.ctr().map(f).unwrap_or_default(),
            if r.impressions > 0 {
                f(lo)
            } else {
                String::new()
            },
            if r.impressions > 0 {
                f(hi)
            } else {
                String::new()
            },
            f(s.ctr),
            f(s.low),
            f(s.high),
            prior.map(f).unwrap_or_default(),
            network.as_str().to_string(),
            benchmark.to_string(),
            r.headline.clone(),
            r.body.clone(),
        ])
        .map_err(|e| e.to_string())?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    emit(out, &bytes)?;
    let dest = out.map_or("standard output".to_string(), |p| p.display().to_string());
    let wisdom_note = match (&book, wisdom) {
        (Some(b), Some(src)) => format!(
            "; wisdom {src}: {} release{}, niche prior for {with_prior} creatives",
            b.releases.len(),
            if b.releases.len() == 1 { "" } else { "s" }
        ),
        _ => "; no wisdom (no niche priors)".to_string(),
    };
    eprintln!(
        "{}: scored {} creatives ({} rows rejected) with {NICHE_MODEL_NAME} and {PRELAUNCH_MODEL_NAME} -> {dest}{wisdom_note}",
        l.path,
        l.accepted.len(),
        l.rejected.len()
    );
    Ok(())
}
