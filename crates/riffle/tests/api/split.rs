//! Services in separate processes: identity in one, content and graph in another, sharing
//! PostgreSQL, NATS and S3, with tokens verified from identity's JWKS over HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually};

/// Identity in one process and `others` in a second, sharing the distributed backends; the
/// second verifies tokens with identity's JWKS.
async fn deployed_apart(others: &str) -> Option<(TestApp, TestApp)> {
    let (config, identity_dir) = TestApp::config(Backends::Distributed).await?;
    let identity = TestApp::spawn_targets("identity", config.clone(), identity_dir).await;
    let mut others_config = config;
    others_config.auth.jwks_url = identity.url("/.well-known/jwks.json");
    let others_dir = tempfile::tempdir().unwrap();
    others_config.data_dir = others_dir.path().into();
    let others = TestApp::spawn_targets(others, others_config, others_dir).await;
    Some((identity, others))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_deployed_apart_work_together_through_events_and_the_jwks() {
    let Some((identity, content)) = deployed_apart("content,graph").await else { return };

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

/// Polls `refused` every 20 ms for up to two seconds: revocation must reach the other process by
/// then (the bound the design promises, not a benchmark).
async fn refused_within_two_seconds<F, Fut>(what: &str, mut refused: F) -> std::time::Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(2) {
        if refused().await {
            return start.elapsed();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what}: still accepted two seconds later");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_in_identity_reaches_the_other_process_within_two_seconds() {
    let Some((identity, content)) = deployed_apart("content,graph,feed").await else { return };

    let admin = identity.admin("root_admin").await;
    let admin_token = admin["access_token"].as_str().unwrap();
    let create = |who: &Value, text: &str| {
        let (content, body) = (&content, json!({ "text": text }));
        let token = who["access_token"].as_str().unwrap().to_owned();
        async move { content.post("/api/v1/posts", &body, Some(&token)).await.status() }
    };

    // Suspension: the unexpired token stops working in content's process.
    let ada = identity.signed_up("ada").await;
    assert_eq!(create(&ada, "before").await, StatusCode::CREATED);
    let path = format!("/api/v1/admin/users/{}", ada["user"]["id"].as_str().unwrap());
    let suspended = identity.patch(&path, &json!({ "status": "suspended" }), Some(admin_token)).await;
    assert_eq!(suspended.status(), StatusCode::OK);
    let took = refused_within_two_seconds("a suspended user's token in content", || async {
        create(&ada, "after").await == StatusCode::UNAUTHORIZED
    })
    .await;
    eprintln!("suspension reached the content process in {took:?}");

    // Sign-out: the session's access token is refused by every process.
    let bob = identity.signed_up("bob").await;
    let bob_token = bob["access_token"].as_str().unwrap();
    assert_eq!(create(&bob, "signed in").await, StatusCode::CREATED);
    assert_eq!(
        identity.post("/api/v1/auth/logout", &json!({}), Some(bob_token)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(identity.get("/api/v1/me", Some(bob_token)).await.status(), StatusCode::UNAUTHORIZED);
    refused_within_two_seconds("a signed-out session's token in content", || async {
        content.get("/api/v1/timelines/home", Some(bob_token)).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;

    // A role change: the former moderator's token no longer carries the role anywhere.
    let moderator = identity.privileged("moddy", platform::Role::Moderator).await;
    let moderator_token = moderator["access_token"].as_str().unwrap();
    assert_eq!(content.get("/api/v1/moderation/reports", Some(moderator_token)).await.status(), StatusCode::OK);
    let path = format!("/api/v1/admin/users/{}", moderator["user"]["id"].as_str().unwrap());
    assert_eq!(identity.patch(&path, &json!({ "role": "user" }), Some(admin_token)).await.status(), StatusCode::OK);
    refused_within_two_seconds("a demoted moderator's token in content", || async {
        content.get("/api/v1/moderation/reports", Some(moderator_token)).await.status() == StatusCode::UNAUTHORIZED
    })
    .await;
}

/// Search in its own process: it rebuilds from content's API in another process, with the
/// deployment's internal token, and follows content's posts through NATS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_apart_rebuilds_from_content_over_http_and_follows_its_events() {
    let Some((mut config, identity_dir)) = TestApp::config(Backends::Distributed).await else { return };
    config.auth.internal_token = "a shared secret of this deployment".into();
    let identity = TestApp::spawn_targets("identity", config.clone(), identity_dir).await;
    config.auth.jwks_url = identity.url("/.well-known/jwks.json");
    let apart = |config: &riffle::Settings| {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config.clone();
        config.data_dir = dir.path().into();
        (config, dir)
    };
    let (content_config, content_dir) = apart(&config);
    let content = TestApp::spawn_targets("content,graph", content_config, content_dir).await;
    let ada = identity.signed_up("ada").await;
    let token = ada["access_token"].as_str();
    let before = content.post("/api/v1/posts", &json!({ "text": "written before search ran" }), token).await;
    assert_eq!(before.status(), StatusCode::CREATED);

    let (mut search_config, search_dir) = apart(&config);
    search_config.search.content_url = content.url("");
    search_config.search.replica = "search-0".into();
    let search = TestApp::spawn_targets("search", search_config, search_dir).await;
    let found = |q: &'static str| {
        let search = &search;
        async move {
            let page: Value = search.get(&format!("/api/v1/search?q={q}"), None).await.json().await.unwrap();
            page["items"].as_array().unwrap().len()
        }
    };
    eventually("the new replica rebuilds from content", || async {
        let progress = search.get("/api/v1/admin/search/rebuild", Some("a shared secret of this deployment")).await;
        let progress: Value = progress.json().await.unwrap();
        progress["state"] == "done" && progress["posts"] == 1
    })
    .await;
    eventually("and finds what it read", || async { found("before").await == 1 }).await;
    content.post("/api/v1/posts", &json!({ "text": "written after search ran" }), token).await;
    eventually("and then follows content's events", || async { found("after").await == 1 }).await;
}
