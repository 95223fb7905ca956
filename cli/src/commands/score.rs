//! `crosslearn score`: the scored CSV, and reading a published release (`--wisdom`).

use super::{bar, emit};
use crate::http::{error_line, Client};
use crate::input::{ad_text, load_nonempty};
use crate::models::{ctr_model, niche_model, CTR_MODEL_NAME, NICHE_MODEL_NAME};
use crosslearn::benchmarks::Benchmarks;
use crosslearn::model::grounded::{personalise, CreativeObs, GroundedModel};
use crosslearn::model::CreativeAttributes;
use crosslearn::network::AdNetwork;
use crosslearn::niche::Niche;
use crosslearn::platform::Platform;
use crosslearn::wisdom::suffstat::PosteriorTable;
use crosslearn::wisdom::{NicheWisdom, WisdomBook};
use std::collections::BTreeMap;
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

/// Published releases as the CLI reads them: the format-1 releases and the format-2 posterior
/// tables given beside them (the Worker's answers carry both).
#[derive(Debug, Default)]
pub struct ReleaseSet {
    /// Format-1 releases, at most one per niche.
    pub book: WisdomBook,
    /// Format-2 posterior tables (`posteriors`), in the order given.
    pub tables: Vec<PosteriorTable>,
}

/// Read a published release: a JSON file or an http(s) URL (the Worker's bulk endpoint is
/// used when the URL has no path).
pub fn read_wisdom(source: &str) -> Result<ReleaseSet, String> {
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
    parse_release_set(&text).map_err(|e| format!("{name}: {e}"))
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
    parse_release_set(text).map(|s| s.book)
}

/// [`parse_wisdom`], with the format-2 posterior tables of the Worker's answers (the bulk
/// answer's `posteriors` array, the per-niche answer's `posteriors` object) beside the book.
pub(crate) fn parse_release_set(text: &str) -> Result<ReleaseSet, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("line {}: not valid JSON: {e}", e.line()))?;
    let tables: Vec<serde_json::Value> = match v.get("posteriors") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(t) => vec![t.clone()],
    };
    let tables = tables
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::from_value::<PosteriorTable>(t)
                .map_err(|e| format!("posteriors[{i}]: not a format-2 posterior table: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
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
    Ok(ReleaseSet { book, tables })
}

/// `crosslearn score`. With `personal`, each account's creatives are scored by the model
/// personalised on that account's own records in the file (in-sample: a record's own result is
/// among those the model learned from).
pub fn score(
    file: &Path,
    out: Option<&Path>,
    wisdom: Option<&str>,
    personal: bool,
) -> Result<(), String> {
    let l = load_nonempty(file)?;
    let releases = wisdom.map(read_wisdom).transpose()?;
    let niche = niche_model()?;
    let population = ctr_model()?;
    let real = population.provenance.real_creatives();
    // The same model the editor and the Worker use: the release's base rates and, per niche, its
    // format-2 posteriors as effect priors.
    let ctr = match &releases {
        Some(s) => population
            .on_releases(&s.book.releases, &s.tables, None)
            .map_err(|e| format!("{}: {e}", wisdom.unwrap_or_default()))?,
        None => population,
    };
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
    let read: Vec<_> = l
        .accepted
        .iter()
        .map(|r| {
            let d = niche.detect(&ad_text(r));
            let mut attrs = CreativeAttributes::from(r);
            if attrs.niche.is_none() && d.niche != Niche::Unknown {
                attrs.niche = Some(d.niche);
            }
            (d, attrs)
        })
        .collect();
    // Per account, the model personalised on its own records (same attributes as scored).
    let mut personalised: BTreeMap<&str, GroundedModel> = BTreeMap::new();
    let (mut used, mut skipped) = (0, 0);
    if personal {
        let mut by_account: BTreeMap<&str, Vec<CreativeObs>> = BTreeMap::new();
        for (r, (_, attrs)) in l.accepted.iter().zip(&read) {
            by_account
                .entry(r.account_id.as_str())
                .or_default()
                .push(CreativeObs {
                    account: r.account_id.clone(),
                    attrs: attrs.clone(),
                    impressions: r.impressions,
                    clicks: r.clicks,
                });
        }
        for (account, obs) in by_account {
            let p = personalise(&ctr, &obs)
                .map_err(|e| format!("{}: account {account}: {e}", l.path))?;
            used += p.used;
            skipped += p.skipped.len();
            if p.used > 0 {
                personalised.insert(account, p.model);
            }
        }
    }
    let progress = bar(l.accepted.len(), "creatives scored");
    let (mut with_prior, mut unscored) = (0, 0);
    for (r, (d, attrs)) in l.accepted.iter().zip(read) {
        let model = personalised.get(r.account_id.as_str()).unwrap_or(&ctr);
        let prior = releases
            .as_ref()
            .and_then(|s| attrs.niche.and_then(|n| s.book.ctr_prior(n, r.platform)));
        with_prior += usize::from(prior.is_some());
        // The model has a base rate for every known platform; an unknown one leaves the
        // prediction empty, counted in the summary.
        let s = if r.platform == Platform::Unknown {
            unscored += 1;
            None
        } else {
            Some(
                model
                    .predict(&attrs)
                    .map_err(|e| format!("{}: record {}: {e}", l.path, r.record_id))?,
            )
        };
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
            s.map(|s| f(s.ctr)).unwrap_or_default(),
            s.map(|s| f(s.low)).unwrap_or_default(),
            s.map(|s| f(s.high)).unwrap_or_default(),
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
    let wisdom_note =
        match (&releases, wisdom) {
            (Some(s), Some(src)) => {
                let ids = ctr.release_ids();
                format!(
                "; wisdom {src}: {} release{}, niche prior for {with_prior} creatives; the model \
                 uses {}",
                s.book.releases.len(),
                if s.book.releases.len() == 1 { "" } else { "s" },
                if ids.is_empty() {
                    "no release (none published a usable base rate or posterior)".to_string()
                } else {
                    format!("release{} {}", if ids.len() == 1 { "" } else { "s" }, ids.join(", "))
                }
            )
            }
            _ => "; no wisdom (no niche priors)".to_string(),
        };
    let personal_note = if personal {
        format!(
            "; personalised on each account's own records in the file ({} of {} accounts, {used} \
             records used, {skipped} skipped; in-sample)",
            personalised.len(),
            l.accepted
                .iter()
                .map(|r| r.account_id.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        )
    } else {
        String::new()
    };
    let unscored_note = if unscored > 0 {
        format!("; {unscored} creatives on an unknown platform have no prediction")
    } else {
        String::new()
    };
    eprintln!(
        "{}: scored {} creatives ({} rows rejected) with {NICHE_MODEL_NAME} and {CTR_MODEL_NAME} \
         (fitted to {real} REAL creatives) -> {dest}{wisdom_note}{personal_note}{unscored_note}",
        l.path,
        l.accepted.len(),
        l.rejected.len()
    );
    Ok(())
}
