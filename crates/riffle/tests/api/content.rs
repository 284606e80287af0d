//! Posts, threads, reactions and moderation through the public API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, eventually, problem};

fn token(tokens: &Value) -> Option<&str> {
    tokens["access_token"].as_str()
}

async fn post(app: &TestApp, author: &Value, body: Value) -> Value {
    let response = app.post("/api/v1/posts", &body, token(author)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{:?}", response.text().await);
    response.json().await.unwrap()
}

crate::on_every_backend!(a_post_is_created_read_edited_and_deleted, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let created =
        post(&app, &ada, json!({ "text": "Hello #Rust world, says @grace: https://example.org", "language": "en" }))
            .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["entities"]["tags"], json!(["rust"]));
    assert_eq!(created["entities"]["mentions"], json!(["grace"]));
    assert_eq!(created["entities"]["links"], json!(["https://example.org"]));
    assert_eq!(created["visibility"], "public");
    assert_eq!(created["root_id"], created["id"]);
    assert_eq!(created["liked"], false);
    eventually("the author's name arrives from identity's event", || async {
        let post: Value = app.get(&format!("/api/v1/posts/{id}"), None).await.json().await.unwrap();
        post["author"]["username"] == "ada"
    })
    .await;

    let edited =
        app.patch(&format!("/api/v1/posts/{id}"), &json!({ "text": "Hello #Rust and #tokio" }), token(&ada)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(edited["entities"]["tags"], json!(["rust", "tokio"]));
    assert!(edited["edited_at"].is_string());
    let history: Value = app.get(&format!("/api/v1/posts/{id}/history"), None).await.json().await.unwrap();
    assert_eq!(history[0]["text"], "Hello #Rust world, says @grace: https://example.org");

    assert_eq!(app.delete(&format!("/api/v1/posts/{id}"), token(&ada)).await.status(), StatusCode::NO_CONTENT);
    problem(app.get(&format!("/api/v1/posts/{id}"), None).await, StatusCode::NOT_FOUND).await;
    problem(app.get(&format!("/api/v1/posts/{id}"), token(&ada)).await, StatusCode::NOT_FOUND).await;
});

