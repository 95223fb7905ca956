//! The options objects the JS functions take (camelCase keys; every key optional).
//!
//! Options are read strictly: an unknown key (`{ mdoe: "seed" }`) is an error naming it, never
//! silently ignored.

use super::convert::from_js_opt;
use crate::benchmarks::Benchmarks;
use crate::error::Error;
use crate::normalize::{Mode, Normalizer};
use serde::Deserialize;
use tsify::{Ts, Tsify};

/// `min_confidence` of the original's `get_best_platform` when the caller gives none.
pub const DEFAULT_MIN_CONFIDENCE: f64 = 0.6;

/// Options of every function: which behaviour and which benchmark table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// `"corrected"` (the default) fixes the original's defects; `"seed"` reproduces the original
    /// bit for bit.
    #[serde(default)]
    #[tsify(optional)]
    pub mode: Option<Mode>,
    /// A deployment's own benchmark table (default: the original's table).
    #[serde(default)]
    #[tsify(optional)]
    pub benchmarks: Option<Benchmarks>,
}

/// Options of `bestPlatform`: those of `Options` plus the confidence threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Tsify)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BestPlatformOptions {
    /// As in `Options`.
    #[serde(default)]
    #[tsify(optional)]
    pub mode: Option<Mode>,
    /// As in `Options`.
    #[serde(default)]
    #[tsify(optional)]
    pub benchmarks: Option<Benchmarks>,
    /// Only platforms with `confidence >= minConfidence` compete (all of them if none does).
    /// Default 0.6.
    #[serde(default)]
    #[tsify(optional)]
    pub min_confidence: Option<f64>,
}

impl Options {
    /// Read the optional `options` argument.
    pub(crate) fn read(js: Option<Ts<Options>>) -> Result<Options, Error> {
        Ok(from_js_opt(js.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default())
    }

    /// The normalizer these options describe (benchmarks validated).
    pub(crate) fn normalizer(&self) -> Result<Normalizer, Error> {
        normalizer(self.mode, self.benchmarks)
    }

    #[cfg(feature = "wasm")]
    /// A feature builder over [`Options::normalizer`].
    pub(crate) fn builder(&self) -> Result<crate::features::FeatureBuilder, Error> {
        self.normalizer().map(crate::features::FeatureBuilder::new)
    }
}

impl BestPlatformOptions {
    /// Read the optional `options` argument.
    pub(crate) fn read(js: Option<Ts<BestPlatformOptions>>) -> Result<BestPlatformOptions, Error> {
        Ok(from_js_opt(js.map(|t| t.js_value()).as_ref(), "options")?.unwrap_or_default())
    }

    /// The normalizer these options describe (benchmarks validated).
    pub(crate) fn normalizer(&self) -> Result<Normalizer, Error> {
        normalizer(self.mode, self.benchmarks)
    }

    /// The threshold, defaulted.
    pub(crate) fn min_confidence(&self) -> f64 {
        self.min_confidence.unwrap_or(DEFAULT_MIN_CONFIDENCE)
    }
}

fn normalizer(mode: Option<Mode>, benchmarks: Option<Benchmarks>) -> Result<Normalizer, Error> {
    let mode = mode.unwrap_or_default();
    match benchmarks {
        None => Ok(Normalizer::new(mode)),
        Some(b) => Normalizer::with_benchmarks(b, mode).map_err(|e| e.within("options")),
    }
}
