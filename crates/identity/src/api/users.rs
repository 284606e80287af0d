//! Profiles: `GET /users/{id_or_name}`, and how a profile is shown everywhere.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError,
    db::from_ms,
    http::{Json, Path, Problem},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Identity, domain::accounts::Account, store::users};

/// A user's public profile.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_media_id: Option<String>,
    pub role: platform::Role,
    /// `source`: a feed or website the crawler follows; its posts are the source's entries.
    pub kind: contracts::AccountKind,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

impl UserView {
    pub(super) fn of(account: &Account) -> Self {
        Self {
            id: account.id,
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            bio: account.bio.clone(),
            avatar_media_id: account.avatar_media_id.clone(),
            role: account.role,
            kind: account.kind,
            created_at: from_ms(account.created_at_ms),
        }
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
    let account =
        users::active(&identity.store, &id_or_name).await?.ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(Json(UserView::of(&account)))
}
