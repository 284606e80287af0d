//! The admin console API and the account lifecycle: roles, suspension, deletion, audit.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, problem};

fn token(tokens: &Value) -> Option<&str> {
    tokens["access_token"].as_str()
}

crate::on_every_backend!(an_admin_suspends_and_restores_a_user, |app: TestApp| async move {
    let admin = app.admin("root_admin").await;
    let user = app.signed_up("suspect").await;
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/users/{user_id}");

    let suspended = app.patch(&path, &json!({ "status": "suspended" }), token(&admin)).await;
    assert_eq!(suspended.status(), StatusCode::OK);
    assert_eq!(suspended.json::<Value>().await.unwrap()["status"], "suspended");

    // Refused everywhere at once: the unexpired access token, the refresh token, a new sign-in.
    problem(app.get("/api/v1/me", token(&user)).await, StatusCode::UNAUTHORIZED).await;
    let refresh = json!({ "refresh_token": user["refresh_token"] });
    problem(app.post("/api/v1/auth/refresh", &refresh, None).await, StatusCode::UNAUTHORIZED).await;
    problem(app.login("suspect", "correct horse battery").await, StatusCode::FORBIDDEN).await;

    let restored = app.patch(&path, &json!({ "status": "active" }), token(&admin)).await;
    assert_eq!(restored.status(), StatusCode::OK);
    let again = app.login("suspect", "correct horse battery").await.json::<Value>().await.unwrap();
    assert_eq!(app.get("/api/v1/me", token(&again)).await.status(), StatusCode::OK);

    // Both actions are in the audit log, attributed to the admin.
    let audit: Value =
        app.get(&format!("/api/v1/admin/audit?target={user_id}"), token(&admin)).await.json().await.unwrap();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"admin.user_suspended") && actions.contains(&"admin.user_restored"), "{actions:?}");
    let entry = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "admin.user_suspended").unwrap();
    assert_eq!(entry["actor_id"], admin["user"]["id"]);
});

