//! Test support: the in-memory fakes of every port ([`memory`]) and fixtures shared by the
//! services' tests ([`fixtures`]). Compiled on every target (it costs nothing in the Worker's
//! bundle, where nothing calls it) so that no production path swaps a fake in by target.

pub mod fixtures;
pub mod memory;
pub mod requests;

pub use memory::{
    run, MemoryAggregates, MemoryConn, MemoryLink, MemoryModels, MemoryOutbox, MemoryStore,
};
