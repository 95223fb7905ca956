//! The computation behind [`account_insights`].

use super::{AccountInsight, InsightOptions};
use crate::error::Result;
use crate::record::CreativeRecord;

/// Compute one account's insight from its records.
///
/// Errors: `records` empty ([`crate::ErrorCode::EmptyInput`]), records of more than one account
/// (`records[i].account_id`), invalid options (`options.<field>`).
pub fn account_insights(
    records: &[CreativeRecord],
    options: &InsightOptions,
) -> Result<AccountInsight> {
    let _ = (records, options);
    todo!()
}
