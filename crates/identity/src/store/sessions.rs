//! `sessions` and `refresh_tokens`: who is signed in where, and the rotating refresh tokens.

use contracts::identity::{IdentityEvent, SessionRef};
use platform::{
    Change,
    db::{RowExt, now_ms},
};
use serde_json::json;
use sqlx::Row;
use uuid::Uuid;

use super::{Store, audit};
use crate::domain::{
    IdentityError,
    accounts::{SESSION_TTL_MS, Status},
    audit::{Action, Entry},
    tokens::Refresh,
};

/// A session as its user sees it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_agent: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: i64,
}

/// Opens a session for `user` with its first refresh token (stored hashed), auditing the
/// sign-in. `network` is the address it signed in from as the throttle counts it (an IPv6
/// address by its /64), remembered so that the account's own addresses are known later. Returns
/// the session id.
pub async fn open(
    store: &Store,
    user: Uuid,
    user_agent: &str,
    refresh_hash: &str,
    ip: &str,
    network: &str,
) -> Result<Uuid, IdentityError> {
    let session_id = Uuid::now_v7();
    let now = now_ms();
    let mut change = store.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, user_agent, ip, created_at_ms, last_used_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)",
    )
    .bind(session_id.to_string())
    .bind(user.to_string())
    .bind(user_agent.chars().take(256).collect::<String>())
    .bind(network)
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(change.conn())
    .await?;
    let detail = json!({ "session_id": session_id });
    audit::record(&mut change, Entry { action: Action::SignIn, actor: Some(user), target: Some(user), ip, detail })
        .await?;
    insert_refresh_token(&mut change, refresh_hash, session_id, now).await?;
    change.commit().await?;
    Ok(session_id)
}

/// Whether `user` signed in from `network` (see [`open`]) in the last 90 days.
pub async fn signed_in_from(store: &Store, user: Uuid, network: &str) -> Result<bool, IdentityError> {
    if network.is_empty() {
        return Ok(false);
    }
    let row = sqlx::query("SELECT 1 FROM sessions WHERE user_id = $1 AND ip = $2 AND created_at_ms > $3 LIMIT 1")
        .bind(user.to_string())
        .bind(network)
        .bind(now_ms() - 90 * 86_400_000)
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}

