//! The graph's HTTP API.

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
use sqlx::Row;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Graph,
    edges::{self, Edge},
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
    if edges::user_exists(graph, id).await? { Ok(id) } else { Err(ApiError::not_found("no such user")) }
}

macro_rules! edge_endpoints {
    ($put:ident, $delete:ident, $path:literal, $action:path, $what:literal) => {
        #[doc = concat!("Starts to ", $what, " a user (idempotent).")]
        #[utoipa::path(put, path = $path, tag = "graph", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "User id")),
            responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
        pub(super) async fn $put(State(graph): State<Arc<Graph>>, me: Principal, Path(id): Path<Uuid>) -> Result<StatusCode, ApiError> {
            $action(&graph, me.user_id, existing(&graph, id).await?, true).await?;
            Ok(StatusCode::NO_CONTENT)
        }

        #[doc = concat!("Stops to ", $what, " a user (idempotent).")]
        #[utoipa::path(delete, path = $path, tag = "graph", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "User id")),
            responses((status = 204), (status = 404, body = Problem)))]
        pub(super) async fn $delete(State(graph): State<Arc<Graph>>, me: Principal, Path(id): Path<Uuid>) -> Result<StatusCode, ApiError> {
            $action(&graph, me.user_id, id, false).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

edge_endpoints!(follow, unfollow, "/api/v1/users/{id}/follow", edges::follow, "follow");
edge_endpoints!(block, unblock, "/api/v1/users/{id}/block", edges::block, "block");
edge_endpoints!(mute, unmute, "/api/v1/users/{id}/mute", edges::mute, "mute");

fn tag_of(raw: &str) -> Result<String, ApiError> {
    let tag = raw.trim_start_matches('#').to_lowercase();
    let valid = (1..=64).contains(&tag.chars().count()) && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    if valid { Ok(tag) } else { Err(ApiError::invalid_field("tag", "letters, digits and `_`, at most 64")) }
}

/// Follows a hashtag: its public posts come into the home feed.
#[utoipa::path(put, path = "/api/v1/tags/{tag}/follow", tag = "graph", security(("bearer" = [])),
    params(("tag" = String, Path, description = "Hashtag, without `#`")),
    responses((status = 204), (status = 422, body = Problem)))]
pub(super) async fn follow_tag(
    State(graph): State<Arc<Graph>>,
    me: Principal,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiError> {
    edges::follow_tag(&graph, me.user_id, &tag_of(&tag)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stops following a hashtag.
#[utoipa::path(delete, path = "/api/v1/tags/{tag}/follow", tag = "graph", security(("bearer" = [])),
    params(("tag" = String, Path, description = "Hashtag, without `#`")),
    responses((status = 204), (status = 422, body = Problem)))]
pub(super) async fn unfollow_tag(
    State(graph): State<Arc<Graph>>,
    me: Principal,
    Path(tag): Path<String>,
) -> Result<StatusCode, ApiError> {
    edges::follow_tag(&graph, me.user_id, &tag_of(&tag)?, false).await?;
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

async fn list(
    graph: &Graph,
    uri: &Uri,
    id: Uuid,
    page: &PageParams,
    theirs: &str,
    mine: &str,
) -> Result<Page<Connection>, ApiError> {
    existing(graph, id).await?;
    let limit = page.limit()?;
    let bad_cursor = || ApiError::invalid_field("cursor", "is not a cursor this endpoint returned");
    // Keyset: (created_at, id) strictly after the last row of the previous page.
    let cursor = page
        .position()?
        .map(|p| {
            p.split_once('|')
                .and_then(|(at, other)| Some((at.parse::<i64>().ok()?, other.to_owned())))
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    let after = if cursor.is_some() {
        format!("AND (f.created_at_ms < $2 OR (f.created_at_ms = $2 AND f.{theirs} < $3))")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT f.{theirs} AS id, u.username, f.created_at_ms FROM follows f JOIN known_users u ON u.id = f.{theirs} \
         WHERE f.{mine} = $1 AND u.active = TRUE {after} ORDER BY f.created_at_ms DESC, f.{theirs} DESC LIMIT {}",
        limit + 1
    );
    let mut query = sqlx::query(&sql).bind(id.to_string());
    if let Some((at, other)) = cursor {
        query = query.bind(at).bind(other);
    }
    let rows = query.fetch_all(graph.db.reader()).await?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(Connection {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                since: from_ms(row.try_get("created_at_ms")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
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
    list(&graph, &uri, id, &page, "follower_id", "followee_id").await
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
    list(&graph, &uri, id, &page, "followee_id", "follower_id").await
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
    let reader = graph.db.reader();
    let following = edges::has(reader, Edge::Follow, me, other).await?;
    let followed_by = edges::has(reader, Edge::Follow, other, me).await?;
    Ok(Json(Relationship {
        following,
        followed_by,
        mutual: following && followed_by,
        blocking: edges::has(reader, Edge::Block, me, other).await?,
        blocked_by: edges::has(reader, Edge::Block, other, me).await?,
        muting: edges::has(reader, Edge::Mute, me, other).await?,
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
/// block, mute or are blocked by.
#[utoipa::path(get, path = "/api/v1/suggestions", tag = "graph", security(("bearer" = [])),
    responses((status = 200, body = Vec<Suggestion>), (status = 401, body = Problem)))]
pub(super) async fn suggestions(
    State(graph): State<Arc<Graph>>,
    me: Principal,
) -> Result<Json<Vec<Suggestion>>, ApiError> {
    let me = me.user_id.to_string();
    let excluded = "u.id <> $1 AND u.active = TRUE \
        AND u.id NOT IN (SELECT followee_id FROM follows WHERE follower_id = $1) \
        AND u.id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = $1) \
        AND u.id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = $1) \
        AND u.id NOT IN (SELECT muted_id FROM mutes WHERE muter_id = $1)";
    let sql = format!(
        "SELECT u.id, u.username, \
           CAST((SELECT COUNT(*) FROM follows mine JOIN follows theirs ON theirs.follower_id = mine.followee_id \
             WHERE mine.follower_id = $1 AND theirs.followee_id = u.id) AS BIGINT) AS via, \
           CAST((SELECT COUNT(*) FROM follows f WHERE f.followee_id = u.id) AS BIGINT) AS followers \
         FROM known_users u WHERE {excluded} ORDER BY via DESC, followers DESC, u.id LIMIT 20"
    );
    let rows = sqlx::query(&sql).bind(&me).fetch_all(graph.db.reader()).await?;
    let suggestions = rows
        .iter()
        .map(|row| {
            Ok(Suggestion {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                followed_by_your_follows: row.try_get("via")?,
                followers: row.try_get("followers")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(suggestions))
}
