//! The extractor's phrase tables and the word-boundary matcher.
//!
//! Phrases are matched on folded text (lower-case ASCII where possible, see `super::fold`).
//! A phrase matches only at a word start; it must also end at a word end unless it ends in `*`
//! (prefix match: `enroll*` matches "enrollment"). Tables cover English plus the Spanish and
//! French seen in the exports.

use crate::record::{CtaStyle, HookType};

/// Offer cues: a price, discount, free item, reward or deal.
pub(crate) const OFFER: &[&str] = &[
    "free",
    "% off",
    "off your",
    "sale",
    "discount*",
    "deal",
    "deals",
    "save",
    "saving*",
    "bogo",
    "giveaway",
    "giving away",
    "chance to win",
    "win a",
    "coupon*",
    "promo*",
    "offer",
    "2x",
    "double points",
    "reward",
    "rewards",
    "trial",
    "day pass",
    "as low as",
    "only $",
    "half price",
    "half off",
    "gift card*",
    "cash back",
    "earn $",
    "gratis",
    "gratuit*",
    "oferta",
    "offre",
    "descuento",
    "rabais",
];

/// Pain-point cues: a problem, frustration or fear.
pub(crate) const PAIN: &[&str] = &[
    "tired of",
    "sick of",
    "struggl*",
    "frustrat*",
    "worried",
    "afraid",
    "stop wasting",
    "no more",
    "hate",
    "problem*",
    "pain",
    "lost the",
    "can't sleep",
    "stressed",
    "overwhelmed",
    "don't know what",
    "not sure what",
    "ne savez pas",
    "no sabes",
];

/// Nouns that make "N <noun>" a list opener.
pub(crate) const LIST_NOUNS: &[&str] = &[
    "ways",
    "reasons",
    "tips",
    "things",
    "steps",
    "secrets",
    "words",
    "signs",
    "mistakes",
    "habits",
    "ideas",
    "hacks",
    "rules",
    "foods",
    "exercises",
    "questions",
    "facts",
    "tricks",
];

/// Number words accepted as the count of a list opener.
pub(crate) const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "top",
];

/// Social-proof cues.
pub(crate) const SOCIAL: &[&str] = &[
    "thousands of",
    "millions of",
    "members love",
    "customers love",
    "our customers",
    "reviews",
    "rated",
    "#1",
    "no. 1",
    "number one",
    "best-selling",
    "bestselling",
    "best selling",
    "award-winning",
    "award winning",
    "trusted by",
    "helped over",
    "loved by",
    "5-star",
    "five-star",
    "5 star",
    "everyone's talking",
    "join over",
    "join thousands",
    "as seen on",
];

/// Urgency cues (also the `has_urgency` signal).
pub(crate) const URGENCY: &[&str] = &[
    "last chance",
    "don't miss",
    "dont miss",
    "ends today",
    "ends soon",
    "ending soon",
    "ends tonight",
    "limited time",
    "limited-time",
    "hurry",
    "today only",
    "while supplies last",
    "before it's gone",
    "deadline",
    "expires",
    "final hours",
    "final days",
    "only a few left",
    "last day",
    "don't wait",
    "act now",
    "offer ends",
    "sale ends",
    "almost gone",
    "selling fast",
];

/// Curiosity-gap cues.
pub(crate) const CURIOSITY: &[&str] = &[
    "secret",
    "won't believe",
    "what happens",
    "here's why",
    "here's how",
    "the truth",
    "wait for it",
    "guess what",
    "did you know",
    "revealed",
    "the reason",
    "nobody tells",
    "no one tells",
    "mind blown",
    "you need to know",
    "little-known",
    "hidden",
    "the real reason",
    "find out why",
    "what if",
    "plot twist",
];

/// Interrogative openers that make a question without a `?`.
pub(crate) const QUESTION_STARTS: &[&str] = &[
    "who ",
    "what ",
    "why ",
    "how ",
    "when ",
    "where ",
    "are you ",
    "do you ",
    "did you ",
    "is your ",
    "can you ",
    "have you ",
    "ever wonder",
    "want to ",
    "looking for ",
];

