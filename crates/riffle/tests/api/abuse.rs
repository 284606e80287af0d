//! Abuse limits through the API: the password throttle under a burst and across addresses,
//! registration that tells nobody which addresses are taken, password strength, per-address
//! limits by IPv6 network, and forwarded addresses only from trusted proxies.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, problem};

const PASSWORD: &str = "correct horse battery";

/// A test app whose clients may name their address in `X-Forwarded-For`, as if behind a proxy
/// on loopback.
async fn behind_a_proxy(change: impl FnOnce(&mut riffle::Settings)) -> TestApp {
    let (mut config, dir) = TestApp::config(Backends::Embedded).await.unwrap();
    config.http.trusted_proxies = vec!["127.0.0.1".into()];
    change(&mut config);
    TestApp::spawn_with(config, dir).await
}

async fn login_from(app: &TestApp, from: &str, login: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({ "login": login, "password": password }))
        .send()
        .await
        .unwrap()
}

crate::on_every_backend!(a_burst_of_wrong_passwords_gets_no_more_guesses_than_the_limit, |app: TestApp| async move {
    app.registered("target").await;
    let guesses: Vec<String> = (0..200).map(|i| format!("wrong guess number {i}")).collect();
    let attempts = guesses.iter().map(|guess| app.login("target", guess));
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts).await.iter().map(|r| r.status()).collect();
    let verified = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(verified, identity::domain::throttle::PAIR_LIMIT as usize, "{statuses:?}");
    assert_eq!(refused, 200 - verified, "every other attempt refused before any password check");
});

#[tokio::test]
async fn an_attacker_s_failures_do_not_lock_the_owner_out_of_their_own_address() {
    let app = behind_a_proxy(|_| {}).await;
    app.registered("owner").await;
    let home = "198.51.100.2";
    assert_eq!(login_from(&app, home, "owner", PASSWORD).await.status(), StatusCode::OK);

    // One address gets five guesses at the account.
    for _ in 0..5 {
        problem(login_from(&app, "203.0.113.1", "owner", "wrong guess").await, StatusCode::UNAUTHORIZED).await;
    }
    let refused = login_from(&app, "203.0.113.1", "owner", PASSWORD).await;
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(login_from(&app, home, "owner", PASSWORD).await.status(), StatusCode::OK, "the owner is not locked out");

    // Spread over addresses, the account takes ten an hour, then waits longer after each.
    for i in 0..10 {
        let from = format!("203.0.113.{}", 10 + i / 5);
        problem(login_from(&app, &from, "owner", "wrong guess").await, StatusCode::UNAUTHORIZED).await;
    }
    problem(login_from(&app, "203.0.113.20", "owner", "wrong guess").await, StatusCode::UNAUTHORIZED).await;
    let delayed = login_from(&app, "203.0.113.21", "owner", "wrong guess").await;
    let wait: u64 = delayed.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((50..=60).contains(&wait), "a minute after the eleventh: {wait}");
    problem(delayed, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(login_from(&app, home, "owner", PASSWORD).await.status(), StatusCode::OK, "an address it knows");
}

#[tokio::test]
async fn password_rechecks_are_throttled_like_sign_in() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let ada = app.signed_up("ada").await;
    let token = ada["access_token"].as_str();
    let change = json!({ "current_password": "not my password", "new_password": "another long secret phrase" });
    for _ in 0..5 {
        let body = problem(app.post("/api/v1/me/password", &change, token).await, StatusCode::FORBIDDEN).await;
        assert_eq!(body["errors"][0]["field"], "current_password");
    }
    let refused = app.post("/api/v1/me/password", &change, token).await;
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    let delete = app.delete_with("/api/v1/me", &json!({ "password": PASSWORD }), token).await;
    problem(delete, StatusCode::TOO_MANY_REQUESTS).await;
}

