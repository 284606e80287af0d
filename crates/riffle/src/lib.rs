//! The `riffle` binary's library half: command line, module graph and process assembly. Kept
//! out of `main.rs` so integration tests can build the real application on port 0.
//!
//! # Layout
//! * `cli`: the command line.
//! * `settings`: the whole configuration: the process-wide part and each service's section.
//! * `services`: the table of services (name, needs, migrations, OpenAPI, mount) and target
//!   resolution.
//! * `app`: building, serving and shutting down one process.

pub mod app;
pub mod cli;
pub mod services;
pub mod settings;

pub use settings::Settings;
