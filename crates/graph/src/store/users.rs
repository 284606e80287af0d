//! `known_users`: which users exist and may be followed, kept from identity's events.

use platform::Change;
use uuid::Uuid;

use super::Store;
use crate::domain::GraphError;

/// Whether `user` exists and is active, as identity last told us.
pub async fn exists(store: &Store, user: Uuid) -> Result<bool, GraphError> {
    let row = sqlx::query("SELECT 1 FROM known_users WHERE id = $1 AND active = TRUE")
        .bind(user.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}

/// Records a user (new, or renamed).
pub async fn upsert(change: &mut Change, user: Uuid, username: &str) -> Result<(), GraphError> {
    sqlx::query(
        "INSERT INTO known_users (id, username, active) VALUES ($1, $2, TRUE) \
         ON CONFLICT (id) DO UPDATE SET username = $2",
    )
    .bind(user.to_string())
    .bind(username)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// A user suspended (`false`), restored or deleted.
pub async fn set_active(change: &mut Change, user: Uuid, active: bool) -> Result<(), GraphError> {
    sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}
