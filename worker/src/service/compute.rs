//! The API's request and response types and the pure function behind each endpoint.
//!
//! Every endpoint is `typed request -> Result<response, ApiError>`: call the core, return a
//! serializable value. The route parses the body once ([`crate::http::json::parse`]); nothing here
//! touches the Workers runtime, so all of it is tested natively.
//!
//! Field names are the core's own (snake_case), so a response can be compared field by field
//! with the golden fixtures.

use crate::error::ApiError;
use crate::ports::Releases;
use crosslearn::features::{
    CreativeDna, CrossPlatformInsight, FeatureBuilder, UnifiedFeatures, FEATURE_NAMES, N_FEATURES,
};
use crosslearn::metrics::PlatformMetrics;
use crosslearn::model::ctr::{CtrScore, ModelKind};
use crosslearn::model::grounded::GroundedModel;
use crosslearn::model::{encode_creatives, CreativeAttributes, NoPriors};
use crosslearn::niche::Niche;
use crosslearn::normalize::{Mode, NormalizedMetrics, Normalizer};
use crosslearn::wisdom::suffstat::PosteriorTable;
use crosslearn::wisdom::NicheWisdom;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::marker::PhantomData;

/// `GET /health` response (always 200: the Worker is alive; `status` says whether all of it
/// works).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `"ok"`, or `"degraded"` when a model file read from KV is unavailable (the routes that
    /// need it answer 503 `model_unavailable`; the others work).
    pub status: &'static str,
    /// The Worker's crate version.
    pub version: &'static str,
    /// The model files the Worker reads from KV (binding `MODELS`) and their state.
    pub models: Vec<crate::service::models::ModelStatus>,
}

/// The health answer, given the KV models' states.
pub fn health(models: Vec<crate::service::models::ModelStatus>) -> Health {
    let ok = models.iter().all(|m| m.reason.is_none());
    Health {
        status: if ok { "ok" } else { "degraded" },
        version: env!("CARGO_PKG_VERSION"),
        models,
    }
}

/// A JSON value that may be one object or a list of them.
///
/// Deserialized by looking at the JSON itself (object or array), not by trying both shapes in
/// turn, so errors inside either form keep their exact path.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    /// A single object.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrManyVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object or a list of objects")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany::Many)
            }
        }

        deserializer.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for OneOrMany<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [generator.subschema_for::<T>(), generator.subschema_for::<Vec<T>>()]
        })
    }
}

/// `POST /api/normalize` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NormalizeRequest {
    /// One platform's metrics, or a list of them (answered with a list, in order).
    pub metrics: OneOrMany<PlatformMetrics>,
    /// `"seed"` or `"corrected"`; absent or `null` means the core's default (`corrected`).
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// `POST /api/normalize` response: one result, or a list in request order.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum NormalizeResponse {
    /// For a single metrics object.
    One(NormalizedMetrics),
    /// For a list.
    Many(Vec<NormalizedMetrics>),
}

