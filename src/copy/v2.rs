//! Rules `v2`: what a user would agree with (labelling rules v2 in tests/data/copy_labels.md).
//!
//! Differences from `v1` (which stays frozen for the simulator and the importer):
//!
//! - **Opening.** An emoji between two phrases also ends the first sentence (sources collapse
//!   line breaks, and ads put an emoji where the line broke); leading emoji and brackets are
//!   skipped.
//! - **Positional hook cues.** Number list, offer, pain point, social proof, urgency and
//!   curiosity gap are searched for in the whole opening and the cue that *starts earliest* wins
//!   (ties in that order, so "5 ways to save" is a list and "Last chance: 50% off" is urgency).
//!   Only then question, announcement, bold claim and story, in that order.
//! - **Number lists** are a count (digits, `30+`, a number word, "top 10") followed within three
//!   words by a plural noun, not a time unit, not "million"/"%" and not bought ("get 2 ...").
//!   **Social proof** adds counts of people ("10,000 customers", "join 20 million players"),
//!   ratings ("rated 4.8", "4.8 stars", "top-rated").
//! - **Offers** need an offer sense: "% off", "save 20%", not any percentage; "free" not in "be
//!   free"; no "offer" as a verb. "Black Friday", "on us", "special!" are offers.
//! - **CTA.** Imperatives that are also ordinary words (watch, play, buy, try, start, visit,
//!   catch, stream) count only at the start of a sentence or clause; "join" only when it asks
//!   to join something (now, today, us, a count, the community ...); a few Dutch imperatives;
//!   "with/using code" is `get_offer`; "get the ... app" is `download`.

use super::rules::{self, matches};
use super::{floor_char_boundary, has_percent};
use crate::record::{CtaStyle, HookType};

/// Phrases the `v1` tables carry that `v2` does not use (too broad in real copy).
const DROPPED: &[&str] = &[
    "offer",
    "problem*",
    "you need to know",
    "meet ",
    "when ",
    "where ",
    "near you",
    "explore",
    "join",
    "the most",
    "new",
    "promo*",
    "save",
];

const OFFER_MORE: &[&str] = &[
    "black friday",
    "cyber monday",
    "on us",
    "special!",
    "special offer",
    "exclusive offer*",
    "this offer",
    "new offer",
    "offer code",
    "offer ends",
    "for cheap",
    "on sale",
    "promotion",
    "oferta",
    "korting",
    "halve prijs",
    "for free",
    "zero delivery",
    "using code",
    "use code",
    "with code",
    "promo",
    "promos",
    "promo code",
    "save on",
    "save up",
    "save big",
    "and save",
    "save more",
];

const PAIN_MORE: &[&str] = &[
    "if you have",
    "never lose",
    "still paying",
    "paying too much",
    "dry skin",
    "dull skin",
    "your problem*",
    "don't get",
    "if you're still",
    "if you are still",
    "watch out for",
    "loose skin",
];

const SOCIAL_MORE: &[&str] = &[
    "top-rated",
    "top rated",
    "highly rated",
    "stars",
    "helping millions",
    "helped millions",
    "everybody's talking",
    "everyone is talking",
    "join millions",
    "first choice of",
    "choice of",
    "have trusted",
    "by storm",
];

const URGENCY_MORE: &[&str] = &[
    "sold out",
    "selling out",
    "last few",
    "últimas",
    "only a few",
    "ends tonight",
    "ends sunday",
    "ends midnight",
    "final hours",
    "few spots left",
];

const CURIOSITY_MORE: &[&str] = &[
    "surprise*",
    "this is what",
    "you think you know",
    "upset by this",
    "should know",
    "ignore this",
    "can't believe",
    "hard to believe",
    "do this",
    "reveals",
    "what happens",
    "warns",
    "missing this",
    "here is why",
    "hiding",
];

const ANNOUNCE_MORE: &[&str] = &[
    "announce*",
    "wait is over",
    "wait is finally over",
    "is live",
    "are live",
    "live now",
    "out now",
    "arrive on",
    "arrives",
    "meet the",
    "new release",
    "unveil*",
    "say hello to",
    "say howdy to",
    "in the news",
    "in news",
    "available now",
    "releasing",
    "special edition",
    "just added",
    "just wrapped",
    "welcome to our",
    "excited to be",
    "neue",
    "neuer",
    "neues",
];

