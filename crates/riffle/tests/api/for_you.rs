//! The ranked "for you" stream through the public API.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    feed::{member, post, relate, toggle, token},
    helpers::{TestApp, eventually, problem},
};

const FOR_YOU: &str = "/api/v1/timelines/for-you";

async fn page(app: &TestApp, who: &Value, path: &str) -> Value {
    let response = app.get(path, token(who)).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap()
}

fn text(item: &Value) -> &str {
    item["text"].as_str().unwrap()
}

/// Every page of the stream from a fresh first page, following cursors.
async fn read_all(app: &TestApp, who: &Value, limit: u32) -> Vec<Value> {
    let first = format!("{FOR_YOU}?explain=true&limit={limit}");
    let mut all = Vec::new();
    let mut path = first.clone();
    loop {
        let page = page(app, who, &path).await;
        all.extend(items(&page).iter().cloned());
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return all,
        }
    }
}

crate::on_every_backend!(for_you_ranks_explains_and_pages_from_a_snapshot, |app: TestApp| async move {
    let rita = member(&app, "rita").await;
    let fran = member(&app, "fran").await;
    let sam = member(&app, "sam").await;
    let liz = member(&app, "liz").await;
    let pat = member(&app, "pat").await;
    let gil = member(&app, "gil").await;
    relate(&app, &rita, "follow", &fran, true).await;
    relate(&app, &rita, "follow", &gil, true).await;
    toggle(&app, &rita, "/api/v1/tags/rust/follow", true).await;

    for i in 0..4 {
        post(&app, &fran, json!({ "text": format!("fran {i}") })).await;
    }
    post(&app, &fran, json!({ "text": "fran, friends only", "visibility": "followers" })).await;
    post(&app, &sam, json!({ "text": "sam on #rust" })).await;
    post(&app, &sam, json!({ "text": "sam, friends only", "visibility": "followers" })).await;
    let liked = post(&app, &liz, json!({ "text": "liz, liked by fran" })).await;
    toggle(&app, &fran, &format!("/api/v1/posts/{liked}/like"), true).await;
    toggle(&app, &gil, &format!("/api/v1/posts/{liked}/like"), true).await;
    let plain = post(&app, &pat, json!({ "text": "pat, plain" })).await;
    // One follow's like alone is never told: rita must not learn what gil likes.
    toggle(&app, &gil, &format!("/api/v1/posts/{plain}/like"), true).await;
    post(&app, &rita, json!({ "text": "rita's own" })).await;

    let expected: HashSet<&str> = [
        "fran 0",
        "fran 1",
        "fran 2",
        "fran 3",
        "fran, friends only",
        "sam on #rust",
        "liz, liked by fran",
        "pat, plain",
    ]
    .into();
    eventually("for-you holds every candidate, fran's and gil's likes counted", || async {
        let all = read_all(&app, &rita, 3).await;
        let liz = all.iter().find(|i| text(i) == "liz, liked by fran");
        all.iter().map(text).collect::<HashSet<_>>() == expected
            && liz.is_some_and(|i| i["explain"]["social_proof"].as_f64() > Some(0.0))
    })
    .await;

    let all = read_all(&app, &rita, 3).await;
    assert_eq!(all.len(), expected.len(), "no post twice across pages");
    let at = |t: &str| all.iter().position(|i| text(i) == t).unwrap();
    let explain = |t: &str| &all[at(t)]["explain"];
    assert!(at("liz, liked by fran") < at("pat, plain"), "liked by a follow ranks above a stranger's plain post");
    assert!(at("fran 3") < at("pat, plain"), "affinity to a followed author");
    assert!(explain("sam on #rust")["tag_interest"].as_f64().unwrap() >= 0.5, "a followed tag");
    assert_eq!(explain("sam on #rust")["sources"], json!(["home", "public", "tag:rust"]));
    assert_eq!(explain("liz, liked by fran")["sources"], json!(["liked_by_follows", "public"]));
    assert_eq!(explain("fran, friends only")["sources"], json!(["home"]));
    assert!(explain("liz, liked by fran")["engagement"].as_f64().unwrap() > 0.0);
    assert_eq!(
        explain("liz, liked by fran")["reasons"],
        json!(["liked by 2 accounts you follow"]),
        "counts, never names"
    );
    assert_eq!(explain("pat, plain")["social_proof"], 0.0, "a single follow's like is no signal");
    assert_eq!(explain("pat, plain")["sources"], json!(["public"]));
    assert_eq!(explain("pat, plain")["reasons"], json!([]));
    assert_eq!(explain("fran 3")["reasons"], json!(["from an account you follow"]));
    let explained: Vec<String> = all.iter().map(|i| i["explain"].to_string()).collect();
    for liker in [&fran, &gil] {
        let id = liker["user"]["id"].as_str().unwrap();
        let name = liker["user"]["username"].as_str().unwrap();
        assert!(explained.iter().all(|e| !e.contains(id) && !e.contains(name)), "no liker is named: {explained:?}");
    }
    for item in &all {
        let e = &item["explain"];
        let f = |k: &str| e[k].as_f64().unwrap();
        let relevance = 1.0 + f("affinity") + 0.8 * f("tag_interest") + 0.6 * f("social_proof") + 0.5 * f("engagement");
        assert!((f("relevance") - relevance).abs() < 1e-9, "{e}");
        assert!((f("score") - f("freshness") * f("relevance") * f("diversity")).abs() < 1e-9, "{e}");
    }
    // Diversity: fran wrote five of the eight, but never twice in a row while others are left.
    for (i, pair) in all.windows(2).enumerate() {
        let same = pair[0]["author"]["id"] == pair[1]["author"]["id"];
        assert!(!same || all[i + 1..].iter().all(|x| x["author"]["id"] == pair[0]["author"]["id"]), "{all:#?}");
    }

    // Pages come from the first page's snapshot: new posts meanwhile change nothing.
    let first = page(&app, &rita, &format!("{FOR_YOU}?limit=4")).await;
    for i in 0..3 {
        post(&app, &fran, json!({ "text": format!("fran later {i}") })).await;
    }
    let cursor = first["next_cursor"].as_str().unwrap();
    eventually("fran's new posts reached rita's home", || async {
        let home: Value = app.get("/api/v1/timelines/home", token(&rita)).await.json().await.unwrap();
        items(&home).len() == 10
    })
    .await;
    let second = page(&app, &rita, &format!("{FOR_YOU}?limit=4&cursor={cursor}")).await;
    let mut seen: Vec<&str> = items(&first).iter().chain(items(&second)).map(text).collect();
    assert!(second["next_cursor"].is_null());
    seen.sort_unstable();
    let mut all: Vec<&str> = expected.iter().copied().collect();
    all.sort_unstable();
    assert_eq!(seen, all, "the two pages are the snapshot, whole and without repeats");
    assert!(items(&first).iter().all(|i| i.get("explain").is_none()), "explain only when asked");

    // Every page checks again what its reader may see: a block since the ranking takes the
    // blocked account's posts out of the pages still to come.
    let ranked = page(&app, &rita, &format!("{FOR_YOU}?limit=1")).await;
    relate(&app, &rita, "block", &sam, true).await;
    let cursor = ranked["next_cursor"].as_str().unwrap();
    eventually("the block reached the feed", || async {
        let page: Value = app.get("/api/v1/timelines/public?limit=50", token(&rita)).await.json().await.unwrap();
        items(&page).iter().all(|i| !text(i).starts_with("sam"))
    })
    .await;
    let mut rest = Vec::new();
    let mut path = format!("{FOR_YOU}?limit=3&cursor={cursor}");
    loop {
        let next = page(&app, &rita, &path).await;
        rest.extend(items(&next).iter().map(|i| text(i).to_owned()));
        match next["next_cursor"].as_str() {
            Some(cursor) => path = format!("{FOR_YOU}?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert!(!rest.is_empty() && rest.iter().all(|t| !t.starts_with("sam")), "{rest:?}");

    // A cursor is its reader's alone.
    let stolen = app.get(&format!("{FOR_YOU}?limit=4&cursor={cursor}"), token(&sam)).await;
    let body = problem(stolen, StatusCode::CONFLICT).await;
    assert_eq!(body["errors"][0]["field"], "cursor");
    let anonymous = app.get(FOR_YOU, None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
});
