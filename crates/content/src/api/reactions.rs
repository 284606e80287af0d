//! Likes and reposts. Both are idempotent: liking twice is one like.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError, Principal,
    http::{Json, Path, Problem},
};

use super::{
    post_id,
    views::{self, PostView},
};
use crate::{
    Content,
    domain::{ContentError, posts::Post},
    store::posts,
};

async fn render(content: &Content, user: &Principal, post: Post) -> Result<Json<PostView>, ApiError> {
    Ok(Json(views::render_one(&content.store, Some(user), post).await?))
}

async fn like_it(content: &Content, user: &Principal, id: &str, like: bool) -> Result<Json<PostView>, ApiError> {
    let post = posts::visible(&content.store, Some(user), post_id(id)?).await?;
    let after = posts::like(&content.store, user, &post, like).await?;
    render(content, user, after).await
}

async fn repost_it(content: &Content, user: &Principal, id: &str, repost: bool) -> Result<Json<PostView>, ApiError> {
    let original = posts::visible(&content.store, Some(user), post_id(id)?).await?;
    if original.repost_of_id.is_some() {
        return Err(ContentError::field("id", "repost the original post, not a repost").into());
    }
    // Taking a repost back is always allowed, whatever the post has become since.
    if repost && original.visibility == contracts::Visibility::Followers {
        return Err(ContentError::Forbidden("followers-only posts cannot be reposted".into()).into());
    }
    let after = posts::repost(&content.store, user, &original, repost).await?;
    render(content, user, after).await
}

/// Likes a post. Returns the post with its new count. Refused (403, saying why) when the author
/// blocks the caller.
#[utoipa::path(put, path = "/api/v1/posts/{id}/like", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub(super) async fn like(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    like_it(&content, &user, &id, true).await
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
    like_it(&content, &user, &id, false).await
}

/// Reposts a post to the caller's followers (once per user; followers-only posts cannot be, nor
/// posts of an author who blocks the caller).
#[utoipa::path(put, path = "/api/v1/posts/{id}/repost", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView, description = "the original post, with its new count"),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn repost(
    State(content): State<Arc<Content>>,
    user: Principal,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    repost_it(&content, &user, &id, true).await
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
    repost_it(&content, &user, &id, false).await
}
