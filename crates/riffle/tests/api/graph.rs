//! Follows, blocks, mutes, lists, relationships and suggestions through the public API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, problem};

fn token(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

fn id(tokens: &Value) -> String {
    tokens["user"]["id"].as_str().unwrap().to_owned()
}

/// Signs up, then waits until the graph has heard of the user (identity's event).
async fn member(app: &TestApp, name: &str) -> Value {
    let tokens = app.signed_up(name).await;
    let path = format!("/api/v1/users/{}/followers", id(&tokens));
    eventually("the graph knows the new user", || async { app.get(&path, None).await.status() == StatusCode::OK })
        .await;
    tokens
}

async fn put(app: &TestApp, path: &str, who: &Value) -> reqwest::Response {
    app.client.put(app.url(path)).bearer_auth(token(who)).send().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|c| c["username"].as_str().unwrap().to_owned()).collect()
}

crate::on_every_backend!(follows_are_idempotent_listed_and_undone, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let mut fans = Vec::new();
    for name in ["fan0", "fan1", "fan2"] {
        fans.push(member(&app, name).await);
    }
    for fan in &fans {
        for _ in 0..2 {
            assert_eq!(
                put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), fan).await.status(),
                StatusCode::NO_CONTENT
            );
        }
    }
    let first: Value =
        app.get(&format!("/api/v1/users/{}/followers?limit=2", id(&ada)), None).await.json().await.unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let rest: Value = app
        .get(&format!("/api/v1/users/{}/followers?limit=2&cursor={cursor}", id(&ada)), None)
        .await
        .json()
        .await
        .unwrap();
    let mut all = [names(&first), names(&rest)].concat();
    assert_eq!(all.len(), 3, "following twice is one follow; pages neither repeat nor skip");
    all.sort();
    assert_eq!(all, ["fan0", "fan1", "fan2"]);
    let following: Value =
        app.get(&format!("/api/v1/users/{}/following", id(&fans[0])), None).await.json().await.unwrap();
    assert_eq!(names(&following), ["ada"]);

    put(&app, &format!("/api/v1/users/{}/follow", id(&fans[0])), &ada).await;
    let relation: Value =
        app.get(&format!("/api/v1/users/{}/relationship", id(&fans[0])), Some(token(&ada))).await.json().await.unwrap();
    assert_eq!(
        relation,
        json!({ "following": true, "followed_by": true, "mutual": true, "blocking": false, "blocked_by": false, "muting": false })
    );

    assert_eq!(
        app.delete(&format!("/api/v1/users/{}/follow", id(&ada)), Some(token(&fans[0]))).await.status(),
        StatusCode::NO_CONTENT
    );
    let relation: Value =
        app.get(&format!("/api/v1/users/{}/relationship", id(&fans[0])), Some(token(&ada))).await.json().await.unwrap();
    assert_eq!((relation["followed_by"].as_bool(), relation["mutual"].as_bool()), (Some(false), Some(false)));

    problem(put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &ada).await, StatusCode::FORBIDDEN).await;
    let nobody = uuid::Uuid::new_v4();
    problem(put(&app, &format!("/api/v1/users/{nobody}/follow"), &ada).await, StatusCode::NOT_FOUND).await;
    problem(put(&app, "/api/v1/tags/no spaces!/follow", &ada).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(put(&app, "/api/v1/tags/%23Rust/follow", &ada).await.status(), StatusCode::NO_CONTENT);
});

crate::on_every_backend!(a_block_cuts_both_follows_and_prevents_new_ones, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let troll = member(&app, "troll").await;
    put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &troll).await;
    put(&app, &format!("/api/v1/users/{}/follow", id(&troll)), &ada).await;
    assert_eq!(put(&app, &format!("/api/v1/users/{}/block", id(&troll)), &ada).await.status(), StatusCode::NO_CONTENT);
    let followers: Value = app.get(&format!("/api/v1/users/{}/followers", id(&ada)), None).await.json().await.unwrap();
    assert!(names(&followers).is_empty());
    problem(put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &troll).await, StatusCode::FORBIDDEN).await;
    let seen_by_troll: Value =
        app.get(&format!("/api/v1/users/{}/relationship", id(&ada)), Some(token(&troll))).await.json().await.unwrap();
    assert_eq!(seen_by_troll["blocked_by"], true);
    put(&app, &format!("/api/v1/users/{}/mute", id(&troll)), &ada).await;
    let mine: Value =
        app.get(&format!("/api/v1/users/{}/relationship", id(&troll)), Some(token(&ada))).await.json().await.unwrap();
    assert_eq!((mine["blocking"].as_bool(), mine["muting"].as_bool()), (Some(true), Some(true)));
});

