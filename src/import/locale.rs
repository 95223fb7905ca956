//! Numbers, money, dates and text as report downloads write them.
//!
//! UI report downloads format numbers for the user's locale: thousands separators (`1,234`,
//! `1.234`, `1 234`, `1'234`), a decimal comma (`12,50`), currency signs or codes next to
//! money (`$12.50`, `12,50 €`, `12.50 USD`), percent signs (`2.5%`), and dates as `M/D/YYYY`,
//! `D.M.YYYY` or with a time. The decimal separator and the date order are decided once per
//! file ([`FileLocale::sniff`]) from every cell of the money and date columns, never per cell:
//! `1,234` is one thousand two hundred thirty-four in a file whose money says `12.50`, and one
//! point two three four in a file whose money says `12,50`.

/// The decimal separator of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Decimal {
    /// `1,234.56`
    #[default]
    Point,
    /// `1.234,56`
    Comma,
}

/// The order of day and month in slash or dot dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum DateOrder {
    /// `M/D/YYYY` (en-US).
    #[default]
    MonthFirst,
    /// `D/M/YYYY`, `D.M.YYYY`.
    DayFirst,
}

/// What a file's cells say about its locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FileLocale {
    pub decimal: Decimal,
    pub dates: DateOrder,
}

impl FileLocale {
    /// Decide the decimal separator from money cells and the date order from date cells.
    ///
    /// Decimal comma when some money cell has both separators with the comma last
    /// (`1.234,56`), or a comma followed by one or two digits at the end and no point
    /// (`12,5`, `12,50`); otherwise decimal point. Day first when some slash date has a first
    /// part above 12, or dates use dots (`15.01.2024`).
    pub(crate) fn sniff<'a>(
        money: impl Iterator<Item = &'a str>,
        dates: impl Iterator<Item = &'a str>,
    ) -> FileLocale {
        let mut decimal = Decimal::Point;
        for m in money {
            let m = strip_money(m);
            let (p, c) = (m.rfind('.'), m.rfind(','));
            let comma = match (p, c) {
                (Some(p), Some(c)) => c > p,
                (None, Some(c)) => {
                    let tail = &m[c + 1..];
                    (1..=2).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit())
                }
                _ => false,
            };
            if comma {
                decimal = Decimal::Comma;
                break;
            }
        }
        let mut order = DateOrder::MonthFirst;
        for d in dates {
            let d = d.trim();
            if d.contains('.') && !d.contains('-') {
                order = DateOrder::DayFirst;
                break;
            }
            if let Some(first) = d.split('/').next().filter(|_| d.contains('/')) {
                if first.trim().parse::<u32>().is_ok_and(|v| v > 12) {
                    order = DateOrder::DayFirst;
                    break;
                }
            }
        }
        FileLocale {
            decimal,
            dates: order,
        }
    }
}

/// Currency signs that name one currency. `$` and `¥` do not (USD/CAD/AUD/..., JPY/CNY), so a
/// cell with them needs a currency column or a mapping's constant.
const SIGNS: &[(char, &str)] = &[('€', "EUR"), ('£', "GBP"), ('₹', "INR"), ('₩', "KRW")];
const ANY_SIGN: &[char] = &['$', '€', '£', '¥', '₹', '₩'];

/// The money text without its currency sign or code.
fn strip_money(s: &str) -> &str {
    let s = s.trim().trim_matches(ANY_SIGN).trim();
    // A trailing or leading three-letter code (`12.50 USD`, `EUR 12,50`).
    let s = match s.rsplit_once(' ') {
        Some((n, code)) if is_code(code) => n.trim(),
        _ => s,
    };
    let s = match s.split_once(' ') {
        Some((code, n)) if is_code(code) => n.trim(),
        _ => s,
    };
    s.trim_matches(ANY_SIGN).trim()
}

