//! The signed-in user's own account: read, edit, change the password, delete.

use std::sync::Arc;

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Principal,
    http::{ClientIp, FieldError, Json, Problem},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::users::UserView;
use crate::{
    Identity,
    domain::{
        IdentityError,
        accounts::{Actor, BIO_MAX_CHARS, ProfileChanges},
        fields::{DisplayName, NewPassword},
        password::{self, Verdict},
        throttle,
    },
    store::{media, sessions, throttle as counters, users},
};

/// The signed-in user's own account: the public profile plus private fields.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MeView {
    #[serde(flatten)]
    profile: UserView,
    email: String,
}

async fn load(identity: &Identity, principal: &Principal) -> Result<MeView, ApiError> {
    let account =
        users::active(&identity.store, &principal.user_id.to_string()).await?.ok_or(IdentityError::Inactive)?;
    Ok(MeView { email: account.email.clone(), profile: UserView::of(&account) })
}

/// The signed-in user's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = Problem)))]
pub(super) async fn show(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
) -> Result<Json<MeView>, ApiError> {
    Ok(Json(load(&identity, &principal).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfilePatch {
    #[schema(schema_with = super::schemas::optional_display_name)]
    display_name: Option<String>,
    #[schema(schema_with = super::schemas::optional_bio)]
    bio: Option<String>,
    /// An image you uploaded (`POST /api/v1/media`), which then is public (403 for any other);
    /// `null` removes the avatar.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[A-Za-z0-9-]{1,64}$")]
    avatar_media_id: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(de).map(Some)
}

/// Edits the signed-in user's profile; absent fields stay as they are.
#[utoipa::path(patch, path = "/api/v1/me", tag = "identity", security(("bearer" = [])), request_body = ProfilePatch,
    responses((status = 200, body = MeView), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`avatar_media_id` is not an image you uploaded"),
        (status = 422, body = Problem)))]
pub(super) async fn update(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Json(patch): Json<ProfilePatch>,
) -> Result<Json<MeView>, ApiError> {
    let mut errors = Vec::new();
    let display_name =
        patch.display_name.as_deref().map(DisplayName::parse).transpose().map_err(|e| errors.push(e)).ok();
    let bio = patch.bio.map(|b| b.trim().to_owned());
    if bio.as_ref().is_some_and(|b| b.chars().count() > BIO_MAX_CHARS) {
        errors.push(FieldError::new("bio", format!("must be at most {BIO_MAX_CHARS} characters")));
    }
    if let Some(Some(media)) = &patch.avatar_media_id
        && (media.is_empty() || media.len() > 64 || !media.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        errors.push(FieldError::new("avatar_media_id", "is not a media id"));
    }
    if !errors.is_empty() {
        return Err(IdentityError::Invalid(errors).into());
    }
    if let Some(Some(media)) = &patch.avatar_media_id
        && !media::is_image_of(&identity.store, media, principal.user_id).await?
    {
        return Err(IdentityError::NotYourImage.into());
    }
    let changes = ProfileChanges { display_name: display_name.flatten(), bio, avatar_media_id: patch.avatar_media_id };
    let actor = Actor { id: Some(principal.user_id), ip: &ip };
    users::update_profile(&identity.store, principal.user_id, changes, actor).await?;
    Ok(Json(load(&identity, &principal).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordChange {
    current_password: String,
    #[schema(schema_with = super::schemas::new_password)]
    new_password: String,
}

/// Changes the password. Every other session ends; this one stays signed in.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "identity", security(("bearer" = [])), request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`current_password` is not the current password"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many password attempts; see Retry-After")))]
pub(super) async fn change_password(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    client: ClientIp,
    Json(change): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let account =
        users::active(&identity.store, &principal.user_id.to_string()).await?.ok_or(IdentityError::Inactive)?;
    let own = [account.username.as_str(), account.email.as_str(), account.display_name.as_str()];
    let new =
        NewPassword::parse("new_password", &change.new_password, &own).map_err(|e| IdentityError::Invalid(vec![e]))?;
    check_password(&identity, &principal, &client, change.current_password, "current_password").await?;
    let hash = password::hash(new.expose().to_owned()).await?;
    let actor = Actor { id: Some(principal.user_id), ip: &client.0 };
    users::change_password(&identity.store, principal.user_id, &hash, Some(principal.session_id), actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct DeleteAccount {
    /// The current password, to confirm.
    password: String,
}

/// Deletes the signed-in user's account. Personal data is erased at once, and the user's posts
/// and connections are removed by the services that own them.
#[utoipa::path(delete, path = "/api/v1/me", tag = "identity", security(("bearer" = [])), request_body = DeleteAccount,
    responses((status = 204), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "`password` is not the current password"),
        (status = 429, body = Problem, description = "too many password attempts; see Retry-After")))]
pub(super) async fn delete(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    client: ClientIp,
    Json(confirm): Json<DeleteAccount>,
) -> Result<StatusCode, ApiError> {
    check_password(&identity, &principal, &client, confirm.password, "password").await?;
    users::delete(&identity.store, principal.user_id, Actor { id: Some(principal.user_id), ip: &client.0 }).await?;
    identity.verifier.set_revoked(principal.user_id, true);
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the caller's current password, throttled like sign-in and sharing its counters: a
/// stolen access token gets no more guesses at the password than a sign-in form.
async fn check_password(
    identity: &Identity,
    principal: &Principal,
    client: &ClientIp,
    given: String,
    field: &'static str,
) -> Result<(), ApiError> {
    let network = client.limit_key();
    let keys = throttle::Keys::new(&throttle::account_name(Some(principal.user_id), ""), &network);
    let known = sessions::signed_in_from(&identity.store, principal.user_id, &network).await?;
    counters::reserve(&identity.store, &keys, known).await?;
    let stored = users::password_hash(&identity.store, principal.user_id).await?;
    match password::verify(given, stored).await? {
        Verdict::Wrong => Err(IdentityError::WrongPassword { field }.into()),
        Verdict::Right | Verdict::RightNeedsRehash => Ok(counters::succeeded(&identity.store, &keys).await?),
    }
}