crate::on_every_backend!(suggestions_rank_friends_of_friends_then_popular_accounts, |app: TestApp| async move {
    let me = member(&app, "asker").await;
    let (a, b) = (member(&app, "friend_a").await, member(&app, "friend_b").await);
    let (shared, single, popular, muted) = (
        member(&app, "shared").await,
        member(&app, "single").await,
        member(&app, "popular").await,
        member(&app, "muted").await,
    );
    for friend in [&a, &b] {
        put(&app, &format!("/api/v1/users/{}/follow", id(friend)), &me).await;
        put(&app, &format!("/api/v1/users/{}/follow", id(&shared)), friend).await;
        put(&app, &format!("/api/v1/users/{}/follow", id(&muted)), friend).await;
    }
    put(&app, &format!("/api/v1/users/{}/follow", id(&single)), &a).await;
    for fan in [&b, &shared, &single] {
        put(&app, &format!("/api/v1/users/{}/follow", id(&popular)), fan).await;
    }
    put(&app, &format!("/api/v1/users/{}/mute", id(&muted)), &me).await;
    let names = |list: &Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|s| s["username"].as_str().unwrap().to_owned()).collect()
    };
    // Computed in the background: the first request asks, and the list follows shortly.
    let asked = || async {
        let suggested: Value = app.get("/api/v1/suggestions", Some(token(&me))).await.json().await.unwrap();
        names(&suggested)
    };
    eventually("suggestions computed for the asker", || async {
        let order = asked().await;
        order.len() >= 3 && order[..3] == ["shared", "popular", "single"]
    })
    .await;
    let order = asked().await;
    for never in ["muted", "asker", "friend_a", "friend_b"] {
        assert!(!order.iter().any(|n| n == never), "{never} in {order:?}");
    }
    // Following a suggestion takes it off the list at once.
    put(&app, &format!("/api/v1/users/{}/follow", id(&shared)), &me).await;
    let now: Value = app.get("/api/v1/suggestions", Some(token(&me))).await.json().await.unwrap();
    assert!(!names(&now).contains(&"shared".to_owned()), "{now}");

    let newcomer = member(&app, "newcomer").await;
    eventually("a new user is offered the popular accounts", || async {
        let fresh: Value = app.get("/api/v1/suggestions", Some(token(&newcomer))).await.json().await.unwrap();
        fresh[0]["username"] == "popular"
    })
    .await;
});

crate::on_every_backend!(followers_only_posts_reach_followers_once_they_follow, |app: TestApp| async move {
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    let private: Value = app
        .post("/api/v1/posts", &json!({ "text": "for followers", "visibility": "followers" }), Some(token(&ada)))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/posts/{}", private["id"].as_str().unwrap());
    problem(app.get(&path, Some(token(&bob))).await, StatusCode::NOT_FOUND).await;
    put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &bob).await;
    eventually("content learns of the follow", || async {
        app.get(&path, Some(token(&bob))).await.status() == StatusCode::OK
    })
    .await;
    app.delete(&format!("/api/v1/users/{}/follow", id(&ada)), Some(token(&bob))).await;
    eventually("and of the unfollow", || async {
        app.get(&path, Some(token(&bob))).await.status() == StatusCode::NOT_FOUND
    })
    .await;
});

crate::on_every_backend!(a_deleted_user_leaves_no_edges, |app: TestApp| async move {
    let admin = app.admin("root_admin").await;
    let ada = member(&app, "ada").await;
    let leaving = member(&app, "leaving").await;
    put(&app, &format!("/api/v1/users/{}/follow", id(&ada)), &leaving).await;
    app.delete(&format!("/api/v1/admin/users/{}", id(&leaving)), Some(token(&admin))).await;
    let path = format!("/api/v1/users/{}/followers", id(&ada));
    eventually("the deleted user's follow is gone", || async {
        let page: Value = app.get(&path, None).await.json().await.unwrap();
        names(&page).is_empty()
    })
    .await;
});
