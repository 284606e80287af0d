//! What the caller wants told: per kind, off or ungrouped; and per followed account, "notify
//! me" of its new posts.

use std::{collections::HashMap, sync::Arc};

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal,
    http::{Json, Path, Problem},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    Notifications,
    domain::{Kind, Preference},
    store::{people, preferences},
};

/// A preference for each kind (`mention`, `like`, …): on and grouped unless changed.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Preferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    mention: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    like: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repost: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    follow: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post_hidden: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    report_resolved: Option<Preference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_up: Option<Preference>,
}

impl Preferences {
    fn slot(&mut self, kind: Kind) -> &mut Option<Preference> {
        match kind {
            Kind::Mention => &mut self.mention,
            Kind::Reply => &mut self.reply,
            Kind::Like => &mut self.like,
            Kind::Repost => &mut self.repost,
            Kind::Follow => &mut self.follow,
            Kind::Post => &mut self.post,
            Kind::PostHidden => &mut self.post_hidden,
            Kind::Report => &mut self.report,
            Kind::ReportResolved => &mut self.report_resolved,
            Kind::SignUp => &mut self.sign_up,
        }
    }

    fn of(chosen: HashMap<Kind, Preference>) -> Preferences {
        let mut shown = Preferences::default();
        for (kind, preference) in chosen {
            *shown.slot(kind) = Some(preference);
        }
        shown
    }

    /// The kinds given, with their preference.
    fn given(mut self) -> HashMap<Kind, Preference> {
        Kind::ALL.into_iter().filter_map(|kind| Some((kind, self.slot(kind).take()?))).collect()
    }
}

/// The caller's preference for every kind (on and grouped unless changed).
#[utoipa::path(get, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
pub(super) async fn show(
    State(service): State<Arc<Notifications>>,
    me: Principal,
) -> Result<Json<Preferences>, ApiError> {
    Ok(Json(Preferences::of(preferences::all(&service.store, me.user_id).await?)))
}

/// Changes the caller's preferences for the kinds given (the others stay): `enabled: false`
/// stops a kind (and hides its groups), `grouped: false` makes each notification its own.
#[utoipa::path(patch, path = "/api/v1/notifications/preferences", tag = "notifications", security(("bearer" = [])),
    request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn change(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Json(changes): Json<Preferences>,
) -> Result<Json<Preferences>, ApiError> {
    preferences::set(&service.store, me.user_id, &changes.given()).await?;
    Ok(Json(Preferences::of(preferences::all(&service.store, me.user_id).await?)))
}

/// Whether the caller is told about an account's new posts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NotifyState {
    notify: bool,
}

async fn switch(service: &Notifications, me: &Principal, account: Uuid, on: bool) -> Result<StatusCode, ApiError> {
    if people::set_notify(&service.store, me.user_id, account, on).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::conflict("you do not follow this account; follow it first"))
    }
}

/// Tells the caller about every new post (not replies) of an account they follow.
#[utoipa::path(put, path = "/api/v1/users/{id}/notify", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "A followed account")),
    responses((status = 204, description = "On"), (status = 401, body = Problem),
        (status = 409, body = Problem, description = "the caller does not follow the account"), (status = 422, body = Problem)))]
pub(super) async fn notify_on(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(account): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    switch(&service, &me, account, true).await
}

/// Stops telling the caller about an account's new posts.
#[utoipa::path(delete, path = "/api/v1/users/{id}/notify", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "A followed account")),
    responses((status = 204, description = "Off"), (status = 401, body = Problem),
        (status = 409, body = Problem, description = "the caller does not follow the account"), (status = 422, body = Problem)))]
pub(super) async fn notify_off(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(account): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    switch(&service, &me, account, false).await
}

/// Whether the caller is told about an account's new posts (false when not following).
#[utoipa::path(get, path = "/api/v1/users/{id}/notify", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "An account")),
    responses((status = 200, body = NotifyState), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn notify_state(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(account): Path<Uuid>,
) -> Result<Json<NotifyState>, ApiError> {
    Ok(Json(NotifyState { notify: people::notify(&service.store, me.user_id, account).await?.unwrap_or(false) }))
}
