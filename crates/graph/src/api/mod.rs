//! The graph's HTTP API; `error` maps the service's errors to answers.

mod error;

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, Uri},
};
use platform::{
    ApiError, Principal,
    db::from_ms,
    http::{
        Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Graph,
    domain::{self, Edge, GraphError},
    store::{
        edges,
        lists::{self, Side},
        suggestions, tags, users,
    },
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Graph>> {
    OpenApiRouter::new()
        .routes(routes!(follow, unfollow))
        .routes(routes!(block, unblock))
        .routes(routes!(mute, unmute))
        .routes(routes!(follow_tag, unfollow_tag))
        .routes(routes!(followers))
        .routes(routes!(following))
        .routes(routes!(relationship))
        .routes(routes!(suggestions))
}

async fn existing(graph: &Graph, id: Uuid) -> Result<Uuid, ApiError> {
    if users::exists(&graph.store, id).await? { Ok(id) } else { Err(GraphError::NoSuchUser.into()) }
}

macro_rules! edge_endpoints {
    ($put:ident, $delete:ident, $path:literal, $action:path, $what:literal, $myself:literal) => {
        #[doc = concat!("Starts to ", $what, " a user (idempotent).")]
        #[utoipa::path(put, path = $path, tag = "graph", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "User id")),
            responses((status = 204), (status = 403, body = Problem, description = "yourself, or across a block"), (status = 404, body = Problem)))]
        pub(super) async fn $put(State(graph): State<Arc<Graph>>, me: Principal, Path(id): Path<Uuid>) -> Result<StatusCode, ApiError> {
            domain::not_self(me.user_id, id, $myself)?;
            $action(&graph.store, me.user_id, existing(&graph, id).await?, true).await?;
            Ok(StatusCode::NO_CONTENT)
        }

        #[doc = concat!("Stops to ", $what, " a user (idempotent).")]
        #[utoipa::path(delete, path = $path, tag = "graph", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "User id")),
            responses((status = 204), (status = 403, body = Problem, description = "yourself"), (status = 404, body = Problem)))]
        pub(super) async fn $delete(State(graph): State<Arc<Graph>>, me: Principal, Path(id): Path<Uuid>) -> Result<StatusCode, ApiError> {
            domain::not_self(me.user_id, id, $myself)?;
            $action(&graph.store, me.user_id, id, false).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

edge_endpoints!(follow, unfollow, "/api/v1/users/{id}/follow", edges::follow, "follow", "you cannot follow yourself");
edge_endpoints!(block, unblock, "/api/v1/users/{id}/block", edges::block, "block", "you cannot block yourself");
edge_endpoints!(mute, unmute, "/api/v1/users/{id}/mute", edges::mute, "mute", "you cannot mute yourself");

/// Follows a hashtag: its public posts come into the home feed.
#[utoipa::path(put, path = "/api/v1/tags/{tag}/follow", tag = "graph", security(("bearer" = [])),
    params(("tag" = String, Path, description = "Hashtag: letters, digits and `_`, at most 64, a leading `#` ignored", pattern = r"^#*[\p{Alpha}\p{N}_]{1,64}$")),
    responses((status = 204), (status = 422, body = Problem)))]
