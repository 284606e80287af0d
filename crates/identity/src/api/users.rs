//! Profiles: `GET /me` and `GET /users/{id_or_name}`.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError,
    db::from_ms,
    http::{Json, Path, Problem},
};
use serde::Serialize;
use sqlx::{Row, any::AnyRow};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::Identity;

/// A user's public profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_media_id: Option<String>,
    pub role: platform::Role,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

pub(crate) const USER_COLUMNS: &str =
    "id, username, email, display_name, bio, avatar_media_id, role, status, created_at_ms, password_hash";

impl UserView {
    pub(crate) fn from_row(row: &AnyRow) -> Result<Self, ApiError> {
        let role: String = row.try_get("role")?;
        Ok(Self {
            id: row.try_get::<String, _>("id")?.parse().map_err(anyhow::Error::from)?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            bio: row.try_get("bio")?,
            avatar_media_id: row.try_get("avatar_media_id")?,
            role: platform::Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?,
            created_at: from_ms(row.try_get("created_at_ms")?),
        })
    }
}

/// A user's public profile, by id or by username (case-insensitive).
#[utoipa::path(get, path = "/api/v1/users/{id_or_name}", tag = "identity",
    params(("id_or_name" = String, Path, description = "User id (UUID) or username")),
    responses((status = 200, body = UserView), (status = 404, body = Problem)))]
pub(super) async fn show(
    State(identity): State<Arc<Identity>>,
    Path(id_or_name): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let (column, key) = match Uuid::parse_str(&id_or_name) {
        Ok(id) => ("id", id.to_string()),
        Err(_) => ("username_key", id_or_name.to_ascii_lowercase()),
    };
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1 AND status = 'active'"))
        .bind(key)
        .fetch_optional(identity.db.reader())
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(Json(UserView::from_row(&row)?))
}
