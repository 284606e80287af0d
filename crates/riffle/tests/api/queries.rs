//! How many database queries a request makes, counted from sqlx's statement log (target
//! `sqlx::query`) inside the request's span, told apart by the request's `x-request-id`. On
//! PostgreSQL the statements are logged on the request's own task; SQLite logs them on its
//! worker threads, outside any span, so these tests count on PostgreSQL.

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex, Once},
};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing::{Subscriber, field::Visit};
use tracing_subscriber::{Layer, layer::Context, prelude::*, registry::LookupSpan};

use crate::helpers::{Backends, TestApp};

static COUNTS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

struct RequestId(String);

struct FindRequestId(Option<String>);

impl Visit for FindRequestId {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "request_id" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "request_id" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

struct CountQueries;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for CountQueries {
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "request" {
            return;
        }
        let mut found = FindRequestId(None);
        attrs.record(&mut found);
        if let (Some(request_id), Some(span)) = (found.0, ctx.span(id)) {
            span.extensions_mut().insert(RequestId(request_id));
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else { return };
        for span in scope {
            if let Some(RequestId(id)) = span.extensions().get::<RequestId>() {
                *COUNTS.lock().unwrap().entry(id.clone()).or_default() += 1;
                return;
            }
        }
    }
}

/// The queries `GET path` made, as `who`.
async fn queries_of(app: &TestApp, path: &str, token: Option<&str>) -> (usize, Value) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing_subscriber::registry().with(CountQueries).init());
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut request = app.client.get(app.url(path)).header("x-request-id", &request_id);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let body = response.json().await.unwrap();
    (COUNTS.lock().unwrap().get(&request_id).copied().unwrap_or(0), body)
}

async fn reply(app: &TestApp, who: &Value, to: &str, text: &str) -> String {
    let body = if to.is_empty() { json!({ "text": text }) } else { json!({ "text": text, "reply_to_id": to }) };
    let created = app.post("/api/v1/posts", &body, who["access_token"].as_str()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    created.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thread_s_context_takes_the_same_queries_whatever_its_size() {
    let Some(app) = TestApp::spawn(Backends::Distributed).await else { return };
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let root = reply(&app, &ada, "", "root").await;
    let mut last = root.clone();
    for i in 0..5 {
        last = reply(&app, if i % 2 == 0 { &bob } else { &ada }, &last, &format!("reply {i}")).await;
    }
    let path = format!("/api/v1/posts/{root}/context?limit=100");
    // A first request may open pool connections, whose setup is a statement too.
    queries_of(&app, &path, bob["access_token"].as_str()).await;
    let (small, body) = queries_of(&app, &path, bob["access_token"].as_str()).await;
    assert_eq!(body["descendants"].as_array().unwrap().len(), 5);
    for i in 0..120 {
        let under = if i % 3 == 0 { root.clone() } else { last.clone() };
        last = reply(&app, if i % 2 == 0 { &bob } else { &ada }, &under, &format!("more {i}")).await;
    }
    let (large, body) = queries_of(&app, &path, bob["access_token"].as_str()).await;
    assert_eq!(body["descendants"].as_array().unwrap().len(), 100);
    assert!(body["next_cursor"].is_string());
    assert!(small > 0, "statements were counted");
    assert_eq!(small, large, "5 replies or 125: the same queries");
    assert!(large <= 12, "{large} queries for one page of context");
}