const BOLD_MORE: &[&str] = &[
    "the bomb",
    "out of this world",
    "never felt",
    "will make you",
    "fastest",
    "most innovative",
    "most advanced",
    "most powerful",
];

/// Plural nouns a list opener counts (besides any plain `-s` plural).
const LIST_NOUNS_MORE: &[&str] = &["people", "men", "women", "children", "kids"];

/// Plurals that are quantities, not listed things.
const UNITS: &[&str] = &[
    "days", "hours", "minutes", "seconds", "weeks", "months", "years", "mins", "secs", "points",
    "dollars", "cents", "miles", "times", "sessions", "credits", "pounds", "euros", "kilos", "lbs",
    "inches", "calories",
];

/// Nouns of people that make a count social proof.
const PEOPLE: &[&str] = &[
    "customers",
    "users",
    "members",
    "players",
    "investors",
    "students",
    "people",
    "fans",
    "clients",
    "subscribers",
    "downloads",
    "reviews",
    "families",
    "businesses",
    "companies",
    "traders",
    "patients",
    "athletes",
    "readers",
    "shoppers",
    "drivers",
];

/// Words before a count that make it bought or scaled, not listed.
const NOT_LIST_BEFORE: &[&str] = &[
    "get", "buy", "for", "only", "save", "claim", "receive", "earn", "win", "of", "over", "join",
    "than", "first", "the",
];

/// Extra CTA phrases (matched anywhere, like `v1`'s table).
const CTA_MORE: &[(&str, CtaStyle)] = &[
    ("pre-purchase", CtaStyle::ShopNow),
    ("pre-order", CtaStyle::ShopNow),
    ("get your tickets", CtaStyle::ShopNow),
    ("see for yourself", CtaStyle::LearnMore),
    ("see inside", CtaStyle::LearnMore),
    ("check out", CtaStyle::LearnMore),
    ("explore our", CtaStyle::LearnMore),
    ("explore more", CtaStyle::LearnMore),
    ("click to learn", CtaStyle::LearnMore),
    ("ontdek", CtaStyle::LearnMore),
    ("create your account", CtaStyle::SignUp),
    ("create an account", CtaStyle::SignUp),
    ("open your", CtaStyle::SignUp),
    ("meld je aan", CtaStyle::SignUp),
    ("begin your", CtaStyle::GetStarted),
    ("start your", CtaStyle::GetStarted),
    ("try it", CtaStyle::GetStarted),
    ("reserveer", CtaStyle::BookNow),
    ("bestel", CtaStyle::OrderNow),
    ("using code", CtaStyle::GetOffer),
    ("with code", CtaStyle::GetOffer),
    ("compare quotes", CtaStyle::GetQuote),
    ("tune in", CtaStyle::WatchMore),
    ("stream now", CtaStyle::WatchMore),
    ("watch along", CtaStyle::WatchMore),
    ("install the", CtaStyle::Download),
    ("play now", CtaStyle::Download),
    ("play free", CtaStyle::Download),
    ("join the conversation", CtaStyle::Other),
    ("in the comments", CtaStyle::Other),
    ("share your", CtaStyle::Other),
    ("post a photo", CtaStyle::Other),
    ("rsvp", CtaStyle::Other),
    ("search for", CtaStyle::Other),
    ("take a look", CtaStyle::LearnMore),
    ("continue reading", CtaStyle::LearnMore),
    ("see the results", CtaStyle::LearnMore),
    ("see which", CtaStyle::LearnMore),
    ("listen now", CtaStyle::WatchMore),
    ("stay tuned", CtaStyle::WatchMore),
    ("rent now", CtaStyle::ShopNow),
    ("tell us", CtaStyle::Other),
    ("share yours", CtaStyle::Other),
    ("switch now", CtaStyle::Other),
    ("get it here", CtaStyle::ShopNow),
    ("pre-save", CtaStyle::Other),
    ("find out how", CtaStyle::LearnMore),
    ("find out what", CtaStyle::LearnMore),
    ("get a peek", CtaStyle::LearnMore),
    ("look inside", CtaStyle::LearnMore),
    ("show you how", CtaStyle::LearnMore),
    ("check it out", CtaStyle::LearnMore),
    ("check em", CtaStyle::LearnMore),
    ("chip in", CtaStyle::Donate),
    ("get in touch", CtaStyle::ContactUs),
];

