//! `crosslearn import`: report every file, write the accepted records as MCDM or records JSON.

use super::{emit, record_json};
use crate::input::{load_with, read_mapping, rejection_lines, Loaded};
use crate::ImportTarget;
use crosslearn::import::mcdm::write_mcdm;
use crosslearn::record::{CreativeRecord, RecordInput};
use std::path::Path;

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
    mapping: Option<&Path>,
) -> Result<(), String> {
    let mapping = mapping.map(read_mapping).transpose()?;
    let mut all: Vec<CreativeRecord> = Vec::new();
    let (mut rows, mut rejected) = (0usize, 0usize);
    // The report goes to stderr when the records themselves go to stdout.
    let to_stdout = to.is_some() && out.is_none();
    let mut report = String::new();
    for f in files {
        let l = load_with(f, mapping.as_ref())?;
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
        if let Some(line) = currency_line(&l.accepted) {
            report.push_str(&format!("  {line}\n"));
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

/// The file's currencies, and a warning when one account's records are in more than one.
fn currency_line(records: &[CreativeRecord]) -> Option<String> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut by_account: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in records {
        if let Some(c) = &r.currency {
            by_account.entry(&r.account_id).or_default().insert(c);
        }
    }
    let all: BTreeSet<&str> = by_account.values().flatten().copied().collect();
    if all.is_empty() {
        return None;
    }
    let mixed: Vec<&str> = by_account
        .iter()
        .filter(|(_, c)| c.len() > 1)
        .map(|(a, _)| *a)
        .collect();
    let list = all.into_iter().collect::<Vec<_>>().join(", ");
    Some(if mixed.is_empty() {
        format!("currency: {list} (kept on each record)")
    } else {
        format!(
            "currency: {list}; WARNING: account(s) {} have records in more than one currency \
             (kept on each record; amounts are never converted)",
            mixed.join(", ")
        )
    })
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
            if t.currencies.len() > 1 {
                msg.push_str(&format!(
                    "; WARNING: the records are in {} currencies ({}) and MCDM has no currency \
                     column: do not sum its spend/revenue across them (--to records-json keeps \
                     each record's currency)",
                    t.currencies.len(),
                    t.currencies.join(", ")
                ));
            }
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
