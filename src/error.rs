//! The one error type of the core.
//!
//! Every error that comes from external input names the offending `field` (a dotted path such as
//! `platform_data[1].cpc`) and says why it was rejected. The `code` is a stable machine-readable
//! string used by the Worker's `{ "error": { "code", "message", "field" } }` body and by the JS
//! bindings, which turn it into a real `Error` object.

use std::fmt;

/// Stable, machine-readable category of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A value is present but not acceptable (NaN, infinite, negative, out of range).
    InvalidValue,
    /// A value is of the wrong JSON type (a string where a number goes, a float for a whole
    /// number, an array of the wrong length).
    InvalidType,
    /// An object has a key the type does not know (often a misspelt optional field).
    UnknownField,
    /// A required value is missing.
    MissingField,
    /// A string is not one of the accepted values (unknown platform, niche, vocabulary term).
    UnknownValue,
    /// An input collection is empty where at least one element is required.
    EmptyInput,
    /// The same key appears twice where keys must be unique.
    Duplicate,
    /// Input bytes or text could not be parsed at all (bad JSON, bad CSV, truncated file).
    Malformed,
    /// Input is well-formed but the requested operation does not support it.
    Unsupported,
}

impl ErrorCode {
    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidValue => "invalid_value",
            ErrorCode::InvalidType => "invalid_type",
            ErrorCode::UnknownField => "unknown_field",
            ErrorCode::MissingField => "missing_field",
            ErrorCode::UnknownValue => "unknown_value",
            ErrorCode::EmptyInput => "empty_input",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Unsupported => "unsupported",
        }
    }
}

impl ErrorCode {
    /// The code of a deserialization failure, from serde's message. serde's standard data errors
    /// (`invalid type`, `invalid length`, `invalid value`, `unknown field`, `missing field`,
    /// `unknown variant`, `duplicate field`) map to their codes; any other message is a core error
    /// raised inside deserialization (an unknown platform, niche or vocabulary term, through the
    /// type's `TryFrom<String>`), whose reason starts with `unknown` for an unknown value.
    ///
    /// The HTTP API and the JS bindings both classify with this, so one mistake gets one code.
    pub fn of_serde_message(message: &str) -> ErrorCode {
        const PREFIXES: [(&str, ErrorCode); 7] = [
            ("invalid type", ErrorCode::InvalidType),
            ("invalid length", ErrorCode::InvalidType),
            ("invalid value", ErrorCode::InvalidValue),
            ("unknown field", ErrorCode::UnknownField),
            ("missing field", ErrorCode::MissingField),
            ("unknown variant", ErrorCode::UnknownValue),
            ("duplicate field", ErrorCode::Duplicate),
        ];
        if let Some((_, code)) = PREFIXES.iter().find(|(p, _)| message.starts_with(p)) {
            return *code;
        }
        // A core error's Display is `<field>: <reason>`.
        let reason = message.split_once(": ").map_or(message, |(_, r)| r);
        if reason.starts_with("unknown ") {
            ErrorCode::UnknownValue
        } else {
            ErrorCode::InvalidValue
        }
    }
}

/// An error caused by input, naming the field and the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// What kind of problem this is.
    pub code: ErrorCode,
    /// The offending field as a dotted path, when one field is to blame.
    pub field: Option<String>,
    /// A human-readable reason, including the rejected value where useful.
    pub message: String,
}

