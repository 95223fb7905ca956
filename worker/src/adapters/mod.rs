//! The adapters: the ports ([`crate::ports`]) over the Workers bindings. D1 ([`d1`], its outbox
//! table [`outbox`]) is the source of truth: accounts, token hashes, consent, records, events,
//! insights, release history; KV ([`kv`]) holds the published releases; Redis ([`redis`]) the niche
//! aggregates. All SQL is in [`d1`] and [`outbox`], always through `prepare().bind()`. [`faults`]
//! is the dev-only D1 write fault hook; [`bindings`] opens all of them from the Worker's `Env`.

pub mod bindings;
pub mod d1;
pub mod faults;
pub mod kv;
pub mod outbox;
pub mod redis;
