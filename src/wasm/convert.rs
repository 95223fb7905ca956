//! Every conversion at the JS boundary, in one place.
//!
//! - **In:** a JS argument becomes a typed Rust value through `from_js`: the JS value is first
//!   copied into a `serde_json::Value` (rejecting what JSON cannot hold: `NaN`, `Infinity`,
//!   functions, symbols, cycles), then deserialized with `serde_path_to_error`. Going through JSON
//!   keeps the HTTP API's rules, including `deny_unknown_fields` (serde-wasm-bindgen reads only the
//!   fields it knows, so a misspelt optional key would be ignored silently), and lets every error
//!   name the JSON path of the bad value (`platform_data[1].cpc`).
//! - **Out:** results are serialized by serde-wasm-bindgen into plain JS objects typed by the
//!   tsify-generated interfaces (`to_ts`). A missing optional value is `null`, as in the HTTP
//!   API's JSON.
//! - **Errors:** a core [`Error`] becomes a real JS `Error` (`instanceof Error`, with a stack) whose
//!   message is `"<field>: <reason>"` and which carries `code` (an [`ErrorCode`] name such as
//!   `"invalid_value"`, the same code the HTTP API answers for the same mistake) and `field` (the
//!   dotted path, or `undefined`). The `CrosslearnError`
//!   interface in the generated `.d.ts` describes it. Field paths start with the argument's name
//!   (`metrics.cpc`, `list[1].spend`, `options.mode`); data keys keep the snake_case wire names.

use crate::error::{Error, ErrorCode};
use js_sys::{Array, Object, Reflect};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Deeper nesting than this is refused (no input of this API nests more than 5 levels; a cyclic
/// object would otherwise recurse forever).
const MAX_DEPTH: usize = 32;

/// Largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The TypeScript declarations of the thrown error (`CrosslearnError`) and its `ErrorCode`s,
/// added to the generated `.d.ts`.
pub const TS_ERROR: &str = r#"
/** Stable machine-readable category of a {@link CrosslearnError}. */
export type ErrorCode =
    | "invalid_value"
    | "invalid_type"
    | "unknown_field"
    | "missing_field"
    | "unknown_value"
    | "empty_input"
    | "duplicate"
    | "malformed"
    | "unsupported";

/**
 * What every function of this package throws on bad input: a real `Error` whose message is
 * `"<field>: <reason>"`, with the category and the offending field as properties.
 */
export interface CrosslearnError extends Error {
    /** The category. */
    code: ErrorCode;
    /** Dotted path of the bad value, starting with the argument (`"list[1].spend"`), if one field is to blame. */
    field?: string;
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_SECTION: &'static str = TS_ERROR;

impl From<Error> for JsValue {
    /// The core error as a JS `Error` with `code` and `field` properties.
    fn from(e: Error) -> JsValue {
        let err = js_sys::Error::new(&e.to_string());
        // Setting a data property on a fresh, extensible Error object cannot fail.
        let _ = Reflect::set(&err, &"code".into(), &e.code.as_str().into());
        let field = e.field.as_deref().map_or(JsValue::UNDEFINED, JsValue::from);
        let _ = Reflect::set(&err, &"field".into(), &field);
        err.into()
    }
}

/// Read argument `arg` as a `T`. Errors name `arg` and the JSON path inside it.
pub(crate) fn from_js<T: DeserializeOwned>(value: &JsValue, arg: &str) -> Result<T, Error> {
    let json = to_json(value, 0).map_err(|e| e.within(arg))?;
    serde_path_to_error::deserialize(json).map_err(|e| de_error(e, arg))
}

/// Read an optional argument: `undefined` and `null` are `None`.
pub(crate) fn from_js_opt<T: DeserializeOwned>(
    value: Option<&JsValue>,
    arg: &str,
) -> Result<Option<T>, Error> {
    match value {
        Some(v) if !v.is_undefined() && !v.is_null() => from_js(v, arg).map(Some),
        _ => Ok(None),
    }
}

/// Serialize a result into its tsify-typed JS value. A missing optional value becomes `null`,
/// as on the HTTP API (the output types carry `tsify(missing_as_null)`, so the `.d.ts` says
/// `number | null`).
pub(crate) fn to_ts<T: Tsify + Serialize>(value: &T) -> Result<Ts<T>, Error> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    value
        .serialize(&serializer)
        .map(Ts::new_unchecked)
        // Only an integer above 2^53 (a saturated total) cannot be represented.
        .map_err(|e| Error::general(ErrorCode::Unsupported, e.to_string()))
}

#[cfg(feature = "wasm")]
/// Serialize an optional result: the value, or `null` (typed by the caller's
/// `unchecked_return_type`, e.g. `"WisdomContribution | null"`), with the same rules as [`to_ts`].
pub(crate) fn to_js_nullable<T: Serialize>(value: Option<&T>) -> Result<JsValue, Error> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    value
        .serialize(&serializer)
        .map_err(|e| Error::general(ErrorCode::Unsupported, e.to_string()))
}

