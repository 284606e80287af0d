//! HTTP conventions shared by every service, and the assembly of one process's router.
//!
//! A request passes, outermost first: panic catcher → request id → [`observe`] (trace context,
//! log span, metrics) → CORS → compression → [`timeout`] → body limit → rate limit → the
//! service's handler. Handlers return [`ApiError`] for anything that goes wrong; that type alone
//! decides status codes and bodies.

pub mod admission;
pub mod auth;
pub mod client_ip;
pub mod json;
pub mod live;
pub mod pagination;
pub mod problem;
pub mod rate_limit;
pub mod spec;

use std::{sync::Arc, time::Instant};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::future::BoxFuture;
use tower::ServiceBuilder;
use tower_http::{
    CompressionLevel,
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    cors::{AllowOrigin, Any, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
};
use tracing::Instrument;

pub use auth::{Principal, Role, TokenVerifier, Trusted};
pub use client_ip::ClientIp;
pub use json::{Json, Path, Query, RawBody};
pub use problem::{ApiError, FieldError, Problem};

use crate::{
    config::Config,
    metrics,
    trace_context::{self, SpanKind, TraceContext},
};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A named readiness check, e.g. `identity.database`.
#[derive(Clone)]
pub struct Probe {
    pub name: String,
    check: Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
}

impl Probe {
    pub fn new<F, Fut>(name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self { name: name.into(), check: Arc::new(move || Box::pin(check())) }
    }

    pub async fn run(&self) -> Result<(), String> {
        (self.check)().await
    }
}

/// Everything [`router`] needs besides the services' routes.
pub struct Stack {
    pub config: Arc<Config>,
    pub verifier: Arc<TokenVerifier>,
    pub probes: Vec<Probe>,
    /// The merged OpenAPI document of the running services, served at `/openapi.json`.
    pub openapi_json: Arc<String>,
    pub shutdown: tokio_util::sync::CancellationToken,
}

/// Wraps the services' routes (already under `/api/v1`) with the shared layers and adds the
/// operational endpoints.
pub fn router(api: Router, stack: Stack) -> Router {
    let config = Arc::clone(&stack.config);
    let mut api = api.fallback(|| async { ApiError::not_found("no such endpoint") });
    if let Some(limiter) =
        rate_limit::ClientRateLimiter::new(config.http.rate_limit_per_second, config.http.rate_limit_burst)
    {
        limiter.spawn_cleanup(stack.shutdown.clone());
        api = api.layer(middleware::from_fn_with_state((limiter, Arc::clone(&stack.verifier)), rate_limit::limit));
    }
    let openapi_json = Arc::clone(&stack.openapi_json);
    let ops = Arc::new(Ops {
        probes: stack.probes,
        networks: config.http.ops_networks(),
        token: Some(config.http.ops_token.clone()).filter(|t| !t.is_empty()),
    });
    let operational = Router::new()
        .route("/healthz", get(|| async { axum::Json(serde_json::json!({ "status": "ok" })) }))
        .route("/readyz", get(readyz).with_state(Arc::clone(&ops)))
        .route("/metrics", get(metrics_page).with_state(ops))
        .route(
            "/openapi.json",
            get(move || {
                let spec = Arc::clone(&openapi_json);
                async move { ([(header::CONTENT_TYPE, "application/json")], spec.as_str().to_owned()) }
            }),
        );

    let timeout = config.request_timeout();
    operational
        .merge(api)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this endpoint does not take that method",
            )
        })
        .layer(axum::Extension(Arc::clone(&stack.verifier)))
        .layer(DefaultBodyLimit::max(config.http.body_limit_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError::unavailable("the request took too long and was abandoned").into_response(),
            }
        }))
        .layer(
            ServiceBuilder::new()
                .layer(CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| {
                    ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
                }))
                .layer(middleware::from_fn_with_state(
                    (
                        Arc::new(client_ip::Proxies {
                            trusted: config.http.trusted_proxy_networks(),
                            header: config.http.client_address_header,
                        }),
                        Arc::clone(&stack.verifier),
                    ),
                    client_ip::resolve,
                ))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(observe))
                .option_layer(cors(&config.http.cors_origins))
                // Level 4 of both: brotli's own default (11) spent more CPU compressing a home
                // page of JSON than serving it, for a few percent of its size.
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)).compress_when(compressible)),
        )
}

