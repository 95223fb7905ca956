//! Request bodies from bytes to typed values, with errors that name the JSON path; and the
//! `RELEASE_CONFIG` var's JSON ([`release_config`]), the one release config that both clips
//! contributions (D1 and Redis paths) and calibrates the publication's noise.
//!
//! The happy path is one streaming pass (`serde_json` through `serde_path_to_error`). Only when
//! it fails is the body scanned again, to tell the two kinds of failure apart:
//!
//! - not JSON at all (syntax, truncation, trailing bytes, bad UTF-8, empty) -> 400 `malformed`,
//!   even when the streaming pass happened to hit a type error before the syntax error;
//! - JSON of the wrong shape -> 422 with the core's classification of serde's message
//!   ([`crosslearn::Error::from_serde`], shared with the npm package: `invalid type` ->
//!   `invalid_type`, `unknown field` -> `unknown_field`, an unknown platform or vocabulary term ->
//!   `unknown_value`, ...) and `field` set to the path (`platform_data[1].ctr`; for a missing
//!   field, the path of the field itself).

use crate::error::ApiError;
pub use crate::ports::PublishConfig;
use crosslearn::privacy::zcdp::{BudgetPolicy, ACCOUNTING_DELTA};
use crosslearn::wisdom::suffstat::SuffStatConfig;
use crosslearn::wisdom::ReleaseConfig;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// Parse an optional JSON request body: an empty (or all-whitespace) body means `{}`.
pub fn parse_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse(body)
    }
}

/// Parse a JSON request body into `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed {
            message: "request body is empty; expected a JSON object".to_string(),
        });
    }
    // Every request body is an object. serde would also read a struct from an array of its
    // fields in order (`[]` is a struct whose fields all have defaults), which the document
    // does not allow: schemathesis found `POST /api/accounts` with `[]` creating an account.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(match serde_json::from_slice::<Value>(body) {
            Err(syntax) => malformed(&syntax),
            Ok(v) => ApiError::Invalid {
                code: "invalid_type",
                field: None,
                message: format!("expected a JSON object, got {}", kind(&v)),
            },
        });
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => match de.end() {
            Ok(()) => Ok(value),
            Err(e) => Err(malformed(&e)),
        },
        Err(e)
            if e.inner()
                .to_string()
                .contains("invalid type: floating point") =>
        {
            retry_with_integral_floats(body).unwrap_or_else(|| Err(explain(body, e)))
        }
        Err(e) => Err(explain(body, e)),
    }
}

/// JSON has one number type: `503.0` is the integer 503 (JSON Schema's `integer` says so too),
/// but serde refuses a float for an integer field. When the typed pass failed on a float, parse
/// the body once more with every integral float (within +-2^53, where f64 is exact) written as
/// an integer, and deserialize that. `None` when the body is not JSON or has no such float (the
/// caller then reports the first failure); otherwise the outcome of the second pass.
fn retry_with_integral_floats<T: DeserializeOwned>(body: &[u8]) -> Option<Result<T, ApiError>> {
    let mut tree = serde_json::from_slice::<Value>(body).ok()?;
    if !integral_floats_as_integers(&mut tree) {
        return None;
    }
    Some(match serde_path_to_error::deserialize::<_, T>(&tree) {
        Ok(value) => Ok(value),
        Err(e) => Err(explain(body, e)),
    })
}

/// Rewrite integral floats in `v` as integers; true if any was.
fn integral_floats_as_integers(v: &mut Value) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= EXACT => {
                *v = if f >= 0.0 {
                    Value::from(f as u64)
                } else {
                    Value::from(f as i64)
                };
                true
            }
            _ => false,
        },
        Value::Array(items) => {
            let mut any = false;
            for x in items {
                any |= integral_floats_as_integers(x);
            }
            any
        }
        Value::Object(map) => {
            let mut any = false;
            for x in map.values_mut() {
                any |= integral_floats_as_integers(x);
            }
            any
        }
        _ => false,
    }
}

