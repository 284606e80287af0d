//! Profiles, followers and following, the relationship buttons, and notifications.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{Action, Answer, OrShow, check_form, not_found, redirect, render, signed_in, streams::Paging};
use crate::{
    Web,
    domain::{
        client::encode,
        i18n::Msg,
        model::{Edge, Group, Page, Relationship, User},
        session::Visitor,
    },
    views::{Frame, notices, people},
};

/// `/@name`: a profile. Other paths of one segment are not pages.
async fn user_of(web: &Web, v: &Visitor, handle: &str) -> Result<Option<User>, super::Shown> {
    let Some(name) = handle.strip_prefix('@').filter(|n| !n.is_empty()) else { return Ok(None) };
    match web.api.caller(v.token(), &v.address).get::<User>(&format!("/api/v1/users/{}", encode(name))).await {
        Ok(user) => Ok(Some(user)),
        Err(problem) if problem.status == StatusCode::NOT_FOUND => Ok(None),
        Err(problem) => Err(super::problem_page(v, &problem).into()),
    }
}

pub async fn profile(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(handle): Path<String>,
    Query(paging): Query<Paging>,
) -> Answer {
    let Some(user) = user_of(&web, &v, &handle).await? else { return Ok(not_found(v)) };
    let caller = web.api.caller(v.token(), &v.address);
    let posts_path = format!("/api/v1/users/{}/posts{}", user.id, paging.query());
    let relation_path = format!("/api/v1/users/{}/relationship", user.id);
    let (page, relation) = tokio::join!(super::streams::stream_page(&caller, &posts_path), async {
        if v.me.is_some() { Some(caller.get::<Relationship>(&relation_path).await) } else { None }
    });
    let page = page.or_show(&v)?;
    let relation = relation.transpose().or_show(&v)?;
    let feed = format!("/feeds/users/{}", encode(&user.username));
    let title = format!("{} (@{})", user.display_name, user.username);
    let body = people::profile(&v, &user, relation.as_ref(), &page);
    Ok(render(v, StatusCode::OK, &Frame { title: &title, feed: Some(&feed) }, body))
}

pub async fn followers(
    state: State<Arc<Web>>,
    v: Visitor,
    Path(handle): Path<String>,
    paging: Query<Paging>,
) -> Answer {
    edges(state, v, handle, paging, "followers", Msg::Followers).await
}

pub async fn following(
    state: State<Arc<Web>>,
    v: Visitor,
    Path(handle): Path<String>,
    paging: Query<Paging>,
) -> Answer {
    edges(state, v, handle, paging, "following", Msg::Following).await
}

async fn edges(
    State(web): State<Arc<Web>>,
    v: Visitor,
    handle: String,
    Query(paging): Query<Paging>,
    which: &str,
    title: Msg,
) -> Answer {
    let Some(user) = user_of(&web, &v, &handle).await? else { return Ok(not_found(v)) };
    let path = format!("/api/v1/users/{}/{which}{}", user.id, paging.query());
    let page: Page<Edge> = web.api.caller(v.token(), &v.address).get(&path).await.or_show(&v)?;
    let title = title.text(v.lang);
    let here = format!("/@{}/{which}", user.username);
    let body = people::edges(&v, &user, title, &page, &here);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

/// Follow, unfollow, block, unblock, mute or unmute a user.
pub async fn relationship_action(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Action>,
) -> Answer {
    let back = form.back.clone().unwrap_or_else(|| "/".into());
    let (method, what) = match action.as_str() {
        "follow" => (Method::PUT, "follow"),
        "unfollow" => (Method::DELETE, "follow"),
        "block" => (Method::PUT, "block"),
        "unblock" => (Method::DELETE, "block"),
        "mute" => (Method::PUT, "mute"),
        "unmute" => (Method::DELETE, "mute"),
        _ => return Ok(not_found(v)),
    };
    let path = format!("/api/v1/users/{}/{what}", encode(&id));
    super::act_then(&web, &v, &form.csrf, method, &path, &back).await
}

pub async fn notifications(State(web): State<Arc<Web>>, v: Visitor, Query(paging): Query<Paging>) -> Answer {
    let token = signed_in(&v, "/notifications")?;
    let path = format!("/api/v1/notifications{}", paging.query());
    let page: Page<Group> = web.api.caller(Some(token), &v.address).get(&path).await.or_show(&v)?;
    let title = Msg::Notifications.text(v.lang);
    let body = notices::notifications(&v, &page);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct ReadForm {
    csrf: String,
    read_up_to: String,
}

pub async fn mark_read(State(web): State<Arc<Web>>, v: Visitor, Form(form): Form<ReadForm>) -> Answer {
    check_form(&v, &form.csrf)?;
    let token = signed_in(&v, "/notifications")?;
    let caller = web.api.caller(Some(token), &v.address);
    caller
        .act_with_json(Method::POST, "/api/v1/notifications/read", &json!({ "read_up_to": form.read_up_to }))
        .await
        .or_show(&v)?;
    Ok(redirect(&v, "/notifications"))
}

pub async fn dismiss(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(id): Path<String>,
    Form(form): Form<Action>,
) -> Answer {
    let path = format!("/api/v1/notifications/{}", encode(&id));
    super::act_then(&web, &v, &form.csrf, Method::DELETE, &path, "/notifications").await
}
