//! The streams' HTTP API.

use std::sync::Arc;

use axum::{extract::State, http::Uri};
use platform::{
    ApiError, Principal,
    http::{
        Path, Problem, Query,
        pagination::{Page, PageParams},
    },
    ids::PostId,
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Feed,
    streams::{self, Stream, StreamPost},
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Feed>> {
    OpenApiRouter::new()
        .routes(routes!(home))
        .routes(routes!(crate::live::home))
        .routes(routes!(public))
        .routes(routes!(crate::live::public))
        .routes(routes!(tag))
        .routes(routes!(user))
}

async fn page(feed: &Feed, stream: Stream, uri: &Uri, params: &PageParams) -> Result<Page<StreamPost>, ApiError> {
    let limit = params.limit()?;
    let before = params
        .position()?
        .map(|p| {
            p.parse::<PostId>().map_err(|_| ApiError::invalid_field("cursor", "is not a cursor this endpoint returned"))
        })
        .transpose()?;
    // One more than asked tells whether there is a next page.
    let posts = streams::read(feed, &stream, before, limit as usize + 1).await?;
    Ok(Page::from_overfetch(posts, limit, |p| p.id.clone()).with_link(uri.path(), limit))
}

/// The caller's home timeline: their own posts and those of the accounts they follow, newest
/// first. A reply appears only when the caller also follows the account it answers (or is it);
/// blocked and muted accounts never appear.
#[utoipa::path(get, path = "/api/v1/timelines/home", tag = "feeds", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn home(
    State(feed): State<Arc<Feed>>,
    me: Principal,
    uri: Uri,
    Query(params): Query<PageParams>,
) -> Result<Page<StreamPost>, ApiError> {
    let user = me.user_id.to_string();
    if params.cursor.is_none() {
        crate::home::reading(&feed, &user).await?;
    }
    page(&feed, Stream::Home(user), &uri, &params).await
}

/// The public stream (waterfall): every public post, newest first, the same for everyone.
#[utoipa::path(get, path = "/api/v1/timelines/public", tag = "feeds", params(PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 422, body = Problem)))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    uri: Uri,
    Query(params): Query<PageParams>,
) -> Result<Page<StreamPost>, ApiError> {
    page(&feed, Stream::Public, &uri, &params).await
}

/// Public posts with a hashtag, newest first.
#[utoipa::path(get, path = "/api/v1/timelines/tag/{tag}", tag = "feeds",
    params(("tag" = String, Path, description = "Hashtag, without `#`"), PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 422, body = Problem)))]
pub(super) async fn tag(
    State(feed): State<Arc<Feed>>,
    uri: Uri,
    Path(tag): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Page<StreamPost>, ApiError> {
    let tag = tag.trim_start_matches('#').to_lowercase();
    page(&feed, Stream::Tag(tag), &uri, &params).await
}

/// A user's public and unlisted posts, newest first.
#[utoipa::path(get, path = "/api/v1/users/{id}/posts", tag = "feeds",
    params(("id" = Uuid, Path, description = "User id"), PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 422, body = Problem)))]
pub(super) async fn user(
    State(feed): State<Arc<Feed>>,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(params): Query<PageParams>,
) -> Result<Page<StreamPost>, ApiError> {
    page(&feed, Stream::User(id.to_string()), &uri, &params).await
}
