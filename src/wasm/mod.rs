//! The JS/TypeScript API of the npm package `crosslearn` (feature `wasm`; built into `pkg/` by
//! `scripts/build-pkg.sh`).
//!
//! A thin layer: each file exposes one part of the core under camelCase names, and
//! [`convert`] holds every conversion and the error mapping. Data objects keep the snake_case
//! wire format of the HTTP API and the fixtures (`platform_data`, `composite_score`), so one JSON
//! shape serves Rust, the Worker and JS; function names and option keys are camelCase. Every
//! type in the generated `.d.ts` comes from the Rust types (tsify), so it cannot drift.
//!
//! | JS | core |
//! |---|---|
//! | `normalize(metrics, options?)` | [`Normalizer::normalize`](crate::normalize::Normalizer::normalize) |
//! | `bestPlatform(list, options?)` | [`Normalizer::best_platform`](crate::normalize::Normalizer::best_platform) |
//! | `metaEquivalent(metrics, options?)` | [`Normalizer::to_meta_equivalent`](crate::normalize::Normalizer::to_meta_equivalent) |
//! | `unifiedFeatures(platformData, creativeDna?, options?)` | [`FeatureBuilder::aggregate`](crate::features::FeatureBuilder::aggregate) + [`unified`](crate::features::FeatureBuilder::unified) |
//! | `unifiedFeaturesBatch(columns, nCampaigns, options?)` | [`FeatureBuilder::from_columns`](crate::features::FeatureBuilder::from_columns) |
//! | `crossPlatformPatterns(campaigns, minRoas?, options?)` | [`FeatureBuilder::patterns`](crate::features::FeatureBuilder::patterns) |
//! | `featureNames()`, `batchLayout()` | [`FEATURE_NAMES`](crate::features::FEATURE_NAMES), [`COLUMNS_PER_PLATFORM`](crate::features::COLUMNS_PER_PLATFORM) |
//! | `syntheticColumns(nCampaigns, seed?)` | [`synth::campaign_columns`](crate::synth::campaign_columns) |
//! | `validateRecords(records, source?)`, `validateJsonRecords(json, source?)` | [`validate_json_values`](crate::record::validate_json_values), [`validate_json_records`](crate::record::validate_json_records) |
//! | `new CopyExtractor()`, `.extract(headline, body)` | [`CopyExtractor`](crate::copy::CopyExtractor) |
//! | `extractCopyAttributes(headline, body)`, `extractCopyBatch(items)` | [`extract_copy_attributes`](crate::copy::extract_copy_attributes), [`extract_copy_batch`](crate::copy::extract_copy_batch) |
//! | `CopyExtractor.withRules(rules)`, `.readPlatformCopy(copy)`, `copyAnatomy(platform)` | [`CopyExtractor::with_rules`](crate::copy::CopyExtractor::with_rules), [`PlatformCopy::read`](crate::copy::anatomy::PlatformCopy::read), [`anatomy`](crate::copy::anatomy::anatomy) |
//! | `exploreBriefs(platform, count, options?)` | [`randomised_brief`](crate::wisdom::explore::randomised_brief) |
//! | `importCsv(bytes, format?)` | [`import_csv`](crate::import::import_csv), [`import_csv_as`](crate::import::import_csv_as) |
//! | `generateNetwork(options)`, `networkDigest(network)`, `simulatorParamsHash()` | [`generate_network`](crate::sim::generate_network), [`network_digest`](crate::sim::network_digest), [`SIMULATOR_V1_HASH`](crate::sim::SIMULATOR_V1_HASH) |
//! | `NicheModel.load(bytes)`, `.detect(text)`, `.detectBatch(texts)`, `.probabilitiesBatch(texts)` | [`NicheModel`](crate::niche::NicheModel) |
//! | `accountNiche(model, declared, texts)`, `seedKeywordNiche(titles, descriptions)`, `nicheNames()` | [`account_niche`](crate::niche::account_niche), [`seed_keyword_niche`](crate::niche::seed_keyword_niche), [`Niche::ALL`](crate::niche::Niche::ALL) |
//! | `recommend(wisdom, insight?, options?)`, `dashboard(wisdom?, insight?, network, options?)` | [`advice::recommend`](crate::advice::recommend), [`advice::dashboard`](crate::advice::dashboard) |
//! | `accountInsights(records, options?)` | [`account_insights`](crate::insights::account_insights) |
//! | `wisdomContribution(records, consent?, options?)`, `releaseWisdom(contributions, id, options?)`, `defaultReleaseConfig()` | [`wisdom_contribution`](crate::wisdom::wisdom_contribution), [`release_wisdom`](crate::wisdom::release_wisdom) |
//! | `CtrModel.load(bytes, kind?)`, `.scoreCreative(creative, priors?)`, `.scoreBatch(x, nRows)`, `.scoreRow(x)`, `.toBytes()`, `CtrModel.train(columns, options)` | [`CtrModel`](crate::model::ctr::CtrModel) |
//! | `.scoreCampaigns(columns, nCampaigns, target, options?)` | [`score_campaign_columns`](crate::model::pipeline::score_campaign_columns) |
//! | `GroundedCtr.fromJson(text)`, `.predict(creative)`, `.predictBatch(creatives)`, `.predictCtrBatch(creatives)`, `.personalise(records)`, `.personalisation`, `.withReleasedRates(rates)`, `.releasedRates`, `.withEffectPosteriors(tables)`, `.effectRelease(niche)`, `.provenance`, `.toJson()` | [`GroundedModel`](crate::model::grounded::GroundedModel), [`personalise`](crate::model::grounded::personalise) |
//! | `encodeCreatives(creatives, priors?)`, `prelaunchFeatureNames()`, `inflightFeatureNames()`, `ctrLayouts()` | [`encode_creatives`](crate::model::encode::encode_creatives), [`prelaunch_feature_names`](crate::model::encode::prelaunch_feature_names), [`inflight_feature_names`](crate::model::encode::inflight_feature_names) |
//!
//! Errors are thrown as real JS `Error` objects with `code` and `field` (see [`convert`]).
//!
//! Feature `wasm-lite` (npm `crosslearn/lite`, the ad editor's download) compiles only the
//! editor's part of this table: `normalize` / `bestPlatform` / `metaEquivalent`, copy
//! extraction, niche detection, `GroundedCtr`, `CtrModel` load and score (not `train` / `scoreCampaigns`,
//! [`train`] under `wasm`), `encodeCreatives` and the layouts, `recommend`, `importCsv`, `exploreBriefs`. Feature
//! `wasm` adds the rest.

