//! Ad networks beyond the three platform classes, and the class each one maps onto.
//!
//! The 19-feature vector, the wisdom release and the CTR encodings keep their three platform
//! classes ([`Platform`]). Every ad network a record can come from maps onto one class by the
//! kind of inventory it sells:
//!
//! | network | wire names accepted | class | why |
//! |---|---|---|---|
//! | Meta | `meta`, `facebook`, `instagram` | `meta` | itself |
//! | TikTok | `tiktok` | `tiktok` | itself |
//! | Google Ads | `google_ads`, `google` | `google_ads` | itself |
//! | Microsoft Advertising | `microsoft_ads`, `bing`, `microsoft` | `google_ads` | search ads |
//! | X (Twitter) | `x`, `twitter` | `meta` | social feed |
//! | LinkedIn | `linkedin` | `meta` | social feed |
//! | Pinterest | `pinterest` | `meta` | social feed |
//! | Snapchat | `snapchat` | `tiktok` | short video |
//!
//! Pinterest and Snapchat have no built-in export shape (their UI download column names could
//! not be verified from public documentation); their exports import through a column-mapping
//! file naming the network ([`crate::import::mapping`]).
//!
//! A record keeps both: `platform` is the class (what every model and release sees) and
//! `network` names the real network when it is not the class itself. The normalizer reads the
//! network's own benchmark row ([`crate::benchmarks::Benchmarks::get_network`]); the seed table
//! has none for the three new networks, an explicit "no benchmark" state that the normalizer
//! reports instead of silently using the class's row ([`crate::normalize::Normalizer::normalize_network`]).

use crate::error::{Error, ErrorCode, Result};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An ad network a record can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", try_from = "String")]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
pub enum AdNetwork {
    /// Meta (Facebook, Instagram): the `meta` class itself.
    Meta,
    /// TikTok: the `tiktok` class itself.
    Tiktok,
    /// Google Ads: the `google_ads` class itself.
    GoogleAds,
    /// Microsoft Advertising (Bing): search, class `google_ads`.
    MicrosoftAds,
    /// X (Twitter): social feed, class `meta`.
    X,
    /// LinkedIn: social feed, class `meta`.
    Linkedin,
    /// Pinterest: social feed, class `meta`.
    Pinterest,
    /// Snapchat: short video, class `tiktok`.
    Snapchat,
}

impl AdNetwork {
    /// Every network, classes first.
    pub const ALL: [AdNetwork; 8] = [
        AdNetwork::Meta,
        AdNetwork::Tiktok,
        AdNetwork::GoogleAds,
        AdNetwork::MicrosoftAds,
        AdNetwork::X,
        AdNetwork::Linkedin,
        AdNetwork::Pinterest,
        AdNetwork::Snapchat,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AdNetwork::Meta => "meta",
            AdNetwork::Tiktok => "tiktok",
            AdNetwork::GoogleAds => "google_ads",
            AdNetwork::MicrosoftAds => "microsoft_ads",
            AdNetwork::X => "x",
            AdNetwork::Linkedin => "linkedin",
            AdNetwork::Pinterest => "pinterest",
            AdNetwork::Snapchat => "snapchat",
        }
    }

    /// The platform class the network maps onto (module docs).
    pub fn class(self) -> Platform {
        match self {
            AdNetwork::Meta | AdNetwork::X | AdNetwork::Linkedin | AdNetwork::Pinterest => {
                Platform::Meta
            }
            AdNetwork::Tiktok | AdNetwork::Snapchat => Platform::Tiktok,
            AdNetwork::GoogleAds | AdNetwork::MicrosoftAds => Platform::GoogleAds,
        }
    }

    /// True for the three networks that are their own class.
    pub fn is_class(self) -> bool {
        matches!(
            self,
            AdNetwork::Meta | AdNetwork::Tiktok | AdNetwork::GoogleAds
        )
    }

    /// The network that is the class itself (`None` for `unknown`).
    pub fn of_class(p: Platform) -> Option<AdNetwork> {
        match p {
            Platform::Meta => Some(AdNetwork::Meta),
            Platform::Tiktok => Some(AdNetwork::Tiktok),
            Platform::GoogleAds => Some(AdNetwork::GoogleAds),
            Platform::Unknown => None,
        }
    }
}

impl fmt::Display for AdNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AdNetwork {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "meta" | "facebook" | "instagram" => Ok(AdNetwork::Meta),
            "tiktok" => Ok(AdNetwork::Tiktok),
            "google_ads" | "google" | "googleads" => Ok(AdNetwork::GoogleAds),
            "microsoft_ads" | "microsoft" | "bing" | "bing_ads" | "microsoft_advertising" => {
                Ok(AdNetwork::MicrosoftAds)
            }
            "x" | "twitter" | "x_ads" | "twitter_ads" => Ok(AdNetwork::X),
            "linkedin" | "linkedin_ads" => Ok(AdNetwork::Linkedin),
            "pinterest" | "pinterest_ads" => Ok(AdNetwork::Pinterest),
            "snapchat" | "snapchat_ads" | "snap" => Ok(AdNetwork::Snapchat),
            _ => Err(Error::field(
                ErrorCode::UnknownValue,
                "platform",
                format!(
                    "unknown ad network {s:?}; expected one of meta, tiktok, google_ads, \
                     microsoft_ads (bing), x (twitter), linkedin, pinterest, snapchat"
                ),
            )),
        }
    }
}

impl TryFrom<String> for AdNetwork {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_network_maps_onto_a_known_class_and_round_trips() {
        for n in AdNetwork::ALL {
            assert!(Platform::KNOWN.contains(&n.class()));
            assert_eq!(n.as_str().parse::<AdNetwork>(), Ok(n));
            assert_eq!(n.is_class(), AdNetwork::of_class(n.class()) == Some(n));
        }
        assert_eq!("Bing".parse::<AdNetwork>(), Ok(AdNetwork::MicrosoftAds));
        assert_eq!("twitter".parse::<AdNetwork>(), Ok(AdNetwork::X));
        assert_eq!(AdNetwork::MicrosoftAds.class(), Platform::GoogleAds);
        assert_eq!(AdNetwork::Linkedin.class(), Platform::Meta);
        assert_eq!(AdNetwork::Snapchat.class(), Platform::Tiktok);
        let e = "myspace".parse::<AdNetwork>().unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownValue);
    }
}
