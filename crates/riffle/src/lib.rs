//! The `riffle` binary's library half: command line, module graph and process assembly. Kept
//! out of `main.rs` so integration tests can build the real application on port 0.
//!
//! # Layout
//! * `cli`: the command line.
//! * `modules`: the services, what they need, and target resolution.
//! * `app`: building, serving and shutting down one process.

pub mod app;
pub mod cli;
pub mod modules;
