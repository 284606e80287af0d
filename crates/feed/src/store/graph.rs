//! The feed's copy of the graph, kept from its events: `feed_follows` with
//! `feed_follower_counts` (which decide push or pull), `feed_hidden_authors` (blocks and mutes,
//! both ways for blocks) and `feed_tag_follows`; and the fan-out questions asked of them.

use std::collections::HashSet;

use platform::{
    Change,
    db::{RowExt, placeholders},
};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::{
    FeedError,
    home::{self, RECIPIENTS, TAG_RECIPIENTS},
    posts::FeedPost,
};

/// A reader's part of the graph, for the home rule: whom they follow and hide, and which tags
/// they follow (three indexed reads).
pub async fn reader(store: &Store, user: Uuid) -> Result<home::Reader, FeedError> {
    let db = store.db().reader();
    let id = user.to_string();
    let rows = |sql: &'static str| sqlx::query(sql).bind(id.clone()).fetch_all(db);
    let uuids = |rows: Vec<sqlx::any::AnyRow>, column: &str| -> Result<HashSet<Uuid>, FeedError> {
        Ok(rows.iter().map(|r| r.uuid(column)).collect::<Result<_, _>>()?)
    };
    let follows = uuids(rows("SELECT followee_id FROM feed_follows WHERE follower_id = $1").await?, "followee_id")?;
    let hidden = uuids(rows("SELECT author_id FROM feed_hidden_authors WHERE user_id = $1").await?, "author_id")?;
    let tags = rows("SELECT tag FROM feed_tag_follows WHERE user_id = $1").await?;
    let tags = tags.iter().map(|r| r.try_get::<String, _>("tag")).collect::<Result<_, _>>()?;
    Ok(home::Reader { id: user, follows, hidden, tags })
}

/// The authors `user` chose not to see (blocks and mutes; not those who block them): what the
/// listed streams leave out for them.
pub async fn silenced(store: &Store, user: Uuid) -> Result<HashSet<Uuid>, FeedError> {
    let rows =
        sqlx::query("SELECT author_id FROM feed_hidden_authors WHERE user_id = $1 AND reason IN ('block', 'mute')")
            .bind(user.to_string())
            .fetch_all(store.db().reader())
            .await?;
    Ok(rows.iter().map(|r| r.uuid("author_id")).collect::<Result<_, _>>()?)
}

/// Records a follow (`present`) or its end; returns whether anything changed.
pub async fn follow(change: &mut Change, follower: Uuid, followee: Uuid, present: bool) -> Result<bool, FeedError> {
    let sql = if present {
        "INSERT INTO feed_follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM feed_follows WHERE follower_id = $1 AND followee_id = $2"
    };
    let changed = sqlx::query(sql)
        .bind(follower.to_string())
        .bind(followee.to_string())
        .execute(change.conn())
        .await?
        .rows_affected()
        == 1;
    if changed {
        let delta: i64 = if present { 1 } else { -1 };
        sqlx::query(
            "INSERT INTO feed_follower_counts (author_id, followers) VALUES ($1, $2) \
             ON CONFLICT (author_id) DO UPDATE SET followers = feed_follower_counts.followers + $2",
        )
        .bind(followee.to_string())
        .bind(delta.max(0))
        .execute(change.conn())
        .await?;
        if delta < 0 {
            sqlx::query(
                "UPDATE feed_follower_counts SET followers = followers - 1 WHERE author_id = $1 AND followers > 0",
            )
            .bind(followee.to_string())
            .execute(change.conn())
            .await?;
        }
    }
    Ok(changed)
}

/// Why an author is hidden from a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    Block,
    Mute,
    /// The author blocks the user.
    BlockedBy,
}

impl Hidden {
    fn as_str(self) -> &'static str {
        match self {
            Hidden::Block => "block",
            Hidden::Mute => "mute",
            Hidden::BlockedBy => "blocked_by",
        }
    }
}

