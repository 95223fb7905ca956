//! Evaluate niche detection and print markdown tables (the numbers in docs/niche.md):
//! `cargo run --release --bin eval-niche -- --data ../shared/data --model models/niche-v1.bin`.
//!
//! 1. Held-out split of the public sources (snippets of the `test` groups): the given model vs
//!    the original's keyword method (`Seed`) vs the corrected word-boundary keywords.
//! 2. Grouped cross-validation by advertiser of all hand-labelled ad copy (the Facebook/TikTok
//!    creatives and the advertiser-labelled corpus): each fold's advertisers are scored by a
//!    student trained (same recipe, same flags) without them. Side by side: the original keyword
//!    method, the corrected keywords, the given model (`--model`, trained without the corpus
//!    labels), the student and, when `--teacher` names a file, the teacher's cross-validation
//!    predictions (written by the teacher crate from the same folds). Reported on served ad copy
//!    per source, English / non-English, per niche (precision, recall, F1), confusion pairs, ECE.
//! 3. Account level: an advertiser's niche from 1, 3 or 10 of its served ads (advertisers with at
//!    least that many distinct ads; 5 seeded draws each), accuracy and ECE of the confidence.
//!
//! `--write-folds path` only writes `id,group,fold,niche` of every corpus text (the teacher's
//! input) and exits.
//! Set `EVAL_NICHE_DUMP=path.tsv` to also write the per-ad predictions of the cross-validation.

#[path = "common/niche_cli.rs"]
#[allow(dead_code)]
mod cli;

use crosslearn::niche::corpus::adcorpus::is_english;
use crosslearn::niche::corpus::csv::{get, Table};
use crosslearn::niche::corpus::recipe::test_snippets;
use crosslearn::niche::corpus::{fold_of, is_holdout, Doc, Source};
use crosslearn::niche::eval::{ece, labels, report, Report};
use crosslearn::niche::keyword::corrected_keyword_niche;
use crosslearn::niche::train::SplitMix64;
use crosslearn::niche::{
    combine_declared, pool_account, seed_keyword_niche, Niche, NicheDetection, NicheModel,
    ACCOUNT_SHARPENING, DECLARED_TRUST,
};
use std::collections::BTreeMap;

/// The most likely real niche, even when the answer is `unknown`.
fn top_niche(d: &NicheDetection) -> Niche {
    if d.niche == Niche::Unknown {
        d.alternatives.first().map_or(Niche::Unknown, |a| a.niche)
    } else {
        d.niche
    }
}

/// Predictions of one method plus (confidence, correct) pairs for the classifier.
struct Scored {
    gold: Vec<Niche>,
    model: Vec<Niche>,
    seed: Vec<Niche>,
    corrected: Vec<Niche>,
    calibration: Vec<(f64, bool)>,
    uncalibrated: Vec<(f64, bool)>,
}

impl Scored {
    fn new() -> Self {
        Scored {
            gold: Vec::new(),
            model: Vec::new(),
            seed: Vec::new(),
            corrected: Vec::new(),
            calibration: Vec::new(),
            uncalibrated: Vec::new(),
        }
    }

    fn add(&mut self, model: &NicheModel, raw: &NicheModel, text: &str, gold: Niche) {
        let d = model.detect(text);
        self.gold.push(gold);
        self.model.push(d.niche);
        self.seed.push(seed_keyword_niche(&[text], &[]).niche);
        self.corrected.push(corrected_keyword_niche(text).niche);
        self.calibration.push((d.confidence, top_niche(&d) == gold));
        let r = raw.detect(text);
        self.uncalibrated
            .push((r.confidence, top_niche(&r) == gold));
    }
}

