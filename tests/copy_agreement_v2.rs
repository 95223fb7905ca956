//! Agreement of the copy extractor with the second hand-labelled set,
//! `tests/data/copy_labels_v2.csv`: 335 served ads from 317 (source, advertiser) groups, labelled
//! by the written rules `v2` (tests/data/copy_labels.md), split by advertiser into `tune` and
//! `holdout` before any rule was changed. The texts are read from `../shared/data` by id.
//!
//! `cargo test --test copy_agreement_v2 -- --nocapture` prints the table (rules v1 and v2, both
//! parts, per attribute); `SHOW_TUNE_MISSES=1` also lists the v2 misses on the tuning part (never
//! the held-out part).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::copy::{CopyExtractor, CopyRules};
use crosslearn::hash::fnv1a64;
use std::collections::HashMap;

struct Row {
    id: String,
    source: String,
    /// `v2` (copy_labels_v2.csv), `v2b` (copy_labels_v2b.csv) or `v2c` (copy_labels_v2c.csv,
    /// tuning rows only).
    set: &'static str,
    part: String,
    headline: String,
    body: String,
    hook: String,
    cta: String,
}

fn data(name: &str) -> String {
    format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Text by id: corpus ids, and `fnv1a64(platform \x1f headline \x1f body)` in hex for export rows.
fn texts() -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    let mut r = csv::Reader::from_path(data("ad_copy_corpus.csv")).expect("ad_copy_corpus.csv");
    for rec in r.records() {
        let rec = rec.expect("well-formed corpus");
        let (id, source, text) = (&rec[0], &rec[1], &rec[3]);
        let (head, body) = if source == "yt_kids_preroll" {
            // YouTube shows the title first: the part before the first " — ".
            (
                text.split(" — ").next().unwrap_or(text).to_string(),
                String::new(),
            )
        } else {
            (String::new(), text.to_string())
        };
        out.insert(id.to_string(), (head, body));
    }
    let mut export = |file: &str, platform: &str, head_col: Option<&str>, body_col: &str| {
        let mut r = csv::Reader::from_path(data(file)).expect("export file");
        let header = r.headers().expect("header").clone();
        let col = |name: &str| header.iter().position(|h| h == name).expect("column");
        let (hi, bi) = (head_col.map(col), col(body_col));
        for rec in r.records() {
            let rec = rec.expect("well-formed export");
            let head = hi.map_or("", |i| rec[i].trim());
            let body = rec[bi].trim();
            let key = format!("{platform}\x1f{head}\x1f{body}");
            let id = format!("{:016x}", fnv1a64(key.as_bytes()));
            out.insert(id, (head.to_string(), body.to_string()));
        }
    };
    export(
        "src_ads_creative_facebook_all_data.csv",
        "facebook",
        Some("creative_title"),
        "creative_body",
    );
    export("src_ads_tiktok_ads_all_data.csv", "tiktok", None, "ad_text");
    out
}

fn rows() -> Vec<Row> {
    let texts = texts();
    let mut out = Vec::new();
    for (set, file) in [
        ("v2", "copy_labels_v2.csv"),
        ("v2b", "copy_labels_v2b.csv"),
        ("v2c", "copy_labels_v2c.csv"),
    ] {
        let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
        let mut r = csv::Reader::from_path(path).expect("labels file");
        for rec in r.records() {
            let rec = rec.expect("well-formed labels file");
            let f = |i: usize| rec.get(i).expect("6 columns").to_string();
            let (headline, body) = texts
                .get(&f(0))
                .cloned()
                .unwrap_or_else(|| panic!("no text for id {}", f(0)));
            out.push(Row {
                id: f(0),
                source: f(1),
                set,
                part: f(3),
                headline,
                body,
                hook: f(4),
                cta: f(5),
            });
        }
    }
    out
}

/// (hook agreements, CTA agreements, n) of `rules` on one part.
fn agreement(
    rows: &[&Row],
    part: &str,
    rules: CopyRules,
    show_misses: bool,
) -> (usize, usize, usize) {
    let mut x = CopyExtractor::with_rules(rules);
    let (mut h, mut c, mut n) = (0, 0, 0);
    for row in rows.iter().filter(|r| r.part == part) {
        let a = x.extract(&row.headline, &row.body);
        n += 1;
        let hook_ok = a.hook_type.as_str() == row.hook;
        let cta_ok = a.cta_style.as_str() == row.cta;
        h += usize::from(hook_ok);
        c += usize::from(cta_ok);
        if show_misses && (!hook_ok || !cta_ok) {
            let text = if row.body.is_empty() {
                &row.headline
            } else {
                &row.body
            };
            println!(
                "{} {}: hook {} (label {}) cta {} (label {}): {:.110}",
                row.id, row.source, a.hook_type, row.hook, a.cta_style, row.cta, text
            );
        }
    }
    (h, c, n)
}

fn pct(k: usize, n: usize) -> f64 {
    100.0 * k as f64 / n as f64
}

/// The rows of `set` (`v2`, `v2b`, or `all` for both).
fn of_set<'a>(rows: &'a [Row], set: &str) -> Vec<&'a Row> {
    rows.iter()
        .filter(|r| set == "all" || r.set == set)
        .collect()
}

