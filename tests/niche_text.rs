//! Text normalization, corrected keywords, hashing, corpus helpers and metrics.

// Native only: `wasm-pack test` builds every test target for wasm32; this keeps it empty there.
#![cfg(not(target_arch = "wasm32"))]

use crosslearn::niche::corpus::csv::parse;
use crosslearn::niche::corpus::{fold_of, merge_near_duplicates, snippets, split_of, Doc, Source};
use crosslearn::niche::eval::{ece, report};
use crosslearn::niche::hashing::HashingConfig;
use crosslearn::niche::keyword::{corrected_keyword_niche, keyword_counts, seed_keyword_niche};
use crosslearn::niche::text::Tokens;
use crosslearn::niche::Niche;

#[test]
fn folds_styled_unicode_to_plain_tokens() {
    let t = Tokens::new("𝐅𝐞𝐛𝟐𝟑 𝐅𝐥𝐚𝐬𝐡 𝐒𝐚𝐥𝐞 — 𝑆𝑡𝑟𝑒𝑡𝑐ℎ! Crème brûlée, we’ve ＧＯＴ it");
    assert_eq!(
        t.words(),
        ["feb23", "flash", "sale", "stretch", "creme", "brulee", "weve", "got", "it"]
    );
    assert_eq!(
        t.as_str(),
        "feb23 flash sale stretch creme brulee weve got it"
    );
    assert!(Tokens::new(" !!! 🔥 ").is_empty());
}

#[test]
fn corrected_keywords_respect_word_boundaries() {
    // The seed finds "ai" in "email" and "campaign"; the corrected list does not.
    let text = "Summer Sale Email Campaign";
    assert_eq!(seed_keyword_niche(&[text], &[]).niche, Niche::Tech);
    let counts = keyword_counts(&Tokens::new(text));
    assert_eq!(counts[Niche::Tech.index().unwrap_or(0)], 0.0);
    assert_eq!(
        corrected_keyword_niche("Skincare routine").niche,
        Niche::Beauty
    );
    assert_eq!(
        corrected_keyword_niche("Find a realtor: real estate listings").niche,
        Niche::RealEstate
    );
    assert_eq!(
        corrected_keyword_niche("nothing here").niche,
        Niche::Unknown
    );
}

#[test]
fn hashing_is_normalized_sorted_and_stable() {
    let cfg = HashingConfig::default();
    let x = cfg.features(&Tokens::new("Claim your free 3 day gym pass"));
    assert!(x.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(x.iter().all(|&(j, _)| j < cfg.buckets));
    let norm: f32 = x.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
    assert!(norm > 0.5 && norm < 2.5, "{norm}");
    assert_eq!(
        x,
        cfg.features(&Tokens::new("claim YOUR free 3 day gym pass"))
    );
    // Digits are shape-only: prices differ, features do not.
    assert_eq!(
        cfg.features(&Tokens::new("only $10 a month")),
        cfg.features(&Tokens::new("only $99 a month"))
    );
}

#[test]
fn csv_handles_quotes_crlf_multiline_and_bom() {
    let rows =
        parse("\u{feff}a,b\r\n\"x, \"\"y\"\"\",\"multi\nline\"\r\nlast,").unwrap_or_default();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], ["a", "b"]);
    assert_eq!(rows[1], ["x, \"y\"", "multi\nline"]);
    assert_eq!(rows[2], ["last", ""]);
    assert!(parse("\"open").is_err());
}

#[test]
fn snippets_pack_sentences_into_short_pieces() {
    let text = "One two three. Four five six seven! Eight nine ten eleven twelve.\nTiny.";
    let s = snippets(text, 8);
    assert_eq!(
        s,
        [
            "One two three. Four five six seven!",
            "Eight nine ten eleven twelve. Tiny."
        ]
    );
    let long = vec!["w"; 25].join(" ");
    assert_eq!(snippets(&long, 10).len(), 3);
}

#[test]
fn splits_are_grouped_and_near_duplicates_merged() {
    assert_eq!(split_of("t:ford"), split_of("t:ford"));
    assert!(fold_of("a:wawa", 5) < 5);
    let doc = |group: &str, text: &str| Doc {
        source: Source::Transcripts,
        group: group.to_string(),
        label: Niche::Food,
        text: text.to_string(),
        context_only: false,
    };
    let same = "The very same long ad text that was copied verbatim by two advertisers today";
    let mut docs = vec![
        doc("t:b", same),
        doc("t:a", same),
        doc("t:c", "Something else"),
    ];
    merge_near_duplicates(&mut docs);
    assert_eq!(docs[0].group, "t:a");
    assert_eq!(docs[1].group, "t:a");
    assert_eq!(docs[2].group, "t:c");
}

#[test]
fn metrics_match_hand_computation() {
    use Niche::*;
    let gold = [Food, Food, Travel, Unknown];
    let pred = [Food, Travel, Travel, Food];
    let r = report(&gold, &pred);
    assert_eq!(r.accuracy, 0.5);
    // food: P 1/2, R 1/2 -> 0.5; travel: P 1/2, R 1 -> 2/3; unknown: 0 -> macro (0.5+2/3+0)/3.
    assert!((r.macro_f1 - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    assert_eq!(r.per_label[Food.index().unwrap_or(0)].support, 2);
    let e = ece(&[(0.9, true), (0.9, false), (0.2, false)], 10);
    assert!((e - (2.0 / 3.0 * 0.4 + 1.0 / 3.0 * 0.2)).abs() < 1e-12);
}
