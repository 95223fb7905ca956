//! Controlled vocabularies: hook type, CTA style, visual tag and format.
//!
//! The terms start from the seed documents (seeds/000: hook types `question`, `pain_point`,
//! `curiosity_gap`; CTA styles `learn_more`, `shop_now`, `sign_up`, `get_started`; visual patterns
//! `fast_cuts`, `text_overlay`, `product_demo`, `before_after`) and extend them with the common
//! platform terms (Meta's CTA buttons, TikTok's creative styles). Every vocabulary has explicit
//! escape values:
//!
//! - `other`: the value is known and is none of the listed terms;
//! - `unknown`: the value is not known (not declared, not recoverable from the source);
//! - CTA style also has `none`: the creative has no call to action at all.
//!
//! Parsing is strict. Case, surrounding spaces, `-` and spaces (as `_`) are normalised, and a few
//! platform spellings are accepted as aliases (e.g. Meta's `SHOP_NOW`, `BOOK_TRAVEL`), but any other
//! string is an [`ErrorCode::UnknownValue`] error that names the value: an unrecognised term is
//! never coerced to `other` or dropped.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Lower-case, trim, and turn spaces and dashes into underscores.
fn canonical(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, field = $field:literal,
        variants { $( $(#[$vdoc:meta])* $var:ident = $wire:literal ),+ $(,)? }
        aliases { $( $alias:literal => $avar:ident ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case", try_from = "String")]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        #[cfg_attr(feature = "wasm-lite", derive(tsify::Tsify))]
        pub enum $name {
            $( $(#[$vdoc])* $var, )+
        }

        impl $name {
            /// Every term, in declaration order (the escape values last).
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $wire,)+ }
            }

            /// Position in [`Self::ALL`], for fixed-size per-term tables.
            pub fn index(self) -> usize {
                self as usize
            }

            /// The record field this vocabulary fills, used in error paths.
            pub const FIELD: &'static str = $field;
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                let t = canonical(s);
                $( if t == $wire { return Ok($name::$var); } )+
                $( if t == $alias { return Ok($name::$avar); } )*
                let expected: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                Err(Error::field(
                    ErrorCode::UnknownValue,
                    $field,
                    format!("unknown {} {:?}; expected one of {}", $field, s, expected.join(", ")),
                ))
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                s.parse()
            }
        }
    };
}

vocabulary! {
    /// How the creative opens: the device used in its first line or first seconds.
    HookType, field = "hook_type",
    variants {
        /// Opens with a question to the viewer ("Looking for a gym that fits your schedule?").
        Question = "question",
        /// Opens with a count or list ("5 ways to...", "Top 10...").
        NumberList = "number_list",
        /// Names a problem or frustration the viewer has ("Tired of crowded gyms?").
        PainPoint = "pain_point",
        /// Withholds information to tease ("The secret to...", "You won't believe...").
        CuriosityGap = "curiosity_gap",
        /// Leads with a price, discount, free item or deal ("Enroll for $0 today!").
        Offer = "offer",
        /// Leads with others' endorsement or popularity ("Join 10,000 members", "#1 rated").
        SocialProof = "social_proof",
        /// Leads with time pressure ("Last chance", "Ends Sunday").
        Urgency = "urgency",
        /// Announces something new ("Coming soon", "Now open", "Introducing").
        Announcement = "announcement",
        /// A strong, unqualified claim ("The best pizza in town.").
        BoldClaim = "bold_claim",
        /// Tells a short story or testimonial scene.
        Story = "story",
        /// Known, and none of the above.
        Other = "other",
        /// Not known.
        Unknown = "unknown",
    }
    aliases {
        "number" => NumberList,
        "list" => NumberList,
        "listicle" => NumberList,
        "discount" => Offer,
        "curiosity" => CuriosityGap,
        "pain" => PainPoint,
    }
}

vocabulary! {
    /// The call to action the creative asks for.
    CtaStyle, field = "cta_style",
    variants {
        /// "Learn more", "find out more", "read more".
        LearnMore = "learn_more",
        /// "Shop now", "shop the sale".
        ShopNow = "shop_now",
        /// "Sign up", "join now", "register", "enroll".
        SignUp = "sign_up",
        /// "Get started", "start your free trial", "try it free".
        GetStarted = "get_started",
        /// "Book now", "reserve", "schedule a visit".
        BookNow = "book_now",
        /// "Order now", "order online".
        OrderNow = "order_now",
        /// "Download", "get the app", "install now".
        Download = "download",
        /// "Claim your offer", "get offer", "redeem", "use code".
        GetOffer = "get_offer",
        /// "Get a quote".
        GetQuote = "get_quote",
        /// "Contact us", "message us".
        ContactUs = "contact_us",
        /// "Call now".
        CallNow = "call_now",
        /// "Apply now".
        ApplyNow = "apply_now",
        /// "Subscribe".
        Subscribe = "subscribe",
        /// "Watch now", "watch more".
        WatchMore = "watch_more",
        /// "Visit us", "stop by", "find a location".
        Visit = "visit",
        /// "Donate".
        Donate = "donate",
        /// The creative has no call to action.
        None = "none",
        /// Known, and none of the above.
        Other = "other",
        /// Not known.
        Unknown = "unknown",
    }
    aliases {
        "book_travel" => BookNow,
        "signup" => SignUp,
        "get_directions" => Visit,
        "donate_now" => Donate,
        "no_button" => None,
        "install_now" => Download,
        "install_mobile_app" => Download,
        "use_app" => Download,
        "watch_now" => WatchMore,
        "send_message" => ContactUs,
        "message_page" => ContactUs,
    }
}

vocabulary! {
    /// A visual pattern present in the creative. A creative has zero or more.
    VisualTag, field = "visual_tags",
    variants {
        /// Rapid editing, many cuts per second.
        FastCuts = "fast_cuts",
        /// Text burned into the image or video.
        TextOverlay = "text_overlay",
        /// The product shown in use.
        ProductDemo = "product_demo",
        /// A before/after comparison.
        BeforeAfter = "before_after",
        /// A person speaking to camera.
        TalkingHead = "talking_head",
        /// Aspirational everyday scenes.
        Lifestyle = "lifestyle",
        /// User-generated-content look (phone footage, creator style).
        Ugc = "ugc",
        /// A customer testimonial on screen.
        Testimonial = "testimonial",
        /// Animation or motion graphics.
        Animation = "animation",
        /// Close-up product or detail shots.
        CloseUp = "close_up",
        /// Split-screen composition.
        SplitScreen = "split_screen",
        /// Subtitles or captions of the audio.
        Captions = "captions",
        /// Known, and none of the above.
        Other = "other",
        /// Not known.
        Unknown = "unknown",
    }
    aliases {
        "subtitles" => Captions,
        "user_generated" => Ugc,
        "demo" => ProductDemo,
    }
}

vocabulary! {
    /// The creative's format.
    AdFormat, field = "format",
    variants {
        /// A single image.
        Image = "image",
        /// A video.
        Video = "video",
        /// Several swipeable cards.
        Carousel = "carousel",
        /// A collection / instant-experience unit.
        Collection = "collection",
        /// Full-screen vertical story placement creative.
        Story = "story",
        /// Text only (search ads).
        Text = "text",
        /// Known, and none of the above.
        Other = "other",
        /// Not known.
        Unknown = "unknown",
    }
    aliases {
        "single_image" => Image,
        "photo" => Image,
        "stories" => Story,
        "reel" => Video,
        "reels" => Video,
        "search" => Text,
    }
}

vocabulary! {
    /// How the creative's attributes (hook, CTA, format, visual tags, posting hour) were decided.
    /// Randomised creatives are an instrument: their attributes do not depend on how good the
    /// creative is, so the network can learn attribute effects from them without confounding
    /// (`docs/network-effect.md`, "An exploration cohort").
    #[derive(Default)]
    Assignment, field = "assignment",
    variants {
        /// Chosen by the advertiser (the default).
        #[default]
        Chosen = "chosen",
        /// Drawn at random by crosslearn's randomiser (`wisdom::explore`) and used as drawn.
        Randomised = "randomised",
    }
    aliases {
        "randomized" => Randomised,
    }
}

impl Assignment {
    /// Whether this is [`Assignment::Chosen`] (the default, not serialised).
    pub fn is_chosen(&self) -> bool {
        *self == Assignment::Chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for v in HookType::ALL {
            assert_eq!(v.as_str().parse::<HookType>(), Ok(*v));
        }
        for v in CtaStyle::ALL {
            assert_eq!(v.as_str().parse::<CtaStyle>(), Ok(*v));
        }
        for v in VisualTag::ALL {
            assert_eq!(v.as_str().parse::<VisualTag>(), Ok(*v));
        }
        for (i, v) in AdFormat::ALL.iter().enumerate() {
            assert_eq!(v.as_str().parse::<AdFormat>(), Ok(*v));
            assert_eq!(v.index(), i);
        }
        assert_eq!("SHOP_NOW".parse::<CtaStyle>(), Ok(CtaStyle::ShopNow));
        assert_eq!(" Pain-Point ".parse::<HookType>(), Ok(HookType::PainPoint));
        assert_eq!("BOOK_TRAVEL".parse::<CtaStyle>(), Ok(CtaStyle::BookNow));
    }

    #[test]
    fn unknown_terms_are_errors_naming_the_value() {
        let e = "jump_scare".parse::<HookType>().unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownValue);
        assert_eq!(e.field.as_deref(), Some("hook_type"));
        assert!(e.message.contains("jump_scare"));
        assert!(serde_json::from_str::<CtaStyle>("\"buy_buy_buy\"").is_err());
        let v: VisualTag = serde_json::from_str("\"before_after\"").unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), "\"before_after\"");
    }
}