fn summary(name: &str, s: &Scored) {
    let rows: [(&str, Report); 3] = [
        ("classifier", report(&s.gold, &s.model)),
        ("keywords, seed (original)", report(&s.gold, &s.seed)),
        ("keywords, corrected", report(&s.gold, &s.corrected)),
    ];
    println!("\n### {name}: {} items\n", s.gold.len());
    println!("| method | accuracy | macro-F1 |\n|---|---:|---:|");
    for (m, r) in &rows {
        println!("| {m} | {:.3} | {:.3} |", r.accuracy, r.macro_f1);
    }
    println!(
        "\nClassifier ECE (15 bins, top real niche): {:.3} calibrated, {:.3} with T = 1.\n",
        ece(&s.calibration, 15),
        ece(&s.uncalibrated, 15)
    );
    println!(
        "| niche | support | F1 classifier | F1 seed | F1 corrected | predicted (classifier) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, label) in labels().iter().enumerate() {
        let (c, k, w) = (&rows[0].1, &rows[1].1, &rows[2].1);
        let sc = c.per_label[i];
        if sc.support == 0 && sc.predicted == 0 {
            continue;
        }
        println!(
            "| {label} | {} | {:.3} | {:.3} | {:.3} | {} |",
            sc.support, sc.f1, k.per_label[i].f1, w.per_label[i].f1, sc.predicted
        );
    }
}

/// 16 probabilities: the 15 niches in `Niche::ALL` order, then `other`.
type Probs = [f32; 16];

