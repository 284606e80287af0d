//! A user's own sessions: list them, revoke one (sign out elsewhere).

use std::sync::Arc;

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal,
    db::{from_ms, now_ms},
    http::{Json, Path, Problem},
};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Identity;

/// One signed-in device or client.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SessionView {
    id: Uuid,
    user_agent: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    last_used_at: time::OffsetDateTime,
    /// Whether this is the session of the token making the request.
    current: bool,
}

/// The caller's active sessions, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = Problem)))]
pub(super) async fn list(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let rows = sqlx::query(
        "SELECT id, user_agent, created_at_ms, last_used_at_ms FROM sessions \
         WHERE user_id = $1 AND revoked_at_ms IS NULL AND expires_at_ms > $2 ORDER BY created_at_ms DESC LIMIT 200",
    )
    .bind(principal.user_id.to_string())
    .bind(now_ms())
    .fetch_all(identity.db.reader())
    .await?;
    let sessions = rows
        .iter()
        .map(|row| {
            let id: Uuid = row.try_get::<String, _>("id")?.parse().map_err(anyhow::Error::from)?;
            Ok(SessionView {
                id,
                user_agent: row.try_get("user_agent")?,
                created_at: from_ms(row.try_get("created_at_ms")?),
                last_used_at: from_ms(row.try_get("last_used_at_ms")?),
                current: id == principal.session_id,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(sessions))
}

/// Revokes one of the caller's sessions; its refresh token stops working at once.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "identity", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem, description = "another user's session"),
        (status = 404, body = Problem)))]
pub(super) async fn revoke(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let owner = sqlx::query("SELECT user_id FROM sessions WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(identity.db.reader())
        .await?
        .ok_or_else(|| ApiError::not_found("no such session"))?;
    if owner.try_get::<String, _>("user_id")? != principal.user_id.to_string() {
        return Err(ApiError::forbidden("this session belongs to another user"));
    }
    sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
        .bind(now_ms())
        .bind(id.to_string())
        .execute(identity.db.writer())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
