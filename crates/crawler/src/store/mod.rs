//! The crawler's store: the only SQL of the service, one module per table. A change that
//! writes rows other services hear about is one `Change` (its rows and its events).

pub mod entries;
pub mod sources;
pub mod subscriptions;

/// The service's database and the way to change it.
pub type Store = platform::Writer;
