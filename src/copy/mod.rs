//! Creative attributes read from ad copy: hook type, CTA style and copy signals.
//!
//! Runs in the browser while the user types (the editor pre-fills attributes) and on import, so it
//! is rule-based, allocation-light and fast: one pass folds the text into a buffer that a
//! [`CopyExtractor`] reuses across calls (see the `fold` submodule for what folding does), then phrase tables
//! ([`rules`]) are matched on word boundaries. No regexes, no model, no allocation per phrase.
//!
//! **Reading order** is the body (Meta's primary text, TikTok's ad text) then the headline: Meta
//! shows the primary text above the media and the headline under it, by the button.
//!
//! **Hook type** is read from the *opening*: the first sentence of the body (up to the first `!`,
//! `?`, line break, double space, or `.` not followed by a digit), or of the headline when the body
//! is empty. The first hook rule that fires wins, in the order offer, pain point, number/list,
//! social proof, urgency, curiosity gap, question, announcement, bold claim, story; if none fires
//! the hook is `other`, and empty copy is `unknown`.
//!
//! **CTA style** is the CTA phrase that occurs *last* in reading order (ads close on their main
//! call to action; ties go to the longer phrase), plus one pattern rule: "get" (not "to get")
//! followed within the same sentence by "free", "off", a price, a percentage or "rewards" is
//! `get_offer`. No
//! phrase: `none`; empty copy: `unknown`.
//!
//! Signals are counts over headline + body: characters and words (after folding), emoji
//! (pictographic code points), numbers (digit runs), prices (a currency sign next to a digit),
//! percentages, offer and urgency terms, `!`, `?`, hashtags and mentions.
//!
//! **Two rule versions** ([`CopyRules`]): the description above is `V1`, frozen because the
//! simulator's template copy is checked against it and the importer fills records with it. `V2`
//! (the `v2` submodule's docs list the differences) reads what a user types: positional hook
//! cues, number lists before offers, social proof by counts and ratings, and clause-start
//! imperatives. [`anatomy`] lays out each platform's own fields (Meta primary text / headline /
//! description, search headlines / descriptions, TikTok ad text) so the hook is read from what
//! the platform shows first.
//!
//! Agreement with hand labels: `V1` on 120 export texts, `tests/copy_agreement.rs`; both versions
//! on 335 served ads from 317 advertiser groups with a held-out part,
//! `tests/copy_agreement_v2.rs` (figures in docs/data-layer.md).

pub mod anatomy;
mod fold;
pub mod rules;
mod v2;

use crate::record::{CtaStyle, HookType};
use serde::{Deserialize, Serialize};

/// Ad copy to read: a headline and a body, either possibly empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct AdCopy {
    /// Headline.
    pub headline: String,
    /// Body / primary text.
    pub body: String,
}

/// Attributes read from a piece of ad copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub struct CopyAttributes {
    /// Hook type of the opening.
    pub hook_type: HookType,
    /// Main call to action.
    pub cta_style: CtaStyle,
    /// Characters in headline + body after folding (zero-width characters not counted).
    pub char_count: u32,
    /// Words (whitespace-separated tokens with a letter or digit).
    pub word_count: u32,
    /// Pictographic (emoji) code points.
    pub emoji_count: u32,
    /// Runs of digits.
    pub number_count: u32,
    /// A currency sign ($, ¢, €, £) next to a digit.
    pub has_price: bool,
    /// A digit followed by `%`.
    pub has_percent: bool,
    /// Any offer term (free, sale, % off, deal, rewards, ...).
    pub has_offer_terms: bool,
    /// Any urgency term (last chance, limited time, hurry, ...).
    pub has_urgency: bool,
    /// `!` characters.
    pub exclamation_count: u32,
    /// `?` characters.
    pub question_count: u32,
    /// `#word` hashtags.
    pub hashtag_count: u32,
    /// `@name` mentions.
    pub mention_count: u32,
}

/// Which version of the hook and CTA rules to apply.
///
/// `V1` is frozen: the simulator's templates are written to read back under it and the importer
/// uses it, so its output never changes. `V2` reads what a user types (the editor, the platform
/// anatomy in [`anatomy`]); it was tuned on the `tune` part of `tests/data/copy_labels_v2.csv`.
/// The signals (counts, price, urgency terms, ...) are the same under both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum CopyRules {
    /// The first rules (labelling guide v1, strict precedence, offer first).
    #[default]
    V1,
    /// Rules v2: positional cues (the earliest cue in the opening wins, number lists before
    /// offers), social proof by counts and ratings, urgency, a wider CTA vocabulary.
    V2,
}

