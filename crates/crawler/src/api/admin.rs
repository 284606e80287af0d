//! Admins: every source with its errors, and turning sources off and on.

use std::sync::Arc;

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal, Role,
    http::{
        Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::SourceView;
use crate::{Crawler, domain::CrawlerError, store::sources};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SourceFilter {
    /// Only sources whose last fetch failed, or that are disabled.
    #[serde(default)]
    failing: bool,
}

/// Every source, newest first (admins).
#[utoipa::path(get, path = "/api/v1/admin/sources", tag = "crawler", security(("bearer" = [])),
    params(PageParams, SourceFilter),
    responses((status = 200, body = Page<SourceView>), (status = 403, body = Problem)))]
pub(super) async fn list(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Query(page): Query<PageParams>,
    Query(filter): Query<SourceFilter>,
) -> Result<Page<SourceView>, ApiError> {
    me.require(Role::Admin)?;
    let limit = page.limit()?;
    let before = page.position()?.map(|p| p.parse::<Uuid>().map_err(|_| CrawlerError::BadCursor)).transpose()?;
    let found = sources::list(&crawler.store, before, filter.failing, limit).await?;
    let page = Page::from_overfetch(found, limit, |s| s.id.to_string());
    Ok(page.map(|s| SourceView::of(&s, false)).with_link("/api/v1/admin/sources", limit))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Disable {
    /// Shown to admins and subscribers.
    #[schema(min_length = 1, max_length = 200)]
    reason: String,
}

/// Stops fetching a source (admins). Its posts stay.
#[utoipa::path(post, path = "/api/v1/admin/sources/{id}/disable", tag = "crawler", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")), request_body = Disable,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn disable(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Path(id): Path<Uuid>,
    Json(request): Json<Disable>,
) -> Result<StatusCode, ApiError> {
    me.require(Role::Admin)?;
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid_field("reason", "must be 1 to 200 characters, without control characters"));
    }
    if !sources::set_disabled(&crawler.store, id, Some(reason)).await? {
        return Err(CrawlerError::NoSuchSource.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Fetches a source on schedule again, at once, with its failures forgotten (admins).
#[utoipa::path(post, path = "/api/v1/admin/sources/{id}/enable", tag = "crawler", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn enable(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    me.require(Role::Admin)?;
    if !sources::set_disabled(&crawler.store, id, None).await? {
        return Err(CrawlerError::NoSuchSource.into());
    }
    crawler.wake.notify_one();
    Ok(StatusCode::NO_CONTENT)
}
