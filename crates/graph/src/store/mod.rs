//! The graph's store: the only SQL of the service, one module per table family. Every change
//! is one `Change`: its rows and its events, committed together.

pub mod edges;
pub mod lists;
pub mod suggestions;
pub mod tags;
pub mod users;

/// The service's database and the way to change it.
pub type Store = platform::Writer;
