//! The distribution release (the core's `crosslearn::wisdom::distribution`; docs/privacy.md,
//! "The distribution release"): a niche's CTR / conversion-rate / ROAS distributions on their own,
//! slower cadence and epsilon, when `RELEASE_CONFIG.distributions` is set.
//!
//! Part of the format-1 publication ([`crate::service::publish::publish_with`]), before the
//! regular releases, over the same niche aggregates (one contribution per account and period)
//! and the same frozen members:
//! 1. **One noisy draw per release id** (`"dist:<period>:<niche>"`, period = day ÷ the
//!    distribution cadence): a release already in `release_log` (kind
//!    [`KIND_DISTRIBUTION`]) is read back as it is (no new noise, nobody charged again);
//!    otherwise the core's `release_distributions` draws, and the release row and its accounts'
//!    ledger rows (pure `ε`, `ρ` 0, dated the distribution period's first day) are written in
//!    one transaction, only by the run whose draw was recorded (an overlapping run that lost the
//!    insert serves the recorded one).
//! 2. **Budget**: a niche whose distribution release would take any of its accounts past the
//!    total cap (`privacy_budget.epsilon_cap` over the window) is refused with
//!    `privacy_budget_exceeded` and listed under [`DistributionReport::failed`]; the regular
//!    release of the niche is then served without benchmarks. A charge made here counts against
//!    the same run's regular release.
//! 3. **Served**: the regular release combined with the niche's distribution release of the
//!    period (`combine_releases`: free post-processing) is what goes to KV; D1's
//!    `release_history` keeps the regular release as drawn.

