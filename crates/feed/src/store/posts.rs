//! `feed_posts` and `feed_post_tags`: the feed's own row of every post it serves, and the
//! database side of every stream (what a timeline continues with past its cap).

use std::collections::HashMap;

use contracts::{PostId, Visibility};
use platform::{
    Change, StoreError,
    db::{RowExt, placeholders, to_json},
};
use sqlx::{Row, any::AnyRow};
use uuid::Uuid;

use super::Store;
use crate::domain::{
    FeedError,
    home::VISIBLE_AT_HOME,
    posts::{Counter, FeedPost},
    timelines::Timeline,
};

const COLUMNS: &str = "p.id, p.author_id, p.visibility, p.text, p.language, p.tags, p.reply_to_id, \
     p.reply_to_author_id, p.repost_of_id, p.media_ids, p.created_at_ms";

fn feed_post(row: &AnyRow) -> Result<FeedPost, StoreError> {
    let visibility: String = row.try_get("visibility")?;
    Ok(FeedPost {
        id: row.post_id("id")?,
        author_id: row.uuid("author_id")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| StoreError::decode("visibility", format!("unknown visibility {visibility}")))?,
        text: row.try_get("text")?,
        language: row.try_get("language")?,
        tags: row.json("tags")?,
        reply_to_id: row.opt_post_id("reply_to_id")?,
        reply_to_author_id: row.opt_uuid("reply_to_author_id")?,
        repost_of_id: row.opt_post_id("repost_of_id")?,
        media_ids: row.json("media_ids")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// Stores a new or edited post with its tags; returns whether it is new.
pub async fn upsert(change: &mut Change, post: &FeedPost) -> Result<bool, FeedError> {
    let id = post.id.get() as i64;
    let existed = sqlx::query("SELECT 1 FROM feed_posts WHERE id = $1").bind(id).fetch_optional(change.conn()).await?;
    sqlx::query(
        "INSERT INTO feed_posts (id, author_id, visibility, summary, created_at_ms, reply_to_author_id, text, language, \
         tags, reply_to_id, repost_of_id, media_ids) VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (id) DO UPDATE SET visibility = $3, text = $6, language = $7, tags = $8, media_ids = $11",
    )
    .bind(id)
    .bind(post.author_id.to_string())
    .bind(post.visibility.as_str())
    .bind(post.created_at_ms)
    .bind(post.reply_to_author_id.map(|a| a.to_string()))
    .bind(&post.text)
    .bind(&post.language)
    .bind(to_json(&post.tags))
    .bind(post.reply_to_id.map(|p| p.get() as i64))
    .bind(post.repost_of_id.map(|p| p.get() as i64))
    .bind(to_json(&post.media_ids))
    .execute(change.conn())
    .await?;
    sqlx::query("DELETE FROM feed_post_tags WHERE post_id = $1").bind(id).execute(change.conn()).await?;
    for tag in &post.tags {
        sqlx::query("INSERT INTO feed_post_tags (tag, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(tag)
            .bind(id)
            .execute(change.conn())
            .await?;
    }
    Ok(existed.is_none())
}

/// Marks a post removed (deleted or hidden); returns it as it was, if the feed had it.
pub async fn remove(change: &mut Change, id: PostId) -> Result<Option<FeedPost>, FeedError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM feed_posts p WHERE p.id = $1"))
        .bind(id.get() as i64)
        .fetch_optional(change.conn())
        .await?;
    sqlx::query("UPDATE feed_posts SET removed = TRUE WHERE id = $1")
        .bind(id.get() as i64)
        .execute(change.conn())
        .await?;
    Ok(row.as_ref().map(feed_post).transpose()?)
}

/// Adds `delta` to an engagement counter of a post (never below 0).
pub async fn count(change: &mut Change, counter: Counter, post: PostId, delta: i64) -> Result<(), FeedError> {
    let column = counter.column();
    sqlx::query(&format!("UPDATE feed_posts SET {column} = {column} + $2 WHERE id = $1 AND {column} + $2 >= 0"))
        .bind(post.get() as i64)
        .bind(delta)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// A post with its author's names, as streams show it.
pub type Shown = (FeedPost, Option<String>, Option<String>);

/// The posts with these ids that are not removed, with their authors' names.
pub async fn shown(store: &Store, ids: &[PostId]) -> Result<HashMap<PostId, Shown>, FeedError> {
    let mut by_id = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS}, a.username, a.display_name FROM feed_posts p \
             LEFT JOIN feed_authors a ON a.id = p.author_id WHERE p.removed = FALSE AND p.id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.get() as i64);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            let post = feed_post(&row)?;
            by_id.insert(post.id, (post, row.try_get("username")?, row.try_get("display_name")?));
        }
    }
    Ok(by_id)
}

/// The posts with these ids that are not removed, with their engagement counts
/// (likes, reposts, replies).
pub async fn with_counts(store: &Store, ids: &[u64]) -> Result<Vec<(FeedPost, [u64; 3])>, FeedError> {
    let mut loaded = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS}, p.likes, p.reposts, p.replies FROM feed_posts p WHERE p.removed = FALSE AND p.id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id as i64);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            let count = |c: &str| row.try_get::<i64, _>(c).map(|n| n.max(0) as u64);
            loaded.push((feed_post(&row)?, [count("likes")?, count("reposts")?, count("replies")?]));
        }
    }
    Ok(loaded)
}

