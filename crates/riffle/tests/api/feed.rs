//! The public, tag and user streams through the public API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually};

fn token(tokens: &Value) -> Option<&str> {
    tokens["access_token"].as_str()
}

async fn post(app: &TestApp, author: &Value, body: Value) -> String {
    let response = app.post("/api/v1/posts", &body, token(author)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

fn texts(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect()
}

/// Waits until `path` lists exactly `expected` (texts, newest first).
async fn shows(app: &TestApp, path: &str, expected: &[&str]) {
    eventually(&format!("{path} shows {expected:?}"), || async {
        let page: Value = app.get(path, None).await.json().await.unwrap();
        texts(&page) == expected
    })
    .await;
}

crate::on_every_backend!(streams_show_the_right_posts_newest_first, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    post(&app, &ada, json!({ "text": "one #Rust" })).await;
    post(&app, &bob, json!({ "text": "two" })).await;
    post(&app, &ada, json!({ "text": "three, quietly", "visibility": "unlisted" })).await;
    post(&app, &ada, json!({ "text": "four, friends only", "visibility": "followers" })).await;
    let five = post(&app, &bob, json!({ "text": "five #rust" })).await;

    shows(&app, "/api/v1/timelines/public", &["five #rust", "two", "one #Rust"]).await;
    shows(&app, "/api/v1/timelines/tag/RUST", &["five #rust", "one #Rust"]).await;
    let ada_id = ada["user"]["id"].as_str().unwrap();
    shows(&app, &format!("/api/v1/users/{ada_id}/posts"), &["three, quietly", "one #Rust"]).await;
    let page: Value = app.get("/api/v1/timelines/public", None).await.json().await.unwrap();
    assert_eq!(page["items"][0]["author"]["username"], "bob");

    app.delete(&format!("/api/v1/posts/{five}"), token(&bob)).await;
    shows(&app, "/api/v1/timelines/public", &["two", "one #Rust"]).await;
    shows(&app, "/api/v1/timelines/tag/rust", &["one #Rust"]).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_continue_past_the_cap_from_the_database_and_a_lost_store_is_rebuilt() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.timelines.cap = 3;
    config.timelines.public_cap = 3;
    let app = TestApp::spawn_with(config.clone(), dir).await;
    let ada = app.signed_up("ada").await;
    for i in 0..8 {
        post(&app, &ada, json!({ "text": format!("post {i}") })).await;
    }
    let expected: Vec<String> = (0..8).rev().map(|i| format!("post {i}")).collect();
    let first_page: Vec<&str> = expected[..2].iter().map(String::as_str).collect();
    let first_path = "/api/v1/timelines/public?limit=2";
    eventually("the newest posts are in the stream", || async {
        let page: Value = app.get(first_path, None).await.json().await.unwrap();
        texts(&page) == first_page
    })
    .await;

    assert_eq!(
        read_all(&app, first_path).await,
        expected,
        "past the cap of 3, pages come from the database, without gaps"
    );

    // Lose the timeline store entirely: nothing the user could see is lost.
    let data_dir = app.stop().await;
    std::fs::remove_file(data_dir.path().join("timelines.snapshot")).unwrap();
    let app = TestApp::spawn_with(config, data_dir).await;
    assert_eq!(read_all(&app, first_path).await, expected);
}

/// Follows `next_cursor` from `first` to the end; returns every text in order.
async fn read_all(app: &TestApp, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = first.to_owned();
    loop {
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return seen,
        }
    }
}
