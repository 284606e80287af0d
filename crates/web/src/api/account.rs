//! Signing up, in and out, confirming an address, the language, the visitor's settings and
//! their sources (subscriptions to feeds and sites, OPML in and out).

use std::sync::Arc;

use axum::{
    Form,
    extract::{Multipart, Path, Query, State},
    http::{HeaderMap, StatusCode},
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{Action, Answer, OrShow, check_form, local, redirect, render, signed_in};
use crate::{
    Web,
    domain::{
        client::encode,
        i18n::{Lang, Msg},
        model::{Page, Session, Source, User},
        session::{LANG, TokenResponse, Visitor},
    },
    views::{
        Frame,
        account::{self, Refused},
    },
};

#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

pub async fn sign_in_page(v: Visitor, Query(back): Query<Back>) -> Answer {
    let back = back.back.as_deref().map_or("/", local).to_owned();
    let title = Msg::SignIn.text(v.lang);
    let body = account::sign_in(&v, &Refused::default(), &back);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    csrf: String,
    login: String,
    password: String,
    back: Option<String>,
}

pub async fn sign_in(State(web): State<Arc<Web>>, mut v: Visitor, Form(form): Form<SignIn>) -> Answer {
    check_form(&v, &form.csrf)?;
    let caller = web.api.caller(None, &v.address);
    let answer: Result<TokenResponse, _> = caller
        .with_json(Method::POST, "/api/v1/auth/login", &json!({ "login": form.login, "password": form.password }))
        .await;
    match answer {
        Ok(tokens) => {
            v.sign_in(&web, tokens).await;
            Ok(redirect(&v, form.back.as_deref().map_or("/", local)))
        }
        Err(problem) => {
            let refused = Refused { message: Some(problem.message()), login: &form.login, ..Refused::default() };
            let status = if problem.status.is_client_error() { problem.status } else { StatusCode::BAD_GATEWAY };
            let body = account::sign_in(&v, &refused, form.back.as_deref().map_or("/", local));
            {
                let title = Msg::SignIn.text(v.lang);
                Ok(render(v, status, &Frame::titled(title), body))
            }
        }
    }
}

pub async fn sign_up_page(v: Visitor) -> Answer {
    let title = Msg::SignUp.text(v.lang);
    let body = account::sign_up(&v, &Refused::default());
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct SignUp {
    csrf: String,
    username: String,
    email: String,
    password: String,
}

/// Registers through the API. When the deployment confirms addresses, the answer is the same
/// for a taken address as for a free one (the API's rule): check your mail.
pub async fn sign_up(State(web): State<Arc<Web>>, mut v: Visitor, Form(form): Form<SignUp>) -> Answer {
    check_form(&v, &form.csrf)?;
    let caller = web.api.caller(None, &v.address);
    let request = caller
        .request(Method::POST, "/api/v1/auth/register")
        .or_show(&v)?
        .json(&json!({ "username": form.username, "email": form.email, "password": form.password }));
    let answer = caller.send_raw(request).await;
    match answer {
        Ok(response) if response.status() == StatusCode::ACCEPTED => {
            let body = account::message(&v, Msg::SignUp, Msg::CheckMail);
            {
                let title = Msg::SignUp.text(v.lang);
                Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
            }
        }
        Ok(_) => {
            // Registered and usable at once: sign in with the same credentials.
            let tokens: TokenResponse = caller
                .with_json(
                    Method::POST,
                    "/api/v1/auth/login",
                    &json!({ "login": form.username, "password": form.password }),
                )
                .await
                .or_show(&v)?;
            v.sign_in(&web, tokens).await;
            Ok(redirect(&v, "/home"))
        }
        Err(problem) => {
            let refused = Refused {
                message: Some(problem.message()),
                username: &form.username,
                email: &form.email,
                ..Refused::default()
            };
            let status = if problem.status.is_client_error() { problem.status } else { StatusCode::BAD_GATEWAY };
            let body = account::sign_up(&v, &refused);
            {
                let title = Msg::SignUp.text(v.lang);
                Ok(render(v, status, &Frame::titled(title), body))
            }
        }
    }
}

/// Ends the session with the API (its refresh token stops working) and forgets it here.
pub async fn sign_out(
    State(web): State<Arc<Web>>,
    mut v: Visitor,
    headers: HeaderMap,
    Form(form): Form<Action>,
) -> Answer {
    check_form(&v, &form.csrf)?;
    if let (Some(token), Some(refresh)) = (v.token(), Visitor::refresh_token(&headers)) {
        let caller = web.api.caller(Some(token), &v.address);
        // Signing out here must work even when the API cannot be told (the cookies go anyway).
        let _ = caller
            .with_json::<serde_json::Value>(Method::POST, "/api/v1/auth/logout", &json!({ "refresh_token": refresh }))
            .await;
    }
    v.sign_out();
    Ok(redirect(&v, "/"))
}

#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    token: String,
}

/// The link in the confirmation mail opens a page whose button confirms (a GET must not
/// change anything: mail scanners open links).
pub async fn confirm_page(v: Visitor, Query(token): Query<Token>) -> Answer {
    let body = account::confirm(&v, &token.token);
    {
        let title = Msg::SignUp.text(v.lang);
        Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
    }
}

#[derive(Debug, Deserialize)]
pub struct Confirm {
    csrf: String,
    token: String,
}

pub async fn confirm(State(web): State<Arc<Web>>, v: Visitor, Form(form): Form<Confirm>) -> Answer {
    check_form(&v, &form.csrf)?;
    let caller = web.api.caller(None, &v.address);
    caller
        .with_json::<serde_json::Value>(Method::POST, "/api/v1/auth/confirm", &json!({ "token": form.token }))
        .await
        .or_show(&v)?;
    let body = account::message(&v, Msg::SignUp, Msg::Confirmed);
    {
        let title = Msg::SignUp.text(v.lang);
        Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
    }
}

#[derive(Debug, Deserialize)]
pub struct Language {
    csrf: String,
    lang: String,
}

pub async fn language(mut v: Visitor, headers: HeaderMap, Form(form): Form<Language>) -> Answer {
    check_form(&v, &form.csrf)?;
    if let Some(lang) = Lang::parse(&form.lang) {
        let cookie = v.cookie(LANG, lang.code().to_owned(), Some(time::Duration::days(365)));
        v.cookies.push(cookie);
    }
    let referer = headers.get("referer").and_then(|r| r.to_str().ok()).unwrap_or("/");
    // Only the path of our own page: the referer may name another site.
    let path = url_path(referer);
    Ok(redirect(&v, &path))
}

fn url_path(referer: &str) -> String {
    match referer.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned()),
        None => referer.to_owned(),
    }
}