pub(super) async fn follow_tag(
    State(graph): State<Arc<Graph>>,
    me: Principal,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiError> {
    tags::follow(&graph.store, me.user_id, &domain::tag(&tag)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stops following a hashtag.
#[utoipa::path(delete, path = "/api/v1/tags/{tag}/follow", tag = "graph", security(("bearer" = [])),
    params(("tag" = String, Path, description = "Hashtag: letters, digits and `_`, at most 64, a leading `#` ignored", pattern = r"^#*[\p{Alpha}\p{N}_]{1,64}$")),
    responses((status = 204), (status = 422, body = Problem)))]
pub(super) async fn unfollow_tag(
    State(graph): State<Arc<Graph>>,
    me: Principal,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiError> {
    tags::follow(&graph.store, me.user_id, &domain::tag(&tag)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One account in a followers or following list.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Connection {
    id: String,
    username: String,
    #[serde(with = "time::serde::rfc3339")]
    since: time::OffsetDateTime,
}

async fn list(graph: &Graph, uri: &Uri, id: Uuid, page: &PageParams, side: Side) -> Result<Page<Connection>, ApiError> {
    existing(graph, id).await?;
    let limit = page.limit()?;
    // Keyset: (created_at, id) strictly after the last row of the previous page.
    let after = page
        .position()?
        .map(|p| {
            p.split_once('|')
                .and_then(|(at, other)| Some((at.parse::<i64>().ok()?, other.to_owned())))
                .ok_or(GraphError::BadCursor)
        })
        .transpose()?;
    let rows = lists::page(&graph.store, id, side, after, limit + 1).await?;
    let items = rows
        .into_iter()
        .map(|row| Connection { id: row.id, username: row.username, since: from_ms(row.since_ms) })
        .collect();
    Ok(Page::from_overfetch(items, limit, |c| format!("{}|{}", c.since.unix_timestamp_nanos() / 1_000_000, c.id))
        .with_link(uri.path(), limit))
}

/// Who follows a user, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/followers", tag = "graph",
    params(("id" = Uuid, Path, description = "User id"), PageParams),
    responses((status = 200, body = inline(Page<Connection>)), (status = 404, body = Problem)))]
pub(super) async fn followers(
    State(graph): State<Arc<Graph>>,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> Result<Page<Connection>, ApiError> {
    list(&graph, &uri, id, &page, Side::Followers).await
}

/// Whom a user follows, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/following", tag = "graph",
    params(("id" = Uuid, Path, description = "User id"), PageParams),
    responses((status = 200, body = inline(Page<Connection>)), (status = 404, body = Problem)))]
pub(super) async fn following(
    State(graph): State<Arc<Graph>>,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(page): Query<PageParams>,
) -> Result<Page<Connection>, ApiError> {
    list(&graph, &uri, id, &page, Side::Following).await
}

/// How the caller and another user are connected.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Relationship {
    following: bool,
    followed_by: bool,
    /// Both follow each other.
    mutual: bool,
    blocking: bool,
    blocked_by: bool,
    muting: bool,
}

/// The caller's relationship with a user.
#[utoipa::path(get, path = "/api/v1/users/{id}/relationship", tag = "graph", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = Relationship), (status = 404, body = Problem)))]
pub(super) async fn relationship(
    State(graph): State<Arc<Graph>>,
    me: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Relationship>, ApiError> {
    let other = existing(&graph, id).await?;
    let me = me.user_id;
    let store = &graph.store;
    let following = edges::has(store, Edge::Follow, me, other).await?;
    let followed_by = edges::has(store, Edge::Follow, other, me).await?;
    Ok(Json(Relationship {
        following,
        followed_by,
        mutual: following && followed_by,
        blocking: edges::has(store, Edge::Block, me, other).await?,
        blocked_by: edges::has(store, Edge::Block, other, me).await?,
        muting: edges::has(store, Edge::Mute, me, other).await?,
    }))
}

/// A suggested account, with why.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Suggestion {
    id: String,
    username: String,
    /// How many of the accounts you follow follow this one (0 for a popular account).
    followed_by_your_follows: i64,
    /// How many follow this account in all.
    followers: i64,
}

/// Who to follow: accounts followed by the accounts you follow, ranked by how many of them do,
/// then popular accounts (for a new user, only those); never yourself, nor accounts you follow,
/// block, mute or are blocked by. Computed in the background: a first request is answered with
/// the popular accounts and asks for yours, which come within seconds and are kept for ten
/// minutes.
#[utoipa::path(get, path = "/api/v1/suggestions", tag = "graph", security(("bearer" = [])),
    responses((status = 200, body = Vec<Suggestion>), (status = 401, body = Problem)))]
pub(super) async fn suggestions(
    State(graph): State<Arc<Graph>>,
    me: Principal,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let (mut list, fresh) = suggestions::stored(&graph.store, me.user_id).await?;
    if !fresh {
        suggestions::want(&graph.store, me.user_id).await?;
        graph.suggestions_wanted.notify_one();
    }
    if list.is_empty() {
        list = suggestions::popular_for(&graph.store, me.user_id, &graph.popular()).await?;
    }
    let suggestions = list
        .into_iter()
        .map(|s| Suggestion {
            id: s.id.to_string(),
            username: s.username,
            followed_by_your_follows: s.via,
            followers: s.followers,
        })
        .collect();
    Ok(Json(suggestions))
}