crate::on_every_backend!(registration_answers_alike_whether_or_not_the_email_is_taken, |app: TestApp| async move {
    app.registered("ada").await;
    let register = |username: &str, email: &str| {
        let body = json!({ "username": username, "email": email, "password": PASSWORD });
        let app = &app;
        async move { app.post("/api/v1/auth/register", &body, None).await }
    };
    let taken = register("imposter", "Ada@example.org").await;
    let free = register("newcomer", "newcomer@example.org").await;
    assert_eq!((taken.status(), free.status()), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    let (taken, free): (Value, Value) = (taken.json().await.unwrap(), free.json().await.unwrap());
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&taken), keys(&free));
    assert_eq!(
        taken["detail"].as_str().unwrap().replace("Ada@example.org", "X"),
        free["detail"].as_str().unwrap().replace("newcomer@example.org", "X")
    );
    // Signing in as either pending registration answers alike too.
    let as_imposter = problem(app.login("imposter", PASSWORD).await, StatusCode::FORBIDDEN).await;
    let as_newcomer = problem(app.login("newcomer", PASSWORD).await, StatusCode::FORBIDDEN).await;
    assert_eq!(as_imposter, as_newcomer);
    // The address's owner is told; nothing can confirm the imposter.
    let (_, told) = app.mailed("Ada@example.org", "Someone tried").await;
    assert!(!told.contains("token:"), "{told}");
    assert_eq!(app.confirm("newcomer").await.status(), StatusCode::CREATED);
    let wrong = app.post("/api/v1/auth/confirm", &json!({ "token": "made-up" }), None).await;
    problem(wrong, StatusCode::NOT_FOUND).await;
});

#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let app = behind_a_proxy(|config| config.auth.registrations_per_address_per_hour = 3).await;
    let register = |n: u32, from: &'static str| {
        let body = json!({ "username": format!("user_{from}_{n}").replace(['.', ':'], "_"), "email": format!("u{n}.{from}@example.org"), "password": PASSWORD });
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/register"))
                .header("x-forwarded-for", from)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..3 {
        assert_eq!(register(n, "203.0.113.5").await.status(), StatusCode::ACCEPTED);
    }
    let refused = register(3, "203.0.113.5").await;
    assert!(refused.headers().contains_key("retry-after"));
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(register(4, "203.0.113.6").await.status(), StatusCode::ACCEPTED, "another address");
}

#[tokio::test]
async fn a_weak_password_is_refused_with_advice() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    for weak in ["password123", "qwertyuiop", "grace_hopper1"] {
        let body = json!({ "username": "grace_hopper", "email": "grace@example.org", "password": weak });
        let refused =
            problem(app.post("/api/v1/auth/register", &body, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(refused["errors"][0]["field"], "password");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(message.starts_with("is too easy to guess") && message.len() > 40, "{weak}: {message}");
    }
}

#[tokio::test]
async fn per_address_limits_count_an_ipv6_network_as_one_address() {
    let app = behind_a_proxy(|config| {
        config.http.rate_limit_per_second = 1;
        config.http.rate_limit_burst = 2;
    })
    .await;
    let from =
        |ip: &'static str| app.client.get(app.url("/api/v1/timelines/public")).header("x-forwarded-for", ip).send();
    assert_eq!(from("2001:db8:0:7::1").await.unwrap().status(), StatusCode::OK);
    assert_eq!(from("2001:db8:0:7::2").await.unwrap().status(), StatusCode::OK);
    let limited = from("2001:db8:0:7:ffff::3").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "the same /64");
    assert_eq!(from("2001:db8:0:8::1").await.unwrap().status(), StatusCode::OK, "another /64");
}

#[tokio::test]
async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    app.registered("target").await;
    // Claiming another address each time changes nothing: the peer is not a trusted proxy.
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        problem(login_from(&app, &from, "target", "wrong guess").await, StatusCode::UNAUTHORIZED).await;
    }
    problem(login_from(&app, "203.0.113.99", "target", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS).await;
}
