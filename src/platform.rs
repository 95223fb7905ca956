//! Ad platforms.
//!
//! The wire names are `meta`, `tiktok`, `google_ads` and `unknown`, in that (significant) order:
//! seed-parity code iterates platforms in this order. A few common aliases are accepted on input
//! (`facebook`/`instagram` -> `meta`, `google` -> `google_ads`); any other string is an error
//! naming the value, never silently mapped to `unknown`. `unknown` itself is explicit: a caller
//! that does not know the platform says so, and each operation documents how it treats it.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An advertising platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum Platform {
    /// Meta (Facebook, Instagram).
    Meta,
    /// TikTok.
    Tiktok,
    /// Google Ads.
    GoogleAds,
    /// The caller does not know the platform.
    Unknown,
}

impl Platform {
    /// All platforms in the seed's enum order.
    pub const ALL: [Platform; 4] = [
        Platform::Meta,
        Platform::Tiktok,
        Platform::GoogleAds,
        Platform::Unknown,
    ];
    /// The three real platforms, in order.
    pub const KNOWN: [Platform; 3] = [Platform::Meta, Platform::Tiktok, Platform::GoogleAds];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Meta => "meta",
            Platform::Tiktok => "tiktok",
            Platform::GoogleAds => "google_ads",
            Platform::Unknown => "unknown",
        }
    }

    /// Position in [`Platform::ALL`], used to index fixed-size per-platform arrays.
    pub fn index(self) -> usize {
        match self {
            Platform::Meta => 0,
            Platform::Tiktok => 1,
            Platform::GoogleAds => 2,
            Platform::Unknown => 3,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "meta" | "facebook" | "instagram" => Ok(Platform::Meta),
            "tiktok" => Ok(Platform::Tiktok),
            "google_ads" | "google" | "googleads" => Ok(Platform::GoogleAds),
            "unknown" => Ok(Platform::Unknown),
            _ => Err(Error::field(
                ErrorCode::UnknownValue,
                "platform",
                format!(
                    "unknown platform {s:?}; expected one of meta, tiktok, google_ads, unknown"
                ),
            )),
        }
    }
}

impl TryFrom<String> for Platform {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_aliases_and_rejects_others() {
        assert_eq!("google_ads".parse::<Platform>(), Ok(Platform::GoogleAds));
        assert_eq!("Facebook".parse::<Platform>(), Ok(Platform::Meta));
        let e = "snapchat".parse::<Platform>().unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownValue);
        assert!(e.message.contains("snapchat"));
        let p: Platform = serde_json::from_str("\"tiktok\"").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"tiktok\"");
        assert!(serde_json::from_str::<Platform>("\"myspace\"").is_err());
    }
}