/// One span per request carrying the request id and trace id, the trace context as a task-local
/// (so events written by the handler carry it), one log line per response, and the metrics.
async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let caller = request.headers().get("traceparent").and_then(|v| v.to_str().ok()).and_then(TraceContext::parse);
    let probe = matches!(path.as_str(), "/healthz" | "/readyz" | "/metrics");
    let mut trace = if probe {
        trace_context::Span::unexported(caller)
    } else {
        trace_context::Span::start(caller, SpanKind::Server, format!("{method} {route}"))
    };
    let context = trace.context();
    let span = tracing::info_span!("request", %method, %path, request_id, trace_id = %context.trace_id_hex());
    let mut response = context.scope(next.run(request)).instrument(span.clone()).await;
    let status = response.status();
    let elapsed = started.elapsed();
    metrics::record_request(method.as_str(), &route, status.as_u16(), elapsed);
    trace.set_attribute("http.request.method", method.to_string());
    trace.set_attribute("http.route", route);
    trace.set_attribute("url.path", path.clone());
    trace.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        trace.fail(status.to_string());
    }
    if let Ok(value) = HeaderValue::from_str(&context.to_string()) {
        response.headers_mut().insert("traceparent", value);
    }
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), elapsed_ms = elapsed.as_secs_f64() * 1e3, "response");
        } else if !probe {
            tracing::info!(status = status.as_u16(), elapsed_ms = elapsed.as_secs_f64() * 1e3, "response");
        }
    });
    response
}

/// Compresses what compresses: JSON and text of some size, whole responses only. Media are
/// compressed already, and a compressed `206` would no longer match its `Content-Range`.
fn compressible(status: StatusCode, _: http::Version, headers: &http::HeaderMap, _: &http::Extensions) -> bool {
    let textual = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| {
        (t.starts_with("application/json") || t.starts_with("application/problem+json") || t.starts_with("text/"))
            // Compressing an event stream would hold events back in the encoder's buffer.
            && !t.starts_with("text/event-stream")
    });
    let small = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n < 256);
    textual && !small && status != StatusCode::PARTIAL_CONTENT
}

/// No layer at all without origins: a CORS layer answers every `OPTIONS` itself, which would
/// hide endpoints that answer `OPTIONS` (tus capability discovery).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let base = CorsLayer::new().allow_methods(Any).allow_headers(Any).expose_headers([REQUEST_ID, header::LINK]);
    Some(if origins.iter().any(|o| o == "*") {
        base.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        base.allow_origin(AllowOrigin::list(list))
    })
}

/// The operational endpoints' state: the probes, and who may read the details.
struct Ops {
    probes: Vec<Probe>,
    networks: Vec<ipnet::IpNet>,
    token: Option<String>,
}

impl Ops {
    /// Whether the caller may read metrics and readiness details: from `http.ops_addresses`, or
    /// with `http.ops_token`. A request without a peer address comes from within the process.
    fn allowed(&self, request: &Request) -> bool {
        let client = request.extensions().get::<client_ip::ClientAddr>();
        let from_network = client.is_none_or(|client| self.networks.iter().any(|n| n.contains(&client.0)));
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let with_token =
            matches!((&self.token, presented), (Some(token), Some(given)) if constant_time_eq(token, given));
        from_network || with_token
    }
}

/// Compares secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Prometheus metrics, for `http.ops_addresses` or `http.ops_token` only; others get 404.
async fn metrics_page(State(ops): State<Arc<Ops>>, request: Request) -> Response {
    if !ops.allowed(&request) {
        return ApiError::not_found("no such endpoint").into_response();
    }
    metrics::render().into_response()
}

