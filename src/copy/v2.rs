//! Rules v2 (placeholder: same as v1 until tuned).
use crate::record::{CtaStyle, HookType};

pub(crate) fn opening_of(text: &str) -> &str {
    super::opening_of(text)
}

pub(crate) fn hook_of(opening: &str) -> HookType {
    super::hook_of(opening)
}

pub(crate) fn cta_of(text: &str) -> CtaStyle {
    super::cta_of(text)
}
