//! The services: every rule of the API, generic over the ports ([`crate::ports`]) and tested
//! natively against the fakes in [`crate::testing`]. Nothing here reads a clock, a random source
//! or a Worker binding: time, ids, tokens and seeds are passed in, requests arrive typed.
//!
//! - [`accounts`]: create, ingest, consent, export, erase (the changes run under [`sync`]);
//! - [`sync`]: the outbox protocol (mark -> D1 write -> Redis sync) and the publication's choice
//!   of aggregates;
//! - [`aggregates`]: the Redis aggregate store's maintenance (sync, drain, rebuild, check);
//! - [`publish`]: the publication of niche releases (format 1); [`distributions`]: the
//!   benchmarks' own, slower release; [`format2`]: release format 2 and the per-account privacy
//!   ledger it is held to;
//! - [`crosslearning`], [`wisdom`]: niche detection, insights, applying and reading wisdom;
//! - [`compute`]: the pure endpoints (normalize, features, CTR scores) and [`models`], the
//!   embedded model files; [`scoring`]: an account's CTR scores, personalised on its records;
//! - [`auth`]: callers, tokens, who may do what.

pub mod accounts;
pub mod aggregates;
pub mod auth;
pub mod compute;
pub mod crosslearning;
pub mod distributions;
pub mod format2;
pub mod models;
pub mod publish;
pub mod scoring;
pub mod sync;
pub mod wisdom;
