//! Structured logs: human-readable text or one JSON object per line, filtered by `log.level`
//! (or `RUST_LOG` when set).

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogConfig, LogFormat};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing), so
/// tests can start several apps in one process.
pub fn init(config: &LogConfig) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(&config.level));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.format {
        // Colors only on a terminal: escape codes in files and log collectors are noise.
        LogFormat::Text => {
            registry.with(fmt::layer().with_target(false).with_ansi(std::io::stdout().is_terminal())).try_init()
        }
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true).with_current_span(true)).try_init(),
    };
}

/// Logs an error with its whole cause chain.
pub fn log_error(context: &str, error: &anyhow::Error) {
    tracing::error!(error.message = %error, error.cause_chain = ?error, "{context}");
}
