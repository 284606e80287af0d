//! `entries`: what was seen of each source, keyed as `ParsedEntry::key` says, so that an entry
//! seen again is recognised and one whose content changed is an edit.

use std::collections::{HashMap, HashSet};

use platform::{
    Change,
    db::{RowExt, now_ms, placeholders},
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use uuid::Uuid;

use super::Store;
use crate::domain::{CrawlerError, parse::ParsedEntry, source_url};

/// An entry seen before.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: Uuid,
    pub content_hash: String,
    pub posted: bool,
}

/// The rows of `keys` that `source` has seen.
async fn by_keys(conn: &mut AnyConnection, source: Uuid, keys: &[String]) -> Result<Vec<AnyRow>, CrawlerError> {
    let mut rows = Vec::new();
    for chunk in keys.chunks(400) {
        let sql = format!(
            "SELECT id, entry_key, content_hash, posted_at_ms FROM entries WHERE source_id = $1 AND entry_key IN ({})",
            placeholders(2, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(source.to_string());
        for key in chunk {
            query = query.bind(key);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// Which of `keys` `source` has seen.
pub async fn seen_in(
    change: &mut Change,
    source: Uuid,
    keys: &[String],
) -> Result<HashMap<String, Seen>, CrawlerError> {
    let mut seen = HashMap::new();
    for row in by_keys(change.conn(), source, keys).await? {
        let posted = row.try_get::<Option<i64>, _>("posted_at_ms")?.is_some();
        let entry = Seen { id: row.uuid("id")?, content_hash: row.try_get("content_hash")?, posted };
        seen.insert(row.try_get("entry_key")?, entry);
    }
    Ok(seen)
}

/// Which of `keys` `source` has seen, read outside any change (a site's pages to skip).
pub async fn known(store: &Store, source: Uuid, keys: &[String]) -> Result<HashSet<String>, CrawlerError> {
    let mut conn = store.db().reader().acquire().await?;
    by_keys(&mut conn, source, keys).await?.iter().map(|row| Ok(row.try_get("entry_key")?)).collect()
}

/// The earliest posted entry of another source than `source` with the canonical URL `url`:
/// the same article, already a post.
pub async fn posted_elsewhere_in(change: &mut Change, source: Uuid, url: &str) -> Result<Option<Uuid>, CrawlerError> {
    let row = sqlx::query(
        "SELECT id FROM entries WHERE canonical_url = $1 AND source_id <> $2 AND posted_at_ms IS NOT NULL \
         ORDER BY posted_at_ms, id LIMIT 1",
    )
    .bind(url)
    .bind(source.to_string())
    .fetch_optional(change.conn())
    .await?;
    Ok(row.map(|r| r.uuid("id")).transpose()?)
}

/// Records a new entry; `posted` when it is published as a post.
pub async fn insert_in(
    change: &mut Change,
    source: Uuid,
    entry: &ParsedEntry,
    posted: bool,
) -> Result<Uuid, CrawlerError> {
    let id = Uuid::now_v7();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO entries (id, source_id, entry_key, url, canonical_url, title, summary, html, content_hash, \
         published_at_ms, fetched_at_ms, posted_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id.to_string())
    .bind(source.to_string())
    .bind(entry.key())
    .bind(entry.url.as_ref().map(url::Url::as_str))
    .bind(entry.url.as_ref().map(source_url::canonical))
    .bind(&entry.title)
    .bind(&entry.summary)
    .bind(&entry.html)
    .bind(entry.content_hash())
    .bind(entry.published_at_ms)
    .bind(now)
    .bind(posted.then_some(now))
    .execute(change.conn())
    .await?;
    Ok(id)
}

/// Stores a changed entry's new content.
pub async fn update_in(change: &mut Change, id: Uuid, entry: &ParsedEntry) -> Result<(), CrawlerError> {
    sqlx::query(
        "UPDATE entries SET url = $1, canonical_url = $2, title = $3, summary = $4, html = $5, content_hash = $6 \
         WHERE id = $7",
    )
    .bind(entry.url.as_ref().map(url::Url::as_str))
    .bind(entry.url.as_ref().map(source_url::canonical))
    .bind(&entry.title)
    .bind(&entry.summary)
    .bind(&entry.html)
    .bind(entry.content_hash())
    .bind(id.to_string())
    .execute(change.conn())
    .await?;
    Ok(())
}

/// How many entries `source` gained since `since_ms` (its publishing rate, for the schedule).
pub async fn count_since_in(change: &mut Change, source: Uuid, since_ms: i64) -> Result<u32, CrawlerError> {
    let row =
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM entries WHERE source_id = $1 AND fetched_at_ms >= $2")
            .bind(source.to_string())
            .bind(since_ms)
            .fetch_one(change.conn())
            .await?;
    Ok(u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX))
}