fn is_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// The currency a money cell names by sign or code, if any (`Some("$")` for an ambiguous `$`).
pub(crate) fn money_currency(s: &str) -> Option<String> {
    let t = s.trim();
    for (sign, code) in SIGNS {
        if t.contains(*sign) {
            return Some((*code).to_string());
        }
    }
    if t.contains('$') || t.contains('¥') {
        return Some(if t.contains('$') { "$" } else { "¥" }.to_string());
    }
    let words: Vec<&str> = t.split(' ').filter(|w| !w.is_empty()).collect();
    match words.as_slice() {
        [code, _] | [_, code] if is_code(code) => Some((*code).to_string()),
        _ => None,
    }
}

/// Parse a number in the file's locale: thousands separators dropped, the decimal separator
/// read as `.`. Money signs and codes are stripped (see [`money_currency`]). A percent sign is
/// an error here (percent columns go through [`parse_percent`]).
pub(crate) fn parse_number(s: &str, loc: FileLocale) -> Result<f64, String> {
    let t = strip_money(s);
    if t.ends_with('%') {
        return Err("is a percentage, not an amount".into());
    }
    let (thousands, decimal) = match loc.decimal {
        Decimal::Point => (',', '.'),
        Decimal::Comma => ('.', ','),
    };
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            c if c == thousands => {}
            ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’' => {}
            c if c == decimal => out.push('.'),
            c => out.push(c),
        }
    }
    // Accountant negatives: (12.50).
    let out = match out.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        Some(inner) => format!("-{inner}"),
        None => out,
    };
    match out.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err("is not a number in this file's format".into()),
    }
}

/// Parse a percent cell (`2.5%`, `2,5 %`, or a bare fraction `0.025` in API reports) as a
/// fraction.
pub(crate) fn parse_percent(s: &str, loc: FileLocale) -> Result<f64, String> {
    let t = s.trim();
    match t.strip_suffix('%') {
        Some(n) => parse_number(n, loc).map(|v| v / 100.0),
        None => parse_number(t, loc),
    }
}

/// A date cell as `YYYY-MM-DD`: ISO dates (with an optional time), `M/D/YYYY` or `D/M/YYYY`
/// by the file's order, `D.M.YYYY`, and a range's first day (`2024-01-01 - 2024-01-31`).
/// Validation of the calendar date itself is the record validator's.
pub(crate) fn parse_date(s: &str, loc: FileLocale) -> Result<String, String> {
    let t = s.trim();
    // A range `A - B` or `A to B`: its first day.
    let t = t
        .split(" - ")
        .next()
        .unwrap_or(t)
        .split(" to ")
        .next()
        .unwrap_or(t)
        .trim();
    // Drop a time part (`2024-01-15T00:00:00Z`, `1/15/2024 12:00 AM`, `1/15/2024, 12:00 AM`).
    let day = t.split(['T', ' ', ',']).next().unwrap_or(t).trim();
    let b = day.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        return Ok(day.to_string());
    }
    let sep = if day.contains('/') {
        '/'
    } else if day.contains('.') {
        '.'
    } else {
        return Err("is not a date (expected YYYY-MM-DD, M/D/YYYY or D.M.YYYY)".into());
    };
    let parts: Vec<&str> = day.split(sep).map(str::trim).collect();
    let [a, b, y] = parts.as_slice() else {
        return Err("is not a date (expected three parts)".into());
    };
    let num = |x: &str| x.parse::<u32>().map_err(|_| "is not a date".to_string());
    let (a, b, mut y) = (num(a)?, num(b)?, num(y)?);
    if y < 100 {
        y += 2000;
    }
    let (m, d) = if sep == '.' || loc.dates == DateOrder::DayFirst {
        (b, a)
    } else {
        (a, b)
    };
    Ok(format!("{y:04}-{m:02}-{d:02}"))
}

