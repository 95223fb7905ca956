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
//!
//! Errors are thrown as real JS `Error` objects with `code` and `field` (see [`convert`]).

pub mod convert;
pub mod features;
pub mod normalize;
pub mod options;
pub mod patterns;
pub mod synth;

pub use features::{
    batch_layout, feature_names, unified_features, unified_features_batch, BatchLayout,
    UnifiedFeaturesResult,
};
pub use normalize::{best_platform, meta_equivalent, normalize, BestPlatform};
pub use options::{BestPlatformOptions, Options, DEFAULT_MIN_CONFIDENCE};
pub use patterns::cross_platform_patterns;
pub use synth::synthetic_columns;
