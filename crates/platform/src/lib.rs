//! What every Riffle service shares: configuration, HTTP conventions, authentication, and the
//! ports with their embedded and distributed backends.
//!
//! # Layout
//! * `blobs`: the blob port (local directory or S3-compatible store) for media.
//! * `config`: the typed, layered configuration of a process.
//! * `db`: the relational port (SQLite or PostgreSQL), one database per service.
//! * `events`: the event port (in-process or NATS JetStream), outbox relay and inbox dedupe.
//! * `http`: problem+json errors, extractors, auth, rate limits, and the shared router stack.
//! * `ids`: identifiers shared across services (time-ordered post ids).
//! * `service`: the contract between a service crate and the process that runs it.
//! * `metrics`, `telemetry`, `trace_context`: observability.
//!
//! **Invariant:** nothing here knows about any particular service; services depend on this
//! crate, never the other way round.

pub mod blobs;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod service;
pub mod telemetry;
pub mod testing;
pub mod trace_context;

pub use config::Config;
pub use db::{Db, StoreError};
pub use http::{ApiError, Principal, Role};
pub use service::{Mounted, Runtime};
