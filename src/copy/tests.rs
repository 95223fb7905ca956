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

fn hook2(body: &str) -> HookType {
    extract_copy_attributes_v2("", body).hook_type
}

#[test]
fn v2_reads_the_openings_a_user_would_agree_with() {
    assert_eq!(hook2("Tired of dull, dry skin?"), HookType::PainPoint);
    assert_eq!(
        hook2("Still paying too much for car insurance?"),
        HookType::PainPoint
    );
    // Number lists before offers; v1 read this as an offer.
    assert_eq!(
        hook2("5 ways to save on your electric bill"),
        HookType::NumberList
    );
    assert_eq!(
        hook("5 ways to save on your electric bill"),
        HookType::Offer
    );
    assert_eq!(hook2("Over 10,000 happy customers"), HookType::SocialProof);
    assert_eq!(hook2("Rated 4.8 by our guests."), HookType::SocialProof);
    assert_eq!(
        hook2("Join 20 million players today!"),
        HookType::SocialProof
    );
    // The earliest cue wins: urgency leads here, the offer leads in the next one.
    assert_eq!(
        hook2("Last chance: 50% off ends tonight"),
        HookType::Urgency
    );
    assert_eq!(hook2("50% off, last chance!"), HookType::Offer);
    assert_eq!(hook2("Top 10 FREE antivirus tools"), HookType::NumberList);
    // A bought quantity is an offer, a percentage alone is not.
    assert_eq!(hook2("Get 2 sessions for $40 today!"), HookType::Offer);
    assert_eq!(hook2("Finish your degree 100% online."), HookType::Other);
    assert_eq!(hook2("Dare to be free."), HookType::Other);
    // An emoji between phrases ends the opening.
    assert_eq!(
        hook2("📣 Calling all fans 📣 Win a chance at free tickets!"),
        HookType::Other
    );
    assert_eq!(
        hook2("How to repaint a kitchen in a day"),
        HookType::Question
    );
    assert_eq!(hook2("\"I lost 10 kilos.\" Anna's story"), HookType::Story);
    assert_eq!(hook2("   "), HookType::Unknown);
}

#[test]
fn v2_cta_reads_imperatives_at_a_clause_start() {
    let cta2 = |body: &str| extract_copy_attributes_v2("", body).cta_style;
    assert_eq!(cta2("Get a quote in 2 minutes."), CtaStyle::GetQuote);
    assert_eq!(cta2("New season. Watch it on Friday."), CtaStyle::WatchMore);
    // "watch" inside a sentence is not the instruction.
    assert_eq!(cta2("A smart watch for runners."), CtaStyle::None);
    assert_eq!(cta2("Play live-stream claw machines!"), CtaStyle::Download);
    assert_eq!(cta2("Join Nathan on an adventure."), CtaStyle::None);
    assert_eq!(cta2("Join today and save."), CtaStyle::SignUp);
    assert_eq!(cta2("Get the Olympics app today."), CtaStyle::Download);
    assert_eq!(cta2("20% off with code SPRING."), CtaStyle::GetOffer);
    assert_eq!(cta2("Pure water, nothing else."), CtaStyle::None);
    assert_eq!(cta2(""), CtaStyle::Unknown);
}

#[test]
fn v1_stays_the_default_and_unchanged() {
    assert_eq!(CopyExtractor::new().rules(), CopyRules::V1);
    // v1 reads any "join" as sign-up; v2 does not.
    assert_eq!(cta("", "Join Nathan on an adventure."), CtaStyle::SignUp);
}
