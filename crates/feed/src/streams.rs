//! Reading a stream: newest first from the timeline store, then from the database once past
//! the timeline's cap (or when the store lost it, in which case it is refilled).

use platform::{ApiError, db::from_ms, ids::PostId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use timeline::TimelineKey;
use utoipa::ToSchema;

use crate::Feed;

/// Which posts a stream holds, for reading past the timeline store.
#[derive(Debug, Clone)]
pub enum Stream {
    Public,
    Tag(String),
    User(String),
    /// A user's home timeline.
    Home(String),
}

impl Stream {
    pub fn key(&self) -> TimelineKey {
        match self {
            Stream::Public => TimelineKey::new("public"),
            Stream::Tag(tag) => TimelineKey::new(format!("tag:{tag}")),
            Stream::User(user) => TimelineKey::new(format!("user:{user}")),
            Stream::Home(user) => crate::home::key(user),
        }
    }

    fn cap(&self, feed: &Feed) -> usize {
        match self {
            Stream::Public => feed.config.timelines.public_cap,
            _ => feed.config.timelines.cap,
        }
    }

    /// The same selection in SQL, with `$1` its parameter and `$2` the cursor.
    fn filter(&self) -> (&'static str, &str) {
        match self {
            Stream::Public => ("visibility = $1", "public"),
            Stream::Tag(tag) => {
                ("visibility = 'public' AND id IN (SELECT post_id FROM feed_post_tags WHERE tag = $1)", tag.as_str())
            }
            Stream::User(user) => ("visibility IN ('public', 'unlisted') AND author_id = $1", user.as_str()),
            Stream::Home(user) => (crate::home::VISIBLE_AT_HOME, user.as_str()),
        }
    }
}

/// The author shown with a post.
#[derive(Debug, Serialize, ToSchema)]
pub struct Author {
    pub id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

/// A post in a stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamPost {
    pub id: String,
    pub author: Author,
    pub text: String,
    pub visibility: String,
    pub tags: Vec<String>,
    pub reply_to_id: Option<String>,
    /// The author of the post this one answers.
    pub reply_to_author_id: Option<String>,
    pub repost_of_id: Option<String>,
    pub media_ids: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

#[derive(Deserialize)]
struct Stored {
    text: String,
    visibility: String,
    #[serde(default)]
    tags: Vec<String>,
    reply_to_id: Option<u64>,
    reply_to_author_id: Option<String>,
    repost_of_id: Option<u64>,
    #[serde(default)]
    media_ids: Vec<String>,
    created_at_ms: i64,
}

/// Up to `limit` posts of `stream`, newest first, strictly older than `before`.
pub async fn read(
    feed: &Feed,
    stream: &Stream,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<Hydrated>, ApiError> {
    let ids = ids(feed, stream, before, limit).await?;
    hydrate(feed, &ids).await
}

/// The ids of up to `limit` posts of `stream`, newest first, strictly older than `before`.
pub async fn ids(feed: &Feed, stream: &Stream, before: Option<PostId>, limit: usize) -> Result<Vec<PostId>, ApiError> {
    let key = stream.key();
    let mut ids = feed.timelines.page(&key, before, limit).await.map_err(anyhow::Error::from)?;
    // A short page means the timeline ends here: past its cap, or lost by the store.
    let store_ended = ids.len() < limit;
    let store_last = ids.last().copied();
    if let Stream::Home(user) = stream {
        // Hybrid fan-out: accounts with many followers were not pushed; merge them in here.
        ids.extend(crate::home::pulled_posts(feed, user, before, limit).await?);
    }
    if store_ended {
        // Continue from the database below the timeline's last entry (the database rule covers
        // every source, pushed or pulled).
        let more = from_database(feed, stream, store_last.or(before), limit).await?;
        if before.is_none() && !more.is_empty() && feed.timelines.len(&key).await.map_err(anyhow::Error::from)? == 0 {
            let newest: Vec<PostId> = from_database(feed, stream, None, stream.cap(feed)).await?;
            feed.timelines.merge(&key, &newest, stream.cap(feed)).await.map_err(anyhow::Error::from)?;
            tracing::info!(timeline = key.as_str(), entries = newest.len(), "timeline rebuilt from the database");
        }
        ids.extend(more);
    }
    // Every source is newest-first from the same cursor, so their merge is a correct page.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(limit);
    Ok(ids)
}

/// Up to `limit` posts of `stream` newer than `after`, oldest first: what a reconnecting live
/// stream missed.
pub(crate) async fn newer_than(
    feed: &Feed,
    stream: &Stream,
    after: PostId,
    limit: usize,
) -> Result<Vec<PostId>, ApiError> {
    let (filter, parameter) = stream.filter();
    let sql =
        format!("SELECT id FROM feed_posts WHERE removed = FALSE AND {filter} AND id > $2 ORDER BY id LIMIT {limit}");
    let rows = sqlx::query(&sql).bind(parameter).bind(after.get() as i64).fetch_all(feed.db.reader()).await?;
    Ok(crate::home::ids_of(&rows)?)
}

async fn from_database(
    feed: &Feed,
    stream: &Stream,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, ApiError> {
    let (filter, parameter) = stream.filter();
    let sql = format!(
        "SELECT id FROM feed_posts WHERE removed = FALSE AND {filter} AND id < $2 ORDER BY id DESC LIMIT {limit}"
    );
    let before = before.map_or(i64::MAX, |id| id.get() as i64);
    let rows = sqlx::query(&sql).bind(parameter).bind(before).fetch_all(feed.db.reader()).await?;
    Ok(crate::home::ids_of(&rows)?)
}

/// A post as streams serve it (shared: it is cached, see `cache`).
pub type Hydrated = std::sync::Arc<StreamPost>;

/// The posts for `ids`, in that order; ids the read model lacks or has removed are skipped.
/// Cached posts are served from memory; the rest are read in one query and cached.
pub(crate) async fn hydrate(feed: &Feed, ids: &[PostId]) -> Result<Vec<Hydrated>, ApiError> {
    let mut found: Vec<Option<Hydrated>> = ids.iter().map(|id| feed.caches.posts.get(&id.get())).collect();
    let missing: Vec<u64> = ids.iter().zip(&found).filter(|(_, hit)| hit.is_none()).map(|(id, _)| id.get()).collect();
    if !missing.is_empty() {
        let mut loaded = load(feed, &missing).await?;
        for (id, slot) in ids.iter().zip(found.iter_mut()) {
            if slot.is_none()
                && let Some(post) = loaded.remove(&id.get())
            {
                feed.caches.posts.insert(id.get(), std::sync::Arc::clone(&post));
                *slot = Some(post);
            }
        }
    }
    Ok(found.into_iter().flatten().collect())
}

/// Reads posts from the read model (removed ones are skipped).
async fn load(feed: &Feed, ids: &[u64]) -> Result<std::collections::HashMap<u64, Hydrated>, ApiError> {
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT p.id, p.author_id, p.summary, a.username, a.display_name FROM feed_posts p \
         LEFT JOIN feed_authors a ON a.id = p.author_id WHERE p.removed = FALSE AND p.id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id as i64);
    }
    let rows = query.fetch_all(feed.db.reader()).await?;
    let mut by_id = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let stored: Stored =
            serde_json::from_str(&row.try_get::<String, _>("summary")?).map_err(anyhow::Error::from)?;
        let id = row.try_get::<i64, _>("id")? as u64;
        let post = StreamPost {
            id: id.to_string(),
            author: Author {
                id: row.try_get("author_id")?,
                username: row.try_get("username")?,
                display_name: row.try_get("display_name")?,
            },
            text: stored.text,
            visibility: stored.visibility,
            tags: stored.tags,
            reply_to_id: stored.reply_to_id.map(|id| id.to_string()),
            reply_to_author_id: stored.reply_to_author_id,
            repost_of_id: stored.repost_of_id.map(|id| id.to_string()),
            media_ids: stored.media_ids,
            created_at: from_ms(stored.created_at_ms),
        };
        by_id.insert(id, std::sync::Arc::new(post));
    }
    Ok(by_id)
}