/// `200` when every backend of every running service answers, else `503`. The details (which
/// backend, and why) only for `http.ops_addresses` or `http.ops_token`.
async fn readyz(State(ops): State<Arc<Ops>>, request: Request) -> Response {
    let details = ops.allowed(&request);
    let results = futures::future::join_all(ops.probes.iter().map(|p| async move {
        let result = tokio::time::timeout(std::time::Duration::from_secs(3), p.run())
            .await
            .unwrap_or_else(|_| Err("timed out".into()));
        (p.name.clone(), result)
    }))
    .await;
    let ready = results.iter().all(|(_, r)| r.is_ok());
    let checks: serde_json::Map<String, serde_json::Value> = results
        .into_iter()
        .map(|(name, r)| {
            (
                name,
                r.map_or_else(
                    |e| serde_json::json!({ "status": "down", "error": e }),
                    |()| serde_json::json!({ "status": "up" }),
                ),
            )
        })
        .collect();
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let summary = if ready { "ready" } else { "not ready" };
    let body = if details {
        serde_json::json!({ "status": summary, "checks": checks })
    } else {
        serde_json::json!({ "status": summary })
    };
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    fn app(probes: Vec<Probe>) -> Router {
        let config = Arc::new(Config::default());
        router(
            Router::new(),
            Stack {
                verifier: Arc::new(TokenVerifier::new("riffle", "riffle", 16, None)),
                config,
                probes,
                openapi_json: Arc::new("{}".into()),
                shutdown: tokio_util::sync::CancellationToken::new(),
            },
        )
    }

    async fn readyz(app: Router) -> (StatusCode, serde_json::Value) {
        let response = app.oneshot(Request::get("/readyz").body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn readyz_is_503_and_names_the_backend_that_is_down() {
        let probes = vec![
            Probe::new("a.database", || async { Ok(()) }),
            Probe::new("events.nats", || async { Err("connection refused".to_owned()) }),
        ];
        let (status, body) = readyz(app(probes)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["checks"]["a.database"]["status"], "up");
        assert_eq!(body["checks"]["events.nats"]["status"], "down");
        assert_eq!(body["checks"]["events.nats"]["error"], "connection refused");
    }

    #[tokio::test]
    async fn readiness_details_and_metrics_are_for_operators_only() {
        let config = Arc::new(Config {
            http: crate::config::HttpConfig { ops_token: "op-secret".into(), ..Default::default() },
            ..Config::default()
        });
        let app = router(
            Router::new(),
            Stack {
                verifier: Arc::new(TokenVerifier::new("riffle", "riffle", 16, None)),
                config,
                probes: vec![Probe::new("a.database", || async { Err("password authentication failed".to_owned()) })],
                openapi_json: Arc::new("{}".into()),
                shutdown: tokio_util::sync::CancellationToken::new(),
            },
        );
        let from = |ip: &str, token: Option<&str>, path: &str| {
            let mut request = Request::get(path).body(Body::empty()).unwrap();
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let peer = std::net::SocketAddr::new(ip, 40000);
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            if let Some(token) = token {
                request.headers_mut().insert(header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
            }
            request
        };
        let body = |response: Response| async move {
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let outside = app.clone().oneshot(from("203.0.113.9", None, "/readyz")).await.unwrap();
        assert_eq!(outside.status(), StatusCode::SERVICE_UNAVAILABLE, "the status is for everyone");
        let text = body(outside).await;
        assert!(!text.contains("password") && !text.contains("a.database"), "{text}");
        let inside = body(app.clone().oneshot(from("127.0.0.1", None, "/readyz")).await.unwrap()).await;
        assert!(inside.contains("password authentication failed"), "{inside}");
        let with_token =
            body(app.clone().oneshot(from("203.0.113.9", Some("op-secret"), "/readyz")).await.unwrap()).await;
        assert!(with_token.contains("a.database"), "{with_token}");
        let metrics = app.clone().oneshot(from("203.0.113.9", None, "/metrics")).await.unwrap();
        assert_eq!(metrics.status(), StatusCode::NOT_FOUND);
        let wrong = app.clone().oneshot(from("203.0.113.9", Some("op-secreT"), "/metrics")).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
        let mapped = app.clone().oneshot(from("::ffff:127.0.0.1", None, "/metrics")).await.unwrap();
        assert_eq!(mapped.status(), StatusCode::OK, "an IPv4 peer seen through a dual-stack socket");
    }

    #[tokio::test]
    async fn readyz_is_200_when_every_backend_answers() {
        let (status, body) = readyz(app(vec![Probe::new("a.database", || async { Ok(()) })])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["status"], "ready");
    }
}
