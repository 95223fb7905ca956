//! Agreement of the copy extractor with the hand-labelled sample `tests/data/copy_labels.csv`
//! (120 real Facebook/TikTok texts; see tests/data/copy_labels.md for how they were drawn and
//! labelled). Run `cargo test --test copy_agreement -- --nocapture` to print the figures.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::copy::extract_copy_attributes;

struct Row {
    id: String,
    split: String,
    headline: String,
    body: String,
    hook: String,
    cta: String,
}

fn rows() -> Vec<Row> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/copy_labels.csv");
    let mut r = csv::Reader::from_path(path).expect("labels file");
    r.records()
        .map(|rec| {
            let rec = rec.expect("well-formed labels file");
            let f = |i: usize| rec.get(i).expect("7 columns").to_string();
            Row {
                id: f(0),
                split: f(1),
                headline: f(3),
                body: f(4),
                hook: f(5),
                cta: f(6),
            }
        })
        .collect()
}

/// (hook agreements, cta agreements, n) for one split.
fn agreement(split: &str, show_misses: bool) -> (usize, usize, usize) {
    let (mut h, mut c, mut n) = (0, 0, 0);
    for row in rows().iter().filter(|r| r.split == split) {
        let a = extract_copy_attributes(&row.headline, &row.body);
        n += 1;
        let hook_ok = a.hook_type.as_str() == row.hook;
        let cta_ok = a.cta_style.as_str() == row.cta;
        h += usize::from(hook_ok);
        c += usize::from(cta_ok);
        if show_misses && (!hook_ok || !cta_ok) {
            println!(
                "#{} hook {} (label {}) cta {} (label {}): {:.80}",
                row.id, a.hook_type, row.hook, a.cta_style, row.cta, row.body
            );
        }
    }
    (h, c, n)
}

fn pct(k: usize, n: usize) -> f64 {
    100.0 * k as f64 / n as f64
}

#[test]
fn extractor_agrees_with_hand_labels() {
    let show = std::env::var("SHOW_DEV_MISSES").is_ok();
    let (dh, dc, dn) = agreement("dev", show);
    let (th, tc, tn) = agreement("test", false);
    println!(
        "copy extractor agreement with hand labels (n = {} dev + {} test):",
        dn, tn
    );
    println!(
        "  hook_type  dev {:.1}% ({dh}/{dn})  test {:.1}% ({th}/{tn})",
        pct(dh, dn),
        pct(th, tn)
    );
    println!(
        "  cta_style  dev {:.1}% ({dc}/{dn})  test {:.1}% ({tc}/{tn})",
        pct(dc, dn),
        pct(tc, tn)
    );
    assert_eq!((dn, tn), (60, 60));
    // Floors a little below the measured held-out figures (docs/data-layer.md).
    // Measured: hook 81.7 % (49/60), CTA 80.0 % (48/60) on test.
    assert!(
        pct(th, tn) >= 75.0,
        "hook agreement on test fell to {:.1}%",
        pct(th, tn)
    );
    assert!(
        pct(tc, tn) >= 75.0,
        "cta agreement on test fell to {:.1}%",
        pct(tc, tn)
    );
    // Dev floors guard against a rule change that only helps one split.
    assert!(pct(dh, dn) >= 85.0 && pct(dc, dn) >= 75.0);
}

#[test]
fn majority_class_baseline_for_context() {
    // Predicting the most frequent dev label for every test text.
    let rows = rows();
    let majority = |f: &dyn Fn(&Row) -> &str| {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for r in rows.iter().filter(|r| r.split == "dev") {
            match counts.iter_mut().find(|(k, _)| k == f(r)) {
                Some((_, n)) => *n += 1,
                None => counts.push((f(r).to_string(), 1)),
            }
        }
        counts
            .into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(k, _)| k)
            .unwrap_or_default()
    };
    let (mh, mc) = (majority(&|r| &r.hook), majority(&|r| &r.cta));
    let test: Vec<&Row> = rows.iter().filter(|r| r.split == "test").collect();
    let bh = test.iter().filter(|r| r.hook == mh).count();
    let bc = test.iter().filter(|r| r.cta == mc).count();
    println!(
        "  majority baseline on test: hook '{mh}' {:.1}%, cta '{mc}' {:.1}%",
        pct(bh, test.len()),
        pct(bc, test.len())
    );
    assert!(bh < test.len() && bc < test.len());
}