/// A reusable extractor: keeps its folding buffer between calls, so steady-state extraction
/// does not allocate.
#[derive(Debug, Default)]
pub struct CopyExtractor {
    buf: String,
    rules: CopyRules,
}

impl CopyExtractor {
    /// A new extractor with the frozen `V1` rules.
    pub fn new() -> Self {
        CopyExtractor::default()
    }

    /// A new extractor applying `rules`.
    pub fn with_rules(rules: CopyRules) -> Self {
        CopyExtractor {
            buf: String::new(),
            rules,
        }
    }

    /// The rules this extractor applies.
    pub fn rules(&self) -> CopyRules {
        self.rules
    }

    /// Read the attributes of one piece of copy.
    pub fn extract(&mut self, headline: &str, body: &str) -> CopyAttributes {
        self.buf.clear();
        fold::fold_into(body, &mut self.buf);
        let body_len = self.buf.len();
        self.buf.push('\n');
        fold::fold_into(headline, &mut self.buf);
        let text = self.buf.as_str();
        let (body_f, head_f) = (&text[..body_len], &text[body_len + 1..]);
        let empty = body_f.trim().is_empty() && head_f.trim().is_empty();
        let source = if body_f.trim().is_empty() {
            head_f
        } else {
            body_f
        };
        let v2 = self.rules == CopyRules::V2;
        let opening = if v2 {
            v2::opening_of(source)
        } else {
            opening_of(source)
        };
        let mut a = signals(text);
        a.char_count = a.char_count.saturating_sub(1); // the joining newline
        a.has_offer_terms = rules::any(text, rules::OFFER);
        a.has_urgency = rules::any(text, rules::URGENCY);
        a.hook_type = match (empty, v2) {
            (true, _) => HookType::Unknown,
            (false, false) => hook_of(opening),
            (false, true) => v2::hook_of(opening),
        };
        a.cta_style = match (empty, v2) {
            (true, _) => CtaStyle::Unknown,
            (false, false) => cta_of(text),
            (false, true) => v2::cta_of(text),
        };
        a
    }
}

/// Read the attributes of one piece of copy (convenience; allocates one buffer).
pub fn extract_copy_attributes(headline: &str, body: &str) -> CopyAttributes {
    CopyExtractor::new().extract(headline, body)
}

/// Read the attributes of one piece of copy under rules `V2` (what the editor shows a user).
pub fn extract_copy_attributes_v2(headline: &str, body: &str) -> CopyAttributes {
    CopyExtractor::with_rules(CopyRules::V2).extract(headline, body)
}

/// Read the attributes of many pieces of copy, reusing one buffer.
pub fn extract_copy_batch(items: &[AdCopy]) -> Vec<CopyAttributes> {
    let mut x = CopyExtractor::new();
    items
        .iter()
        .map(|c| x.extract(&c.headline, &c.body))
        .collect()
}

/// The first sentence of folded text.
pub(crate) fn opening_of(text: &str) -> &str {
    let t = text.trim_start();
    let b = t.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let next = b.get(i + 1).copied();
        let end = match c {
            b'!' | b'?' => {
                // Keep "?!" / "!!" runs inside the sentence.
                let mut j = i + 1;
                while j < b.len() && matches!(b[j], b'!' | b'?') {
                    j += 1;
                }
                Some(j)
            }
            b'\n' => Some(i),
            b' ' if next == Some(b' ') && i > 0 => Some(i),
            b'.' if !next.is_some_and(|n| n.is_ascii_digit()) && i > 0 => Some(i + 1),
            _ => None,
        };
        if let Some(j) = end {
            return &t[..j];
        }
    }
    t
}

pub(crate) fn hook_of(opening: &str) -> HookType {
    for &h in rules::HOOK_ORDER {
        let fired = match h {
            HookType::Offer => {
                rules::any(opening, rules::OFFER) || has_price(opening) || has_percent(opening)
            }
            HookType::PainPoint => rules::any(opening, rules::PAIN),
            HookType::NumberList => is_list_opener(opening),
            HookType::SocialProof => rules::any(opening, rules::SOCIAL),
            HookType::Urgency => rules::any(opening, rules::URGENCY),
            HookType::CuriosityGap => rules::any(opening, rules::CURIOSITY),
            HookType::Question => {
                opening.contains('?') || {
                    let s = opening.trim_start_matches(|c: char| !c.is_alphanumeric());
                    rules::QUESTION_STARTS.iter().any(|q| s.starts_with(q))
                }
            }
            HookType::Announcement => rules::any(opening, rules::ANNOUNCE),
            HookType::BoldClaim => rules::any(opening, rules::BOLD),
            HookType::Story => rules::any(opening, rules::STORY),
            _ => false,
        };
        if fired {
            return h;
        }
    }
    HookType::Other
}

