//! Likes and reposts. Both are idempotent: liking twice is one like.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError, Principal,
    http::{Json, Path, Problem},
};

use super::post_id;
use crate::{Content, posts, views::PostView};

async fn render(content: &Content, user: &Principal, row: crate::views::PostRow) -> Result<Json<PostView>, ApiError> {
    let view = posts::render(content, Some(user), vec![row]).await?.pop();
    view.map(Json).ok_or_else(|| ApiError::not_found("no such post"))
}

/// Likes a post. Returns the post with its new count.
#[utoipa::path(put, path = "/api/v1/posts/{id}/like", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn like(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let row = posts::like(&content, &user, post_id(&id)?, true).await?;
    render(&content, &user, row).await
}

/// Takes a like back.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/like", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn unlike(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let row = posts::like(&content, &user, post_id(&id)?, false).await?;
    render(&content, &user, row).await
}

/// Reposts a post to the caller's followers (once per user; followers-only posts cannot be).
#[utoipa::path(put, path = "/api/v1/posts/{id}/repost", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView, description = "the original post, with its new count"),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn repost(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let row = posts::repost(&content, &user, post_id(&id)?, true).await?;
    render(&content, &user, row).await
}

/// Takes a repost back.
#[utoipa::path(delete, path = "/api/v1/posts/{id}/repost", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 404, body = Problem)))]
pub(super) async fn unrepost(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let row = posts::repost(&content, &user, post_id(&id)?, false).await?;
    render(&content, &user, row).await
}
