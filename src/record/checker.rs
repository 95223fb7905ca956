//! The field checks behind [`super::validate`]: each pushes issues naming field and value.

use super::validate::{RecordIssue, MAX_COPY_CHARS, MAX_COUNT, MAX_DURATION_S};
use super::{date::parse_day, AdFormat, ConversionScope, DailyInput, DailyOutcome, VisualTag};
use crate::error::{Error, ErrorCode};
use crate::network::AdNetwork;
use crate::platform::Platform;
use std::str::FromStr;

#[derive(Default)]
pub(super) struct Checker {
    pub(super) issues: Vec<RecordIssue>,
}

impl Checker {
    pub(super) fn push(
        &mut self,
        code: ErrorCode,
        field: &str,
        value: impl Into<String>,
        message: &str,
    ) {
        self.issues
            .push(RecordIssue::new(code, field, value, message));
    }

    pub(super) fn id(&mut self, field: &str, v: Option<&str>) -> Option<String> {
        match v.map(str::trim) {
            None | Some("") => {
                self.push(ErrorCode::MissingField, field, "", "is required");
                None
            }
            Some(s) if s.chars().count() > 128 => {
                self.push(
                    ErrorCode::InvalidValue,
                    field,
                    s,
                    "must be at most 128 characters",
                );
                None
            }
            Some(s) => Some(s.to_string()),
        }
    }

    /// The platform class and, for a network beyond the classes, the network.
    pub(super) fn platform(&mut self, v: Option<&str>) -> (Option<Platform>, Option<AdNetwork>) {
        let Some(v) = v else {
            self.push(ErrorCode::MissingField, "platform", "", "is required");
            return (None, None);
        };
        if let Ok(n) = AdNetwork::from_str(v) {
            return (Some(n.class()), (!n.is_class()).then_some(n));
        }
        match Platform::from_str(v) {
            Ok(Platform::Unknown) => {
                self.push(
                    ErrorCode::InvalidValue,
                    "platform",
                    "unknown",
                    "must be a known platform: meta, tiktok or google_ads, or a network \
                     mapped onto one (microsoft_ads, x, linkedin)",
                );
                (None, None)
            }
            Ok(p) => (Some(p), None),
            Err(_) => {
                let e = AdNetwork::from_str(v).err().unwrap_or_else(|| {
                    Error::field(ErrorCode::UnknownValue, "platform", "unknown platform")
                });
                self.issues.push(RecordIssue::from_error(e, v));
                (None, None)
            }
        }
    }