#[tokio::test]
async fn text_length_counts_characters_and_bad_input_says_what_is_wrong() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let chinese = "字".repeat(500);
    let ok = post(&app, &ada, json!({ "text": format!("{chinese}"), "language": "zh-Hans" })).await;
    assert_eq!(ok["text"].as_str().unwrap().chars().count(), 500);
    let body = problem(
        app.post("/api/v1/posts", &json!({ "text": "字".repeat(501) }), token(&ada)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("501"), "{body}");
    problem(app.post("/api/v1/posts", &json!({ "text": "  " }), token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    let bad_language = json!({ "text": "hi", "language": "english please" });
    problem(app.post("/api/v1/posts", &bad_language, token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let too_many = json!({ "text": "hi", "media_ids": ["a", "b", "c", "d", "e"] });
    problem(app.post("/api/v1/posts", &too_many, token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let not_mine = json!({ "text": "hi", "media_ids": ["someone-elses-media"] });
    problem(app.post("/api/v1/posts", &not_mine, token(&ada)).await, StatusCode::FORBIDDEN).await;
    let bad_visibility = json!({ "text": "hi", "visibility": "secret" });
    problem(app.post("/api/v1/posts", &bad_visibility, token(&ada)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.post("/api/v1/posts", &json!({ "text": "hi" }), None).await, StatusCode::UNAUTHORIZED).await;

    // Bytes that are not UTF-8 are a client error, never a 500.
    let invalid_utf8 = app
        .client
        .post(app.url("/api/v1/posts"))
        .bearer_auth(token(&ada).unwrap())
        .header("content-type", "application/json")
        .body(b"{\"text\": \"\xff\xfe\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert!(invalid_utf8.status().is_client_error(), "{}", invalid_utf8.status());
    problem(app.get("/api/v1/posts/12345", None).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/api/v1/posts/not-a-number", None).await, StatusCode::NOT_FOUND).await;
}

crate::on_every_backend!(
    only_the_author_edits_or_deletes_and_followers_only_posts_stay_private,
    |app: TestApp| async move {
        let ada = app.signed_up("ada").await;
        let mallory = app.signed_up("mallory").await;
        let public = post(&app, &ada, json!({ "text": "mine" })).await;
        let path = format!("/api/v1/posts/{}", public["id"].as_str().unwrap());
        problem(app.patch(&path, &json!({ "text": "yours now" }), token(&mallory)).await, StatusCode::FORBIDDEN).await;
        problem(app.delete(&path, token(&mallory)).await, StatusCode::FORBIDDEN).await;

        let private = post(&app, &ada, json!({ "text": "for my followers", "visibility": "followers" })).await;
        let path = format!("/api/v1/posts/{}", private["id"].as_str().unwrap());
        assert_eq!(app.get(&path, token(&ada)).await.status(), StatusCode::OK, "the author sees it");
        problem(app.get(&path, token(&mallory)).await, StatusCode::NOT_FOUND).await;
        problem(app.get(&path, None).await, StatusCode::NOT_FOUND).await;
        problem(app.post(&format!("{path}/like"), &json!({}), token(&mallory)).await, StatusCode::METHOD_NOT_ALLOWED)
            .await;
        problem(
            app.client
                .put(app.url(&format!("{path}/like")))
                .bearer_auth(token(&mallory).unwrap())
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
        let reply = json!({ "text": "sneaky", "reply_to_id": private["id"] });
        problem(app.post("/api/v1/posts", &reply, token(&mallory)).await, StatusCode::NOT_FOUND).await;
    }
);

crate::on_every_backend!(replies_form_threads, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let a = post(&app, &ada, json!({ "text": "A" })).await;
    let b = post(&app, &bob, json!({ "text": "B", "reply_to_id": a["id"] })).await;
    let c = post(&app, &ada, json!({ "text": "C", "reply_to_id": b["id"] })).await;
    let d = post(&app, &bob, json!({ "text": "D", "reply_to_id": a["id"] })).await;
    assert_eq!(c["root_id"], a["id"]);

    let texts = |list: &Value| {
        list.as_array().unwrap().iter().map(|p| p["text"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let of_b: Value =
        app.get(&format!("/api/v1/posts/{}/context", b["id"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(texts(&of_b["ancestors"]), ["A"]);
    assert_eq!(texts(&of_b["descendants"]), ["C"]);
    let of_a: Value =
        app.get(&format!("/api/v1/posts/{}/context", a["id"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(texts(&of_a["descendants"]), ["B", "C", "D"], "depth first, oldest first");
    let a_now: Value =
        app.get(&format!("/api/v1/posts/{}", a["id"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(a_now["counts"]["replies"], 2);

    app.delete(&format!("/api/v1/posts/{}", d["id"].as_str().unwrap()), token(&bob)).await;
    let a_now: Value =
        app.get(&format!("/api/v1/posts/{}", a["id"].as_str().unwrap()), None).await.json().await.unwrap();
    assert_eq!(a_now["counts"]["replies"], 1, "a deleted reply no longer counts");
});

crate::on_every_backend!(likes_are_idempotent_and_exact_under_concurrency, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let target = post(&app, &ada, json!({ "text": "like me" })).await;
    let like_path = format!("/api/v1/posts/{}/like", target["id"].as_str().unwrap());
    let mut fans = Vec::new();
    for i in 0..8 {
        fans.push(app.signed_up(&format!("fan{i}")).await);
    }
    let likes = fans.iter().flat_map(|fan| {
        let request = || app.client.put(app.url(&like_path)).bearer_auth(token(fan).unwrap()).send();
        [request(), request()]
    });
    for response in futures::future::join_all(likes).await {
        assert_eq!(response.unwrap().status(), StatusCode::OK);
    }
    let now: Value = app
        .get(&format!("/api/v1/posts/{}", target["id"].as_str().unwrap()), token(&fans[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(now["counts"]["likes"], 8, "16 concurrent likes by 8 users are 8 likes");
    assert_eq!(now["liked"], true);
    let unliked: Value = app.delete(&like_path, token(&fans[0])).await.json().await.unwrap();
    assert_eq!(unliked["counts"]["likes"], 7);
    assert_eq!(unliked["liked"], false);
    let again: Value = app.delete(&like_path, token(&fans[0])).await.json().await.unwrap();
    assert_eq!(again["counts"]["likes"], 7, "unliking twice is one unlike");
});

crate::on_every_backend!(reposts_are_counted_once_and_go_with_their_original, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let original = post(&app, &ada, json!({ "text": "worth sharing" })).await;
    let path = format!("/api/v1/posts/{}/repost", original["id"].as_str().unwrap());
    for _ in 0..2 {
        let response = app.client.put(app.url(&path)).bearer_auth(token(&bob).unwrap()).send().await.unwrap();
        assert_eq!(response.json::<Value>().await.unwrap()["counts"]["reposts"], 1);
    }
    let private = post(&app, &ada, json!({ "text": "just us", "visibility": "followers" })).await;
    let private_path = format!("/api/v1/posts/{}/repost", private["id"].as_str().unwrap());
    let refused = app.client.put(app.url(&private_path)).bearer_auth(token(&ada).unwrap()).send().await.unwrap();
    problem(refused, StatusCode::FORBIDDEN).await;

    let undone: Value = app.delete(&path, token(&bob)).await.json().await.unwrap();
    assert_eq!(undone["counts"]["reposts"], 0);
    let redone = app.client.put(app.url(&path)).bearer_auth(token(&bob).unwrap()).send().await.unwrap();
    assert_eq!(redone.json::<Value>().await.unwrap()["counts"]["reposts"], 1);
});

crate::on_every_backend!(a_retried_create_with_the_same_idempotency_key_posts_once, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let send = |text: &'static str| {
        app.client
            .post(app.url("/api/v1/posts"))
            .bearer_auth(token(&ada).unwrap())
            .header("idempotency-key", "retry-1")
            .json(&json!({ "text": text }))
            .send()
    };
    let (first, second) = tokio::join!(send("once"), send("once"));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.status(), second.status()), (StatusCode::CREATED, StatusCode::CREATED));
    let (first, second): (Value, Value) = (first.json().await.unwrap(), second.json().await.unwrap());
    assert_eq!(first["id"], second["id"], "the retry got the first post back");
    problem(send("something else").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY).await;
});

crate::on_every_backend!(moderators_act_on_reports_and_every_action_is_logged, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let reporter = app.signed_up("reporter").await;
    let moderator = app.privileged("moddy", platform::Role::Moderator).await;
    let spam = post(&app, &ada, json!({ "text": "buy now" })).await;
    let spam_path = format!("/api/v1/posts/{}", spam["id"].as_str().unwrap());
    for _ in 0..2 {
        let reported = app
            .post(&format!("{spam_path}/report"), &json!({ "reason": "spam", "comment": "ads" }), token(&reporter))
            .await;
        assert_eq!(reported.status(), StatusCode::ACCEPTED);
    }
    problem(
        app.post(&format!("{spam_path}/report"), &json!({ "reason": "meh" }), token(&reporter)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(app.get("/api/v1/moderation/reports", token(&reporter)).await, StatusCode::FORBIDDEN).await;

    let queue: Value = app.get("/api/v1/moderation/reports", token(&moderator)).await.json().await.unwrap();
    let reports = queue["items"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "a repeated report while one is open is not a second one");
    let report_id = reports[0]["id"].as_str().unwrap();
    let resolve = format!("/api/v1/moderation/reports/{report_id}/resolve");
    let hidden = app.post(&resolve, &json!({ "action": "hide", "note": "spam" }), token(&moderator)).await;
    assert_eq!(hidden.status(), StatusCode::NO_CONTENT);
    problem(app.post(&resolve, &json!({ "action": "remove" }), token(&moderator)).await, StatusCode::CONFLICT).await;

    problem(app.get(&spam_path, token(&reporter)).await, StatusCode::NOT_FOUND).await;
    let own: Value = app.get(&spam_path, token(&ada)).await.json().await.unwrap();
    assert_eq!(own["hidden"], true, "the author still sees a hidden post, marked");

    // A moderator may also remove a post outright.
    let other = post(&app, &ada, json!({ "text": "also bad" })).await;
    let other_path = format!("/api/v1/posts/{}", other["id"].as_str().unwrap());
    assert_eq!(app.delete(&other_path, token(&moderator)).await.status(), StatusCode::NO_CONTENT);
    problem(app.get(&other_path, token(&ada)).await, StatusCode::NOT_FOUND).await;

    let log: Value = app.get("/api/v1/moderation/log", token(&moderator)).await.json().await.unwrap();
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["post_removed", "post_hidden"]);
    assert_eq!(log["items"][1]["moderator_id"], moderator["user"]["id"]);
});

crate::on_every_backend!(deleting_a_user_removes_their_posts_and_likes, |app: TestApp| async move {
    let admin = app.admin("root_admin").await;
    let leaving = app.signed_up("leaving").await;
    let staying = app.signed_up("staying").await;
    let theirs = post(&app, &leaving, json!({ "text": "soon gone" })).await;
    let mine = post(&app, &staying, json!({ "text": "stays" })).await;
    let mine_path = format!("/api/v1/posts/{}", mine["id"].as_str().unwrap());
    app.client.put(app.url(&format!("{mine_path}/like"))).bearer_auth(token(&leaving).unwrap()).send().await.unwrap();

    let user_id = leaving["user"]["id"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/api/v1/admin/users/{user_id}"), token(&admin)).await.status(),
        StatusCode::NO_CONTENT
    );
    let theirs_path = format!("/api/v1/posts/{}", theirs["id"].as_str().unwrap());
    eventually("the deleted user's post disappears", || async {
        app.get(&theirs_path, None).await.status() == StatusCode::NOT_FOUND
    })
    .await;
    eventually("their like is taken back", || async {
        let post: Value = app.get(&mine_path, None).await.json().await.unwrap();
        post["counts"]["likes"] == 0
    })
    .await;
});

/// Every request holding a pooled connection must finish without a second one: with a small
/// pool and more concurrent requests than connections, nothing may wait on itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_never_exhaust_a_small_pool() {
    for backends in [Backends::Embedded, Backends::Distributed] {
        let Some((mut config, dir)) = TestApp::config(backends).await else { continue };
        config.database.max_connections = 2;
        let app = TestApp::spawn_with(config, dir).await;
        let ada = app.signed_up("ada").await;
        let parent = post(&app, &ada, json!({ "text": "parent" })).await;
        let requests = (0..24).map(|i| {
            let body = if i % 2 == 0 {
                json!({ "text": format!("post {i}") })
            } else {
                json!({ "text": "reply", "reply_to_id": parent["id"] })
            };
            app.client.post(app.url("/api/v1/posts")).bearer_auth(token(&ada).unwrap()).json(&body).send()
        });
        let responses = tokio::time::timeout(std::time::Duration::from_secs(60), futures::future::join_all(requests))
            .await
            .expect("no request waits forever");
        for response in responses {
            assert_eq!(response.unwrap().status(), StatusCode::CREATED, "{backends:?}");
        }
    }
}

crate::on_every_backend!(a_long_thread_s_replies_come_a_page_at_a_time, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let root = post(&app, &ada, json!({ "text": "root" })).await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let mut parent = root_id.clone();
    for i in 0..25 {
        let under = if i % 4 == 0 { root_id.clone() } else { parent.clone() };
        parent = post(&app, &ada, json!({ "text": format!("reply {i}"), "reply_to_id": under })).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    let ids = |page: &Value| -> Vec<String> {
        page["descendants"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
    };
    let whole: Value = app.get(&format!("/api/v1/posts/{root_id}/context?limit=100"), None).await.json().await.unwrap();
    assert_eq!(ids(&whole).len(), 25);
    let mut paged = Vec::new();
    let mut path = format!("/api/v1/posts/{root_id}/context?limit=10");
    loop {
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        assert!(ids(&page).len() <= 10);
        paged.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(page["ancestors"], json!([]), "ancestors come with the first page");
                path = format!("/api/v1/posts/{root_id}/context?limit=10&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(paged, ids(&whole), "the pages are the thread, in order, each reply once");
    let bad = app.get(&format!("/api/v1/posts/{root_id}/context?cursor=bm9wZQ"), None).await;
    assert_eq!(problem(bad, StatusCode::CONFLICT).await["errors"][0]["field"], "cursor");
    let too_many = app.get(&format!("/api/v1/posts/{root_id}/context?limit=1000"), None).await;
    problem(too_many, StatusCode::UNPROCESSABLE_ENTITY).await;
});

crate::on_every_backend!(hashtags_mentions_and_links_per_post_are_capped, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let tags: String = (0..11).map(|i| format!("#tag{i} ")).collect();
    let refused = app.post("/api/v1/posts", &json!({ "text": tags }), token(&ada)).await;
    let body = problem(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["message"], "has 11 hashtags; a post may have at most 10");
    let ten: String = (0..10).map(|i| format!("#tag{i} ")).collect();
    post(&app, &ada, json!({ "text": ten })).await;
    let mentions: String = (0..11).map(|i| format!("@user{i} ")).collect();
    let body = problem(
        app.post("/api/v1/posts", &json!({ "text": mentions }), token(&ada)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("mentions"), "{body}");
});

crate::on_every_backend!(several_posts_are_read_in_one_call_as_the_caller_may_see_them, |app: TestApp| async move {
    let ada = app.signed_up("ada").await;
    let bob = app.signed_up("bob").await;
    let create = |text: &'static str, visibility: &'static str| {
        let app = &app;
        let ada = &ada;
        async move {
            let response =
                app.post("/api/v1/posts", &json!({ "text": text, "visibility": visibility }), token(ada)).await;
            assert_eq!(response.status(), StatusCode::CREATED);
            response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
        }
    };
    let open = create("for everyone", "public").await;
    let close = create("for followers", "followers").await;
    let gone = create("soon gone", "public").await;
    assert_eq!(app.delete(&format!("/api/v1/posts/{gone}"), token(&ada)).await.status(), StatusCode::NO_CONTENT);
    let liked = app.client.put(app.url(&format!("/api/v1/posts/{open}/like"))).bearer_auth(token(&bob).unwrap());
    assert_eq!(liked.send().await.unwrap().status(), StatusCode::OK);

    let path = format!("/api/v1/posts?ids={close},{gone},{open}");
    let as_bob: Value = app.get(&path, token(&bob)).await.json().await.unwrap();
    let items = as_bob["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "bob does not follow ada and the deleted post is gone: {as_bob}");
    assert_eq!((items[0]["id"].as_str(), items[0]["liked"].as_bool()), (Some(open.as_str()), Some(true)));
    assert_eq!(items[0]["counts"]["likes"], 1);
    let as_ada: Value = app.get(&path, token(&ada)).await.json().await.unwrap();
    let order: Vec<&str> = as_ada["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(order, [close.as_str(), open.as_str()], "in the order asked");

    let too_many = vec![open.as_str(); 41].join(",");
    problem(app.get(&format!("/api/v1/posts?ids={too_many}"), None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/api/v1/posts?ids=nope", None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
});
