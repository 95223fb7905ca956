//! The KV adapter: published niche releases, one key per niche (`release:<niche>`), read once
//! per wisdom request. Written only by publication (the cron handler, a later step).

use super::{Releases, StoreError, StoreResult};
use worker::kv::KvStore;

/// Published releases in a KV namespace (binding `RELEASES`).
pub struct KvReleases {
    kv: KvStore,
}

impl KvReleases {
    /// Wrap the binding.
    pub fn new(kv: KvStore) -> Self {
        KvReleases { kv }
    }
}

/// The KV key of a niche's published release.
pub fn release_key(niche: &str) -> String {
    format!("release:{niche}")
}

impl Releases for KvReleases {
    async fn published(&self, niche: &str) -> StoreResult<Option<String>> {
        self.kv
            .get(&release_key(niche))
            .text()
            .await
            .map_err(|e| StoreError(e.to_string()))
    }

    async fn publish(&self, niche: &str, release_json: &str) -> StoreResult<()> {
        self.kv
            .put(&release_key(niche), release_json)
            .map_err(|e| StoreError(e.to_string()))?
            .execute()
            .await
            .map_err(|e| StoreError(e.to_string()))
    }
}
