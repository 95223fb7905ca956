//! `POST /api/accounts/{id}/ctr/score`: the grounded CTR model personalised with the account's
//! own stored records, for that account only.
//!
//! The same model as `POST /api/ctr/score` with `"model": "grounded"` (the embedded
//! `ctr-grounded-v1.json` on the latest published releases of the niches involved), then
//! [`personalise`]d on the account's records: its own intercept, deviations of the attribute
//! values it used and its own creative spread, as the editor does on the device with an imported
//! CSV. The records are read from D1 by the account's own token (or the operator's) and never
//! leave the Worker; nothing is stored. A record without a niche takes the account's niche (the
//! niche most of its records declare, else the classifier over its ad texts).

use crate::error::ApiError;
use crate::ports::{Accounts, Records, Releases};
use crate::service::accounts::{check_account_id, owned};
use crate::service::auth::{internal, Caller};
use crate::service::compute::{
    grounded_on, grounded_scores, published_releases, ScoreResponse, MAX_SCORE_ROWS,
};
use crate::service::crosslearning::records_niche;
use crosslearn::model::grounded::{personalise, CreativeObs};
use crosslearn::model::CreativeAttributes;
use crosslearn::niche::{Niche, NicheModel};
use crosslearn::record::CreativeRecord;
use serde::{Deserialize, Serialize};

/// Most of the account's records one personalisation reads: the newest by `date_start`
/// (undated ones last, then by record id). Bounds the CPU time per request: personalisation
/// costs about 0.2 ms per record natively (100 / 500 / 2,000 / 10,000 records: 25 / 82 / 375 /
/// 2,145 ms, x86-64 release, a loaded 2-core machine), and the simulator's personalisation gains flatten by about 100
/// own creatives (docs/ctr.md). The editor, on the device, has no such cap.
pub const MAX_PERSONAL_RECORDS: usize = 500;

/// `POST /api/accounts/{id}/ctr/score` body.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountScoreRequest {
    /// Creatives to score (at most 10,000), as for `/api/ctr/score`.
    pub creatives: Vec<CreativeAttributes>,
}

/// What the personalisation used.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct PersonalisationReport {
    /// The account's stored records.
    pub records: usize,
    /// Records read (at most the newest [`MAX_PERSONAL_RECORDS`]).
    pub read: usize,
    /// Records the model learned from.
    pub used: usize,
    /// Records skipped (no impressions, more clicks than impressions, unknown platform).
    pub skipped: usize,
    /// Why the prediction is the population model's, when it is (no usable record).
    pub unchanged_reason: Option<String>,
    /// The niche a record without one was given (the account's; `unknown` without records).
    pub account_niche: Niche,
}

/// `POST /api/accounts/{id}/ctr/score` answer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AccountScoreResponse {
    /// The account.
    pub account_id: String,
    /// The model and the scores (`ctr` is the predictive median for this account's creative,
    /// `low`..`high` its 95 % predictive interval: no between-account spread once the account's
    /// own records are used).
    #[serde(flatten)]
    pub score: ScoreResponse,
    /// What the personalisation used.
    pub personalisation: PersonalisationReport,
}

/// The newest [`MAX_PERSONAL_RECORDS`] records (by `date_start`, undated last, then record id).
fn newest(mut records: Vec<CreativeRecord>) -> Vec<CreativeRecord> {
    if records.len() > MAX_PERSONAL_RECORDS {
        records.sort_by(|a, b| {
            b.date_start
                .is_some()
                .cmp(&a.date_start.is_some())
                .then_with(|| b.date_start.cmp(&a.date_start))
                .then_with(|| a.record_id.cmp(&b.record_id))
        });
        records.truncate(MAX_PERSONAL_RECORDS);
    }
    records
}