async fn insert_refresh_token(change: &mut Change, hash: &str, session: Uuid, now: i64) -> Result<(), IdentityError> {
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, issued_at_ms) VALUES ($1, $2, $3)")
        .bind(hash)
        .bind(session.to_string())
        .bind(now)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Exchanges the refresh token with hash `presented` for `next` (a new token's hash), by the
/// rule of [`Refresh`]: a token reused after the grace period revokes its session; the user must
/// still be active. Returns the session and its user.
pub async fn refresh(
    store: &Store,
    presented: &str,
    next: &str,
    reuse_grace_ms: i64,
) -> Result<(Uuid, Uuid), IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    let row = sqlx::query(
        "SELECT r.session_id, r.used_at_ms, s.user_id, s.expires_at_ms, s.revoked_at_ms, u.status \
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id JOIN users u ON u.id = s.user_id \
         WHERE r.token_hash = $1",
    )
    .bind(presented)
    .fetch_optional(change.conn())
    .await?
    .ok_or(IdentityError::InvalidRefreshToken)?;
    let session_id = row.uuid("session_id")?;
    let used_at: Option<i64> = row.try_get("used_at_ms")?;
    let revoked = row.try_get::<Option<i64>, _>("revoked_at_ms")?.is_some();
    let expires_at: i64 = row.try_get("expires_at_ms")?;
    match Refresh::decide(used_at, revoked, expires_at, now, reuse_grace_ms) {
        Refresh::Refused => return Err(IdentityError::InvalidRefreshToken),
        Refresh::Stolen => {
            revoke_in(&mut change, row.uuid("user_id")?, session_id, now).await?;
            change.commit().await?;
            tracing::warn!(session = %session_id, "refresh token reused; session revoked");
            return Err(IdentityError::InvalidRefreshToken);
        }
        Refresh::Rotate | Refresh::Retry => {}
    }
    if Status::parse(&row.try_get::<String, _>("status")?) != Status::Active {
        return Err(IdentityError::InvalidRefreshToken);
    }
    let user = row.uuid("user_id")?;
    if used_at.is_none() {
        sqlx::query("UPDATE refresh_tokens SET used_at_ms = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(presented)
            .execute(change.conn())
            .await?;
    }
    insert_refresh_token(&mut change, next, session_id, now).await?;
    sqlx::query("UPDATE sessions SET last_used_at_ms = $1, expires_at_ms = $2 WHERE id = $3")
        .bind(now)
        .bind(now + SESSION_TTL_MS)
        .bind(session_id.to_string())
        .execute(change.conn())
        .await?;
    change.commit().await?;
    Ok((session_id, user))
}

/// Ends `user`'s `session` inside `change`, with its event (every process then refuses the
/// session's access tokens).
async fn revoke_in(change: &mut Change, user: Uuid, session: Uuid, now: i64) -> Result<(), IdentityError> {
    let ended = sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
        .bind(now)
        .bind(session.to_string())
        .execute(change.conn())
        .await?
        .rows_affected();
    if ended == 1 {
        change.emit(&IdentityEvent::SessionEnded(SessionRef { user_id: user, session_id: session })).await?;
    }
    Ok(())
}

/// Ends one of `user`'s sessions: its refresh token and its access tokens stop working.
pub async fn revoke(store: &Store, user: Uuid, session: Uuid) -> Result<(), IdentityError> {
    let mut change = store.begin().await?;
    revoke_in(&mut change, user, session, now_ms()).await?;
    Ok(change.commit().await?)
}

/// Ends every session of `user` but `keep`, inside `change`; returns how many ended.
pub async fn end_all(change: &mut Change, user: Uuid, keep: Option<Uuid>, now: i64) -> Result<u64, IdentityError> {
    let rows = sqlx::query("SELECT id FROM sessions WHERE user_id = $1 AND revoked_at_ms IS NULL AND id <> $2")
        .bind(user.to_string())
        .bind(keep.map(|s| s.to_string()).unwrap_or_default())
        .fetch_all(change.conn())
        .await?;
    for row in &rows {
        revoke_in(change, user, row.uuid("id")?, now).await?;
    }
    Ok(rows.len() as u64)
}

/// Sessions ended after `since` (unix ms) whose access tokens may not have expired yet.
pub async fn ended_since(store: &Store, since: i64) -> Result<Vec<Uuid>, IdentityError> {
    let rows = sqlx::query("SELECT id FROM sessions WHERE revoked_at_ms > $1")
        .bind(since)
        .fetch_all(store.db().reader())
        .await?;
    Ok(rows.iter().map(|row| row.uuid("id")).collect::<Result<_, _>>()?)
}

/// The user's active sessions, newest first.
pub async fn active(store: &Store, user: Uuid) -> Result<Vec<SessionRow>, IdentityError> {
    let rows = sqlx::query(
        "SELECT id, user_agent, created_at_ms, last_used_at_ms FROM sessions \
         WHERE user_id = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2 ORDER BY created_at_ms DESC LIMIT 200",
    )
    .bind(user.to_string())
    .bind(now_ms())
    .fetch_all(store.db().reader())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SessionRow {
                id: row.uuid("id")?,
                user_agent: row.try_get("user_agent")?,
                created_at_ms: row.try_get("created_at_ms")?,
                last_used_at_ms: row.try_get("last_used_at_ms")?,
            })
        })
        .collect()
}

/// Whose session `id` is.
pub async fn owner(store: &Store, id: Uuid) -> Result<Option<Uuid>, IdentityError> {
    let row = sqlx::query("SELECT user_id FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|row| row.uuid("user_id")).transpose()?)
}
