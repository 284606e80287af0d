//! Feeds out through the public API: every public stream as Atom, RSS and JSON Feed, only
//! public posts, nothing from suspended accounts, markup escaped, media as enclosures, paged,
//! and cacheable with validators; and one Riffle instance following another's user through its
//! feed with its own crawler. (A stock reader's view is `scripts/feeds/check.py`, run by CI.)

use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually, problem};

fn token(tokens: &Value) -> Option<&str> {
    tokens["access_token"].as_str()
}

async fn post(app: &TestApp, user: &Value, body: Value) -> String {
    let response = app.post("/api/v1/posts", &body, token(user)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn json_feed(app: &TestApp, path: &str) -> Value {
    let response = app.get(path, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/feed+json"));
    response.json().await.unwrap()
}

fn texts(feed: &Value) -> Vec<String> {
    feed["items"].as_array().unwrap().iter().map(|i| i["content_text"].as_str().unwrap().to_owned()).collect()
}

crate::on_every_backend!(public_streams_are_feeds_in_three_formats, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let grace = app.signed_up("grace").await;
    let photo: Value =
        crate::media::upload(&app, &ada, crate::media::png(), "dot.png", "image/png").await.json().await.unwrap();
    let shown = post(&app, &ada, json!({ "text": "Hello <b>world</b> & #rust", "media_ids": [photo["id"]] })).await;
    post(&app, &ada, json!({ "text": "for followers only #rust", "visibility": "followers" })).await;
    post(&app, &ada, json!({ "text": "unlisted #rust", "visibility": "unlisted" })).await;
    let reposted = app
        .client
        .put(app.url(&format!("/api/v1/posts/{shown}/repost")))
        .bearer_auth(token(&grace).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(reposted.status(), StatusCode::OK);
    eventually("the post reaches the public stream", || async {
        app.get("/api/v1/timelines/public", None).await.json::<Value>().await.unwrap()["items"]
            .as_array()
            .is_some_and(|items| items.len() == 2)
    })
    .await;

    for path in ["/feeds/public.json", "/feeds/users/ada.json", "/feeds/tags/rust.json"] {
        let feed = json_feed(&app, path).await;
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(texts(&feed), ["Hello <b>world</b> & #rust"], "{path}: public posts, no reposts");
        let item = &feed["items"][0];
        assert_eq!(item["content_html"], "<p>Hello &lt;b&gt;world&lt;/b&gt; &amp; #rust</p>", "{path}");
        assert_eq!(item["authors"][0]["name"], "ada (@ada)");
        assert_eq!(item["tags"], json!(["rust"]));
        let attachment = &item["attachments"][0];
        assert_eq!(
            (attachment["mime_type"].as_str(), attachment["size_in_bytes"].as_u64()),
            (Some("image/png"), Some(crate::media::png().len() as u64))
        );
        assert!(
            attachment["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/v1/media/{}/content", photo["id"].as_str().unwrap()))
        );
    }

    for (path, content_type, marker) in [
        ("/feeds/users/ada.atom", "application/atom+xml", "<feed xmlns=\"http://www.w3.org/2005/Atom\""),
        ("/feeds/tags/RUST.rss", "application/rss+xml", "<rss version=\"2.0\""),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(content_type));
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=60");
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{body}");
        assert!(body.contains("Hello &lt;b&gt;world&lt;/b&gt;") && !body.contains("<b>"), "{path}: escaped: {body}");
        assert!(!body.contains("for followers only") && !body.contains("unlisted #rust"), "{path}");
        assert!(body.contains("image/png"), "{path}: the photo as an enclosure");

        // The reader's copy is current: 304 by ETag and by date, with the validators again.
        let etag = headers[header::ETAG].to_str().unwrap();
        let modified = headers[header::LAST_MODIFIED].to_str().unwrap();
        let by_tag = app.client.get(app.url(path)).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
        assert_eq!(by_tag.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(by_tag.headers()[header::ETAG], etag);
        let by_date = app.client.get(app.url(path)).header(header::IF_MODIFIED_SINCE, modified).send().await.unwrap();
        assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
        let stale = app.client.get(app.url(path)).header(header::IF_NONE_MATCH, "\"other\"").send().await.unwrap();
        assert_eq!(stale.status(), StatusCode::OK);
    }

    // A new post changes the feed: a new ETag, and the reader's old one gets the whole feed.
    let before = app.get("/feeds/public.atom", None).await.headers()[header::ETAG].clone();
    post(&app, &grace, json!({ "text": "grace was here" })).await;
    eventually("the new post changes the feed", || async {
        let now =
            app.client.get(app.url("/feeds/public.atom")).header(header::IF_NONE_MATCH, &before).send().await.unwrap();
        now.status() == StatusCode::OK
    })
    .await;

    problem(app.get("/feeds/users/nobody.atom", None).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/feeds/public.xml", None).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/feeds/private.atom", None).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/feeds/public.atom?limit=201", None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/feeds/public.atom?limit=0", None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/feeds/public.json?cursor=bm90LWEtcG9zdA", None).await, StatusCode::CONFLICT).await;
});

crate::on_every_backend!(feeds_page_with_next_links_to_the_end, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    for n in 1..=5 {
        post(&app, &ada, json!({ "text": format!("post {n}") })).await;
    }
    eventually("the posts reach ada's stream", || async {
        texts(&json_feed(&app, "/feeds/users/ada.json?limit=200").await).len() == 5
    })
    .await;
    let mut seen = Vec::new();
    let mut next = Some(app.url("/feeds/users/ada.json?limit=2"));
    while let Some(url) = next {
        let page: Value = app.client.get(&url).send().await.unwrap().json().await.unwrap();
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(texts(&page));
        // Links are absolute under `public_url`; the test server's address is another.
        next = page["next_url"].as_str().map(|u| app.url(&u[u.find("/feeds/").unwrap()..]));
    }
    assert_eq!(seen, ["post 5", "post 4", "post 3", "post 2", "post 1"], "newest first, each once");

    let atom = app.get("/feeds/users/ada.atom?limit=2", None).await.text().await.unwrap();
    assert!(atom.contains("rel=\"next\""), "{atom}");
    let last = app.get("/feeds/users/ada.atom?limit=200", None).await.text().await.unwrap();
    assert!(!last.contains("rel=\"next\""), "the last page has no next link");
});

crate::on_every_backend!(suspended_accounts_leave_every_feed_and_stream, |app: TestApp| async move {
    let admin = app.admin("chief").await;
    let ada = app.signed_up("ada").await;
    let ada_id = ada["user"]["id"].as_str().unwrap().to_owned();
    post(&app, &ada, json!({ "text": "soon hidden #rust" })).await;
    let public = || async { texts(&json_feed(&app, "/feeds/public.json").await) };
    eventually("the post is in the public feed", || async { public().await.len() == 1 }).await;

    let path = format!("/api/v1/admin/users/{ada_id}");
    assert_eq!(app.patch(&path, &json!({ "status": "suspended" }), token(&admin)).await.status(), StatusCode::OK);
    eventually("a suspended account's posts are gone from feeds and streams", || async {
        let stream: Value = app.get("/api/v1/timelines/public", None).await.json().await.unwrap();
        let tag: Value = app.get("/api/v1/timelines/tag/rust", None).await.json().await.unwrap();
        public().await.is_empty()
            && stream["items"] == json!([])
            && tag["items"] == json!([])
            && app.get("/feeds/users/ada.atom", None).await.status() == StatusCode::NOT_FOUND
    })
    .await;

    assert_eq!(app.patch(&path, &json!({ "status": "active" }), token(&admin)).await.status(), StatusCode::OK);
    eventually("restored, the posts are back", || async {
        public().await.len() == 1 && app.get("/feeds/users/ada.atom", None).await.status() == StatusCode::OK
    })
    .await;
});

/// Two instances: the second's crawler subscribes to a user's Atom feed on the first, and the
/// user's posts become a source account's posts there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_follows_another_instances_user_through_its_feed() {
    let origin = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = origin.signed_up("ada").await;
    post(&origin, &ada, json!({ "text": "Hello from the first instance #riffle" })).await;
    eventually("the post is in ada's feed", || async {
        texts(&json_feed(&origin, "/feeds/users/ada.json").await).len() == 1
    })
    .await;

    let origin_host = origin.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.crawler.allow_hosts = vec![origin_host];
    config.crawler.per_host_delay_ms = 0;
    let follower = TestApp::spawn_with(config, dir).await;
    let reader = follower.signed_up("reader").await;
    let added =
        follower.post("/api/v1/sources", &json!({ "url": origin.url("/feeds/users/ada.atom") }), token(&reader)).await;
    assert_eq!(added.status(), StatusCode::CREATED, "{:?}", added.text().await);
    let source: Value = added.json().await.unwrap();
    assert_eq!(source["title"], "@ada");

    eventually("ada's post is in the reader's home on the second instance", || async {
        let home: Value = follower.get("/api/v1/timelines/home", token(&reader)).await.json().await.unwrap();
        home["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["text"].as_str().unwrap().contains("Hello from the first instance"))
    })
    .await;
}
