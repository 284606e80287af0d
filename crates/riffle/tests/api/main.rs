//! Black-box tests of the `riffle` process through its HTTP API and command line.
//!
//! Each test spawns the real application on port 0 with its own data directory (SQLite) or
//! its own PostgreSQL database and NATS stream, see `helpers`.

mod abuse;
mod admin;
mod cli;
mod content;
mod crawler;
mod feed;
mod feeds_out;
mod for_you;
mod graph;
mod health;
mod helpers;
mod identity;
mod media;
mod notifications;
mod openapi;
mod privacy;
mod queries;
mod search;
mod split;
mod web;