/// Score `req.creatives` for the account with the grounded model personalised on its records.
pub async fn account_score<S: Accounts + Records, R: Releases>(
    store: &S,
    kv: &R,
    caller: &Caller,
    niche_model: &NicheModel,
    account_id: &str,
    req: AccountScoreRequest,
) -> Result<AccountScoreResponse, ApiError> {
    check_account_id("id", account_id)?;
    owned(store, caller, account_id).await?;
    if req.creatives.len() > MAX_SCORE_ROWS {
        return Err(ApiError::Invalid {
            code: "invalid_value",
            field: Some("creatives".into()),
            message: format!(
                "at most {MAX_SCORE_ROWS} per request, got {}",
                req.creatives.len()
            ),
        });
    }
    for (i, c) in req.creatives.iter().enumerate() {
        c.validate()
            .map_err(|e| ApiError::from(e.within(&format!("creatives[{i}]"))))?;
    }
    let stored = store.records(account_id).await.map_err(internal)?;
    let records = stored.len();
    let account_niche = if stored.is_empty() {
        Niche::Unknown
    } else {
        records_niche(niche_model, &stored).niche
    };
    let own = newest(stored);
    let obs: Vec<CreativeObs> = own
        .iter()
        .map(|r| {
            let mut attrs = CreativeAttributes::from(r);
            if attrs.niche.is_none() && account_niche != Niche::Unknown {
                attrs.niche = Some(account_niche);
            }
            CreativeObs {
                account: account_id.to_string(),
                attrs,
                impressions: r.impressions,
                clicks: r.clicks,
            }
        })
        .collect();
    let (releases, tables) = published_releases(kv).await?;
    let extra = (account_niche != Niche::Unknown).then_some(account_niche);
    let model = grounded_on(&req.creatives, extra, &releases, &tables)?;
    let p = personalise(&model, &obs)?;
    Ok(AccountScoreResponse {
        account_id: account_id.to_string(),
        score: grounded_scores(&p.model, &req.creatives)?,
        personalisation: PersonalisationReport {
            records,
            read: obs.len(),
            used: p.used,
            skipped: p.skipped.len(),
            unchanged_reason: p.unchanged_reason,
            account_niche,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::models::GROUNDED_MODEL;
    use crate::testing::fixtures::{account, niche_model};
    use crate::testing::{run, MemoryStore};
    use crosslearn::model::grounded::GroundedModel;
    use serde_json::json;

    fn creative() -> CreativeAttributes {
        serde_json::from_value(json!({"platform": "meta", "niche": "fitness",
            "hook_type": "question", "cta_style": "shop_now", "visual_tags": [],
            "format": "video", "duration_s": 20.0, "posting_hour": 19}))
        .unwrap()
    }

    fn call(
        store: &MemoryStore,
        caller: &Caller,
        id: &str,
        creatives: Vec<CreativeAttributes>,
    ) -> Result<AccountScoreResponse, ApiError> {
        run(account_score(
            store,
            &MemoryStore::new(),
            caller,
            niche_model(),
            id,
            AccountScoreRequest { creatives },
        ))
    }

    #[test]
    fn personalises_on_the_accounts_own_records_exactly_as_the_core() {
        let store = MemoryStore::new();
        account(&store, "gym", "fitness", false);
        let me = Caller::Account("gym".into());
        let out = call(&store, &me, "gym", vec![creative()]).unwrap();
        // The core's personalisation of the same records (the fixture declares the niche).
        let records = run(store.records("gym")).unwrap();
        assert!(!records.is_empty());
        let population =
            GroundedModel::from_json(std::str::from_utf8(GROUNDED_MODEL).unwrap()).unwrap();
        let obs: Vec<CreativeObs> = records
            .iter()
            .map(|r| CreativeObs {
                account: "gym".into(),
                attrs: CreativeAttributes::from(r),
                impressions: r.impressions,
                clicks: r.clicks,
            })
            .collect();
        let p = personalise(&population, &obs).unwrap();
        assert!(p.used > 0);
        let want = p.model.predict(&creative()).unwrap();
        assert_eq!(
            (
                out.score.scores[0].ctr,
                out.score.scores[0].low,
                out.score.scores[0].high
            ),
            (want.ctr, want.low, want.high)
        );
        assert_ne!(want, population.predict(&creative()).unwrap());
        assert_eq!(out.personalisation.records, records.len());
        assert_eq!(out.personalisation.used, p.used);
        assert_eq!(out.personalisation.account_niche, Niche::Fitness);
        assert_eq!(out.personalisation.unchanged_reason, None);
        assert_eq!(out.score.model.releases, Some(vec![]));
    }

    #[test]
    fn without_records_it_is_the_population_model_and_says_why() {
        let store = MemoryStore::new();
        let new = crate::ports::Account {
            account_id: "new".into(),
            created_at: "t".into(),
        };
        assert!(run(store.create_account(&new, "h-new")).unwrap());
        let out = call(
            &store,
            &Caller::Account("new".into()),
            "new",
            vec![creative()],
        )
        .unwrap();
        let population =
            GroundedModel::from_json(std::str::from_utf8(GROUNDED_MODEL).unwrap()).unwrap();
        assert_eq!(
            out.score.scores[0].ctr,
            population.predict(&creative()).unwrap().ctr
        );
        assert_eq!(out.personalisation.used, 0);
        assert_eq!(
            out.personalisation.unchanged_reason.as_deref(),
            Some("no records given")
        );
        assert_eq!(out.personalisation.account_niche, Niche::Unknown);
    }

    #[test]
    fn only_the_accounts_own_token_and_named_errors() {
        let store = MemoryStore::new();
        account(&store, "gym", "fitness", false);
        account(&store, "other", "beauty", false);
        let e = call(
            &store,
            &Caller::Account("other".into()),
            "gym",
            vec![creative()],
        )
        .unwrap_err();
        assert_eq!(e.status(), 403);
        let e = call(&store, &Caller::Operator, "ghost", vec![creative()]).unwrap_err();
        assert_eq!(e.status(), 404);
        let mut late = creative();
        late.posting_hour = Some(31);
        let e = call(
            &store,
            &Caller::Account("gym".into()),
            "gym",
            vec![creative(), late],
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("creatives[1].posting_hour"));
    }

    #[test]
    fn reads_at_most_the_newest_records() {
        let mut rs: Vec<CreativeRecord> = Vec::new();
        let store = MemoryStore::new();
        account(&store, "gym", "fitness", false);
        let template = run(store.records("gym")).unwrap()[0].clone();
        for i in 0..MAX_PERSONAL_RECORDS + 5 {
            let mut r = template.clone();
            r.record_id = format!("r{i:05}");
            r.date_start = (i >= 5).then(|| format!("2026-{:02}-01", 1 + i % 12));
            rs.push(r);
        }
        let kept = newest(rs);
        assert_eq!(kept.len(), MAX_PERSONAL_RECORDS);
        assert!(kept.iter().all(|r| r.date_start.is_some()));
        assert_eq!(kept[0].date_start.as_deref(), Some("2026-12-01"));
    }
}