/// Normalize one metrics object or a batch. Errors name `metrics` or `metrics[i]`.
pub fn normalize(req: NormalizeRequest) -> Result<NormalizeResponse, ApiError> {
    let normalizer = Normalizer::new(req.mode.unwrap_or_default());
    match req.metrics {
        OneOrMany::One(m) => normalizer
            .normalize(&m)
            .map(NormalizeResponse::One)
            .map_err(|e| e.within("metrics").into()),
        OneOrMany::Many(list) => list
            .iter()
            .enumerate()
            .map(|(i, m)| {
                normalizer
                    .normalize(m)
                    .map_err(|e| e.within(&format!("metrics[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(NormalizeResponse::Many)
            .map_err(ApiError::from),
    }
}

/// A platform a release has cells for (what `POST /api/explore` draws briefs for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExplorePlatform {
    /// Meta (Facebook, Instagram).
    Meta,
    /// TikTok.
    Tiktok,
    /// Google Ads.
    GoogleAds,
}

/// A format an advertiser can make (the record vocabulary without `other` and `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExploreFormat {
    /// A single image.
    Image,
    /// A video.
    Video,
    /// Several swipeable cards.
    Carousel,
    /// A collection / instant-experience unit.
    Collection,
    /// Full-screen vertical story placement creative.
    Story,
    /// Text only (search ads).
    Text,
}

impl ExplorePlatform {
    fn core(self) -> crosslearn::platform::Platform {
        use crosslearn::platform::Platform;
        match self {
            ExplorePlatform::Meta => Platform::Meta,
            ExplorePlatform::Tiktok => Platform::Tiktok,
            ExplorePlatform::GoogleAds => Platform::GoogleAds,
        }
    }
}

impl ExploreFormat {
    fn core(self) -> crosslearn::record::AdFormat {
        use crosslearn::record::AdFormat;
        match self {
            ExploreFormat::Image => AdFormat::Image,
            ExploreFormat::Video => AdFormat::Video,
            ExploreFormat::Carousel => AdFormat::Carousel,
            ExploreFormat::Collection => AdFormat::Collection,
            ExploreFormat::Story => AdFormat::Story,
            ExploreFormat::Text => AdFormat::Text,
        }
    }
}

/// `POST /api/explore` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploreRequest {
    /// The platform the briefs are for.
    pub platform: ExplorePlatform,
    /// How many briefs, 1..=100 (default 5).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub count: Option<u32>,
    /// The formats the advertiser can make on the platform (default image and video; one format
    /// means the format is not explored).
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub formats: Option<Vec<ExploreFormat>>,
    /// Probability of each visual tag, 0..=1 (default 0.3).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub tag_probability: Option<f64>,
}

/// `POST /api/explore` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExploreResponse {
    /// The briefs, each drawn independently.
    pub briefs: Vec<crosslearn::wisdom::explore::RandomisedBrief>,
    /// The `assignment` to import their records with: `randomised`.
    pub assignment: crosslearn::record::Assignment,
}

/// The most briefs one `POST /api/explore` draws.
pub const MAX_EXPLORE_BRIEFS: u32 = 100;

/// Randomised creative briefs for the exploration cohort (the core's `randomised_brief`, drawn
/// from `rng`: ChaCha20 from the OS in the Worker, a seeded one in tests). Errors name `count`,
/// `platform`, `formats` or `tag_probability`.
pub fn explore<R: rand_core::Rng + ?Sized>(
    req: ExploreRequest,
    rng: &mut R,
) -> Result<ExploreResponse, ApiError> {
    use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions};
    let count = req.count.unwrap_or(5);
    if !(1..=MAX_EXPLORE_BRIEFS).contains(&count) {
        return Err(crosslearn::Error::field(
            crosslearn::ErrorCode::InvalidValue,
            "count",
            format!("must be 1..={MAX_EXPLORE_BRIEFS}, got {count}"),
        )
        .into());
    }
    let defaults = ExploreOptions::default();
    let opts = ExploreOptions {
        formats: req.formats.map_or(defaults.formats, |f| {
            f.into_iter().map(ExploreFormat::core).collect()
        }),
        tag_probability: req.tag_probability.unwrap_or(defaults.tag_probability),
    };
    let platform = req.platform.core();
    let briefs = (0..count)
        .map(|_| randomised_brief(platform, &opts, rng))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ExploreResponse {
        briefs,
        assignment: crosslearn::record::Assignment::Randomised,
    })
}

/// `POST /api/features` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeaturesRequest {
    /// The campaign's per-platform metrics, each platform at most once, in a meaningful order.
    pub platform_data: Vec<PlatformMetrics>,
    /// The creative's DNA scores, if known.
    #[serde(default)]
    pub creative_dna: Option<CreativeDna>,
    /// `"seed"` or `"corrected"`; absent or `null` means `corrected`.
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// `POST /api/features` response.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FeaturesResponse {
    /// The campaign aggregated across its platforms.
    pub insight: CrossPlatformInsight,
    /// The unified features at f64 precision.
    pub unified_features: UnifiedFeatures,
    /// The 19-feature `f32` vector the model reads, each value widened exactly to f64 for JSON:
    /// printing the f64 keeps every bit (`Math.fround(x) === x` in JS), where printing the f32's
    /// shortest decimal would make JS round twice.
    pub features: [f64; N_FEATURES],
    /// The names of `features`, in order.
    pub feature_names: [&'static str; N_FEATURES],
}

