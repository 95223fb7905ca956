//! Operator routes: the publication (also the cron's entry, [`scheduled`]), the dev-only D1
//! write fault, the isolate's runtime report and the Redis aggregate store (docs/redis.md):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/admin/redis/health` | `{configured, ok, ready, pending, error, elapsed_ms}` |
//! | `POST /api/admin/redis/sync` | drain the outbox (a rebuild when Redis cannot be trusted) -> [`SyncReport`] |
//! | `POST /api/admin/redis/rebuild` | clear Redis and rebuild it from D1 -> [`SyncReport`] |
//! | `GET /api/admin/redis/check` | Redis vs a fresh D1 aggregation -> [`CheckReport`] |
//! | `GET /api/admin/aggregates?source=d1\|redis` | the exact pre-noise aggregates per niche |
//!
//! All are operator-only. A Redis failure on them is a 503 `redis_unavailable` whose message says
//! what failed (timeout of which step, refused AUTH, TLS mismatch); on account routes it never
//! fails the request (the change waits in the outbox; see [`crate::routes::accounts::SYNC_HEADER`]).

use crate::adapters::bindings;
use crate::adapters::d1::D1Store;
use crate::adapters::faults::{self, WriteFault};
use crate::adapters::redis::{RedisAggregates, RedisLink};
use crate::error::ApiError;
use crate::http::json::parse_or_default;
use crate::http::respond::private_json;
use crate::http::{query_param, read_body, runtime};
use crate::ports::{AggregateStore, Aggregates, AggregatesLink, LinkMode, Outbox, RedisError};
use crate::routes::connect;
use crate::service::aggregates::{self, AggError, CheckReport, SyncReport};
use crate::service::auth::{self, internal, Caller};
use crate::service::format2;
use crate::service::publish::{self, PublishReport};
use crate::service::sync::{self, Ports};
use crosslearn::privacy::dgauss::noise_rng_from_entropy;
use crosslearn::wisdom::ReleaseConfig;
use serde::{Deserialize, Serialize};
use worker::{console_error, Date, Env, Request, Response, RouteContext};

// The parser lives with the other JSON parsing (the Redis link needs it too, for clipping).
pub use crate::http::json::{publish_config, release_config, PublishConfig, RELEASE_CONFIG_VAR};

/// The release config of the `RELEASE_CONFIG` var (the core's defaults when unset); a bad value
/// is a deployment fault: logged, answered with a generic 500.
fn release_config_of(env: &Env) -> Result<ReleaseConfig, ApiError> {
    let raw = bindings::var(env, RELEASE_CONFIG_VAR);
    release_config(raw.as_deref()).map_err(|e| {
        console_error!("{}: {e}", RELEASE_CONFIG_VAR);
        ApiError::Internal
    })
}

/// Every part of the `RELEASE_CONFIG` var (formats 1 and 2, the privacy budget); a bad value is
/// a deployment fault: logged, answered with a generic 500.
pub fn publish_config_of(env: &Env) -> Result<PublishConfig, ApiError> {
    let raw = bindings::var(env, RELEASE_CONFIG_VAR);
    publish_config(raw.as_deref()).map_err(|e| {
        console_error!("{}: {e}", RELEASE_CONFIG_VAR);
        ApiError::Internal
    })
}

/// A fresh noise seed for a publication.
fn noise_seed() -> Result<u64, ApiError> {
    Ok(u64::from_le_bytes(auth::random_bytes::<8>()?))
}

/// One publication run over the Worker's bindings: format 1 from the aggregate store's
/// aggregates when it is configured and consistent, D1's otherwise ([`sync::publication`]),
/// then release format 2 from D1 with noise from ChaCha20 seeded by the OS
/// ([`crate::service::format2`]).
async fn publish_run(
    env: &Env,
    store: &D1Store,
    at_ms: u64,
    config: &PublishConfig,
    seed: u64,
) -> Result<(PublishReport, aggregates::Source), ApiError> {
    let kv = bindings::releases(env)?;
    let link = bindings::redis_link(env);
    if let LinkMode::Broken(reason) = link.mode() {
        console_error!("{reason}");
    }
    let ports = Ports {
        store,
        outbox: store,
        link: &link,
    };
    let (mut report, source) =
        sync::publication(&ports, &kv, at_ms, &config.release, &config.budget, seed).await?;
    // Format 2 after format 1 (it follows the niche membership format 1 froze for the period).
    // Its failure never fails the run: it is reported per niche under `format2.failed`.
    let mut rng = noise_rng_from_entropy()?;
    let format2 = format2::publish_format2(store, &kv, at_ms, config, &mut rng).await;
    report.format2 = Some(format2.unwrap_or_else(|e| format2::failed_run(at_ms, config, &e)));
    Ok((report, source))
}

