//! What the "for you" ranking reads (the reader's follows, hidden authors, tags and recent
//! engagement; what their follows liked) and `feed_for_you_snapshots`, the rankings its cursors
//! page through.

use std::collections::HashMap;

use platform::db::{RowExt, now_ms, placeholders, to_json};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::{
    FeedError,
    score::{INTEREST_WINDOW_MS, LIKED_CANDIDATES, LIKES_WINDOW_MS, MIN_LIKERS, Ranked, Reader, SNAPSHOT_TTL_MS},
};

/// Gathers what the ranking knows of `user` (one query each).
pub async fn reader(store: &Store, user: Uuid, now: i64) -> Result<Reader, FeedError> {
    let db = store.db().reader();
    let id = user.to_string();
    let since = now - INTEREST_WINDOW_MS;
    let mut reader = Reader { graph: super::graph::reader(store, user).await?, ..Reader::default() };
    for sql in [
        "SELECT author_id AS k, COUNT(*) AS n FROM feed_likes WHERE user_id = $1 AND created_at_ms >= $2 GROUP BY author_id",
        "SELECT reply_to_author_id AS k, COUNT(*) AS n FROM feed_posts WHERE author_id = $1 \
         AND reply_to_author_id IS NOT NULL AND reply_to_author_id <> $1 AND created_at_ms >= $2 GROUP BY reply_to_author_id",
    ] {
        for row in sqlx::query(sql).bind(&id).bind(since).fetch_all(db).await? {
            *reader.interactions.entry(row.uuid("k")?).or_default() += row.try_get::<i64, _>("n")? as u64;
        }
    }
    let engaged = sqlx::query(
        "SELECT tag AS k, COUNT(*) AS n FROM feed_post_tags WHERE post_id IN \
         (SELECT post_id FROM feed_likes WHERE user_id = $1 AND created_at_ms >= $2 \
          UNION SELECT id FROM feed_posts WHERE author_id = $1 AND created_at_ms >= $2) GROUP BY tag",
    )
    .bind(&id)
    .bind(since)
    .fetch_all(db)
    .await?;
    for row in engaged {
        *reader.engaged_tags.entry(row.try_get("k")?).or_default() += row.try_get::<i64, _>("n")? as u64;
    }
    Ok(reader)
}

/// The posts that at least `MIN_LIKERS` of `user`'s follows liked in the last days, most liked
/// first.
pub async fn liked_by_follows(store: &Store, user: Uuid, now: i64) -> Result<Vec<contracts::PostId>, FeedError> {
    let rows = sqlx::query(
        "SELECT l.post_id AS id FROM feed_likes l JOIN feed_follows f ON f.followee_id = l.user_id \
         WHERE f.follower_id = $1 AND l.created_at_ms >= $2 \
         GROUP BY l.post_id HAVING COUNT(*) >= $4 ORDER BY COUNT(*) DESC, l.post_id DESC LIMIT $3",
    )
    .bind(user.to_string())
    .bind(now - LIKES_WINDOW_MS)
    .bind(LIKED_CANDIDATES as i64)
    .bind(MIN_LIKERS as i64)
    .fetch_all(store.db().reader())
    .await?;
    Ok(super::post_ids(&rows)?)
}

/// How many of `user`'s follows liked each of `posts`.
pub async fn likes_by_follows(store: &Store, user: Uuid, posts: &[u64]) -> Result<HashMap<u64, u64>, FeedError> {
    let mut counts = HashMap::new();
    for chunk in posts.chunks(500) {
        let sql = format!(
            "SELECT l.post_id, COUNT(*) AS n FROM feed_likes l JOIN feed_follows f ON f.followee_id = l.user_id \
             WHERE f.follower_id = $1 AND l.post_id IN ({}) GROUP BY l.post_id",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(user.to_string());
        for id in chunk {
            query = query.bind(*id as i64);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            counts.insert(row.try_get::<i64, _>("post_id")? as u64, row.try_get::<i64, _>("n")? as u64);
        }
    }
    Ok(counts)
}

/// Stores `user`'s snapshot, replacing the one before (a reader has one ranking to page
/// through, so snapshots do not pile up); returns its id.
pub async fn save_snapshot(store: &Store, user: Uuid, items: &[Ranked]) -> Result<String, FeedError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    sqlx::query(
        "INSERT INTO feed_for_you_snapshots (id, user_id, created_at_ms, items) VALUES ($1, $2, $3, $4)          ON CONFLICT (user_id) DO UPDATE SET id = $1, created_at_ms = $3, items = $4",
    )
    .bind(&id)
    .bind(user.to_string())
    .bind(now_ms())
    .bind(to_json(&items))
    .execute(store.db().writer())
    .await?;
    Ok(id)
}

/// Forgets snapshots whose cursors expired; returns how many.
pub async fn expire_snapshots(store: &Store) -> Result<u64, FeedError> {
    let done = sqlx::query("DELETE FROM feed_for_you_snapshots WHERE created_at_ms < $1")
        .bind(now_ms() - SNAPSHOT_TTL_MS)
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected())
}

/// The items of snapshot `id` of `user`, if it exists and has not expired.
pub async fn snapshot(store: &Store, user: Uuid, id: &str) -> Result<Option<Vec<Ranked>>, FeedError> {
    let row =
        sqlx::query("SELECT items FROM feed_for_you_snapshots WHERE id = $1 AND user_id = $2 AND created_at_ms >= $3")
            .bind(id)
            .bind(user.to_string())
            .bind(now_ms() - SNAPSHOT_TTL_MS)
            .fetch_optional(store.db().reader())
            .await?;
    Ok(row.map(|row| row.json("items")).transpose()?)
}