crate::on_every_backend!(admins_list_search_and_page_through_users, |app: TestApp| async move {
    let admin = app.admin("list_admin").await;
    for name in ["zed_one", "zed_two", "zed_three", "other"] {
        app.registered(name).await;
    }
    let found: Value = app.get("/api/v1/admin/users?q=ZED_&limit=2", token(&admin)).await.json().await.unwrap();
    let first: Vec<&str> = found["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(first, ["zed_three", "zed_two"], "newest first, search by prefix, case-insensitive");
    assert!(found["items"][0]["email"].is_string(), "admins see emails");
    let cursor = found["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .get(&format!("/api/v1/admin/users?q=zed_&limit=2&cursor={cursor}"), token(&admin))
        .await
        .json()
        .await
        .unwrap();
    let second: Vec<&str> = rest["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(second, ["zed_one"]);
    assert!(rest["next_cursor"].is_null());
    let admins: Value = app.get("/api/v1/admin/users?role=admin", token(&admin)).await.json().await.unwrap();
    assert_eq!(admins["items"].as_array().unwrap().len(), 1);
    problem(app.get("/api/v1/admin/users?limit=1000", token(&admin)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    problem(app.get("/api/v1/admin/users?cursor=%25%25", token(&admin)).await, StatusCode::CONFLICT).await;
});

#[tokio::test]
async fn users_and_moderators_cannot_use_the_admin_api() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let admin = app.admin("boss").await;
    let user = app.signed_up("pleb").await;
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();
    problem(app.get("/api/v1/admin/users", token(&user)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/admin/audit", token(&user)).await, StatusCode::FORBIDDEN).await;
    let path = format!("/api/v1/admin/users/{}", admin["user"]["id"].as_str().unwrap());
    problem(app.patch(&path, &json!({ "role": "user" }), token(&user)).await, StatusCode::FORBIDDEN).await;
    problem(app.delete(&path, token(&user)).await, StatusCode::FORBIDDEN).await;
    problem(app.get("/api/v1/admin/users", None).await, StatusCode::UNAUTHORIZED).await;

    // A promoted moderator is still not an admin; the new role shows in their next token.
    let promote =
        app.patch(&format!("/api/v1/admin/users/{user_id}"), &json!({ "role": "moderator" }), token(&admin)).await;
    assert_eq!(promote.json::<Value>().await.unwrap()["role"], "moderator");
    let moderator = app.login("pleb", "correct horse battery").await.json::<Value>().await.unwrap();
    assert_eq!(moderator["user"]["role"], "moderator");
    problem(app.get("/api/v1/admin/users", token(&moderator)).await, StatusCode::FORBIDDEN).await;

    // Admins cannot lock themselves out.
    problem(app.patch(&path, &json!({ "status": "suspended" }), token(&admin)).await, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_deleted_user_is_gone_and_their_name_stays_reserved() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let admin = app.admin("deleter").await;
    let user = app.signed_up("leaving").await;
    let user_id = user["user"]["id"].as_str().unwrap().to_owned();
    let gone = app.delete(&format!("/api/v1/admin/users/{user_id}"), token(&admin)).await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    problem(app.get("/api/v1/users/leaving", None).await, StatusCode::NOT_FOUND).await;
    problem(app.get("/api/v1/me", token(&user)).await, StatusCode::UNAUTHORIZED).await;
    problem(app.login("leaving", "correct horse battery").await, StatusCode::UNAUTHORIZED).await;
    problem(app.register("leaving").await, StatusCode::CONFLICT).await;
    let email_again =
        json!({ "username": "returning", "email": "leaving@example.org", "password": "correct horse battery" });
    assert_eq!(app.post("/api/v1/auth/register", &email_again, None).await.status(), StatusCode::ACCEPTED);
    let (token, _) = app.mailed("leaving@example.org", "token:").await;
    let confirmed = app.post("/api/v1/auth/confirm", &json!({ "token": token }), None).await;
    assert_eq!(confirmed.status(), StatusCode::CREATED, "the address is free again");
}

crate::on_every_backend!(users_edit_their_profile_change_password_and_delete_themselves, |app: TestApp| async move {
    let laptop = app.signed_up("editor").await;
    let phone = app.login("editor", "correct horse battery").await.json::<Value>().await.unwrap();

    let edited =
        app.patch("/api/v1/me", &json!({ "display_name": "  Ed Itor ", "bio": "hello" }), token(&laptop)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!((edited["display_name"].as_str(), edited["bio"].as_str()), (Some("Ed Itor"), Some("hello")));
    let bad = app.patch("/api/v1/me", &json!({ "bio": "x".repeat(501) }), token(&laptop)).await;
    let body = problem(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(body["errors"][0]["field"], "bio");

    let wrong = json!({ "current_password": "not it at all", "new_password": "a brand new secret" });
    let refused = problem(app.post("/api/v1/me/password", &wrong, token(&laptop)).await, StatusCode::FORBIDDEN).await;
    assert!(refused["detail"].as_str().unwrap().starts_with("current_password:"), "{refused}");
    let change = json!({ "current_password": "correct horse battery", "new_password": "a brand new secret" });
    assert_eq!(app.post("/api/v1/me/password", &change, token(&laptop)).await.status(), StatusCode::NO_CONTENT);
    // The other session ended; this one continues.
    let phone_refresh = json!({ "refresh_token": phone["refresh_token"] });
    problem(app.post("/api/v1/auth/refresh", &phone_refresh, None).await, StatusCode::UNAUTHORIZED).await;
    let laptop_refresh = json!({ "refresh_token": laptop["refresh_token"] });
    assert_eq!(app.post("/api/v1/auth/refresh", &laptop_refresh, None).await.status(), StatusCode::OK);
    problem(app.login("editor", "correct horse battery").await, StatusCode::UNAUTHORIZED).await;
    let fresh = app.login("editor", "a brand new secret").await.json::<Value>().await.unwrap();

    problem(app.delete_with("/api/v1/me", &json!({ "password": "wrong" }), token(&fresh)).await, StatusCode::FORBIDDEN)
        .await;
    let deleted = app.delete_with("/api/v1/me", &json!({ "password": "a brand new secret" }), token(&fresh)).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    problem(app.get("/api/v1/me", token(&fresh)).await, StatusCode::UNAUTHORIZED).await;
});

#[tokio::test]
async fn repeated_failed_sign_ins_lock_the_name_for_real_and_unknown_accounts_alike() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    app.registered("target").await;
    for login in ["target", "nobody_like_this"] {
        for _ in 0..identity::domain::throttle::PAIR_LIMIT {
            problem(app.login(login, "wrong guess here").await, StatusCode::UNAUTHORIZED).await;
        }
        // Locked: even the right password is refused now, with a Retry-After.
        let locked = app.login(login, "correct horse battery").await;
        let retry_after: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after > 60, "{retry_after}");
        problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    }
    // Another name from the same address is not locked yet (the address limit is higher).
    app.registered("bystander").await;
    assert_eq!(app.login("bystander", "correct horse battery").await.status(), StatusCode::OK);

    let admin = app.admin("watcher").await;
    let failures: Value =
        app.get("/api/v1/admin/audit?action=sign_in_failed", token(&admin)).await.json().await.unwrap();
    assert_eq!(failures["items"].as_array().unwrap().len(), 8, "4 failures per name before the 5th locks");
    let locks: Value = app.get("/api/v1/admin/audit?action=sign_in_locked", token(&admin)).await.json().await.unwrap();
    assert_eq!(locks["items"].as_array().unwrap().len(), 2);
    problem(app.get("/api/v1/admin/audit?action=bogus", token(&admin)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_it() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    app.registered("victim").await;
    // A spray: few attempts per name, many names, one address.
    for i in 0..identity::domain::throttle::ADDRESS_LIMIT {
        app.login(&format!("spray_{i}"), "wrong guess here").await;
    }
    problem(app.login("victim", "correct horse battery").await, StatusCode::TOO_MANY_REQUESTS).await;
}
