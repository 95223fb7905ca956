//! Simple per-niche ad-copy templates for simulated creatives.
//!
//! Body = a hook sentence (by hook type) + a niche sentence (with the niche's keywords, so niche
//! detection can be exercised) + a CTA sentence (by CTA style). Headline = a niche headline. The
//! sentences avoid the cue words of other hook types and CTA phrases, so the copy extractor
//! ([`crate::copy`]) can read back the intended hook and CTA.

use crate::niche::Niche;
use crate::record::{CtaStyle, HookType};

/// (product, audience, pain, niche sentence, headline) per niche, in [`Niche::ALL`] order.
const NICHE: [(&str, &str, &str, &str, &str); 15] = [
    (
        "gym membership",
        "lifters",
        "crowded gyms",
        "Our gym has workout plans, personal training and classes for every fitness level.",
        "Train smarter at our gym",
    ),
    (
        "skincare set",
        "skincare fans",
        "dry skin",
        "Clean beauty: makeup and skincare made for sensitive skin.",
        "Skincare that works",
    ),
    (
        "denim jacket",
        "shoppers",
        "outfits that don't fit",
        "A fashion edit of clothing, shoes and everyday outfit staples.",
        "Style for every day",
    ),
    (
        "laptop stand",
        "developers",
        "slow software",
        "Tech built for coding, apps and digital work.",
        "Tech for makers",
    ),
    (
        "online store",
        "bargain hunters",
        "overpriced products",
        "One shop with every product you need, delivered fast.",
        "Everything in one store",
    ),
    (
        "pizza",
        "foodies",
        "boring dinners",
        "Fresh meals from our chef, with recipes our restaurant regulars love.",
        "Dinner, sorted",
    ),
    (
        "weekend getaway",
        "travelers",
        "stressful trips",
        "Hotel, flight and tour packages for your next vacation destination.",
        "Your next trip",
    ),
    (
        "investment account",
        "savers",
        "money worries",
        "Invest and grow your wealth with a finance app built for stock and money goals.",
        "Money, made simple",
    ),
    (
        "online course",
        "students",
        "confusing lessons",
        "Learn with a course built by teachers for every student.",
        "Learning that sticks",
    ),
    (
        "starter home",
        "first-time buyers",
        "rising rent",
        "Find a house or apartment with a mortgage plan that fits; real estate made clear.",
        "Homes for every budget",
    ),
    (
        "analytics dashboard",
        "teams",
        "messy spreadsheets",
        "A SaaS platform with a subscription dashboard and analytics tool for your team.",
        "Analytics for teams",
    ),
    (
        "wellness plan",
        "patients",
        "long clinic waits",
        "Health and wellness care from a doctor who listens; therapy and medical support.",
        "Care that fits",
    ),
    (
        "concert pass",
        "music lovers",
        "boring weekends",
        "Entertainment for everyone: movie nights, music, comedy and game days.",
        "Weekend entertainment",
    ),
    (
        "sofa",
        "renters",
        "empty living rooms",
        "Home decor, furniture and interior design pieces for every room.",
        "Decor you'll love",
    ),
    (
        "electric car",
        "drivers",
        "expensive repairs",
        "Car and truck care from an automotive team that knows every vehicle and motor.",
        "Drive with confidence",
    ),
];

fn niche_row(
    niche: Niche,
) -> (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
) {
    NICHE[niche.index().unwrap_or(4)]
}

fn hook_sentence(hook: HookType, product: &str, audience: &str, pain: &str) -> String {
    match hook {
        HookType::Question => format!("Looking for the right {product}?"),
        HookType::NumberList => format!("3 reasons {audience} pick our {product}."),
        HookType::PainPoint => format!("Tired of {pain}?"),
        HookType::CuriosityGap => format!("The secret behind our {product} might surprise you."),
        HookType::Offer => format!("20% off our {product} this week!"),
        HookType::SocialProof => format!("Thousands of {audience} already chose our {product}."),
        HookType::Urgency => format!("Last chance to try our {product} this season!"),
        HookType::Announcement => format!("Introducing our new {product}."),
        HookType::BoldClaim => format!("The best {product} in town."),
        HookType::Story => {
            format!("I used to put off choosing the right {product}.")
        }
        HookType::Other | HookType::Unknown => format!("Our {product}, made with care."),
    }
}

fn cta_sentence(cta: CtaStyle) -> &'static str {
    match cta {
        CtaStyle::LearnMore => " Learn more on our site.",
        CtaStyle::ShopNow => " Shop now.",
        CtaStyle::SignUp => " Sign up today.",
        CtaStyle::GetStarted => " Get started in minutes.",
        CtaStyle::BookNow => " Book your spot.",
        CtaStyle::OrderNow => " Order now.",
        CtaStyle::Download => " Download the app.",
        CtaStyle::GetOffer => " Claim your offer.",
        CtaStyle::GetQuote => " Get a quote.",
        CtaStyle::ContactUs => " Contact us.",
        CtaStyle::CallNow => " Call now.",
        CtaStyle::ApplyNow => " Apply now.",
        CtaStyle::Subscribe => " Subscribe.",
        CtaStyle::WatchMore => " Watch now.",
        CtaStyle::Visit => " Visit us.",
        CtaStyle::Donate => " Donate.",
        CtaStyle::None | CtaStyle::Other | CtaStyle::Unknown => "",
    }
}

/// (headline, body) for a creative.
pub fn ad_copy(niche: Niche, hook: HookType, cta: CtaStyle) -> (String, String) {
    let (product, audience, pain, sentence, headline) = niche_row(niche);
    let body = format!(
        "{} {}{}",
        hook_sentence(hook, product, audience, pain),
        sentence,
        cta_sentence(cta)
    );
    (headline.to_string(), body)
}