/// A named method's probabilities of an item (`None`: the method has no prediction for it).
type Method = (&'static str, fn(&Item) -> Option<Probs>);

/// The decision rule of the classifier on a 16-probability vector: the top real niche when its
/// probability is at least `tau` and at least `p(other)`, else `unknown`. Returns the answer
/// and the top real niche's probability.
fn decide16(p: &Probs, tau: f32) -> (Niche, f64) {
    let mut best = 0;
    for i in 1..15 {
        if p[i] > p[best] {
            best = i;
        }
    }
    let niche = if p[best] >= tau && p[best] >= p[15] {
        Niche::ALL[best]
    } else {
        Niche::Unknown
    };
    (niche, f64::from(p[best]))
}

fn top16(p: &Probs) -> Niche {
    let mut best = 0;
    for i in 1..15 {
        if p[i] > p[best] {
            best = i;
        }
    }
    Niche::ALL[best]
}

fn model_probs(m: &NicheModel, text: &str) -> Probs {
    let e = m.encode(text);
    let mut out = [0f32; 16];
    if !e.has_words {
        return out;
    }
    for (class, p) in m.classes().iter().zip(m.class_probabilities(&e)) {
        match class.and_then(Niche::index) {
            Some(i) => out[i] = p,
            None => out[15] += p,
        }
    }
    out
}

/// Teacher cross-validation file: `id,probs` with 16 space-separated probabilities.
fn parse_teacher(text: &str) -> Result<BTreeMap<String, Probs>, String> {
    let mut out = BTreeMap::new();
    if text.trim().is_empty() {
        return Ok(out);
    }
    let t = Table::parse(text).map_err(|e| e.to_string())?;
    let (i, p) = (
        t.column("id").map_err(|e| e.to_string())?,
        t.column("probs").map_err(|e| e.to_string())?,
    );
    for (n, row) in t.rows().iter().enumerate() {
        let v: Vec<f32> = get(row, p)
            .split(' ')
            .map(|x| x.parse::<f32>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("teacher[{n}].probs: not 16 numbers"))?;
        let arr: Probs = v
            .try_into()
            .map_err(|_| format!("teacher[{n}].probs: not 16 numbers"))?;
        out.insert(get(row, i).to_string(), arr);
    }
    Ok(out)
}

/// One evaluated ad of the cross-validation.
struct Item {
    source: &'static str,
    served: bool,
    english: bool,
    group: String,
    gold: Niche,
    seed: Niche,
    corrected: Niche,
    shipped: Probs,
    student: Probs,
    teacher: Option<Probs>,
}

const METHODS: [&str; 5] = [
    "keywords, seed (original)",
    "keywords, corrected",
    "given model (--model)",
    "student (CV)",
    "teacher (CV)",
];

/// Predictions of every method for the items (teacher: `None` when an item has no teacher row).
fn predictions(items: &[&Item], tau: f32) -> [Vec<Option<(Niche, f64)>>; 5] {
    let mut out: [Vec<Option<(Niche, f64)>>; 5] = Default::default();
    for it in items {
        out[0].push(Some((it.seed, 0.0)));
        out[1].push(Some((it.corrected, 0.0)));
        out[2].push(Some(decide16(&it.shipped, tau)));
        out[3].push(Some(decide16(&it.student, tau)));
        out[4].push(it.teacher.as_ref().map(|p| decide16(p, tau)));
    }
    out
}

fn method_reports(items: &[&Item], tau: f32) -> Vec<(usize, Report)> {
    let gold: Vec<Niche> = items.iter().map(|i| i.gold).collect();
    predictions(items, tau)
        .iter()
        .map(|preds| {
            let (g, p): (Vec<Niche>, Vec<Niche>) = gold
                .iter()
                .zip(preds)
                .filter_map(|(g, p)| p.map(|p| (*g, p.0)))
                .unzip();
            (g.len(), report(&g, &p))
        })
        .collect()
}

fn cell(n: usize, r: &Report) -> String {
    if n == 0 {
        "–".to_string()
    } else {
        format!("{:.3} / {:.3}", r.accuracy, r.macro_f1)
    }
}

fn table_by(title: &str, items: &[&Item], tau: f32, key: impl Fn(&Item) -> String) {
    let mut groups: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
    for it in items {
        groups.entry(key(it)).or_default().push(it);
    }
    groups.insert("all".to_string(), items.to_vec());
    println!("\n#### {title} (accuracy / macro-F1)\n");
    println!("| subset | ads | advertisers | {} |", METHODS.join(" | "));
    println!("|---|---:|---:|{}", "---:|".repeat(METHODS.len()));
    for (name, its) in &groups {
        let advertisers: std::collections::BTreeSet<&str> =
            its.iter().map(|i| i.group.as_str()).collect();
        let reps = method_reports(its, tau);
        let cells: Vec<String> = reps.iter().map(|(n, r)| cell(*n, r)).collect();
        println!(
            "| {name} | {} | {} | {} |",
            its.len(),
            advertisers.len(),
            cells.join(" | ")
        );
    }
}

fn per_niche(items: &[&Item], tau: f32) {
    let reps = method_reports(items, tau);
    println!("\n#### Per niche, served corpus ads (P / R / F1)\n");
    println!("| niche | support | student P | student R | student F1 | teacher F1 | given model F1 | seed F1 | corrected F1 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (i, label) in labels().iter().enumerate() {
        let s = reps[3].1.per_label[i];
        if s.support == 0 && s.predicted == 0 {
            continue;
        }
        let teacher = if reps[4].0 == 0 {
            "–".to_string()
        } else {
            format!("{:.3}", reps[4].1.per_label[i].f1)
        };
        println!(
            "| {label} | {} | {:.3} | {:.3} | {:.3} | {teacher} | {:.3} | {:.3} | {:.3} |",
            s.support,
            s.precision,
            s.recall,
            s.f1,
            reps[2].1.per_label[i].f1,
            reps[0].1.per_label[i].f1,
            reps[1].1.per_label[i].f1
        );
    }
}

fn confusions(items: &[&Item], tau: f32, method: usize) {
    let preds = predictions(items, tau);
    let mut pairs: BTreeMap<(Niche, Niche), usize> = BTreeMap::new();
    for (it, p) in items.iter().zip(&preds[method]) {
        if let Some((p, _)) = p {
            if *p != it.gold {
                *pairs.entry((it.gold, *p)).or_default() += 1;
            }
        }
    }
    let mut v: Vec<_> = pairs.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!(
        "\n#### Most frequent confusions, {} (gold -> predicted)\n",
        METHODS[method]
    );
    println!("| gold | predicted | ads |\n|---|---|---:|");
    for ((g, p), n) in v.into_iter().take(15) {
        println!("| {g} | {p} | {n} |");
    }
}

fn calibration(items: &[&Item], tau: f32) {
    println!("\n#### Calibration on served corpus ads (ECE, 15 bins, top real niche)\n");
    println!("| method | ECE | mean confidence | top real niche correct |\n|---|---:|---:|---:|");
    for (name, f) in [
        (
            "given model",
            (|i: &Item| Some(i.shipped)) as fn(&Item) -> Option<Probs>,
        ),
        ("student (CV)", |i: &Item| Some(i.student)),
        ("teacher (CV)", |i: &Item| i.teacher),
    ] {
        let pairs: Vec<(f64, bool)> = items
            .iter()
            .filter_map(|i| f(i).map(|p| (decide16(&p, tau).1, top16(&p) == i.gold)))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        let n = pairs.len() as f64;
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            ece(&pairs, 15),
            pairs.iter().map(|p| p.0).sum::<f64>() / n,
            pairs.iter().filter(|p| p.1).count() as f64 / n
        );
    }
}

