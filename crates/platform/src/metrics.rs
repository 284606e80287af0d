//! Prometheus metrics: one process-wide recorder, rendered at `/metrics`.

use std::{sync::OnceLock, time::Duration};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: fine below 100 ms, where a feed API must live.
const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), LATENCY_BUCKETS)
            .expect("non-empty buckets");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Tests start many apps in one process; only the first installs the global recorder.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Installs the recorder; call once at startup before anything records.
pub fn install() {
    handle();
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    handle().render()
}

/// Counts a finished request and records its latency, by route template (not raw path, so the
/// number of series stays bounded).
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}
