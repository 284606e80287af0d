//! Search through the API: posts found within a second of being written, by those who may see
//! them and nobody else, in Chinese and English; edits and deletes reflected; people and tags
//! found and completed; pages of posts; rebuilds from content (asked for, and of a damaged
//! index at start); bad queries refused with the position of the problem.

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

/// The items of a search or completion at `path`, as (type, id or name) pairs.
async fn items(app: &TestApp, path: &str, viewer: Option<&Value>) -> Vec<(String, String)> {
    let response = app.get(path, viewer.map(token)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let name = h.get("username").or(h.get("name")).or(h.get("id")).unwrap();
            (h["type"].as_str().unwrap().to_owned(), name.as_str().unwrap().to_owned())
        })
        .collect()
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
    eventually("a word inside a longer one is found too", || async {
        found(&app, "北京", None).await == sorted(vec![public.clone(), apart.clone()])
    })
    .await;
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

crate::on_every_backend!(people_and_tags_are_found_and_completed, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let adam = app.signed_up("adam").await;
    let bob = app.signed_up("bob").await;
    let profile = json!({ "display_name": "Ada Lovelace", "bio": "我在北京大学研究 analytical engines" });
    assert_eq!(app.patch("/api/v1/me", &profile, Some(token(&ada))).await.status(), StatusCode::OK);
    put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &bob).await;
    post(&app, &ada, "#RustLang and #rust", "public").await;
    post(&app, &bob, "more #rust", "public").await;
    post(&app, &bob, "#rustsecret among friends", "followers").await;

    let person = |name: &str| ("person".to_owned(), name.to_owned());
    eventually("a person is found by the words of their name and bio", || async {
        items(&app, "/api/v1/search?type=people&q=lovelace", None).await == [person("ada")]
    })
    .await;
    assert_eq!(
        items(&app, &format!("/api/v1/search?type=people&q={}", urlencode("北京 engine")), None).await,
        [person("ada")]
    );
    eventually("completion puts the most followed first", || async {
        items(&app, "/api/v1/search/complete?type=people&prefix=%40ad", None).await == [person("ada"), person("adam")]
    })
    .await;
    put(&app, &format!("/api/v1/users/{}/block", id(&adam)), &ada).await;
    eventually("nobody is offered to someone they blocked", || async {
        items(&app, "/api/v1/search/complete?type=people&prefix=ad", Some(&ada)).await == [person("ada")]
    })
    .await;

    let tag = |name: &str| ("tag".to_owned(), name.to_owned());
    eventually("tags of public posts, the most used first", || async {
        items(&app, "/api/v1/search?type=tags&q=%23rus", None).await == [tag("rust"), tag("rustlang")]
    })
    .await;
    let tags: Value = app.get("/api/v1/search/complete?type=tags&prefix=rust", None).await.json().await.unwrap();
    assert_eq!(tags["items"][0], json!({ "type": "tag", "name": "rust", "posts": 2 }), "{tags}");

    let response = app.get("/api/v1/search/complete?type=people&prefix=%40", None).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let response = app.get("/api/v1/search?type=people&q=ada&cursor=abc", None).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_posts_follow_one_another() {
    let app = TestApp::spawn(crate::helpers::Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let mut written = Vec::new();
    for n in 0..5 {
        written.push(post(&app, &ada, &format!("paging notes {n}"), "public").await);
    }
    eventually("the posts are found", || async { found(&app, "paging", None).await.len() == 5 }).await;
    for sort in ["relevance", "newest"] {
        let (mut seen, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let mut path = format!("/api/v1/search?q=paging&limit=2&sort={sort}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let page: Value = app.get(&path, None).await.json().await.unwrap();
            seen.extend(page["items"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        if sort == "newest" {
            assert_eq!(seen, written.iter().rev().cloned().collect::<Vec<_>>());
        }
        assert_eq!(sorted(seen), sorted(written.clone()), "{sort}: every post once");
    }
    let first: Value = app.get("/api/v1/search?q=paging&limit=2", None).await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let response = app.get(&format!("/api/v1/search?q=paging&sort=newest&cursor={cursor}"), None).await;
    problem(response, StatusCode::CONFLICT).await;
    let response = app.get("/api/v1/search?q=paging&cursor=bm9wZQ", None).await;
    problem(response, StatusCode::CONFLICT).await;
}

/// Asks for a rebuild as `admin` (once the one at start has ended) and waits until it is
/// done; returns its final progress.
async fn rebuilt(app: &TestApp, admin: &Value) -> Value {
    for _ in 0..200 {
        let started = app.post("/api/v1/admin/search/rebuild", &json!({}), Some(token(admin))).await;
        match started.status() {
            StatusCode::ACCEPTED => break,
            StatusCode::CONFLICT => tokio::time::sleep(std::time::Duration::from_millis(25)).await,
            other => panic!("a rebuild answered {other}"),
        }
    }
    for _ in 0..200 {
        let progress: Value = app.get("/api/v1/admin/search/rebuild", Some(token(admin))).await.json().await.unwrap();
        if progress["state"] != "running" {
            return progress;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the rebuild did not end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_reads_every_post_from_content_and_replaces_the_index() {
    let app = TestApp::spawn(crate::helpers::Backends::Embedded).await.unwrap();
    let admin = app.admin("search_admin").await;
    let ada = app.signed_up("ada").await;
    let public = post(&app, &ada, "rebuilt words", "public").await;
    let private = post(&app, &ada, "rebuilt for followers", "followers").await;
    let gone = post(&app, &ada, "rebuilt then deleted", "public").await;
    app.delete(&format!("/api/v1/posts/{gone}"), Some(token(&ada))).await;
    eventually("indexed", || async { found(&app, "rebuilt", Some(&ada)).await.len() == 2 }).await;

    // Content's export is for admins and the internal token only.
    problem(app.get("/api/v1/admin/posts", None).await, StatusCode::UNAUTHORIZED).await;
    problem(app.get("/api/v1/admin/posts", Some(token(&ada))).await, StatusCode::FORBIDDEN).await;
    let export: Value = app.get("/api/v1/admin/posts?limit=1", Some(token(&admin))).await.json().await.unwrap();
    assert_eq!((export["total"].as_u64(), export["items"].as_array().unwrap().len()), (Some(2), 1), "{export}");
    assert!(export["next_cursor"].is_string());
    let status = app.post("/api/v1/admin/search/rebuild", &json!({}), Some(token(&ada))).await;
    problem(status, StatusCode::FORBIDDEN).await;

    let progress = rebuilt(&app, &admin).await;
    assert_eq!(progress["state"], "done", "{progress}");
    assert_eq!((progress["posts"].as_u64(), progress["total"].as_u64()), (Some(2), Some(2)), "{progress}");
    assert_eq!(found(&app, "rebuilt", Some(&ada)).await, sorted(vec![public.clone(), private]));
    assert_eq!(found(&app, "rebuilt", None).await, std::slice::from_ref(&public), "visibility holds in the new index");
    let later = post(&app, &ada, "rebuilt and then new", "public").await;
    eventually("new posts reach the new index", || async {
        found(&app, "rebuilt", None).await == sorted(vec![public.clone(), later.clone()])
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_index_is_set_aside_at_start_and_rebuilt_from_content() {
    let app = TestApp::spawn(crate::helpers::Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let written = post(&app, &ada, "survives the damage", "public").await;
    eventually("indexed", || async { found(&app, "damage", None).await == [written.clone()] }).await;
    let config = app.config.clone();
    let data_dir = app.stop().await;
    let search = data_dir.path().join("search");
    let current = std::fs::read_to_string(search.join("CURRENT")).unwrap_or_else(|_| "posts".into());
    std::fs::write(search.join(current.trim()).join("meta.json"), b"{ damaged").unwrap();
    let app = TestApp::spawn_with(config, data_dir).await;
    eventually("rebuilt from content", || async { found(&app, "damage", None).await == [written.clone()] }).await;
    assert_eq!(items(&app, "/api/v1/search?type=people&q=ada", None).await, [("person".into(), "ada".into())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn riffle_search_reindex_rebuilds_a_running_service() {
    let app = TestApp::spawn(crate::helpers::Backends::Embedded).await.unwrap();
    let admin = app.admin("search_admin").await;
    let ada = app.signed_up("ada").await;
    post(&app, &ada, "reindexed from the command line", "public").await;
    // Not while the rebuild at start may still run.
    eventually("the rebuild at start has ended", || async {
        let progress: Value = app.get("/api/v1/admin/search/rebuild", Some(token(&admin))).await.json().await.unwrap();
        progress["state"] != "running"
    })
    .await;
    let reindex = |who: String| {
        let url = app.url("");
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_riffle"))
                .args(["search", "reindex", "--url", &url, "--token", &who])
                .env_remove("RIFFLE_CONFIG")
                .current_dir(std::env::temp_dir())
                .output()
                .unwrap()
        })
    };
    let done = reindex(token(&admin).to_owned()).await.unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{stdout} {}", String::from_utf8_lossy(&done.stderr));
    assert!(stdout.contains("search index rebuilt: 1 posts"), "{stdout}");
    assert_eq!(found(&app, "command", None).await.len(), 1);
    let refused = reindex(token(&ada).to_owned()).await.unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("403"), "{}", String::from_utf8_lossy(&refused.stderr));
}
