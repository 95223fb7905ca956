//! The KV adapter: published niche releases, one key per niche (`release:<niche>`) and all of
//! them as one array (`releases:all`), so every wisdom request is one read per format; the
//! format-2 posteriors likewise (`release2:<niche>`, `releases2:all`). Written only by
//! publication ([`crate::service::publish`], run by the cron and the operator's publish route).
//!
//! [`KvModels`]: the model files in their own namespace (binding `MODELS`, keys `model:<name>`),
//! written only by `scripts/seed-models.sh`, read by [`crate::service::models::load`].

use crate::ports::{ModelStore, Releases, StoreError, StoreResult, StoredRelease};
use crosslearn::niche::Niche;
use crosslearn::wisdom::suffstat::PosteriorTable;
use crosslearn::wisdom::NicheWisdom;
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

/// A key of the releases namespace: every key the adapter reads or writes is one of these, so
/// the layout is in one place (the e2e and fault tests address the same strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvKey<'a> {
    /// `release:<niche>`: a niche's latest published release.
    Release(&'a str),
    /// `releases:all`: every niche's release as one array.
    AllReleases,
    /// `release2:<niche>`: a niche's latest format-2 posteriors.
    ReleaseV2(&'a str),
    /// `releases2:all`: every niche's format-2 posteriors as one array.
    AllReleasesV2,
}

impl KvKey<'_> {
    /// The key as stored.
    pub fn to_key(self) -> String {
        match self {
            KvKey::Release(niche) => format!("release:{niche}"),
            KvKey::AllReleases => "releases:all".to_string(),
            KvKey::ReleaseV2(niche) => format!("release2:{niche}"),
            KvKey::AllReleasesV2 => "releases2:all".to_string(),
        }
    }
}

impl KvReleases {
    async fn get(&self, key: KvKey<'_>) -> StoreResult<Option<String>> {
        self.kv
            .get(&key.to_key())
            .text()
            .await
            .map_err(|e| StoreError::new(e.to_string()))
    }

    async fn put(&self, key: KvKey<'_>, value: &str) -> StoreResult<()> {
        self.kv
            .put(&key.to_key(), value)
            .map_err(|e| StoreError::new(e.to_string()))?
            .execute()
            .await
            .map_err(|e| StoreError::new(e.to_string()))
    }
}

impl Releases for KvReleases {
    async fn published(&self, niche: Niche) -> StoreResult<Option<StoredRelease>> {
        Ok(self
            .get(KvKey::Release(niche.as_str()))
            .await?
            .map(StoredRelease::from_text))
    }

    async fn publish(&self, release: &NicheWisdom) -> StoreResult<()> {
        let stored = StoredRelease::of(release)?;
        self.put(KvKey::Release(release.niche.as_str()), stored.text())
            .await
    }

    async fn published_all(&self) -> StoreResult<Option<StoredRelease>> {
        Ok(self
            .get(KvKey::AllReleases)
            .await?
            .map(StoredRelease::from_text))
    }

    async fn publish_all(&self, releases: &[NicheWisdom]) -> StoreResult<()> {
        let stored = StoredRelease::of(releases)?;
        self.put(KvKey::AllReleases, stored.text()).await
    }

    async fn published_v2(&self, niche: Niche) -> StoreResult<Option<StoredRelease>> {
        Ok(self
            .get(KvKey::ReleaseV2(niche.as_str()))
            .await?
            .map(StoredRelease::from_text))
    }

    async fn publish_v2(&self, table: &PosteriorTable) -> StoreResult<()> {
        let stored = StoredRelease::of(table)?;
        self.put(KvKey::ReleaseV2(table.niche.as_str()), stored.text())
            .await
    }

    async fn published_v2_all(&self) -> StoreResult<Option<StoredRelease>> {
        Ok(self
            .get(KvKey::AllReleasesV2)
            .await?
            .map(StoredRelease::from_text))
    }

    async fn publish_v2_all(&self, tables: &[PosteriorTable]) -> StoreResult<()> {
        let stored = StoredRelease::of(tables)?;
        self.put(KvKey::AllReleasesV2, stored.text()).await
    }
}

/// Model files in a KV namespace (binding `MODELS`). Opened lazily: a missing binding is a
/// storage fault of the read (logged, 500), so routes that serve embedded files never need it.
pub struct KvModels {
    kv: Result<KvStore, String>,
}

impl KvModels {
    /// Wrap the binding, or why it could not be opened.
    pub fn new(kv: Result<KvStore, String>) -> Self {
        KvModels { kv }
    }
}

impl ModelStore for KvModels {
    async fn model_bytes(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let kv = self.kv.as_ref().map_err(|e| StoreError::new(e.clone()))?;
        kv.get(key)
            .bytes()
            .await
            .map_err(|e| StoreError::new(format!("KV read of {key}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_stored() {
        assert_eq!(KvKey::Release("fitness").to_key(), "release:fitness");
        assert_eq!(KvKey::AllReleases.to_key(), "releases:all");
        assert_eq!(KvKey::ReleaseV2("fitness").to_key(), "release2:fitness");
        assert_eq!(KvKey::AllReleasesV2.to_key(), "releases2:all");
    }
}
