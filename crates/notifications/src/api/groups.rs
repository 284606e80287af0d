//! The recipient's groups: the list (keyset pages, filtered by kind), one group, its accounts,
//! the unread count, the read marker, dismissing.

use std::{collections::HashSet, sync::Arc};

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal,
    http::{
        Json, Path, Problem, Query,
        pagination::{Page, PageParams, decode_cursor},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{GroupView, still_visible, views};
use crate::{
    Notifications,
    domain::{Kind, NotificationsError},
    ingest::wake,
    store::{
        groups::{self, Position},
        people::{self, Account},
        preferences,
    },
};

/// Most groups in one page (Mastodon's default page is 40).
const MAX_GROUPS: u32 = 80;
const DEFAULT_GROUPS: u32 = 40;
/// The unread count stops counting here.
const MOST_UNREAD: usize = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListParams {
    /// Groups per page, 1 to 80 (default 40).
    #[param(minimum = 1, maximum = 80)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,1024}$")]
    cursor: Option<String>,
    /// Only these kinds, comma-separated (`like,follow`).
    #[param(
        pattern = r"^(mention|reply|like|repost|follow|post|post_hidden|report|report_resolved|sign_up)(,(mention|reply|like|repost|follow|post|post_hidden|report|report_resolved|sign_up))*$"
    )]
    types: Option<String>,
}

fn kinds(types: Option<&str>) -> Result<HashSet<Kind>, ApiError> {
    types
        .into_iter()
        .flat_map(|t| t.split(','))
        .map(|t| {
            Kind::parse(t).ok_or_else(|| {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                ApiError::invalid_field("types", format!("`{t}` is not a kind; kinds are {}", known.join(", ")))
            })
        })
        .collect()
}

fn position(cursor: &str) -> Result<Position, ApiError> {
    let text = decode_cursor(cursor)?;
    text.split_once(':')
        .and_then(|(at, id)| Some(Position { latest_at_ms: at.parse().ok()?, id: id.to_owned() }))
        .ok_or_else(|| ApiError::bad_cursor("is not a cursor this endpoint returned"))
}

/// The caller's notification groups, the most recently active first: likes, reposts, follows
/// and sign-ups of one target within the window (12 h by default) are one group with its
/// count and up to 8 accounts; mentions, replies and the rest are one each. Kinds the caller
/// turned off, and groups about posts the caller can no longer see, are left out.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])), params(ListParams),
    responses((status = 200, body = inline(Page<GroupView>)), (status = 401, body = Problem),
        (status = 409, body = Problem, description = "the cursor is not one this endpoint returned"),
        (status = 422, body = Problem)))]
pub(super) async fn list(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Query(params): Query<ListParams>,
) -> Result<Page<GroupView>, ApiError> {
    let limit = params.limit.unwrap_or(DEFAULT_GROUPS);
    if !(1..=MAX_GROUPS).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be between 1 and {MAX_GROUPS}")));
    }
    let mut wanted = kinds(params.types.as_deref())?;
    // The next page keeps the filter (its kinds are known ones: plain text in the link).
    let link = match &params.types {
        Some(types) => format!("/api/v1/notifications?types={types}"),
        None => "/api/v1/notifications".to_owned(),
    };
    let chosen = preferences::all(&service.store, me.user_id).await?;
    let off: HashSet<Kind> = chosen.iter().filter(|(_, p)| !p.enabled).map(|(k, _)| *k).collect();
    if wanted.is_empty() {
        wanted = Kind::ALL.into_iter().filter(|k| !off.contains(k)).collect();
    } else {
        wanted.retain(|k| !off.contains(k));
    }
    let mut after = params.cursor.as_deref().map(position).transpose()?;
    let mut shown = Vec::new();
    // One more than asked tells whether there is a next page; pages are read until enough
    // remain after leaving out what the caller may no longer see.
    while !wanted.is_empty() && shown.len() <= limit as usize {
        let page = groups::page(&service.store, me.user_id, &wanted, after.as_ref(), limit as usize + 1).await?;
        let ended = page.len() <= limit as usize;
        after = page.last().map(|g| Position { latest_at_ms: g.latest_at_ms, id: g.id.clone() });
        shown.extend(still_visible(&service, me.user_id, page).await?);
        if ended {
            break;
        }
    }
    shown.truncate(limit as usize + 1);
    let (read_up_to, _) = groups::marker(&service.store, me.user_id).await?;
    let cursors: Vec<String> = shown.iter().map(|g| format!("{}:{}", g.latest_at_ms, g.id)).collect();
    let shown: Vec<(GroupView, String)> = views(&service, shown, read_up_to).await?.into_iter().zip(cursors).collect();
    Ok(Page::from_overfetch(shown, limit, |(_, cursor)| cursor.clone()).map(|(group, _)| group).with_link(&link, limit))
}

