//! Bearer-token authentication and the ownership rule.
//!
//! - The operator token is the `OPERATOR_TOKEN` secret (`.dev.vars` locally, `wrangler secret put`
//!   in production). It may call the admin route (`POST /api/accounts`) and act on any account.
//! - An account token is 32 random bytes (getrandom: the OS, or `crypto.getRandomValues` in the
//!   Worker) as `clt_` + 64 hex digits. It is returned once, by `POST /api/accounts`; D1 keeps only
//!   its SHA-256 digest, so a database leak reveals no usable token.
//! - An account token acts only on its own account: any other account id in a path is 403, whether
//!   or not that account exists (no existence oracle).
//!
//! Statuses: no `Authorization: Bearer ...` header, or a token that matches nothing, is 401;
//! a valid token used on another account's resource, or an account token on an operator route,
//! is 403.

use crate::error::ApiError;
use crate::ports::{Accounts, StoreError};
use sha2::{Digest, Sha256};

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The operator (admin routes, any account).
    Operator,
    /// The holder of this account's token.
    Account(String),
}

/// Prefix of account tokens (tells them apart from the operator token in logs and leaks).
pub const TOKEN_PREFIX: &str = "clt_";

/// Lowercase hex SHA-256 of `token`.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// `N` random bytes from the platform's secure generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], ApiError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| ApiError::Internal)?;
    Ok(buf)
}

/// A fresh account token: `clt_` + 64 hex digits (256 random bits).
pub fn new_token() -> Result<String, ApiError> {
    Ok(format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?)))
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let value = header.ok_or_else(|| ApiError::Unauthorized {
        message: "missing Authorization: Bearer <token> header".to_string(),
    })?;
    match value.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::Unauthorized {
            message: "the Authorization header must be `Bearer <token>`".to_string(),
        }),
    }
}

/// Equality of two byte strings in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Identify the caller from the `Authorization` header. `operator_token` is the configured secret;
/// when it is absent or empty, no request is the operator.
pub async fn authenticate<S: Accounts>(
    store: &S,
    authorization: Option<&str>,
    operator_token: Option<&str>,
) -> Result<Caller, ApiError> {
    let token = bearer(authorization)?;
    let hash = token_hash(token);
    if let Some(op) = operator_token.filter(|op| !op.is_empty()) {
        // Compare digests, so timing reveals nothing about the secret's bytes.
        if same(hash.as_bytes(), token_hash(op).as_bytes()) {
            return Ok(Caller::Operator);
        }
    }
    match store.account_for_token(&hash).await.map_err(internal)? {
        Some(account_id) => Ok(Caller::Account(account_id)),
        None => Err(ApiError::Unauthorized {
            message: "unknown or revoked token".to_string(),
        }),
    }
}

/// Shortest operator token accepted.
pub const MIN_OPERATOR_TOKEN_CHARS: usize = 32;
/// Least estimated entropy of an operator token, in bits ([`estimated_bits`]).
pub const MIN_OPERATOR_TOKEN_BITS: f64 = 100.0;
/// Fewest distinct characters in an operator token (refuses short repeated patterns).
pub const MIN_OPERATOR_TOKEN_DISTINCT: usize = 8;

