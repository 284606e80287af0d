//! Identity's store: the only SQL of the service, one module per table family. A change that
//! writes is one `Change` (its rows, its events, its audit entry), opened and committed here.

pub mod audit;
pub mod keys;
pub mod media;
pub mod registrations;
pub mod sessions;
pub mod sources;
pub mod throttle;
pub mod users;

/// The service's database and the way to change it.
pub type Store = platform::Writer;