/// One account draw: the parity of its group's hash (for cross-fitting), its ads' probabilities,
/// the gold label index (15 = other).
type Draw = (bool, Vec<Vec<f32>>, usize);

fn gold_index(n: Niche) -> usize {
    n.index().unwrap_or(15)
}

fn pooled(d: &Draw, gamma: f32) -> Probs {
    let v = pool_account(&d.1, gamma);
    let mut p = [0f32; 16];
    p.copy_from_slice(&v);
    p
}

fn account_nll(draws: &[&Draw], gamma: f32) -> f64 {
    draws
        .iter()
        .map(|d| -f64::from(pooled(d, gamma)[d.2].max(1e-6)).ln())
        .sum::<f64>()
        / draws.len().max(1) as f64
}

/// The sharpening `γ` in [0, 4] minimizing the NLL of the draws (golden-section search).
fn fit_gamma(draws: &[&Draw]) -> f32 {
    let (mut lo, mut hi) = (0f32, 4f32);
    let g = (5f32.sqrt() - 1.0) / 2.0;
    for _ in 0..40 {
        let (c, d) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if account_nll(draws, c) < account_nll(draws, d) {
            hi = d;
        } else {
            lo = c;
        }
    }
    (lo + hi) / 2.0
}

/// One row of the declared-niche table: the draws of advertisers with a real gold niche, with the
/// gold niche declared, then a wrong one, combined with the pooled ads at `DECLARED_TRUST`.
fn declared_row(k: usize, _eligible: usize, draws: &[Draw], gamma: [f32; 2], tau: f32) -> String {
    let classes: Vec<Option<Niche>> = Niche::ALL.iter().copied().map(Some).chain([None]).collect();
    let (mut n, mut ads, mut right, mut wrong, mut kept) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for (i, d) in draws.iter().enumerate().filter(|(_, d)| d.2 < 15) {
        let p = pooled(d, gamma[usize::from(!d.0)]);
        let gold = Niche::ALL[d.2];
        n += 1.0;
        ads += f64::from(decide16(&p, tau).0 == gold);
        let q = combine_declared(&classes, &p, gold, DECLARED_TRUST);
        let q: Probs = q.try_into().unwrap_or([0.0; 16]);
        right += f64::from(decide16(&q, tau).0 == gold);
        // A wrong declaration: one of the 14 other real niches, by the draw's position.
        let w = Niche::ALL[(d.2 + 1 + (i / 5) % 14) % 15];
        let q = combine_declared(&classes, &p, w, DECLARED_TRUST);
        let q: Probs = q.try_into().unwrap_or([0.0; 16]);
        let ans = decide16(&q, tau).0;
        wrong += f64::from(ans == gold);
        kept += f64::from(ans == w);
    }
    let n_adv = n / 5.0;
    let n = n.max(1.0);
    format!(
        "| {k} | {n_adv:.0} | {:.3} | {:.3} | {:.3} | {:.3} |",
        ads / n,
        right / n,
        wrong / n,
        kept / n
    )
}

