//! Reports and the moderators' queue: anyone signed in reports a post; moderators dismiss the
//! report, hide the post (only its author still sees it) or remove it. Every action is logged.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, Uri},
};
use platform::{
    ApiError, Principal, Role, StoreError,
    db::{Conditions, from_ms, now_ms},
    events::outbox,
    http::{
        FieldError, Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::post_id;
use crate::{Content, moderation_log, posts};

/// Why a post is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Reason {
    Spam,
    Harassment,
    Illegal,
    Violence,
    Other,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Spam => "spam",
            Reason::Harassment => "harassment",
            Reason::Illegal => "illegal",
            Reason::Violence => "violence",
            Reason::Other => "other",
        }
    }
}

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
    let post = posts::visible(&content, Some(&reporter), post_id(&id)?).await?;
    if request.comment.chars().count() > 1000 {
        return Err(ApiError::validation(vec![FieldError::new("comment", "must be at most 1000 characters")]));
    }
    let inserted = sqlx::query(
        "INSERT INTO reports (id, post_id, reporter_id, reason, comment, status, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(post.id.get() as i64)
    .bind(reporter.user_id.to_string())
    .bind(request.reason.as_str())
    .bind(&request.comment)
    .bind(now_ms())
    .execute(content.db.writer())
    .await;
    match inserted.map_err(StoreError::from_sqlx) {
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(StatusCode::ACCEPTED),
        Err(other) => Err(other.into()),
    }
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
        return Err(ApiError::invalid_field("status", "must be `open` or `resolved`"));
    }
    let mut conditions = Conditions::default();
    conditions.add("status = ?", [status]);
    if let Some(position) = page.position()? {
        conditions.add("id > ?", [position]);
    }
    let sql = format!(
        "SELECT id, post_id, reporter_id, reason, comment, status, resolution, created_at_ms FROM reports \
         WHERE {} ORDER BY id LIMIT {}",
        conditions.sql(),
        limit + 1
    );
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(content.db.reader()).await?;
    let reports = rows
        .iter()
        .map(|row| {
            Ok(ReportView {
                id: row.try_get("id")?,
                post_id: (row.try_get::<i64, _>("post_id")? as u64).to_string(),
                reporter_id: row.try_get("reporter_id")?,
                reason: row.try_get("reason")?,
                comment: row.try_get("comment")?,
                status: row.try_get("status")?,
                resolution: row.try_get("resolution")?,
                created_at: from_ms(row.try_get("created_at_ms")?),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page::from_overfetch(reports, limit, |r| r.id.clone()).with_link(uri.path(), limit))
}

/// What a moderator does about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Resolution {
    /// Nothing wrong: close the report.
    Dismiss,
    /// Hide the post from everyone but its author.
    Hide,
    /// Delete the post for everyone.
    Remove,
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
    let mut tx = content.db.begin().await?;
    let report = sqlx::query("SELECT post_id, status FROM reports WHERE id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found("no such report"))?;
    if report.try_get::<String, _>("status")? != "open" {
        return Err(ApiError::conflict("this report is already resolved"));
    }
    let post_id = platform::ids::PostId::from_u64(report.try_get::<i64, _>("post_id")? as u64)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let post = posts::load(&mut *tx, post_id).await?.ok_or_else(|| ApiError::not_found("no such post"))?;
    let now = now_ms();
    let (resolution, action) = match request.action {
        Resolution::Dismiss => ("dismissed", "report_dismissed"),
        Resolution::Hide => {
            sqlx::query("UPDATE posts SET hidden_at_ms = $1 WHERE id = $2 AND hidden_at_ms IS NULL")
                .bind(now)
                .bind(post_id.get() as i64)
                .execute(&mut *tx)
                .await?;
            let payload = serde_json::json!({ "id": post_id.get(), "author_id": post.author_id });
            outbox::enqueue(&mut tx, "content.post.hidden", &payload).await?;
            ("hidden", "post_hidden")
        }
        Resolution::Remove => {
            posts::delete(&mut tx, &post).await?;
            ("removed", "post_removed")
        }
    };
    sqlx::query(
        "UPDATE reports SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at_ms = $3 \
         WHERE post_id = $4 AND status = 'open'",
    )
    .bind(resolution)
    .bind(moderator.user_id.to_string())
    .bind(now)
    .bind(post_id.get() as i64)
    .execute(&mut *tx)
    .await?;
    moderation_log::record(&mut tx, &moderator, action, post_id, Some(&id), &request.note).await?;
    tx.commit().await?;
    content.relay.wake();
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
    let mut conditions = Conditions::default();
    if let Some(position) = page.position()? {
        conditions.add("id < ?", [position]);
    }
    let sql = format!(
        "SELECT id, at_ms, moderator_id, action, post_id, report_id, note FROM moderation_log WHERE {} \
         ORDER BY id DESC LIMIT {}",
        conditions.sql(),
        limit + 1
    );
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(content.db.reader()).await?;
    let entries = rows
        .iter()
        .map(|row| {
            Ok(LogEntry {
                id: row.try_get("id")?,
                at: from_ms(row.try_get("at_ms")?),
                moderator_id: row.try_get("moderator_id")?,
                action: row.try_get("action")?,
                post_id: (row.try_get::<i64, _>("post_id")? as u64).to_string(),
                report_id: row.try_get("report_id")?,
                note: row.try_get("note")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page::from_overfetch(entries, limit, |e| e.id.clone()).with_link(uri.path(), limit))
}
