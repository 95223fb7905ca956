//! The advertiser-labelled corpus, the teacher's committed pseudo-labels and a small retraining of
//! the student recipe on them (real files: `../shared/data/ad_copy_corpus.csv`,
//! `tests/data/corpus_advertisers_*.csv`, `tests/data/niche_teacher_pseudo.csv`).

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::niche::corpus::recipe::{load_with_pseudo, Data, Files, Recipe};
use crosslearn::niche::corpus::{fold_of, is_holdout, Source};
use crosslearn::niche::hashing::HashingConfig;
use crosslearn::niche::Niche;

#[path = "common/plain_ads.rs"]
mod plain_ads;
use std::collections::BTreeSet;

fn read(path: &str) -> String {
    let p = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Only the corpus (no public sources, no exports): keeps the test fast.
fn corpus_only() -> Data {
    let files = Files {
        overrides: "source,key,niche\n".to_string(),
        transcripts: "Category,Advertiser,Ad_copy\n".to_string(),
        flipkart: "product_category_tree,product_name,description,brand\n".to_string(),
        websites: "website_url,cleaned_website_text,Category\n".to_string(),
        labels: "id,source,group,niche,evidence,text\n".to_string(),
        corpus: read("../shared/data/ad_copy_corpus.csv"),
        corpus_labels: vec![
            read("tests/data/corpus_advertisers_a.csv"),
            read("tests/data/corpus_advertisers_b.csv"),
        ],
        pseudo: read("tests/data/niche_teacher_pseudo.csv"),
    };
    load_with_pseudo(&files, 5).expect("corpus, labels and pseudo-labels load")
}

#[test]
fn corpus_labels_and_pseudo_labels_are_consistent_and_retrain_bit_for_bit() {
    let data = corpus_only();
    assert!(
        data.docs.len() > 5_000,
        "{} labelled texts",
        data.docs.len()
    );
    let niches: BTreeSet<Niche> = data.docs.iter().map(|d| d.label).collect();
    assert_eq!(niches.len(), 16, "all 15 niches and other are labelled");
    assert!(data
        .docs
        .iter()
        .all(|d| matches!(d.source, Source::Corpus(_))));
    // Pseudo-labels exist only for unlabelled texts: none can reach an evaluation set.
    let labelled: BTreeSet<&str> = data.ids.iter().map(String::as_str).collect();
    assert!(!data.pseudo.is_empty());
    assert!(data.pseudo.keys().all(|id| !labelled.contains(id.as_str())));
    let unlabelled: BTreeSet<&str> = data.unlabelled.iter().map(|u| u.id.as_str()).collect();
    assert!(data
        .pseudo
        .keys()
        .all(|id| unlabelled.contains(id.as_str())));
    // No advertiser group is both labelled and in another fold than itself (groups are whole).
    for d in &data.docs {
        assert!(fold_of(&d.group, 5) < 5);
    }

    // A small configuration of the shipped recipe, trained twice: the same bytes.
    let mut recipe = Recipe {
        holdout: false,
        ..Recipe::default()
    };
    recipe.train.hashing = HashingConfig {
        buckets: 1024,
        ..HashingConfig::default()
    };
    recipe.train.epochs = 1;
    recipe.pseudo_weight = 1.0;
    let small = Data {
        docs: data.docs.iter().step_by(20).cloned().collect(),
        ids: data.ids.iter().step_by(20).cloned().collect(),
        unlabelled: data.unlabelled.iter().step_by(20).cloned().collect(),
        pseudo: data.pseudo.clone(),
        train_ids: None,
    };
    let a = recipe.fold(&small, 0).expect("trains").to_bytes();
    let b = recipe.fold(&small, 0).expect("trains").to_bytes();
    assert_eq!(a, b);
    let (train, _) = recipe.examples(&small, |d| fold_of(&d.group, 5) != 0, 1);
    assert!(
        train.len() > small.docs.len() * 4 / 5,
        "pseudo-labelled texts are added"
    );

    // The fixed held-out advertisers: about one group in five; a `--holdout` recipe trains on
    // none of their texts, labelled or pseudo-labelled.
    let groups: BTreeSet<&str> = data.docs.iter().map(|d| d.group.as_str()).collect();
    let held = groups.iter().filter(|g| is_holdout(g)).count();
    let share = held as f64 / groups.len() as f64;
    assert!((0.17..0.23).contains(&share), "held-out share {share}");
    recipe.holdout = true;
    let (train, _) = recipe.examples(&small, |_| true, 0);
    let trained: BTreeSet<&str> = train.iter().map(|e| e.text.as_str()).collect();
    let held_texts: Vec<&str> = small
        .docs
        .iter()
        .map(|d| (d.group.as_str(), d.text.as_str()))
        .chain(
            small
                .unlabelled
                .iter()
                .map(|u| (u.group.as_str(), u.text.as_str())),
        )
        .filter(|(g, _)| is_holdout(g))
        .map(|(_, t)| t)
        .collect();
    assert!(!held_texts.is_empty());
    assert!(held_texts.iter().all(|t| !trained.contains(t)));
    recipe.holdout = false;
    let (train, _) = recipe.examples(&small, |_| true, 0);
    let trained: BTreeSet<&str> = train.iter().map(|e| e.text.as_str()).collect();
    assert!(
        held_texts.iter().any(|t| trained.contains(t)),
        "the check can fail"
    );
}

#[test]
fn corpus_trained_model_is_small_and_detects_plain_ads() {
    let bytes = std::fs::read(format!(
        "{}/models/niche-v2.bin",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("models/niche-v2.bin exists");
    assert!(bytes.len() <= 260_000, "{} bytes", bytes.len());
    let m = crosslearn::niche::NicheModel::from_bytes(&bytes).expect("loads");
    let mut cases = plain_ads::PLAIN_ADS.to_vec();
    cases.push((
        "Stream the new season tonight, only on our app",
        Niche::Entertainment,
    ));
    // Texts the Worker's and the e2e tests expect to read as fitness.
    for text in [
        "Crush your leg day: a 20-minute gym workout to build muscle",
        "Crush leg day: a 20-minute gym workout to build muscle fast",
        "Build muscle with a 20-minute gym workout",
        "Home workout plan: burn fat and build muscle in 20 minutes",
        "Gym workout plan 7",
    ] {
        cases.push((text, Niche::Fitness));
    }
    // The ad editor's end-to-end copy (headline + body) must read as fitness.
    cases.push((
        "Build muscle and burn fat with our 20-minute home workout Personal trainer plans, gym-free strength training and protein meal guides. Start your fitness challenge today and get stronger every week.",
        Niche::Fitness,
    ));
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(text, want)| m.detect(text).niche != *want)
        .map(|(text, want)| format!("{text} -> {:?}, want {want}", m.detect(text).niche))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The npm package test's account: a gym ad, a beauty ad and an empty text.
    let texts = [plain_ads::PLAIN_ADS[0].0, plain_ads::PLAIN_ADS[1].0, ""];
    let account = crosslearn::niche::account_niche(&m, None, &texts);
    assert_eq!(account.niche, Niche::Fitness, "{account:?}");
    assert!(m.detect(plain_ads::PLAIN_ADS[0].0).confidence > 0.5);
}
