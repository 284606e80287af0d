//! The public, tag and user streams through the public API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually};

pub(crate) fn token(tokens: &Value) -> Option<&str> {
    tokens["access_token"].as_str()
}

pub(crate) async fn post(app: &TestApp, author: &Value, body: Value) -> String {
    let response = app.post("/api/v1/posts", &body, token(author)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

pub(crate) fn texts(page: &Value) -> Vec<String> {
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

    // Served posts are cached; an edit shows at once all the same.
    let two = page["items"][1]["id"].as_str().unwrap().to_owned();
    let edited = app.patch(&format!("/api/v1/posts/{two}"), &json!({ "text": "two, edited" }), token(&bob)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    shows(&app, "/api/v1/timelines/public", &["five #rust", "two, edited", "one #Rust"]).await;

    app.delete(&format!("/api/v1/posts/{five}"), token(&bob)).await;
    shows(&app, "/api/v1/timelines/public", &["two, edited", "one #Rust"]).await;
    shows(&app, "/api/v1/timelines/tag/rust", &["one #Rust"]).await;

    // So does a new name on cached posts.
    let renamed = app.patch("/api/v1/me", &json!({ "display_name": "Robert" }), token(&bob)).await;
    assert_eq!(renamed.status(), StatusCode::OK);
    eventually("bob's post shows his new name", || async {
        let page: Value = app.get("/api/v1/timelines/public", None).await.json().await.unwrap();
        page["items"][0]["author"]["display_name"] == "Robert"
    })
    .await;
});

crate::on_every_backend!(cursors_neither_repeat_nor_skip_while_posts_arrive, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    for i in 0..5 {
        post(&app, &ada, json!({ "text": format!("old {i}") })).await;
    }
    shows(&app, "/api/v1/timelines/public?limit=2", &["old 4", "old 3"]).await;
    let first: Value = app.get("/api/v1/timelines/public?limit=2", None).await.json().await.unwrap();
    for i in 0..3 {
        post(&app, &ada, json!({ "text": format!("new {i}") })).await;
    }
    shows(&app, "/api/v1/timelines/public?limit=1", &["new 2"]).await;
    let mut seen = texts(&first);
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page: Value =
            app.get(&format!("/api/v1/timelines/public?limit=2&cursor={c}"), None).await.json().await.unwrap();
        seen.extend(texts(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["old 4", "old 3", "old 2", "old 1", "old 0"],
        "new posts are above the cursor, not in the pages after it"
    );
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

/// Waits until the home timeline of `user` lists exactly `expected`.
pub(crate) async fn home_shows(app: &TestApp, user: &Value, expected: &[&str]) {
    eventually(&format!("home shows {expected:?}"), || async {
        let page: Value = app.get("/api/v1/timelines/home", token(user)).await.json().await.unwrap();
        texts(&page) == expected
    })
    .await;
}

pub(crate) async fn relate(app: &TestApp, who: &Value, verb: &str, whom: &Value, on: bool) {
    let path = format!("/api/v1/users/{}/{verb}", whom["user"]["id"].as_str().unwrap());
    let request = if on { app.client.put(app.url(&path)) } else { app.client.delete(app.url(&path)) };
    let response = request.bearer_auth(token(who).unwrap()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT, "{verb} {on}");
}

/// Signs up and waits until the graph knows the user.
pub(crate) async fn member(app: &TestApp, name: &str) -> Value {
    let tokens = app.signed_up(name).await;
    let path = format!("/api/v1/users/{}/followers", tokens["user"]["id"].as_str().unwrap());
    eventually("the graph knows the new user", || async { app.get(&path, None).await.status() == StatusCode::OK })
        .await;
    tokens
}

crate::on_every_backend!(home_follows_the_graph, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    let carol = member(&app, "carol").await;
    post(&app, &ada, json!({ "text": "before the follow" })).await;
    post(&app, &bob, json!({ "text": "bob's own" })).await;
    home_shows(&app, &bob, &["bob's own"]).await;

    relate(&app, &bob, "follow", &ada, true).await;
    home_shows(&app, &bob, &["bob's own", "before the follow"]).await;

    post(&app, &ada, json!({ "text": "for followers", "visibility": "followers" })).await;
    let carols = post(&app, &carol, json!({ "text": "carol speaks" })).await;
    post(&app, &ada, json!({ "text": "reply to a stranger", "reply_to_id": carols })).await;
    let bobs = post(&app, &bob, json!({ "text": "bob asks" })).await;
    post(&app, &ada, json!({ "text": "reply to bob", "reply_to_id": bobs })).await;
    home_shows(&app, &bob, &["reply to bob", "bob asks", "for followers", "bob's own", "before the follow"]).await;
    let carol_home: Value = app.get("/api/v1/timelines/home", token(&carol)).await.json().await.unwrap();
    assert_eq!(texts(&carol_home), ["carol speaks"], "no one carol follows posted");

    relate(&app, &bob, "mute", &ada, true).await;
    home_shows(&app, &bob, &["bob asks", "bob's own"]).await;
    relate(&app, &bob, "mute", &ada, false).await;
    home_shows(&app, &bob, &["reply to bob", "bob asks", "for followers", "bob's own", "before the follow"]).await;
    relate(&app, &bob, "follow", &ada, false).await;
    home_shows(&app, &bob, &["bob asks", "bob's own"]).await;
});

/// PUTs (`on`) or DELETEs `path` as `who`, expecting 204 or 200.
pub(crate) async fn toggle(app: &TestApp, who: &Value, path: &str, on: bool) {
    let request = if on { app.client.put(app.url(path)) } else { app.client.delete(app.url(path)) };
    let response = request.bearer_auth(token(who).unwrap()).send().await.unwrap();
    assert!(response.status().is_success(), "{path} {on}: {}", response.status());
}

crate::on_every_backend!(home_follows_hashtags, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    let carol = member(&app, "carol").await;
    post(&app, &ada, json!({ "text": "older #Rust" })).await;
    post(&app, &ada, json!({ "text": "untagged" })).await;
    toggle(&app, &bob, "/api/v1/tags/rust/follow", true).await;
    home_shows(&app, &bob, &["older #Rust"]).await;

    post(&app, &ada, json!({ "text": "newer #rust" })).await;
    post(&app, &ada, json!({ "text": "friends only #rust", "visibility": "followers" })).await;
    post(&app, &carol, json!({ "text": "carol's #rust" })).await;
    home_shows(&app, &bob, &["carol's #rust", "newer #rust", "older #Rust"]).await;

    relate(&app, &bob, "mute", &carol, true).await;
    home_shows(&app, &bob, &["newer #rust", "older #Rust"]).await;
    // Following the author too, then dropping the tag: what the follow shows stays.
    relate(&app, &bob, "follow", &ada, true).await;
    home_shows(&app, &bob, &["friends only #rust", "newer #rust", "untagged", "older #Rust"]).await;
    toggle(&app, &bob, "/api/v1/tags/rust/follow", false).await;
    relate(&app, &bob, "follow", &ada, false).await;
    home_shows(&app, &bob, &[]).await;
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_pages_past_its_cap_follow_the_same_rules() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.timelines.cap = 3;
    let app = TestApp::spawn_with(config, dir).await;
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    let stranger = member(&app, "stranger").await;
    relate(&app, &bob, "follow", &ada, true).await;
    eventually("the follow reached the feed", || async {
        post(&app, &ada, json!({ "text": "probe" })).await;
        let page: Value = app.get("/api/v1/timelines/home", token(&bob)).await.json().await.unwrap();
        texts(&page).first().map(String::as_str) == Some("probe")
    })
    .await;
    for i in 0..6 {
        post(&app, &ada, json!({ "text": format!("ada {i}") })).await;
        post(&app, &stranger, json!({ "text": format!("stranger {i}") })).await;
    }
    let expected: Vec<String> = (0..6).rev().map(|i| format!("ada {i}")).collect();
    eventually("the newest are pushed", || async {
        let page: Value = app.get("/api/v1/timelines/home?limit=1", token(&bob)).await.json().await.unwrap();
        texts(&page) == expected[..1]
    })
    .await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/timelines/home?limit=2".to_owned();
    loop {
        let page: Value = app.get(&path, token(&bob)).await.json().await.unwrap();
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/timelines/home?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen[..6], expected[..], "past the cap of 3 the database continues with the same rule");
    assert!(seen.iter().all(|t| !t.starts_with("stranger")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_with_many_followers_are_merged_at_read_time_in_order() {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.timelines.fanout_threshold = 1;
    config.timelines.cap = 4;
    let app = TestApp::spawn_with(config, dir).await;
    let star = member(&app, "star").await;
    let friend = member(&app, "friend").await;
    let (bob, carol) = (member(&app, "bob").await, member(&app, "carol").await);
    for fan in [&bob, &carol] {
        relate(&app, fan, "follow", &star, true).await;
    }
    relate(&app, &bob, "follow", &friend, true).await;
    eventually("both follows of the star reached the feed", || async {
        post(&app, &friend, json!({ "text": "probe" })).await;
        let page: Value = app.get("/api/v1/timelines/home", token(&bob)).await.json().await.unwrap();
        texts(&page).first().map(String::as_str) == Some("probe")
    })
    .await;
    // Interleaved posts: the star's (pulled, above the threshold of 1 follower) and the
    // friend's (pushed).
    let mut expected = Vec::new();
    for i in 0..5 {
        for (author, name) in [(&star, "star"), (&friend, "friend")] {
            let text = format!("{name} {i}");
            post(&app, author, json!({ "text": text.clone() })).await;
            expected.push(text);
        }
    }
    expected.reverse();
    eventually("the newest pushed post arrived", || async {
        let page: Value = app.get("/api/v1/timelines/home?limit=1", token(&bob)).await.json().await.unwrap();
        texts(&page) == expected[..1]
    })
    .await;
    let seen = read_all_as(&app, &bob, "/api/v1/timelines/home?limit=3").await;
    assert_eq!(seen[..10], expected[..], "pulled and pushed posts interleave exactly, across the cap of 4");
    let carols: Value = app.get("/api/v1/timelines/home", token(&carol)).await.json().await.unwrap();
    assert_eq!(texts(&carols)[..2], ["star 4", "star 3"], "every follower gets the star's posts");

    // The home rule holds for pulled accounts too: a reply shows only to followers of the
    // account it answers, and followers-only posts reach followers.
    let asks = post(&app, &friend, json!({ "text": "friend asks" })).await;
    post(&app, &star, json!({ "text": "star answers", "reply_to_id": asks })).await;
    post(&app, &star, json!({ "text": "star, followers only", "visibility": "followers" })).await;
    eventually("bob sees the answer", || async {
        let page: Value = app.get("/api/v1/timelines/home?limit=3", token(&bob)).await.json().await.unwrap();
        texts(&page) == ["star, followers only", "star answers", "friend asks"]
    })
    .await;
    let carols: Value = app.get("/api/v1/timelines/home?limit=2", token(&carol)).await.json().await.unwrap();
    assert_eq!(texts(&carols), ["star, followers only", "star 4"], "carol does not follow the account answered");
}

async fn read_all_as(app: &TestApp, user: &Value, first: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = first.to_owned();
    loop {
        let page: Value = app.get(&path, token(user)).await.json().await.unwrap();
        seen.extend(texts(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return seen,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_reader_finds_a_full_home_on_return() {
    use timeline::{TimelineKey, TimelineStore, embedded::EmbeddedTimelines};
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.timelines.inactive_after_secs = 1;
    let app = TestApp::spawn_with(config.clone(), dir).await;
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    relate(&app, &bob, "follow", &ada, true).await;
    let read = post(&app, &ada, json!({ "text": "while bob reads" })).await;
    home_shows(&app, &bob, &["while bob reads"]).await;

    // Bob goes away; ada keeps posting, and fan-out skips bob.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    for i in 0..3 {
        post(&app, &ada, json!({ "text": format!("while bob is away {i}") })).await;
    }
    shows(&app, "/api/v1/timelines/public?limit=1", &["while bob is away 2"]).await;
    // The stopped server saved its timelines: bob's home holds only what came while he read.
    let data_dir = app.stop().await;
    let store = EmbeddedTimelines::load(&data_dir.path().join("timelines.snapshot")).map_err(|(_, e)| e).unwrap();
    let bob_home = TimelineKey::new(format!("home:{}", bob["user"]["id"].as_str().unwrap()));
    let pushed: Vec<String> =
        store.page(&bob_home, None, 10).await.unwrap().iter().map(|id| id.get().to_string()).collect();
    assert_eq!(pushed, [read], "nothing was pushed to the inactive reader");

    // His first read on return is complete at once: rebuilt from the database.
    let app = TestApp::spawn_with(config, data_dir).await;
    let page: Value = app.get("/api/v1/timelines/home", token(&bob)).await.json().await.unwrap();
    assert_eq!(
        texts(&page),
        ["while bob is away 2", "while bob is away 1", "while bob is away 0", "while bob reads"],
        "never an empty or stale home"
    );
}

/// Reads server-sent events from `response` until `count` `post` events arrived; returns their
/// texts. Gives up after ten seconds.
async fn sse_texts(response: reqwest::Response, count: usize) -> Vec<String> {
    use futures::StreamExt;
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut texts = Vec::new();
    let read = async {
        while texts.len() < count {
            let Some(Ok(chunk)) = body.next().await else { break };
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) {
                    let post: Value = serde_json::from_str(data.trim()).unwrap();
                    texts.push(post["text"].as_str().unwrap().to_owned());
                }
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
    texts
}

crate::on_every_backend!(live_streams_deliver_new_posts_and_resume_without_gaps, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    relate(&app, &bob, "follow", &ada, true).await;
    home_shows(&app, &bob, &[]).await;

    let public = app.client.get(app.url("/api/v1/timelines/public/stream")).send().await.unwrap();
    assert_eq!(public.headers()["content-type"], "text/event-stream");
    let home = app
        .client
        .get(app.url("/api/v1/timelines/home/stream"))
        .bearer_auth(token(&bob).unwrap())
        .send()
        .await
        .unwrap();
    let first = post(&app, &ada, json!({ "text": "live one" })).await;
    post(&app, &ada, json!({ "text": "live two", "visibility": "followers" })).await;
    assert_eq!(sse_texts(public, 1).await, ["live one"], "followers-only posts stay off the public stream");
    assert_eq!(sse_texts(home, 2).await, ["live one", "live two"]);

    // A client that lost its connection after the first post resumes from it.
    post(&app, &ada, json!({ "text": "live three" })).await;
    let resumed = app
        .client
        .get(app.url("/api/v1/timelines/home/stream"))
        .bearer_auth(token(&bob).unwrap())
        .header("last-event-id", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(sse_texts(resumed, 2).await, ["live two", "live three"]);
});

crate::on_every_backend!(posts_made_as_fast_as_possible_read_back_in_creation_order, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    // Back to back: many land in the same millisecond, where only the id's sequence orders them.
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(post(&app, &ada, json!({ "text": format!("quick {i}") })).await);
    }
    let mut ordered = ids.clone();
    ordered.sort_by_key(|id| id.parse::<u64>().unwrap());
    assert_eq!(ordered, ids, "ids increase in the order the posts were made");
    let expected: Vec<String> = (0..50).rev().map(|i| format!("quick {i}")).collect();
    let ada_id = ada["user"]["id"].as_str().unwrap();
    for path in [format!("/api/v1/users/{ada_id}/posts?limit=50"), "/api/v1/timelines/public?limit=50".to_owned()] {
        eventually(&format!("{path} lists the 50 posts newest first"), || async {
            let page: Value = app.get(&path, None).await.json().await.unwrap();
            texts(&page) == expected
        })
        .await;
    }
    eventually("ada's home lists them newest first", || async {
        let page: Value = app.get("/api/v1/timelines/home?limit=50", token(&ada)).await.json().await.unwrap();
        texts(&page) == expected
    })
    .await;
});
