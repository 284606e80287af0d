//! Services in separate processes: identity in one, content and graph in another, sharing
//! PostgreSQL, NATS and S3, with tokens verified from identity's JWKS over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_deployed_apart_work_together_through_events_and_the_jwks() {
    let Some((config, identity_dir)) = TestApp::config(Backends::Distributed).await else { return };
    let identity = TestApp::spawn_targets("identity", config.clone(), identity_dir).await;

    let mut content_config = config.clone();
    content_config.auth.jwks_url = identity.url("/.well-known/jwks.json");
    let content_dir = tempfile::tempdir().unwrap();
    content_config.data_dir = content_dir.path().into();
    let content = TestApp::spawn_targets("content,graph", content_config, content_dir).await;

    let ready: Value = content.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["checks"]["auth.jwks"]["status"], "up", "{ready}");
    assert!(ready["checks"].get("identity.database").is_none(), "identity does not run here");
    assert_eq!(content.get("/api/v1/auth/sessions", None).await.status(), StatusCode::NOT_FOUND, "nor do its routes");

    let ada = identity.signed_up("ada").await;
    let created =
        content.post("/api/v1/posts", &json!({ "text": "from another process" }), ada["access_token"].as_str()).await;
    assert_eq!(created.status(), StatusCode::CREATED, "a token from identity is accepted by content");
    let post: Value = created.json().await.unwrap();
    let path = format!("/api/v1/posts/{}", post["id"].as_str().unwrap());
    eventually("identity's event reaches content through NATS", || async {
        let post: Value = content.get(&path, None).await.json().await.unwrap();
        post["author"]["username"] == "ada"
    })
    .await;

    let forged = format!("{}x", ada["access_token"].as_str().unwrap());
    assert_eq!(content.get("/api/v1/auth/sessions", Some(&forged)).await.status(), StatusCode::NOT_FOUND);
    let refused = content.post("/api/v1/posts", &json!({ "text": "forged" }), Some(&forged)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
