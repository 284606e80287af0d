//! `tag_follows`: the hashtags users follow.

use contracts::graph::{GraphEvent, TagFollow};
use platform::{Change, db::now_ms};
use uuid::Uuid;

use super::Store;
use crate::domain::GraphError;

/// Follows or unfollows a hashtag (already normalized).
pub async fn follow(store: &Store, user: Uuid, tag: &str, follow: bool) -> Result<(), GraphError> {
    let mut change = store.begin().await?;
    let query = if follow {
        sqlx::query("INSERT INTO tag_follows (user_id, tag, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user.to_string())
            .bind(tag)
            .bind(now_ms())
    } else {
        sqlx::query("DELETE FROM tag_follows WHERE user_id = $1 AND tag = $2").bind(user.to_string()).bind(tag)
    };
    if query.execute(change.conn()).await?.rows_affected() == 1 {
        let edge = TagFollow { user_id: user, tag: tag.to_owned() };
        let event = if follow { GraphEvent::TagFollowCreated(edge) } else { GraphEvent::TagFollowDeleted(edge) };
        change.emit(&event).await?;
    }
    Ok(change.commit().await?)
}

/// Forgets a deleted user's tag follows.
pub async fn forget_user(change: &mut Change, user: Uuid) -> Result<(), GraphError> {
    sqlx::query("DELETE FROM tag_follows WHERE user_id = $1").bind(user.to_string()).execute(change.conn()).await?;
    Ok(())
}
