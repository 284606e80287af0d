//! The moderators' and admins' pages. The API checks the role of every call; the pages only
//! save a visitor without it a page of refusals.

use std::sync::Arc;

use axum::{
    Form,
    extract::{Path, State},
    http::StatusCode,
};
use platform::http::Role;
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{Action, Answer, OrShow, check_form, not_found, redirect, render, signed_in};
use crate::{
    Web,
    domain::{
        client::encode,
        i18n::Msg,
        model::{Page, ReportItem, User},
        session::Visitor,
    },
    views::{Frame, staff},
};

pub async fn moderation(State(web): State<Arc<Web>>, v: Visitor) -> Answer {
    let token = signed_in(&v, "/moderation")?;
    if !v.is(Role::Moderator) {
        return Ok(not_found(v));
    }
    let caller = web.api.caller(Some(token), &v.address);
    let (reports, log) = tokio::join!(
        caller.get::<Page<ReportItem>>("/api/v1/moderation/reports?limit=50"),
        caller.get::<Page<serde_json::Value>>("/api/v1/moderation/log?limit=50")
    );
    let (reports, log) = (reports.or_show(&v)?, log.or_show(&v)?);
    let title = Msg::Moderation.text(v.lang);
    let body = staff::moderation(&v, &reports, &log);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: String,
    action: String,
}

pub async fn resolve(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(id): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Answer {
    check_form(&v, &form.csrf)?;
    let token = signed_in(&v, "/moderation")?;
    let path = format!("/api/v1/moderation/reports/{}/resolve", encode(&id));
    let caller = web.api.caller(Some(token), &v.address);
    caller.act_with_json(Method::POST, &path, &json!({ "action": form.action })).await.or_show(&v)?;
    Ok(redirect(&v, "/moderation"))
}

pub async fn admin(State(web): State<Arc<Web>>, v: Visitor) -> Answer {
    let token = signed_in(&v, "/admin")?;
    if !v.is(Role::Admin) {
        return Ok(not_found(v));
    }
    let caller = web.api.caller(Some(token), &v.address);
    let (users, audit) = tokio::join!(
        caller.get::<Page<User>>("/api/v1/admin/users?limit=100"),
        caller.get::<Page<serde_json::Value>>("/api/v1/admin/audit?limit=50")
    );
    let (users, audit) = (users.or_show(&v)?, audit.or_show(&v)?);
    let title = Msg::Admin.text(v.lang);
    let body = staff::admin(&v, &users, &audit);
    Ok(render(v, StatusCode::OK, &Frame::titled(title), body))
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    csrf: String,
    role: String,
}

pub async fn change_role(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(id): Path<String>,
    Form(form): Form<RoleForm>,
) -> Answer {
    check_form(&v, &form.csrf)?;
    patch_user(&web, &v, &id, json!({ "role": form.role })).await
}

pub async fn change_status(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<Action>,
) -> Answer {
    check_form(&v, &form.csrf)?;
    let status = match action.as_str() {
        "suspend" => "suspended",
        "restore" => "active",
        _ => return Ok(not_found(v)),
    };
    patch_user(&web, &v, &id, json!({ "status": status })).await
}

async fn patch_user(web: &Web, v: &Visitor, id: &str, patch: serde_json::Value) -> Answer {
    let token = signed_in(v, "/admin")?;
    let path = format!("/api/v1/admin/users/{}", encode(id));
    web.api.caller(Some(token), &v.address).act_with_json(Method::PATCH, &path, &patch).await.or_show(v)?;
    Ok(redirect(v, "/admin"))
}
