//! The cross-learning endpoints of seeds/000 (SEED-SPEC §4.2), fixed where the original is
//! broken: detect-niche, extract-insights, apply-wisdom, dashboard and stats. The niche-wisdom
//! reads are in [`crate::service::wisdom`].
//!
//! Request and response types are plain serde types (requests `deny_unknown_fields`); each
//! service function is generic over the ports ([`crate::ports`]) and takes the caller, the typed
//! request (parsed once by the route), the time and (where an event is recorded) the event id, so all of it runs natively
//! against the in-memory fakes. The domain work is the core's: niche detection
//! ([`crosslearn::niche`], the embedded `models/niche-v2.bin`), insights
//! ([`crosslearn::insights::account_insights`]), recommendations and the dashboard
//! ([`crosslearn::advice`]). Nothing here makes a privacy release: releases are read from KV,
//! where only the cron publication ([`crate::service::publish`]) writes them.
//!
//! Authorization: detect-niche on ad copy and stats are public; everything about an account
//! needs its token (or the operator's), and an `account_id` in a body or path must be the
//! token's own (403 otherwise, whether or not that account exists).

use crate::error::ApiError;
use crate::ports::{Accounts, Event, Events, Insights, Records, Releases, StoredInsight};
use crate::service::accounts::{check_account_id, owned};
use crate::service::auth::{internal, Caller};
use crosslearn::advice::dashboard::NetworkStats;
use crosslearn::advice::{
    dashboard, recommend, Dashboard, DashboardOptions, RecommendOptions, Recommendations,
};
use crosslearn::error::ErrorCode;
use crosslearn::insights::{account_insights, AccountInsight, InsightOptions};
use crosslearn::niche::{account_niche, AccountNiche, Niche, NicheModel, NicheScore};
use crosslearn::record::validate::MAX_COPY_CHARS;
use crosslearn::record::{format_day, CreativeRecord};
use crosslearn::wisdom::suffstat::PosteriorTable;
use crosslearn::wisdom::NicheWisdom;
use serde::{Deserialize, Serialize};

/// Most texts in one detect-niche request.
pub const MAX_TEXTS: usize = 100;

/// The model file detection uses (read from KV, served at `/api/models/niche-v2.bin`).
pub const NICHE_MODEL_NAME: &str = crate::service::models::NICHE_MODEL.name;

fn invalid(field: &str, message: String) -> ApiError {
    ApiError::Core(crosslearn::Error::field(
        ErrorCode::InvalidValue,
        field,
        message,
    ))
}

// ---------------------------------------------------------------------------------------------
// detect-niche

/// `POST /api/cross-learning/detect-niche` body: exactly one of `text`, `texts`, `account_id`.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectNicheRequest {
    /// One ad text (headline, body, or both joined), at most 10,000 characters. No token needed.
    #[serde(default)]
    pub text: Option<String>,
    /// Several ad texts of one advertiser, classified together (mean of their probabilities);
    /// 1-100 texts of at most 10,000 characters each. No token needed.
    #[serde(default)]
    pub texts: Option<Vec<String>>,
    /// Detect the niche of this account from its stored records (its declared niche when the
    /// records declare one, else its ad copy). Needs the account's token (or the operator's).
    #[serde(default)]
    pub account_id: Option<String>,
}

/// `POST /api/cross-learning/detect-niche` answer (the seed's shape plus the alternatives).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DetectNicheResponse {
    /// Always true (failures are 4xx errors).
    pub success: bool,
    /// The account, when detection was for an account.
    pub account_id: Option<String>,
    /// The niche; `unknown` when the model is not confident enough or there is no text.
    pub niche: Niche,
    /// 1 for a declared niche, else the model's calibrated probability of its top niche.
    pub confidence: f64,
    /// True when the niche came from the account's records' declared niche.
    pub declared: bool,
    /// How many texts with words were classified.
    pub texts_used: u32,
    /// Up to three next most likely niches with their probabilities (empty when declared).
    pub alternatives: Vec<NicheScore>,
    /// The model file used (`niche-v2.bin`).
    pub model: &'static str,
    /// When the detection was made (UTC, ISO 8601).
    pub detected_at: String,
}

/// Most distinct ad texts of one account classified by [`records_niche`] (the first ones in
/// record-id order; the seed read its 10 most recent campaigns). Bounds the CPU time per request.
pub const MAX_ACCOUNT_TEXTS: usize = 200;

/// An account's niche from its records: the niche most of them declare (ties: the seed's niche
/// order), else the classifier over their distinct headline + body texts (at most
/// [`MAX_ACCOUNT_TEXTS`]).
pub fn records_niche(model: &NicheModel, records: &[CreativeRecord]) -> AccountNiche {
    let mut counts = [0u32; 15];
    for r in records {
        if let Some(i) = r.niche.and_then(Niche::index) {
            counts[i] += 1;
        }
    }
    let best = counts.iter().copied().max().unwrap_or(0);
    let declared = (best > 0)
        .then(|| counts.iter().position(|c| *c == best))
        .flatten()
        .map(|i| Niche::ALL[i]);
    if declared.is_some() {
        return account_niche(model, declared, &[] as &[&str]);
    }
    let mut seen = std::collections::BTreeSet::new();
    let texts: Vec<String> = records
        .iter()
        .map(|r| format!("{} {}", r.headline, r.body).trim().to_string())
        .filter(|t| !t.is_empty() && seen.insert(t.clone()))
        .take(MAX_ACCOUNT_TEXTS)
        .collect();
    account_niche(model, None, &texts)
}

fn check_text(field: &str, text: &str) -> Result<(), ApiError> {
    let n = text.chars().count();
    if n > MAX_COPY_CHARS {
        return Err(invalid(
            field,
            format!("at most {MAX_COPY_CHARS} characters, got {n}"),
        ));
    }
    Ok(())
}