/// Announcement cues.
pub(crate) const ANNOUNCE: &[&str] = &[
    "new",
    "introducing",
    "coming soon",
    "now open",
    "now available",
    "just launched",
    "grand opening",
    "is here",
    "is back",
    "are back",
    "announcing",
    "launch*",
    "just dropped",
    "nouveau*",
    "nouvelle*",
    "nuevo*",
    "nueva*",
    "próximamente",
];

/// Bold-claim cues (unqualified superlatives).
pub(crate) const BOLD: &[&str] = &[
    "best",
    "the only",
    "world's",
    "ultimate",
    "perfect",
    "guaranteed",
    "one-of-a-kind",
    "unbeatable",
    "never been easier",
    "like no other",
    "the most",
    "finest",
];

/// Story cues: a first-person or named-person narrative.
pub(crate) const STORY: &[&str] = &[
    "when i ",
    "i was ",
    "i used to",
    "my story",
    "once upon",
    "meet ",
];

/// CTA phrases. On a tie in position the longer phrase wins.
pub(crate) const CTA: &[(&str, CtaStyle)] = &[
    ("shop now", CtaStyle::ShopNow),
    ("shop all", CtaStyle::ShopNow),
    ("shop the", CtaStyle::ShopNow),
    ("shop our", CtaStyle::ShopNow),
    ("shop online", CtaStyle::ShopNow),
    ("buy now", CtaStyle::ShopNow),
    ("buy today", CtaStyle::ShopNow),
    ("get yours", CtaStyle::ShopNow),
    ("grab yours", CtaStyle::ShopNow),
    ("add to cart", CtaStyle::ShopNow),
    ("learn more", CtaStyle::LearnMore),
    ("learn about", CtaStyle::LearnMore),
    ("find out more", CtaStyle::LearnMore),
    ("read more", CtaStyle::LearnMore),
    ("discover", CtaStyle::LearnMore),
    ("see how", CtaStyle::LearnMore),
    ("explore", CtaStyle::LearnMore),
    ("see full", CtaStyle::LearnMore),
    ("more info*", CtaStyle::LearnMore),
    ("get to know", CtaStyle::LearnMore),
    ("en savoir plus", CtaStyle::LearnMore),
    ("sign up", CtaStyle::SignUp),
    ("signup", CtaStyle::SignUp),
    ("signin' up", CtaStyle::SignUp),
    ("join", CtaStyle::SignUp),
    ("register", CtaStyle::SignUp),
    ("enroll", CtaStyle::SignUp),
    ("become a member", CtaStyle::SignUp),
    ("open an account", CtaStyle::SignUp),
    ("únase", CtaStyle::SignUp),
    ("unirse", CtaStyle::SignUp),
    ("inscri*", CtaStyle::SignUp),
    ("get started", CtaStyle::GetStarted),
    ("let's get started", CtaStyle::GetStarted),
    ("start today", CtaStyle::GetStarted),
    ("start now", CtaStyle::GetStarted),
    ("start your free", CtaStyle::GetStarted),
    ("start your trial", CtaStyle::GetStarted),
    ("try us", CtaStyle::GetStarted),
    ("try it free", CtaStyle::GetStarted),
    ("try for free", CtaStyle::GetStarted),
    ("try a free", CtaStyle::GetStarted),
    ("begin your", CtaStyle::GetStarted),
    ("book now", CtaStyle::BookNow),
    ("book your", CtaStyle::BookNow),
    ("book a", CtaStyle::BookNow),
    ("book today", CtaStyle::BookNow),
    ("reserve", CtaStyle::BookNow),
    ("schedule a", CtaStyle::BookNow),
    ("schedule your", CtaStyle::BookNow),
    ("make an appointment", CtaStyle::BookNow),
    ("order now", CtaStyle::OrderNow),
    ("order online", CtaStyle::OrderNow),
    ("order today", CtaStyle::OrderNow),
    ("order ahead", CtaStyle::OrderNow),
    ("order on", CtaStyle::OrderNow),
    ("order through", CtaStyle::OrderNow),
    ("order yours", CtaStyle::OrderNow),
    ("download", CtaStyle::Download),
    ("get the app", CtaStyle::Download),
    ("install", CtaStyle::Download),
    ("claim", CtaStyle::GetOffer),
    ("redeem", CtaStyle::GetOffer),
    ("use code", CtaStyle::GetOffer),
    ("offer code", CtaStyle::GetOffer),
    ("promo code", CtaStyle::GetOffer),
    ("get a free", CtaStyle::GetOffer),
    ("get your free", CtaStyle::GetOffer),
    ("get your first", CtaStyle::GetOffer),
    ("get the deal", CtaStyle::GetOffer),
    ("grab", CtaStyle::GetOffer),
    ("get a quote", CtaStyle::GetQuote),
    ("free quote", CtaStyle::GetQuote),
    ("contact us", CtaStyle::ContactUs),
    ("message us", CtaStyle::ContactUs),
    ("dm us", CtaStyle::ContactUs),
    ("email us", CtaStyle::ContactUs),
    ("text us", CtaStyle::ContactUs),
    ("call now", CtaStyle::CallNow),
    ("call us", CtaStyle::CallNow),
    ("call today", CtaStyle::CallNow),
    ("give us a call", CtaStyle::CallNow),
    ("apply now", CtaStyle::ApplyNow),
    ("apply today", CtaStyle::ApplyNow),
    ("apply online", CtaStyle::ApplyNow),
    ("subscribe", CtaStyle::Subscribe),
    ("watch now", CtaStyle::WatchMore),
    ("watch more", CtaStyle::WatchMore),
    ("watch the", CtaStyle::WatchMore),
    ("watch our", CtaStyle::WatchMore),
    ("visit us", CtaStyle::Visit),
    ("visit our", CtaStyle::Visit),
    ("stop by", CtaStyle::Visit),
    ("come in", CtaStyle::Visit),
    ("come see", CtaStyle::Visit),
    ("find a location", CtaStyle::Visit),
    ("near you", CtaStyle::Visit),
    ("head to", CtaStyle::Visit),
    ("find us", CtaStyle::Visit),
    ("donate", CtaStyle::Donate),
    ("tag us", CtaStyle::Other),
    ("tag a friend", CtaStyle::Other),
    ("comment", CtaStyle::Other),
    ("follow us", CtaStyle::Other),
    ("share this", CtaStyle::Other),
    ("vote", CtaStyle::Other),
];

