//! Notifications through the public API: likes, reposts and follows of one target grouped with
//! exact counts while mentions and replies stay apart; take-backs (unlike, unfollow, deleted
//! posts); nothing from muted or blocked accounts, nothing about posts the recipient can no
//! longer see, nothing to oneself; preferences per kind; "notify me"; sign-ups for admins; reports
//! for moderators, their outcome for the reporter, hidden posts for their authors; the read marker; the live stream, resumable with Last-Event-ID.

use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, problem};

fn token(who: &Value) -> Option<&str> {
    who["access_token"].as_str()
}

fn id(who: &Value) -> String {
    who["user"]["id"].as_str().unwrap().to_owned()
}

async fn member(app: &TestApp, name: &str) -> Value {
    app.signed_up(name).await
}

async fn put(app: &TestApp, path: &str, who: &Value) -> StatusCode {
    app.client.put(app.url(path)).bearer_auth(token(who).unwrap()).send().await.unwrap().status()
}

async fn post(app: &TestApp, who: &Value, body: Value) -> String {
    let response = app.post("/api/v1/posts", &body, token(who)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn groups(app: &TestApp, who: &Value, query: &str) -> Vec<Value> {
    let page: Value = app.get(&format!("/api/v1/notifications{query}"), token(who)).await.json().await.unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

/// `(kind, count)` of each group, newest first.
async fn summary(app: &TestApp, who: &Value) -> Vec<(String, i64)> {
    groups(app, who, "")
        .await
        .iter()
        .map(|g| (g["kind"].as_str().unwrap().to_owned(), g["count"].as_i64().unwrap()))
        .collect()
}

fn samples(group: &Value) -> Vec<String> {
    group["sample_accounts"].as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap().to_owned()).collect()
}

crate::on_every_backend!(reactions_group_with_exact_counts_and_go_when_taken_back, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let (bob, carol, dave) = (member(&app, "bob").await, member(&app, "carol").await, member(&app, "dave").await);
    let hello = post(&app, &ada, json!({ "text": "hello" })).await;
    for fan in [&bob, &carol] {
        assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), fan).await, StatusCode::OK);
        assert_eq!(put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), fan).await, StatusCode::NO_CONTENT);
    }
    put(&app, &format!("/api/v1/posts/{hello}/like"), &ada).await; // a self-like, never told
    assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/repost"), &dave).await, StatusCode::OK);
    post(&app, &dave, json!({ "text": "hi @ada" })).await;
    post(&app, &dave, json!({ "text": "again @ada" })).await;
    post(&app, &carol, json!({ "text": "nice", "reply_to_id": hello })).await;

    eventually("five kinds, reactions grouped", || async {
        let mut kinds = summary(&app, &ada).await;
        kinds.sort();
        kinds
            == [
                ("follow".into(), 2),
                ("like".into(), 2),
                ("mention".into(), 1),
                ("mention".into(), 1),
                ("reply".into(), 1),
                ("repost".into(), 1),
            ]
    })
    .await;
    let likes = groups(&app, &ada, "?types=like").await;
    assert_eq!(likes.len(), 1, "filtered by kind");
    let first_mention = app.get("/api/v1/notifications?types=mention&limit=1", token(&ada)).await;
    let link = first_mention.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.starts_with("</api/v1/notifications?types=mention&limit=1&cursor="),
        "the next page keeps the filter: {link}"
    );
    assert_eq!(likes[0]["post_id"], hello.as_str());
    assert_eq!(samples(&likes[0]), ["carol", "bob"], "newest first, no self-like");
    let group = likes[0]["id"].as_str().unwrap();
    let accounts: Value =
        app.get(&format!("/api/v1/notifications/{group}/accounts?limit=1"), token(&ada)).await.json().await.unwrap();
    assert_eq!(accounts["items"][0]["username"], "carol");
    let rest = accounts["next_cursor"].as_str().unwrap();
    let accounts: Value = app
        .get(&format!("/api/v1/notifications/{group}/accounts?limit=1&cursor={rest}"), token(&ada))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accounts["items"][0]["username"], "bob");

    // Paging: one group a page, each once.
    let mut seen = Vec::new();
    let mut next = Some("/api/v1/notifications?limit=1".to_owned());
    while let Some(path) = next {
        let page: Value = app.get(&path, token(&ada)).await.json().await.unwrap();
        seen.extend(page["items"].as_array().unwrap().iter().map(|g| g["id"].as_str().unwrap().to_owned()));
        next = page["next_cursor"].as_str().map(|c| format!("/api/v1/notifications?limit=1&cursor={c}"));
    }
    seen.dedup();
    assert_eq!(seen.len(), 6);

    // Take-backs keep counts exact; an emptied group goes.
    assert_eq!(app.delete(&format!("/api/v1/posts/{hello}/like"), token(&bob)).await.status(), StatusCode::OK);
    assert_eq!(
        app.delete(&format!("/api/v1/users/{}/follow", id(&ada)), token(&carol)).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.delete(&format!("/api/v1/posts/{hello}/repost"), token(&dave)).await.status(), StatusCode::OK);
    eventually("counts follow the take-backs", || async {
        let mut kinds = summary(&app, &ada).await;
        kinds.retain(|(kind, _)| kind != "mention" && kind != "reply");
        kinds.sort();
        kinds == [("follow".into(), 1), ("like".into(), 1)]
    })
    .await;

    // Unread, then read; dismissing.
    let unread: Value = app.get("/api/v1/notifications/unread_count", token(&ada)).await.json().await.unwrap();
    assert_eq!(unread["count"], 5);
    let newest = groups(&app, &ada, "").await[0]["latest_at"].clone();
    let marker = app.post("/api/v1/notifications/read", &json!({ "read_up_to": newest }), token(&ada)).await;
    assert_eq!(marker.status(), StatusCode::OK);
    let unread: Value = app.get("/api/v1/notifications/unread_count", token(&ada)).await.json().await.unwrap();
    assert_eq!(unread["count"], 0);
    assert!(groups(&app, &ada, "").await.iter().all(|g| g["unread"] == false));
    let first = groups(&app, &ada, "").await[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.delete(&format!("/api/v1/notifications/{first}"), token(&ada)).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(app.get(&format!("/api/v1/notifications/{first}"), token(&ada)).await, StatusCode::NOT_FOUND).await;
    problem(app.get(&format!("/api/v1/notifications/{first}"), token(&bob)).await, StatusCode::NOT_FOUND).await;
    assert_eq!(groups(&app, &ada, "").await.len(), 4);
    problem(app.get("/api/v1/notifications?types=favourite", token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    problem(app.get("/api/v1/notifications?limit=81", token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/api/v1/notifications?cursor=bm9wZQ", token(&ada)).await, StatusCode::CONFLICT).await;
    problem(app.get("/api/v1/notifications", None).await, StatusCode::UNAUTHORIZED).await;
});

crate::on_every_backend!(the_silenced_tell_nothing_and_unseen_posts_are_left_out, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let (bob, carol, frank) = (member(&app, "bob").await, member(&app, "carol").await, member(&app, "frank").await);
    let hello = post(&app, &ada, json!({ "text": "hello" })).await;
    assert_eq!(put(&app, &format!("/api/v1/users/{}/mute", id(&bob)), &ada).await, StatusCode::NO_CONTENT);
    assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), &bob).await, StatusCode::OK);
    assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), &carol).await, StatusCode::OK);
    assert_eq!(put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &frank).await, StatusCode::NO_CONTENT);
    // Notifications learn follows from the graph's events: wait until the follow is told.
    eventually("frank's follow is told", || async { groups(&app, &ada, "?types=follow").await.len() == 1 }).await;
    post(&app, &ada, json!({ "text": "for followers, @frank", "visibility": "followers" })).await;
    eventually("carol's like, not the muted bob's; frank's mention", || async {
        let likes = groups(&app, &ada, "?types=like").await;
        let mentions = groups(&app, &frank, "?types=mention").await;
        likes.len() == 1 && samples(&likes[0]) == ["carol"] && likes[0]["count"] == 1 && mentions.len() == 1
    })
    .await;

    assert_eq!(put(&app, &format!("/api/v1/users/{}/block", id(&carol)), &ada).await, StatusCode::NO_CONTENT);
    assert_eq!(
        app.delete(&format!("/api/v1/users/{}/follow", id(&ada)), token(&frank)).await.status(),
        StatusCode::NO_CONTENT
    );
    eventually("a block takes back; an unfollowed author's followers-only post is no longer told", || async {
        groups(&app, &ada, "?types=like").await.is_empty() && groups(&app, &frank, "?types=mention").await.is_empty()
    })
    .await;
});