    /// An ISO 4217 currency code: three ASCII letters, stored upper-case.
    pub(super) fn currency(&mut self, v: Option<&str>) -> Option<String> {
        let v = v?.trim();
        if v.is_empty() {
            return None;
        }
        if v.len() == 3 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(v.to_ascii_uppercase())
        } else {
            self.push(
                ErrorCode::InvalidValue,
                "currency",
                v,
                "must be a three-letter ISO 4217 code such as USD or EUR",
            );
            None
        }
    }

    pub(super) fn dates(
        &mut self,
        start: Option<&str>,
        end: Option<&str>,
    ) -> (Option<String>, Option<String>) {
        let s = start.map(|s| (s, parse_day("date", s.trim())));
        let e = end.map(|e| (e, parse_day("date_end", e.trim())));
        let mut ok = true;
        for (raw, r) in [&s, &e].into_iter().flatten() {
            if let Err(err) = r {
                self.issues.push(RecordIssue::from_error(err.clone(), raw));
                ok = false;
            }
        }
        match (s, e) {
            (None, Some(_)) => {
                self.push(
                    ErrorCode::MissingField,
                    "date",
                    "",
                    "date_end requires date",
                );
                (None, None)
            }
            (Some((a, Ok(da))), Some((b, Ok(db)))) if ok => {
                if db < da {
                    self.push(
                        ErrorCode::InvalidValue,
                        "date_end",
                        b,
                        "must not be before date",
                    );
                }
                (Some(a.trim().to_string()), Some(b.trim().to_string()))
            }
            (Some((a, Ok(_))), None) => (Some(a.trim().to_string()), Some(a.trim().to_string())),
            _ => (None, None),
        }
    }

    pub(super) fn term<T: FromStr<Err = Error>>(
        &mut self,
        field: &str,
        v: Option<&str>,
    ) -> Option<T> {
        let v = v?;
        match v.parse::<T>() {
            Ok(t) => Some(t),
            Err(mut e) => {
                e.field = Some(field.to_string());
                self.issues.push(RecordIssue::from_error(e, v));
                None
            }
        }
    }

    pub(super) fn tags(&mut self, raw: &[String]) -> Vec<VisualTag> {
        let mut out: Vec<VisualTag> = Vec::with_capacity(raw.len());
        for (i, s) in raw.iter().enumerate() {
            let field = format!("visual_tags[{i}]");
            if let Some(t) = self.term::<VisualTag>(&field, Some(s)) {
                if out.contains(&t) {
                    self.push(ErrorCode::Duplicate, &field, s.as_str(), "tag listed twice");
                } else {
                    out.push(t);
                }
            }
        }
        out
    }

    pub(super) fn duration(&mut self, v: Option<f64>, format: AdFormat) -> Option<f64> {
        let d = v?;
        if !d.is_finite() || d <= 0.0 || d > MAX_DURATION_S {
            self.push(
                ErrorCode::InvalidValue,
                "duration_s",
                d.to_string(),
                "must be a number of seconds with 0 < d <= 600",
            );
            return None;
        }
        if matches!(format, AdFormat::Image | AdFormat::Text) {
            self.push(
                ErrorCode::InvalidValue,
                "duration_s",
                d.to_string(),
                "an image or text creative has no duration",
            );
            return None;
        }
        Some(d)
    }

    pub(super) fn hour(&mut self, v: Option<f64>) -> Option<u8> {
        let h = v?;
        if h.is_finite() && h.fract() == 0.0 && (0.0..=23.0).contains(&h) {
            Some(h as u8)
        } else {
            self.push(
                ErrorCode::InvalidValue,
                "posting_hour",
                h.to_string(),
                "must be an integer hour 0-23",
            );
            None
        }
    }

    pub(super) fn copy_text(&mut self, field: &str, v: Option<&str>) -> String {
        let s = v.unwrap_or_default();
        if s.chars().count() > MAX_COPY_CHARS {
            self.push(
                ErrorCode::InvalidValue,
                field,
                format!("{} characters", s.chars().count()),
                "must be at most 10000 characters",
            );
        }
        s.to_string()
    }

    pub(super) fn count(&mut self, field: &str, v: Option<f64>) -> Option<u64> {
        let x = v?;
        if !x.is_finite() || x < 0.0 || x.fract() != 0.0 || x > MAX_COUNT {
            self.push(
                ErrorCode::InvalidValue,
                field,
                x.to_string(),
                "must be a finite non-negative integer count",
            );
            return None;
        }
        Some(x as u64)
    }

    pub(super) fn required_count(&mut self, field: &str, v: Option<f64>) -> Option<u64> {
        if v.is_none() {
            self.push(ErrorCode::MissingField, field, "", "is required");
        }
        self.count(field, v)
    }

    pub(super) fn money(&mut self, field: &str, v: Option<f64>) -> Option<f64> {
        let x = v?;
        if !x.is_finite() || x < 0.0 {
            self.push(
                ErrorCode::InvalidValue,
                field,
                x.to_string(),
                "must be a finite non-negative amount",
            );
            return None;
        }
        Some(x)
    }

    pub(super) fn required_money(&mut self, field: &str, v: Option<f64>) -> Option<f64> {
        if v.is_none() {
            self.push(ErrorCode::MissingField, field, "", "is required");
        }
        self.money(field, v)
    }

    pub(super) fn scope(
        &mut self,
        v: Option<&str>,
        platform: Option<Platform>,
    ) -> Option<ConversionScope> {
        match v.map(|s| s.trim().to_ascii_lowercase()) {
            None => Some(ConversionScope::default_for(
                platform.unwrap_or(Platform::Unknown),
            )),
            Some(s) if s == "click_through" => Some(ConversionScope::ClickThrough),
            Some(s) if s == "includes_view_through" => Some(ConversionScope::IncludesViewThrough),
            Some(_) => {
                self.push(
                    ErrorCode::UnknownValue,
                    "conversion_scope",
                    v.unwrap_or_default(),
                    "expected click_through or includes_view_through",
                );
                None
            }
        }
    }

    pub(super) fn funnel(
        &mut self,
        prefix: &str,
        imp: Option<u64>,
        clk: Option<u64>,
        conv: Option<u64>,
        scope: Option<ConversionScope>,
    ) {
        if let (Some(i), Some(c)) = (imp, clk) {
            if c > i {
                self.push(
                    ErrorCode::InvalidValue,
                    &format!("{prefix}clicks"),
                    c.to_string(),
                    &format!("clicks must not exceed impressions ({i})"),
                );
            }
        }
        if let (Some(c), Some(v), Some(ConversionScope::ClickThrough)) = (clk, conv, scope) {
            if v > c {
                self.push(
                    ErrorCode::InvalidValue,
                    &format!("{prefix}conversions"),
                    v.to_string(),
                    &format!("click-through conversions must not exceed clicks ({c})"),
                );
            }
        }
    }

    pub(super) fn daily(
        &mut self,
        days: &[DailyInput],
        range: (Option<&str>, Option<&str>),
        scope: Option<ConversionScope>,
    ) -> Vec<DailyOutcome> {
        let lo = range.0.and_then(|s| parse_day("date", s).ok());
        let hi = range.1.and_then(|s| parse_day("date_end", s).ok());
        let mut out = Vec::with_capacity(days.len());
        let mut prev: Option<i64> = None;
        for (i, d) in days.iter().enumerate() {
            let p = format!("daily[{i}].");
            let before = self.issues.len();
            let date = match d.date.as_deref() {
                None => {
                    self.push(
                        ErrorCode::MissingField,
                        &format!("{p}date"),
                        "",
                        "is required",
                    );
                    None
                }
                Some(s) => match parse_day(&format!("{p}date"), s.trim()) {
                    Ok(n) => Some((s.trim().to_string(), n)),
                    Err(e) => {
                        self.issues.push(RecordIssue::from_error(e, s));
                        None
                    }
                },
            };
            if let Some((s, n)) = &date {
                if prev.is_some_and(|p| *n <= p) {
                    self.push(
                        ErrorCode::InvalidValue,
                        &format!("{p}date"),
                        s.as_str(),
                        "days must be strictly ascending",
                    );
                }
                if lo.is_some_and(|lo| *n < lo) || hi.is_some_and(|hi| *n > hi) {
                    self.push(
                        ErrorCode::InvalidValue,
                        &format!("{p}date"),
                        s.as_str(),
                        "day outside the record's date range",
                    );
                }
                prev = Some(*n);
            }
            let imp = self.required_count(&format!("{p}impressions"), d.impressions);
            let clk = self.required_count(&format!("{p}clicks"), d.clicks);
            let conv = self.count(&format!("{p}conversions"), d.conversions);
            let spend = self.required_money(&format!("{p}spend"), d.spend);
            let revenue = self.money(&format!("{p}revenue"), d.revenue);
            self.funnel(&p, imp, clk, conv, scope);
            if self.issues.len() == before {
                if let (Some((date, _)), Some(impressions), Some(clicks), Some(spend)) =
                    (date, imp, clk, spend)
                {
                    out.push(DailyOutcome {
                        date,
                        impressions,
                        clicks,
                        conversions: conv,
                        spend,
                        revenue,
                    });
                }
            }
        }
        out
    }

    pub(super) fn daily_sums(
        &mut self,
        days: &[DailyOutcome],
        imp: Option<u64>,
        clk: Option<u64>,
        conv: Option<u64>,
        spend: Option<f64>,
        revenue: Option<f64>,
    ) {
        if days.is_empty() || !self.issues.is_empty() {
            return;
        }
        let sum_u = |f: &dyn Fn(&DailyOutcome) -> u64| days.iter().map(f).sum::<u64>();
        let checks = [
            ("impressions", imp, sum_u(&|d| d.impressions)),
            ("clicks", clk, sum_u(&|d| d.clicks)),
            ("conversions", conv, sum_u(&|d| d.conversions.unwrap_or(0))),
        ];
        for (field, total, sum) in checks {
            if total.is_some_and(|t| t != sum) {
                self.push(
                    ErrorCode::InvalidValue,
                    field,
                    total.unwrap_or(0).to_string(),
                    &format!("does not equal the sum of the daily series ({sum})"),
                );
            }
        }
        let tol = 0.01 * days.len() as f64;
        let sum_spend: f64 = days.iter().map(|d| d.spend).sum();
        if spend.is_some_and(|s| (s - sum_spend).abs() > tol) {
            self.push(
                ErrorCode::InvalidValue,
                "spend",
                spend.unwrap_or(0.0).to_string(),
                &format!("does not equal the sum of the daily series ({sum_spend})"),
            );
        }
        let sum_rev: f64 = days.iter().filter_map(|d| d.revenue).sum();
        if revenue.is_some_and(|r| (r - sum_rev).abs() > tol) {
            self.push(
                ErrorCode::InvalidValue,
                "revenue",
                revenue.unwrap_or(0.0).to_string(),
                &format!("does not equal the sum of the daily series ({sum_rev})"),
            );
        }
    }
}
