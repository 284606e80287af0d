//! Structured logs: human-readable text or one JSON object per line, filtered by `log.level`
//! (or `RUST_LOG` when set); and, when `telemetry.otlp_endpoint` is set, the spans of
//! [`crate::trace_context`] exported over OTLP/HTTP.

use std::{io::IsTerminal, sync::OnceLock};

use anyhow::Context as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::{
    Resource,
    trace::{Sampler, SdkTracer, SdkTracerProvider},
};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

use crate::config::{LogConfig, LogFormat, TelemetryConfig};

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

/// The process's tracer, once [`export_traces`] has installed one.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

pub(crate) fn tracer() -> Option<&'static SdkTracer> {
    TRACER.get()
}

/// Flushes the spans still buffered when dropped, so a process that stops cleanly loses none.
#[must_use = "dropping the guard stops the export"]
pub struct TraceExport(SdkTracerProvider);

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Err(err) = self.0.shutdown() {
            eprintln!("riffle: flushing the last spans failed: {err}");
        }
    }
}

/// Starts exporting spans to `config.otlp_endpoint` as `service_name`, in batches from a thread
/// of their own (a slow collector never slows a request). Nothing when no endpoint is set. Call
/// it once, outside the async runtime, and keep the guard until the process ends.
pub fn export_traces(config: &TelemetryConfig, service_name: &str) -> anyhow::Result<Option<TraceExport>> {
    if config.otlp_endpoint.is_empty() {
        return Ok(None);
    }
    // The key names the collector, as OTEL_EXPORTER_OTLP_ENDPOINT does; the exporter wants the
    // signal's own URL.
    let base = config.otlp_endpoint.trim_end_matches('/');
    let url = if base.ends_with("/v1/traces") { base.to_owned() } else { format!("{base}/v1/traces") };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(&url)
        .build()
        .with_context(|| format!("cannot export spans to {url}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(config.sample_ratio))))
        .with_resource(
            Resource::builder_empty()
                .with_service_name(service_name.to_owned())
                .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
                .build(),
        )
        .build();
    let tracer = opentelemetry::trace::TracerProvider::tracer(&provider, "riffle");
    TRACER.set(tracer).map_err(|_| anyhow::anyhow!("spans are exported already"))?;
    Ok(Some(TraceExport(provider)))
}
