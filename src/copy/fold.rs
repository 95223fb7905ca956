//! Text folding for phrase matching: one pass, into a reused buffer.
//!
//! Real ad copy styles letters with Unicode "mathematical" alphanumerics (`𝐅𝐥𝐚𝐬𝐡 𝐒𝐚𝐥𝐞`),
//! fullwidth forms and curly quotes, and the exports flatten line breaks into double spaces. The
//! fold maps these to plain lower-case ASCII where one exists (a hand-written subset of NFKC plus
//! lower-casing, enough for matching), drops zero-width and variation-selector characters, and
//! keeps everything else (accents, emoji) as is.

/// Fold `src` onto the end of `out`.
pub(crate) fn fold_into(src: &str, out: &mut String) {
    for c in src.chars() {
        if let Some(f) = fold_char(c) {
            out.push(f);
        }
    }
}

fn fold_char(c: char) -> Option<char> {
    let u = c as u32;
    match u {
        // Mathematical alphanumeric letters: 13 styles of A-Z a-z.
        0x1D400..=0x1D6A3 => {
            let i = (u - 0x1D400) % 52;
            char::from_u32(if i < 26 { 0x61 + i } else { 0x61 + i - 26 }).or(Some(c))
        }
        // Mathematical digits: 5 styles of 0-9.
        0x1D7CE..=0x1D7FF => char::from_u32(0x30 + (u - 0x1D7CE) % 10).or(Some(c)),
        // Fullwidth ASCII.
        0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0)
            .map(|c| c.to_ascii_lowercase())
            .or(Some(c)),
        // Letterlike symbols that fill the holes of the mathematical block.
        0x210E => Some('h'),
        0x212F => Some('e'),
        0x210A => Some('g'),
        0x2134 => Some('o'),
        0x212C => Some('b'),
        0x2130 => Some('e'),
        0x2131 => Some('f'),
        0x210B..=0x210D => Some('h'),
        0x2110 | 0x2111 => Some('i'),
        0x2112 => Some('l'),
        0x2133 => Some('m'),
        0x211B..=0x211D => Some('r'),
        0x2102 => Some('c'),
        0x2115 => Some('n'),
        0x2119 => Some('p'),
        0x211A => Some('q'),
        0x2124 | 0x2128 => Some('z'),
        0x212D => Some('c'),
        // Quotes and dashes.
        0x2018 | 0x2019 | 0x201B | 0x2032 => Some('\''),
        0x201C | 0x201D | 0x201F => Some('"'),
        0x2010..=0x2015 => Some('-'),
        0x2026 => Some('.'),
        // Spaces.
        0x00A0 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(' '),
        // Zero-width characters, invisible separators, variation selectors: dropped.
        0x200B..=0x200D | 0x2060..=0x2064 | 0xFE00..=0xFE0F | 0xFEFF => None,
        _ if c.is_ascii() => Some(c.to_ascii_lowercase()),
        _ => {
            let mut l = c.to_lowercase();
            match (l.next(), l.next()) {
                (Some(one), None) => Some(one),
                _ => Some(c),
            }
        }
    }
}

/// A pictographic (emoji) code point, not counting modifiers, joiners and variation selectors.
pub(crate) fn is_emoji(c: char) -> bool {
    let u = c as u32;
    matches!(u,
        0x1F000..=0x1F3FA | 0x1F400..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF
        | 0x2300..=0x23FF | 0x25A0..=0x25FF | 0x2190..=0x21FF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_styled_letters_digits_and_quotes() {
        let mut s = String::new();
        fold_into("𝐅𝐞𝐛𝟐𝟑 𝐅𝐥𝐚𝐬𝐡 𝑆𝑡 ℎ Don’t ＳＡＬＥ\u{2063}!", &mut s);
        assert_eq!(s, "feb23 flash st h don't sale!");
        let mut t = String::new();
        fold_into("Únase ☕️", &mut t);
        assert_eq!(t, "únase ☕");
        assert!(is_emoji('⚡') && is_emoji('🍕') && !is_emoji('a') && !is_emoji('\u{FE0F}'));
    }
}
