//! `idempotency_keys`: the first response to a create request with an `Idempotency-Key`, stored
//! in the same transaction as what it created, so a retry gets that response again instead of a
//! second post. A key reused for a different request is an error.

use platform::{Change, db::now_ms};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::ContentError;

/// The stored response (status and body) for `key`, if the user made this request before.
pub async fn replay(
    store: &Store,
    user: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Option<(u16, serde_json::Value)>, ContentError> {
    let row = sqlx::query("SELECT fingerprint, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2")
        .bind(user.to_string())
        .bind(key)
        .fetch_optional(store.db().writer())
        .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<String, _>("fingerprint")? != fingerprint {
        return Err(ContentError::IdempotencyKeyReused);
    }
    let status = row.try_get::<i64, _>("status")? as u16;
    let body = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(anyhow::Error::from)?;
    Ok(Some((status, body)))
}

/// Stores the response in `change`. A concurrent twin that committed first makes this fail with
/// a conflict; the caller then rolls back and replays the twin's response.
pub async fn remember(
    change: &mut Change,
    user: Uuid,
    key: &str,
    fingerprint: &str,
    status: u16,
    body: &serde_json::Value,
) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.to_string())
    .bind(key)
    .bind(fingerprint)
    .bind(i64::from(status))
    .bind(body.to_string())
    .bind(now_ms())
    .execute(change.conn())
    .await?;
    Ok(())
}

/// How long a stored response answers retries of its key: far longer than any client retries.
pub const KEEP_MS: i64 = 24 * 3600 * 1000;

/// Forgets responses older than [`KEEP_MS`]; returns how many.
pub async fn expire(store: &Store) -> Result<u64, ContentError> {
    let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at_ms < $1")
        .bind(now_ms() - KEEP_MS)
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected())
}