/// Detect a niche from ad copy, or an account's niche from its records. `caller` is the
/// authentication result, needed (and checked) only for `account_id`.
pub async fn detect_niche<S: Accounts + Records>(
    store: &S,
    caller: Result<Caller, ApiError>,
    model: &NicheModel,
    req: DetectNicheRequest,
    now: &str,
) -> Result<DetectNicheResponse, ApiError> {
    let given = [
        req.text.is_some(),
        req.texts.is_some(),
        req.account_id.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return Err(invalid(
            "text",
            "give exactly one of `text`, `texts` and `account_id`".to_string(),
        ));
    }
    let (account_id, found) = if let Some(text) = req.text {
        check_text("text", &text)?;
        (None, account_niche(model, None, &[text]))
    } else if let Some(texts) = req.texts {
        if texts.is_empty() || texts.len() > MAX_TEXTS {
            return Err(invalid(
                "texts",
                format!("1-{MAX_TEXTS} texts, got {}", texts.len()),
            ));
        }
        for (i, t) in texts.iter().enumerate() {
            check_text(&format!("texts[{i}]"), t)?;
        }
        (None, account_niche(model, None, &texts))
    } else {
        let id = req.account_id.unwrap_or_default();
        check_account_id("account_id", &id)?;
        owned(store, &caller?, &id).await?;
        let records = store.records(&id).await.map_err(internal)?;
        (Some(id), records_niche(model, &records))
    };
    Ok(DetectNicheResponse {
        success: true,
        account_id,
        niche: found.niche,
        confidence: found.confidence,
        declared: found.declared,
        texts_used: found.texts_used,
        alternatives: found.alternatives,
        model: NICHE_MODEL_NAME,
        detected_at: now.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// extract-insights

/// `POST /api/cross-learning/extract-insights` body (the seed's `NicheDetectionRequest`).
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractInsightsRequest {
    /// The account; must be the token's own.
    pub account_id: String,
}

/// `POST /api/cross-learning/extract-insights` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExtractInsightsResponse {
    /// True when the insight has patterns (the account passed the data gate).
    pub success: bool,
    /// The account.
    pub account_id: String,
    /// The insight (`crosslearn::insights::AccountInsight`); totals only when `success` is
    /// false; `null` when the account has no records.
    pub insights: Option<AccountInsight>,
    /// Why `success` is false (`Insufficient data to extract insights: ...`).
    pub message: Option<String>,
    /// When it was extracted (UTC, ISO 8601).
    pub extracted_at: String,
}

/// The account's insight from its records, with its niche from [`records_niche`]. `None` when
/// it has no records.
fn insight_of(
    model: &NicheModel,
    records: &[CreativeRecord],
) -> Result<Option<AccountInsight>, ApiError> {
    if records.is_empty() {
        return Ok(None);
    }
    let niche = records_niche(model, records).niche;
    let options = InsightOptions {
        niche: (niche != Niche::Unknown).then_some(niche),
        ..InsightOptions::default()
    };
    Ok(Some(account_insights(records, &options)?))
}

/// Compute the account's insight from its stored records, store it (replacing the previous one)
/// and record an `insights_extracted` event. Opt-in is not needed: the insight is the account's
/// own and is never published.
#[allow(clippy::too_many_arguments)]
pub async fn extract_insights<S: Accounts + Records + Insights + Events>(
    store: &S,
    caller: &Caller,
    model: &NicheModel,
    req: ExtractInsightsRequest,
    now: &str,
    event_id: String,
) -> Result<ExtractInsightsResponse, ApiError> {
    check_account_id("account_id", &req.account_id)?;
    let id = req.account_id;
    owned(store, caller, &id).await?;
    let records = store.records(&id).await.map_err(internal)?;
    let Some(insight) = insight_of(model, &records)? else {
        return Ok(ExtractInsightsResponse {
            success: false,
            account_id: id,
            insights: None,
            message: Some(
                "Insufficient data to extract insights: the account has no records".into(),
            ),
            extracted_at: now.to_string(),
        });
    };
    let insight_json = serde_json::to_string(&insight).map_err(|_| ApiError::Internal)?;
    // The insight and its event in one transaction: a failed write stores neither (503).
    store
        .put_insight(
            &StoredInsight {
                account_id: id.clone(),
                niche: insight.niche.as_str().to_string(),
                insight_json,
                extracted_at: now.to_string(),
            },
            &Event {
                event_id,
                account_id: id.clone(),
                niche: insight.niche.as_str().to_string(),
                event_type: "insights_extracted".into(),
                payload: serde_json::json!({
                    "enough_data": insight.enough_data,
                    "total_records": insight.total_records,
                    "total_campaigns": insight.total_campaigns,
                }),
                created_at: now.to_string(),
            },
        )
        .await
        .map_err(internal)?;
    let message = (!insight.enough_data).then(|| {
        format!(
            "Insufficient data to extract insights: {} campaigns, at least {} needed for patterns",
            insight.total_campaigns,
            InsightOptions::default().min_campaigns
        )
    });
    Ok(ExtractInsightsResponse {
        success: insight.enough_data,
        account_id: id,
        insights: Some(insight),
        message,
        extracted_at: now.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// apply-wisdom

/// `POST /api/cross-learning/apply-wisdom` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyWisdomRequest {
    /// The account; must be the token's own.
    pub account_id: String,
    /// Record the recommendations as the account's applied defaults (an event in its log;
    /// there is no ad-platform write). Default false.
    #[serde(default)]
    pub auto_apply: bool,
    /// The niche to apply (one of the 15); default: the account's niche from its records. A new
    /// account without records must name it.
    #[serde(default)]
    pub niche: Option<String>,
    /// Accepted for the seed's shape: the latest published release is read from KV on every
    /// request anyway, and a refresh never makes a new release.
    #[serde(default)]
    pub force_refresh: bool,
}

/// Where the applied niche came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NicheSource {
    /// The request's `niche`.
    Request,
    /// The niche the account's records declare.
    Declared,
    /// The classifier over the account's ad copy.
    Detected,
}

/// `POST /api/cross-learning/apply-wisdom` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ApplyWisdomResponse {
    /// Recommendations from the niche's latest published release.
    Applied {
        /// Always true.
        success: bool,
        /// The account.
        account_id: String,
        /// The niche.
        niche: Niche,
        /// 1 for a requested or declared niche, else the classifier's probability.
        niche_confidence: f64,
        /// Where the niche came from.
        niche_source: NicheSource,
        /// The release the recommendations cite (`"<niche>/<period>"`).
        release_id: String,
        /// The core's recommendations (each item carries the release's evidence).
        recommendations: Box<Recommendations>,
        /// Whether they were recorded as applied (`auto_apply`).
        applied: bool,
        /// Whether the `wisdom_applied` event was stored; false only while D1 refuses writes
        /// (the recommendations are still the release's; docs/robustness.md, "D1 write faults").
        event_recorded: bool,
    },
    /// No niche, or no published release for it.
    Failed {
        /// Always false.
        success: bool,
        /// `Could not detect niche for account` or `Insufficient data for niche <niche>`.
        message: String,
        /// The niche (`unknown` when none was found).
        niche: Niche,
    },
}

/// The latest release of `niche` in KV, decoded.
async fn latest_release<R: Releases>(
    kv: &R,
    niche: Niche,
) -> Result<Option<NicheWisdom>, ApiError> {
    let Some(stored) = kv.published(niche).await.map_err(internal)? else {
        return Ok(None);
    };
    stored
        .decode()
        .map(Some)
        .map_err(|e| ApiError::ReleaseUnreadable {
            niche: Some(niche.as_str().to_string()),
            cause: e.to_string(),
        })
}

/// Apply the latest published release of the account's niche: the core's recommendations,
/// ranked with the account's own insight when it has records; a `wisdom_applied` event.
#[allow(clippy::too_many_arguments)]
pub async fn apply_wisdom<S: Accounts + Records + Events, R: Releases>(
    store: &S,
    kv: &R,
    caller: &Caller,
    model: &NicheModel,
    req: ApplyWisdomRequest,
    now: &str,
    event_id: String,
) -> Result<ApplyWisdomResponse, ApiError> {
    check_account_id("account_id", &req.account_id)?;
    let requested = req
        .niche
        .as_deref()
        .map(crate::service::wisdom::parse_niche)
        .transpose()?;
    let id = req.account_id;
    owned(store, caller, &id).await?;
    let records = store.records(&id).await.map_err(internal)?;
    let (niche, confidence, source) = match requested {
        Some(n) => (n, 1.0, NicheSource::Request),
        None => {
            let found = records_niche(model, &records);
            let source = if found.declared {
                NicheSource::Declared
            } else {
                NicheSource::Detected
            };
            (found.niche, found.confidence, source)
        }
    };
    if niche == Niche::Unknown {
        return Ok(ApplyWisdomResponse::Failed {
            success: false,
            message: "Could not detect niche for account".into(),
            niche,
        });
    }
    let wisdom = match latest_release(kv, niche).await? {
        Some(w) if w.published => w,
        _ => {
            return Ok(ApplyWisdomResponse::Failed {
                success: false,
                message: format!("Insufficient data for niche {}", niche.as_str()),
                niche,
            })
        }
    };
    let insight = if records.is_empty() {
        None
    } else {
        let options = InsightOptions {
            niche: Some(niche),
            ..InsightOptions::default()
        };
        Some(account_insights(&records, &options)?)
    };
    let recommendations = recommend(&wisdom, insight.as_ref(), &RecommendOptions::default())?;
    let patterns: Vec<&str> = recommendations
        .items
        .iter()
        .map(|r| r.pattern.as_str())
        .collect();
    let recorded = store
        .add_event(&Event {
            event_id,
            account_id: id.clone(),
            niche: niche.as_str().to_string(),
            event_type: "wisdom_applied".into(),
            payload: serde_json::json!({
                "release_id": recommendations.release_id,
                "auto_apply": req.auto_apply,
                "recommended": patterns,
            }),
            created_at: now.to_string(),
        })
        .await;
    // Degrade, don't fail: the recommendations are a read of the published release; only the
    // event (an activity log line) is lost when D1 refuses the write, and the answer says so.
    let event_recorded = match recorded {
        Ok(()) => true,
        Err(e) if e.write.is_some() => false,
        Err(e) => return Err(internal(e)),
    };
    Ok(ApplyWisdomResponse::Applied {
        success: true,
        account_id: id,
        niche,
        niche_confidence: confidence,
        niche_source: source,
        release_id: recommendations.release_id.clone(),
        recommendations: Box::new(recommendations),
        applied: req.auto_apply,
        event_recorded,
    })
}

// ---------------------------------------------------------------------------------------------
// dashboard

/// `GET /api/cross-learning/dashboard/{account_id}` answer: the core's dashboard and its time.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DashboardResponse {
    /// The dashboard (`crosslearn::advice::Dashboard`).
    #[serde(flatten)]
    pub dashboard: Dashboard,
    /// The niche's format-2 posteriors (per value: posterior mean and sd on the log-odds scale
    /// and the release id), when its latest format-2 release passed its gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posteriors: Option<PosteriorTable>,
    /// When it was generated (UTC, ISO 8601).
    pub generated_at: String,
}

/// The niche's published format-2 posteriors, read with the versioned reader (None: none
/// published yet, or below its gate).
async fn latest_posteriors<R: Releases>(
    kv: &R,
    niche: Niche,
) -> Result<Option<PosteriorTable>, ApiError> {
    let Some(stored) = kv.published_v2(niche).await.map_err(internal)? else {
        return Ok(None);
    };
    let (_, value) = crate::service::wisdom::read_release(stored.text(), niche.as_str())?;
    let table: PosteriorTable =
        serde_json::from_value(value).map_err(|e| ApiError::ReleaseUnreadable {
            niche: Some(niche.as_str().to_string()),
            cause: e.to_string(),
        })?;
    Ok(table.published.then_some(table))
}

/// All latest releases (the bulk KV value), decoded; empty before the first publication.
async fn all_releases<R: Releases>(kv: &R) -> Result<Vec<NicheWisdom>, ApiError> {
    match kv.published_all().await.map_err(internal)? {
        None => Ok(Vec::new()),
        Some(stored) => stored.decode().map_err(|e| ApiError::ReleaseUnreadable {
            niche: None,
            cause: e.to_string(),
        }),
    }
}

/// The account against its niche's latest release (the account's own token only, or the
/// operator's). The insight is computed from the stored records on each call.
pub async fn account_dashboard<S: Accounts + Records, R: Releases>(
    store: &S,
    kv: &R,
    caller: &Caller,
    model: &NicheModel,
    account_id: &str,
    now: &str,
) -> Result<DashboardResponse, ApiError> {
    check_account_id("account_id", account_id)?;
    owned(store, caller, account_id).await?;
    let records = store.records(account_id).await.map_err(internal)?;
    let insight = insight_of(model, &records)?;
    let niche = insight.as_ref().map_or(Niche::Unknown, |i| i.niche);
    let wisdom = if niche == Niche::Unknown {
        None
    } else {
        latest_release(kv, niche).await?
    };
    let posteriors = if niche == Niche::Unknown {
        None
    } else {
        latest_posteriors(kv, niche).await?
    };
    let network = all_releases(kv).await?;
    let dashboard = dashboard(
        wisdom.as_ref(),
        insight.as_ref(),
        &network,
        &DashboardOptions::default(),
    )?;
    Ok(DashboardResponse {
        dashboard,
        posteriors,
        generated_at: now.to_string(),
    })
}

// ---------------------------------------------------------------------------------------------
// stats

/// One niche's latest release, as the public stats show it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ReleaseSummary {
    /// The niche.
    pub niche: Niche,
    /// `"<niche>/<period>"`.
    pub release_id: String,
    /// The release period.
    pub period: u32,
    /// First day of the period (UTC date).
    pub period_start: String,
    /// Last day of the period (UTC date).
    pub period_end: String,
    /// Passed the noisy k gate.
    pub published: bool,
    /// Noisy number of contributing accounts, when published.
    pub sample_size: Option<u64>,
    /// The release's confidence heuristic, when published.
    pub confidence: Option<f64>,
}