/// Aggregate a campaign and build its feature vector.
pub fn features(req: FeaturesRequest) -> Result<FeaturesResponse, ApiError> {
    let builder = FeatureBuilder::new(Normalizer::new(req.mode.unwrap_or_default()));
    let (insight, unified_features) =
        builder.insight_and_features(&req.platform_data, req.creative_dna.as_ref())?;
    Ok(FeaturesResponse {
        insight,
        features: unified_features.to_array().map(f64::from),
        unified_features,
        feature_names: FEATURE_NAMES,
    })
}

/// The embedded CTR model files (one copy each, in [`crate::service::models`], which also serves them).
pub use crate::service::models::{INFLIGHT_MODEL, PRELAUNCH_MODEL};
/// Most rows or creatives one `/api/ctr/score` request may score.
pub const MAX_SCORE_ROWS: usize = 10_000;

/// Which embedded CTR model answers `/api/ctr/score`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreModel {
    /// The grounded model (`ctr-grounded-v1.json`, fitted to real exports), on the latest
    /// published releases of the creatives' niches: the model the editor and the CLI use.
    Grounded,
    /// The v1 pre-launch model (`ctr-prelaunch-v1.bin`, trained on SIMULATED data only).
    PreLaunch,
    /// The v1 in-flight model (`ctr-inflight-v1.bin`, SIMULATED), on encoded rows.
    InFlight,
}

/// `POST /api/ctr/score` body: which embedded model, and either creatives (the grounded and
/// the pre-launch model; the latter encodes them with the core's `encode_creatives`) or
/// already-encoded rows in the in-flight or pre-launch model's layout.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// `"grounded"` (the model the editor and the CLI use), `"pre_launch"` or `"in_flight"`.
    pub model: ScoreModel,
    /// Creatives to score (the grounded and the pre-launch model).
    #[serde(default)]
    pub creatives: Option<Vec<CreativeAttributes>>,
    /// Encoded rows, each `n_features` long, in the model's layout (v1 models only).
    #[serde(default)]
    pub rows: Option<Vec<Vec<f32>>>,
}

/// Which model answered.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ModelInfo {
    /// Which model.
    pub kind: ScoreModel,
    /// Its feature layout id (v1 models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<u32>,
    /// Columns per row (v1 models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_features: Option<usize>,
    /// FNV-1a 64 of the model file (16 hex digits), as in `docs/ctr.md`.
    pub fnv1a64: String,
    /// What it was trained on (says SIMULATED for the v1 models, REAL for the grounded one).
    pub trained_on: String,
    /// The releases whose base rates or posteriors entered the grounded model's predictions
    /// (`"fitness/2948"` for a format-1 release's CTR distribution, the format-2 release id for
    /// its posteriors), sorted; empty when none was published for these niches. Absent for the
    /// v1 models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases: Option<Vec<String>>,
}

/// `POST /api/ctr/score` response: one CTR with its 95 % interval per input, in order.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ScoreResponse {
    /// The model used.
    pub model: ModelInfo,
    /// Scores, in input order. For the grounded model `ctr` is the predictive median (the
    /// typical creative like this one for a new account) and `low`..`high` its 95 % predictive
    /// interval, which includes the between-account and between-creative spread.
    pub scores: Vec<CtrScore>,
}

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Invalid {
        code: "invalid_value",
        field: Some(field.to_string()),
        message,
    }
}

/// The creatives of a grounded request, checked (`creatives` given, `rows` not, at most
/// [`MAX_SCORE_ROWS`]). The route reads the releases of their niches, then calls
/// [`score_grounded`].
pub fn grounded_creatives(req: ScoreRequest) -> Result<Vec<CreativeAttributes>, ApiError> {
    match (req.creatives, req.rows) {
        (Some(c), None) if c.len() <= MAX_SCORE_ROWS => Ok(c),
        (Some(c), None) => Err(invalid(
            "creatives",
            format!("at most {MAX_SCORE_ROWS} per request, got {}", c.len()),
        )),
        (_, Some(_)) => Err(invalid(
            "rows",
            "the grounded model scores `creatives`, not encoded rows".to_string(),
        )),
        (None, None) => Err(invalid(
            "creatives",
            "give the creatives to score".to_string(),
        )),
    }
}

