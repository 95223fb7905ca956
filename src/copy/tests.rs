//! Unit tests of the extractor on made-up copy (the real-data agreement is in tests/).

use super::*;

fn hook(body: &str) -> HookType {
    extract_copy_attributes("", body).hook_type
}

fn cta(headline: &str, body: &str) -> CtaStyle {
    extract_copy_attributes(headline, body).cta_style
}

#[test]
fn hooks_follow_the_precedence_order() {
    assert_eq!(
        hook("Tired of crowded gyms? We fixed that."),
        HookType::PainPoint
    );
    assert_eq!(hook("Get 50% off your first box!"), HookType::Offer);
    assert_eq!(
        hook("5 ways to sleep better tonight."),
        HookType::NumberList
    );
    assert_eq!(hook("Top 10 hotels in Lisbon."), HookType::NumberList);
    assert_eq!(
        hook("Join thousands of happy runners."),
        HookType::SocialProof
    );
    assert_eq!(
        hook("Last chance to register for spring."),
        HookType::Urgency
    );
    assert_eq!(hook("The secret to glowing skin."), HookType::CuriosityGap);
    assert_eq!(hook("Looking for a new coffee shop?"), HookType::Question);
    assert_eq!(hook("Coming soon to Austin!"), HookType::Announcement);
    assert_eq!(hook("The best pizza in town."), HookType::BoldClaim);
    assert_eq!(hook("Hello there."), HookType::Other);
    assert_eq!(hook("   "), HookType::Unknown);
}

#[test]
fn opening_is_the_first_sentence_of_the_body_else_the_headline() {
    // The offer is in the second sentence, so the opening is a question.
    assert_eq!(
        hook("Craving tacos? Get 2 for $5 today."),
        HookType::Question
    );
    assert_eq!(
        extract_copy_attributes("Coming soon!", "").hook_type,
        HookType::Announcement
    );
    // "$2.99" does not end the sentence.
    assert_eq!(hook("Only $2.99 for a latte. Yum"), HookType::Offer);
}

#[test]
fn cta_is_the_last_phrase_in_reading_order() {
    assert_eq!(cta("", "Learn more about us. Shop now!"), CtaStyle::ShopNow);
    // Headline is read after the body.
    assert_eq!(
        cta("Sign up today", "Learn more about the plan."),
        CtaStyle::SignUp
    );
    assert_eq!(cta("", "Get your first month free!"), CtaStyle::GetOffer);
    assert_eq!(
        cta("", "Download the app and order ahead!"),
        CtaStyle::OrderNow
    );
    assert_eq!(cta("", "Pure water, nothing else."), CtaStyle::None);
    assert_eq!(cta("", ""), CtaStyle::Unknown);
    assert_eq!(cta("", "A workshop nowhere near"), CtaStyle::None);
}

#[test]
fn styled_unicode_is_read_like_ascii() {
    let a = extract_copy_attributes("𝐒𝐢𝐠𝐧 𝐔𝐩 𝐓𝐨𝐝𝐚𝐲!", "⚡𝐅𝐫𝐞𝐞 𝐓𝐫𝐢𝐚𝐥 𝐟𝐨𝐫 𝟓 𝐝𝐚𝐲𝐬!⚡");
    assert_eq!(a.hook_type, HookType::Offer);
    assert_eq!(a.cta_style, CtaStyle::SignUp);
    assert_eq!(a.emoji_count, 2);
    assert_eq!(a.number_count, 1);
}

#[test]
fn signals_count_what_they_say() {
    let a = extract_copy_attributes(
        "Sale!",
        "Save 20% on $40+ orders 🎉🎉 Hurry, ends Sunday! #deals @shop Why wait?",
    );
    assert!(a.has_price && a.has_percent && a.has_offer_terms && a.has_urgency);
    assert_eq!(a.emoji_count, 2);
    assert_eq!(a.number_count, 2);
    assert_eq!(a.exclamation_count, 2);
    assert_eq!(a.question_count, 1);
    assert_eq!(a.hashtag_count, 1);
    assert_eq!(a.mention_count, 1);
    assert_eq!(a.word_count, 13);
    assert_eq!(
        a.char_count as usize,
        "Sale!".chars().count()
            + "Save 20% on $40+ orders 🎉🎉 Hurry, ends Sunday! #deals @shop Why wait?"
                .chars()
                .count()
    );
}

#[test]
fn batch_equals_single_calls() {
    let items = vec![
        AdCopy {
            headline: "Shop now".into(),
            body: "New arrivals!".into(),
        },
        AdCopy::default(),
    ];
    let out = extract_copy_batch(&items);
    assert_eq!(out[0], extract_copy_attributes("Shop now", "New arrivals!"));
    assert_eq!(out[1].hook_type, HookType::Unknown);
}
