//! A user's own sessions: list them, revoke one (sign out elsewhere).

use std::sync::Arc;

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal,
    db::from_ms,
    http::{Json, Path, Problem},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Identity, domain::IdentityError, store::sessions};

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
    let rows = sessions::active(&identity.store, principal.user_id).await?;
    let sessions = rows
        .into_iter()
        .map(|row| SessionView {
            current: row.id == principal.session_id,
            id: row.id,
            user_agent: row.user_agent,
            created_at: from_ms(row.created_at_ms),
            last_used_at: from_ms(row.last_used_at_ms),
        })
        .collect();
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
    let owner = sessions::owner(&identity.store, id).await?.ok_or(IdentityError::NoSuchSession)?;
    if owner != principal.user_id {
        return Err(IdentityError::NotYourSession.into());
    }
    sessions::revoke(&identity.store, owner, id).await?;
    identity.verifier.end_session(id);
    Ok(StatusCode::NO_CONTENT)
}
