//! Advice from niche wisdom: recommendations for an account ([`recommend`]) and the
//! cross-learning dashboard ([`dashboard`]), both from a private [`NicheWisdom`] release and,
//! when the account has data, its [`AccountInsight`]. Pure functions; every path is total (no
//! NaN, no panic) for empty accounts, new accounts and niches without a release.
//!
//! [`NicheWisdom`]: crate::wisdom::NicheWisdom
//! [`AccountInsight`]: crate::insights::AccountInsight

pub mod dashboard;
pub mod recommend;

pub use dashboard::{dashboard, Dashboard, DashboardOptions};
pub use recommend::{recommend, RecommendOptions, Recommendation, Recommendations, Strength};
