//! `GET /api/v1/admin/posts`: every live post, in pages, for the services that keep a copy
//! (search rebuilding its index) and for admins. Answers the deployment's internal token or
//! an admin's access token.

use std::sync::Arc;

use axum::extract::State;
use contracts::content::PostSummary;
use platform::{
    ApiError, Trusted,
    http::{
        Json, Problem, Query,
        pagination::{decode_cursor, encode_cursor},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::post_id;
use crate::{Content, store::posts};

/// Most posts in one page: large, since the callers read them all.
const MAX_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ExportParams {
    /// Posts per page, 1 to 1000 (default 500).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,1024}$")]
    cursor: Option<String>,
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ExportPage {
    items: Vec<PostSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    next_cursor: Option<String>,
    /// How many live posts there are, on the first page only (for a progress bar).
    total: Option<u64>,
}

/// Every live post (neither deleted nor hidden; reposts left out), oldest first, with what
/// other services learn of a post in events. For the internal token and admins.
#[utoipa::path(get, path = "/api/v1/admin/posts", tag = "admin", security(("bearer" = [])),
    params(ExportParams),
    responses(
        (status = 200, body = ExportPage),
        (status = 401, body = Problem, description = "no token, or one that is not valid"),
        (status = 403, body = Problem, description = "the caller is not an admin"),
        (status = 409, body = Problem, description = "the cursor is not one this endpoint returned"),
        (status = 422, body = Problem, description = "`limit` is out of range")))]
pub(super) async fn export(
    State(content): State<Arc<Content>>,
    _caller: Trusted,
    Query(params): Query<ExportParams>,
) -> Result<Json<ExportPage>, ApiError> {
    let limit = params.limit.unwrap_or(500);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
    }
    let after = params
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|p| post_id(&p).map_err(|_| ApiError::bad_cursor("names no post")))
        .transpose()?;
    let total = match after {
        None => Some(posts::live_count(&content.store).await?),
        Some(_) => None,
    };
    let mut items: Vec<PostSummary> =
        posts::live_page(&content.store, after, limit + 1).await?.iter().map(|p| p.summary(None)).collect();
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next_cursor = items.last().filter(|_| more).map(|last| encode_cursor(&last.id.to_string()));
    Ok(Json(ExportPage { items, next_cursor, total }))
}
