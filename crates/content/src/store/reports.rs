//! `reports`: the moderators' queue.

use contracts::{
    PostId,
    content::{ContentEvent, Report as Filed, ReportOutcome},
};
use platform::{
    Principal, StoreError,
    db::{Conditions, RowExt, now_ms},
};
use sqlx::Row;

use super::{Store, moderation_log, posts};
use crate::domain::{
    ContentError,
    moderation::{Reason, Resolution},
    posts::Post,
};

/// Reports `post` for the moderators; reporting it again while the first report is open changes
/// nothing.
pub async fn open(
    store: &Store,
    post: PostId,
    reporter: &Principal,
    reason: Reason,
    comment: &str,
) -> Result<(), ContentError> {
    let mut change = store.writer().begin().await?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = sqlx::query(
        "INSERT INTO reports (id, post_id, reporter_id, reason, comment, status, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6)",
    )
    .bind(&id)
    .bind(post.get() as i64)
    .bind(reporter.user_id.to_string())
    .bind(reason.as_str())
    .bind(comment)
    .bind(now_ms())
    .execute(change.conn())
    .await;
    match inserted.map_err(StoreError::from_sqlx) {
        Ok(_) => {}
        // Already reported and open: nothing changes, nobody is told again.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    let filed =
        Filed { report_id: id, post_id: post, reporter_id: reporter.user_id, reason: reason.as_str().to_owned() };
    change.emit(&ContentEvent::ReportFiled(filed)).await?;
    Ok(change.commit().await?)
}

/// One report.
#[derive(Debug, Clone)]
pub struct Report {
    pub id: String,
    pub post_id: PostId,
    pub reporter_id: String,
    pub reason: String,
    pub comment: String,
    pub status: String,
    pub resolution: Option<String>,
    pub created_at_ms: i64,
}

/// Reports with `status`, oldest first, after the report `after` when given.
pub async fn queue(
    store: &Store,
    status: &str,
    after: Option<String>,
    limit: u32,
) -> Result<Vec<Report>, ContentError> {
    let mut conditions = Conditions::default();
    conditions.add("status = ?", [status.to_owned()]);
    if let Some(after) = after {
        conditions.add("id > ?", [after]);
    }
    let sql = format!(
        "SELECT id, post_id, reporter_id, reason, comment, status, resolution, created_at_ms FROM reports \
         WHERE {} ORDER BY id LIMIT {limit}",
        conditions.sql()
    );
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|row| {
            Ok(Report {
                id: row.try_get("id")?,
                post_id: row.post_id("post_id")?,
                reporter_id: row.try_get("reporter_id")?,
                reason: row.try_get("reason")?,
                comment: row.try_get("comment")?,
                status: row.try_get("status")?,
                resolution: row.try_get("resolution")?,
                created_at_ms: row.try_get("created_at_ms")?,
            })
        })
        .collect()
}

/// Resolves report `id`, acting on its post; every open report on the same post closes with it.
pub async fn resolve(
    store: &Store,
    moderator: &Principal,
    id: &str,
    resolution: Resolution,
    note: &str,
) -> Result<(), ContentError> {
    let mut change = store.writer().begin().await?;
    let report = sqlx::query("SELECT post_id, status FROM reports WHERE id = $1")
        .bind(id)
        .fetch_optional(change.conn())
        .await?
        .ok_or(ContentError::NoSuchReport)?;
    if report.try_get::<String, _>("status")? != "open" {
        return Err(ContentError::Conflict("this report is already resolved".into()));
    }
    let post_id = report.post_id("post_id")?;
    let post: Post = posts::get_in(&mut change, post_id).await?.ok_or(ContentError::NoSuchPost)?;
    match resolution {
        Resolution::Dismiss => {}
        Resolution::Hide => posts::hide_in(&mut change, &post).await?,
        Resolution::Remove => posts::delete_in(&mut change, &post).await?,
    }
    let (closed_as, action) = resolution.recorded_as();
    let closing = sqlx::query("SELECT id, reporter_id FROM reports WHERE post_id = $1 AND status = 'open'")
        .bind(post_id.get() as i64)
        .fetch_all(change.conn())
        .await?;
    for report in &closing {
        let outcome = ReportOutcome {
            report_id: report.try_get("id")?,
            post_id,
            reporter_id: report.uuid("reporter_id")?,
            resolution: closed_as.to_owned(),
        };
        change.emit(&ContentEvent::ReportResolved(outcome)).await?;
    }
    sqlx::query(
        "UPDATE reports SET status = 'resolved', resolution = $1, resolved_by = $2, resolved_at_ms = $3 \
         WHERE post_id = $4 AND status = 'open'",
    )
    .bind(closed_as)
    .bind(moderator.user_id.to_string())
    .bind(now_ms())
    .bind(post_id.get() as i64)
    .execute(change.conn())
    .await?;
    moderation_log::record(&mut change, moderator, action, post_id, Some(id), note).await?;
    Ok(change.commit().await?)
}