/// A token's estimated entropy: its length times the Shannon entropy of its characters'
/// frequencies (bits per character). It cannot prove a token random, but it refuses the usual
/// weak choices: short words, repeated characters or patterns. A random `op_` + 32 hex digits
/// (what the scripts generate) scores about 120 bits.
pub fn estimated_bits(token: &str) -> f64 {
    let chars: Vec<char> = token.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let mut counts = std::collections::HashMap::new();
    for c in &chars {
        *counts.entry(*c).or_insert(0usize) += 1;
    }
    let n = chars.len() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// The configured operator token is strong enough to grant operator access: at least
/// [`MIN_OPERATOR_TOKEN_CHARS`] characters, [`MIN_OPERATOR_TOKEN_DISTINCT`] distinct ones and
/// [`MIN_OPERATOR_TOKEN_BITS`] estimated bits.
/// Otherwise a 503 `config_error` naming `OPERATOR_TOKEN` (its value is never shown): the
/// operator routes refuse to run until the secret is replaced.
pub fn check_operator_token(token: &str) -> Result<(), ApiError> {
    let chars = token.chars().count();
    let bits = estimated_bits(token);
    let distinct = token
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if chars >= MIN_OPERATOR_TOKEN_CHARS
        && distinct >= MIN_OPERATOR_TOKEN_DISTINCT
        && bits >= MIN_OPERATOR_TOKEN_BITS
    {
        return Ok(());
    }
    Err(ApiError::Config {
        var: "OPERATOR_TOKEN",
        message: format!(
            "the operator token is too weak ({chars} characters, {distinct} distinct, about \
             {bits:.0} bits; at least {MIN_OPERATOR_TOKEN_CHARS} characters, \
             {MIN_OPERATOR_TOKEN_DISTINCT} distinct and {MIN_OPERATOR_TOKEN_BITS:.0} bits are \
             needed): operator access is refused until it is replaced by a random one"
        ),
    })
}

/// [`authenticate`], refusing operator access while the configured operator token is weak
/// ([`check_operator_token`]). The routes use this one.
pub async fn authenticate_checked<S: Accounts>(
    store: &S,
    authorization: Option<&str>,
    operator_token: Option<&str>,
) -> Result<Caller, ApiError> {
    let caller = authenticate(store, authorization, operator_token).await?;
    if caller == Caller::Operator {
        check_operator_token(operator_token.unwrap_or_default())?;
    }
    Ok(caller)
}

/// The caller may act on `account_id`'s resources.
pub fn authorize(caller: &Caller, account_id: &str) -> Result<(), ApiError> {
    match caller {
        Caller::Operator => Ok(()),
        Caller::Account(own) if own == account_id => Ok(()),
        Caller::Account(_) => Err(ApiError::Forbidden {
            message: "this token may only access its own account".to_string(),
        }),
    }
}

/// The caller is the operator.
pub fn require_operator(caller: &Caller) -> Result<(), ApiError> {
    match caller {
        Caller::Operator => Ok(()),
        Caller::Account(_) => Err(ApiError::Forbidden {
            message: "this route needs the operator token".to_string(),
        }),
    }
}

/// A storage fault: logged by the handler. A failed write is answered 503
/// `storage_unavailable` naming what was written ([`ApiError::StorageWrite`]), anything else as a
/// generic 500.
pub fn internal(e: StoreError) -> ApiError {
    match e.write {
        Some(what) => ApiError::StorageWrite {
            what,
            cause: e.cause,
        },
        None => ApiError::Storage(e.cause),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_hex() {
        let (t1, t2) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), TOKEN_PREFIX.len() + 64);
        assert!(t1[TOKEN_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn hashes() {
        // FIPS 180-2 test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Ok("abc"));
        for bad in [
            None,
            Some("abc"),
            Some("Basic abc"),
            Some("Bearer"),
            Some("Bearer  "),
        ] {
            assert_eq!(bearer(bad).unwrap_err().status(), 401, "{bad:?}");
        }
    }

    #[test]
    fn weak_operator_tokens_are_refused() {
        // What the scripts and e2e tests generate: `op_` + 32 or 48 random hex digits.
        for _ in 0..200 {
            let strong = format!("op_{}", hex(&random_bytes::<16>().unwrap()));
            assert!(check_operator_token(&strong).is_ok(), "{strong}");
        }
        for weak in [
            "",
            "operator-secret",
            "password",
            &"a".repeat(64),
            &"abcd".repeat(16),
            "correcthorsebatterystaple",
        ] {
            let e = check_operator_token(weak).unwrap_err();
            assert_eq!((e.status(), e.code()), (503, "config_error"), "{weak}");
            let message = e.body().error.message;
            assert!(message.contains("OPERATOR_TOKEN"), "{message}");
            assert!(weak.is_empty() || !message.contains(weak), "{message}");
        }
        // The weak token does not make anyone the operator; account tokens still work.
        let store = crate::testing::MemoryStore::new();
        let weak = "operator-secret";
        let e = crate::testing::run(authenticate_checked(
            &store,
            Some("Bearer operator-secret"),
            Some(weak),
        ))
        .unwrap_err();
        assert_eq!(e.code(), "config_error");
        let strong = "op_9f3c1a7e52b84d06e1c9a3f7b2d58e40";
        assert!(check_operator_token(strong).is_ok(), "{strong}");
        let ok = crate::testing::run(authenticate_checked(
            &store,
            Some(&format!("Bearer {strong}")),
            Some(strong),
        ));
        assert_eq!(ok, Ok(Caller::Operator));
    }

    #[test]
    fn ownership() {
        let a = Caller::Account("a".into());
        assert!(authorize(&a, "a").is_ok());
        assert_eq!(authorize(&a, "b").unwrap_err().status(), 403);
        assert!(authorize(&Caller::Operator, "b").is_ok());
        assert_eq!(require_operator(&a).unwrap_err().status(), 403);
        assert!(require_operator(&Caller::Operator).is_ok());
    }
}