impl Error {
    /// A new error for `field`.
    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            code,
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A new error that no single field is to blame for.
    pub fn general(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            field: None,
            message: message.into(),
        }
    }

    /// The error for a value deserialization refused: `path` is where (a dotted JSON path such as
    /// `metrics[1].ctr`; `None` for the value as a whole) and `message` is serde's (without a
    /// position suffix). The code is [`ErrorCode::of_serde_message`]; a missing field is named by
    /// its own path (serde reports it at its parent), and a core error raised inside
    /// deserialization loses its repeated `<field>: ` prefix.
    pub fn from_serde(path: Option<&str>, message: &str) -> Self {
        let code = ErrorCode::of_serde_message(message);
        let mut field = path.map(str::to_string);
        let mut message = message.to_string();
        match code {
            ErrorCode::MissingField => {
                let name = message
                    .split('`')
                    .nth(1)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                if let Some(name) = name {
                    field = Some(match field {
                        Some(parent) => format!("{parent}.{name}"),
                        None => name,
                    });
                }
            }
            ErrorCode::InvalidValue | ErrorCode::UnknownValue => {
                let last = field
                    .as_deref()
                    .and_then(|f| f.rsplit(['.', ']']).next())
                    .unwrap_or_default();
                if !last.is_empty() {
                    if let Some(reason) = message.strip_prefix(&format!("{last}: ")) {
                        message = reason.to_string();
                    }
                }
            }
            _ => {}
        }
        Error {
            code,
            field,
            message,
        }
    }

    /// Prefix the field path, e.g. `cpc` inside element 2 becomes `platform_data[2].cpc`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = Some(match self.field.take() {
            Some(f) if f.starts_with('[') => format!("{prefix}{f}"),
            Some(f) => format!("{prefix}.{f}"),
            None => prefix.to_string(),
        });
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Check that a metric is finite and non-negative, naming `field` otherwise.
///
/// Inlined: it runs for every metric of every campaign (the error is built out of line).
#[inline]
pub(crate) fn check_non_negative(field: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(non_negative_error(field, v))
    }
}

#[cold]
#[inline(never)]
fn non_negative_error(field: &str, v: f64) -> Error {
    let reason = if v.is_finite() {
        format!("must be >= 0, got {v}")
    } else {
        format!("must be a finite number, got {v}")
    };
    Error::field(ErrorCode::InvalidValue, field, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_builds_dotted_paths() {
        let e = Error::field(ErrorCode::InvalidValue, "cpc", "bad").within("platform_data[2]");
        assert_eq!(e.field.as_deref(), Some("platform_data[2].cpc"));
        assert_eq!(e.to_string(), "platform_data[2].cpc: bad");
    }

    #[test]
    fn serde_failures_get_one_classification() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            n: u32,
            platform: crate::Platform,
            #[serde(default)]
            mode: Option<crate::normalize::Mode>,
        }
        // serde's message (without its position) at `path`, as the callers pass them.
        let fail = |json: &str, path: Option<&str>| {
            let inner = serde_json::from_str::<T>(json).unwrap_err();
            let message = inner.to_string();
            let suffix = format!(" at line {} column {}", inner.line(), inner.column());
            let message = message
                .strip_suffix(&suffix)
                .unwrap_or(&message)
                .to_string();
            let e = Error::from_serde(path, &message);
            (e.code.as_str(), e.field, e.message)
        };
        let ok = r#""n": 1, "platform": "meta""#;
        let (code, field, _) = fail(r#"{"n": "one", "platform": "meta"}"#, Some("n"));
        assert_eq!((code, field.as_deref()), ("invalid_type", Some("n")));
        let (code, field, _) = fail(&format!("{{{ok}, \"mdoe\": 1}}"), Some("mdoe"));
        assert_eq!((code, field.as_deref()), ("unknown_field", Some("mdoe")));
        let (code, field, _) = fail(r#"{"platform": "meta"}"#, None);
        assert_eq!((code, field.as_deref()), ("missing_field", Some("n")));
        let (code, field, _) = fail(r#"{"platform": "meta"}"#, Some("x[2]"));
        assert_eq!((code, field.as_deref()), ("missing_field", Some("x[2].n")));
        let (code, field, _) = fail(&format!("{{{ok}, \"mode\": \"fast\"}}"), Some("mode"));
        assert_eq!((code, field.as_deref()), ("unknown_value", Some("mode")));
        let (code, field, message) =
            fail(r#"{"n": 1, "platform": "myspace"}"#, Some("a[0].platform"));
        assert_eq!(
            (code, field.as_deref()),
            ("unknown_value", Some("a[0].platform"))
        );
        assert!(
            message.starts_with("unknown platform \"myspace\""),
            "{message}"
        );
        let (code, _, _) = fail(r#"{"n": 1, "n": 2, "platform": "meta"}"#, Some("n"));
        assert_eq!(code, "duplicate");
        assert_eq!(
            ErrorCode::of_serde_message("something custom"),
            ErrorCode::InvalidValue
        );
    }

    #[test]
    fn rejects_nan_inf_negative() {
        assert!(check_non_negative("x", f64::NAN).is_err());
        assert!(check_non_negative("x", f64::INFINITY).is_err());
        assert!(check_non_negative("x", -0.5).is_err());
        assert_eq!(check_non_negative("x", 0.0), Ok(0.0));
    }
}