/// The hook rules in precedence order (the labelling guide's order).
pub(crate) const HOOK_ORDER: &[HookType] = &[
    HookType::Offer,
    HookType::PainPoint,
    HookType::NumberList,
    HookType::SocialProof,
    HookType::Urgency,
    HookType::CuriosityGap,
    HookType::Question,
    HookType::Announcement,
    HookType::BoldClaim,
    HookType::Story,
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

/// Byte position of each word-bounded occurrence of `phrase` in `text` (see module docs).
pub(crate) fn matches<'a>(text: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let (pat, prefix) = match phrase.strip_suffix('*') {
        Some(p) => (p, true),
        None => (phrase, false),
    };
    let starts_word = pat.chars().next().is_some_and(is_word);
    let ends_word = pat.chars().last().is_some_and(is_word);
    text.match_indices(pat).filter_map(move |(i, _)| {
        let before_ok = !starts_word || !text[..i].chars().next_back().is_some_and(is_word);
        let after_ok =
            prefix || !ends_word || !text[i + pat.len()..].chars().next().is_some_and(is_word);
        (before_ok && after_ok).then_some(i)
    })
}

/// Whether any phrase of `table` occurs in `text`.
pub(crate) fn any(text: &str, table: &[&str]) -> bool {
    table.iter().any(|p| matches(text, p).next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_respects_word_boundaries_and_prefixes() {
        assert!(any("shop now!", &["shop now"]));
        assert!(!any("workshop nowhere", &["shop now"]));
        assert!(any("enrollment fees", &["enroll*"]));
        assert!(!any("enrollment fees", &["enroll"]));
        assert!(any("get 40% off", &["% off"]));
        assert!(!any("daily", &["ai"]));
    }
}
