//! Column-mapping files: import an export in no known shape instead of failing.
//!
//! A mapping is a small text file, one `key = value` per line; `#` starts a comment, blank
//! lines are ignored, a value may be wrapped in double quotes:
//!
//! ```text
//! # my-network.map: the "Campaign results" download of some network
//! network = linkedin          # required: meta, tiktok, google_ads, microsoft_ads (bing), x (twitter),
//!                             #   linkedin, pinterest, snapchat
//! impressions = Views         # required: the header's column (case and spacing ignored)
//! clicks = Taps               # required
//! spend = "Cost (EUR)"        # required, or spend_micros = <column in millionths>
//! ad_id = Ad ref              # optional columns: ad_id, date, account_id, campaign_id,
//! date = Day                  #   headline, body, conversions, revenue, engagements,
//! body = Copy                 #   video_views, currency
//! account = my-brand          # optional constant account id (when no account_id column)
//! currency_code = EUR         # optional constant currency (when no currency column or sign)
//! ```
//!
//! The header may follow a report preamble; totals and footer lines are skipped; numbers and
//! dates are read in the file's locale, as for the built-in report formats ([`super::columns`]).
//! Record ids follow [`super::ids`] with the prefix `map`. A key that is not listed above, a
//! repeated key, an unknown network or a missing required key is an error naming the line.

use super::columns::{norm, Field, Spec};
use crate::error::{Error, ErrorCode, Result};
use crate::network::AdNetwork;
use std::str::FromStr;

/// A parsed column mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    network: AdNetwork,
    columns: Vec<(Field, String)>,
    account: Option<String>,
    currency: Option<String>,
}

fn bad(line: usize, msg: impl Into<String>) -> Error {
    Error::field(
        ErrorCode::InvalidValue,
        format!("mapping line {line}"),
        msg.into(),
    )
}

impl FromStr for ColumnMapping {
    type Err = Error;

    /// Parse a mapping file's text (module docs).
    fn from_str(text: &str) -> Result<Self> {
        let mut network = None;
        let mut columns: Vec<(Field, String)> = Vec::new();
        let (mut account, mut currency) = (None, None);
        let mut seen: Vec<String> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(n, format!("expected `key = value`, got {line:?}")));
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value)
                .trim()
                .to_string();
            if value.is_empty() {
                return Err(bad(n, format!("`{key}` has no value")));
            }
            if seen.contains(&key) {
                return Err(bad(n, format!("`{key}` is given twice")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "network" => {
                    network = Some(AdNetwork::from_str(&value).map_err(|e| bad(n, e.message))?)
                }
                "account" => account = Some(value),
                "currency_code" => {
                    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
                        return Err(bad(
                            n,
                            format!("currency_code {value:?} is not a three-letter ISO 4217 code"),
                        ));
                    }
                    currency = Some(value.to_ascii_uppercase());
                }
                k => match Field::ALL.iter().find(|f| f.key() == k) {
                    Some(f) => columns.push((*f, value)),
                    None => {
                        let known: Vec<&str> = Field::ALL.iter().map(|f| f.key()).collect();
                        return Err(bad(
                            n,
                            format!(
                                "unknown key `{k}`; expected network, account, currency_code or a column key ({})",
                                known.join(", ")
                            ),
                        ));
                    }
                },
            }
        }
        let network = network.ok_or_else(|| bad(0, "`network` is required"))?;
        let has = |f: Field| columns.iter().any(|(g, _)| *g == f);
        for f in [Field::Impressions, Field::Clicks] {
            if !has(f) {
                return Err(bad(0, format!("`{}` is required", f.key())));
            }
        }
        if !has(Field::Spend) && !has(Field::SpendMicros) {
            return Err(bad(0, "`spend` (or `spend_micros`) is required"));
        }
        Ok(ColumnMapping {
            network,
            columns,
            account,
            currency,
        })
    }
}

fn strip_comment(line: &str) -> &str {
    // A `#` inside double quotes is part of a column name.
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

impl ColumnMapping {
    /// The network the mapped rows come from.
    pub fn network(&self) -> AdNetwork {
        self.network
    }

    /// Whether a header line has every mapped column.
    pub(crate) fn matches(&self, header: &[&str]) -> bool {
        self.missing(header).is_empty()
    }

    fn missing(&self, header: &[&str]) -> Vec<&str> {
        let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
        self.columns
            .iter()
            .filter(|(_, c)| !normed.contains(&norm(c)))
            .map(|(_, c)| c.as_str())
            .collect()
    }

    /// The error when no line of the file has the mapped columns.
    pub(crate) fn no_header_error(&self) -> Error {
        let names: Vec<String> = self.columns.iter().map(|(_, c)| format!("'{c}'")).collect();
        Error::general(
            ErrorCode::Unsupported,
            format!(
                "no header line has every column the mapping names ({})",
                names.join(", ")
            ),
        )
    }

    /// The mapping as a column spec.
    pub(crate) fn spec(&self) -> Spec {
        Spec {
            network: self.network,
            prefix: "map",
            account_default: self
                .account
                .clone()
                .unwrap_or_else(|| "mapped-export".into()),
            currency_default: self.currency.clone(),
            columns: self
                .columns
                .iter()
                .map(|(f, c)| (*f, vec![norm(c)]))
                .collect(),
            strip_tco: self.network == AdNetwork::X,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example_and_names_bad_lines() {
        let m: ColumnMapping = "# example\nnetwork = bing\nimpressions = Views\nclicks = Taps # all taps\n\
                                spend = \"Cost # (EUR)\"\naccount = my-brand\ncurrency_code = eur\n"
            .parse()
            .unwrap();
        assert_eq!(m.network(), AdNetwork::MicrosoftAds);
        assert!(m.matches(&["Views", "taps", "Cost  # (EUR)", "other"]));
        assert!(!m.matches(&["Views", "Taps"]));
        assert_eq!(m.spec().currency_default.as_deref(), Some("EUR"));
        let e = "network = x\nimpressions = a\nclicks = b\nspend = c\ncolour = d\n"
            .parse::<ColumnMapping>()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("mapping line 5"));
        assert!(e.message.contains("colour"));
        let e = "network = myspace\n".parse::<ColumnMapping>().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("mapping line 1"));
        let e = "network = x\nclicks = b\nspend = c\n"
            .parse::<ColumnMapping>()
            .unwrap_err();
        assert!(e.message.contains("impressions"));
    }
}