/// The JSON type of `v`, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Turn a failed typed parse into the error to answer with.
fn explain(body: &[u8], e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    // The typed pass stops at the first problem, which may be a type error in a body that is
    // broken further on: a body that is not JSON at all is always reported as such.
    if let Err(syntax) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return malformed(&syntax);
    }
    if !e.inner().is_data() {
        return malformed(e.inner());
    }
    let message = without_position(e.inner());
    ApiError::Core(crosslearn::Error::from_serde(
        render(e.path()).as_deref(),
        &message,
    ))
}

fn malformed(e: &serde_json::Error) -> ApiError {
    ApiError::Malformed {
        message: format!("request body is not valid JSON: {e}"),
    }
}

/// serde_json's message without its " at line L column C" suffix (the path says where).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(bare) => bare.to_string(),
        None => text,
    }
}

/// `platform_data[1].ctr`; `None` for the body as a whole.
fn render(path: &Path) -> Option<String> {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The name of the optional Worker var holding the release config as JSON (any subset of the
/// core's `ReleaseConfig` fields, e.g. `{"k": 10}`; absent or empty = the core's defaults).
pub const RELEASE_CONFIG_VAR: &str = "RELEASE_CONFIG";

/// The key of `RELEASE_CONFIG` holding the format-2 release's config (the core's
/// `SuffStatConfig` fields; absent = its defaults). Its `period_days` is the cadence
/// (`cadence_days`): set it only to the same value.
pub const FORMAT2_KEY: &str = "format2";

/// The key of `RELEASE_CONFIG` holding the per-account privacy budget (the core's
/// `BudgetPolicy`: `rho_cap`, `epsilon_cap`, `window_days`; absent = its defaults: rho 1.35 and
/// a total epsilon of 10 at delta 1e-6, over 365 days).
pub const BUDGET_KEY: &str = "privacy_budget";

/// The release config from the `RELEASE_CONFIG` var's value: the core's defaults for fields it
/// does not set; errors name the field (`RELEASE_CONFIG.k`) and the reason.
pub fn release_config(raw: Option<&str>) -> Result<ReleaseConfig, ApiError> {
    publish_config(raw).map(|c| c.release)
}

/// Every part of the `RELEASE_CONFIG` var's value ([`PublishConfig`]), each validated: an
/// invalid value (`epsilon <= 0`, a zero `clip_norm`, `k` 0, an unknown key, a cap below one
/// release's rho, ...) is an error naming the field (`RELEASE_CONFIG.format2.clip_norm`).
pub fn publish_config(raw: Option<&str>) -> Result<PublishConfig, ApiError> {
    let Some(json) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return checked(ReleaseConfig::default(), None, None);
    };
    let Ok(mut map) = serde_json::from_str::<serde_json::Map<String, Value>>(json) else {
        // Not an object: the format-1 parser names what is wrong.
        return Err(parse::<ReleaseConfig>(json.as_bytes())
            .map(|_| ApiError::Internal)
            .unwrap_or_else(|e| within_var(&e)));
    };
    let format2 = map.remove(FORMAT2_KEY);
    let budget = map.remove(BUDGET_KEY);
    let rest = serde_json::to_vec(&map).map_err(|_| ApiError::Internal)?;
    let release: ReleaseConfig = parse(&rest).map_err(|e| within_var(&e))?;
    checked(release, format2, budget)
}

fn checked(
    release: ReleaseConfig,
    format2: Option<Value>,
    budget: Option<Value>,
) -> Result<PublishConfig, ApiError> {
    crosslearn::wisdom::layout::validate_config(&release)
        .map_err(|e| ApiError::Core(e.within(RELEASE_CONFIG_VAR)))?;
    let in_var =
        |key: &str, e: crosslearn::Error| ApiError::Core(e.within(key).within(RELEASE_CONFIG_VAR));
    let format2 =
        match format2 {
            None => SuffStatConfig {
                period_days: release.cadence_days,
                ..SuffStatConfig::default()
            },
            Some(value) if !value.is_object() => return Err(in_var(
                FORMAT2_KEY,
                crosslearn::Error::general(
                    crosslearn::ErrorCode::Malformed,
                    "must be an object of format-2 settings ({\"k\": .., \"epsilon\": .., ...})",
                ),
            )),
            Some(value) => {
                let explicit = value.get("period_days").is_some();
                let mut c = SuffStatConfig::from_json(&value.to_string())
                    .map_err(|e| in_var(FORMAT2_KEY, e))?;
                if explicit && c.period_days != release.cadence_days {
                    return Err(in_var(
                        FORMAT2_KEY,
                        crosslearn::Error::field(
                            crosslearn::ErrorCode::InvalidValue,
                            "period_days",
                            format!(
                                "must equal cadence_days ({}): one release per period and niche, \
                             got {}",
                                release.cadence_days, c.period_days
                            ),
                        ),
                    ));
                }
                c.period_days = release.cadence_days;
                c
            }
        };
    let plan = format2.validate().map_err(|e| in_var(FORMAT2_KEY, e))?;
    let budget: BudgetPolicy = match budget {
        None => BudgetPolicy::default(),
        Some(value) => {
            if !value.is_object() {
                return Err(in_var(
                    BUDGET_KEY,
                    crosslearn::Error::general(
                        crosslearn::ErrorCode::Malformed,
                        "must be an object {\"rho_cap\": .., \"window_days\": ..}",
                    ),
                ));
            }
            let bytes = serde_json::to_vec(&value).map_err(|_| ApiError::Internal)?;
            parse(&bytes).map_err(|e| {
                within_var(&ApiError::Invalid {
                    code: e.code(),
                    field: Some(match e.field() {
                        Some(f) => format!("{BUDGET_KEY}.{f}"),
                        None => BUDGET_KEY.to_string(),
                    }),
                    message: e.body().error.message,
                })
            })?
        }
    };
    // The core names the budget's fields `budget.*`; here they live under BUDGET_KEY.
    budget.validate().map_err(|mut e| {
        e.field = e.field.map(|f| f.replacen("budget.", "", 1));
        in_var(BUDGET_KEY, e)
    })?;
    if plan.rho > budget.rho_cap {
        return Err(in_var(
            BUDGET_KEY,
            crosslearn::Error::field(
                crosslearn::ErrorCode::InvalidValue,
                "rho_cap",
                format!(
                    "{} is below the rho of one format-2 release ({}): nothing could ever be \
                     published",
                    budget.rho_cap, plan.rho
                ),
            ),
        ));
    }
    // One release of either format alone must fit under the total cap.
    let one = [
        ("format 1", release.epsilon),
        (
            "format 2",
            crosslearn::privacy::zcdp::epsilon_of_rho(plan.rho, ACCOUNTING_DELTA),
        ),
    ];
    if let Some((format, epsilon)) = one.iter().find(|(_, e)| *e > budget.epsilon_cap) {
        return Err(in_var(
            BUDGET_KEY,
            crosslearn::Error::field(
                crosslearn::ErrorCode::InvalidValue,
                "epsilon_cap",
                format!(
                    "{} is below the epsilon of one {format} release ({epsilon}): nothing could \
                     ever be published",
                    budget.epsilon_cap
                ),
            ),
        ));
    }
    Ok(PublishConfig {
        release,
        format2,
        budget,
    })
}

fn within_var(e: &ApiError) -> ApiError {
    let field = match e.field() {
        Some(f) => format!("{RELEASE_CONFIG_VAR}.{f}"),
        None => RELEASE_CONFIG_VAR.to_string(),
    };
    ApiError::Invalid {
        code: e.code(),
        field: Some(field),
        message: e.body().error.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosslearn::metrics::PlatformMetrics;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        metrics: Vec<PlatformMetrics>,
    }

    const OK: &str =
        r#"{"platform":"meta","ctr":0.01,"cpc":1,"cpm":5,"impressions":10,"clicks":1,"spend":1}"#;

    fn err(body: &str) -> ApiError {
        parse::<Body>(body.as_bytes()).unwrap_err()
    }

    fn with(field: &str, value: &str) -> String {
        let one = OK.replacen(
            &format!("\"{field}\":"),
            &format!("\"{field}\":{value},\"_\":"),
            1,
        );
        format!(r#"{{"metrics":[{OK},{one}]}}"#)
    }

    #[test]
    fn the_body_must_be_an_object() {
        #[derive(Debug, Deserialize, Default)]
        #[serde(deny_unknown_fields, default)]
        #[allow(dead_code)]
        struct AllDefault {
            a: Option<String>,
        }
        // serde alone reads `[]` as this struct; the body must be an object.
        assert!(serde_json::from_str::<AllDefault>("[]").is_ok());
        for (body, got) in [
            ("[]", "an array"),
            (" [\"x\"]", "an array"),
            ("1", "a number"),
            ("null", "null"),
            ("\"s\"", "a string"),
        ] {
            match parse::<AllDefault>(body.as_bytes()).unwrap_err() {
                ApiError::Invalid {
                    code,
                    field,
                    message,
                } => {
                    assert_eq!((code, field), ("invalid_type", None), "{body}");
                    assert!(message.ends_with(got), "{body}: {message}");
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(parse::<AllDefault>(b"[1,").unwrap_err().status(), 400);
        assert!(parse::<AllDefault>(b" {}").is_ok());
    }

    #[test]
    fn an_integral_float_is_an_integer() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct Counts {
            n: u64,
            d: i64,
            x: f64,
            m: Vec<PlatformMetrics>,
        }
        let body = format!(
            r#"{{"n":503.0,"d":-2.0,"x":1.0,"m":[{}]}}"#,
            OK.replace("10", "1e1")
        );
        let c: Counts = parse(body.as_bytes()).unwrap();
        assert_eq!((c.n, c.d, c.x, c.m[0].impressions), (503, -2, 1.0, 10));
        // Not integral, or past what f64 holds exactly: still the type error, at its path.
        for (bad, field) in [
            (r#"{"n":503.5,"d":0,"x":1,"m":[]}"#, "n"),
            (r#"{"n":1e300,"d":0,"x":1,"m":[]}"#, "n"),
            (r#"{"n":1,"d":0.25,"x":1,"m":[]}"#, "d"),
        ] {
            let e = parse::<Counts>(bad.as_bytes()).unwrap_err();
            assert_eq!(
                (e.code(), e.field()),
                ("invalid_type", Some(field)),
                "{bad}"
            );
        }
        // A negative integral float for an unsigned field is still refused.
        assert!(parse::<Counts>(br#"{"n":-1.0,"d":0,"x":1,"m":[]}"#).is_err());
    }

    #[test]
    fn parses_a_good_body() {
        let b: Body = parse(format!(r#" {{"metrics":[{OK}]}} "#).as_bytes()).unwrap();
        assert_eq!(b.metrics.len(), 1);
    }

    #[test]
    fn syntax_errors_are_malformed() {
        for body in [
            "",
            "  ",
            "{",
            "{\"metrics\": [",
            "not json",
            "{\"metrics\": [{\"ctr\": NaN}]}",
            "{\"metrics\": []} trailing",
            // a type error first, then broken syntax: still malformed
            "{\"metrics\": 5, oops",
        ] {
            let e = err(body);
            assert_eq!((e.status(), e.code()), (400, "malformed"), "{body:?}: {e}");
        }
        let e = parse::<Body>(b"{\"metrics\": [\xff]}").unwrap_err();
        assert_eq!(e.code(), "malformed");
    }

    #[test]
    fn wrong_types_name_the_path() {
        let body = format!(r#"{{"metrics":[{OK},{}]}}"#, OK.replace("0.01", "\"NaN\""));
        let e = err(&body);
        assert_eq!((e.status(), e.code()), (422, "invalid_type"));
        let b = e.body();
        assert_eq!(b.error.field.as_deref(), Some("metrics[1].ctr"));
        assert!(!b.error.message.contains("line"), "{}", b.error.message);
        let e = err(r#"{"metrics": {"a": 1}}"#);
        assert_eq!((e.code(), e.field()), ("invalid_type", Some("metrics")));
        let neg = OK.replace("\"impressions\":10", "\"impressions\":-10");
        let e = err(&format!(r#"{{"metrics":[{neg}]}}"#));
        assert_eq!(
            (e.code(), e.field()),
            ("invalid_value", Some("metrics[0].impressions"))
        );
    }

    #[test]
    fn unknown_and_missing_fields() {
        let e = err(&with("ctr", "1"));
        assert_eq!(e.code(), "unknown_field");
        assert_eq!(e.field(), Some("metrics[1]._"));
        let e = err(r#"{"metrics": [], "extra": 1}"#);
        assert_eq!((e.code(), e.field()), ("unknown_field", Some("extra")));
        let e = err(&format!(
            r#"{{"metrics":[{}]}}"#,
            OK.replace(r#","spend":1"#, "")
        ));
        assert_eq!(e.code(), "missing_field");
        assert_eq!(e.field(), Some("metrics[0].spend"));
        let e = err("{}");
        assert_eq!((e.code(), e.field()), ("missing_field", Some("metrics")));
        let e = err("[]");
        assert_eq!((e.code(), e.field()), ("invalid_type", None));
    }

    #[test]
    fn unknown_platform_is_the_core_error() {
        let e = err(&format!(
            r#"{{"metrics":[{}]}}"#,
            OK.replace("meta", "myspace")
        ));
        assert_eq!((e.status(), e.code()), (422, "unknown_value"));
        let b = e.body();
        assert_eq!(b.error.field.as_deref(), Some("metrics[0].platform"));
        assert!(b.error.message.contains("myspace"));
        let e = err(&format!(
            r#"{{"metrics":[{}]}}"#,
            OK.replace("\"meta\"", "7")
        ));
        assert_eq!(e.code(), "invalid_type");
    }

    #[test]
    fn helpers() {
        use crosslearn::ErrorCode;
        assert_eq!(
            crosslearn::Error::from_serde(None, "missing field `spend`")
                .field
                .as_deref(),
            Some("spend")
        );
        assert_eq!(
            crosslearn::Error::from_serde(Some("m"), "missing field")
                .field
                .as_deref(),
            Some("m")
        );
        assert_eq!(
            ErrorCode::of_serde_message("something custom"),
            ErrorCode::InvalidValue
        );
        assert_eq!(
            ErrorCode::of_serde_message("duplicate field `ctr`"),
            ErrorCode::Duplicate
        );
    }

    /// The format-2 keys: defaults when absent, every bad value a named error, the format-1
    /// keys still read beside them.
    #[test]
    fn format2_and_budget_keys() {
        let c = publish_config(None).unwrap();
        assert_eq!(c.format2.period_days, c.release.cadence_days);
        assert_eq!(c.budget, BudgetPolicy::default());
        let c = publish_config(Some(
            r#"{"k": 7, "cadence_days": 30, "format2": {"k": 60, "clip_norm": 2.0},
                "privacy_budget": {"rho_cap": 1.0}}"#,
        ))
        .unwrap();
        assert_eq!(
            (c.release.k, c.format2.k, c.format2.period_days),
            (7, 60, 30)
        );
        assert_eq!((c.format2.clip_norm, c.budget.rho_cap), (2.0, 1.0));
        for (raw, field) in [
            (
                r#"{"format2": {"epsilon": 0}}"#,
                "RELEASE_CONFIG.format2.epsilon",
            ),
            (
                r#"{"format2": {"epsilon": -1}}"#,
                "RELEASE_CONFIG.format2.epsilon",
            ),
            (
                r#"{"format2": {"clip_norm": 0}}"#,
                "RELEASE_CONFIG.format2.clip_norm",
            ),
            (r#"{"format2": {"k": 0}}"#, "RELEASE_CONFIG.format2.k"),
            (r#"{"format2": {"kk": 3}}"#, "RELEASE_CONFIG.format2.kk"),
            (
                r#"{"format2": {"period_days": 30}}"#,
                "RELEASE_CONFIG.format2.period_days",
            ),
            (r#"{"format2": 3}"#, "RELEASE_CONFIG.format2"),
            (
                r#"{"privacy_budget": {"cap": 1}}"#,
                "RELEASE_CONFIG.privacy_budget.cap",
            ),
            (
                r#"{"privacy_budget": {"rho_cap": 0}}"#,
                "RELEASE_CONFIG.privacy_budget.rho_cap",
            ),
            (
                r#"{"privacy_budget": {"rho_cap": 0.001}}"#,
                "RELEASE_CONFIG.privacy_budget.rho_cap",
            ),
            (
                r#"{"privacy_budget": {"window_days": 0}}"#,
                "RELEASE_CONFIG.privacy_budget.window_days",
            ),
            (r#"{"privacy_budget": []}"#, "RELEASE_CONFIG.privacy_budget"),
            (r#"{"format_2": {}}"#, "RELEASE_CONFIG.format_2"),
            (r#"{"k": 0, "format2": {}}"#, "RELEASE_CONFIG.k"),
        ] {
            let e = publish_config(Some(raw)).unwrap_err();
            assert_eq!(e.field(), Some(field), "{raw}: {e}");
            assert!(e.status() == 422 || e.status() == 400, "{raw}");
        }
        // The format-1 reader ignores the format-2 keys (Redis clips with it).
        let raw = r#"{"k": 9, "format2": {"k": 60}}"#;
        assert_eq!(release_config(Some(raw)).unwrap().k, 9);
    }

    /// The production RELEASE_CONFIG in wrangler.toml is one the Worker accepts, with k >= 50
    /// and the documented monthly cadence.
    #[test]
    fn the_production_release_config_parses() {
        let toml = include_str!("../../../wrangler.toml");
        let section = toml
            .split("\n[")
            .find(|s| s.starts_with("env.production.vars]"))
            .expect("wrangler.toml has [env.production.vars]");
        let raw = section
            .lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == RELEASE_CONFIG_VAR)
            .map(|(_, v)| v.trim().trim_matches('\'').to_string())
            .expect("production sets RELEASE_CONFIG");
        let config = release_config(Some(&raw)).unwrap();
        assert!(config.k >= 50, "{config:?}");
        assert_eq!(config.cadence_days, 30);
        // (1e-9: 0.2475 × 12 is 2.9699999999999998 in binary.)
        assert!(
            config.budget_per_window
                <= config.epsilon * f64::from(config.window_periods) * (1.0 + 1e-9)
        );
        // Format 2: k >= 50, one release per 30 days, and a year of them within the cap.
        let all = publish_config(Some(&raw)).unwrap();
        assert!(all.format2.k >= 50, "{all:?}");
        assert_eq!(all.format2.period_days, 30);
        let rho = all.format2.validate().unwrap().rho;
        // A 365-day window holds at most 13 period starts 30 days apart.
        assert!(13.0 * rho <= all.budget.rho_cap, "{all:?}");
        assert!(crosslearn::privacy::zcdp::epsilon_of_rho(all.budget.rho_cap, 1e-6) <= 10.0);
        // Both formats together (docs/privacy.md, "An account's total loss"): an account is in
        // one niche per period, so any 365 days hold at most 13 format-1 releases of its data at
        // the format-1 epsilon, plus its distribution releases; basic composition with 13
        // format-2 releases.
        // The distribution release (docs/privacy.md, "The distribution release"): at most
        // ceil(365 / its cadence) of them start in 365 days.
        let d = config
            .distributions
            .expect("production releases the distributions on their own");
        assert!(d.cadence_days >= config.cadence_days);
        let dist = f64::from(365_u32.div_ceil(d.cadence_days)) * d.epsilon;
        let total = 13.0 * config.epsilon
            + dist
            + crosslearn::privacy::zcdp::epsilon_of_rho(13.0 * rho, 1e-6);
        assert!(
            total <= 10.0,
            "yearly epsilon {total} at delta 1e-6: {all:?}"
        );
        // ... and the ledger holds each account to it: the year fits under the total cap.
        assert!(all.budget.epsilon_cap <= 10.0, "{all:?}");
        assert!(total <= all.budget.epsilon_cap, "{all:?}");
    }
}
