//! The moderation log: every moderator action on content, in the transaction of the action.

use platform::{Principal, StoreError, db::now_ms, ids::PostId};
use sqlx::{Any, Transaction};

pub async fn record(
    tx: &mut Transaction<'static, Any>,
    moderator: &Principal,
    action: &str,
    post: PostId,
    report: Option<&str>,
    note: &str,
) -> Result<(), StoreError> {
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
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}
