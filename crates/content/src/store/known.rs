//! `known_users`, `known_follows` and `known_blocks`: content's copies of identity's users (for
//! authors and avatars) and graph's follows (for followers-only posts) and blocks (which forbid),
//! kept from their events.

use std::collections::HashSet;

use platform::{
    Change,
    db::{RowExt, placeholders},
};
use uuid::Uuid;

use super::Store;
use crate::domain::{ContentError, posts::Blocks};

/// Whether `follower` follows `followee`.
pub async fn follows<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    follower: Uuid,
    followee: Uuid,
) -> Result<bool, ContentError> {
    let row = sqlx::query("SELECT 1 FROM known_follows WHERE followee_id = $1 AND follower_id = $2")
        .bind(followee.to_string())
        .bind(follower.to_string())
        .fetch_optional(executor)
        .await?;
    Ok(row.is_some())
}

/// Which of `followees` `follower` follows, in one query.
pub async fn followed_among(store: &Store, follower: Uuid, followees: &[Uuid]) -> Result<HashSet<Uuid>, ContentError> {
    let mut followed = HashSet::new();
    for chunk in followees.chunks(500) {
        let sql = format!(
            "SELECT followee_id FROM known_follows WHERE follower_id = $1 AND followee_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(follower.to_string());
        for followee in chunk {
            query = query.bind(followee.to_string());
        }
        for row in query.fetch_all(store.db().reader()).await? {
            followed.insert(row.uuid("followee_id")?);
        }
    }
    Ok(followed)
}

/// Records a user (new, renamed, or with a new display name).
pub async fn upsert_user(
    change: &mut Change,
    user: Uuid,
    username: &str,
    display_name: &str,
) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO known_users (id, username, username_key, display_name, active) VALUES ($1, $2, $3, $4, TRUE) \
         ON CONFLICT (id) DO UPDATE SET username = $2, username_key = $3, display_name = $4",
    )
    .bind(user.to_string())
    .bind(username)
    .bind(username.to_ascii_lowercase())
    .bind(display_name)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// A user suspended (`false`) or restored.
pub async fn set_active(change: &mut Change, user: Uuid, active: bool) -> Result<(), ContentError> {
    sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// A deleted user: no longer active, no display name, no follows either way.
pub async fn forget_user(change: &mut Change, user: Uuid) -> Result<(), ContentError> {
    let id = user.to_string();
    sqlx::query("UPDATE known_users SET active = FALSE, display_name = '', avatar_media_id = NULL WHERE id = $1")
        .bind(&id)
        .execute(change.conn())
        .await?;
    sqlx::query("DELETE FROM known_follows WHERE follower_id = $1 OR followee_id = $1")
        .bind(&id)
        .execute(change.conn())
        .await?;
    sqlx::query("DELETE FROM known_blocks WHERE blocker_id = $1 OR blocked_id = $1")
        .bind(&id)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// A follow made (`true`) or removed.
pub async fn set_follow(
    change: &mut Change,
    follower: Uuid,
    followee: Uuid,
    present: bool,
) -> Result<(), ContentError> {
    let sql = if present {
        "INSERT INTO known_follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM known_follows WHERE follower_id = $1 AND followee_id = $2"
    };
    sqlx::query(sql).bind(follower.to_string()).bind(followee.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// How `viewer` and `author` stand by blocks.
pub async fn blocks<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    viewer: Uuid,
    author: Uuid,
) -> Result<Blocks, ContentError> {
    let rows = sqlx::query(
        "SELECT blocker_id FROM known_blocks WHERE (blocker_id = $1 AND blocked_id = $2) \
         OR (blocker_id = $2 AND blocked_id = $1)",
    )
    .bind(viewer.to_string())
    .bind(author.to_string())
    .fetch_all(executor)
    .await?;
    let mut blocks = Blocks::default();
    for row in &rows {
        if row.uuid("blocker_id")? == viewer {
            blocks.viewer_blocks_author = true;
        } else {
            blocks.author_blocks_viewer = true;
        }
    }
    Ok(blocks)
}

/// Everyone `viewer` blocks, and everyone who blocks `viewer`, in one query.
pub async fn blocks_of(store: &Store, viewer: Uuid) -> Result<(HashSet<Uuid>, HashSet<Uuid>), ContentError> {
    let rows = sqlx::query("SELECT blocker_id, blocked_id FROM known_blocks WHERE blocker_id = $1 OR blocked_id = $1")
        .bind(viewer.to_string())
        .fetch_all(store.db().reader())
        .await?;
    let (mut blocked, mut blockers) = (HashSet::new(), HashSet::new());
    for row in &rows {
        let (blocker, target) = (row.uuid("blocker_id")?, row.uuid("blocked_id")?);
        if blocker == viewer {
            blocked.insert(target);
        } else {
            blockers.insert(blocker);
        }
    }
    Ok((blocked, blockers))
}

/// A block made (`true`) or removed.
pub async fn set_block(change: &mut Change, blocker: Uuid, blocked: Uuid, present: bool) -> Result<(), ContentError> {
    let sql = if present {
        "INSERT INTO known_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM known_blocks WHERE blocker_id = $1 AND blocked_id = $2"
    };
    sqlx::query(sql).bind(blocker.to_string()).bind(blocked.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// A user's avatar changed (`None`: removed).
pub async fn set_avatar(change: &mut Change, user: Uuid, media: Option<&str>) -> Result<(), ContentError> {
    sqlx::query("UPDATE known_users SET avatar_media_id = $1 WHERE id = $2")
        .bind(media)
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Whether media `id` is some active user's avatar (which makes it public).
pub async fn is_avatar(store: &Store, id: &str) -> Result<bool, ContentError> {
    let row = sqlx::query("SELECT 1 FROM known_users WHERE avatar_media_id = $1 AND active = TRUE")
        .bind(id)
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}