pub async fn settings(State(web): State<Arc<Web>>, v: Visitor) -> Answer {
    settings_with(&web, v, None).await
}

async fn settings_with(web: &Web, v: Visitor, saved: Option<&str>) -> Answer {
    let token = signed_in(&v, "/settings")?;
    let caller = web.api.caller(Some(token), &v.address);
    let (me, sessions) =
        tokio::join!(caller.get::<User>("/api/v1/me"), caller.get::<Vec<Session>>("/api/v1/auth/sessions"));
    let (me, sessions) = (me.or_show(&v)?, sessions.or_show(&v)?);
    let title = Msg::Settings.text(v.lang);
    let body = account::settings(&v, &me, &sessions, saved);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

/// The profile form: an avatar is uploaded first, then the profile changed.
pub async fn profile(State(web): State<Arc<Web>>, v: Visitor, mut form: Multipart) -> Answer {
    let token = signed_in(&v, "/settings")?.to_owned();
    let caller = web.api.caller(Some(&token), &v.address);
    let mut patch = serde_json::Map::new();
    let mut csrf = String::new();
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            name @ ("display_name" | "bio") => {
                let name = name.to_owned();
                patch.insert(name, field.text().await.unwrap_or_default().into());
            }
            "avatar" => {
                check_form(&v, &csrf)?;
                if let Some(media) = super::streams::upload(&caller, &v, field).await? {
                    patch.insert("avatar_media_id".into(), media.into());
                }
            }
            _ => {}
        }
    }
    check_form(&v, &csrf)?;
    caller.with_json::<serde_json::Value>(Method::PATCH, "/api/v1/me", &patch).await.or_show(&v)?;
    let saved = Msg::Saved.text(v.lang);
    settings_with(&web, v, Some(saved)).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

