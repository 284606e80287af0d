//! Identity through its public API: accounts, tokens, sessions, and the attacks on them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backends, TestApp, problem};

crate::on_every_backend!(a_new_user_registers_signs_in_and_reads_their_account, |app: TestApp| async move {
    let response = app.register("Ada_L").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let pending: Value = response.json().await.unwrap();
    assert_eq!((&pending["username"], &pending["email"]), (&json!("Ada_L"), &json!("Ada_L@example.org")));
    let early = problem(app.login("Ada_L", "correct horse battery").await, StatusCode::FORBIDDEN).await;
    assert!(early["detail"].as_str().unwrap().contains("confirm"), "{early}");
    let confirmed = app.confirm("Ada_L").await;
    assert_eq!(confirmed.status(), StatusCode::CREATED);
    let user: Value = confirmed.json().await.unwrap();
    assert_eq!(user["username"], "Ada_L");
    assert_eq!(user["display_name"], "Ada_L");
    assert_eq!(user["role"], "user");
    assert!(user.get("email").is_none(), "the public profile has no email");
    assert!(user.get("password_hash").is_none());

    let tokens = app.login("ada_l@example.org", "correct horse battery").await.json::<Value>().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app.get("/api/v1/me", Some(access)).await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["email"], "Ada_L@example.org");

    let by_name: Value = app.get("/api/v1/users/ADA_L", None).await.json().await.unwrap();
    assert_eq!(by_name["id"], user["id"], "usernames are looked up without regard to case");
    let by_id = app.get(&format!("/api/v1/users/{}", user["id"].as_str().unwrap()), None).await;
    assert_eq!(by_id.status(), StatusCode::OK);
});

crate::on_every_backend!(usernames_and_emails_are_unique_without_regard_to_case, |app: TestApp| async move {
    assert_eq!(app.register("grace").await.status(), StatusCode::ACCEPTED);
    let same_name = json!({ "username": "GRACE", "email": "other@example.org", "password": "correct horse battery" });
    let body = problem(app.post("/api/v1/auth/register", &same_name, None).await, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("username"), "a pending registration holds its name");
    app.confirm("grace").await;
    let body = problem(app.post("/api/v1/auth/register", &same_name, None).await, StatusCode::CONFLICT).await;
    assert!(body["detail"].as_str().unwrap().contains("username"), "and so does the account");
});

