//! Industry niches and niche detection.
//!
//! The 15 niches of the original system (SEED-SPEC §3.1, seeds/000), plus an explicit `unknown`.
//! Wire names are snake_case. The enum order is significant: seed-parity keyword detection breaks
//! ties by it.
//!
//! Detection comes in two modes:
//! - **Seed** ([`seed_keyword_niche`]): the original's substring keyword count, bit for bit.
//! - **Classifier** ([`NicheModel`]): a small multinomial logistic regression on hashed word and
//!   character n-grams plus a word-boundary keyword prior, with calibrated confidence, top-3
//!   alternatives and `unknown` below a threshold. The model is loaded from bytes
//!   ([`NicheModel::from_bytes`], file `models/niche-v1.bin`); this module does no file I/O.
//!   [`account_niche`] gives an account's niche from its declared niche or its ad texts.
//!
//! Submodules: [`text`] (normalization, tokens), [`keyword`] (both keyword methods), [`hashing`]
//! (features), [`model`] (binary format, quantization), [`classifier`] (inference), [`train`]
//! (deterministic training), [`eval`] (metrics), [`corpus`] (training data from CSV text).

pub mod classifier;
pub mod corpus;
pub mod eval;
pub mod hashing;
pub mod keyword;
pub mod model;
pub mod text;
pub mod train;

pub use classifier::{
    account_niche, account_niche_with_declared, combine_declared, pool_account, AccountNiche,
    NicheDetection, NicheScore, ACCOUNT_SHARPENING, DECLARED_TRUST,
};
pub use keyword::{seed_keyword_niche, KeywordDetection};
pub use model::NicheModel;

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An industry niche.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Niche {
    /// Fitness, gyms, training.
    Fitness,
    /// Beauty, skincare, cosmetics.
    Beauty,
    /// Fashion, clothing, shoes.
    Fashion,
    /// Consumer tech, gadgets, apps.
    Tech,
    /// General online retail.
    Ecommerce,
    /// Food, restaurants, recipes.
    Food,
    /// Travel, hotels, flights.
    Travel,
    /// Finance, investing, banking.
    Finance,
    /// Education, courses.
    Education,
    /// Real estate.
    RealEstate,
    /// Business software (SaaS).
    Saas,
    /// Health, medical, wellness.
    Health,
    /// Entertainment, media, games.
    Entertainment,
    /// Home decor, furniture.
    HomeDecor,
    /// Cars, automotive.
    Automotive,
    /// Not known / not detected.
    Unknown,
}

impl Niche {
    /// The 15 real niches, in the seed's enum order.
    pub const ALL: [Niche; 15] = [
        Niche::Fitness,
        Niche::Beauty,
        Niche::Fashion,
        Niche::Tech,
        Niche::Ecommerce,
        Niche::Food,
        Niche::Travel,
        Niche::Finance,
        Niche::Education,
        Niche::RealEstate,
        Niche::Saas,
        Niche::Health,
        Niche::Entertainment,
        Niche::HomeDecor,
        Niche::Automotive,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Niche::Fitness => "fitness",
            Niche::Beauty => "beauty",
            Niche::Fashion => "fashion",
            Niche::Tech => "tech",
            Niche::Ecommerce => "ecommerce",
            Niche::Food => "food",
            Niche::Travel => "travel",
            Niche::Finance => "finance",
            Niche::Education => "education",
            Niche::RealEstate => "real_estate",
            Niche::Saas => "saas",
            Niche::Health => "health",
            Niche::Entertainment => "entertainment",
            Niche::HomeDecor => "home_decor",
            Niche::Automotive => "automotive",
            Niche::Unknown => "unknown",
        }
    }

    /// Position in [`Niche::ALL`]; `None` for `unknown`.
    pub fn index(self) -> Option<usize> {
        Niche::ALL.iter().position(|n| *n == self)
    }
}

impl fmt::Display for Niche {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Niche {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        if t == "unknown" {
            return Ok(Niche::Unknown);
        }
        Niche::ALL
            .into_iter()
            .find(|n| n.as_str() == t)
            .ok_or_else(|| {
                Error::field(
                    ErrorCode::UnknownValue,
                    "niche",
                    format!("unknown niche {s:?}; expected one of the 15 niches or unknown"),
                )
            })
    }
}

impl TryFrom<String> for Niche {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_all_names() {
        for n in Niche::ALL {
            assert_eq!(n.as_str().parse::<Niche>(), Ok(n));
        }
        assert_eq!("Real Estate".parse::<Niche>(), Ok(Niche::RealEstate));
        assert!("crypto".parse::<Niche>().is_err());
    }
}
