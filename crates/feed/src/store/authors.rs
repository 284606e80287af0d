//! `feed_authors`: the names shown with posts, from identity's events.

use platform::Change;
use sqlx::Row;
use uuid::Uuid;

use crate::domain::FeedError;

pub async fn upsert(change: &mut Change, user: Uuid, username: &str, display_name: &str) -> Result<(), FeedError> {
    sqlx::query(
        "INSERT INTO feed_authors (id, username, display_name) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET username = $2, display_name = $3",
    )
    .bind(user.to_string())
    .bind(username)
    .bind(display_name)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// A deleted user's names go: nothing shows them any more.
pub async fn forget(change: &mut Change, user: Uuid) -> Result<(), FeedError> {
    sqlx::query("UPDATE feed_authors SET username = '', display_name = '' WHERE id = $1")
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// The names shown with `user`'s posts (none before identity's event arrives).
pub async fn names(change: &mut Change, user: Uuid) -> Result<(Option<String>, Option<String>), FeedError> {
    let row = sqlx::query("SELECT username, display_name FROM feed_authors WHERE id = $1")
        .bind(user.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(match row {
        Some(row) => (Some(row.try_get("username")?), Some(row.try_get("display_name")?)),
        None => (None, None),
    })
}