#[tokio::test]
async fn invalid_registrations_name_every_bad_field() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let bad = json!({ "username": "9lives", "email": "not-an-email", "password": "password1", "display_name": " " });
    let body = problem(app.post("/api/v1/auth/register", &bad, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields: Vec<&str> =
        body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["display_name", "email", "password", "username"]);
    let reserved = json!({ "username": "Admin", "email": "a@example.org", "password": "correct horse battery" });
    problem(app.post("/api/v1/auth/register", &reserved, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let unknown_field = json!({ "username": "ok_name", "email": "a@example.org", "password": "correct horse battery", "role": "admin" });
    problem(app.post("/api/v1/auth/register", &unknown_field, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    app.registered("hopper").await;
    let wrong = problem(app.login("hopper", "wrong password here").await, StatusCode::UNAUTHORIZED).await;
    let unknown = problem(app.login("nobody_at_all", "wrong password here").await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(wrong, unknown, "no user enumeration through sign-in");
}

crate::on_every_backend!(refresh_rotates_and_a_reused_token_revokes_the_session, |app: TestApp| async move {
    let tokens = app.signed_up("turing").await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = app.post("/api/v1/auth/refresh", &json!({ "refresh_token": first }), None).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    let second = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second, "refresh tokens rotate");
    assert_eq!(refreshed["session_id"], tokens["session_id"]);
    let me = app.get("/api/v1/me", refreshed["access_token"].as_str()).await;
    assert_eq!(me.status(), StatusCode::OK);

    // Within the grace period a retry of the same request still works...
    let retry = app.post("/api/v1/auth/refresh", &json!({ "refresh_token": first }), None).await;
    assert_eq!(retry.status(), StatusCode::OK, "a client retry within the grace period");

    // ...after it, reuse means the token was copied: the whole session ends.
    tokio::time::sleep(std::time::Duration::from_millis(app.config.auth.refresh_reuse_grace_secs * 1000 + 100)).await;
    problem(app.post("/api/v1/auth/refresh", &json!({ "refresh_token": first }), None).await, StatusCode::UNAUTHORIZED)
        .await;
    problem(
        app.post("/api/v1/auth/refresh", &json!({ "refresh_token": second }), None).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
});

crate::on_every_backend!(sessions_are_listed_and_revocable_by_their_owner_only, |app: TestApp| async move {
    let laptop = app.signed_up("lovelace").await;
    let phone: Value = app.login("lovelace", "correct horse battery").await.json().await.unwrap();
    let laptop_token = laptop["access_token"].as_str().unwrap();
    let sessions: Value = app.get("/api/v1/auth/sessions", Some(laptop_token)).await.json().await.unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    let stranger = app.signed_up("mallory").await;
    let phone_session = phone["session_id"].as_str().unwrap();
    let path = format!("/api/v1/auth/sessions/{phone_session}");
    problem(app.delete(&path, stranger["access_token"].as_str()).await, StatusCode::FORBIDDEN).await;

    assert_eq!(app.delete(&path, Some(laptop_token)).await.status(), StatusCode::NO_CONTENT);
    let refresh = json!({ "refresh_token": phone["refresh_token"] });
    problem(app.post("/api/v1/auth/refresh", &refresh, None).await, StatusCode::UNAUTHORIZED).await;

    assert_eq!(app.post("/api/v1/auth/logout", &json!({}), Some(laptop_token)).await.status(), StatusCode::NO_CONTENT);
    let refresh = json!({ "refresh_token": laptop["refresh_token"] });
    problem(app.post("/api/v1/auth/refresh", &refresh, None).await, StatusCode::UNAUTHORIZED).await;
});

/// Re-signs a token's claims with a different header or key, as an attacker would try.
fn forge(token: &str, header: Value, claims_patch: Value, signature: &[u8]) -> String {
    let claims_part = token.split('.').nth(1).unwrap();
    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_part).unwrap()).unwrap();
    for (k, v) in claims_patch.as_object().unwrap() {
        claims[k] = v.clone();
    }
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let tokens = app.signed_up("eve_target").await;
    let token = tokens["access_token"].as_str().unwrap();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(token.split('.').nth(2).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");

    // The JWKS publishes the key that signed the token.
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    let key =
        jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("signing key published");
    assert_eq!((key["kty"].as_str(), key["crv"].as_str()), (Some("OKP"), Some("Ed25519")));

    let kid = header["kid"].clone();
    let public_key = URL_SAFE_NO_PAD.decode(key["x"].as_str().unwrap()).unwrap();
    let attacks = [
        ("claims changed, signature kept", forge(token, header.clone(), json!({ "role": "admin" }), &signature)),
        ("alg none", forge(token, json!({ "alg": "none", "typ": "at+jwt", "kid": kid }), json!({}), b"")),
        ("HS256 keyed with the public key", {
            use ring::hmac;
            let unsigned = forge(token, json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid }), json!({}), b"");
            let signing_input = unsigned.rsplit_once('.').unwrap().0.to_owned();
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &public_key), signing_input.as_bytes());
            format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
        }),
        (
            "unknown key id",
            forge(token, json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": "nope" }), json!({}), &signature),
        ),
        ("not a JWT", "garbage".to_owned()),
    ];
    for (name, forged) in attacks {
        let response = app.get("/api/v1/me", Some(&forged)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
    }
    // The genuine token still works.
    assert_eq!(app.get("/api/v1/me", Some(token)).await.status(), StatusCode::OK);
    problem(app.get("/api/v1/me", None).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn expired_and_wrong_audience_tokens_are_refused() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let tokens = app.signed_up("sign_me").await;
    // Sign tokens with identity's real key, read from its database, to isolate the claim checks.
    let db = format!("sqlite://{}?mode=ro", app.data_dir().join("identity.db").display());
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db).await.unwrap();
    let (kid, pkcs8): (String, String) =
        sqlx::query_as("SELECT kid, private_pkcs8 FROM signing_keys").fetch_one(&mut conn).await.unwrap();
    let key = EncodingKey::from_ed_der(&URL_SAFE_NO_PAD.decode(pkcs8).unwrap());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = |aud: &str, exp: i64| {
        json!({ "iss": "riffle", "aud": aud, "sub": tokens["user"]["id"], "sid": tokens["session_id"],
                "role": "user", "iat": now, "exp": exp, "jti": "x" })
    };
    let header = Header { typ: Some("at+jwt".into()), kid: Some(kid), ..Header::new(Algorithm::EdDSA) };
    let sign = |claims: &Value| jsonwebtoken::encode(&header, claims, &key).unwrap();

    let valid = sign(&claims("riffle", now + 60));
    assert_eq!(app.get("/api/v1/me", Some(&valid)).await.status(), StatusCode::OK, "the control token is accepted");
    let expired = sign(&claims("riffle", now - 60));
    let body = problem(app.get("/api/v1/me", Some(&expired)).await, StatusCode::UNAUTHORIZED).await;
    assert!(body["detail"].as_str().unwrap().contains("expired"));
    let wrong_audience = sign(&claims("someone-else", now + 60));
    problem(app.get("/api/v1/me", Some(&wrong_audience)).await, StatusCode::UNAUTHORIZED).await;
    let wrong_type =
        jsonwebtoken::encode(&Header { typ: Some("JWT".into()), ..header.clone() }, &claims("riffle", now + 60), &key)
            .unwrap();
    problem(app.get("/api/v1/me", Some(&wrong_type)).await, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn accounts_and_signing_keys_survive_a_restart() {
    let app = TestApp::spawn(Backends::Embedded).await.unwrap();
    let tokens = app.signed_up("durable").await;
    let config = app.config.clone();
    let data_dir = app.stop().await;
    let app = TestApp::spawn_with(config, data_dir).await;
    assert_eq!(app.get("/api/v1/me", tokens["access_token"].as_str()).await.status(), StatusCode::OK, "same key");
    assert_eq!(app.login("durable", "correct horse battery").await.status(), StatusCode::OK);
}