/// "5 ways...", "three reasons...", "top 10...", "3 words:".
fn is_list_opener(opening: &str) -> bool {
    let mut words = opening
        .split(|c: char| c.is_whitespace())
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty());
    let (Some(first), Some(second)) = (words.next(), words.next()) else {
        return false;
    };
    let is_count =
        first.bytes().all(|b| b.is_ascii_digit()) || rules::NUMBER_WORDS.contains(&first);
    let second_is_count = second.bytes().all(|b| b.is_ascii_digit());
    is_count && (rules::LIST_NOUNS.contains(&second) || (first == "top" && second_is_count))
}

pub(crate) fn cta_of(text: &str) -> CtaStyle {
    let mut best: Option<(usize, usize, CtaStyle)> = None;
    let mut consider = |pos: usize, len: usize, style: CtaStyle| {
        if best.is_none_or(|(p, l, _)| pos > p || (pos == p && len > l)) {
            best = Some((pos, len, style));
        }
    };
    for &(phrase, style) in rules::CTA {
        if let Some(pos) = rules::matches(text, phrase).last() {
            consider(pos, phrase.len(), style);
        }
    }
    for pos in rules::matches(text, "get") {
        // "... to get rewards" is a purpose clause, not the instruction.
        if text[..pos].ends_with("to ") {
            continue;
        }
        let rest = &text[pos + 3..];
        let end = rest
            .find(['.', '!', '?', '\n'])
            .unwrap_or(rest.len())
            .min(40);
        let clause = &rest[..floor_char_boundary(rest, end)];
        if rules::any(clause, &["free", "off", "rewards", "reward"])
            || has_price(clause)
            || has_percent(clause)
        {
            consider(pos, 3, CtaStyle::GetOffer);
        }
    }
    best.map_or(CtaStyle::None, |(_, _, s)| s)
}

pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '¢' | '€' | '£')
}

pub(crate) fn has_price(text: &str) -> bool {
    let mut prev: Option<char> = None;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if is_currency(c) {
            let before = prev.is_some_and(|p| p.is_ascii_digit());
            let after = it.peek().is_some_and(|n| n.is_ascii_digit() || *n == '.');
            if before || after {
                return true;
            }
        }
        prev = Some(c);
    }
    false
}

pub(crate) fn has_percent(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_digit() && w[1] == b'%')
}

/// Count-style signals in one pass.
fn signals(text: &str) -> CopyAttributes {
    let mut a = CopyAttributes {
        hook_type: HookType::Unknown,
        cta_style: CtaStyle::Unknown,
        char_count: 0,
        word_count: 0,
        emoji_count: 0,
        number_count: 0,
        has_price: has_price(text),
        has_percent: has_percent(text),
        has_offer_terms: false,
        has_urgency: false,
        exclamation_count: 0,
        question_count: 0,
        hashtag_count: 0,
        mention_count: 0,
    };
    let (mut in_word, mut word_has_alnum, mut in_number) = (false, false, false);
    let mut prev = ' ';
    for c in text.chars() {
        a.char_count += 1;
        if c.is_whitespace() {
            if in_word && word_has_alnum {
                a.word_count += 1;
            }
            in_word = false;
            word_has_alnum = false;
        } else {
            in_word = true;
            word_has_alnum |= c.is_alphanumeric();
        }
        let digit = c.is_ascii_digit();
        if digit && !in_number {
            a.number_count += 1;
        }
        in_number = digit;
        match c {
            '!' => a.exclamation_count += 1,
            '?' => a.question_count += 1,
            _ => {}
        }
        if prev == '#' && c.is_alphabetic() {
            a.hashtag_count += 1;
        }
        if prev == '@' && c.is_alphanumeric() {
            a.mention_count += 1;
        }
        if fold::is_emoji(c) {
            a.emoji_count += 1;
        }
        prev = c;
    }
    if in_word && word_has_alnum {
        a.word_count += 1;
    }
    a
}

#[cfg(test)]
mod tests;
