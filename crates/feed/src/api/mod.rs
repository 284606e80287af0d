//! The streams' HTTP API: one handler per stream, the live streams in `live`, the streams as
//! feeds for feed readers in `syndication`, and the one mapping of errors to answers in `error`.

mod error;
mod live;
mod syndication;

use std::sync::Arc;

use axum::{extract::State, http::Uri};
use contracts::PostId;
use platform::{
    ApiError, Principal,
    http::{
        Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Feed,
    domain::{FeedError, timelines::Timeline},
    streams::{for_you, home, listed},
    view::{Hydrated, RankedPost, StreamPost},
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Feed>> {
    OpenApiRouter::new()
        .routes(routes!(home))
        .routes(routes!(for_you))
        .routes(routes!(live::home))
        .routes(routes!(public))
        .routes(routes!(live::public))
        .routes(routes!(tag))
        .routes(routes!(user))
        .routes(routes!(syndication::public))
        .routes(routes!(syndication::tag))
        .routes(routes!(syndication::user))
}

/// The paging of a stream: the limit, and the post before which it continues.
fn paging(params: &PageParams) -> Result<(u32, Option<PostId>), ApiError> {
    let limit = params.limit()?;
    let before = params
        .position()?
        .map(|p| p.parse::<PostId>().map_err(|_| FeedError::BadCursor("is not a cursor this endpoint returned")))
        .transpose()?;
    Ok((limit, before))
}

fn page_of(posts: Vec<Hydrated>, uri: &Uri, limit: u32) -> Page<Hydrated> {
    Page::from_overfetch(posts, limit, |p| p.id.clone()).with_link(uri.path(), limit)
}

/// A page of a listed stream (public, tag or user).
async fn listed(
    feed: &Feed,
    timeline: Timeline,
    reader: Option<Principal>,
    uri: &Uri,
    params: &PageParams,
) -> Result<Page<Hydrated>, ApiError> {
    let (limit, before) = paging(params)?;
    // One more than asked tells whether there is a next page.
    let posts = listed::read(feed, &timeline, reader.map(|r| r.user_id), before, limit as usize + 1).await?;
    Ok(page_of(posts, uri, limit))
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
) -> Result<Page<Hydrated>, ApiError> {
    if params.cursor.is_none() {
        home::reading(&feed, me.user_id).await?;
    }
    let (limit, before) = paging(&params)?;
    let posts = home::read(&feed, me.user_id, before, limit as usize + 1).await?;
    Ok(page_of(posts, &uri, limit))
}

/// Paging and explaining parameters of the "for you" stream.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ForYouParams {
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page (409 once its ranking expired).
    #[param(pattern = r"^[A-Za-z0-9_-]{1,1024}$")]
    cursor: Option<String>,
    /// Return each post's score components.
    explain: Option<bool>,
}

/// The caller's "for you" stream: posts from their home timeline, the hashtags they engage
/// with, what the accounts they follow liked, and recent public posts, ranked by
/// `freshness × (1 + 1.0·affinity + 0.8·tag_interest + 0.6·social_proof + 0.5·engagement) × diversity`
/// (the components are documented with `explain`, and in ARCHITECTURE.md). The first page ranks
/// afresh; its cursor pages through that ranking (for an hour), so no post appears twice.
#[utoipa::path(get, path = "/api/v1/timelines/for-you", tag = "feeds", security(("bearer" = [])), params(ForYouParams),
    responses((status = 200, body = inline(Page<RankedPost>)), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn for_you(
    State(feed): State<Arc<Feed>>,
    me: Principal,
    uri: Uri,
    Query(params): Query<ForYouParams>,
) -> Result<Page<RankedPost>, ApiError> {
    let paging = PageParams { limit: params.limit, cursor: params.cursor };
    let limit = paging.limit()?;
    let (snapshot, offset) = for_you::snapshot::resume(&feed, me.user_id, paging.position()?).await?;
    // One more than asked tells whether there is a next page.
    let posts =
        for_you::page(&feed, me.user_id, &snapshot, offset, limit as usize + 1, params.explain.unwrap_or(false))
            .await?;
    let id = snapshot.id;
    Ok(Page::from_overfetch(posts, limit, |p| format!("{id}:{}", p.position + 1)).with_link(uri.path(), limit))
}

/// The public stream (waterfall): every public post, newest first, the same for everyone but
/// the authors a signed-in reader blocks or mutes.
#[utoipa::path(get, path = "/api/v1/timelines/public", tag = "feeds", params(PageParams), security((), ("bearer" = [])),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    reader: Option<Principal>,
    uri: Uri,
    Query(params): Query<PageParams>,
) -> Result<Page<Hydrated>, ApiError> {
    listed(&feed, Timeline::Public, reader, &uri, &params).await
}

/// Public posts with a hashtag, newest first (but for authors a signed-in reader blocks or mutes).
#[utoipa::path(get, path = "/api/v1/timelines/tag/{tag}", tag = "feeds", security((), ("bearer" = [])),
    params(("tag" = String, Path, description = "Hashtag, without `#`"), PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn tag(
    State(feed): State<Arc<Feed>>,
    reader: Option<Principal>,
    uri: Uri,
    Path(tag): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Page<Hydrated>, ApiError> {
    let tag = tag.trim_start_matches('#').to_lowercase();
    listed(&feed, Timeline::Tag(tag), reader, &uri, &params).await
}

/// A user's public and unlisted posts, newest first (none for a signed-in reader who blocks or
/// mutes them).
#[utoipa::path(get, path = "/api/v1/users/{id}/posts", tag = "feeds", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id"), PageParams),
    responses((status = 200, body = inline(Page<StreamPost>)), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn user(
    State(feed): State<Arc<Feed>>,
    reader: Option<Principal>,
    uri: Uri,
    Path(id): Path<Uuid>,
    Query(params): Query<PageParams>,
) -> Result<Page<Hydrated>, ApiError> {
    listed(&feed, Timeline::User(id), reader, &uri, &params).await
}