/// Imperatives that count only at the start of a sentence or clause.
const CTA_LEADING: &[(&str, CtaStyle)] = &[
    ("watch", CtaStyle::WatchMore),
    ("catch", CtaStyle::WatchMore),
    ("stream", CtaStyle::WatchMore),
    ("play", CtaStyle::Download),
    ("buy", CtaStyle::ShopNow),
    ("shop", CtaStyle::ShopNow),
    ("try", CtaStyle::GetStarted),
    ("start", CtaStyle::GetStarted),
    ("visit", CtaStyle::Visit),
    ("book", CtaStyle::BookNow),
    ("order", CtaStyle::OrderNow),
    ("apply", CtaStyle::ApplyNow),
    ("call", CtaStyle::CallNow),
    ("subscribe", CtaStyle::Subscribe),
    ("download", CtaStyle::Download),
    ("read", CtaStyle::LearnMore),
    ("learn how", CtaStyle::LearnMore),
    ("show us", CtaStyle::Other),
    ("listen", CtaStyle::WatchMore),
    ("pick up", CtaStyle::ShopNow),
    ("save on", CtaStyle::GetOffer),
    ("go to", CtaStyle::LearnMore),
    ("chat with", CtaStyle::ContactUs),
    ("participate", CtaStyle::Other),
];

/// What may follow "join" for it to ask the reader to join.
const JOIN_OBJECTS: &[&str] = &[
    "now",
    "today",
    "us",
    "our",
    "free",
    "for",
    "any",
    "the thousands",
    "thousands",
    "millions",
    "over",
    "a ",
    "the community",
    "the club",
    "the waitlist",
    "the program",
    "the movement",
];

fn dropped(phrase: &str) -> bool {
    DROPPED.contains(&phrase)
}

/// Earliest word-bounded match of any phrase of `tables` in `text` (v1 phrases in [`DROPPED`]
/// skipped).
fn first(text: &str, tables: &[&[&str]]) -> Option<usize> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .filter(|p| !dropped(p))
        .filter_map(|p| matches(text, p).next())
        .min()
}

/// The first sentence of folded text, v2 (see the module docs).
pub(crate) fn opening_of(text: &str) -> &str {
    let t = text.trim_start_matches(|c: char| {
        c.is_whitespace() || super::fold::is_emoji(c) || matches!(c, '[' | '(' | '\u{20E3}')
    });
    let mut seen_alnum = false;
    let mut it = t.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let next = it.peek().map(|&(_, n)| n);
        match c {
            '!' | '?' => {
                let mut j = i + 1;
                while let Some(&(k, n)) = it.peek() {
                    if n != '!' && n != '?' {
                        break;
                    }
                    j = k + 1;
                    it.next();
                }
                return &t[..j];
            }
            '\n' => return &t[..i],
            ' ' if next == Some(' ') && i > 0 => return &t[..i],
            '.' if !next.is_some_and(|n| n.is_ascii_alphanumeric()) && i > 0 => {
                // "Dr." and "U.S." do not end a sentence.
                let word = t[..i].rsplit(' ').next().unwrap_or("");
                if !matches!(
                    word,
                    "dr" | "mr" | "mrs" | "ms" | "st" | "vs" | "u.s" | "no"
                ) {
                    return &t[..=i];
                }
            }
            c if super::fold::is_emoji(c) && seen_alnum => return t[..i].trim_end(),
            _ => {}
        }
        seen_alnum |= c.is_alphanumeric();
    }
    t
}

struct Tok<'a> {
    pos: usize,
    word: &'a str,
}

fn tokens(text: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_alphanumeric() || matches!(c, '\'' | '-' | '+' | ',' | '.' | '#' | '$');
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(trim_tok(text, s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(trim_tok(text, s, text.len()));
    }
    out.retain(|t| !t.word.is_empty());
    out
}

fn trim_tok(text: &str, s: usize, e: usize) -> Tok<'_> {
    let w = &text[s..e];
    let lead = w.len() - w.trim_start_matches(['\'', ',', '.', '-']).len();
    Tok {
        pos: s + lead,
        word: w.trim_matches(['\'', ',', '.', '-']),
    }
}

