//! Zero-concentrated differential privacy (zCDP) accounting for the niche-wisdom releases.
//!
//! - A mechanism that is `ε`-DP (pure) is `ρ = ε²/2`-zCDP ([`rho_of_pure_epsilon`]).
//! - The (discrete) Gaussian mechanism with L2 sensitivity `Δ` and noise parameter `σ` is
//!   `ρ = Δ² / (2σ²)`-zCDP ([`rho_of_gaussian`]); it holds for the discrete Gaussian on integer
//!   sums with integer sensitivity (Canonne, Kamath & Steinke 2020).
//! - zCDP composes by adding `ρ`.
//! - `ρ`-zCDP implies `(ε, δ)`-DP for every `δ > 0` with `ε = ρ + 2·sqrt(ρ·ln(1/δ))`
//!   ([`epsilon_of_rho`], Bun & Steinke 2016, Proposition 1.3); [`rho_for_epsilon`] inverts it.
//!
//! [`PrivacyLedger`] keeps, per account, the releases its data entered and the `ρ` each spent,
//! over a rolling window (default 365 days); [`PrivacyLedger::check`] refuses a release that would
//! take any contributing account above the window's cap with the named error
//! [`BUDGET_EXCEEDED`] (field `budget.rho_cap`), so the caller publishes nothing.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The message prefix of the error a release that would exceed an account's budget fails with.
pub const BUDGET_EXCEEDED: &str = "privacy_budget_exceeded";

/// `ρ` of an `ε`-DP (pure) mechanism: `ε²/2`.
pub fn rho_of_pure_epsilon(epsilon: f64) -> f64 {
    epsilon * epsilon / 2.0
}

/// `ρ` of the Gaussian mechanism with L2 sensitivity `delta_l2` and noise parameter `sigma`.
pub fn rho_of_gaussian(delta_l2: f64, sigma: f64) -> f64 {
    delta_l2 * delta_l2 / (2.0 * sigma * sigma)
}

/// The noise parameter `σ` that makes a Gaussian mechanism with L2 sensitivity `delta_l2`
/// exactly `rho`-zCDP.
pub fn sigma_for_rho(delta_l2: f64, rho: f64) -> f64 {
    delta_l2 / (2.0 * rho).sqrt()
}

/// `ε` at `δ` implied by `ρ`-zCDP: `ρ + 2·sqrt(ρ·ln(1/δ))`.
pub fn epsilon_of_rho(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// The largest `ρ` whose [`epsilon_of_rho`] at `delta` is `epsilon` (solves the quadratic in
/// `sqrt(ρ)`).
pub fn rho_for_epsilon(epsilon: f64, delta: f64) -> f64 {
    let l = (1.0 / delta).ln();
    let s = -l.sqrt() + (l + epsilon).sqrt();
    s * s
}

/// One release an account's data entered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The release's id (e.g. `"2026-11/fitness"`): no account id, no text.
    pub release_id: String,
    /// Day of the release (days since 1970-01-01).
    pub day: i64,
    /// `ρ` the release spent on every account in it.
    pub rho: f64,
}

/// The accounting policy: caps on what an account may spend over a rolling window.
///
/// Two caps hold together: `ρ` of the zCDP releases alone (`rho_cap`), and the account's total
/// `ε` at [`ACCOUNTING_DELTA`] over every release its data entered (`epsilon_cap`), where pure
/// `ε`-DP releases (format 1) add their `ε` and the zCDP releases add `ε(Σρ, δ)`
/// ([`total_epsilon`], basic composition).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetPolicy {
    /// Most `ρ` an account may spend within any window. Default 1.35 (`ε` 10 at `δ` 1e-6).
    pub rho_cap: f64,
    /// Most total `ε` at [`ACCOUNTING_DELTA`] an account may spend within any window, pure and
    /// zCDP releases together ([`total_epsilon`]). Default 10.
    pub epsilon_cap: f64,
    /// The window's length in days. Default 365.
    pub window_days: i64,
}

/// The `δ` at which an account's total loss is stated and capped: 1e-6.
pub const ACCOUNTING_DELTA: f64 = 1e-6;

/// An account's total `ε` at `delta` from `pure_epsilon` of pure `ε`-DP releases and `rho` of
/// zCDP releases: `pure_epsilon + ε(ρ, δ)` (basic composition of the two parts; 0 spent is 0).
pub fn total_epsilon(pure_epsilon: f64, rho: f64, delta: f64) -> f64 {
    let zcdp = if rho > 0.0 {
        epsilon_of_rho(rho, delta)
    } else {
        0.0
    };
    pure_epsilon + zcdp
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        BudgetPolicy {
            rho_cap: 1.35,
            epsilon_cap: 10.0,
            window_days: 365,
        }
    }
}

impl BudgetPolicy {
    /// Checks the values (`rho_cap` finite and > 0, `window_days` >= 1).
    pub fn validate(&self) -> Result<()> {
        if !(self.rho_cap.is_finite() && self.rho_cap > 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "budget.rho_cap",
                format!("must be finite and > 0, got {}", self.rho_cap),
            ));
        }
        if !(self.epsilon_cap.is_finite() && self.epsilon_cap > 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "budget.epsilon_cap",
                format!("must be finite and > 0, got {}", self.epsilon_cap),
            ));
        }
        if self.window_days < 1 {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "budget.window_days",
                format!("must be >= 1, got {}", self.window_days),
            ));
        }
        Ok(())
    }
}