crate::on_every_backend!(preferences_notify_me_sign_ups_and_moderation, |app: TestApp| async move {
    let admin = app.admin("boss").await;
    let ada = member(&app, "ada").await;
    let (bob, carol) = (member(&app, "bob").await, member(&app, "carol").await);
    eventually("the admin is told about sign-ups, grouped", || async {
        let signups = groups(&app, &admin, "?types=sign_up").await;
        signups.len() == 1 && signups[0]["count"].as_i64() >= Some(3)
    })
    .await;

    // Likes off, follows ungrouped.
    let changed = app
        .patch(
            "/api/v1/notifications/preferences",
            &json!({ "like": { "enabled": false, "grouped": true }, "follow": { "enabled": true, "grouped": false } }),
            token(&ada),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let shown: Value = changed.json().await.unwrap();
    assert_eq!(shown["like"]["enabled"], false);
    assert_eq!(shown["mention"], json!({ "enabled": true, "grouped": true }));
    problem(
        app.patch(
            "/api/v1/notifications/preferences",
            &json!({ "favourite": { "enabled": false, "grouped": true } }),
            token(&ada),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let hello = post(&app, &ada, json!({ "text": "hello" })).await;
    for fan in [&bob, &carol] {
        assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), fan).await, StatusCode::OK);
        assert_eq!(put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), fan).await, StatusCode::NO_CONTENT);
    }
    eventually("two follow groups, no likes", || async {
        summary(&app, &ada).await == [("follow".into(), 1), ("follow".into(), 1)]
    })
    .await;

    // Notify me: bob hears of ada's posts, not her replies; carol, who does not ask, does not.
    let notify = format!("/api/v1/users/{}/notify", id(&ada));
    eventually("notify me, once notifications know of the follow", || async {
        put(&app, &notify, &bob).await == StatusCode::NO_CONTENT
    })
    .await;
    let state: Value = app.get(&notify, token(&bob)).await.json().await.unwrap();
    assert_eq!(state["notify"], true);
    problem(
        app.client
            .put(app.url(&format!("/api/v1/users/{}/notify", id(&carol))))
            .bearer_auth(token(&bob).unwrap())
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    post(&app, &ada, json!({ "text": "news" })).await;
    post(&app, &ada, json!({ "text": "an answer", "reply_to_id": hello })).await;
    eventually("bob is told of the new post", || async { groups(&app, &bob, "?types=post").await.len() == 1 }).await;
    assert!(groups(&app, &carol, "?types=post").await.is_empty());

    // A hidden post is told to its author.
    let reported = app.post(&format!("/api/v1/posts/{hello}/report"), &json!({ "reason": "spam" }), token(&bob)).await;
    assert_eq!(reported.status(), StatusCode::ACCEPTED);
    eventually("the admin is told of the report", || async {
        groups(&app, &admin, "?types=report")
            .await
            .first()
            .is_some_and(|g| g["post_id"] == hello.as_str() && samples(g) == ["bob"])
    })
    .await;
    let reports: Value = app.get("/api/v1/moderation/reports", token(&admin)).await.json().await.unwrap();
    let report = reports["items"][0]["id"].as_str().unwrap();
    let resolved = app
        .post(&format!("/api/v1/moderation/reports/{report}/resolve"), &json!({ "action": "hide" }), token(&admin))
        .await;
    assert_eq!(resolved.status(), StatusCode::NO_CONTENT);
    eventually("ada is told her post was hidden, bob that his report was resolved", || async {
        let hidden = groups(&app, &ada, "?types=post_hidden").await;
        let resolved = groups(&app, &bob, "?types=report_resolved").await;
        hidden.len() == 1 && hidden[0]["post_id"] == hello.as_str() && resolved.len() == 1
    })
    .await;
});

