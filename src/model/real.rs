//! Creatives of the real exports, as the grounded model ([`super::grounded`]) consumes them.
//!
//! The Facebook and TikTok exports' ids are scrambled per row, so a **creative** is its copy: rows
//! with the same platform, headline and body are summed into one creative (impressions, clicks).
//! Rows without copy cannot be told apart and are left out (counted). KAG has no copy: each ad
//! (`record_id`) is one creative with every attribute unknown. Each file is one advertiser
//! account (`facebook-export`, `tiktok-export`, `kag-xyz`). Hook and CTA are read from the copy
//! by the importer (`crate::copy`), the niche by the niche model from headline + body when one is
//! given (not hand labels).

use super::encode::CreativeAttributes;
use super::grounded::{
    fit_grounded, CreativeObs, EffectPriors, GroundedConfig, GroundedModel, Provenance, SourceNote,
};
use crate::error::{Error, Result};
use crate::import::import_csv;
use crate::niche::{Niche, NicheModel};
use std::collections::BTreeMap;

/// The command that reproduces `models/ctr-grounded-v1.json` (stated in its provenance).
pub const REPRO_COMMAND: &str = "cargo run --release --example ctr-eval -- --data ../shared/data --seed 7 --write models/ctr-grounded-v1.json";

/// The export files the grounded model is fitted to, in this order.
pub const REAL_EXPORTS: [&str; 3] = [
    "src_ads_creative_facebook_all_data.csv",
    "src_ads_tiktok_ads_all_data.csv",
    "KAG_conversion_data.csv",
];

/// One real creative.
#[derive(Debug, Clone, PartialEq)]
pub struct RealCreative {
    /// The export it comes from (file name).
    pub source: String,
    /// Its grouping key (platform + copy, or the KAG ad id).
    pub key: String,
    /// Headline + body (empty for KAG).
    pub text: String,
    /// Attributes and outcome.
    pub obs: CreativeObs,
}

/// The creatives of a set of exports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RealCreatives {
    /// Creatives, in source order then key order.
    pub creatives: Vec<RealCreative>,
    /// Per source: (rows, rows without copy left out, rows without impressions left out).
    pub rows: Vec<(String, usize, usize, usize)>,
}

impl RealCreatives {
    /// Per-source notes for a model's provenance.
    pub fn sources(&self) -> Vec<SourceNote> {
        self.rows
            .iter()
            .map(|(name, ..)| {
                let c: Vec<&RealCreative> = self
                    .creatives
                    .iter()
                    .filter(|c| &c.source == name)
                    .collect();
                SourceNote {
                    name: name.clone(),
                    real: true,
                    creatives: c.len() as u64,
                    impressions: c.iter().map(|c| c.obs.impressions).sum(),
                    clicks: c.iter().map(|c| c.obs.clicks).sum(),
                }
            })
            .collect()
    }
}

/// Read `files` (name, bytes) with the importer and group them into creatives; `niche` detects
/// the niche of a creative's copy (none: every niche unknown). An import error names the file.
pub fn real_creatives(
    files: &[(&str, &[u8])],
    niche: Option<&NicheModel>,
) -> Result<RealCreatives> {
    let mut out = RealCreatives::default();
    for (name, bytes) in files {
        let rep = import_csv(bytes).map_err(|e| e.within(name))?;
        let (mut no_copy, mut no_imps) = (0, 0);
        let mut groups: BTreeMap<String, RealCreative> = BTreeMap::new();
        for r in &rep.accepted {
            if r.impressions == 0 {
                no_imps += 1;
                continue;
            }
            let text = match (r.headline.trim(), r.body.trim()) {
                ("", b) => b.to_string(),
                (h, "") => h.to_string(),
                (h, b) => format!("{h}\n{b}"),
            };
            let has_copy = !text.is_empty();
            let key = if has_copy {
                format!("{}|{}|{}", r.platform, r.headline.trim(), r.body.trim())
            } else if r.account_id.starts_with("kag") {
                format!("kag|{}", r.record_id)
            } else {
                no_copy += 1;
                continue;
            };
            let g = groups.entry(key.clone()).or_insert_with(|| {
                let mut attrs = CreativeAttributes::from(r);
                if attrs.niche.is_none() && has_copy {
                    attrs.niche = niche
                        .map(|m| m.detect(&text).niche)
                        .filter(|n| *n != Niche::Unknown);
                }
                RealCreative {
                    source: name.to_string(),
                    key,
                    text: text.clone(),
                    obs: CreativeObs {
                        account: r.account_id.clone(),
                        attrs,
                        impressions: 0,
                        clicks: 0,
                    },
                }
            });
            g.obs.impressions += r.impressions;
            g.obs.clicks += r.clicks.min(r.impressions);
        }
        out.rows
            .push((name.to_string(), rep.rows, no_copy, no_imps));
        out.creatives.extend(groups.into_values());
    }
    Ok(out)
}

/// The assumptions every grounded model fitted to the real exports states in its provenance.
pub fn real_assumptions() -> Vec<String> {
    vec![
        "No simulated data enters the fit: base rates, effects and the creative sd are estimated from the real exports listed in sources.".into(),
        "Between-account sd: empirical-Bayes estimate over the three real accounts (one per export), floored at 0.5, the simulator's assumption (sim-v2 prior: not measurable from one account per export).".into(),
        "Niche of each real creative: detected from its copy by models/niche-v2.bin, not hand-labelled; KAG has no copy (niche unknown).".into(),
        "Hook and CTA: read from the copy by the importer's extractor (crate::copy) at fit time; a changed extractor changes the model. Format: TikTok rows are video, the others unknown. No visual tags in any export.".into(),
        "google_ads: no real data; its rate is the prior logit(1 %) with sd 3 (not measured).".into(),
    ]
}

/// Fit the grounded model to real creatives.
pub fn fit_real(
    data: &RealCreatives,
    priors: &EffectPriors,
    cfg: &GroundedConfig,
    command: &str,
) -> Result<GroundedModel> {
    if data.creatives.is_empty() {
        return Err(Error::field(
            crate::error::ErrorCode::InvalidValue,
            "creatives",
            "no real creative to fit",
        ));
    }
    let obs: Vec<CreativeObs> = data.creatives.iter().map(|c| c.obs.clone()).collect();
    fit_grounded(
        &obs,
        priors,
        cfg,
        Provenance {
            sources: data.sources(),
            assumptions: real_assumptions(),
            release_id: None,
            command: command.to_string(),
        },
    )
}
