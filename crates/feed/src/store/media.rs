//! `feed_media`: the type and size of media, from content's media events, so a feed can
//! describe a post's enclosures without asking content.

use std::collections::HashMap;

use contracts::content::MediaRef;
use platform::Change;
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::FeedError;

/// Records an uploaded medium (an event from before types were sent records nothing: its
/// enclosure is left out).
pub async fn uploaded(change: &mut Change, media: &MediaRef) -> Result<(), FeedError> {
    let (Some(mime), Some(size)) = (&media.mime, media.size) else { return Ok(()) };
    sqlx::query(
        "INSERT INTO feed_media (id, owner_id, mime, size) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET mime = $3, size = $4",
    )
    .bind(&media.id)
    .bind(media.owner_id.to_string())
    .bind(mime)
    .bind(size)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// A deleted account's media go with it.
pub async fn forget_owner(change: &mut Change, owner: Uuid) -> Result<(), FeedError> {
    sqlx::query("DELETE FROM feed_media WHERE owner_id = $1").bind(owner.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// The type and size of each of `ids` the feed knows.
pub async fn described(store: &Store, ids: &[&str]) -> Result<HashMap<String, (String, i64)>, FeedError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql =
        format!("SELECT id, mime, size FROM feed_media WHERE id IN ({})", platform::db::placeholders(1, ids.len()));
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, (r.try_get("mime")?, r.try_get("size")?))))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(FeedError::from)
}
