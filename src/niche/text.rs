//! Text normalization and tokenization for niche detection.
//!
//! Real ad copy is full of styling: "𝐅𝐥𝐚𝐬𝐡 𝐒𝐚𝐥𝐞" (Unicode mathematical bold), "𝑆𝑡𝑟𝑒𝑡𝑐ℎ"
//! (italic, with `ℎ` from the letterlike block), fullwidth forms, accents, curly apostrophes.
//! Instead of full NFKC (whose tables would dwarf the detector in wasm), [`fold_char`] maps the
//! few blocks that matter onto ASCII:
//!
//! - Mathematical Alphanumeric Symbols `U+1D400..U+1D6A3` (13 styles x 52 letters) and
//!   `U+1D7CE..U+1D7FF` (5 styles x 10 digits), plus the letterlike symbols that fill their holes;
//! - fullwidth ASCII `U+FF01..U+FF5E`;
//! - Latin-1 letters with diacritics (`é -> e`, `ñ -> n`).
//!
//! Text is then lower-cased and split into tokens: maximal runs of alphanumeric characters, where
//! an apostrophe inside a word is dropped (`we’ve -> weve`). Everything else separates tokens.

/// Map one character onto its plain form (see the module docs); other characters are unchanged.
pub fn fold_char(c: char) -> char {
    let cp = c as u32;
    let mapped = match cp {
        0x1D400..=0x1D6A3 => {
            let i = (cp - 0x1D400) % 52;
            if i < 26 {
                b'A' as u32 + i
            } else {
                b'a' as u32 + i - 26
            }
        }
        0x1D7CE..=0x1D7FF => b'0' as u32 + (cp - 0x1D7CE) % 10,
        0xFF01..=0xFF5E => cp - 0xFEE0,
        0x00C0..=0x00FF => return fold_latin1(c),
        _ => return fold_letterlike(c),
    };
    char::from_u32(mapped).unwrap_or(c)
}

fn fold_latin1(c: char) -> char {
    const UPPER: &[u8; 32] = b"AAAAAAACEEEEIIIIDNOOOOO*OUUUUYTs";
    const LOWER: &[u8; 32] = b"aaaaaaaceeeeiiiidnooooo/ouuuuyty";
    let cp = c as u32;
    let (table, base) = if cp < 0xE0 {
        (UPPER, 0xC0)
    } else {
        (LOWER, 0xE0)
    };
    match table[(cp - base) as usize] {
        b'*' | b'/' => c,
        b => b as char,
    }
}

fn fold_letterlike(c: char) -> char {
    match c {
        'ℂ' => 'C',
        'ℊ' => 'g',
        'ℋ' | 'ℌ' | 'ℍ' => 'H',
        'ℎ' => 'h',
        'ℐ' | 'ℑ' => 'I',
        'ℒ' => 'L',
        'ℓ' => 'l',
        'ℕ' => 'N',
        'ℙ' => 'P',
        'ℚ' => 'Q',
        'ℛ' | 'ℜ' | 'ℝ' => 'R',
        'ℤ' => 'Z',
        'ℬ' => 'B',
        'ℭ' => 'C',
        'ℯ' => 'e',
        'ℰ' => 'E',
        'ℱ' => 'F',
        'ℳ' => 'M',
        'ℴ' => 'o',
        'ℹ' => 'i',
        _ => c,
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘')
}

/// A normalized text and its tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Tokens {
    /// Normalize and tokenize `raw`.
    pub fn new(raw: &str) -> Self {
        let mut text = String::with_capacity(raw.len());
        let mut spans = Vec::new();
        let mut start: Option<usize> = None;
        let mut chars = raw.chars().map(fold_char).peekable();
        while let Some(c) = chars.next() {
            if c.is_alphanumeric() {
                if start.is_none() {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    start = Some(text.len());
                }
                text.extend(c.to_lowercase());
            } else if start.is_some()
                && is_apostrophe(c)
                && chars.peek().is_some_and(|n| n.is_alphanumeric())
            {
                // Inside a word: drop it and keep the word going.
            } else if let Some(s) = start.take() {
                spans.push((s, text.len()));
            }
        }
        if let Some(s) = start {
            spans.push((s, text.len()));
        }
        Tokens { text, spans }
    }

    /// The tokens, in order.
    pub fn words(&self) -> Vec<&str> {
        self.spans.iter().map(|&(a, b)| &self.text[a..b]).collect()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the text has no token at all.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The tokens joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}
