//! The contracts between Riffle's services: every event a service publishes, typed once, and the
//! value types more than one service speaks of.
//!
//! # Layout
//! * `family`: the [`EventFamily`] trait and the macro that declares a family: one enum per
//!   producer, each variant a topic with its payload type and the family's schema version.
//! * `identity`, `content`, `graph`, `crawler`: the families of the services that exist.
//! * `ids`: [`PostId`] and its generator.
//! * `values`: [`Visibility`], [`Role`] and [`AccountKind`].
//!
//! Producers serialize events from these types and consumers deserialize into them: no service
//! writes an event payload by hand or re-declares another's. `fixtures/` holds one committed
//! JSON file per topic, and a test checks that each still round-trips, so a renamed or retyped
//! field fails a test instead of silently breaking the consumers and the rows they stored.
//!
//! **Evolution.** Adding an optional field keeps the version (consumers ignore fields they do
//! not know). Anything else (a renamed, retyped or removed field, a field that becomes required)
//! bumps the family's version; consumers skip events of a version newer than theirs, with a
//! metric and a log line, until they are upgraded.
//!
//! **Invariant:** this crate depends on nothing of Riffle's; every service may depend on it.

#[macro_use]
mod family;
pub mod content;
pub mod crawler;
pub mod graph;
pub mod identity;
pub mod ids;
pub mod values;

pub use family::EventFamily;
pub use ids::{PostId, PostIdGenerator};
pub use values::{AccountKind, Role, Visibility};