/// Per-account zCDP ledger. Account ids stay in the ledger; only [`LedgerEntry`]s (release ids
/// and `ρ`) are shown to the account itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PrivacyLedger {
    accounts: BTreeMap<String, Vec<LedgerEntry>>,
}

impl PrivacyLedger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// `ρ` `account` spent in the window ending at `day` (releases on days `day - window + 1
    /// ..= day`).
    pub fn spent(&self, account: &str, day: i64, policy: &BudgetPolicy) -> f64 {
        self.accounts.get(account).map_or(0.0, |v| {
            v.iter()
                .filter(|e| e.day > day - policy.window_days && e.day <= day)
                .map(|e| e.rho)
                .sum()
        })
    }

    /// The releases `account`'s data entered, oldest first (what `GET
    /// /api/accounts/{id}/privacy` shows the account).
    pub fn entries(&self, account: &str) -> &[LedgerEntry] {
        self.accounts.get(account).map_or(&[][..], |v| &v[..])
    }

    /// Whether a release on `day` spending `rho` on each of `accounts` stays within the cap for
    /// all of them. Fails with [`BUDGET_EXCEEDED`] (field `budget.rho_cap`) naming how many
    /// accounts would exceed it (never which).
    pub fn check<'a>(
        &self,
        accounts: impl IntoIterator<Item = &'a str>,
        day: i64,
        rho: f64,
        policy: &BudgetPolicy,
    ) -> Result<()> {
        policy.validate()?;
        if !(rho.is_finite() && rho >= 0.0) {
            return Err(Error::field(
                ErrorCode::InvalidValue,
                "rho",
                format!("must be finite and >= 0, got {rho}"),
            ));
        }
        let over = accounts
            .into_iter()
            .filter(|a| self.spent(a, day, policy) + rho > policy.rho_cap * (1.0 + 1e-12))
            .count();
        if over > 0 {
            return Err(Error::field(
                ErrorCode::Unsupported,
                "budget.rho_cap",
                format!(
                    "{BUDGET_EXCEEDED}: the release (rho {rho}) would take {over} account(s) past \
                     rho {} within {} days; nothing is published",
                    policy.rho_cap, policy.window_days
                ),
            ));
        }
        Ok(())
    }

    /// [`check`](Self::check), then record the release for every account.
    pub fn charge<'a>(
        &mut self,
        accounts: impl IntoIterator<Item = &'a str> + Clone,
        day: i64,
        rho: f64,
        release_id: &str,
        policy: &BudgetPolicy,
    ) -> Result<()> {
        self.check(accounts.clone(), day, rho, policy)?;
        for a in accounts {
            self.accounts
                .entry(a.to_string())
                .or_default()
                .push(LedgerEntry {
                    release_id: release_id.to_string(),
                    day,
                    rho,
                });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_and_rho_invert() {
        for eps in [0.5, 1.0, 3.0, 10.0] {
            let rho = rho_for_epsilon(eps, 1e-6);
            assert!((epsilon_of_rho(rho, 1e-6) - eps).abs() < 1e-9);
        }
        assert!((rho_of_gaussian(2.0, 4.0) - 0.125).abs() < 1e-15);
        assert!((sigma_for_rho(2.0, 0.125) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn total_epsilon_adds_pure_epsilon_to_the_zcdp_part() {
        assert_eq!(total_epsilon(0.0, 0.0, ACCOUNTING_DELTA), 0.0);
        assert_eq!(total_epsilon(5.85, 0.0, ACCOUNTING_DELTA), 5.85);
        let rho = 0.227;
        let t = total_epsilon(5.85, rho, ACCOUNTING_DELTA);
        assert!((t - 5.85 - epsilon_of_rho(rho, ACCOUNTING_DELTA)).abs() < 1e-12);
        // The production year (docs/privacy.md): 13 format-1 releases at 0.45 and format 2.
        assert!(t < 10.0 && t > 9.5, "{t}");
    }

    #[test]
    fn an_epsilon_cap_that_is_not_positive_is_a_named_error() {
        for cap in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let p = BudgetPolicy {
                epsilon_cap: cap,
                ..BudgetPolicy::default()
            };
            let e = p.validate().unwrap_err();
            assert_eq!(e.field.as_deref(), Some("budget.epsilon_cap"), "{cap}");
        }
    }

    #[test]
    fn ledger_refuses_past_the_cap_and_forgets_after_the_window() {
        let p = BudgetPolicy {
            rho_cap: 0.25,
            window_days: 365,
            ..BudgetPolicy::default()
        };
        let mut l = PrivacyLedger::new();
        for m in 0..2 {
            l.charge(["a", "b"], m * 30, 0.1, &format!("r{m}"), &p)
                .unwrap();
        }
        let e = l.charge(["a", "c"], 60, 0.1, "r2", &p).unwrap_err();
        assert!(e.message.starts_with(BUDGET_EXCEEDED));
        assert_eq!(e.field.as_deref(), Some("budget.rho_cap"));
        assert!(l.entries("c").is_empty(), "nothing recorded on refusal");
        // A year after the first release, it leaves the window.
        l.charge(["a"], 365, 0.1, "r3", &p).unwrap();
        assert_eq!(l.entries("a").len(), 3);
    }
}