fn is_count(w: &str) -> bool {
    let digits = w.trim_end_matches('+');
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && !is_year(digits))
        || rules::NUMBER_WORDS.contains(&w)
}

fn is_year(d: &str) -> bool {
    d.len() == 4 && d.parse::<u32>().is_ok_and(|y| (1500..2100).contains(&y))
}

fn is_scaled_number(w: &str) -> bool {
    let w = w.trim_end_matches('+');
    let w = w.strip_suffix('k').or(w.strip_suffix('m')).unwrap_or(w);
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
}

fn plural_thing(w: &str) -> bool {
    let w = w.trim_end_matches(|c: char| !c.is_alphanumeric());
    rules::LIST_NOUNS.contains(&w)
        || LIST_NOUNS_MORE.contains(&w)
        || (w.len() >= 4
            && w.ends_with('s')
            && !w.ends_with("ss")
            && !w.ends_with("'s")
            && w.chars().all(|c| c.is_alphabetic() || c == '-')
            && !UNITS.contains(&w))
}

/// Position of a number-list opener ("5 ways", "top 10", "8 new cars").
fn list_at(text: &str, toks: &[Tok<'_>]) -> Option<usize> {
    for (i, t) in toks.iter().enumerate() {
        let top = t.word == "top" && toks.get(i + 1).is_some_and(|n| is_count(n.word));
        if top {
            return Some(t.pos);
        }
        if !is_count(t.word) || t.word == "top" {
            continue;
        }
        if i > 0 {
            let prev = toks[i - 1].word;
            // "The 8 ways ..." opening a title is a list; "the 2 of us" later is not.
            let title_the = i == 1 && prev == "the";
            if !title_the
                && (NOT_LIST_BEFORE.contains(&prev)
                    || prev.ends_with("ed")
                    || prev.ends_with("ing"))
            {
                continue;
            }
        }
        let one = t.word.trim_end_matches('+') == "1";
        let percent = text[t.pos + t.word.len()..].starts_with('%');
        if one || percent {
            continue;
        }
        let next = toks.get(i + 1).map_or("", |n| n.word);
        if matches!(
            next,
            "million" | "thousand" | "billion" | "k" | "crore" | "lakh" | "in" | "out"
        ) {
            continue;
        }
        let noun = toks[i + 1..].iter().take(3).find(|n| plural_thing(n.word));
        if let Some(n) = noun {
            // The noun belongs to the count only inside one phrase.
            let span = &text[t.pos..n.pos];
            if !span.contains(['|', ':', '!', '?', '(']) && !span.contains(". ") {
                return Some(t.pos);
            }
        }
    }
    None
}

/// Position of a count of people ("10,000 customers", "join 20 million players").
fn social_count_at(toks: &[Tok<'_>]) -> Option<usize> {
    for (i, t) in toks.iter().enumerate() {
        if !is_scaled_number(t.word) {
            continue;
        }
        if toks[i + 1..]
            .iter()
            .take(4)
            .any(|n| PEOPLE.contains(&n.word.trim_end_matches(|c: char| !c.is_alphanumeric())))
        {
            let lead = i
                .checked_sub(1)
                .filter(|&j| matches!(toks[j].word, "join" | "over" | "than" | "by"));
            return Some(lead.map_or(t.pos, |j| toks[j].pos));
        }
    }
    None
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '¢' | '€' | '£' | '₹' | '¥' | '₩')
}

/// Whether the amount starting at `rest` is scaled to millions or more ("3.5 million",
/// "$100m", "1.4 trillion"): a figure in a story or a company's revenue, not a price.
fn large_amount(rest: &str) -> bool {
    let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ',');
    let unit = digits.trim_start();
    ["million", "billion", "trillion", "bn"]
        .iter()
        .any(|u| unit.starts_with(u))
        || ["m ", "b ", "m.", "b."]
            .iter()
            .any(|u| digits.starts_with(u))
        || digits == "m"
        || digits == "b"
}

/// Position of a price: a currency sign next to a digit, or digits followed by "zł". Amounts
/// in millions or more are not prices.
fn price_at(text: &str) -> Option<usize> {
    let mut prev: Option<char> = None;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_currency(c) {
            let before = prev.is_some_and(|p| p.is_ascii_digit());
            let after = it.peek().is_some_and(|&(_, n)| n.is_ascii_digit());
            if (before || after) && !(after && large_amount(&text[i + c.len_utf8()..])) {
                return Some(i);
            }
        }
        if c.is_ascii_digit() && text[i + 1..].starts_with("zł") {
            return Some(i);
        }
        prev = Some(c);
    }
    None
}

