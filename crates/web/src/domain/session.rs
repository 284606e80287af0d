//! Who is visiting: their session (the API's own access and refresh tokens, kept in `HttpOnly`
//! cookies the page's script cannot read), the form token that proves a form came from our
//! page, their language and their address.
//!
//! The access token is checked with the process's token verifier (the same keys every service
//! trusts); one that is about to run out is exchanged for a new pair through the API before the
//! page is built, so a page never half-renders as signed out.

use std::sync::Arc;

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use platform::http::{ClientIp, Role};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::i18n::Lang;
use crate::Web;

const ACCESS: &str = "riffle_access";
const REFRESH: &str = "riffle_refresh";
const USER: &str = "riffle_user";
const FORM_TOKEN: &str = "riffle_csrf";
pub const LANG: &str = "riffle_lang";

/// How long a refresh token's cookie lives (the API decides how long the token is good).
const REFRESH_COOKIE_DAYS: i64 = 30;
/// An access token closer than this to its end is exchanged before use.
const RENEW_BEFORE_SECS: i64 = 30;

/// A signed-in visitor.
#[derive(Debug, Clone)]
pub struct Me {
    pub id: Uuid,
    pub username: String,
    pub role: Role,
    pub token: String,
}

/// Everything a page needs to know about its visitor, and the cookies to set on the answer.
pub struct Visitor {
    pub lang: Lang,
    pub address: String,
    pub me: Option<Me>,
    /// The form token: every form carries it, every form post must bring it back.
    pub csrf: String,
    /// Set-Cookie values for the answer (a renewed session, a new form token).
    pub cookies: Vec<Cookie<'static>>,
    pub(crate) secure: bool,
}

/// The API's answer to a sign-in or a refresh.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: SignedUser,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SignedUser {
    pub id: Uuid,
    pub username: String,
}

impl FromRequestParts<Arc<Web>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Ok(ClientIp(address)) = ClientIp::from_request_parts(parts, web).await;
        let lang = Lang::choose(jar.get(LANG).map(Cookie::value), header_str(&parts.headers, header::ACCEPT_LANGUAGE));
        let mut visitor =
            Visitor { lang, address, me: None, csrf: String::new(), cookies: Vec::new(), secure: web.secure };
        match jar.get(FORM_TOKEN).map(Cookie::value).filter(|t| t.len() == 43) {
            Some(token) => visitor.csrf = token.to_owned(),
            None => {
                visitor.csrf = random_token();
                let cookie = visitor.cookie(FORM_TOKEN, visitor.csrf.clone(), None);
                visitor.cookies.push(cookie);
            }
        }
        let username = jar.get(USER).map(|c| c.value().to_owned()).unwrap_or_default();
        if let Some(token) = jar.get(ACCESS).map(Cookie::value)
            && let Ok(principal) = web.verifier.verify(token).await
            && principal.expires_at - platform::http::auth::unix_now() > RENEW_BEFORE_SECS
        {
            visitor.me = Some(Me { id: principal.user_id, username, role: principal.role, token: token.to_owned() });
            return Ok(visitor);
        }
        if let Some(refresh) = jar.get(REFRESH).map(|c| c.value().to_owned()) {
            match renew(web, &refresh, &visitor.address).await {
                Ok(tokens) => visitor.sign_in(web, tokens).await,
                Err(_) => visitor.sign_out(),
            }
        }
        Ok(visitor)
    }
}

impl Visitor {
    /// Keeps a new session in the answer's cookies and takes it for the rest of this request.
    pub async fn sign_in(&mut self, web: &Web, tokens: TokenResponse) {
        let principal = web.verifier.verify(&tokens.access_token).await.ok();
        let access_age = time::Duration::seconds(tokens.expires_in.max(1));
        let refresh_age = time::Duration::days(REFRESH_COOKIE_DAYS);
        let cookies = [
            self.cookie(ACCESS, tokens.access_token.clone(), Some(access_age)),
            self.cookie(REFRESH, tokens.refresh_token, Some(refresh_age)),
            self.cookie(USER, tokens.user.username.clone(), Some(refresh_age)),
        ];
        self.cookies.extend(cookies);
        self.me = principal.map(|p| Me {
            id: p.user_id,
            username: tokens.user.username,
            role: p.role,
            token: tokens.access_token,
        });
    }

    /// Forgets the session (the cookies expire now).
    pub fn sign_out(&mut self) {
        for name in [ACCESS, REFRESH, USER] {
            let cookie = self.cookie(name, String::new(), Some(time::Duration::ZERO));
            self.cookies.push(cookie);
        }
        self.me = None;
    }

    /// The refresh token the browser holds, to end the session with the API.
    pub fn refresh_token(headers: &HeaderMap) -> Option<String> {
        CookieJar::from_headers(headers).get(REFRESH).map(|c| c.value().to_owned())
    }

    /// Whether a form post brought back this visitor's form token.
    pub fn form_is_ours(&self, presented: &str) -> bool {
        presented.len() == self.csrf.len()
            && presented.bytes().zip(self.csrf.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    pub fn token(&self) -> Option<&str> {
        self.me.as_ref().map(|m| m.token.as_str())
    }

    pub fn is(&self, role: Role) -> bool {
        self.me.as_ref().is_some_and(|m| m.role >= role)
    }

    /// A cookie of ours: `HttpOnly`, `SameSite=Lax`, `Secure` behind https, for the whole site.
    pub fn cookie(&self, name: &'static str, value: String, max_age: Option<time::Duration>) -> Cookie<'static> {
        let mut cookie =
            Cookie::build((name, value)).path("/").http_only(true).same_site(SameSite::Lax).secure(self.secure);
        if let Some(age) = max_age {
            cookie = cookie.max_age(age);
        }
        cookie.build()
    }
}

/// Renewals of the last few seconds, by the refresh token they spent. A refresh token works
/// once, so a page and its live stream asking at the same moment must share one renewal rather
/// than spend the token twice (which the API takes for theft and ends the session).
#[derive(Default)]
pub struct Renewals(tokio::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, TokenResponse)>>);

const RENEWAL_SHARED_FOR: std::time::Duration = std::time::Duration::from_secs(20);

async fn renew(web: &Web, refresh: &str, address: &str) -> Result<TokenResponse, super::client::ApiProblem> {
    let mut recent = web.renewals.0.lock().await;
    recent.retain(|_, (at, _)| at.elapsed() < RENEWAL_SHARED_FOR);
    if let Some((_, tokens)) = recent.get(refresh) {
        return Ok(tokens.clone());
    }
    let tokens: TokenResponse = web
        .api
        .caller(None, address)
        .with_json(reqwest::Method::POST, "/api/v1/auth/refresh", &serde_json::json!({ "refresh_token": refresh }))
        .await?;
    recent.insert(refresh.to_owned(), (std::time::Instant::now(), tokens.clone()));
    Ok(tokens)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 32 random bytes, URL-safe base64 without padding (43 characters).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
