//! `GET /api/admin/runtime` (operator): what this isolate's Rust side holds in memory, so a soak
//! (scripts/soak.mjs) can tell a growing Worker from a growing runtime.
//!
//! - `wasm_memory_bytes`: the wasm linear memory (`memory.size` pages x 65,536). It never shrinks
//!   (wasm has no `memory.shrink`), so a leak in Rust (or a per-request cache never pruned) shows
//!   as a staircase here; a flat value under load means the Rust heap is bounded.
//! - `rate_limiter_clients`: the entries of the per-isolate rate-limiter map ([`crate::http::edge`]),
//!   bounded by [`crate::http::edge::MAX_CLIENTS`].
//!
//! Everything here is about one isolate: Cloudflare runs many, each answers for itself.

use serde::Serialize;

/// Bytes in one wasm page.
pub const WASM_PAGE_BYTES: u64 = 65_536;

/// `GET /api/admin/runtime`: this isolate's Rust-side memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Runtime {
    /// The wasm linear memory in 64 KiB pages (null outside wasm, e.g. native tests).
    pub wasm_memory_pages: Option<u64>,
    /// The wasm linear memory in bytes (pages x 65,536; null outside wasm).
    pub wasm_memory_bytes: Option<u64>,
    /// Clients tracked by this isolate's rate limiter (at most `edge::MAX_CLIENTS`).
    pub rate_limiter_clients: u64,
    /// The most clients the rate limiter tracks.
    pub rate_limiter_max_clients: u64,
}

/// The current size of the wasm linear memory, in pages (`None` when not compiled to wasm).
pub fn wasm_memory_pages() -> Option<u64> {
    #[cfg(target_arch = "wasm32")]
    {
        Some(core::arch::wasm32::memory_size(0) as u64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        None
    }
}

/// The report from its parts (pure; the route reads the live values).
pub fn report(pages: Option<u64>, limiter_clients: usize) -> Runtime {
    Runtime {
        wasm_memory_pages: pages,
        wasm_memory_bytes: pages.map(|p| p.saturating_mul(WASM_PAGE_BYTES)),
        rate_limiter_clients: limiter_clients as u64,
        rate_limiter_max_clients: crate::http::edge::MAX_CLIENTS as u64,
    }
}

/// This isolate's report now.
pub fn snapshot() -> Runtime {
    report(wasm_memory_pages(), crate::http::edge::limiter_clients())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_pages_times_64_kib() {
        let r = report(Some(17), 3);
        assert_eq!(r.wasm_memory_pages, Some(17));
        assert_eq!(r.wasm_memory_bytes, Some(17 * 65_536));
        assert_eq!(r.rate_limiter_clients, 3);
        assert_eq!(
            r.rate_limiter_max_clients,
            crate::http::edge::MAX_CLIENTS as u64
        );
        let native = report(None, 0);
        assert_eq!(native.wasm_memory_bytes, None);
        assert_eq!(report(Some(u64::MAX), 0).wasm_memory_bytes, Some(u64::MAX));
    }

    #[test]
    fn natively_there_is_no_linear_memory() {
        // Native tests run outside wasm: the route says null rather than a made-up size.
        assert_eq!(wasm_memory_pages(), None);
        let json = serde_json::to_value(snapshot()).unwrap();
        assert!(json["wasm_memory_bytes"].is_null());
        assert!(json["rate_limiter_clients"].is_u64());
    }
}