use crate::error::ApiError;
use crate::ports::{Aggregates, Ledger, ReleaseLogRow, KIND_DISTRIBUTION};
use crate::service::auth::internal;
use crate::service::format2::period_day;
use crate::service::publish::{Charging, NicheFailure};
use crosslearn::niche::Niche;
use crosslearn::privacy::zcdp::BUDGET_EXCEEDED;
use crosslearn::wisdom::{
    combine_releases, period_of_day, release_distributions, DistributionConfig, DistributionId,
    DistributionWisdom, NicheWisdom, ReleaseConfig,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one run did with the distribution releases.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DistributionReport {
    /// The distribution period (days since 1970-01-01 ÷ the distribution cadence).
    pub period: u32,
    /// Pure `ε` one distribution release spends on each of its accounts.
    pub epsilon_per_release: f64,
    /// Niches released in this run (new `release_log` rows, their accounts charged).
    pub released: Vec<String>,
    /// Niches whose distribution release for this period already existed (left unchanged).
    pub unchanged: Vec<String>,
    /// Niches whose distribution release passed the noisy niche-count gate.
    pub published: Vec<String>,
    /// Niches refused or failed in this run, with why; their regular releases are served
    /// without benchmarks.
    pub failed: Vec<NicheFailure>,
}

/// The release id of the distribution release of `(period, niche)`.
pub fn release_id(period: u32, niche: Niche) -> String {
    format!("dist:{period}:{}", niche.as_str())
}

/// The distribution period of `now_ms`.
pub fn distribution_period(now_ms: u64, d: &DistributionConfig) -> u32 {
    period_of_day((now_ms / 86_400_000) as i64, d.cadence_days)
}

/// What one niche's step did.
enum Step {
    /// The release of the period: `true` when drawn (and charged) by this run.
    Got(DistributionWisdom, bool),
    /// Not drawn: it would take accounts past the cap (the message says how many).
    Refused(String),
}

fn decode(row: &ReleaseLogRow) -> Result<DistributionWisdom, ApiError> {
    serde_json::from_str(&row.release_json).map_err(|e| {
        ApiError::Storage(format!(
            "release_log row {} unreadable: {e}",
            row.release_id
        ))
    })
}

/// The distribution releases of the period of `now_ms`, one per niche of `aggregates` (drawn
/// and charged when new, read back otherwise), or `None` when `config` has no `distributions`.
/// Charges made are added to `charging`, so the same run's regular releases are held to the cap
/// with them. A niche that fails is reported and left out of the map.
#[allow(clippy::too_many_arguments)]
pub async fn distributions_of_period<S: Ledger, R: rand_core::Rng + ?Sized>(
    store: &S,
    now_ms: u64,
    now_iso: &str,
    config: &ReleaseConfig,
    aggregates: &Aggregates,
    charging: &mut Charging,
    rng: &mut R,
) -> Result<Option<(DistributionReport, BTreeMap<Niche, DistributionWisdom>)>, ApiError> {
    let Some(d) = config.distributions else {
        return Ok(None);
    };
    let period = distribution_period(now_ms, &d);
    let params_json = serde_json::to_string(config).map_err(|_| ApiError::Internal)?;
    let mut stored: BTreeMap<String, ReleaseLogRow> = store
        .release_log(KIND_DISTRIBUTION, period)
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| (r.niche.clone(), r))
        .collect();
    let mut report = DistributionReport {
        period,
        epsilon_per_release: d.epsilon,
        released: Vec::new(),
        unchanged: Vec::new(),
        published: Vec::new(),
        failed: Vec::new(),
    };
    let mut out = BTreeMap::new();
    for niche in crate::ports::niches() {
        let name = niche.as_str().to_string();
        let step = async {
            if let Some(row) = stored.remove(&name) {
                return Ok::<_, ApiError>(Step::Got(decode(&row)?, false));
            }
            let over = charging.over(niche, d.epsilon);
            if over > 0 {
                return Ok(Step::Refused(format!(
                    "the distribution release (epsilon {}) would take {over} account(s) past \
                     epsilon {} within {} days; the niche is served without benchmarks",
                    d.epsilon, charging.budget.epsilon_cap, charging.budget.window_days
                )));
            }
            let aggregate = aggregates
                .get(&niche)
                .cloned()
                .unwrap_or_else(crosslearn::wisdom::empty_aggregate);
            let w =
                release_distributions(&aggregate, DistributionId { period, niche }, config, rng)?;
            let row = ReleaseLogRow {
                release_id: release_id(period, niche),
                kind: KIND_DISTRIBUTION.to_string(),
                niche: name.clone(),
                period,
                day: period_day(period, d.cadence_days),
                rho: 0.0,
                epsilon: d.epsilon,
                delta: 0.0,
                published: w.published,
                noisy_count: w.sample_size.map(|n| n as i64),
                draw: charging.draw.clone(),
                params_json: params_json.clone(),
                release_json: serde_json::to_string(&w).map_err(|_| ApiError::Internal)?,
                published_at: now_iso.to_string(),
            };
            let accounts = charging.members.get(&niche).cloned().unwrap_or_default();
            if store
                .record_charged(&row, &accounts)
                .await
                .map_err(internal)?
            {
                Ok(Step::Got(w, true))
            } else {
                // Another run recorded this release first: serve its draw, never this one.
                let again = store
                    .release_log(KIND_DISTRIBUTION, period)
                    .await
                    .map_err(internal)?;
                let row = again.iter().find(|r| r.niche == name).ok_or_else(|| {
                    ApiError::Storage(format!("release {} vanished", release_id(period, niche)))
                })?;
                Ok(Step::Got(decode(row)?, false))
            }
        };
        match step.await {
            Ok(Step::Got(w, new)) => {
                if new {
                    charging.charge(niche, d.epsilon);
                    report.released.push(name.clone());
                } else {
                    report.unchanged.push(name.clone());
                }
                if w.published {
                    report.published.push(name);
                }
                out.insert(niche, w);
            }
            Ok(Step::Refused(message)) => report.failed.push(NicheFailure {
                niche: name,
                code: BUDGET_EXCEEDED.to_string(),
                message,
            }),
            Err(e) => report.failed.push(NicheFailure {
                niche: name,
                code: e.code().to_string(),
                message: e.body().error.message,
            }),
        }
    }
    Ok(Some((report, out)))
}