pub mod advice;
pub mod convert;
pub mod copy;
pub mod ctr;
pub mod explore;
#[cfg(feature = "wasm")]
pub mod features;
pub mod grounded;
pub mod import;
#[cfg(feature = "wasm")]
pub mod insights;
pub mod niche;
pub mod normalize;
pub mod options;
#[cfg(feature = "wasm")]
pub mod patterns;
#[cfg(feature = "wasm")]
pub mod records;
#[cfg(feature = "wasm")]
pub mod sim;
#[cfg(feature = "wasm")]
pub mod synth;
#[cfg(feature = "wasm")]
pub mod train;
#[cfg(feature = "wasm")]
pub mod wisdom;

pub use crate::model::encode::NichePrior;
#[cfg(feature = "wasm")]
pub use advice::dashboard;
pub use advice::recommend;
pub use copy::{copy_anatomy, extract_copy_attributes, extract_copy_batch, CopyExtractor};
pub use ctr::{
    ctr_layouts, encode_creatives_js, inflight_feature_names_js, prelaunch_feature_names_js,
    CtrLayouts, CtrModel, NichePriorList,
};
pub use explore::{explore_briefs, ExploreBriefsOptions};
#[cfg(feature = "wasm")]
pub use features::{
    batch_layout, feature_names, unified_features, unified_features_batch, BatchLayout,
    UnifiedFeaturesResult,
};
pub use grounded::{GroundedCtr, OwnResult, PersonalisationReport};
pub use import::import_csv;
#[cfg(feature = "wasm")]
pub use insights::{account_insights, AccountInsightsOptions};
pub use niche::{account_niche, niche_names, seed_keyword_niche, NicheModel};
pub use normalize::{best_platform, meta_equivalent, normalize, BestPlatform};
pub use options::{BestPlatformOptions, Options, DEFAULT_MIN_CONFIDENCE};
#[cfg(feature = "wasm")]
pub use patterns::cross_platform_patterns;
#[cfg(feature = "wasm")]
pub use records::{validate_json, validate_records};
#[cfg(feature = "wasm")]
pub use sim::{generate_network, network_digest, simulator_params_hash};
#[cfg(feature = "wasm")]
pub use synth::synthetic_columns;
#[cfg(feature = "wasm")]
pub use train::{CtrTrainOptions, TrainColumns};
#[cfg(feature = "wasm")]
pub use wisdom::{
    default_release_config, release_wisdom, wisdom_contribution, ReleaseWisdomOptions,
    WisdomContributionOptions,
};
