//! `known_media`: uploads, from content's events.

use platform::Change;
use uuid::Uuid;

use super::Store;
use crate::domain::IdentityError;

pub async fn record(change: &mut Change, id: &str, owner: Uuid, kind: &str) -> Result<(), IdentityError> {
    sqlx::query("INSERT INTO known_media (id, owner_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(owner.to_string())
        .bind(kind)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Whether `id` is an image `owner` uploaded.
pub async fn is_image_of(store: &Store, id: &str, owner: Uuid) -> Result<bool, IdentityError> {
    let row = sqlx::query("SELECT 1 FROM known_media WHERE id = $1 AND owner_id = $2 AND kind = 'image'")
        .bind(id)
        .bind(owner.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}