/// `POST /api/admin/publish` (operator): the cron's publication, now or at `at_ms`.
pub async fn publish(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        bindings::releases(&ctx.env)?;
        let config = publish_config_of(&ctx.env)?;
        let seed = noise_seed()?;
        let at_ms = publish_time(&caller, &body, Date::now().as_millis())?;
        publish_run(&ctx.env, &store, at_ms, &config, seed)
            .await
            .map(|(report, _source)| report)
    }
    .await;
    private_json(result, 200)
}

/// The checks of `POST /api/admin/publish` before it runs: the caller must be the operator and
/// the body a [`publish::PublishRequest`] (an empty body means `{}`). Returns the time to publish
/// at: the body's `at_ms`, or `now_ms`.
pub fn publish_time(caller: &Caller, body: &[u8], now_ms: u64) -> Result<u64, ApiError> {
    auth::require_operator(caller)?;
    let request: publish::PublishRequest = parse_or_default(body)?;
    match request.at_ms {
        Some(at) if at > publish::MAX_AT_MS => Err(ApiError::Invalid {
            code: "invalid_value",
            field: Some("at_ms".to_string()),
            message: format!(
                "at_ms must be <= {} (9999-12-31), got {at}",
                publish::MAX_AT_MS
            ),
        }),
        at => Ok(at.unwrap_or(now_ms)),
    }
}

/// The cron handler: one publication at the event's scheduled time (`scheduled_ms`), with the
/// release config of the `RELEASE_CONFIG` var (default: the core's) and a fresh noise seed.
/// Failures are logged (a cron has no client to answer); the next run retries.
pub async fn scheduled(env: &Env, scheduled_ms: u64) {
    let run = async {
        let store = bindings::d1(env).map_err(|_| "D1 binding missing".to_string())?;
        bindings::releases(env).map_err(|_| "KV binding missing".to_string())?;
        let seed = noise_seed().map_err(|e| e.to_string())?;
        let raw = bindings::var(env, RELEASE_CONFIG_VAR);
        let config = publish_config(raw.as_deref()).map_err(|e| e.to_string())?;
        publish_run(env, &store, scheduled_ms, &config, seed)
            .await
            .map_err(|e| match e {
                ApiError::Storage(cause) => cause,
                ApiError::StorageWrite { what, cause } => format!("writing {what}: {cause}"),
                other => other.to_string(),
            })
    };
    match run.await {
        Ok((report, source)) => worker::console_log!(
            "publication: {} aggregates: {}",
            serde_json::to_string(&report).unwrap_or_default(),
            serde_json::to_string(&source).unwrap_or_default()
        ),
        Err(e) => console_error!("publication failed: {e}"),
    }
}

/// `POST /api/admin/faults` body.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// `off`, `all` or `after:N` (fail every D1 write after N more write batches); absent: only
    /// report the current fault.
    #[serde(default)]
    pub d1_writes: Option<String>,
}

/// `POST /api/admin/faults` answer: the fault now in force in this isolate.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FaultState {
    /// `off`, `all` or `after:N` (N = write batches still allowed).
    pub d1_writes: String,
    /// D1 writes refused since the fault was set.
    pub refused_writes: u64,
}

/// The route's logic after authentication: check the switch, apply the request, report the
/// state. `request` parses the body; it runs only once the caller and the switch passed.
pub fn apply_faults(
    caller: &Caller,
    allowed: bool,
    request: impl FnOnce() -> Result<FaultRequest, ApiError>,
) -> Result<FaultState, ApiError> {
    auth::require_operator(caller)?;
    if !allowed {
        return Err(ApiError::Forbidden {
            message: format!(
                "fault injection is disabled: it needs the dev-only var {}=on and \
                 {} other than production",
                faults::SWITCH_VAR,
                faults::ENVIRONMENT_VAR
            ),
        });
    }
    let req = request()?;
    if let Some(mode) = req.d1_writes.as_deref() {
        faults::set(WriteFault::parse(mode)?);
    }
    Ok(FaultState {
        d1_writes: faults::current().label(),
        refused_writes: faults::refused(),
    })
}

/// `POST /api/admin/faults` (operator, dev only): set or report this isolate's D1 write fault
/// ([`crate::adapters::faults`]); 403 unless the `FAULT_INJECTION` var is `on` and `ENVIRONMENT`
/// is not `production`.
pub async fn faults(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (_store, caller) = connect(&req, &ctx).await?;
        let body = read_body(&mut req).await?;
        let allowed = faults::injection_allowed(
            bindings::var(&ctx.env, faults::SWITCH_VAR).as_deref(),
            bindings::var(&ctx.env, faults::ENVIRONMENT_VAR).as_deref(),
        );
        let state = apply_faults(&caller, allowed, || parse_or_default(&body))?;
        console_error!("fault injection: D1 writes {}", state.d1_writes);
        Ok(state)
    }
    .await;
    private_json(result, 200)
}

