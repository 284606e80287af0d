//! `feed_tags`: when each tag was last posted to and whether its timeline exists, so that the
//! timelines of tags nobody follows and nothing posts to can be dropped.

use platform::Change;
use sqlx::Row;

use super::Store;
use crate::domain::FeedError;

/// A post with `tag` at `at_ms` went into its timeline.
pub async fn posted(change: &mut Change, tag: &str, at_ms: i64) -> Result<(), FeedError> {
    sqlx::query(
        "INSERT INTO feed_tags (tag, last_post_ms, has_timeline) VALUES ($1, $2, TRUE) \
         ON CONFLICT (tag) DO UPDATE SET has_timeline = TRUE, \
           last_post_ms = CASE WHEN feed_tags.last_post_ms > $2 THEN feed_tags.last_post_ms ELSE $2 END",
    )
    .bind(tag)
    .bind(at_ms)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// `tag`'s timeline was rebuilt from the database by a read.
pub async fn rebuilt(store: &Store, tag: &str) -> Result<(), FeedError> {
    sqlx::query("UPDATE feed_tags SET has_timeline = TRUE WHERE tag = $1")
        .bind(tag)
        .execute(store.db().writer())
        .await?;
    Ok(())
}

/// Up to `limit` tags with a timeline, nothing posted since `before_ms`, and no follower.
pub async fn idle(store: &Store, before_ms: i64, limit: usize) -> Result<Vec<String>, FeedError> {
    let rows = sqlx::query(
        "SELECT tag FROM feed_tags t WHERE has_timeline = TRUE AND last_post_ms < $1 \
         AND NOT EXISTS (SELECT 1 FROM feed_tag_follows f WHERE f.tag = t.tag) LIMIT $2",
    )
    .bind(before_ms)
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    Ok(rows.iter().map(|r| r.try_get("tag")).collect::<Result<_, _>>()?)
}

/// `tag`'s timeline was dropped, found idle since `before_ms` (a post since keeps it marked: its
/// timeline may hold that post again).
pub async fn dropped(store: &Store, tag: &str, before_ms: i64) -> Result<(), FeedError> {
    sqlx::query("UPDATE feed_tags SET has_timeline = FALSE WHERE tag = $1 AND last_post_ms < $2")
        .bind(tag)
        .bind(before_ms)
        .execute(store.db().writer())
        .await?;
    Ok(())
}