/// Serialize a list of results into a JS array (typed by the caller's `unchecked_return_type`,
/// e.g. `"CopyAttributes[]"`), with the same rules as [`to_ts`].
pub(crate) fn to_js_list<T: Serialize>(values: &[T]) -> Result<JsValue, Error> {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    values
        .serialize(&serializer)
        .map_err(|e| Error::general(ErrorCode::Unsupported, e.to_string()))
}

/// A JS number that must be a whole number in `0..=max` (e.g. a count or a seed).
pub(crate) fn whole_number(field: &str, v: f64, max: f64) -> Result<f64, Error> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= max {
        Ok(v)
    } else {
        Err(Error::field(
            ErrorCode::InvalidValue,
            field,
            format!("must be a whole number in 0..={max}, got {v}"),
        ))
    }
}

/// A JS number that must be finite.
pub(crate) fn finite(field: &str, v: f64) -> Result<f64, Error> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Error::field(
            ErrorCode::InvalidValue,
            field,
            format!("must be a finite number, got {v}"),
        ))
    }
}

/// Copy a JS value into JSON. Errors carry the path below `value` (the caller prefixes it).
fn to_json(value: &JsValue, depth: usize) -> Result<Value, Error> {
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(f) = value.as_f64() {
        return number(f);
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if value.is_bigint() {
        return match (u64::try_from(value.clone()), i64::try_from(value.clone())) {
            (Ok(u), _) => Ok(Value::from(u)),
            (_, Ok(i)) => Ok(Value::from(i)),
            _ => Err(Error::general(
                ErrorCode::InvalidValue,
                "is a BigInt outside the 64-bit range",
            )),
        };
    }
    if depth >= MAX_DEPTH {
        return Err(Error::general(
            ErrorCode::Malformed,
            format!("nests deeper than {MAX_DEPTH} levels (or is cyclic)"),
        ));
    }
    if Array::is_array(value) {
        let array: &Array = value.unchecked_ref();
        let mut out = Vec::with_capacity(array.length() as usize);
        for (i, item) in array.iter().enumerate() {
            out.push(to_json(&item, depth + 1).map_err(|e| e.within(&format!("[{i}]")))?);
        }
        return Ok(Value::Array(out));
    }
    if value.is_object() && !value.is_function() {
        let mut out = Map::new();
        for entry in Object::entries(value.unchecked_ref()).iter() {
            let pair: &Array = entry.unchecked_ref();
            let value = pair.get(1);
            // `{ ctr: undefined }` is `{}` in JS terms (and in JSON.stringify): a missing key.
            if value.is_undefined() {
                continue;
            }
            let key = pair.get(0).as_string().unwrap_or_default();
            let v = to_json(&value, depth + 1).map_err(|e| e.within(&key))?;
            out.insert(key, v);
        }
        return Ok(Value::Object(out));
    }
    Err(Error::general(
        ErrorCode::InvalidValue,
        format!(
            "must be a JSON-like value, got a {}",
            value.js_typeof().as_string().unwrap_or_default()
        ),
    ))
}

/// A JS number as JSON: exact integers stay integers (so `u64` fields accept `10000`), other
/// finite numbers are kept bit for bit.
fn number(f: f64) -> Result<Value, Error> {
    if !f.is_finite() {
        return Err(Error::general(
            ErrorCode::InvalidValue,
            format!("must be a finite number, got {f}"),
        ));
    }
    if f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER {
        return Ok(if f >= 0.0 {
            Value::from(f as u64)
        } else {
            Value::from(f as i64)
        });
    }
    Ok(serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number))
}

/// A deserialization error as a core error: [`Error::from_serde`] (the classification the
/// Worker's HTTP API uses too, so one mistake gets one code everywhere), the field prefixed with
/// `arg`.
fn de_error(e: serde_path_to_error::Error<serde_json::Error>, arg: &str) -> Error {
    let path = e.path().to_string();
    let message = e.into_inner().to_string();
    let path = (path != ".").then_some(path);
    Error::from_serde(path.as_deref(), &message).within(arg)
}
