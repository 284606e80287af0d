//! `Idempotency-Key` for requests that create things: the first response is stored with the key,
//! in the same transaction as what it created, and a retry with the same key gets that response
//! again instead of a second post. A key reused for a different request is an error.

use axum::http::{HeaderMap, StatusCode};
use platform::{ApiError, Principal, StoreError, db::now_ms};
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};

use crate::Content;

pub const HEADER: &str = "idempotency-key";

/// The key of a request, validated: 1 to 255 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(HEADER) else { return Ok(None) };
    let key = value.to_str().ok().filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    key.map(|k| Some(k.to_owned()))
        .ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters"))
}

/// A digest of what was asked, to tell a retry from a different request under the same key.
pub fn fingerprint(body: &impl serde::Serialize) -> String {
    let json = serde_json::to_vec(body).expect("request serializes");
    Sha256::digest(json).iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored response for `key`, if the user made this request before.
pub async fn replay(
    content: &Content,
    user: &Principal,
    key: &str,
    fingerprint: &str,
) -> Result<Option<(StatusCode, serde_json::Value)>, ApiError> {
    let row = sqlx::query("SELECT fingerprint, status, body FROM idempotency_keys WHERE user_id = $1 AND key = $2")
        .bind(user.user_id.to_string())
        .bind(key)
        .fetch_optional(content.db.writer())
        .await?;
    let Some(row) = row else { return Ok(None) };
    if row.try_get::<String, _>("fingerprint")? != fingerprint {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "this Idempotency-Key was used for a different request",
        ));
    }
    let status = StatusCode::from_u16(row.try_get::<i64, _>("status")? as u16).unwrap_or(StatusCode::OK);
    let body = serde_json::from_str(&row.try_get::<String, _>("body")?).map_err(anyhow::Error::from)?;
    Ok(Some((status, body)))
}

/// Stores the response in `tx`. A concurrent twin that committed first makes this fail with
/// a conflict; the caller then rolls back and replays the twin's response.
pub async fn remember(
    tx: &mut Transaction<'static, Any>,
    user: &Principal,
    key: &str,
    fingerprint: &str,
    status: StatusCode,
    body: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, fingerprint, status, body, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.user_id.to_string())
    .bind(key)
    .bind(fingerprint)
    .bind(i64::from(status.as_u16()))
    .bind(body.to_string())
    .bind(now_ms())
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}