/// A stream's selection in SQL: the condition over `feed_posts` with `$1` its parameter (the
/// stream's database side, for pages past its timeline's cap).
fn selection(timeline: &Timeline) -> (&'static str, String) {
    match timeline {
        Timeline::Public => ("visibility = $1", "public".to_owned()),
        Timeline::Tag(tag) => {
            ("visibility = 'public' AND id IN (SELECT post_id FROM feed_post_tags WHERE tag = $1)", tag.clone())
        }
        Timeline::User(user) => ("visibility IN ('public', 'unlisted') AND author_id = $1", user.to_string()),
        Timeline::Posts(user) => ("author_id = $1", user.to_string()),
        Timeline::Home(user) => (VISIBLE_AT_HOME, user.to_string()),
    }
}

/// Up to `limit` ids of `timeline`'s posts strictly older than `before`, newest first, from the
/// database.
pub async fn page(
    store: &Store,
    timeline: &Timeline,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, FeedError> {
    let (condition, parameter) = selection(timeline);
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND {condition} AND id < $2 ORDER BY id DESC LIMIT {limit}"
    );
    let before = before.map_or(i64::MAX, |id| id.get() as i64);
    let rows = sqlx::query(&sql).bind(parameter).bind(before).fetch_all(store.db().reader()).await?;
    Ok(super::post_ids(&rows)?)
}

/// Up to `limit` ids of `timeline`'s posts newer than `after`, oldest first: what a reconnecting
/// live stream missed.
pub async fn newer_than(
    store: &Store,
    timeline: &Timeline,
    after: PostId,
    limit: usize,
) -> Result<Vec<PostId>, FeedError> {
    let (condition, parameter) = selection(timeline);
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND {condition} AND id > $2 ORDER BY id LIMIT {limit}"
    );
    let rows = sqlx::query(&sql).bind(parameter).bind(after.get() as i64).fetch_all(store.db().reader()).await?;
    Ok(super::post_ids(&rows)?)
}

/// `author`'s posts strictly older than `before` that `user` may see at home, newest first.
pub async fn author_at_home(
    store: &Store,
    user: Uuid,
    author: Uuid,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, FeedError> {
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND author_id = $3 AND id < $2 AND {VISIBLE_AT_HOME} \
         ORDER BY id DESC LIMIT {limit}"
    );
    let before = before.map_or(i64::MAX, |id| id.get() as i64);
    let query = sqlx::query(&sql).bind(user.to_string()).bind(before).bind(author.to_string());
    Ok(super::post_ids(&query.fetch_all(store.db().reader()).await?)?)
}

/// The posts a change of the graph concerns: an account's, or a hashtag's.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Author(Uuid),
    Tag(&'a str),
}

/// The newest `limit` posts of `source` that `user` may (`visible`) or may no longer
/// (`!visible`) see at home: what a follow merges in, or an unfollow takes out.
pub async fn of_source(
    change: &mut Change,
    user: Uuid,
    source: Source<'_>,
    visible: bool,
    limit: usize,
) -> Result<Vec<PostId>, FeedError> {
    let (condition, value) = match source {
        Source::Author(author) => ("author_id = $2", author.to_string()),
        Source::Tag(tag) => ("id IN (SELECT post_id FROM feed_post_tags WHERE tag = $2)", tag.to_owned()),
    };
    let rule =
        if visible { format!("removed = FALSE AND {VISIBLE_AT_HOME}") } else { format!("NOT ({VISIBLE_AT_HOME})") };
    let sql = format!("SELECT id FROM feed_posts WHERE {condition} AND {rule} ORDER BY id DESC LIMIT {limit}");
    let rows = sqlx::query(&sql).bind(user.to_string()).bind(value).fetch_all(change.conn()).await?;
    Ok(super::post_ids(&rows)?)
}

/// Moves rows stored before the feed kept its own columns (when `summary` held content's event
/// payload) into the columns, once, at start.
pub async fn move_legacy_summaries(store: &Store) -> Result<usize, FeedError> {
    #[derive(serde::Deserialize)]
    struct Legacy {
        #[serde(default)]
        text: String,
        language: Option<String>,
        #[serde(default)]
        tags: Vec<String>,
        reply_to_id: Option<u64>,
        repost_of_id: Option<u64>,
        #[serde(default)]
        media_ids: Vec<String>,
    }
    let mut moved = 0;
    loop {
        let rows = sqlx::query("SELECT id, summary FROM feed_posts WHERE summary <> '' LIMIT 500")
            .fetch_all(store.db().reader())
            .await?;
        if rows.is_empty() {
            return Ok(moved);
        }
        let mut change = store.begin().await?;
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let legacy: Legacy = row.json("summary")?;
            sqlx::query(
                "UPDATE feed_posts SET text = $1, language = $2, tags = $3, reply_to_id = $4, repost_of_id = $5, \
                 media_ids = $6, summary = '' WHERE id = $7",
            )
            .bind(legacy.text)
            .bind(legacy.language)
            .bind(to_json(&legacy.tags))
            .bind(legacy.reply_to_id.map(|p| p as i64))
            .bind(legacy.repost_of_id.map(|p| p as i64))
            .bind(to_json(&legacy.media_ids))
            .bind(id)
            .execute(change.conn())
            .await?;
        }
        change.commit().await?;
        moved += rows.len();
    }
}
