//! `validateRecords`, `validateJsonRecords`: strict batch validation of creative records
//! ([`crate::record::validate`]) for JS.
//!
//! A bad record never fails the call: it is listed in `rejected` with its index and every issue
//! (field, value, reason). Only a `records` that is not an array (or a `json` that is not a JSON
//! array) throws.

use super::convert::{from_js, from_js_opt, to_ts};
use crate::error::Error;
use crate::record::{validate_json_records, validate_json_values, RecordSource, ValidationReport};
use serde_json::Value;
use tsify::Ts;
use wasm_bindgen::prelude::*;

fn source(source: Option<Ts<RecordSource>>) -> Result<RecordSource, Error> {
    let source = from_js_opt(source.map(|t| t.js_value()).as_ref(), "source")?;
    Ok(source.unwrap_or(RecordSource::User))
}

/// Validate a batch of records (`RecordInput` objects); `source` (default `"user"`) is stamped on
/// every accepted record. Each element is read on its own, so an element with an unknown key or
/// a wrong type is rejected alone.
#[wasm_bindgen(js_name = validateRecords)]
pub fn validate_records(
    #[wasm_bindgen(unchecked_param_type = "RecordInput[]")] records: JsValue,
    source: Option<Ts<RecordSource>>,
) -> Result<Ts<ValidationReport>, JsValue> {
    let source = self::source(source)?;
    let values: Vec<Value> = from_js(&records, "records")?;
    Ok(to_ts(&validate_json_values(values, source))?)
}

/// [`validateRecords`] of a JSON text holding an array of records (e.g. a file's contents).
/// Throws a `malformed` error when the text is not a JSON array.
#[wasm_bindgen(js_name = validateJsonRecords)]
pub fn validate_json(
    json: &str,
    source: Option<Ts<RecordSource>>,
) -> Result<Ts<ValidationReport>, JsValue> {
    let source = self::source(source)?;
    let report = validate_json_records(json, source).map_err(|e| e.within("json"))?;
    Ok(to_ts(&report)?)
}