/// Reads server-sent events from `response` until `wanted` events arrived (or 10 s passed).
async fn events(response: reqwest::Response, wanted: usize) -> Vec<(String, String, Value)> {
    let mut body = response.bytes_stream();
    let (mut text, mut found) = (String::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while found.len() < wanted {
        let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await else { break };
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let field =
                |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_default().trim().to_owned();
            if !field("event:").is_empty() {
                found.push((
                    field("id:"),
                    field("event:"),
                    serde_json::from_str(&field("data:")).unwrap_or(Value::Null),
                ));
            }
        }
    }
    found
}

crate::on_every_backend!(a_like_reaches_the_live_stream_and_a_stream_resumes, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let (bob, carol) = (member(&app, "bob").await, member(&app, "carol").await);
    let hello = post(&app, &ada, json!({ "text": "hello" })).await;
    let stream = || app.client.get(app.url("/api/v1/notifications/stream")).bearer_auth(token(&ada).unwrap());
    let live = stream().send().await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    assert!(live.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), &bob).await, StatusCode::OK);
    let first = events(live, 1).await;
    assert_eq!(first.len(), 1, "the like arrives live");
    let (last_id, kind, group) = &first[0];
    assert_eq!((kind.as_str(), group["kind"].as_str(), group["count"].as_i64()), ("group", Some("like"), Some(1)));

    // Missed while away: the group's change, sent on resuming after the last event seen.
    assert_eq!(put(&app, &format!("/api/v1/posts/{hello}/like"), &carol).await, StatusCode::OK);
    eventually("carol's like is in", || async {
        groups(&app, &ada, "?types=like").await.first().is_some_and(|g| g["count"] == 2)
    })
    .await;
    let resumed = stream().header("last-event-id", last_id).send().await.unwrap();
    let caught_up = events(resumed, 1).await;
    assert_eq!(caught_up[0].2["count"], 2, "{caught_up:?}");
    assert_eq!(samples(&caught_up[0].2), ["carol", "bob"]);
    problem(app.get("/api/v1/notifications/stream", None).await, StatusCode::UNAUTHORIZED).await;
});
