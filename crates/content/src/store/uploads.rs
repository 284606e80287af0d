//! `uploads`: resumable (tus) uploads in progress. The received bytes live in
//! `<data_dir>/uploads/<id>`; that file's length is the offset.

use platform::db::now_ms;
use sqlx::Row;

use super::Store;
use crate::domain::{ContentError, media::Claims};

/// An upload as recorded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub owner_id: String,
    pub length: u64,
    pub claims: Claims,
    /// The media it became, once complete.
    pub media_id: Option<String>,
}

pub async fn create(store: &Store, id: &str, owner: &str, length: u64, claims: &Claims) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO uploads (id, owner_id, length, filename, filetype, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(owner)
    .bind(length as i64)
    .bind(&claims.filename)
    .bind(&claims.content_type)
    .bind(now_ms())
    .execute(store.db().writer())
    .await?;
    Ok(())
}

pub async fn get(store: &Store, id: &str) -> Result<Option<Upload>, ContentError> {
    let row = sqlx::query("SELECT owner_id, length, filename, filetype, media_id FROM uploads WHERE id = $1")
        .bind(id)
        .fetch_optional(store.db().reader())
        .await?;
    row.map(|row| {
        Ok(Upload {
            owner_id: row.try_get("owner_id")?,
            length: row.try_get::<i64, _>("length")? as u64,
            claims: Claims { filename: row.try_get("filename")?, content_type: row.try_get("filetype")? },
            media_id: row.try_get("media_id")?,
        })
    })
    .transpose()
}

pub async fn completed(store: &Store, id: &str, media_id: &str) -> Result<(), ContentError> {
    sqlx::query("UPDATE uploads SET media_id = $1 WHERE id = $2")
        .bind(media_id)
        .bind(id)
        .execute(store.db().writer())
        .await?;
    Ok(())
}

pub async fn delete(store: &Store, id: &str) -> Result<(), ContentError> {
    sqlx::query("DELETE FROM uploads WHERE id = $1").bind(id).execute(store.db().writer()).await?;
    Ok(())
}

/// Uploads started before `cutoff` (unix ms), up to `limit`.
pub async fn started_before(store: &Store, cutoff: i64, limit: i64) -> Result<Vec<String>, ContentError> {
    let rows = sqlx::query("SELECT id FROM uploads WHERE created_at_ms < $1 LIMIT $2")
        .bind(cutoff)
        .bind(limit)
        .fetch_all(store.db().reader())
        .await?;
    rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
}
