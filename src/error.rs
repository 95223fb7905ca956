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
            ErrorCode::MissingField => "missing_field",
            ErrorCode::UnknownValue => "unknown_value",
            ErrorCode::EmptyInput => "empty_input",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::Malformed => "malformed",
            ErrorCode::Unsupported => "unsupported",
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
    fn rejects_nan_inf_negative() {
        assert!(check_non_negative("x", f64::NAN).is_err());
        assert!(check_non_negative("x", f64::INFINITY).is_err());
        assert!(check_non_negative("x", -0.5).is_err());
        assert_eq!(check_non_negative("x", 0.0), Ok(0.0));
    }
}
