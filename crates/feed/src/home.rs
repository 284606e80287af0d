//! Home timelines: the posts of the accounts a user follows, and their own, newest first.
//!
//! A new post is pushed into the home timeline of each follower who does not hide its author
//! (block or mute). A reply reaches a follower only when they also follow the account it
//! answers, or are that account: conversations between strangers stay out of your home. The
//! same rules, in SQL, select the posts a home timeline continues with past its cap, so paging
//! from the timeline store into the database shows no seam.

use platform::{StoreError, ids::PostId};
use sqlx::{Any, Row, Transaction};
use timeline::TimelineKey;

use crate::{Feed, read_model::Summary};

pub fn key(user: &str) -> TimelineKey {
    TimelineKey::new(format!("home:{user}"))
}

/// The home-timeline rule for user `$1`, over `feed_posts`.
pub const VISIBLE_AT_HOME: &str = "visibility IN ('public', 'unlisted', 'followers') AND (author_id = $1 OR (\
     author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1) \
     AND author_id NOT IN (SELECT author_id FROM feed_hidden_authors WHERE user_id = $1) \
     AND (reply_to_author_id IS NULL OR reply_to_author_id = $1 \
          OR reply_to_author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1))))";

/// Whose home timeline a post goes to (the same rule as [`VISIBLE_AT_HOME`], seen from the post).
pub async fn recipients(tx: &mut Transaction<'static, Any>, post: &Summary) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT f.follower_id FROM feed_follows f WHERE f.followee_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM feed_hidden_authors h WHERE h.user_id = f.follower_id AND h.author_id = $1) \
         AND ($2 = '' OR f.follower_id = $2 OR EXISTS \
              (SELECT 1 FROM feed_follows g WHERE g.follower_id = f.follower_id AND g.followee_id = $2))",
    )
    .bind(&post.author_id)
    .bind(post.reply_to_author_id.clone().unwrap_or_default())
    .fetch_all(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    let mut users: Vec<String> =
        rows.iter().map(|r| r.try_get("follower_id")).collect::<Result<_, _>>().map_err(StoreError::from_sqlx)?;
    users.push(post.author_id.clone());
    Ok(users)
}

/// Pushes a new post into its recipients' home timelines, a thousand at a time.
pub async fn fan_out(feed: &Feed, recipients: &[String], post: PostId) -> anyhow::Result<()> {
    for chunk in recipients.chunks(1000) {
        let keys: Vec<TimelineKey> = chunk.iter().map(|u| key(u)).collect();
        feed.timelines.push(&keys, post, feed.config.timelines.cap).await?;
    }
    Ok(())
}

/// Takes a post out of the home timelines it was pushed to.
pub async fn retract(feed: &Feed, recipients: &[String], post: PostId) -> anyhow::Result<()> {
    for chunk in recipients.chunks(1000) {
        let keys: Vec<TimelineKey> = chunk.iter().map(|u| key(u)).collect();
        feed.timelines.remove_everywhere(&keys, post).await?;
    }
    Ok(())
}

/// Merges `author`'s recent posts that `user` may see at home into `user`'s home timeline (a
/// new follow, an unmute).
pub async fn merge_author(
    feed: &Feed,
    tx: &mut Transaction<'static, Any>,
    user: &str,
    author: &str,
) -> anyhow::Result<()> {
    let cap = feed.config.timelines.cap;
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND author_id = $2 AND {VISIBLE_AT_HOME} ORDER BY id DESC LIMIT {cap}"
    );
    let rows = sqlx::query(&sql).bind(user).bind(author).fetch_all(&mut **tx).await?;
    let ids = ids_of(&rows)?;
    feed.timelines.merge(&key(user), &ids, cap).await?;
    Ok(())
}

/// Takes `author`'s recent posts out of `user`'s home timeline (unfollow, block, mute).
pub async fn remove_author(
    feed: &Feed,
    tx: &mut Transaction<'static, Any>,
    user: &str,
    author: &str,
) -> anyhow::Result<()> {
    let limit = feed.config.timelines.cap * 2;
    let sql = format!("SELECT id FROM feed_posts WHERE author_id = $1 ORDER BY id DESC LIMIT {limit}");
    let rows = sqlx::query(&sql).bind(author).fetch_all(&mut **tx).await?;
    feed.timelines.remove(&key(user), &ids_of(&rows)?).await?;
    Ok(())
}

fn ids_of(rows: &[sqlx::any::AnyRow]) -> anyhow::Result<Vec<PostId>> {
    rows.iter().map(|r| Ok(PostId::from_u64(r.try_get::<i64, _>("id")? as u64)?)).collect()
}
