//! `feed_authors`: the names shown with posts and the suspended accounts, from identity's events.

use std::collections::HashSet;

use platform::{Change, db::RowExt};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
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

/// Marks `user` suspended (no stream shows their posts) or active again. An account the feed has
/// not heard of yet gets its row now, names to follow.
pub async fn set_suspended(change: &mut Change, user: Uuid, suspended: bool) -> Result<(), FeedError> {
    sqlx::query(
        "INSERT INTO feed_authors (id, username, display_name, suspended) VALUES ($1, '', '', $2) \
         ON CONFLICT (id) DO UPDATE SET suspended = $2",
    )
    .bind(user.to_string())
    .bind(i32::from(suspended))
    .execute(change.conn())
    .await?;
    Ok(())
}

/// Every suspended account (few: read whole, and cached briefly by the caller).
pub async fn suspended(store: &Store) -> Result<HashSet<Uuid>, FeedError> {
    let rows = sqlx::query("SELECT id FROM feed_authors WHERE suspended = 1").fetch_all(store.db().reader()).await?;
    Ok(rows.iter().map(|r| r.uuid("id")).collect::<Result<_, _>>()?)
}

/// The account called `username` (case-insensitively, as usernames are unique), if the feed
/// knows it and it is not suspended.
pub async fn by_username(store: &Store, username: &str) -> Result<Option<Uuid>, FeedError> {
    let row = sqlx::query("SELECT id FROM feed_authors WHERE lower(username) = lower($1) AND suspended = 0 LIMIT 1")
        .bind(username)
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|r| r.uuid("id")).transpose()?)
}
