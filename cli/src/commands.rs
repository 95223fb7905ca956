//! The commands other than `push`: import, score, niche, insights, wisdom, simulate.

use crate::http::{error_line, Client};
use crate::input::{ad_text, load, load_nonempty, rejection_lines, Loaded};
use crate::models::{niche_model, prelaunch_model, NICHE_MODEL_NAME, PRELAUNCH_MODEL_NAME};
use crate::ImportTarget;
use crosslearn::import::mcdm::write_mcdm;
use crosslearn::insights::{account_insights, AccountInsight, AttributeStat, InsightOptions};
use crosslearn::model::{encode_creative, CreativeAttributes, NichePriors, NoPriors};
use crosslearn::niche::{account_niche, Niche, NicheDetection, NicheScore};
use crosslearn::record::{CreativeRecord, RecordInput};
use crosslearn::wisdom::{NicheWisdom, WisdomBook};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Write `bytes` to `out`, or to standard output.
fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<(), String> {
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
fn bar(n: usize, what: &str) -> ProgressBar {
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

fn summary_line(l: &Loaded) -> String {
    format!(
        "{}: format {}, {} rows, {} accepted, {} rejected",
        l.path,
        l.format,
        l.rows,
        l.accepted.len(),
        l.rejected.len()
    )
}

/// `crosslearn import`.
pub fn import(
    files: &[std::path::PathBuf],
    to: Option<ImportTarget>,
    out: Option<&Path>,
    show: usize,
) -> Result<(), String> {
    let mut all: Vec<CreativeRecord> = Vec::new();
    let (mut rows, mut rejected) = (0usize, 0usize);
    // The report goes to stderr when the records themselves go to stdout.
    let to_stdout = to.is_some() && out.is_none();
    let mut report = String::new();
    for f in files {
        let l = load(f)?;
        report.push_str(&summary_line(&l));
        report.push('\n');
        let mut listed = 0;
        for r in &l.rejected {
            for line in rejection_lines(&l.path, r) {
                if listed < show {
                    report.push_str(&format!("  rejected {line}\n"));
                }
                listed += 1;
            }
        }
        if listed > show {
            report.push_str(&format!("  ... {} more issues (--show N)\n", listed - show));
        }
        for w in &l.warnings {
            report.push_str(&format!("  warning: {w}\n"));
        }
        for u in &l.unrecoverable {
            report.push_str(&format!("  not in this format: {u}\n"));
        }
        rows += l.rows;
        rejected += l.rejected.len();
        all.extend(l.accepted);
    }
    let write_report = |s: &str| -> Result<(), String> {
        if to_stdout {
            eprint!("{s}");
            Ok(())
        } else {
            crate::out!("{s}")
        }
    };
    write_report(&report)?;
    write_import(to, out, &all, write_report)?;
    // Bad rows make the run fail (after the accepted records were written), so a script can stop.
    if rejected > 0 {
        return Err(format!(
            "{rejected} of {rows} rows rejected (listed above); the {} accepted were kept",
            all.len()
        ));
    }
    Ok(())
}

fn write_import(
    to: Option<ImportTarget>,
    out: Option<&Path>,
    all: &[CreativeRecord],
    write_report: impl Fn(&str) -> Result<(), String>,
) -> Result<(), String> {
    match to {
        None => Ok(()),
        Some(ImportTarget::RecordsJson) => {
            let inputs = all
                .iter()
                .map(|r| record_json(&RecordInput::from(r)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut json = serde_json::to_vec_pretty(&serde_json::json!({ "records": inputs }))
                .map_err(|e| format!("records JSON: {e}"))?;
            json.push(b'\n');
            emit(out, &json)?;
            if let Some(p) = out {
                write_report(&format!("wrote {} records to {}\n", all.len(), p.display()))?;
            }
            Ok(())
        }
        Some(ImportTarget::Mcdm) => {
            let t = write_mcdm(all);
            emit(out, t.csv.as_bytes())?;
            let dest = out.map_or("standard output".to_string(), |p| p.display().to_string());
            let mut msg = format!(
                "wrote {} MCDM paid_ads__basic_performance rows to {dest}",
                t.rows
            );
            if t.rounded_money > 0 {
                msg.push_str(&format!(
                    "; {} spend/revenue values rounded to whole units (MCDM types money as int64; --to records-json keeps them exact)",
                    t.rounded_money
                ));
            }
            write_report(&format!("{msg}\n"))?;
            Ok(())
        }
    }
}

/// A record input as a JSON object without its absent (null) fields: the same record, smaller.
pub fn record_json(input: &RecordInput) -> Result<serde_json::Value, String> {
    let mut v = serde_json::to_value(input).map_err(|e| format!("records JSON: {e}"))?;
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, x| !x.is_null());
    }
    Ok(v)
}

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
pub fn parse_wisdom(text: &str) -> Result<WisdomBook, String> {
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

/// `crosslearn simulate` (the former `crosslearn simulate` of the core's binary, same output).
pub fn simulate(
    seed: u64,
    accounts: u32,
    effect_scale: Option<f64>,
    out: &Path,
) -> Result<(), String> {
    use crosslearn::sim::{generate_network, network_digest, SimOptions};
    let net = generate_network(&SimOptions {
        seed,
        accounts,
        effect_scale,
    })
    .map_err(|e| e.to_string())?;
    let json = serde_json::to_vec_pretty(&net).map_err(|e| e.to_string())?;
    std::fs::write(out, json).map_err(|e| format!("{}: cannot write: {e}", out.display()))?;
    crate::outln!("{}", net.label)?;
    crate::outln!(
        "parameters {} (FNV-1a 64 {})",
        net.params_version,
        net.params_hash
    )?;
    crate::outln!(
        "seed {seed}, effect_scale {}, {} accounts, {} records",
        net.effect_scale,
        net.accounts.len(),
        net.records.len()
    )?;
    crate::outln!(
        "network digest {:016x} -> {}",
        network_digest(&net),
        out.display()
    )?;
    Ok(())
}