/// Position of a discount percentage: "20% off", "save 20%", "up to 8% back", "20% korting".
fn discount_at(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    for i in 1..b.len() {
        if b[i] == b'%' && b[i - 1].is_ascii_digit() {
            let mut s = i - 1;
            while s > 0 && (b[s - 1].is_ascii_digit() || b[s - 1] == b'.') {
                s -= 1;
            }
            let after = text[i + 1..].trim_start();
            let before = text[..s].trim_end();
            let off = [
                "off",
                "discount",
                "back",
                "cashback",
                "korting",
                "descuento",
                "de rabais",
                "down",
                "apr",
                "interest",
            ]
            .iter()
            .any(|w| after.starts_with(w));
            let save = ["save", "up to", "extra", "get"]
                .iter()
                .any(|w| before.ends_with(w));
            if off || save {
                return Some(s);
            }
        }
    }
    None
}

/// Position of an offer cue, ignoring "free" in "be free" / "feel free" / "-free".
fn offer_at(text: &str) -> Option<usize> {
    let mut best = first(text, &[rules::OFFER, OFFER_MORE]);
    if let Some(p) = best {
        let before = &text[..p];
        let free = text[p..].starts_with("free");
        if text[p..].starts_with("off your") && before.ends_with("turn ") {
            return [
                offer_at(&text[p + 3..]).map(|q| q + p + 3),
                price_at(text),
                discount_at(text),
            ]
            .into_iter()
            .flatten()
            .min();
        }
        if free && (before.ends_with("be ") || before.ends_with("feel ") || before.ends_with('-')) {
            // Look again after this use of "free".
            best = offer_at(&text[p + 4..]).map(|q| q + p + 4);
        } else if text[p..].starts_with("deal")
            && (before.ends_with("big ") || text[p..].starts_with("deal with"))
        {
            best = offer_at(&text[p + 4..]).map(|q| q + p + 4);
        }
    }
    [best, price_at(text), discount_at(text)]
        .into_iter()
        .flatten()
        .min()
}

/// A `?`, "how to" (not "learn how to"), or a question word at the start of the opening.
fn question_fires(opening: &str) -> bool {
    if opening.contains('?')
        || matches(opening, "how to").any(|p| !opening[..p].ends_with("learn "))
    {
        return true;
    }
    // A title's segments ("Brand | How X works") each start a question.
    if opening.split(" | ").skip(1).any(|seg| {
        rules::QUESTION_STARTS
            .iter()
            .filter(|q| !dropped(q))
            .any(|q| seg.trim_start().starts_with(q))
    }) {
        return true;
    }
    let s = opening.trim_start_matches(|c: char| !c.is_alphanumeric());
    rules::QUESTION_STARTS
        .iter()
        .filter(|q| !dropped(q))
        .any(|q| s.starts_with(q))
}

/// "new" counts as an announcement only in the first five words; "meet ..." only at the start.
fn announce_fires(opening: &str) -> bool {
    if first(opening, &[rules::ANNOUNCE, ANNOUNCE_MORE]).is_some() {
        return true;
    }
    if opening.starts_with("meet ") {
        return true;
    }
    let toks = tokens(opening);
    toks.iter().take(5).any(|t| t.word == "new")
}

fn bold_fires(opening: &str) -> bool {
    if first(opening, &[rules::BOLD, BOLD_MORE]).is_some() || opening.starts_with("most ") {
        return true;
    }
    matches(opening, "the most")
        .any(|p| !opening[..p].ends_with("make ") && !opening[..p].ends_with("out of "))
}

fn story_fires(opening: &str) -> bool {
    opening.starts_with('"') || first(opening, &[rules::STORY]).is_some()
}

