//! Operational endpoints and the shared HTTP conventions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, problem};

crate::on_every_backend!(healthz_and_readyz_report_every_backend, |app: TestApp| async move {
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["identity.database"]["status"], "up");
    let bus = if app.config.events.url == "memory" { "events.memory" } else { "events.nats" };
    assert_eq!(body["checks"][bus]["status"], "up", "{body}");
});

#[tokio::test]
async fn unknown_endpoints_are_problem_json_404s() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    problem(app.get("/api/v1/nope", None).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn requests_carry_a_request_id_and_trace_context() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = app.client.get(app.url("/healthz")).header("traceparent", parent).send().await.unwrap();
    assert!(response.headers().get("x-request-id").is_some_and(|v| !v.is_empty()));
    let traceparent = response.headers().get("traceparent").unwrap().to_str().unwrap();
    assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "same trace, new span: {traceparent}");
    assert_ne!(traceparent, parent);

    let given = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(given.headers().get("x-request-id").unwrap(), "abc-123", "a caller's request id is kept");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    app.get("/api/v1/users/nobody_here", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    // The recorder is process-wide and other tests hit the same route, so look for this label set.
    assert!(
        metrics.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains(r#"route="/api/v1/users/{id_or_name}""#)
            && l.contains(r#"status="404""#)),
        "no request counter for the route template and status in:\n{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"), "latency histogram exported");
}

#[tokio::test]
async fn the_spec_is_served_as_openapi_3_1() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert_eq!(spec["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
}

#[tokio::test]
async fn bad_bodies_are_client_errors_that_say_what_was_wrong() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let url = app.url("/api/v1/auth/register");
    let malformed =
        app.client.post(&url).header("content-type", "application/json").body("{\"username\": ").send().await.unwrap();
    let body = problem(malformed, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("malformed JSON"));

    let wrong_type = app.client.post(&url).header("content-type", "text/plain").body("hi").send().await.unwrap();
    problem(wrong_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let huge = json!({ "username": "a".repeat(2 * 1024 * 1024), "email": "x@y.z", "password": "p" });
    problem(app.post("/api/v1/auth/register", &huge, None).await, StatusCode::PAYLOAD_TOO_LARGE).await;

    let wrong_field_type = json!({ "username": 5, "email": "x@example.org", "password": "correct horse battery" });
    let body =
        problem(app.post("/api/v1/auth/register", &wrong_field_type, None).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    assert_eq!(body["errors"][0]["field"], "username", "{body}");
}

#[tokio::test]
async fn clients_over_the_rate_limit_get_429_with_retry_after() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.http.rate_limit_per_second = 1;
    config.http.rate_limit_burst = 3;
    let app = TestApp::spawn_with(config, dir).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app.get("/api/v1/users/somebody", None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=2).contains(&retry_after));
        }
        statuses.push(response.status());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 2, "{statuses:?}");
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK, "probes are never rate limited");
}

#[tokio::test]
async fn json_is_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    // A client that shows the encoding instead of undoing it.
    let client = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let spec = client.get(app.url("/openapi.json")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(spec.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let plain = client.get(app.url("/openapi.json")).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
}
