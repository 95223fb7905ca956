//! Calendar dates as `YYYY-MM-DD` strings, with day arithmetic.
//!
//! Records carry dates as canonical ISO strings so that they compare correctly as strings and
//! cross the JS boundary unchanged. Conversion to a day number uses the proleptic Gregorian
//! calendar (Hinnant's `days_from_civil`), so the simulator can step days without a date library.

use crate::error::{Error, ErrorCode, Result};

/// Days since 1970-01-01 of a canonical `YYYY-MM-DD` date (years 1900-2200), or an error naming
/// `field` and the value.
pub fn parse_day(field: &str, s: &str) -> Result<i64> {
    let bad = || {
        Error::field(
            ErrorCode::InvalidValue,
            field,
            format!("must be a calendar date YYYY-MM-DD, got {s:?}"),
        )
    };
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let mut v = 0i64;
        for &c in &b[r] {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        Some(v)
    };
    let (y, m, d) = match (num(0..4), num(5..7), num(8..10)) {
        (Some(y), Some(m), Some(d)) => (y, m, d),
        _ => return Err(bad()),
    };
    if !(1900..=2200).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(bad());
    }
    Ok(days_from_civil(y, m, d))
}

/// The canonical `YYYY-MM-DD` string of a day number (inverse of [`parse_day`]).
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// UTC ISO 8601 with milliseconds (`2026-11-21T18:12:08.123Z`) for `ms` since the Unix epoch:
/// how the Worker stores times.
pub fn iso_utc(ms: u64) -> String {
    let days = (ms / 86_400_000) as i64;
    let in_day = ms % 86_400_000;
    format!(
        "{}T{:02}:{:02}:{:02}.{:03}Z",
        format_day(days),
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_dates() {
        assert_eq!(parse_day("d", "1970-01-01"), Ok(0));
        assert_eq!(parse_day("d", "2023-02-07"), Ok(19_395));
        for d in [-1000, 0, 19_395, 20_000, 60_000] {
            assert_eq!(parse_day("d", &format_day(d)), Ok(d));
        }
        assert!(parse_day("d", "2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-1-01",
            "20230101",
            "2023-02-0x",
            "",
        ] {
            let e = parse_day("date", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("date"));
        }
    }
}