/// One of the caller's groups.
#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, body = GroupView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn one(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(id): Path<String>,
) -> Result<Json<GroupView>, ApiError> {
    let group = groups::one(&service.store, me.user_id, &id).await?;
    if group.removed {
        return Err(NotificationsError::NotFound.into());
    }
    let visible = still_visible(&service, me.user_id, vec![group]).await?;
    let (read_up_to, _) = groups::marker(&service.store, me.user_id).await?;
    let view = views(&service, visible, read_up_to).await?.pop().ok_or(NotificationsError::NotFound)?;
    Ok(Json(view))
}

/// Dismisses one of the caller's groups: it leaves the list (and the live stream says so).
#[utoipa::path(delete, path = "/api/v1/notifications/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id")),
    responses((status = 204, description = "Dismissed"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn dismiss(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let changed = groups::dismiss(&service.store, me.user_id, &id).await?.ok_or(NotificationsError::NotFound)?;
    wake(&service, &[changed]);
    Ok(StatusCode::NO_CONTENT)
}

/// An account in a group, with when it acted.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct GroupAccount {
    #[serde(flatten)]
    account: Account,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
}

/// Every account of one of the caller's groups (all 100,000 likers, page by page), newest first.
#[utoipa::path(get, path = "/api/v1/notifications/{id}/accounts", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "Group id"), PageParams),
    responses((status = 200, body = inline(Page<GroupAccount>)), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "the cursor is not one this endpoint returned"),
        (status = 422, body = Problem)))]
pub(super) async fn accounts(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Page<GroupAccount>, ApiError> {
    let group = groups::one(&service.store, me.user_id, &id).await?;
    let limit = params.limit()?;
    let after = params
        .position()?
        .map(|p| {
            p.split_once(':')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                .ok_or_else(|| ApiError::bad_cursor("is not a cursor this endpoint returned"))
        })
        .transpose()?;
    let rows = groups::accounts(&service.store, &group.id, after, limit as usize + 1).await?;
    let ids: Vec<String> = rows.iter().map(|(actor, _, _)| actor.clone()).collect();
    let named = people::accounts(&service.store, &ids).await?;
    let items: Vec<(GroupAccount, String)> = rows
        .into_iter()
        .filter_map(|(actor, at, id)| {
            let account = named.iter().find(|a| a.id == actor)?.clone();
            Some((GroupAccount { account, at: platform::db::from_ms(at) }, format!("{at}:{id}")))
        })
        .collect();
    Ok(Page::from_overfetch(items, limit, |(_, cursor)| cursor.clone())
        .map(|(account, _)| account)
        .with_link(&format!("/api/v1/notifications/{}/accounts", group.id), limit))
}

/// How many groups are newer than the read marker.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Unread {
    /// Counted up to 1000.
    count: i64,
}

/// How many of the caller's groups changed since the read marker (up to 1000).
#[utoipa::path(get, path = "/api/v1/notifications/unread_count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Unread), (status = 401, body = Problem)))]
pub(super) async fn unread(State(service): State<Arc<Notifications>>, me: Principal) -> Result<Json<Unread>, ApiError> {
    Ok(Json(Unread { count: groups::unread(&service.store, me.user_id, MOST_UNREAD).await? }))
}

/// Where the caller has read up to.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub(super) struct Marker {
    /// The `latest_at` of the newest group read: it and everything older is read.
    #[serde(with = "time::serde::rfc3339")]
    read_up_to: time::OffsetDateTime,
}

/// Moves the caller's read marker forward (never back); answers where it is.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", security(("bearer" = [])),
    request_body = Marker,
    responses((status = 200, body = Marker), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn read(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    Json(marker): Json<Marker>,
) -> Result<Json<Marker>, ApiError> {
    let ms = (marker.read_up_to.unix_timestamp_nanos() / 1_000_000) as i64;
    let now = groups::mark_read(&service.store, me.user_id, ms).await?;
    Ok(Json(Marker { read_up_to: platform::db::from_ms(now) }))
}