pub async fn password(State(web): State<Arc<Web>>, v: Visitor, Form(form): Form<PasswordForm>) -> Answer {
    check_form(&v, &form.csrf)?;
    let token = signed_in(&v, "/settings")?;
    let body = json!({ "current_password": form.current_password, "new_password": form.new_password });
    let caller = web.api.caller(Some(token), &v.address);
    caller.act_with_json(Method::POST, "/api/v1/me/password", &body).await.or_show(&v)?;
    let saved = Msg::Saved.text(v.lang);
    settings_with(&web, v, Some(saved)).await
}

pub async fn revoke(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(id): Path<String>,
    Form(form): Form<Action>,
) -> Answer {
    let path = format!("/api/v1/auth/sessions/{}", encode(&id));
    super::act_then(&web, &v, &form.csrf, Method::DELETE, &path, "/settings").await
}

pub async fn sources(State(web): State<Arc<Web>>, v: Visitor) -> Answer {
    sources_with(&web, v, None, StatusCode::OK).await
}

async fn sources_with(web: &Web, v: Visitor, notice: Option<String>, status: StatusCode) -> Answer {
    let token = signed_in(&v, "/sources")?;
    let list: Page<Source> =
        web.api.caller(Some(token), &v.address).get("/api/v1/sources?limit=100").await.or_show(&v)?;
    let title = Msg::Sources.text(v.lang);
    let body = account::sources(&v, &list.items, notice.as_deref());
    Ok(render(v, status, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct Subscribe {
    csrf: String,
    url: String,
}

pub async fn subscribe(State(web): State<Arc<Web>>, v: Visitor, Form(form): Form<Subscribe>) -> Answer {
    check_form(&v, &form.csrf)?;
    let token = signed_in(&v, "/sources")?;
    let caller = web.api.caller(Some(token), &v.address);
    match caller.act_with_json(Method::POST, "/api/v1/sources", &json!({ "url": form.url.trim() })).await {
        Ok(()) => Ok(redirect(&v, "/sources")),
        // Refused addresses are the visitor's to correct: say why above the form.
        Err(problem) if problem.status.is_client_error() => {
            let status = problem.status;
            sources_with(&web, v, Some(problem.message()), status).await
        }
        Err(problem) => Err(super::problem_page(&v, &problem).into()),
    }
}

pub async fn import(State(web): State<Arc<Web>>, v: Visitor, mut form: Multipart) -> Answer {
    let token = signed_in(&v, "/sources")?.to_owned();
    let mut csrf = String::new();
    let mut document = None;
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "opml" => document = Some(field.bytes().await.unwrap_or_default()),
            _ => {}
        }
    }
    check_form(&v, &csrf)?;
    let caller = web.api.caller(Some(&token), &v.address);
    let request = caller
        .request(Method::POST, "/api/v1/sources/import")
        .or_show(&v)?
        .header("content-type", "text/x-opml")
        .body(document.unwrap_or_default());
    caller.send_raw(request).await.or_show(&v)?;
    Ok(redirect(&v, "/sources"))
}

/// Refresh or unsubscribe.
pub async fn source_action(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Action>,
) -> Answer {
    let source = format!("/api/v1/sources/{}", encode(&id));
    let (method, path) = match action.as_str() {
        "refresh" => (Method::POST, format!("{source}/refresh")),
        "unsubscribe" => (Method::DELETE, source),
        _ => return Ok(super::not_found(v)),
    };
    super::act_then(&web, &v, &form.csrf, method, &path, "/sources").await
}
