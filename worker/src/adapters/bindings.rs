//! The Worker's bindings, vars and secrets by name (wrangler.toml), opened as adapters. A missing
//! binding is a deployment fault: logged, answered with a generic 500.

use crate::adapters::d1::D1Store;
use crate::adapters::kv::{KvModels, KvReleases};
use crate::adapters::redis::{RedisConfig, RedisLink};
use crate::error::ApiError;
use worker::{console_error, Env};

/// The D1 binding's name (wrangler.toml `[[d1_databases]] binding`).
pub const D1_BINDING: &str = "DB";
/// The KV binding with the published releases.
pub const KV_BINDING: &str = "RELEASES";
/// The KV binding with the model files the Worker does not embed (`scripts/seed-models.sh`).
pub const MODELS_BINDING: &str = "MODELS";
/// The operator token's secret name (`.dev.vars` locally, `wrangler secret put` deployed).
pub const OPERATOR_SECRET: &str = "OPERATOR_TOKEN";

/// The D1 database.
pub fn d1(env: &Env) -> Result<D1Store, ApiError> {
    env.d1(D1_BINDING).map(D1Store::new).map_err(|e| {
        console_error!("D1 binding {D1_BINDING} missing: {e}");
        ApiError::Internal
    })
}

/// The KV namespace of published releases.
pub fn releases(env: &Env) -> Result<KvReleases, ApiError> {
    env.kv(KV_BINDING).map(KvReleases::new).map_err(|e| {
        console_error!("KV binding {KV_BINDING} missing: {e}");
        ApiError::Internal
    })
}

/// The KV namespace of model files; a missing binding fails the read (logged, 500).
pub fn models(env: &Env) -> KvModels {
    KvModels::new(
        env.kv(MODELS_BINDING)
            .map_err(|e| format!("KV binding {MODELS_BINDING} missing: {e}")),
    )
}

/// A var's value, if set.
pub fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// A secret (deployed, .dev.vars) or a plain var (`--var`, tests): both are strings.
pub fn secret_or_var(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .ok()
        .or_else(|| var(env, name))
}

/// The operator token, if one is configured.
pub fn operator_token(env: &Env) -> Option<String> {
    env.secret(OPERATOR_SECRET).map(|s| s.to_string()).ok()
}

/// The aggregate store's link from the `REDIS_*` vars and secrets (D1-only mode when unset),
/// with the `RELEASE_CONFIG` var's release config: the one publication noises with, so
/// contributions are clipped with it too.
pub fn redis_link(env: &Env) -> RedisLink {
    use crate::http::json::{release_config, RELEASE_CONFIG_VAR};
    let release = release_config(var(env, RELEASE_CONFIG_VAR).as_deref())
        .map_err(|e| format!("{RELEASE_CONFIG_VAR}: {e}"));
    RedisLink::new(
        RedisConfig::from_vars(|name| secret_or_var(env, name)),
        release,
    )
}
