//! `moderation_log`: every moderator action on content, written in the transaction of the action.

use contracts::PostId;
use platform::{
    Change, Principal,
    db::{Conditions, RowExt, now_ms},
};
use sqlx::Row;

use super::Store;
use crate::domain::ContentError;

/// Records a moderator action inside `change`.
pub async fn record(
    change: &mut Change,
    moderator: &Principal,
    action: &str,
    post: PostId,
    report: Option<&str>,
    note: &str,
) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO moderation_log (id, at_ms, moderator_id, action, post_id, report_id, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now_ms())
    .bind(moderator.user_id.to_string())
    .bind(action)
    .bind(post.get() as i64)
    .bind(report)
    .bind(note)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// One moderator action.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub id: String,
    pub at_ms: i64,
    pub moderator_id: String,
    pub action: String,
    pub post_id: PostId,
    pub report_id: Option<String>,
    pub note: String,
}

/// Moderator actions, newest first, before the entry `before` when given.
pub async fn page(store: &Store, before: Option<String>, limit: u32) -> Result<Vec<LogEntry>, ContentError> {
    let mut conditions = Conditions::default();
    if let Some(before) = before {
        conditions.add("id < ?", [before]);
    }
    let sql = format!(
        "SELECT id, at_ms, moderator_id, action, post_id, report_id, note FROM moderation_log WHERE {} \
         ORDER BY id DESC LIMIT {limit}",
        conditions.sql()
    );
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|row| {
            Ok(LogEntry {
                id: row.try_get("id")?,
                at_ms: row.try_get("at_ms")?,
                moderator_id: row.try_get("moderator_id")?,
                action: row.try_get("action")?,
                post_id: row.post_id("post_id")?,
                report_id: row.try_get("report_id")?,
                note: row.try_get("note")?,
            })
        })
        .collect()
}
