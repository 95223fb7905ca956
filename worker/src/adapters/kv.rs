//! The KV adapter: published niche releases, one key per niche (`release:<niche>`) and all of
//! them as one array (`releases:all`), so every wisdom request is one read. Written only by
//! publication ([`crate::service::publish`], run by the cron and the operator's publish route).

use crate::ports::{Releases, StoreError, StoreResult};
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

/// The KV key of the bulk array of every niche's release.
pub const ALL_RELEASES_KEY: &str = "releases:all";

impl KvReleases {
    async fn get(&self, key: &str) -> StoreResult<Option<String>> {
        self.kv
            .get(key)
            .text()
            .await
            .map_err(|e| StoreError::new(e.to_string()))
    }

    async fn put(&self, key: &str, value: &str) -> StoreResult<()> {
        self.kv
            .put(key, value)
            .map_err(|e| StoreError::new(e.to_string()))?
            .execute()
            .await
            .map_err(|e| StoreError::new(e.to_string()))
    }
}

impl Releases for KvReleases {
    async fn published(&self, niche: &str) -> StoreResult<Option<String>> {
        self.get(&release_key(niche)).await
    }

    async fn publish(&self, niche: &str, release_json: &str) -> StoreResult<()> {
        self.put(&release_key(niche), release_json).await
    }

    async fn published_all(&self) -> StoreResult<Option<String>> {
        self.get(ALL_RELEASES_KEY).await
    }

    async fn publish_all(&self, releases_json: &str) -> StoreResult<()> {
        self.put(ALL_RELEASES_KEY, releases_json).await
    }
}