/// Ad copy as exports write it: HTML entities decoded (`&amp;`, `&#39;`, `&#x2019;`), and, for
/// X, the `t.co` links the platform appends (and truncated text ends with) removed. Whitespace
/// runs collapse to one space. Empty results are `None`.
pub(crate) fn clean_text(s: &str, strip_tco: bool) -> Option<String> {
    let decoded = decode_entities(s);
    let words = decoded.split_whitespace().filter(|w| {
        !(strip_tco && (w.starts_with("https://t.co/") || w.starts_with("http://t.co/")))
    });
    let out = words.collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| entity(&tail[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(n) = name.strip_prefix('#') {
        let v = match n.strip_prefix(['x', 'X']) {
            Some(h) => u32::from_str_radix(h, 16).ok()?,
            None => n.parse().ok()?,
        };
        return char::from_u32(v);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "rsquo" => '’',
        "lsquo" => '‘',
        "ldquo" => '“',
        "rdquo" => '”',
        "mdash" => '—',
        "ndash" => '–',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: FileLocale = FileLocale {
        decimal: Decimal::Point,
        dates: DateOrder::MonthFirst,
    };
    const DE: FileLocale = FileLocale {
        decimal: Decimal::Comma,
        dates: DateOrder::DayFirst,
    };

    #[test]
    fn numbers_follow_the_files_locale() {
        assert_eq!(parse_number("1,234", US), Ok(1234.0));
        assert_eq!(parse_number("1,234", DE), Ok(1.234));
        assert_eq!(parse_number("1.234,56 €", DE), Ok(1234.56));
        assert_eq!(parse_number("$1,234.50", US), Ok(1234.5));
        assert_eq!(parse_number("12.50 USD", US), Ok(12.5));
        assert_eq!(parse_number("1 234", US), Ok(1234.0));
        assert_eq!(parse_number("(3.00)", US), Ok(-3.0));
        assert!(parse_number("2.5%", US).is_err());
        assert!(parse_number("n/a", US).is_err());
        assert_eq!(parse_percent("2,5 %", DE), Ok(0.025));
        assert_eq!(money_currency("12,50 €").as_deref(), Some("EUR"));
        assert_eq!(money_currency("$3").as_deref(), Some("$"));
        assert_eq!(money_currency("12.50 CAD").as_deref(), Some("CAD"));
        assert_eq!(money_currency("12.50"), None);
    }

    #[test]
    fn the_locale_is_sniffed_from_money_and_dates() {
        let l = FileLocale::sniff(["1,234", "12,5"].into_iter(), ["3/4/2024"].into_iter());
        assert_eq!(
            (l.decimal, l.dates),
            (Decimal::Comma, DateOrder::MonthFirst)
        );
        let l = FileLocale::sniff(["1,234", "2.50"].into_iter(), ["13/4/2024"].into_iter());
        assert_eq!((l.decimal, l.dates), (Decimal::Point, DateOrder::DayFirst));
        assert_eq!(
            parse_date("1/15/2024 12:00 AM", US).as_deref(),
            Ok("2024-01-15")
        );
        assert_eq!(parse_date("15.01.2024", US).as_deref(), Ok("2024-01-15"));
        assert_eq!(parse_date("04/03/2024", DE).as_deref(), Ok("2024-03-04"));
        assert_eq!(
            parse_date("2024-01-15T00:00:00Z", US).as_deref(),
            Ok("2024-01-15")
        );
        assert!(parse_date("last week", US).is_err());
    }

    #[test]
    fn text_is_decoded_and_tco_links_dropped() {
        assert_eq!(
            clean_text(
                "Fish &amp; chips &#39;today&#x2019; https://t.co/AbC123",
                true
            )
            .as_deref(),
            Some("Fish & chips 'today’")
        );
        assert_eq!(
            clean_text("R&D &bogus; & more", false).as_deref(),
            Some("R&D &bogus; & more")
        );
        assert_eq!(clean_text("  https://t.co/x  ", true), None);
        assert_eq!(clean_text("", false), None);
    }
}
