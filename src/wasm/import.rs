//! `importCsv`: CSV import of the real exports and the generic format ([`crate::import`]) for JS.

use super::convert::{from_js_opt, to_ts};
use crate::import::{import_csv as import_any, import_csv_as, ImportFormat, ImportReport};
use tsify::Ts;
use wasm_bindgen::prelude::*;

/// Import a CSV file's bytes (e.g. `new Uint8Array(await file.arrayBuffer())`). The format is
/// detected from the header unless `format` is given. Bad rows never fail the call: they are in
/// `rejected` with their 1-based `line` and every reason. Throws (`field: "bytes"`) only when
/// there is no header or it is not a supported format.
#[wasm_bindgen(js_name = importCsv)]
pub fn import_csv(
    bytes: &[u8],
    format: Option<Ts<ImportFormat>>,
) -> Result<Ts<ImportReport>, JsValue> {
    let format: Option<ImportFormat> =
        from_js_opt(format.map(|t| t.js_value()).as_ref(), "format")?;
    let report = match format {
        None => import_any(bytes),
        Some(f) => import_csv_as(bytes, f),
    }
    .map_err(|e| e.within("bytes"))?;
    Ok(to_ts(&report)?)
}
