//! Reports and the moderators' queue: anyone signed in reports a post; moderators dismiss the
//! report, hide the post (only its author still sees it) or remove it. Every action is logged.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, Uri},
};
use platform::{
    ApiError, Principal, Role,
    db::from_ms,
    http::{
        Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::post_id;
use crate::{
    Content,
    domain::{
        ContentError,
        moderation::{MAX_COMMENT_CHARS, Reason, Resolution},
    },
    store::{moderation_log, posts, reports},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewReport {
    reason: Reason,
    /// Up to 1000 characters for the moderators.
    #[serde(default)]
    comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ReportView {
    id: String,
    post_id: String,
    reporter_id: String,
    reason: String,
    comment: String,
    status: String,
    resolution: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

/// Reports a post to the moderators. Reporting the same post again while the first report is
/// open changes nothing.
#[utoipa::path(post, path = "/api/v1/posts/{id}/report", tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")), request_body = NewReport,
    responses((status = 202), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn report(
    State(content): State<Arc<Content>>,
    reporter: Principal,
    Path(id): Path<String>,
    Json(request): Json<NewReport>,
) -> Result<StatusCode, ApiError> {
    let post = posts::visible(&content.store, Some(&reporter), post_id(&id)?).await?;
    if request.comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ContentError::field("comment", "must be at most 1000 characters").into());
    }
    reports::open(&content.store, post.id, &reporter, request.reason, &request.comment).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReportFilter {
    /// `open` (default) or `resolved`.
    status: Option<String>,
}

/// The report queue, oldest first (moderators).
#[utoipa::path(get, path = "/api/v1/moderation/reports", tag = "moderation", security(("bearer" = [])),
    params(ReportFilter, PageParams),
    responses((status = 200, body = inline(Page<ReportView>)), (status = 403, body = Problem)))]
pub(super) async fn reports(
    State(content): State<Arc<Content>>,
    moderator: Principal,
    uri: Uri,
    Query(filter): Query<ReportFilter>,
    Query(page): Query<PageParams>,
) -> Result<Page<ReportView>, ApiError> {
    moderator.require(Role::Moderator)?;
    let limit = page.limit()?;
    let status = filter.status.unwrap_or_else(|| "open".into());
    if !matches!(status.as_str(), "open" | "resolved") {
        return Err(ContentError::field("status", "must be `open` or `resolved`").into());
    }
    let reports = reports::queue(&content.store, &status, page.position()?, limit + 1)
        .await?
        .into_iter()
        .map(|r| ReportView {
            id: r.id,
            post_id: r.post_id.to_string(),
            reporter_id: r.reporter_id,
            reason: r.reason,
            comment: r.comment,
            status: r.status,
            resolution: r.resolution,
            created_at: from_ms(r.created_at_ms),
        })
        .collect();
    Ok(Page::from_overfetch(reports, limit, |r| r.id.clone()).with_link(uri.path(), limit))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Resolve {
    action: Resolution,
    #[serde(default)]
    note: String,
}

/// Resolves a report, acting on the post; every open report on the same post closes with it.
#[utoipa::path(post, path = "/api/v1/moderation/reports/{id}/resolve", tag = "moderation", security(("bearer" = [])),
    params(("id" = String, Path, description = "Report id")), request_body = Resolve,
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn resolve(
    State(content): State<Arc<Content>>,
    moderator: Principal,
    Path(id): Path<String>,
    Json(request): Json<Resolve>,
) -> Result<StatusCode, ApiError> {
    moderator.require(Role::Moderator)?;
    reports::resolve(&content.store, &moderator, &id, request.action, &request.note).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LogEntry {
    id: String,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
    moderator_id: String,
    action: String,
    post_id: String,
    report_id: Option<String>,
    note: String,
}

/// Every moderator action, newest first (moderators).
#[utoipa::path(get, path = "/api/v1/moderation/log", tag = "moderation", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = inline(Page<LogEntry>)), (status = 403, body = Problem)))]
pub(super) async fn log(
    State(content): State<Arc<Content>>,
    moderator: Principal,
    uri: Uri,
    Query(page): Query<PageParams>,
) -> Result<Page<LogEntry>, ApiError> {
    moderator.require(Role::Moderator)?;
    let limit = page.limit()?;
    let entries = moderation_log::page(&content.store, page.position()?, limit + 1)
        .await?
        .into_iter()
        .map(|e| LogEntry {
            id: e.id,
            at: from_ms(e.at_ms),
            moderator_id: e.moderator_id,
            action: e.action,
            post_id: e.post_id.to_string(),
            report_id: e.report_id,
            note: e.note,
        })
        .collect();
    Ok(Page::from_overfetch(entries, limit, |e| e.id.clone()).with_link(uri.path(), limit))
}
