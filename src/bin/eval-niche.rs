//! Evaluate niche detection and print markdown tables (the numbers in docs/niche.md):
//! `cargo run --release --bin eval-niche -- --data ../shared/data --model models/niche-v1.bin`.
//!
//! 1. Held-out split of the public sources (snippets of the `test` groups): the shipped model vs
//!    the original's keyword method (`Seed`) vs the corrected word-boundary keywords.
//! 2. Hand-labelled ad copy, by grouped cross-validation: each fold's advertisers are scored by a
//!    model trained (same recipe, same flags) without them.
//!
//! Set `EVAL_NICHE_DUMP=path.tsv` to also write the per-ad predictions of the cross-validation.

#[path = "common/niche_cli.rs"]
#[allow(dead_code)]
mod cli;

use crosslearn::niche::corpus::recipe::{load, test_snippets};
use crosslearn::niche::corpus::{fold_of, Doc, Source};
use crosslearn::niche::eval::{ece, labels, report, Report};
use crosslearn::niche::keyword::corrected_keyword_niche;
use crosslearn::niche::{seed_keyword_niche, Niche, NicheDetection, NicheModel};

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
        ("classifier (shipped recipe)", report(&s.gold, &s.model)),
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

fn run() -> Result<(), String> {
    let args = cli::parse_args()?;
    let docs = load(&cli::read_files(&args)?).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&args.model).map_err(|e| format!("{}: {e}", args.model.display()))?;
    let shipped = NicheModel::from_bytes(&bytes).map_err(|e| e.to_string())?;
    let raw = |m: &NicheModel| m.clone().with_temperature(1.0).map_err(|e| e.to_string());
    println!(
        "Model: {} ({} bytes), T = {:.3}, unknown threshold = {:.2}",
        args.model.display(),
        bytes.len(),
        shipped.temperature(),
        shipped.threshold()
    );

    let mut held_out = Scored::new();
    let shipped_raw = raw(&shipped)?;
    for (text, gold) in test_snippets(&docs, &args.recipe.snippets) {
        held_out.add(&shipped, &shipped_raw, &text, gold);
    }
    summary("Held-out split of the public sources (snippets)", &held_out);

    let ads: Vec<&Doc> = docs.iter().filter(|d| d.source == Source::AdCopy).collect();
    let mut cv = Scored::new();
    let mut cv_text = Scored::new();
    let mut dump = String::from("fold\tgold\tpredicted\ttop_niche\tconfidence\ttext\n");
    for fold in 0..args.recipe.folds {
        let model = args.recipe.fold(&docs, fold).map_err(|e| e.to_string())?;
        let model_raw = raw(&model)?;
        for d in ads
            .iter()
            .filter(|d| fold_of(&d.group, args.recipe.folds) == fold)
        {
            cv.add(&model, &model_raw, &d.text, d.label);
            let p = model.detect(&d.text);
            let one_line = d.text.replace(['\n', '\t'], " ");
            dump.push_str(&format!(
                "{fold}\t{}\t{}\t{}\t{:.3}\t{one_line}\n",
                d.label,
                p.niche,
                top_niche(&p),
                p.confidence
            ));
            if !d.context_only {
                cv_text.add(&model, &model_raw, &d.text, d.label);
            }
        }
    }
    if let Ok(path) = std::env::var("EVAL_NICHE_DUMP") {
        std::fs::write(&path, dump).map_err(|e| format!("{path}: {e}"))?;
    }
    let name = format!(
        "Hand-labelled ad copy, {}-fold grouped CV",
        args.recipe.folds
    );
    summary(&name, &cv);
    summary(&format!("{name}, niche evident from the words"), &cv_text);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("eval-niche: {e}");
        std::process::exit(1);
    }
}