/// Score creatives with the grounded model on the given published releases (format-1
/// releases for the base rates, format-2 posterior tables for the effect priors): only the
/// creatives' niches are applied. Pure; errors name `creatives[i]` or the release table.
pub fn score_grounded(
    creatives: &[CreativeAttributes],
    releases: &[NicheWisdom],
    tables: &[PosteriorTable],
) -> Result<ScoreResponse, ApiError> {
    let model = grounded_on(creatives, None, releases, tables)?;
    grounded_scores(&model, creatives)
}

/// The embedded grounded model on the releases of the creatives' niches (and `extra`'s).
pub fn grounded_on(
    creatives: &[CreativeAttributes],
    extra: Option<Niche>,
    releases: &[NicheWisdom],
    tables: &[PosteriorTable],
) -> Result<GroundedModel, ApiError> {
    let embedded = crate::service::models::grounded_model()?;
    let mut niches: Vec<Niche> = creatives
        .iter()
        .filter_map(|c| c.niche)
        .chain(extra)
        .collect();
    niches.sort();
    niches.dedup();
    embedded
        .model
        .on_releases(releases, tables, Some(&niches))
        .map_err(|e| ApiError::ReleaseUnreadable {
            niche: None,
            cause: e.to_string(),
        })
}

/// `model`'s predictions of `creatives` with the answer's model description.
pub fn grounded_scores(
    model: &GroundedModel,
    creatives: &[CreativeAttributes],
) -> Result<ScoreResponse, ApiError> {
    let embedded = crate::service::models::grounded_model()?;
    let scores = model
        .predict_batch(creatives)?
        .into_iter()
        .map(|p| CtrScore {
            ctr: p.ctr,
            low: p.low,
            high: p.high,
        })
        .collect();
    Ok(ScoreResponse {
        model: ModelInfo {
            kind: ScoreModel::Grounded,
            layout: None,
            n_features: None,
            fnv1a64: embedded.fnv1a64.clone(),
            trained_on: format!(
                "REAL: {} creatives of the public exports ({}); docs/ctr.md",
                model.provenance.real_creatives(),
                model
                    .provenance
                    .real_sources()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            releases: Some(model.release_ids()),
        },
        scores,
    })
}

/// The published releases in `kv`, decoded (one bulk read per format; empty before the first
/// publication). An undecodable release is a 503, never skipped.
pub async fn published_releases<R: Releases>(
    kv: &R,
) -> Result<(Vec<NicheWisdom>, Vec<PosteriorTable>), ApiError> {
    let all = crate::service::wisdom::all_wisdom(kv).await?;
    let unreadable = |e: serde_json::Error| ApiError::ReleaseUnreadable {
        niche: None,
        cause: e.to_string(),
    };
    let releases = all
        .niches
        .into_iter()
        .map(serde_json::from_value::<NicheWisdom>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    let tables = all
        .posteriors
        .into_iter()
        .map(serde_json::from_value::<PosteriorTable>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    Ok((releases, tables))
}

/// `POST /api/ctr/score`: the grounded model on the published releases (read from `kv` only
/// when a creative has a niche: one bulk read per format), or an embedded v1 model.
pub async fn score_request<R: Releases>(
    kv: &R,
    req: ScoreRequest,
) -> Result<ScoreResponse, ApiError> {
    if req.model != ScoreModel::Grounded {
        return score(req);
    }
    let creatives = grounded_creatives(req)?;
    if creatives.iter().all(|c| c.niche.is_none()) {
        return score_grounded(&creatives, &[], &[]);
    }
    let (releases, tables) = published_releases(kv).await?;
    score_grounded(&creatives, &releases, &tables)
}

/// Score creatives or rows with an embedded v1 model (`pre_launch`, `in_flight`; the grounded
/// model needs the releases: [`grounded_creatives`], [`score_grounded`]).
pub fn score(req: ScoreRequest) -> Result<ScoreResponse, ApiError> {
    let kind = match req.model {
        ScoreModel::PreLaunch => ModelKind::PreLaunch,
        ScoreModel::InFlight => ModelKind::InFlight,
        ScoreModel::Grounded => {
            return Err(invalid(
                "model",
                "the grounded model is scored with the releases (score_grounded)".to_string(),
            ))
        }
    };
    let embedded = crate::service::models::ctr_model(kind)?;
    let model = &embedded.model;
    let d = model.n_features();
    let rows: Vec<f32> = match (req.creatives, req.rows) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(invalid(
                "creatives",
                "give exactly one of `creatives` and `rows`".to_string(),
            ))
        }
        (Some(c), None) => {
            if kind != ModelKind::PreLaunch {
                return Err(invalid(
                    "creatives",
                    "only the grounded and the pre_launch model score creatives; send the in-flight model encoded `rows`"
                        .to_string(),
                ));
            }
            if c.len() > MAX_SCORE_ROWS {
                return Err(invalid(
                    "creatives",
                    format!("at most {MAX_SCORE_ROWS} per request, got {}", c.len()),
                ));
            }
            encode_creatives(&c, &NoPriors)?
        }
        (None, Some(r)) => {
            if r.len() > MAX_SCORE_ROWS {
                return Err(invalid(
                    "rows",
                    format!("at most {MAX_SCORE_ROWS} per request, got {}", r.len()),
                ));
            }
            if let Some(i) = r.iter().position(|row| row.len() != d) {
                return Err(invalid(
                    &format!("rows[{i}]"),
                    format!("the model takes {d} features, got {}", r[i].len()),
                ));
            }
            r.concat()
        }
    };
    let scores = rows
        .chunks_exact(d.max(1))
        .enumerate()
        .map(|(i, row)| {
            model
                .score(row)
                .map_err(|e| e.within(&format!("rows[{i}]")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let meta = model.metadata();
    Ok(ScoreResponse {
        model: ModelInfo {
            kind: req.model,
            layout: Some(model.layout()),
            n_features: Some(d),
            fnv1a64: embedded.fnv1a64.clone(),
            trained_on: meta.trained_on.clone(),
            releases: None,
        },
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::requests::{features_body, normalize_body, score_body};
    use crosslearn::hash::fnv1a64;
    use crosslearn::model::ctr::CtrModel;
    use serde_json::{json, Value};

    fn meta() -> Value {
        json!({"platform": "meta", "ctr": 0.025, "cpc": 1.5, "cpm": 12.0, "impressions": 10000,
               "clicks": 250, "spend": 375.0, "conversions": 25, "revenue": 2000.0,
               "engagement_rate": null, "quality_score": null, "relevance_score": 8.5})
    }

    fn code_field(e: &ApiError) -> (&'static str, Option<&str>) {
        (e.code(), e.field())
    }

    fn call_normalize(body: Value) -> Result<Value, ApiError> {
        let bytes = serde_json::to_vec(&body).unwrap();
        normalize_body(&bytes).map(|r| serde_json::to_value(r).unwrap())
    }

    fn call_features(body: Value) -> Result<Value, ApiError> {
        let bytes = serde_json::to_vec(&body).unwrap();
        features_body(&bytes).map(|r| serde_json::to_value(r).unwrap())
    }

    #[test]
    fn normalize_one_worked_example_in_seed_mode() {
        let out = call_normalize(json!({"metrics": meta(), "mode": "seed"})).unwrap();
        assert_eq!(out["composite_score"], json!(0.594516806722689));
        assert_eq!(out["platform"], json!("meta"));
    }

    #[test]
    fn normalize_list_keeps_order_and_names_the_index() {
        let mut bad = meta();
        bad["cpc"] = json!(-1.0);
        let out = call_normalize(json!({"metrics": [meta(), meta()], "mode": "seed"})).unwrap();
        assert_eq!(out.as_array().map(Vec::len), Some(2));
        let e = call_normalize(json!({"metrics": [meta(), bad]})).unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "invalid_value"));
        assert_eq!(e.field(), Some("metrics[1].cpc"));
        let mut bad = meta();
        bad["ctr"] = json!(2.5);
        let e = call_normalize(json!({"metrics": bad})).unwrap_err();
        assert_eq!(e.field(), Some("metrics.ctr"));
        assert_eq!(call_normalize(json!({"metrics": []})).unwrap(), json!([]));
    }

    #[test]
    fn normalize_rejects_bad_mode_and_shapes() {
        let e = call_normalize(json!({"metrics": meta(), "mode": "fast"})).unwrap_err();
        assert_eq!(code_field(&e), ("unknown_value", Some("mode")));
        let e = call_normalize(json!({"metrics": 3})).unwrap_err();
        assert_eq!(code_field(&e), ("invalid_type", Some("metrics")));
        let mut extra = meta();
        extra["bogus"] = json!(1);
        let e = call_normalize(json!({"metrics": [meta(), extra]})).unwrap_err();
        assert_eq!(code_field(&e), ("unknown_field", Some("metrics[1].bogus")));
    }

    #[test]
    fn features_worked_example() {
        let m = |p: &str,
                 ctr: f64,
                 cpc: f64,
                 cpm: f64,
                 imp: u64,
                 clicks: u64,
                 spend: f64,
                 conv: u64,
                 rev: f64| {
            json!({"platform": p, "ctr": ctr, "cpc": cpc, "cpm": cpm, "impressions": imp,
                   "clicks": clicks, "spend": spend, "conversions": conv, "revenue": rev})
        };
        let data = json!([
            m("meta", 0.028, 1.3, 10.5, 12000, 336, 436.8, 28, 2240.0),
            m("tiktok", 0.042, 0.55, 7.5, 18000, 756, 415.8, 35, 2800.0),
            m(
                "google_ads",
                0.058,
                2.2,
                18.0,
                9000,
                522,
                1148.4,
                45,
                4050.0
            ),
        ]);
        let out = call_features(json!({"platform_data": data, "mode": "seed"})).unwrap();
        assert_eq!(
            out["insight"]["avg_composite_score"],
            json!(0.5207099784753583)
        );
        assert_eq!(out["insight"]["total_spend"], json!(2001.0));
        assert_eq!(out["features"][6], json!(0.9970150589942932));
        assert_eq!(out["features"].as_array().map(Vec::len), Some(19));
        assert_eq!(out["feature_names"][9], json!("log_impressions"));
    }

    #[test]
    fn features_errors() {
        let e = call_features(json!({"platform_data": []})).unwrap_err();
        assert_eq!((e.status(), e.code()), (422, "empty_input"));
        assert_eq!(e.field(), Some("platform_data"));
        let e = call_features(json!({"platform_data": [meta(), meta()]})).unwrap_err();
        assert_eq!(
            code_field(&e),
            ("duplicate", Some("platform_data[1].platform"))
        );
        let e =
            call_features(json!({"platform_data": [meta()], "creative_dna": {"hook_strength": 3}}))
                .unwrap_err();
        assert_eq!(e.field(), Some("creative_dna.hook_strength"));
        let e = call_features(json!({"platform_data": [meta()], "creative_dna": {"hook": 0.3}}))
            .unwrap_err();
        assert_eq!(code_field(&e), ("unknown_field", Some("creative_dna.hook")));
    }

    #[test]
    fn health_names_the_version_and_the_models() {
        use crate::service::models::{niche_status, NicheCache};
        use crate::testing::{run, MemoryModels};
        let ready = run(niche_status(&MemoryModels::seeded(), &NicheCache::new()));
        let h = serde_json::to_value(health(vec![ready])).unwrap();
        assert_eq!(h["status"], json!("ok"));
        assert_eq!(h["version"], json!(env!("CARGO_PKG_VERSION")));
        assert_eq!(h["models"][0]["name"], json!("niche-v2.bin"));
        assert_eq!(h["models"][0]["state"], json!("ready"));
        let missing = run(niche_status(&MemoryModels::new(), &NicheCache::new()));
        let h = serde_json::to_value(health(vec![missing])).unwrap();
        assert_eq!(h["status"], json!("degraded"));
        assert_eq!(h["models"][0]["state"], json!("unavailable"));
        assert!(h["models"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("model:niche-v2.bin"));
    }

    fn call_score(body: Value) -> Result<Value, ApiError> {
        call_score_on(&crate::testing::MemoryStore::new(), body)
    }

    fn call_score_on(kv: &crate::testing::MemoryStore, body: Value) -> Result<Value, ApiError> {
        crate::testing::run(score_body(kv, body.to_string().as_bytes()))
            .map(|r| serde_json::to_value(r).unwrap())
    }

    #[test]
    fn score_grounded_is_the_core_model_on_the_published_releases() {
        use crosslearn::model::grounded::GroundedModel;
        let creative = json!({"platform": "meta", "niche": "fitness", "hook_type": "question",
            "cta_style": "shop_now", "visual_tags": ["ugc"], "format": "video",
            "duration_s": 20.0, "posting_hour": 19});
        let no_niche = json!({"platform": "tiktok", "hook_type": "offer", "cta_style": "none",
            "visual_tags": [], "format": "image"});
        let population = GroundedModel::from_json(
            std::str::from_utf8(crate::service::models::GROUNDED_MODEL).unwrap(),
        )
        .unwrap();
        let attrs =
            |v: &Value| -> CreativeAttributes { serde_json::from_value(v.clone()).unwrap() };
        let check = |out: &Value, model: &GroundedModel| {
            for (i, c) in [&creative, &no_niche].into_iter().enumerate() {
                let want = model.predict(&attrs(c)).unwrap();
                assert_eq!(
                    out["scores"][i],
                    json!({"ctr": want.ctr, "low": want.low, "high": want.high})
                );
            }
        };
        // No release published: the model as fitted, and the answer says so.
        let body = json!({"model": "grounded", "creatives": [creative.clone(), no_niche.clone()]});
        let out = call_score(body.clone()).unwrap();
        check(&out, &population);
        assert_eq!(out["model"]["kind"], json!("grounded"));
        assert_eq!(out["model"]["releases"], json!([]));
        assert!(out["model"].get("layout").is_none());
        assert!(out["model"]["trained_on"]
            .as_str()
            .unwrap()
            .starts_with("REAL: "));
        assert_eq!(
            out["model"]["fnv1a64"],
            json!(format!(
                "{:016x}",
                fnv1a64(crate::service::models::GROUNDED_MODEL)
            ))
        );
        // Published releases (format 1 and 2, made by the cron's code): the fitness creative is
        // scored on them, exactly as the core applies them; the other one is not touched.
        let kv = crate::testing::MemoryStore::new();
        crate::testing::fixtures::published_fitness_network(&kv);
        let all = crate::testing::run(crate::service::wisdom::all_wisdom(&kv)).unwrap();
        let releases: Vec<NicheWisdom> = all
            .niches
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect();
        let tables: Vec<PosteriorTable> = all
            .posteriors
            .iter()
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .collect();
        let on = population.on_releases(&releases, &tables, None).unwrap();
        let ids = on.release_ids();
        assert!(!ids.is_empty(), "the test network publishes fitness");
        let out = call_score_on(&kv, body).unwrap();
        check(&out, &on);
        assert_eq!(out["model"]["releases"], json!(ids));
        assert_ne!(
            out["scores"][0],
            call_score(json!({"model": "grounded", "creatives": [creative.clone()]})).unwrap()
                ["scores"][0]
        );
        // A creative without a niche reads no release.
        let out =
            call_score_on(&kv, json!({"model": "grounded", "creatives": [no_niche]})).unwrap();
        assert_eq!(out["model"]["releases"], json!([]));
    }

    #[test]
    fn score_grounded_errors_name_the_field() {
        let err = |body: Value| {
            let e = call_score(body).unwrap_err();
            (e.code(), e.field().map(str::to_string))
        };
        assert_eq!(
            err(json!({"model": "grounded"})).1.as_deref(),
            Some("creatives")
        );
        assert_eq!(
            err(json!({"model": "grounded", "rows": [[0.5]]}))
                .1
                .as_deref(),
            Some("rows")
        );
        let ok = json!({"platform": "meta", "hook_type": "question", "cta_style": "shop_now",
            "visual_tags": [], "format": "video"});
        let mut late = ok.clone();
        late["posting_hour"] = json!(31);
        assert_eq!(
            err(json!({"model": "grounded", "creatives": [ok.clone(), late]}))
                .1
                .as_deref(),
            Some("creatives[1].posting_hour")
        );
        let mut nowhere = ok.clone();
        nowhere["platform"] = json!("unknown");
        assert_eq!(
            err(json!({"model": "grounded", "creatives": [nowhere]}))
                .1
                .as_deref(),
            Some("creatives[0].platform")
        );
        let many = vec![ok; MAX_SCORE_ROWS + 1];
        assert_eq!(
            err(json!({"model": "grounded", "creatives": many}))
                .1
                .as_deref(),
            Some("creatives")
        );
    }

    #[test]
    fn score_embedded_models_like_the_core() {
        let creative = json!({"platform": "tiktok", "niche": "fitness", "hook_type": "question",
            "cta_style": "shop_now", "visual_tags": ["ugc"], "format": "video",
            "duration_s": 20.0, "posting_hour": 19});
        let out =
            call_score(json!({"model": "pre_launch", "creatives": [creative.clone()]})).unwrap();
        let model = CtrModel::from_bytes(PRELAUNCH_MODEL).unwrap();
        let attrs: CreativeAttributes = serde_json::from_value(creative).unwrap();
        let want = model
            .score(&encode_creatives(&[attrs], &NoPriors).unwrap())
            .unwrap();
        assert_eq!(out["scores"][0]["ctr"], json!(want.ctr));
        assert_eq!(out["scores"][0]["low"], json!(want.low));
        assert_eq!(out["model"]["kind"], json!("pre_launch"));
        assert_eq!(
            out["model"]["fnv1a64"],
            json!(format!("{:016x}", fnv1a64(PRELAUNCH_MODEL)))
        );
        let rows = vec![vec![0.5f32; 32]; 2];
        let out = call_score(json!({"model": "in_flight", "rows": rows})).unwrap();
        assert_eq!(out["scores"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn score_errors_name_the_field() {
        let err = |body: Value| {
            let e = call_score(body).unwrap_err();
            (e.code(), e.field().map(str::to_string))
        };
        assert_eq!(
            err(json!({"model": "pre_launch"})).1.as_deref(),
            Some("creatives")
        );
        assert_eq!(
            err(json!({"model": "in_flight", "rows": [[0.5]]}))
                .1
                .as_deref(),
            Some("rows[0]")
        );
        assert_eq!(
            err(json!({"model": "in_flight", "creatives": []}))
                .1
                .as_deref(),
            Some("creatives")
        );
        assert_eq!(
            err(json!({"model": "pre_launch", "creatives": [{"platform": "meta", "hook_type": "question",
                "cta_style": "shop_now", "visual_tags": [], "format": "video", "posting_hour": 31}]}))
            .1
            .as_deref(),
            Some("creatives[0].posting_hour")
        );
        assert_eq!(
            err(json!({"model": "nope", "rows": []})).1.as_deref(),
            Some("model")
        );
    }

    /// `POST /api/explore`: the core's draws at a seed (so the CLI's and the npm package's at the
    /// same seed), `assignment` randomised, the defaults, and named errors for bad fields.
    #[test]
    fn explore_draws_the_cores_briefs_and_names_bad_fields() {
        use crosslearn::privacy::dgauss::noise_rng_from_seed;
        use crosslearn::wisdom::explore::{randomised_brief, ExploreOptions};
        let req = |v: Value| -> ExploreRequest {
            crate::http::json::parse(&serde_json::to_vec(&v).unwrap()).unwrap()
        };
        let out = explore(
            req(json!({"platform": "meta"})),
            &mut noise_rng_from_seed(9),
        )
        .unwrap();
        let mut rng = noise_rng_from_seed(9);
        let want: Vec<_> = (0..5)
            .map(|_| {
                randomised_brief(
                    crosslearn::platform::Platform::Meta,
                    &ExploreOptions::default(),
                    &mut rng,
                )
                .unwrap()
            })
            .collect();
        assert_eq!(out.briefs, want);
        assert_eq!(
            serde_json::to_value(&out).unwrap()["assignment"],
            json!("randomised")
        );
        for (body, field) in [
            (json!({"platform": "meta", "count": 0}), "count"),
            (json!({"platform": "meta", "count": 101}), "count"),
            (json!({"platform": "meta", "formats": []}), "formats"),
            (
                json!({"platform": "meta", "tag_probability": 1.5}),
                "tag_probability",
            ),
        ] {
            let e = explore(req(body.clone()), &mut noise_rng_from_seed(1)).unwrap_err();
            assert_eq!(code_field(&e).1, Some(field), "{body}: {e:?}");
        }
        let e = crate::http::json::parse::<ExploreRequest>(br#"{"platform": "meta", "cnt": 2}"#)
            .unwrap_err();
        assert_eq!(code_field(&e), ("unknown_field", Some("cnt")));
        // Values the schema does not offer are refused when parsed, naming the field.
        for (body, field) in [
            (&br#"{"platform": "unknown"}"#[..], "platform"),
            (
                br#"{"platform": "meta", "formats": ["other"]}"#,
                "formats[0]",
            ),
        ] {
            let e = crate::http::json::parse::<ExploreRequest>(body).unwrap_err();
            assert_eq!(code_field(&e).1, Some(field), "{e:?}");
        }
    }
}
