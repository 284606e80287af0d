//! Search through the API: posts found within a second of being written, by those who may see
//! them and nobody else, in Chinese and English; edits and deletes reflected; bad queries
//! refused with the position of the problem.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, problem};

fn token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

fn id(tokens: &Value) -> String {
    tokens["user"]["id"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, author: &Value, text: &str, visibility: &str) -> String {
    let response =
        app.post("/api/v1/posts", &json!({ "text": text, "visibility": visibility }), Some(token(author))).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn put(app: &TestApp, path: &str, who: &Value) {
    let response = app.client.put(app.url(path)).bearer_auth(token(who)).send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
}

/// The ids of what `q` finds for `viewer`.
async fn found(app: &TestApp, q: &str, viewer: Option<&Value>) -> Vec<String> {
    let path = format!("/api/v1/search?q={}", urlencode(q));
    let response = app.get(&path, viewer.map(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{q}");
    let page: Value = response.json().await.unwrap();
    let mut ids: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn urlencode(q: &str) -> String {
    q.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

crate::on_every_backend!(posts_are_found_by_those_who_may_see_them_and_nobody_else, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let carol = app.signed_up("carol").await;
    let dave = app.signed_up("dave").await;
    put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &carol).await;
    put(&app, &format!("/api/v1/users/{}/block", id(&dave)), &ada).await;
    let public = post(&app, &ada, "我在北京大学读书 and I love running", "public").await;
    let private = post(&app, &ada, "北京大学 for my followers", "followers").await;
    let apart = post(&app, &bob, "我去过北京。后来上了大学。", "public").await;

    eventually("a new post is found", || async { found(&app, "北京大学", None).await == [public.clone()] }).await;
    assert_eq!(found(&app, "北京", None).await, sorted(vec![public.clone(), apart.clone()]));
    assert_eq!(found(&app, "run", Some(&bob)).await, std::slice::from_ref(&public), "stemmed");
    eventually("a follower finds the followers-only post", || async {
        found(&app, "北京大学", Some(&carol)).await == sorted(vec![public.clone(), private.clone()])
    })
    .await;
    assert_eq!(found(&app, "北京大学", Some(&ada)).await, sorted(vec![public.clone(), private.clone()]), "the author");
    eventually("the blocked finds nothing of the blocker", || async {
        found(&app, "北京大学", Some(&dave)).await.is_empty()
    })
    .await;
    assert_eq!(found(&app, "from:ada 北京大学", None).await, std::slice::from_ref(&public));
    assert_eq!(found(&app, "from:bob 北京大学", None).await, Vec::<String>::new());

    // Hits are escaped snippets with the matches marked.
    let page: Value = app.get(&format!("/api/v1/search?q={}", urlencode("running")), None).await.json().await.unwrap();
    assert!(page["items"][0]["snippet"].as_str().unwrap().contains("<mark>running</mark>"), "{page}");

    // An edit is searchable, a deletion is gone, within a second.
    let edited = app
        .patch(&format!("/api/v1/posts/{public}"), &json!({ "text": "热力学 lecture notes" }), Some(token(&ada)))
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    eventually("the edit is found", || async { found(&app, "热力学", None).await == [public.clone()] }).await;
    assert!(found(&app, "北京大学", None).await.is_empty(), "the old text is not");
    assert_eq!(
        app.delete(&format!("/api/v1/posts/{public}"), Some(token(&ada))).await.status(),
        StatusCode::NO_CONTENT
    );
    eventually("a deleted post is gone", || async { found(&app, "热力学", None).await.is_empty() }).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_refused_with_where_and_why() {
    let app = TestApp::spawn(crate::helpers::Backends::Embedded).await.unwrap();
    for (q, says) in [
        ("\"never closed", "at character 0"),
        ("rust *ace", "wildcards are not supported (at character 5)"),
        ("", "say what to look for"),
        (&"a".repeat(600), "at most 512 characters"),
        (&"w ".repeat(20), "at most 16"),
    ] {
        let response = app.get(&format!("/api/v1/search?q={}", urlencode(q)), None).await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], "q", "{q}: {body}");
        assert!(body.to_string().contains(says), "{q}: {body}");
    }
    let response = app.get("/api/v1/search?q=rust&limit=500", None).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}