#[test]
fn agreement_table_and_held_out_floors() {
    let rows = rows();
    assert_eq!(rows.len(), 335 + 230 + 147);
    let show = std::env::var("SHOW_TUNE_MISSES").is_ok();
    // While tuning, `TUNING=1` keeps the held-out figures out of sight.
    let tuning = std::env::var("TUNING").is_ok();
    println!(
        "copy extractor agreement with hand labels v2 (copy_labels_v2.csv, _v2b.csv, _v2c.csv):"
    );
    println!("  set   rules  part      n    hook_type         cta_style");
    let mut measured = HashMap::new();
    for set in ["v2", "v2b", "v2c", "all"] {
        let rows = of_set(&rows, set);
        for (rules, name) in [(CopyRules::V1, "v1"), (CopyRules::V2, "v2")] {
            for part in ["tune", "holdout"] {
                if (tuning || set == "v2c") && part == "holdout" {
                    continue;
                }
                let show_misses = show && part == "tune" && name == "v2" && set != "all";
                let (h, c, n) = agreement(&rows, part, rules, show_misses);
                let (hl, hh) = wilson(h, n);
                let (cl, ch) = wilson(c, n);
                println!(
                    "  {set:<5} {name}     {part:<8} {n:>3}   {:>5.1} % ({h:>3}; {hl:.0}-{hh:.0})   {:>5.1} % ({c:>3}; {cl:.0}-{ch:.0})",
                    pct(h, n),
                    pct(c, n)
                );
                if name == "v2" {
                    measured.insert((set, part), (h, c, n));
                }
            }
        }
        for part in ["tune", "holdout"] {
            if (tuning || set == "v2c") && part == "holdout" {
                continue;
            }
            let (mh, mc) = majority(&rows, part);
            println!("  {set:<5} majority label on {part}: hook {mh:.1} %, cta {mc:.1} %");
        }
    }
    if tuning {
        return;
    }
    // Floors three texts below the measured v2 figures (docs/data-layer.md): a rule change that
    // loses more fails here.
    let floors = [
        (("v2", "holdout"), 131, 111, 110),
        (("v2", "tune"), 204, 189, 190),
        (("v2b", "holdout"), 86, 54, 75),
        (("v2b", "tune"), 144, 117, 125),
        (("v2c", "tune"), 147, 109, 134),
    ];
    for (key, n_want, h_min, c_min) in floors {
        let (h, c, n) = measured[&key];
        assert_eq!(n, n_want, "{key:?} rows");
        assert!(
            h >= h_min && c >= c_min,
            "{key:?} agreement fell to hook {h}/{n}, CTA {c}/{n}"
        );
    }
}

/// 95 % Wilson score interval of k/n, in percent.
fn wilson(k: usize, n: usize) -> (f64, f64) {
    let (k, n, z) = (k as f64, n as f64, 1.96_f64);
    let p = k / n;
    let d = 1.0 + z * z / n;
    let c = p + z * z / (2.0 * n);
    let r = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    (100.0 * (c - r) / d, 100.0 * (c + r) / d)
}

/// Agreement of "always the most frequent tune label" on `part` (hook, CTA), for context.
fn majority(rows: &[&Row], part: &str) -> (f64, f64) {
    let top = |f: &dyn Fn(&Row) -> &str| {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for r in rows.iter().filter(|r| r.part == "tune") {
            *counts.entry(f(r)).or_default() += 1;
        }
        let best = counts
            .into_iter()
            .max_by_key(|&(k, n)| (n, std::cmp::Reverse(k)))
            .map(|(k, _)| k.to_string())
            .unwrap_or_default();
        let hits = rows
            .iter()
            .filter(|r| r.part == part && f(r) == best)
            .count();
        let n = rows.iter().filter(|r| r.part == part).count();
        pct(hits, n)
    };
    (top(&|r| &r.hook), top(&|r| &r.cta))
}

#[test]
fn v2_also_reads_the_simulator_templates_as_intended() {
    // v1 is what the frozen simulator is checked against (tests/simulator.rs); v2 agreeing too
    // means switching a reader to v2 does not change the attributes of simulated copy.
    use crosslearn::copy::extract_copy_attributes_v2;
    use crosslearn::sim::{generate_network, SimOptions};
    let n = generate_network(&SimOptions {
        seed: 3,
        accounts: 60,
        effect_scale: None,
    })
    .expect("simulated network");
    let bad: Vec<String> = n
        .records
        .iter()
        .filter_map(|r| {
            let a = extract_copy_attributes_v2(&r.headline, &r.body);
            (a.hook_type != r.hook_type || a.cta_style != r.cta_style).then(|| {
                format!(
                    "{}/{} for {}/{}: {} | {}",
                    a.hook_type, a.cta_style, r.hook_type, r.cta_style, r.headline, r.body
                )
            })
        })
        .collect();
    assert!(bad.is_empty(), "{} disagree, first: {}", bad.len(), bad[0]);
}

#[test]
fn v2_reads_real_corpus_and_export_texts() {
    // No panic on real texts (styled Unicode, emoji, many languages; every 8th of the 27k, in
    // id order, to keep the debug-build test short), and the same signals as v1: only hook and
    // CTA depend on the rules.
    let mut v1 = CopyExtractor::with_rules(CopyRules::V1);
    let mut v2 = CopyExtractor::with_rules(CopyRules::V2);
    let texts = texts();
    assert!(texts.len() > 27_000);
    let mut ids: Vec<&String> = texts.keys().collect();
    ids.sort();
    for (head, body) in ids.iter().step_by(8).map(|id| &texts[*id]) {
        let (a, b) = (v1.extract(head, body), v2.extract(head, body));
        assert_eq!(
            (a.char_count, a.word_count, a.emoji_count, a.has_urgency),
            (b.char_count, b.word_count, b.emoji_count, b.has_urgency)
        );
    }
}
