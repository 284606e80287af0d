//! `feed_likes`: who liked what, from content's events (for the "for you" ranking).

use contracts::PostId;
use platform::Change;
use uuid::Uuid;

use crate::domain::FeedError;

/// Records a like (`present`) or takes it back; returns whether anything changed.
pub async fn set(
    change: &mut Change,
    post: PostId,
    user: Uuid,
    author: Uuid,
    at_ms: i64,
    present: bool,
) -> Result<bool, FeedError> {
    let changed = if present {
        sqlx::query(
            "INSERT INTO feed_likes (post_id, user_id, author_id, created_at_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(post.get() as i64)
        .bind(user.to_string())
        .bind(author.to_string())
        .bind(at_ms)
        .execute(change.conn())
        .await?
    } else {
        sqlx::query("DELETE FROM feed_likes WHERE post_id = $1 AND user_id = $2")
            .bind(post.get() as i64)
            .bind(user.to_string())
            .execute(change.conn())
            .await?
    };
    Ok(changed.rows_affected() == 1)
}