/// `GET /api/admin/runtime` (operator): this isolate's wasm linear memory and rate-limiter size
/// ([`crate::http::runtime`]).
pub async fn runtime(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result = async {
        let (_store, caller) = connect(&req, &ctx).await?;
        auth::require_operator(&caller)?;
        Ok(runtime::snapshot())
    }
    .await;
    private_json(result, 200)
}

fn answer<T: Serialize>(result: Result<T, AggError>) -> worker::Result<Response> {
    let result = result.map_err(|e| match e {
        AggError::Redis(e) => ApiError::RedisUnavailable {
            message: e.to_string(),
        },
        AggError::Api(e) => e,
    });
    private_json(result, 200)
}

/// The D1 store, after checking the caller is the operator.
async fn operator(req: &Request, ctx: &RouteContext<()>) -> Result<D1Store, ApiError> {
    let (store, caller) = connect(req, ctx).await?;
    auth::require_operator(&caller)?;
    Ok(store)
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
pub async fn redis_health(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
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
        let link = bindings::redis_link(&ctx.env);
        match link.mode() {
            LinkMode::Off => return Ok(h),
            LinkMode::Broken(reason) => {
                h.configured = true;
                h.error = Some(reason);
                return Ok(h);
            }
            LinkMode::On => h.configured = true,
        }
        let probe: Result<bool, RedisError> = async {
            let mut redis = link.open().await?;
            redis.ping().await?;
            let ready = redis.read().await?.epoch.is_some();
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

/// Run `run` with the operator's D1 store, an open connection to the configured Redis (a
/// 503-worthy error when none is configured or it cannot be reached) and the release config of
/// the `RELEASE_CONFIG` var, the one publication clips and noises with.
async fn with_redis<T>(
    req: &Request,
    ctx: &RouteContext<()>,
    run: impl AsyncFnOnce(&D1Store, &mut RedisAggregates, &ReleaseConfig) -> Result<T, AggError>,
) -> Result<T, AggError> {
    let store = operator(req, ctx).await?;
    let config = release_config_of(&ctx.env)?;
    let link: RedisLink = bindings::redis_link(&ctx.env);
    let mut redis = link.open().await.inspect_err(|_| link.outcome(false))?;
    let out = run(&store, &mut redis, &config).await;
    redis.close().await;
    // The isolate's circuit breaker hears how Redis did (a working Redis closes it).
    link.outcome(!matches!(out, Err(AggError::Redis(_))));
    out
}

/// `POST /api/admin/redis/sync` (operator): drain the outbox.
pub async fn redis_sync(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result: Result<SyncReport, AggError> =
        with_redis(&req, &ctx, async |store, redis, config| {
            aggregates::drain(store, store, redis, config, 10_000).await
        })
        .await;
    answer(result)
}

/// `POST /api/admin/redis/rebuild` (operator): rebuild Redis from D1.
pub async fn redis_rebuild(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result: Result<SyncReport, AggError> =
        with_redis(&req, &ctx, async |store, redis, config| {
            aggregates::rebuild(store, store, redis, config).await
        })
        .await;
    answer(result)
}

/// `GET /api/admin/redis/check` (operator): Redis vs D1.
pub async fn redis_check(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let result: Result<CheckReport, AggError> =
        with_redis(&req, &ctx, async |store, redis, config| {
            aggregates::check(store, store, redis, config).await
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
pub async fn aggregates(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let url = req.inner().url();
    let source = query_param(&url, "source").unwrap_or("d1").to_string();
    let started = Date::now().as_millis();
    let result: Result<Aggregates, AggError> = match source.as_str() {
        "d1" => {
            async {
                let store = operator(&req, &ctx).await?;
                let config = release_config_of(&ctx.env)?;
                Ok(aggregates::d1_aggregates(&store, &config).await?.0)
            }
            .await
        }
        "redis" => {
            with_redis(&req, &ctx, async |_store, redis, _config| {
                let state = redis.read().await?;
                match state.epoch {
                    Some(_) => Ok(state.aggregates),
                    None => Err(AggError::Redis(RedisError::Protocol(
                        "redis is not ready (POST /api/admin/redis/rebuild)".into(),
                    ))),
                }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::faults::{current, injection_allowed};
    use crate::ports::History;
    use crate::testing::fixtures::{account, DAY_MS, NOW};
    use crate::testing::{run, MemoryStore};
    use crosslearn::wisdom::{period_of_day, ReleaseConfig};

    fn apply(caller: &Caller, allowed: bool, body: &[u8]) -> Result<FaultState, ApiError> {
        apply_faults(caller, allowed, || parse_or_default(body))
    }

    #[test]
    fn only_the_operator_with_the_switch_on_outside_production() {
        assert!(injection_allowed(Some("on"), None));
        assert!(injection_allowed(Some("on"), Some("dev")));
        assert!(!injection_allowed(Some("on"), Some("production")));
        assert!(!injection_allowed(None, None));
        assert!(!injection_allowed(Some("1"), None));

        let op = Caller::Operator;
        let acc = Caller::Account("a1".into());
        assert_eq!(apply(&acc, true, b"").unwrap_err().status(), 403);
        let off = apply(&op, false, br#"{"d1_writes":"all"}"#).unwrap_err();
        assert_eq!((off.status(), off.code()), (403, "forbidden"));
        assert_eq!(current(), WriteFault::Off, "a refused request sets nothing");
        let on = apply(&op, true, br#"{"d1_writes":"after:1"}"#).unwrap();
        assert_eq!(on.d1_writes, "after:1");
        assert_eq!(apply(&op, true, b"").unwrap().d1_writes, "after:1");
        assert_eq!(
            apply(&op, true, br#"{"d1_writes":"sometimes"}"#)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(apply(&op, true, br#"{"x":1}"#).unwrap_err().status(), 422);
        apply(&op, true, br#"{"d1_writes":"off"}"#).unwrap();
        assert_eq!(current(), WriteFault::Off);
    }

    #[test]
    fn release_config_from_the_var() {
        assert_eq!(release_config(None).unwrap(), ReleaseConfig::default());
        assert_eq!(release_config(Some(" ")).unwrap(), ReleaseConfig::default());
        let c =
            release_config(Some(r#"{"k": 3, "epsilon": 2.0, "budget_per_window": 8}"#)).unwrap();
        assert_eq!((c.k, c.epsilon, c.cadence_days), (3, 2.0, 7));
        for (raw, field) in [
            (r#"{"k": 0}"#, "RELEASE_CONFIG.k"),
            (r#"{"kk": 3}"#, "RELEASE_CONFIG.kk"),
            (r#"{"k": "3"}"#, "RELEASE_CONFIG.k"),
            (r#"{"epsilon": 5}"#, "RELEASE_CONFIG.budget_per_window"),
            ("{", "RELEASE_CONFIG"),
        ] {
            let e = release_config(Some(raw)).unwrap_err();
            assert_eq!(e.field(), Some(field), "{raw}");
            assert!(e.status() == 422 || e.status() == 400, "{raw}");
        }
    }

    #[test]
    fn the_operator_route_publishes_at_the_given_time() {
        let store = MemoryStore::new();
        for i in 0..3 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let config = ReleaseConfig::default();
        // The route's steps: its checks, then the service.
        let publish_route =
            |caller: &Caller, body: &[u8], now_ms: u64, config: &ReleaseConfig, seed| {
                publish_time(caller, body, now_ms).and_then(|at| {
                    run(publish::publish(
                        &store,
                        &store,
                        at,
                        config,
                        &crosslearn::privacy::zcdp::BudgetPolicy::default(),
                        seed,
                    ))
                })
            };
        let e = publish_route(&Caller::Account("f0".into()), b"", NOW, &config, 1).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(run(store.history(0, u32::MAX)).unwrap().is_empty());
        let later = format!(r#"{{"at_ms": {}}}"#, NOW + 7 * DAY_MS);
        let r = publish_route(&Caller::Operator, later.as_bytes(), NOW, &config, 1).unwrap();
        assert_eq!(r.period, period_of_day(20_454, 7) + 1);
        let r = publish_route(&Caller::Operator, b" ", NOW, &config, 1).unwrap();
        assert_eq!(r.period, period_of_day(20_454, 7));
        for bad in [&br#"{"at_ms": -1}"#[..], br#"{"at": 1}"#, b"{"] {
            let e = publish_route(&Caller::Operator, bad, NOW, &config, 1).unwrap_err();
            assert!(e.status() == 400 || e.status() == 422);
        }
        // The document's maximum is enforced: one past it is a 422 naming `at_ms`, and a value
        // beyond u64 (what a schema-driven fuzzer sends) is refused the same way.
        let last = format!(r#"{{"at_ms": {}}}"#, publish::MAX_AT_MS);
        assert!(publish_time(&Caller::Operator, last.as_bytes(), NOW).is_ok());
        for bad in [
            format!(r#"{{"at_ms": {}}}"#, publish::MAX_AT_MS + 1),
            r#"{"at_ms": 3880194170421258737418240}"#.to_string(),
        ] {
            let e = publish_time(&Caller::Operator, bad.as_bytes(), NOW).unwrap_err();
            assert_eq!((e.status(), e.field()), (422, Some("at_ms")), "{bad}");
        }
    }
}