/// What readers are served for `regular`: combined with its niche's distribution release when
/// there is one. A regular release that carries its own benchmarks (drawn before
/// `distributions` was configured, earlier in the same period) is served as it is.
pub fn served(
    regular: NicheWisdom,
    distributions: Option<&BTreeMap<Niche, DistributionWisdom>>,
) -> Result<NicheWisdom, ApiError> {
    let Some(d) = distributions.and_then(|m| m.get(&regular.niche)) else {
        return Ok(regular);
    };
    let own_benchmarks = regular
        .platforms
        .iter()
        .any(|p| p.ctr.is_some() || p.conversion_rate.is_some() || p.roas.is_some());
    if own_benchmarks {
        return Ok(regular);
    }
    Ok(combine_releases(&regular, d)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{History, Releases};
    use crate::service::publish::publish;
    use crate::testing::fixtures::{account, DAY_MS, NOW};
    use crate::testing::{run, MemoryStore};
    use crosslearn::privacy::zcdp::BudgetPolicy;
    use crosslearn::wisdom::{DistributionConfig, EpsilonSplit};

    /// Weekly regular releases without histograms; distributions every 91 days at `epsilon`.
    fn config(epsilon: f64) -> ReleaseConfig {
        ReleaseConfig {
            split: EpsilonSplit {
                ctr_histogram: 0.0,
                cvr_histogram: 0.0,
                roas_histogram: 0.0,
                ..EpsilonSplit::default()
            },
            epsilon: 1.0,
            budget_per_window: 1000.0,
            distributions: Some(DistributionConfig {
                epsilon,
                ..DistributionConfig::default()
            }),
            ..ReleaseConfig::default()
        }
    }

    fn served_of(store: &MemoryStore, niche: Niche) -> NicheWisdom {
        run(store.published(niche))
            .unwrap()
            .unwrap()
            .decode()
            .unwrap()
    }

    fn has_benchmarks(w: &NicheWisdom) -> bool {
        w.platforms.iter().any(|p| p.ctr.is_some())
    }

    #[test]
    fn released_once_per_distribution_period_charged_and_served_with_the_regular_release() {
        let store = MemoryStore::new();
        for i in 0..40 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let c = config(20.0);
        let d = c.distributions.unwrap();
        let budget = BudgetPolicy {
            epsilon_cap: 100.0,
            ..BudgetPolicy::default()
        };
        let first = run(publish(&store, &store, NOW, &c, &budget, 1)).unwrap();
        let dr = first.distributions.clone().expect("a distribution report");
        assert_eq!(dr.period, distribution_period(NOW, &d));
        assert_eq!(dr.released.len(), 15, "{dr:?}");
        assert!(dr.published.contains(&"fitness".to_string()), "{dr:?}");
        assert!(dr.failed.is_empty());
        // D1 keeps the regular release as drawn (no benchmarks); KV serves it combined.
        let history = run(store.history(first.period, first.period + 1)).unwrap();
        let regular: NicheWisdom = serde_json::from_str(
            &history
                .iter()
                .find(|r| r.niche == "fitness")
                .unwrap()
                .release_json,
        )
        .unwrap();
        assert!(regular.published && !has_benchmarks(&regular));
        assert_eq!(regular.distribution_period, None);
        let shown = served_of(&store, Niche::Fitness);
        assert!(has_benchmarks(&shown), "{shown:?}");
        assert_eq!(shown.distribution_period, Some(dr.period));
        assert_eq!(shown.period, first.period);
        // Each member is charged both releases, the distribution one dated its period's day.
        let ledger = run(store.ledger("f0")).unwrap();
        let kinds: Vec<(&str, f64)> = ledger
            .iter()
            .map(|r| (r.kind.as_str(), r.epsilon))
            .collect();
        assert_eq!(kinds.len(), 2, "{ledger:?}");
        assert!(kinds.contains(&("distribution", 20.0)));
        assert!(kinds.contains(&("lift", 1.0)));
        let dist_row = ledger.iter().find(|r| r.kind == "distribution").unwrap();
        assert_eq!(dist_row.release_id, release_id(dr.period, Niche::Fitness));
        assert_eq!(
            dist_row.day,
            i64::from(dr.period) * i64::from(d.cadence_days)
        );

        // A week later: a new regular release, the same distribution release (no new draw, no
        // new charge), served with the new regular one.
        let later = NOW + 7 * DAY_MS;
        assert_eq!(distribution_period(later, &d), dr.period);
        let second = run(publish(&store, &store, later, &c, &budget, 2)).unwrap();
        assert_ne!(second.period, first.period);
        let dr2 = second.distributions.clone().unwrap();
        assert!(dr2.released.is_empty(), "{dr2:?}");
        assert_eq!(dr2.unchanged.len(), 15);
        let shown2 = served_of(&store, Niche::Fitness);
        assert_eq!(shown2.period, second.period);
        assert_eq!(shown2.platforms, shown.platforms);
        assert_eq!(shown2.distribution_period, Some(dr.period));
        let ledger = run(store.ledger("f0")).unwrap();
        assert_eq!(
            ledger.iter().filter(|r| r.kind == "distribution").count(),
            1
        );
        assert_eq!(ledger.iter().filter(|r| r.kind == "lift").count(), 2);
        // The bulk array serves the same combined record.
        let all: Vec<NicheWisdom> = run(store.published_all())
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(
            all.iter().find(|w| w.niche == Niche::Fitness),
            Some(&shown2)
        );
    }

    #[test]
    fn refused_past_the_cap_and_counted_against_the_regular_release() {
        // Cap 3: the distribution release (epsilon 5) is refused, the regular one (1) is made
        // and served without benchmarks.
        let store = MemoryStore::new();
        for i in 0..40 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let c = config(5.0);
        let tight = BudgetPolicy {
            epsilon_cap: 3.0,
            ..BudgetPolicy::default()
        };
        let r = run(publish(&store, &store, NOW, &c, &tight, 1)).unwrap();
        let dr = r.distributions.unwrap();
        assert_eq!(dr.failed.len(), 1, "{dr:?}");
        assert_eq!(dr.failed[0].niche, "fitness");
        assert_eq!(dr.failed[0].code, BUDGET_EXCEEDED);
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        let shown = served_of(&store, Niche::Fitness);
        assert!(shown.published && !has_benchmarks(&shown));
        assert_eq!(shown.distribution_period, None);
        let ledger = run(store.ledger("f0")).unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0].kind, "lift");

        // Cap 5.5: the distribution release (5) is charged first, so the same run's regular
        // release (1 more) would pass the cap and is refused.
        let store = MemoryStore::new();
        for i in 0..40 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let cap = BudgetPolicy {
            epsilon_cap: 5.5,
            ..BudgetPolicy::default()
        };
        let r = run(publish(&store, &store, NOW, &c, &cap, 1)).unwrap();
        assert!(r.distributions.unwrap().failed.is_empty());
        assert_eq!(r.failed.len(), 1, "{:?}", r.failed);
        assert_eq!(r.failed[0].niche, "fitness");
        assert_eq!(r.failed[0].code, BUDGET_EXCEEDED);
        let ledger = run(store.ledger("f0")).unwrap();
        assert_eq!(ledger.len(), 1);
        assert_eq!(ledger[0].kind, "distribution");
    }

    #[test]
    fn without_the_section_nothing_changes() {
        let store = MemoryStore::new();
        for i in 0..6 {
            account(&store, &format!("f{i}"), "fitness", true);
        }
        let r = run(publish(
            &store,
            &store,
            NOW,
            &ReleaseConfig::default(),
            &BudgetPolicy::default(),
            1,
        ))
        .unwrap();
        assert_eq!(r.distributions, None);
        assert!(run(store.release_log(KIND_DISTRIBUTION, 0))
            .unwrap()
            .is_empty());
        let text = serde_json::to_string(&r).unwrap();
        assert!(!text.contains("distributions"), "{text}");
    }
}
