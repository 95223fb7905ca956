//! Runtime glue of the Redis aggregate store ([`crate::aggregates`]): the `REDIS_*` vars, the
//! outbox mark before and the Redis update after every account change, the cron's choice of
//! aggregate source, and the operator routes:
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/admin/redis/health` | `{configured, ok, ready, pending, error, elapsed_ms}` |
//! | `POST /api/admin/redis/sync` | drain the outbox (a rebuild when Redis lost its data) -> [`SyncReport`] |
//! | `POST /api/admin/redis/rebuild` | clear Redis and rebuild it from D1 -> [`SyncReport`] |
//! | `GET /api/admin/redis/check` | Redis vs a fresh D1 aggregation -> [`CheckReport`] |
//! | `GET /api/admin/aggregates?source=d1\|redis` | the exact pre-noise aggregates per niche |
//!
//! All are operator-only. A Redis failure on them is a 503 `redis_unavailable` whose message says
//! what failed (timeout of which step, refused AUTH, TLS mismatch); on account routes it never
//! fails the request (the change waits in the outbox; see the `x-aggregates-sync` header).

use crate::aggregates::{
    self, AggError, AggregateStore, Aggregates, CheckReport, Source, SyncOutcome, SyncReport,
};
use crate::auth::{self, internal, Caller};
use crate::error::{ApiError, ErrorBody, ErrorDetail};
use crate::publish::{publish_with, PublishReport};
use crate::store::d1::D1Store;
use crate::store::outbox::Outbox;
use crate::store::redis::{RedisConfig, RedisError};
use crate::store::{Accounts, History, Records, Releases};
use crosslearn::wisdom::ReleaseConfig;
use serde::Serialize;
use worker::{console_error, Date, Env, Request, Response, RouteContext};

/// `GET /api/admin/redis/health`.
pub const REDIS_HEALTH: &str = "/api/admin/redis/health";
/// `POST /api/admin/redis/sync`.
pub const REDIS_SYNC: &str = "/api/admin/redis/sync";
/// `POST /api/admin/redis/rebuild`.
pub const REDIS_REBUILD: &str = "/api/admin/redis/rebuild";
/// `GET /api/admin/redis/check`.
pub const REDIS_CHECK: &str = "/api/admin/redis/check";
/// `GET /api/admin/aggregates`.
pub const AGGREGATES: &str = "/api/admin/aggregates";

/// The response header on account changes saying what happened to Redis: `disabled`, `synced`,
/// `superseded` or `queued`.
pub const SYNC_HEADER: &str = "x-aggregates-sync";

/// The `REDIS_*` configuration (`None`: D1-only mode).
pub fn redis_config(env: &Env) -> Result<Option<RedisConfig>, RedisError> {
    RedisConfig::from_vars(|name| {
        env.secret(name)
            .map(|s| s.to_string())
            .ok()
            .or_else(|| env.var(name).map(|v| v.to_string()).ok())
    })
}

/// Open the aggregate store (each step within the configured timeout).
#[cfg(target_arch = "wasm32")]
pub async fn open(
    config: &RedisConfig,
) -> Result<crate::store::redis::RedisAggregates, RedisError> {
    crate::store::redis::RedisAggregates::connect(config).await
}

/// Natively there is no socket: every open fails (native tests use
/// [`aggregates::MemoryAggregates`]).
#[cfg(not(target_arch = "wasm32"))]
pub async fn open(_config: &RedisConfig) -> Result<aggregates::MemoryAggregates, RedisError> {
    Err(RedisError::Io("no sockets outside workerd".into()))
}

/// Before a change of `account_id` is written to D1: authorize it and, in Redis mode, bump the
/// account's outbox seq (so a change D1 acknowledges is never unknown to the outbox).
pub async fn before_change(
    env: &Env,
    store: &D1Store,
    caller: &Caller,
    account_id: &str,
) -> Result<Option<u64>, ApiError> {
    auth::authorize(caller, account_id)?;
    match redis_config(env) {
        Ok(None) => Ok(None),
        // A bad config still records the change: a later rebuild must not miss it.
        Ok(Some(_)) | Err(_) => Ok(Some(store.mark(account_id).await.map_err(internal)?)),
    }
}

/// After D1 acknowledged the change: update Redis (never fails the request).
pub async fn after_change(
    env: &Env,
    store: &D1Store,
    account_id: &str,
    seq: Option<u64>,
) -> SyncOutcome {
    let Some(seq) = seq else {
        return SyncOutcome::Disabled;
    };
    let config = ReleaseConfig::default();
    let outcome = match redis_config(env) {
        Ok(Some(rc)) => match open(&rc).await {
            Ok(mut redis) => {
                let out = aggregates::sync_account(
                    store,
                    store,
                    Ok(&mut redis),
                    account_id,
                    seq,
                    &config,
                )
                .await;
                #[cfg(target_arch = "wasm32")]
                redis.close().await;
                out
            }
            Err(e) => {
                aggregates::sync_account::<_, _, aggregates::MemoryAggregates>(
                    store,
                    store,
                    Err(e),
                    account_id,
                    seq,
                    &config,
                )
                .await
            }
        },
        Ok(None) => return SyncOutcome::Disabled,
        Err(e) => Ok(SyncOutcome::Queued {
            reason: e.to_string(),
        }),
    };
    match outcome {
        Ok(SyncOutcome::Queued { reason }) => {
            console_error!("redis sync of {account_id} queued: {reason}");
            SyncOutcome::Queued { reason }
        }
        Ok(o) => o,
        Err(e) => {
            console_error!("redis sync of {account_id} failed in D1: {e}");
            SyncOutcome::Queued {
                reason: "outbox update failed".into(),
            }
        }
    }
}

/// Add [`SYNC_HEADER`] to an account-change response.
pub fn with_sync_header(
    resp: worker::Result<Response>,
    sync: Option<SyncOutcome>,
) -> worker::Result<Response> {
    let mut resp = resp?;
    if let Some(sync) = sync {
        let value = match sync {
            SyncOutcome::Disabled => "disabled",
            SyncOutcome::Synced => "synced",
            SyncOutcome::Superseded => "superseded",
            SyncOutcome::Queued { .. } => "queued",
        };
        let _ = resp.headers_mut().set(SYNC_HEADER, value);
    }
    Ok(resp)
}

/// One publication run: Redis aggregates when Redis is configured and consistent, D1's
/// otherwise (see [`aggregates::publication_aggregates`]).
pub async fn publish_run<R: Releases>(
    env: &Env,
    store: &D1Store,
    kv: &R,
    now_ms: u64,
    config: &ReleaseConfig,
    seed: u64,
) -> Result<(PublishReport, Source), ApiError>
where
    D1Store: Accounts + Records + History + Outbox,
{
    let rc = match redis_config(env) {
        Ok(rc) => rc,
        Err(e) => {
            console_error!("{e}");
            None
        }
    };
    let (aggs, opted, contributing, source) = match rc {
        None => {
            let report = crate::publish::publish(store, kv, now_ms, config, seed).await?;
            let source = Source {
                source: "d1",
                fallback_reason: Some("redis is not configured".into()),
            };
            return Ok((report, source));
        }
        Some(rc) => match open(&rc).await {
            Ok(mut redis) => {
                let out =
                    aggregates::publication_aggregates(store, store, Some(Ok(&mut redis)), config)
                        .await;
                #[cfg(target_arch = "wasm32")]
                redis.close().await;
                out?
            }
            Err(e) => {
                aggregates::publication_aggregates::<_, _, aggregates::MemoryAggregates>(
                    store,
                    store,
                    Some(Err(e)),
                    config,
                )
                .await?
            }
        },
    };
    let report = publish_with(
        store,
        kv,
        now_ms,
        config,
        seed,
        &aggs,
        (opted, contributing),
    )
    .await?;
    Ok((report, source))
}

fn redis_unavailable(message: String) -> worker::Result<Response> {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "redis_unavailable",
            message,
            field: None,
        },
    };
    Ok(Response::from_json(&body)?.with_status(503))
}

fn answer<T: Serialize>(result: Result<T, AggError>) -> worker::Result<Response> {
    let mut resp = match result {
        Ok(v) => Response::from_json(&v)?,
        Err(AggError::Redis(e)) => redis_unavailable(e.to_string())?,
        Err(AggError::Api(e)) => crate::handlers::error_response(&e)?,
    };
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// The D1 store, after checking the caller is the operator.
async fn operator(req: &Request, ctx: &RouteContext<()>) -> Result<D1Store, ApiError> {
    let db = ctx
        .env
        .d1(crate::handlers::D1_BINDING)
        .map_err(|_| ApiError::Internal)?;
    let store = D1Store::new(db);
    let op = ctx
        .env
        .secret(crate::handlers::OPERATOR_SECRET)
        .map(|s| s.to_string())
        .ok();
    let header = req.headers().get("authorization").ok().flatten();
    let caller = auth::authenticate(&store, header.as_deref(), op.as_deref()).await?;
    auth::require_operator(&caller)?;
    Ok(store)
}

/// The configured Redis, or a 503-worthy error.
fn configured(env: &Env) -> Result<RedisConfig, AggError> {
    redis_config(env)?.ok_or_else(|| {
        AggError::Redis(RedisError::Config(
            "REDIS_HOST is not set (D1-only mode)".into(),
        ))
    })
}

/// `GET /api/admin/redis/health`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `REDIS_HOST` is set.
    pub configured: bool,
    /// Connected, authenticated and answered PING.
    pub ok: bool,
    /// The ready marker is present (a rebuild completed since Redis last lost its data).
    pub ready: bool,
    /// Outbox rows pending.
    pub pending: u64,
    /// What failed, if anything.
    pub error: Option<String>,
    /// Time taken, ms.
    pub elapsed_ms: u64,
}

/// `GET /api/admin/redis/health` (operator).
pub async fn health(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let result: Result<Health, AggError> = async {
        let store = operator(&req, &ctx).await?;
        let pending = store.pending_count().await.map_err(internal)?;
        let mut h = Health {
            configured: false,
            ok: false,
            ready: false,
            pending,
            error: None,
            elapsed_ms: 0,
        };
        let rc = match redis_config(&ctx.env) {
            Ok(None) => return Ok(h),
            Ok(Some(rc)) => rc,
            Err(e) => {
                h.configured = true;
                h.error = Some(e.to_string());
                return Ok(h);
            }
        };
        h.configured = true;
        let probe: Result<bool, RedisError> = async {
            let mut redis = open(&rc).await?;
            #[cfg(target_arch = "wasm32")]
            redis.ping().await?;
            let ready = redis.read().await?.is_some();
            #[cfg(target_arch = "wasm32")]
            redis.close().await;
            Ok(ready)
        }
        .await;
        match probe {
            Ok(ready) => {
                h.ok = true;
                h.ready = ready;
            }
            Err(e) => h.error = Some(e.to_string()),
        }
        Ok(h)
    }
    .await
    .map(|mut h| {
        h.elapsed_ms = Date::now().as_millis().saturating_sub(started);
        h
    });
    answer(result)
}

async fn with_redis<T>(
    req: &Request,
    ctx: &RouteContext<()>,
    run: impl AsyncFnOnce(&D1Store, &mut OpenStore) -> Result<T, AggError>,
) -> Result<T, AggError> {
    let store = operator(req, ctx).await?;
    let rc = configured(&ctx.env)?;
    let mut redis = open(&rc).await?;
    let out = run(&store, &mut redis).await;
    #[cfg(target_arch = "wasm32")]
    redis.close().await;
    out
}

#[cfg(target_arch = "wasm32")]
type OpenStore = crate::store::redis::RedisAggregates;
#[cfg(not(target_arch = "wasm32"))]
type OpenStore = aggregates::MemoryAggregates;

/// `POST /api/admin/redis/sync` (operator): drain the outbox.
pub async fn sync(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let config = ReleaseConfig::default();
    let result: Result<SyncReport, AggError> = with_redis(&req, &ctx, async |store, redis| {
        aggregates::drain(store, store, redis, &config, 10_000).await
    })
    .await;
    answer(result)
}

/// `POST /api/admin/redis/rebuild` (operator): rebuild Redis from D1.
pub async fn rebuild(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let config = ReleaseConfig::default();
    let result: Result<SyncReport, AggError> = with_redis(&req, &ctx, async |store, redis| {
        aggregates::rebuild(store, store, redis, &config).await
    })
    .await;
    answer(result)
}

/// `GET /api/admin/redis/check` (operator): Redis vs D1.
pub async fn check(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let config = ReleaseConfig::default();
    let result: Result<CheckReport, AggError> = with_redis(&req, &ctx, async |store, redis| {
        aggregates::check(store, store, redis, &config).await
    })
    .await;
    answer(result)
}

/// One niche of `GET /api/admin/aggregates`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NicheAggregate {
    /// The niche.
    pub niche: String,
    /// Contributing accounts.
    pub accounts: i64,
    /// Exact fixed-point sums, layout order.
    pub sums: Vec<i64>,
}

/// `GET /api/admin/aggregates` answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AggregatesAnswer {
    /// `d1` or `redis`.
    pub source: String,
    /// Time to gather them, ms (the aggregation step of a publication).
    pub elapsed_ms: u64,
    /// Niches with contributors.
    pub niches: Vec<NicheAggregate>,
}

/// `GET /api/admin/aggregates?source=d1|redis` (operator): the exact, pre-noise aggregates.
pub async fn aggregates_route(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let url = req.inner().url();
    let source = crate::wisdom::query_param(&url, "source")
        .unwrap_or("d1")
        .to_string();
    let config = ReleaseConfig::default();
    let started = Date::now().as_millis();
    let result: Result<Aggregates, AggError> = match source.as_str() {
        "d1" => {
            async {
                let store = operator(&req, &ctx).await?;
                Ok(aggregates::d1_aggregates(&store, &config).await?.0)
            }
            .await
        }
        "redis" => {
            with_redis(&req, &ctx, async |_store, redis| {
                redis.read().await?.ok_or_else(|| {
                    AggError::Redis(RedisError::Protocol(
                        "redis is not ready (POST /api/admin/redis/rebuild)".into(),
                    ))
                })
            })
            .await
        }
        _ => Err(AggError::Api(ApiError::Invalid {
            code: "invalid_value",
            field: Some("source".into()),
            message: "source must be d1 or redis".into(),
        })),
    };
    let elapsed_ms = Date::now().as_millis().saturating_sub(started);
    answer(result.map(|aggs| {
        AggregatesAnswer {
            source,
            elapsed_ms,
            niches: aggs
                .into_iter()
                .filter(|(_, a)| a.accounts != 0)
                .map(|(n, a)| NicheAggregate {
                    niche: n.as_str().to_string(),
                    accounts: a.accounts,
                    sums: a.sums,
                })
                .collect(),
        }
    }))
}
