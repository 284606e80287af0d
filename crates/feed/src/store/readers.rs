//! `feed_readers`: when each user last read their home, which decides who gets fan-out.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::FeedError;

pub async fn last_read(store: &Store, user: Uuid) -> Result<Option<i64>, FeedError> {
    let row = sqlx::query("SELECT last_read_ms FROM feed_readers WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|row| row.try_get("last_read_ms")).transpose()?)
}

pub async fn record(store: &Store, user: Uuid, at_ms: i64) -> Result<(), FeedError> {
    sqlx::query(
        "INSERT INTO feed_readers (user_id, last_read_ms) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET last_read_ms = $2",
    )
    .bind(user.to_string())
    .bind(at_ms)
    .execute(store.db().writer())
    .await?;
    Ok(())
}

/// A new account counts as active from its registration, so fan-out reaches its home before it
/// ever reads it (a live home stream opened first gets its posts too).
pub async fn registered(change: &mut platform::Change, user: Uuid, at_ms: i64) -> Result<(), FeedError> {
    sqlx::query("INSERT INTO feed_readers (user_id, last_read_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user.to_string())
        .bind(at_ms)
        .execute(change.conn())
        .await?;
    Ok(())
}
