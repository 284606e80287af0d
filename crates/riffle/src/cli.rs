//! The command line: `riffle serve|config|migrate|openapi|targets|admin|events|crawl|search`.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, Subcommand};

/// Riffle: a feed platform for user-generated content. Runs any set of its services in one
/// process; every backend is chosen by URL in riffle.toml or RIFFLE_* variables.
#[derive(Debug, Parser)]
#[command(name = "riffle", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./riffle.toml when present).
    #[arg(long, short, global = true, env = "RIFFLE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run services (all of them by default) on one port.
    Serve {
        /// Services or groups to run, comma-separated: all, identity, content, graph, feed,
        /// crawler, search, notifications, web. See `riffle targets`.
        #[arg(long, short, env = "RIFFLE_TARGET", default_value = "all")]
        target: String,
        /// Listen address, overriding `bind`.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Data directory, overriding `data_dir`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Print the effective configuration (defaults, file, environment, flags) with secrets redacted.
    Config,
    /// Apply the migrations of the chosen services and exit.
    Migrate {
        #[arg(long, short, env = "RIFFLE_TARGET", default_value = "all")]
        target: String,
    },
    /// Print the OpenAPI 3.1 document of the chosen services.
    Openapi {
        #[arg(long, short, default_value = "all")]
        target: String,
    },
    /// List the services and groups that `--target` accepts.
    Targets,
    /// Ask a running Riffle whether it is alive (or ready) and exit 0 if it is: a container's
    /// health check, for images without a shell or curl.
    Probe {
        /// What to ask (default: `/healthz` on this configuration's `bind` port, on loopback).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The event bus: what its consumers could not apply.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// The crawler: sources from the command line.
    Crawl {
        #[command(subcommand)]
        command: CrawlCommand,
    },
    /// Search: its index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Rebuild the posts index of a running search service from content's posts, with a
    /// progress bar. Queries and new posts carry on; the new index replaces the old one at once
    /// when it is complete. With several replicas, run it against each.
    Reindex {
        /// The search service's base URL (default: `public_url`).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// An admin's access token (default: `auth.internal_token`).
        #[arg(long, env = "RIFFLE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CrawlCommand {
    /// Create a source for every feed of an OPML file and fetch each (the newest
    /// `crawler.backfill_entries` entries become posts), with a progress bar. The posts appear
    /// once a process running the services relays the crawler's events (`riffle serve`).
    Seed {
        /// An OPML file (1.0, 1.1 or 2.0), or an http(s) URL of one.
        #[arg(value_name = "FILE.opml")]
        opml: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List the events that consumers parked after failing on them (`events.max_attempts`), or
    /// with `--replay` ask the running consumers to apply them again (within seconds).
    DeadLetters {
        /// The services whose consumers to look at.
        #[arg(long, short, env = "RIFFLE_TARGET", default_value = "all")]
        target: String,
        /// Retry the parked events instead of listing them.
        #[arg(long)]
        replay: bool,
        /// With `--replay`: only this event (its id, as listed).
        #[arg(long, requires = "replay")]
        event: Option<uuid::Uuid>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account, e.g. the first admin. The password is read from RIFFLE_ADMIN_PASSWORD,
    /// or else from the first line of standard input.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// user, moderator or admin.
        #[arg(long, default_value = "admin", value_parser = ["user", "moderator", "admin"])]
        role: String,
    },
}
