//! Home timelines: the posts of the accounts a user follows, and their own, newest first.
//!
//! A new post is pushed into the home timeline of each follower who does not hide its author
//! (block or mute). A reply reaches a follower only when they also follow the account it
//! answers, or are that account: conversations between strangers stay out of your home. A
//! public post also reaches everyone who follows one of its hashtags (replies included: the tag
//! is what they asked for), unless they hide its author. The same rules, in SQL, select the
//! posts a home timeline continues with past its cap, so paging from the timeline store into the
//! database shows no seam.

use platform::{ApiError, StoreError, ids::PostId};
use sqlx::{Any, Row, Transaction};
use timeline::TimelineKey;

use crate::{Feed, read_model::Summary};

pub fn key(user: &str) -> TimelineKey {
    TimelineKey::new(format!("home:{user}"))
}

/// The home-timeline rule for user `$1`, over `feed_posts`.
pub const VISIBLE_AT_HOME: &str = "visibility IN ('public', 'unlisted', 'followers') AND (author_id = $1 OR (\
     author_id NOT IN (SELECT author_id FROM feed_hidden_authors WHERE user_id = $1) AND (\
       (author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1) \
        AND (reply_to_author_id IS NULL OR reply_to_author_id = $1 \
             OR reply_to_author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1))) \
       OR (visibility = 'public' AND id IN (SELECT t.post_id FROM feed_post_tags t \
             JOIN feed_tag_follows f ON f.tag = t.tag WHERE f.user_id = $1)))))";

/// Whether `author` has more followers than the push threshold.
pub async fn is_pulled(feed: &Feed, tx: &mut Transaction<'static, Any>, author: &str) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT followers FROM feed_follower_counts WHERE author_id = $1")
        .bind(author)
        .fetch_optional(&mut **tx)
        .await
        .map_err(StoreError::from_sqlx)?;
    let followers =
        row.map(|r| r.try_get::<i64, _>("followers")).transpose().map_err(StoreError::from_sqlx)?.unwrap_or(0);
    Ok(followers as u64 > feed.config.timelines.fanout_threshold)
}

