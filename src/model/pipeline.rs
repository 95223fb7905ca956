//! The campaign scoring pipeline in one pass: per-platform metrics → normalize → the 19 unified
//! features → the in-flight row → calibrated CTR.
//!
//! [`score_campaign_columns`] reads the columnar batch of
//! [`FeatureBuilder::from_columns`](crate::features::FeatureBuilder::from_columns) (column `c` of
//! campaign `i` at `c * n + i`, layout [`crate::features::COLUMNS`]) and writes one probability
//! per campaign, with no intermediate matrix: each campaign's row lives on the stack. It gives
//! the same bits as building the rows with
//! [`InflightEncoder`](super::encode::InflightEncoder) (creative DNA taken from the batch's DNA
//! columns) and scoring them with [`CtrModel::score_batch`].

use super::ctr::{CtrModel, ModelKind};
use super::encode::{write_early_columns, INFLIGHT_COLUMNS, INFLIGHT_LAYOUT};
use crate::error::{Error, ErrorCode, Result};
use crate::features::{check_columns, empty_platforms, read_campaign, FeatureBuilder, N_FEATURES};
use crate::platform::Platform;

/// The calibrated next-period CTR on `target` of each of `n` campaigns given as columns (see
/// the module doc), scored by an in-flight `model`. Errors name the campaign and column
/// (`campaigns[7].tiktok.impressions`), or `target` / the model.
pub fn score_campaign_columns(
    builder: &FeatureBuilder,
    model: &CtrModel,
    columns: &[f64],
    n: usize,
    target: Platform,
) -> Result<Vec<f32>> {
    model.expect(ModelKind::InFlight, INFLIGHT_LAYOUT)?;
    if target == Platform::Unknown {
        return Err(Error::field(
            ErrorCode::Unsupported,
            "target",
            "the target platform must be meta, tiktok or google_ads",
        ));
    }
    check_columns(columns, n)?;
    let mut out = Vec::with_capacity(n);
    let mut data = empty_platforms();
    let mut row = [0f32; INFLIGHT_COLUMNS];
    for i in 0..n {
        let at = |e: Error| e.within(&format!("campaigns[{i}]"));
        let (len, dna) = read_campaign(columns, n, i, &mut data)?;
        let early = &data[..len];
        builder
            .campaign_features(early, &dna)
            .map_err(at)?
            .write_into(&mut row[..N_FEATURES]);
        write_early_columns(target, early, &mut row[N_FEATURES..]);
        out.push(model.probability(&row).map_err(at)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{COLUMNS, COLUMNS_PER_PLATFORM};
    use crate::metrics::PlatformMetrics;
    use crate::model::encode::{CreativeAttributes, InflightEncoder, NoPriors};
    use crate::normalize::{Mode, Normalizer};
    use crate::record::{AdFormat, CtaStyle, HookType};
    use crate::synth::campaign_columns;

    fn inflight() -> CtrModel {
        CtrModel::from_bytes(include_bytes!("../../models/ctr-inflight-v1.bin")).unwrap()
    }

    /// Attributes the encoder ignores without a pre-launch model (any will do).
    fn any_creative() -> CreativeAttributes {
        CreativeAttributes {
            platform: Platform::Meta,
            niche: None,
            hook_type: HookType::Unknown,
            cta_style: CtaStyle::Unknown,
            visual_tags: Vec::new(),
            format: AdFormat::Unknown,
            duration_s: None,
            posting_hour: None,
        }
    }

    /// Campaign `i` of a batch as the metrics list the encoder takes.
    fn campaign(columns: &[f64], n: usize, i: usize) -> Vec<PlatformMetrics> {
        let mut data = empty_platforms();
        let (len, _) = read_campaign(columns, n, i, &mut data).unwrap();
        data[..len].to_vec()
    }

    #[test]
    fn equals_the_encoder_then_score_batch() {
        let n = 300;
        let mut columns = campaign_columns(n, 7).unwrap();
        // No creative DNA (what InflightEncoder gives without a pre-launch model).
        for c in 3 * COLUMNS_PER_PLATFORM..COLUMNS {
            columns[c * n..(c + 1) * n].fill(f64::NAN);
        }
        let model = inflight();
        for mode in [Mode::Corrected, Mode::Seed] {
            let builder = FeatureBuilder::new(Normalizer::new(mode));
            let encoder = InflightEncoder::new(builder, None, &NoPriors).unwrap();
            for target in Platform::KNOWN {
                let got = score_campaign_columns(&builder, &model, &columns, n, target).unwrap();
                let mut rows = Vec::new();
                for i in 0..n {
                    let attrs = any_creative();
                    rows.extend(
                        encoder
                            .encode(target, &campaign(&columns, n, i), &attrs)
                            .unwrap(),
                    );
                }
                let want = model.score_batch(&rows, n).unwrap();
                assert_eq!(got, want, "{mode:?} {target}");
                assert!(got.iter().all(|p| (0.0..=1.0).contains(p)));
            }
        }
    }

    #[test]
    fn errors_name_the_campaign_the_target_and_the_model() {
        let n = 4;
        let mut columns = campaign_columns(n, 1).unwrap();
        let model = inflight();
        let b = FeatureBuilder::new(Normalizer::new(Mode::Corrected));
        let e = score_campaign_columns(&b, &model, &columns, n, Platform::Unknown).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("target"));
        let e = score_campaign_columns(&b, &model, &columns[1..], n, Platform::Meta).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("columns"));
        // Campaign 2's tiktok impressions (platform 1, column 4) made fractional.
        columns[(COLUMNS_PER_PLATFORM + 4) * n + 2] = 1.5;
        columns[COLUMNS_PER_PLATFORM * n + 2] = 1.0;
        let e = score_campaign_columns(&b, &model, &columns, n, Platform::Meta).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("campaigns[2].tiktok.impressions"));
        let pre =
            CtrModel::from_bytes(include_bytes!("../../models/ctr-prelaunch-v1.bin")).unwrap();
        assert!(score_campaign_columns(&b, &pre, &columns, n, Platform::Meta).is_err());
    }
}