/// Account-level detection from `k` ads per advertiser: accuracy, ECE, answered share, with the
/// plain mean and with the sharpened pooling (γ cross-fitted between the two halves of the
/// advertisers, split by the parity of their hash).
fn accounts(items: &[&Item], tau: f32) {
    let mut by_group: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for it in items {
        by_group.entry(it.group.as_str()).or_default().push(it);
    }
    let methods: [Method; 3] = [
        ("given model", |i| Some(i.shipped)),
        ("student (CV)", |i| Some(i.student)),
        ("teacher (CV)", |i| i.teacher),
    ];
    println!("\n#### Account level: an advertiser's niche from k of its served ads\n");
    println!("Advertisers with at least k distinct labelled served ads; 5 seeded draws of k ads each; declared niche withheld. `mean`: mean probability; `pooled`: mean sharpened by `1 + γ ln k`, γ cross-fitted on the other half of the advertisers (the same decision rule then gives `unknown` when the evidence is weak).\n");
    println!("| k | advertisers | method | accuracy (mean) | ECE (mean) | accuracy (pooled) | ECE (pooled) | answered (pooled) | accuracy when answered |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    let mut fit_draws: Vec<Vec<Draw>> = vec![Vec::new(); methods.len()];
    let mut declared_rows: Vec<String> = Vec::new();
    for k in [1usize, 3, 10] {
        let eligible: Vec<(&str, &Vec<&Item>)> = by_group
            .iter()
            .filter(|(_, v)| v.len() >= k)
            .map(|(g, v)| (*g, v))
            .collect();
        for (mi, (name, f)) in methods.iter().enumerate() {
            let mut draws: Vec<Draw> = Vec::new();
            let mut complete = true;
            for (g, ads) in &eligible {
                let h = crosslearn::hash::fnv1a64(g.as_bytes());
                let mut rng = SplitMix64::new(h);
                for _ in 0..5 {
                    let mut idx: Vec<usize> = (0..ads.len()).collect();
                    rng.shuffle(&mut idx);
                    let mut ps = Vec::new();
                    for &i in idx.iter().take(k) {
                        match f(ads[i]) {
                            Some(p) => ps.push(p.to_vec()),
                            None => complete = false,
                        }
                    }
                    draws.push((h.is_multiple_of(2), ps, gold_index(ads[0].gold)));
                }
            }
            if !complete || draws.is_empty() {
                continue;
            }
            let half =
                |parity: bool| -> Vec<&Draw> { draws.iter().filter(|d| d.0 == parity).collect() };
            let gamma_for = [fit_gamma(&half(false)), fit_gamma(&half(true))];
            let score = |gamma: Option<[f32; 2]>| {
                let (mut right, mut answered, mut answered_right) = (0f64, 0f64, 0f64);
                let mut pairs = Vec::new();
                for d in &draws {
                    // A draw of parity p is scored with the γ fitted on the other half.
                    let g = gamma.map_or(0.0, |g| g[usize::from(!d.0)]);
                    let p = pooled(d, g);
                    let (pred, conf) = decide16(&p, tau);
                    let ok = gold_index(pred) == d.2;
                    right += f64::from(ok);
                    if pred != Niche::Unknown {
                        answered += 1.0;
                        answered_right += f64::from(ok);
                    }
                    pairs.push((conf, gold_index(top16(&p)) == d.2));
                }
                let n = draws.len() as f64;
                (
                    right / n,
                    ece(&pairs, 15),
                    answered / n,
                    answered_right / answered.max(1.0),
                )
            };
            let (acc_m, ece_m, _, _) = score(None);
            let (acc_p, ece_p, ans, acc_ans) = score(Some(gamma_for));
            println!(
                "| {k} | {} | {name} | {acc_m:.3} | {ece_m:.3} | {acc_p:.3} | {ece_p:.3} | {ans:.3} | {acc_ans:.3} |",
                eligible.len()
            );
            if mi == 1 {
                declared_rows.push(declared_row(k, eligible.len(), &draws, gamma_for, tau));
            }
            if k > 1 {
                fit_draws[mi].extend(draws);
            }
        }
    }
    println!("\n#### Account level with a declared niche (student, `account_niche_with_declared`, trust {DECLARED_TRUST})\n");
    println!("The corpus has no declared niches, so declarations are simulated: `right` declares the gold niche, `wrong` a different real niche chosen by a hash of the advertiser. Advertisers labelled `other` are left out (`other` cannot be declared). Accuracy of the combined answer; `kept` = share of answers equal to the declaration.\n");
    println!("| k | advertisers | ads only | declared right: accuracy | declared wrong: accuracy | declared wrong: kept |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for r in &declared_rows {
        println!("{r}");
    }
    for (mi, (name, _)) in methods.iter().enumerate() {
        if !fit_draws[mi].is_empty() {
            let all: Vec<&Draw> = fit_draws[mi].iter().collect();
            println!("\nγ fitted on all k = 3 and k = 10 draws, {name}: {:.3} (shipped `ACCOUNT_SHARPENING` = {ACCOUNT_SHARPENING})", fit_gamma(&all));
        }
    }
}

fn run() -> Result<(), String> {
    let args = cli::parse_args()?;
    let data = cli::load_data(&args)?;
    let bytes = std::fs::read(&args.model).map_err(|e| format!("{}: {e}", args.model.display()))?;
    let shipped = NicheModel::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let tau = args.recipe.train.threshold;
    let raw = |m: &NicheModel| m.clone().with_temperature(1.0).map_err(|e| e.to_string());
    println!(
        "Model: {} ({} bytes), T = {:.3}, unknown threshold = {:.2}; corpus label files: {:?}",
        args.model.display(),
        bytes.len(),
        shipped.temperature(),
        shipped.threshold(),
        cli::corpus_label_paths(&args)?
    );
    let teacher = parse_teacher(&cli::read_optional(&args.teacher)?)?;

    if !args.write_folds.as_os_str().is_empty() {
        let mut out = String::from("id,group,fold,niche\n");
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        for (d, id) in data.docs.iter().zip(&data.ids) {
            if !id.is_empty() {
                let label = if d.label == Niche::Unknown {
                    "other"
                } else {
                    d.label.as_str()
                };
                let fold = fold_of(&d.group, args.recipe.folds);
                out.push_str(&format!("{id},{},{fold},{label}\n", quote(&d.group)));
            }
        }
        for u in &data.unlabelled {
            let fold = fold_of(&u.group, args.recipe.folds);
            out.push_str(&format!("{},{},{fold},\n", u.id, quote(&u.group)));
        }
        std::fs::write(&args.write_folds, out)
            .map_err(|e| format!("{}: {e}", args.write_folds.display()))?;
        println!("wrote {}", args.write_folds.display());
        return Ok(());
    }

    let mut held_out = Scored::new();
    let shipped_raw = raw(&shipped)?;
    for (text, gold) in test_snippets(&data.docs, &args.recipe.snippets) {
        held_out.add(&shipped, &shipped_raw, &text, gold);
    }
    summary(
        "Held-out split of the public sources (snippets), given model",
        &held_out,
    );

    let ads: Vec<(&Doc, &String)> = data
        .docs
        .iter()
        .zip(&data.ids)
        .filter(|(d, _)| d.source.is_ad_copy())
        .collect();
    let holdout = args.recipe.holdout;
    let make_item = |d: &Doc, id: &str, student: Probs| Item {
        source: d.source.name(),
        served: d.source.is_served() || d.source == Source::AdCopy,
        english: is_english(&d.text),
        group: d.group.clone(),
        gold: d.label,
        seed: seed_keyword_niche(&[d.text.as_str()], &[]).niche,
        corrected: corrected_keyword_niche(&d.text).niche,
        shipped: model_probs(&shipped, &d.text),
        student,
        teacher: teacher.get(id).copied(),
    };
    let mut items: Vec<Item> = Vec::new();
    let mut dump = String::from("fold\tsource\tgroup\tgold\tstudent\tconfidence\ttext\n");
    for fold in 0..args.recipe.folds {
        let model = args.recipe.fold(&data, fold).map_err(|e| e.to_string())?;
        // With --holdout the folds are validation folds of the training advertisers only.
        for (d, id) in ads.iter().filter(|(d, _)| {
            fold_of(&d.group, args.recipe.folds) == fold && !(holdout && is_holdout(&d.group))
        }) {
            let student = model_probs(&model, &d.text);
            let (pred, conf) = decide16(&student, tau);
            let one_line = d.text.replace(['\n', '\t'], " ");
            dump.push_str(&format!(
                "{fold}\t{}\t{}\t{}\t{pred}\t{conf:.3}\t{one_line}\n",
                d.source.name(),
                d.group,
                d.label
            ));
            items.push(make_item(d, id, student));
        }
    }
    // The fixed held-out advertisers, scored by the recipe's model trained on every other
    // advertiser (the model `train-niche --holdout` writes with the same flags).
    let mut held: Vec<Item> = Vec::new();
    if holdout {
        let model = args.recipe.shipped(&data).map_err(|e| e.to_string())?;
        println!(
            "\nHold-out model (every advertiser but the held-out ones): {} bytes, fnv1a64 {:016x}",
            model.to_bytes().len(),
            crosslearn::hash::fnv1a64(&model.to_bytes())
        );
        for (d, id) in ads.iter().filter(|(d, _)| is_holdout(&d.group)) {
            held.push(make_item(d, id, model_probs(&model, &d.text)));
        }
    }
    if let Ok(path) = std::env::var("EVAL_NICHE_DUMP") {
        std::fs::write(&path, dump).map_err(|e| format!("{path}: {e}"))?;
    }
    let all: Vec<&Item> = items.iter().collect();
    let served: Vec<&Item> = items.iter().filter(|i| i.served).collect();
    let corpus_served: Vec<&Item> = items
        .iter()
        .filter(|i| i.served && i.source != Source::AdCopy.name())
        .collect();
    if holdout {
        let held_served: Vec<&Item> = held
            .iter()
            .filter(|i| i.served && i.source != Source::AdCopy.name())
            .collect();
        println!("\n### Fixed held-out advertisers (`is_holdout`), served corpus ads\n");
        println!("The student column is the recipe's model trained without these advertisers; the given model (`--model`) may have seen some of them.");
        table_by(
            "Held-out served corpus ads by source",
            &held_served,
            tau,
            |i| i.source.to_string(),
        );
        table_by(
            "Held-out served corpus ads by language (heuristic)",
            &held_served,
            tau,
            |i| if i.english { "English" } else { "non-English" }.to_string(),
        );
        per_niche(&held_served, tau);
        confusions(&held_served, tau, 3);
        calibration(&held_served, tau);
        accounts(&held_served, tau);
        println!("\n### Validation folds (training advertisers only; used to choose settings)");
    }
    println!(
        "\n### Grouped {}-fold cross-validation by advertiser, all labelled ad copy\n",
        args.recipe.folds
    );
    println!("Served = the corpus's served sources plus the Facebook/TikTok exports (`ad_copy`). The given model was trained without the corpus labels; the student and the teacher score each fold with models that never saw its advertisers.");
    table_by("Served ad copy by source", &served, tau, |i| {
        i.source.to_string()
    });
    table_by(
        "Served ad copy by language (heuristic)",
        &served,
        tau,
        |i| if i.english { "English" } else { "non-English" }.to_string(),
    );
    table_by(
        "Served corpus ads only (without the Facebook/TikTok exports)",
        &corpus_served,
        tau,
        |i| if i.english { "English" } else { "non-English" }.to_string(),
    );
    table_by(
        "Slogans and taglines (training text; for reference)",
        &all.iter()
            .filter(|i| !i.served)
            .copied()
            .collect::<Vec<_>>(),
        tau,
        |i| i.source.to_string(),
    );
    println!("\nThe tables below are on the served corpus ads (the given model never saw them; the teacher has a prediction for each).");
    per_niche(&corpus_served, tau);
    confusions(&corpus_served, tau, 3);
    if !teacher.is_empty() {
        confusions(&corpus_served, tau, 4);
    }
    calibration(&corpus_served, tau);
    accounts(&corpus_served, tau);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("eval-niche: {e}");
        std::process::exit(1);
    }
}
