//! Record ids of imported export rows, stable across re-imports of the same export.
//!
//! An export's own ids are often not keys (the Facebook and TikTok exports scramble `ad_id` to
//! one number from 1 to 50 per row, and `(ad_id, date)` repeats), and line numbers change when
//! a re-export lists the same rows in another order. So an id is built from the row's content
//! only, never from its position:
//!
//! 1. **Base id**: `<prefix>-<ad id>-<date>-<t>`, where `<t>` is 8 hex digits of FNV-1a 64 over
//!    the row's headline and body (joined by `0x1F`). `<ad id>`/`<date>` are left out when the
//!    export has none (KAG has unique ad ids and no dates: `kag-<ad_id>`, no text hash). Characters
//!    outside `[A-Za-z0-9._:-]` in the parts are replaced by `_`.
//! 2. **Collisions**: when several rows of one file share a base id, each gets `-<c>` appended,
//!    8 hex digits of FNV-1a 64 over the row's full mapped content (every mapped field, in field
//!    order, so a re-export with its columns reordered gives the same hash).
//! 3. **True duplicates**: rows whose mapped content is identical (the Facebook export repeats 40
//!    rows exactly) are indistinguishable, so they are numbered `-2`, `-3`, ... after the first;
//!    which copy gets which number cannot matter, and the *set* of ids is the same in any order.
//!
//! Consequences: the id set of a file does not depend on row order; an id changes when the row's
//! identity (ad id, date, copy) changes, or, for a colliding row, when any of its metrics change
//! (a re-export with updated numbers is a new record for such rows: the export gives no key to
//! tell them apart).

use crate::hash::fnv1a64;
use crate::record::RecordInput;
use std::collections::HashMap;

/// The identity parts of one row; the importer turns them into ids with [`assign`].
#[derive(Debug, Clone, Default)]
pub(crate) struct IdParts {
    /// Format prefix (`fb`, `tt`, `kag`, `bing`, ...).
    pub prefix: &'static str,
    /// The export's ad (or creative) id, if it has one.
    pub ad_id: Option<String>,
    /// Whether the copy is part of the base id (false for formats without copy).
    pub hash_text: bool,
}

fn clean(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn hex8(h: u64) -> String {
    format!("{:08x}", h >> 32)
}

/// The base id of a mapped row (rule 1).
pub(crate) fn base_id(parts: &IdParts, input: &RecordInput) -> String {
    let mut id = parts.prefix.to_string();
    if let Some(a) = parts.ad_id.as_deref().filter(|a| !a.trim().is_empty()) {
        id.push('-');
        id.push_str(&clean(a));
    }
    if let Some(d) = input.date.as_deref().filter(|d| !d.trim().is_empty()) {
        id.push('-');
        id.push_str(&clean(d));
    }
    if parts.hash_text {
        let text = format!(
            "{}\u{1f}{}",
            input.headline.as_deref().unwrap_or_default(),
            input.body.as_deref().unwrap_or_default()
        );
        id.push('-');
        id.push_str(&hex8(fnv1a64(text.as_bytes())));
    }
    id
}

/// The content hash of a mapped row (rule 2): its serialized fields, id excluded.
fn content_hash(input: &RecordInput) -> u64 {
    let mut c = input.clone();
    c.record_id = None;
    // Serialising a RecordInput cannot fail (plain strings and numbers); an empty string on the
    // impossible error still gives a deterministic hash.
    fnv1a64(serde_json::to_string(&c).unwrap_or_default().as_bytes())
}

/// Assign final ids to `inputs` (their `record_id` holds the base id), in place.
pub(crate) fn assign(inputs: &mut [&mut RecordInput]) {
    let mut base_count: HashMap<String, usize> = HashMap::new();
    for i in inputs.iter() {
        if let Some(b) = &i.record_id {
            *base_count.entry(b.clone()).or_default() += 1;
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in inputs.iter_mut() {
        let Some(base) = i.record_id.clone() else {
            continue;
        };
        if base_count.get(&base).copied().unwrap_or(0) < 2 {
            continue;
        }
        let id = format!("{base}-{}", hex8(content_hash(i)));
        let n = seen.entry(id.clone()).or_default();
        *n += 1;
        i.record_id = Some(if *n == 1 { id } else { format!("{id}-{n}") });
    }
}