/// How releases are protected, read from the releases themselves (not literal flags).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PrivacySummary {
    /// Consent is opt-in: a new account contributes nothing until it opts in.
    pub opt_in_required: bool,
    /// Distinct k values of the releases (usually one).
    pub k: Vec<u32>,
    /// Distinct epsilon per release.
    pub epsilon_per_release: Vec<f64>,
    /// Always true: counts are noised (differential privacy), never exact.
    pub counts_are_noisy: bool,
    /// Always false: releases carry no account ids and no ad copy.
    pub account_ids_published: bool,
}

/// `GET /api/cross-learning/stats` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StatsResponse {
    /// Network totals from the published releases (the core's `NetworkStats`; noisy counts).
    pub network_effects: NetworkStats,
    /// Every niche's latest release, in niche order.
    pub releases: Vec<ReleaseSummary>,
    /// How the releases are protected.
    pub privacy: PrivacySummary,
    /// When this answer was made (UTC, ISO 8601).
    pub generated_at: String,
}

/// Public network statistics from the latest releases (one KV read). No private data: only
/// what the releases already publish.
pub async fn stats<R: Releases>(kv: &R, now: &str) -> Result<StatsResponse, ApiError> {
    let mut network = all_releases(kv).await?;
    network.sort_by_key(|w| w.niche);
    let network_effects =
        dashboard(None, None, &network, &DashboardOptions::default())?.network_stats;
    let releases = network
        .iter()
        .map(|w| {
            let days = i64::from(w.privacy.cadence_days.max(1));
            let start = i64::from(w.period) * days;
            ReleaseSummary {
                niche: w.niche,
                release_id: crosslearn::advice::recommend::release_id(w),
                period: w.period,
                period_start: format_day(start),
                period_end: format_day(start + days - 1),
                published: w.published,
                sample_size: w.sample_size.filter(|_| w.published),
                confidence: w.published.then_some(w.confidence),
            }
        })
        .collect();
    let mut k: Vec<u32> = network.iter().map(|w| w.privacy.k).collect();
    k.sort_unstable();
    k.dedup();
    let mut epsilon: Vec<f64> = network.iter().map(|w| w.privacy.epsilon).collect();
    epsilon.sort_by(f64::total_cmp);
    epsilon.dedup();
    Ok(StatsResponse {
        network_effects,
        releases,
        privacy: PrivacySummary {
            opt_in_required: true,
            k,
            epsilon_per_release: epsilon,
            counts_are_noisy: true,
            account_ids_published: false,
        },
        generated_at: now.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::History;
    use crate::service::auth::authenticate;
    use crate::testing::fixtures::niche_model;
    use crate::testing::requests::{
        apply_wisdom, create_account, detect_niche, erase, export, extract_insights, ingest,
        set_consent,
    };
    use crate::testing::{run, MemoryStore};
    use crosslearn::wisdom::{period_of_day, ReleaseConfig};
    use serde_json::{json, Value};

    const NOW: &str = "2026-01-02T03:04:05.006Z";
    const OP: &str = "operator-secret";
    const DAY_MS: u64 = 86_400_000;
    /// 2026-01-01 plus an hour.
    const AT: u64 = 20_454 * DAY_MS + 3_600_000;

    /// 12 SIMULATED fitness records over 3 campaigns; `question` hooks click twice as well.
    fn records(declare: bool) -> Value {
        let hooks = ["question", "pain_point", "offer", "social_proof"];
        let list: Vec<Value> = (0..12)
            .map(|i| {
                let hook = hooks[i % 4];
                // Question creatives get twice the impressions at twice the CTR: the account's
                // most-delivered hook (each account contributes its 2 most-delivered values per
                // attribute) and its best one.
                let (impressions, clicks) = if hook == "question" {
                    (40000, 1200)
                } else {
                    (20000, 300)
                };
                let mut r = json!({
                    "record_id": format!("r{i}"), "campaign_id": format!("c{}", i % 3),
                    "platform": "meta", "hook_type": hook, "cta_style": "shop_now",
                    "format": "video", "duration_s": 20, "posting_hour": 9 + i % 3,
                    "impressions": impressions, "clicks": clicks, "conversions": 20, "spend": 150,
                    "revenue": 600,
                    "headline": "Build muscle with a 20-minute gym workout",
                    "body": "Strength training plans for every fitness level"
                });
                if declare {
                    r["niche"] = json!("fitness");
                }
                r
            })
            .collect();
        json!({ "records": list })
    }

    fn body(v: Value) -> Vec<u8> {
        serde_json::to_vec(&v).unwrap()
    }

    /// A store with the given accounts (ids = tokens' suffixes); returns the callers.
    fn accounts(store: &MemoryStore, ids: &[&str]) -> Vec<Caller> {
        ids.iter()
            .map(|id| {
                let token = format!("clt_{id}");
                run(create_account(
                    store,
                    &Caller::Operator,
                    &body(json!({ "account_id": id })),
                    NOW,
                    "unused".into(),
                    token.clone(),
                ))
                .unwrap();
                run(authenticate(
                    store,
                    Some(&format!("Bearer {token}")),
                    Some(OP),
                ))
                .unwrap()
            })
            .collect()
    }

    /// `n` opted-in fitness accounts `f0..` with records, and a publication at [`AT`] with a
    /// config whose noise is negligible (SIMULATED test data, not a privacy setting).
    fn network(store: &MemoryStore, n: usize) -> Vec<Caller> {
        let ids: Vec<String> = (0..n).map(|i| format!("f{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let callers = accounts(store, &refs);
        for (id, c) in ids.iter().zip(&callers) {
            let r = run(ingest(store, c, id, &body(records(true)), NOW)).unwrap();
            assert_eq!(r.stored, 12);
            run(set_consent(store, c, id, br#"{"opted_in": true}"#, NOW)).unwrap();
        }
        callers
    }

    fn config() -> ReleaseConfig {
        ReleaseConfig {
            k: 3,
            epsilon: 100.0,
            budget_per_window: 400.0,
            ..ReleaseConfig::default()
        }
    }

    fn publish_at(store: &MemoryStore, at: u64) {
        run(crate::service::publish::publish(
            store,
            store,
            at,
            &config(),
            &crate::testing::fixtures::uncapped(),
            7,
        ))
        .unwrap();
    }

    fn detect(
        store: &MemoryStore,
        caller: Result<Caller, ApiError>,
        v: Value,
    ) -> Result<DetectNicheResponse, ApiError> {
        run(detect_niche(store, caller, niche_model(), &body(v), NOW))
    }

    fn anonymous() -> Result<Caller, ApiError> {
        Err(ApiError::Unauthorized {
            message: "none".into(),
        })
    }

    #[test]
    fn detect_niche_on_copy_is_public() {
        let store = MemoryStore::new();
        let d = detect(
            &store,
            anonymous(),
            json!({"text": "Crush leg day: a 20-minute gym workout to build muscle fast"}),
        )
        .unwrap();
        assert_eq!(d.niche, Niche::Fitness);
        assert!(
            d.confidence > 0.5 && d.confidence <= 1.0,
            "{}",
            d.confidence
        );
        assert_eq!(
            (d.declared, d.texts_used, d.account_id.clone()),
            (false, 1, None)
        );
        assert!(!d.alternatives.is_empty());
        assert!(d.alternatives.iter().all(|a| a.niche != Niche::Fitness));
        let d = detect(
            &store,
            anonymous(),
            json!({"texts": ["Hydrating serum for glowing skin", "Our best-selling moisturizer and makeup remover"]}),
        )
        .unwrap();
        assert_eq!((d.niche, d.texts_used), (Niche::Beauty, 2));
        // No words: unknown, confidence 0.
        let d = detect(&store, anonymous(), json!({"text": "  !!! "})).unwrap();
        assert_eq!(
            (d.niche, d.confidence, d.texts_used),
            (Niche::Unknown, 0.0, 0)
        );
    }

    #[test]
    fn detect_niche_bad_input() {
        let store = MemoryStore::new();
        let long = "gym ".repeat(MAX_COPY_CHARS / 4 + 1);
        let many: Vec<&str> = vec!["gym"; MAX_TEXTS + 1];
        for (v, status, field) in [
            (json!({}), 422, Some("text")),
            (json!({"text": "a", "texts": ["b"]}), 422, Some("text")),
            (json!({"texts": []}), 422, Some("texts")),
            (json!({"texts": many}), 422, Some("texts")),
            (json!({"text": long}), 422, Some("text")),
            (json!({"texts": ["ok", long]}), 422, Some("texts[1]")),
            (json!({"text": 3}), 422, Some("text")),
            (
                json!({"text": "gym", "niche": "fitness"}),
                422,
                Some("niche"),
            ),
            (json!({"account_id": "a b"}), 422, Some("account_id")),
        ] {
            let e = detect(&store, anonymous(), v.clone()).unwrap_err();
            assert_eq!((e.status(), e.field()), (status, field), "{v}");
        }
        let e = run(detect_niche(&store, anonymous(), niche_model(), b"{", NOW)).unwrap_err();
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn detect_niche_of_an_account_needs_its_token() {
        let store = MemoryStore::new();
        let c = accounts(&store, &["a", "b"]);
        run(ingest(&store, &c[0], "a", &body(records(false)), NOW)).unwrap();
        let e = detect(&store, anonymous(), json!({"account_id": "a"})).unwrap_err();
        assert_eq!(e.status(), 401);
        for target in ["a", "nobody"] {
            let e = detect(&store, Ok(c[1].clone()), json!({ "account_id": target })).unwrap_err();
            assert_eq!(e.status(), 403, "{target}");
        }
        // Undeclared: detected from the copy.
        let d = detect(&store, Ok(c[0].clone()), json!({"account_id": "a"})).unwrap();
        // The 12 records share one text: classified once.
        assert_eq!(
            (d.niche, d.declared, d.texts_used),
            (Niche::Fitness, false, 1)
        );
        assert_eq!(d.account_id.as_deref(), Some("a"));
        // Declared wins (confidence 1).
        let mut declared = records(true);
        declared["records"][0]["record_id"] = json!("extra");
        declared["records"][0]["niche"] = json!("travel");
        declared["records"] = json!([declared["records"][0].clone()]);
        run(ingest(&store, &c[1], "b", &body(declared), NOW)).unwrap();
        let d = detect(&store, Ok(c[1].clone()), json!({"account_id": "b"})).unwrap();
        assert_eq!(
            (d.niche, d.declared, d.confidence),
            (Niche::Travel, true, 1.0)
        );
        // Distinct texts are capped.
        let c2 = accounts(&store, &["many"]);
        let list: Vec<Value> = (0..MAX_ACCOUNT_TEXTS + 50)
            .map(|i| {
                json!({"record_id": format!("m{i}"), "platform": "meta", "impressions": 100,
                       "clicks": 1, "spend": 1.0, "headline": format!("Gym workout plan {i}")})
            })
            .collect();
        let r = run(ingest(
            &store,
            &c2[0],
            "many",
            &body(json!({ "records": list })),
            NOW,
        ))
        .unwrap();
        assert_eq!(r.stored, MAX_ACCOUNT_TEXTS + 50);
        let d = detect(&store, Ok(c2[0].clone()), json!({"account_id": "many"})).unwrap();
        assert_eq!(d.texts_used as usize, MAX_ACCOUNT_TEXTS);
        // The operator may ask about any existing account; unknown ones are 404.
        let d = detect(&store, Ok(Caller::Operator), json!({"account_id": "a"})).unwrap();
        assert_eq!(d.niche, Niche::Fitness);
        let e = detect(&store, Ok(Caller::Operator), json!({"account_id": "zz"})).unwrap_err();
        assert_eq!(e.status(), 404);
    }

    fn extract(
        store: &MemoryStore,
        c: &Caller,
        v: Value,
    ) -> Result<ExtractInsightsResponse, ApiError> {
        run(extract_insights(
            store,
            c,
            niche_model(),
            &body(v),
            NOW,
            "evt_1".into(),
        ))
    }

    #[test]
    fn extract_insights_stores_the_insight_and_an_event() {
        let store = MemoryStore::new();
        let c = accounts(&store, &["a", "b"]);
        let empty = extract(&store, &c[0], json!({"account_id": "a"})).unwrap();
        assert!(!empty.success && empty.insights.is_none());
        assert!(empty.message.unwrap().starts_with("Insufficient data"));
        assert!(run(store.insight("a")).unwrap().is_none());

        run(ingest(&store, &c[0], "a", &body(records(false)), NOW)).unwrap();
        let got = extract(&store, &c[0], json!({"account_id": "a"})).unwrap();
        assert!(got.success, "{:?}", got.message);
        let insight = got.insights.unwrap();
        assert_eq!(
            (insight.niche, insight.total_campaigns),
            (Niche::Fitness, 3)
        );
        assert_eq!(
            insight.top_hook_types.first().map(|h| h.as_str()),
            Some("question")
        );
        let stored = run(store.insight("a")).unwrap().unwrap();
        assert_eq!(stored.niche, "fitness");
        assert_eq!(
            serde_json::from_str::<AccountInsight>(&stored.insight_json).unwrap(),
            insight
        );
        let events = run(store.events("a")).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].event_type.as_str(), events[0].event_id.as_str()),
            ("insights_extracted", "evt_1")
        );
        // Exported with the account, erased with it.
        let ex = run(export(&store, &c[0], "a", NOW)).unwrap();
        assert_eq!(ex.insight, Some(stored));
        let gone = run(erase(&store, &c[0], "a")).unwrap();
        assert_eq!((gone.insights, gone.events), (1, 1));
        assert_eq!(store.rows_of("a"), 0);

        // Two campaigns: totals but no patterns, success false.
        let mut few = records(false);
        few["records"] = json!(few["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["campaign_id"] != "c2")
            .cloned()
            .collect::<Vec<_>>());
        run(ingest(&store, &c[1], "b", &body(few), NOW)).unwrap();
        let got = extract(&store, &c[1], json!({"account_id": "b"})).unwrap();
        assert!(!got.success);
        assert!(got.message.unwrap().contains("2 campaigns"));
        assert!(!got.insights.unwrap().enough_data);
    }

    #[test]
    fn extract_insights_auth_and_bad_input() {
        let store = MemoryStore::new();
        let c = accounts(&store, &["a", "b"]);
        // The body's account must be the token's.
        for target in ["b", "nobody"] {
            let e = extract(&store, &c[0], json!({ "account_id": target })).unwrap_err();
            assert_eq!((e.status(), e.code()), (403, "forbidden"));
        }
        assert!(run(store.events("b")).unwrap().is_empty());
        for (v, field) in [
            (json!({}), "account_id"),
            (json!({"account_id": 5}), "account_id"),
            (json!({"account_id": ""}), "account_id"),
            (json!({"account_id": "a", "extra": 1}), "extra"),
        ] {
            let e = extract(&store, &c[0], v.clone()).unwrap_err();
            assert_eq!((e.status(), e.field()), (422, Some(field)), "{v}");
        }
    }

    fn apply(store: &MemoryStore, c: &Caller, v: Value) -> Result<ApplyWisdomResponse, ApiError> {
        run(apply_wisdom(
            store,
            store,
            c,
            niche_model(),
            &body(v),
            NOW,
            "evt_w".into(),
        ))
    }

    /// Fault: a corrupt published release (KV) is a 503 `release_unavailable` for apply-wisdom
    /// and the dashboard, not a 500; rewriting it (the next publication) recovers.
    #[test]
    fn a_corrupt_release_is_503_for_apply_and_dashboard() {
        let store = MemoryStore::new();
        let c = network(&store, 8);
        publish_at(&store, AT);
        let good = run(store.published(Niche::Fitness)).unwrap().unwrap();
        store.put_raw_release(Some(Niche::Fitness), "\u{0}not json");
        let e = apply(
            &store,
            &c[0],
            json!({"account_id": "f0", "niche": "fitness"}),
        )
        .unwrap_err();
        assert_eq!((e.status(), e.code()), (503, "release_unavailable"));
        assert!(e.body().error.message.contains("fitness"));
        let dashboard = || {
            run(account_dashboard(
                &store,
                &store,
                &c[0],
                niche_model(),
                "f0",
                NOW,
            ))
        };
        let e = dashboard().unwrap_err();
        assert_eq!((e.status(), e.code()), (503, "release_unavailable"));
        store.put_raw_release(Some(Niche::Fitness), good.text());
        assert!(dashboard().is_ok());
        assert!(apply(
            &store,
            &c[0],
            json!({"account_id": "f0", "niche": "fitness"})
        )
        .is_ok());
    }

    #[test]
    fn apply_wisdom_cites_the_published_release() {
        let store = MemoryStore::new();
        let mut c = network(&store, 8);
        c.extend(accounts(&store, &["new", "other"]));
        let (new, other) = (&c[8], &c[9]);
        let before = apply(
            &store,
            new,
            json!({"account_id": "new", "niche": "fitness"}),
        )
        .unwrap();
        assert_eq!(
            before,
            ApplyWisdomResponse::Failed {
                success: false,
                message: "Insufficient data for niche fitness".into(),
                niche: Niche::Fitness
            }
        );
        publish_at(&store, AT);
        let period = period_of_day(20_454, 7);
        // A new account without records must name its niche.
        let none = apply(&store, new, json!({"account_id": "new"})).unwrap();
        assert!(matches!(
            none,
            ApplyWisdomResponse::Failed {
                niche: Niche::Unknown,
                ..
            }
        ));
        let got = apply(&store, new, json!({"account_id": "new", "niche": "Fitness", "auto_apply": true, "force_refresh": true})).unwrap();
        let ApplyWisdomResponse::Applied {
            release_id,
            recommendations,
            applied,
            niche_source,
            ..
        } = got
        else {
            panic!("expected recommendations: {got:?}");
        };
        assert_eq!(release_id, format!("fitness/{period}"));
        assert!(applied);
        assert_eq!(niche_source, NicheSource::Request);
        assert_eq!(recommendations.based_on_accounts, Some(8));
        assert!(!recommendations.items.is_empty());
        assert!(recommendations
            .items
            .iter()
            .all(|r| r.evidence.release_id == release_id));
        // The hook every account does best with is recommended.
        assert!(recommendations
            .items
            .iter()
            .any(|r| r.pattern == "hook_type = question"));
        // Each item is a released lift above 1 of this very release.
        let release: NicheWisdom = run(store.published(Niche::Fitness))
            .unwrap()
            .unwrap()
            .decode()
            .unwrap();
        for item in &recommendations.items {
            let lift = release
                .lifts
                .iter()
                .find(|l| l.attribute == item.attribute && l.value == item.value)
                .unwrap();
            assert!(
                lift.lift > 1.0 && item.evidence.lift == lift.lift,
                "{}",
                item.pattern
            );
        }
        let events = run(store.events("new")).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "wisdom_applied");
        assert_eq!(events[0].payload["release_id"], json!(release_id));
        // A contributing account: its niche comes from its records, its insight ranks the items.
        let mine = apply(&store, &c[0], json!({"account_id": "f0"})).unwrap();
        let ApplyWisdomResponse::Applied {
            niche_source,
            recommendations,
            applied,
            ..
        } = mine
        else {
            panic!("expected recommendations");
        };
        assert_eq!((niche_source, applied), (NicheSource::Declared, false));
        assert_eq!(recommendations.account_id.as_deref(), Some("f0"));
        // No cross-account use, nothing recorded for the target.
        let e = apply(
            &store,
            other,
            json!({"account_id": "new", "niche": "fitness"}),
        )
        .unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(run(store.events("other")).unwrap().is_empty());
        // force_refresh made no new release.
        assert_eq!(run(store.history(0, u32::MAX)).unwrap().len(), 15);
    }

    #[test]
    fn apply_wisdom_bad_input() {
        let store = MemoryStore::new();
        let c = accounts(&store, &["a"]);
        for (v, status, field) in [
            (
                json!({"account_id": "a", "niche": "astrology"}),
                422,
                Some("niche"),
            ),
            (
                json!({"account_id": "a", "niche": "unknown"}),
                422,
                Some("niche"),
            ),
            (
                json!({"account_id": "a", "auto_apply": "yes"}),
                422,
                Some("auto_apply"),
            ),
            (
                json!({"account_id": "a", "bogus": true}),
                422,
                Some("bogus"),
            ),
            (json!({"niche": "fitness"}), 422, Some("account_id")),
        ] {
            let e = apply(&store, &c[0], v.clone()).unwrap_err();
            assert_eq!((e.status(), e.field()), (status, field), "{v}");
        }
    }

    fn dash(store: &MemoryStore, c: &Caller, id: &str) -> Result<DashboardResponse, ApiError> {
        run(account_dashboard(store, store, c, niche_model(), id, NOW))
    }

    #[test]
    fn dashboard_is_own_account_only() {
        let store = MemoryStore::new();
        let mut c = network(&store, 8);
        c.extend(accounts(&store, &["new"]));
        // Before publication: notes, no numbers.
        let d = dash(&store, &c[0], "f0").unwrap();
        assert_eq!(d.dashboard.niche.category, Niche::Fitness);
        assert!(d.dashboard.niche.release_id.is_none());
        assert!(!d.dashboard.notes.is_empty());
        publish_at(&store, AT);
        let d = dash(&store, &c[0], "f0").unwrap();
        let period = period_of_day(20_454, 7);
        assert_eq!(
            d.dashboard.niche.release_id,
            Some(format!("fitness/{period}"))
        );
        assert_eq!(d.dashboard.niche.contributing_accounts, Some(8));
        assert!(!d.dashboard.performance_comparison.is_empty());
        assert_eq!(d.dashboard.network_stats.published_niches, 1);
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["generated_at"], json!(NOW));
        assert_eq!(v["account_id"], json!("f0"));
        // A new account: a total dashboard with notes.
        let d = dash(&store, &c[8], "new").unwrap();
        assert_eq!(d.dashboard.niche.category, Niche::Unknown);
        for (caller, target, status) in [
            (&c[8], "f0", 403),
            (&c[0], "nobody", 403),
            (&Caller::Operator, "nobody", 404),
        ] {
            assert_eq!(
                dash(&store, caller, target).unwrap_err().status(),
                status,
                "{target}"
            );
        }
        let e = dash(&store, &c[0], "bad id").unwrap_err();
        assert_eq!((e.status(), e.field()), (422, Some("account_id")));
    }

    #[test]
    fn stats_show_releases_not_accounts() {
        let store = MemoryStore::new();
        let empty = run(stats(&store, NOW)).unwrap();
        assert!(empty.releases.is_empty());
        assert_eq!(empty.network_effects.published_niches, 0);
        network(&store, 8);
        publish_at(&store, AT);
        let s = run(stats(&store, NOW)).unwrap();
        assert_eq!(s.releases.len(), 15);
        let fitness = s
            .releases
            .iter()
            .find(|r| r.niche == Niche::Fitness)
            .unwrap();
        let period = period_of_day(20_454, 7);
        assert_eq!(fitness.release_id, format!("fitness/{period}"));
        assert_eq!((fitness.published, fitness.sample_size), (true, Some(8)));
        assert!(
            fitness.period_start.as_str() <= "2026-01-01"
                && fitness.period_end.as_str() >= "2026-01-01"
        );
        assert!(s
            .releases
            .iter()
            .filter(|r| !r.published)
            .all(|r| r.sample_size.is_none()));
        assert_eq!(s.privacy.k, vec![3]);
        assert_eq!(s.network_effects.contributing_accounts, 8);
        let text = serde_json::to_string(&s).unwrap();
        assert!(
            !text.contains("f0") && !text.contains("\"f1\""),
            "no account ids"
        );
    }

    #[test]
    fn erased_accounts_leave_the_next_period() {
        let store = MemoryStore::new();
        let c = network(&store, 8);
        publish_at(&store, AT);
        run(erase(&store, &c[3], "f3")).unwrap();
        publish_at(&store, AT + 7 * DAY_MS);
        let s = run(stats(&store, NOW)).unwrap();
        let fitness = s
            .releases
            .iter()
            .find(|r| r.niche == Niche::Fitness)
            .unwrap();
        assert_eq!(fitness.period, period_of_day(20_454, 7) + 1);
        assert_eq!(fitness.sample_size, Some(7));
    }

    #[test]
    fn storage_faults_are_500s() {
        let store = MemoryStore::new();
        let c = accounts(&store, &["a"]);
        store.fail.set(true);
        let e = extract(&store, &c[0], json!({"account_id": "a"})).unwrap_err();
        assert_eq!(
            (e.status(), e.body().error.message.as_str()),
            (500, "internal error")
        );
        assert_eq!(run(stats(&store, NOW)).unwrap_err().status(), 500);
        assert_eq!(
            apply(&store, &c[0], json!({"account_id": "a"}))
                .unwrap_err()
                .status(),
            500
        );
    }
}
