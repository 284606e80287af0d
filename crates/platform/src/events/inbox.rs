//! The idempotent-consumer helper: a consumer records each event id it applied, in the same
//! transaction as the effect, and skips an id it has seen. With an at-least-once bus this makes
//! every effect happen exactly once.

use sqlx::{Any, Transaction};

use crate::db::{StoreError, now_ms};

use super::Event;

/// Claims `event` for `consumer` inside `tx`. Returns `false` when it was already applied: the
/// caller then commits nothing else. Usage:
///
/// ```ignore
/// let mut tx = db.begin().await?;
/// if inbox::claim(&mut tx, "feed.posts", event).await? {
///     apply(&mut tx, event).await?;
/// }
/// tx.commit().await?;
/// ```
pub async fn claim(tx: &mut Transaction<'static, Any>, consumer: &str, event: &Event) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(consumer)
    .bind(event.id.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(inserted.rows_affected() == 1)
}