pub(crate) fn hook_of(opening: &str) -> HookType {
    let toks = tokens(opening);
    let social = [
        first(opening, &[rules::SOCIAL, SOCIAL_MORE]),
        social_count_at(&toks),
    ]
    .into_iter()
    .flatten()
    .min();
    let positional = [
        (HookType::NumberList, list_at(opening, &toks)),
        (HookType::Offer, offer_at(opening)),
        (
            HookType::PainPoint,
            first(opening, &[rules::PAIN, PAIN_MORE]),
        ),
        (HookType::SocialProof, social),
        (
            HookType::Urgency,
            first(opening, &[rules::URGENCY, URGENCY_MORE]),
        ),
        (
            HookType::CuriosityGap,
            first(opening, &[rules::CURIOSITY, CURIOSITY_MORE]),
        ),
    ];
    // `min_by_key` keeps the first of equal positions: the list order breaks ties.
    if let Some((h, _)) = positional
        .iter()
        .filter_map(|&(h, p)| p.map(|p| (h, p)))
        .min_by_key(|&(_, p)| p)
    {
        return h;
    }
    if question_fires(opening) {
        HookType::Question
    } else if announce_fires(opening) {
        HookType::Announcement
    } else if bold_fires(opening) {
        HookType::BoldClaim
    } else if story_fires(opening) {
        HookType::Story
    } else {
        HookType::Other
    }
}

/// Whether byte `pos` starts a sentence or clause: text start, or after `.!?:|(—-` , a line
/// break or an emoji (with spaces between).
fn at_clause_start(text: &str, pos: usize) -> bool {
    let before = text[..pos].trim_end();
    match before.chars().next_back() {
        None => true,
        Some(c) => {
            matches!(
                c,
                '.' | '!' | '?' | ':' | '|' | '(' | '—' | '\n' | '"' | '>'
            ) || (c == '-' && before.ends_with(" -"))
                || super::fold::is_emoji(c)
                || c == '\u{20E3}'
        }
    }
}

pub(crate) fn cta_of(text: &str) -> CtaStyle {
    let mut best: Option<(usize, usize, CtaStyle)> = None;
    let mut consider = |pos: usize, len: usize, style: CtaStyle| {
        if best.is_none_or(|(p, l, _)| pos > p || (pos == p && len > l)) {
            best = Some((pos, len, style));
        }
    };
    for &(phrase, style) in rules::CTA.iter().chain(CTA_MORE) {
        if dropped(phrase) {
            continue;
        }
        // "pre-order now" is a pre-order, not "order now"; "watch the video to find out how" is
        // one instruction (watch), its purpose is not a second one.
        if let Some(pos) = matches(text, phrase)
            .filter(|&p| !text[..p].ends_with("pre-"))
            .filter(|&p| !(phrase.starts_with("find out") && text[..p].ends_with("to ")))
            .last()
        {
            consider(pos, phrase.len(), style);
        }
    }
    for &(verb, style) in CTA_LEADING {
        if let Some(pos) = matches(text, verb)
            .filter(|&p| at_clause_start(text, p))
            .filter(|&p| {
                !(verb == "try"
                    && (text[p..].starts_with("try this") || text[p..].starts_with("try not")))
            })
            .filter(|&p| !(verb == "watch" && text[p..].starts_with("watch out")))
            .filter(|&p| !(verb == "book" && text[p..].starts_with("book trailer")))
            .last()
        {
            consider(pos, verb.len(), style);
        }
    }
    for pos in matches(text, "join") {
        let rest = text[pos + 4..].trim_start();
        let asks = JOIN_OBJECTS.iter().any(|o| rest.starts_with(o))
            || rest.starts_with(|c: char| c.is_ascii_digit());
        if asks {
            consider(pos, 4, CtaStyle::SignUp);
        }
    }
    for pos in matches(text, "get") {
        // "to get ..." and "may get ..." are no instruction.
        let before = &text[..pos];
        if ["to ", "may ", "can ", "could ", "will "]
            .iter()
            .any(|w| before.ends_with(w))
        {
            continue;
        }
        let rest = &text[pos + 3..];
        let end = rest
            .find(['.', '!', '?', '\n'])
            .unwrap_or(rest.len())
            .min(40);
        let clause = &rest[..floor_char_boundary(rest, end)];
        if rules::any(clause, &["free", "off", "rewards", "reward"])
            || price_at(clause).is_some()
            || has_percent(clause)
        {
            consider(pos, 3, CtaStyle::GetOffer);
        } else if clause
            .split_whitespace()
            .take(4)
            .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == "app")
        {
            consider(pos, 3, CtaStyle::Download);
        }
    }
    best.map_or(CtaStyle::None, |(_, _, s)| s)
}