/// Hides `author` from `user` for `reason` (`present`), or stops.
pub async fn hide(
    change: &mut Change,
    user: Uuid,
    author: Uuid,
    reason: Hidden,
    present: bool,
) -> Result<(), FeedError> {
    let sql = if present {
        "INSERT INTO feed_hidden_authors (user_id, author_id, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM feed_hidden_authors WHERE user_id = $1 AND author_id = $2 AND reason = $3"
    };
    sqlx::query(sql)
        .bind(user.to_string())
        .bind(author.to_string())
        .bind(reason.as_str())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Records a tag follow (`present`) or its end.
pub async fn follow_tag(change: &mut Change, user: Uuid, tag: &str, present: bool) -> Result<(), FeedError> {
    let sql = if present {
        "INSERT INTO feed_tag_follows (tag, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM feed_tag_follows WHERE tag = $1 AND user_id = $2"
    };
    sqlx::query(sql).bind(tag).bind(user.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// Whether `author` has more followers than `threshold` (and so is pulled, not pushed).
pub async fn is_pulled(change: &mut Change, author: Uuid, threshold: u64) -> Result<bool, FeedError> {
    let row = sqlx::query("SELECT followers FROM feed_follower_counts WHERE author_id = $1")
        .bind(author.to_string())
        .fetch_optional(change.conn())
        .await?;
    let followers = row.map(|r| r.try_get::<i64, _>("followers")).transpose()?.unwrap_or(0);
    Ok(followers as u64 > threshold)
}

/// Whose home timeline `post` is pushed to (the home rule seen from the post, see
/// `domain::home`): the followers of its author who see it, unless the author is pulled
/// (`pushed_author` false), and the followers of its hashtags when it is public; among the
/// readers active since `active_since`; and its author.
pub async fn recipients(
    change: &mut Change,
    post: &FeedPost,
    pushed_author: bool,
    active_since: i64,
) -> Result<Vec<Uuid>, FeedError> {
    let mut users = Vec::new();
    if pushed_author {
        let rows = sqlx::query(RECIPIENTS)
            .bind(post.author_id.to_string())
            .bind(post.reply_to_author_id.map(|a| a.to_string()).unwrap_or_default())
            .bind(active_since)
            .fetch_all(change.conn())
            .await?;
        users = super::user_ids(&rows)?;
    }
    if post.visibility == contracts::Visibility::Public && !post.tags.is_empty() {
        let sql = TAG_RECIPIENTS.replace("{tags}", &placeholders(3, post.tags.len()));
        let mut query = sqlx::query(&sql).bind(post.author_id.to_string()).bind(active_since);
        for tag in &post.tags {
            query = query.bind(tag);
        }
        users.extend(super::user_ids(&query.fetch_all(change.conn()).await?)?);
    }
    users.push(post.author_id);
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

/// The pulled accounts (more followers than `threshold`) `user` follows and does not hide.
pub async fn pulled_followees(store: &Store, user: Uuid, threshold: u64) -> Result<Vec<Uuid>, FeedError> {
    let rows = sqlx::query(
        "SELECT f.followee_id AS user_id FROM feed_follows f JOIN feed_follower_counts c ON c.author_id = f.followee_id \
         WHERE f.follower_id = $1 AND c.followers > $2 \
         AND f.followee_id NOT IN (SELECT author_id FROM feed_hidden_authors WHERE user_id = $1)",
    )
    .bind(user.to_string())
    .bind(threshold as i64)
    .fetch_all(store.db().reader())
    .await?;
    Ok(super::user_ids(&rows)?)
}

/// Which of `authors` `user` follows, in one query.
pub async fn followed_among(store: &Store, user: Uuid, authors: &[Uuid]) -> Result<HashSet<Uuid>, FeedError> {
    let mut followed = HashSet::new();
    for chunk in authors.chunks(500) {
        let sql = format!(
            "SELECT followee_id AS user_id FROM feed_follows WHERE follower_id = $1 AND followee_id IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(user.to_string());
        for author in chunk {
            query = query.bind(author.to_string());
        }
        for row in query.fetch_all(store.db().reader()).await? {
            followed.insert(row.uuid("user_id")?);
        }
    }
    Ok(followed)
}
