//! Turning one niche's exact aggregate into a noisy, thresholded [`NicheWisdom`].

use super::{NicheWisdom, ReleaseConfig, ReleaseId};
use crate::error::Result;
use crate::privacy::aggregate::Aggregate;
use crate::rng::Rng;

/// Release one niche's wisdom from its exact aggregate. Pure: it neither checks nor charges a
/// budget (use [`super::get_or_release`] in a service). Draws the same number of random values
/// whatever the data, so suppression leaks nothing through the RNG stream.
pub fn release_wisdom(
    aggregate: &Aggregate,
    id: ReleaseId,
    config: &ReleaseConfig,
    rng: &mut Rng,
) -> Result<NicheWisdom> {
    let _ = (aggregate, id, config, rng);
    todo!()
}