/// Keeps the follower count of `author` in step with a follow (+1) or an unfollow (-1).
pub async fn count_follower(tx: &mut Transaction<'static, Any>, author: &str, delta: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO feed_follower_counts (author_id, followers) VALUES ($1, $2) \
         ON CONFLICT (author_id) DO UPDATE SET followers = feed_follower_counts.followers + $2",
    )
    .bind(author)
    .bind(delta.max(0))
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    if delta < 0 {
        sqlx::query("UPDATE feed_follower_counts SET followers = followers - 1 WHERE author_id = $1 AND followers > 0")
            .bind(author)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// The timeline of all of `author`'s posts.
pub fn posts_key(author: &str) -> TimelineKey {
    TimelineKey::new(format!("posts:{author}"))
}

/// Posts of the pulled (many-followers) accounts `user` follows, strictly older than `before`:
/// what a home read merges in, since fan-out did not push them. They come from each account's
/// `posts:<id>` timeline, with replies kept by the home rule; an account whose timeline runs
/// short (trimmed at its cap, or lost) is read from the database instead.
pub async fn pulled_posts(
    feed: &Feed,
    user: &str,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, ApiError> {
    let authors = pulled_followees(feed, user).await?;
    let mut kept = Vec::new();
    let mut cursor = before;
    while !authors.is_empty() && kept.len() < limit {
        let pages = author_pages(feed, &authors, cursor, limit).await?;
        let mut candidates = Vec::new();
        for (author, (page, len)) in authors.iter().zip(pages) {
            // A short page is all there is, unless the timeline was trimmed at its cap (and this
            // page reached past it) or lost (empty): then the database knows the rest.
            if page.len() == limit || (len != 0 && len < feed.config.timelines.cap) {
                candidates.extend(page);
            } else {
                candidates.extend(author_from_database(feed, user, author, cursor, limit).await?);
            }
        }
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        candidates.truncate(limit);
        let Some(&last) = candidates.last() else { break };
        let exhausted = candidates.len() < limit;
        kept.extend(visible_replies_only(feed, user, &candidates).await?);
        if exhausted {
            break;
        }
        cursor = Some(last);
    }
    kept.truncate(limit);
    Ok(kept)
}

/// Newest posts of each pulled account kept in the process-wide cache.
const RECENT: usize = 100;

/// For each of `authors`, the page of their `posts:` timeline below `cursor` and its length, as
/// [`timeline::TimelineStore::page_many`]. Pages within an account's newest [`RECENT`] posts come
/// from memory, shared by every reader of this process and read again from the store at least
/// every second (at once when this process handles the account's new post); deeper pages come
/// from the store, in one round trip.
async fn author_pages(
    feed: &Feed,
    authors: &[String],
    cursor: Option<PostId>,
    limit: usize,
) -> Result<Vec<(Vec<PostId>, usize)>, ApiError> {
    let mut recent: Vec<Option<crate::cache::Recent>> =
        authors.iter().map(|a| feed.caches.recent.get(a.as_str())).collect();
    let missing: Vec<usize> = (0..authors.len()).filter(|&i| recent[i].is_none()).collect();
    if !missing.is_empty() {
        let keys: Vec<TimelineKey> = missing.iter().map(|&i| posts_key(&authors[i])).collect();
        let fetched = feed.timelines.page_many(&keys, None, RECENT).await.map_err(anyhow::Error::from)?;
        for (&i, page) in missing.iter().zip(fetched) {
            let page = std::sync::Arc::new(page);
            feed.caches.recent.insert(authors[i].clone(), std::sync::Arc::clone(&page));
            recent[i] = Some(page);
        }
    }
    let mut pages = Vec::with_capacity(authors.len());
    let mut deeper = Vec::new();
    for (i, entry) in recent.into_iter().enumerate() {
        let (ids, len) = &*entry.expect("filled above");
        let page: Vec<PostId> = ids.iter().copied().filter(|id| cursor.is_none_or(|c| *id < c)).take(limit).collect();
        // Memory answers with a full page below the cursor, or when it holds the whole timeline.
        if page.len() == limit || ids.len() == *len {
            pages.push((page, *len));
        } else {
            deeper.push(i);
            pages.push((Vec::new(), 0));
        }
    }
    if !deeper.is_empty() {
        let keys: Vec<TimelineKey> = deeper.iter().map(|&i| posts_key(&authors[i])).collect();
        let fetched = feed.timelines.page_many(&keys, cursor, limit).await.map_err(anyhow::Error::from)?;
        for (&i, page) in deeper.iter().zip(fetched) {
            pages[i] = page;
        }
    }
    Ok(pages)
}

/// `author`'s posts that `user` may see at home, from the database.
async fn author_from_database(
    feed: &Feed,
    user: &str,
    author: &str,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, ApiError> {
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND author_id = $3 AND id < $2 AND {VISIBLE_AT_HOME} \
         ORDER BY id DESC LIMIT {limit}"
    );
    let query = sqlx::query(&sql).bind(user).bind(before.map_or(i64::MAX, |id| id.get() as i64)).bind(author);
    Ok(ids_of(&query.fetch_all(feed.db.reader()).await?)?)
}

/// Drops the posts (of accounts `user` follows) that `user` may not see at home: replies to
/// accounts they do not follow, and removed posts.
async fn visible_replies_only(feed: &Feed, user: &str, ids: &[PostId]) -> Result<Vec<PostId>, ApiError> {
    let posts = crate::streams::hydrate(feed, ids).await?;
    let mut answered: Vec<&str> =
        posts.iter().filter_map(|p| p.reply_to_author_id.as_deref()).filter(|&to| to != user).collect();
    answered.sort_unstable();
    answered.dedup();
    let mut followed = std::collections::HashSet::new();
    if !answered.is_empty() {
        let placeholders: Vec<String> = (0..answered.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT followee_id AS user_id FROM feed_follows WHERE follower_id = $1 AND followee_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(user);
        for author in &answered {
            query = query.bind(*author);
        }
        followed.extend(user_ids(&query.fetch_all(feed.db.reader()).await?).map_err(anyhow::Error::from)?);
    }
    let visible = |p: &crate::streams::StreamPost| {
        p.reply_to_author_id.as_deref().is_none_or(|to| to == user || followed.contains(to))
    };
    posts
        .iter()
        .filter(|p| visible(p))
        .map(|p| {
            p.id.parse()
                .ok()
                .and_then(|id| PostId::from_u64(id).ok())
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad post id {}", p.id)))
        })
        .collect()
}

/// The pulled accounts `user` follows and does not hide (cached: most readers follow none, and
/// then a home read makes no query for them).
pub(crate) async fn pulled_followees(feed: &Feed, user: &str) -> anyhow::Result<std::sync::Arc<Vec<String>>> {
    if let Some(authors) = feed.caches.pulled.get(user) {
        return Ok(authors);
    }
    let rows = sqlx::query(
        "SELECT f.followee_id AS user_id FROM feed_follows f JOIN feed_follower_counts c ON c.author_id = f.followee_id \
         WHERE f.follower_id = $1 AND c.followers > $2 \
         AND f.followee_id NOT IN (SELECT author_id FROM feed_hidden_authors WHERE user_id = $1)",
    )
    .bind(user)
    .bind(feed.config.timelines.fanout_threshold as i64)
    .fetch_all(feed.db.reader())
    .await?;
    let authors = std::sync::Arc::new(user_ids(&rows)?);
    feed.caches.pulled.insert(user.to_owned(), std::sync::Arc::clone(&authors));
    Ok(authors)
}

/// Records a home read. A user inactive for longer than `timelines.inactive_after_secs` (or
/// reading for the first time) had no fan-out meanwhile: their timeline is dropped so that this
/// read rebuilds it from the database at once, never showing a stale or empty home.
pub async fn reading(feed: &Feed, user: &str) -> anyhow::Result<()> {
    let now = platform::db::now_ms();
    let window = feed.config.timelines.inactive_after_secs as i64 * 1000;
    // One write an hour per active reader is enough to tell active from inactive.
    let refresh = if window > 0 { window.min(3_600_000) } else { 3_600_000 };
    if feed.caches.activity.get(user).is_some_and(|at| now - at < refresh) {
        return Ok(());
    }
    let last: Option<i64> = sqlx::query("SELECT last_read_ms FROM feed_readers WHERE user_id = $1")
        .bind(user)
        .fetch_optional(feed.db.reader())
        .await?
        .map(|row| row.try_get("last_read_ms"))
        .transpose()?;
    if window > 0 && last.is_none_or(|at| now - at > window) {
        feed.timelines.drop_timeline(&key(user)).await?;
    }
    let mut recorded = last.unwrap_or(now);
    if last.is_none_or(|at| now - at > refresh) {
        sqlx::query(
            "INSERT INTO feed_readers (user_id, last_read_ms) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET last_read_ms = $2",
        )
        .bind(user)
        .bind(now)
        .execute(feed.db.writer())
        .await?;
        recorded = now;
    }
    feed.caches.activity.insert(user.to_owned(), recorded);
    Ok(())
}

/// Whose home timeline a post goes to (the same rule as [`VISIBLE_AT_HOME`], seen from the post).
/// A pulled account's followers merge its posts in when they read, so they are left out here;
/// followers of the post's hashtags are always pushed to.
pub async fn recipients(
    feed: &Feed,
    tx: &mut Transaction<'static, Any>,
    post: &Summary,
) -> Result<Vec<String>, StoreError> {
    let mut users = Vec::new();
    if !is_pulled(feed, tx, &post.author_id).await? {
        let rows = sqlx::query(
            "SELECT f.follower_id AS user_id FROM feed_follows f WHERE f.followee_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM feed_hidden_authors h WHERE h.user_id = f.follower_id AND h.author_id = $1) \
             AND ($2 = '' OR f.follower_id = $2 OR EXISTS \
                  (SELECT 1 FROM feed_follows g WHERE g.follower_id = f.follower_id AND g.followee_id = $2)) \
             AND EXISTS (SELECT 1 FROM feed_readers r WHERE r.user_id = f.follower_id AND r.last_read_ms >= $3)",
        )
        .bind(&post.author_id)
        .bind(post.reply_to_author_id.clone().unwrap_or_default())
        .bind(active_since(feed))
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::from_sqlx)?;
        users = user_ids(&rows)?;
    }
    if post.visibility == "public" && !post.tags.is_empty() {
        let tags: Vec<String> = (0..post.tags.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT DISTINCT f.user_id FROM feed_tag_follows f WHERE f.tag IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM feed_hidden_authors h WHERE h.user_id = f.user_id AND h.author_id = $1) \
             AND EXISTS (SELECT 1 FROM feed_readers r WHERE r.user_id = f.user_id AND r.last_read_ms >= $2)",
            tags.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(&post.author_id).bind(active_since(feed));
        for tag in &post.tags {
            query = query.bind(tag);
        }
        let rows = query.fetch_all(&mut **tx).await.map_err(StoreError::from_sqlx)?;
        users.extend(user_ids(&rows)?);
    }
    users.push(post.author_id.clone());
    users.sort_unstable();
    users.dedup();
    Ok(users)
}

fn user_ids(rows: &[sqlx::any::AnyRow]) -> Result<Vec<String>, StoreError> {
    rows.iter().map(|r| r.try_get("user_id")).collect::<Result<_, _>>().map_err(StoreError::from_sqlx)
}

/// Readers who read their home after this time are active (everyone when skipping is off).
fn active_since(feed: &Feed) -> i64 {
    match feed.config.timelines.inactive_after_secs {
        0 => i64::MIN,
        secs => platform::db::now_ms() - secs as i64 * 1000,
    }
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

/// The posts a change of the graph concerns: an account's, or a hashtag's.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Author(&'a str),
    Tag(&'a str),
}

impl Source<'_> {
    /// The condition over `feed_posts`, with `$2` the source.
    fn condition(&self) -> (&'static str, &str) {
        match self {
            Source::Author(author) => ("author_id = $2", author),
            Source::Tag(tag) => ("id IN (SELECT post_id FROM feed_post_tags WHERE tag = $2)", tag),
        }
    }
}

/// Merges the recent posts of `source` that `user` may now see at home into their home
/// timeline (a new follow, an unmute, a tag follow).
pub async fn merge(
    feed: &Feed,
    tx: &mut Transaction<'static, Any>,
    user: &str,
    source: Source<'_>,
) -> anyhow::Result<()> {
    let cap = feed.config.timelines.cap;
    let (condition, value) = source.condition();
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND {condition} AND {VISIBLE_AT_HOME} ORDER BY id DESC LIMIT {cap}"
    );
    let rows = sqlx::query(&sql).bind(user).bind(value).fetch_all(&mut **tx).await?;
    let ids = ids_of(&rows)?;
    feed.timelines.merge(&key(user), &ids, cap).await?;
    Ok(())
}

/// Takes the recent posts of `source` that `user` may no longer see at home out of their home
/// timeline (unfollow, block, mute, tag unfollow); a post still visible another way stays.
pub async fn unmerge(
    feed: &Feed,
    tx: &mut Transaction<'static, Any>,
    user: &str,
    source: Source<'_>,
) -> anyhow::Result<()> {
    let limit = feed.config.timelines.cap * 2;
    let (condition, value) = source.condition();
    let sql = format!(
        "SELECT id FROM feed_posts WHERE {condition} AND NOT ({VISIBLE_AT_HOME}) ORDER BY id DESC LIMIT {limit}"
    );
    let rows = sqlx::query(&sql).bind(user).bind(value).fetch_all(&mut **tx).await?;
    feed.timelines.remove(&key(user), &ids_of(&rows)?).await?;
    Ok(())
}

/// The post ids in the `id` column of `rows`.
pub(crate) fn ids_of(rows: &[sqlx::any::AnyRow]) -> anyhow::Result<Vec<PostId>> {
    rows.iter().map(|r| Ok(PostId::from_u64(r.try_get::<i64, _>("id")? as u64)?)).collect()
}
