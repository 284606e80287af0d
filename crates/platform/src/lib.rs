//! What every Riffle service shares: configuration, HTTP conventions, authentication, and the
//! ports with their embedded and distributed backends.
//!
//! # Layout
//! * `blobs`: the blob port (local directory or S3-compatible store) for media.
//! * `change`: a transaction with its events, the one way a service changes its data.
//! * `config`: the typed, layered, process-wide configuration.
//! * `db`: the relational port (SQLite or PostgreSQL), one database per service.
//! * `events`: the event port (in-process or NATS JetStream), outbox relay and inbox dedupe.
//! * `http`: problem+json errors, extractors, auth, rate limits, and the shared router stack.
//! * `ingest`: the one shape of an event consumer (decode, claim, apply, commit).
//! * `service`: the contract between a service crate and the process that runs it.
//! * `metrics`, `telemetry`, `trace_context`: observability.
//!
//! **Invariant:** nothing here knows about any particular service; services depend on this
//! crate, never the other way round. It depends on `contracts` (event families, shared value
//! types) and nothing else of Riffle's.

pub mod blobs;
pub mod change;
pub mod config;
pub mod db;
pub mod events;
pub mod http;
pub mod ingest;
pub mod mail;
pub mod metrics;
pub mod service;
pub mod telemetry;
pub mod testing;
pub mod trace_context;

pub use change::{Change, Writer};
pub use config::Config;
pub use db::{Db, StoreError};
pub use http::{ApiError, Principal, Role, Trusted};
pub use service::{Mounted, Runtime};
