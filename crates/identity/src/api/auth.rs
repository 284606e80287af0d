//! Registration, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use platform::{
    ApiError, Principal, Role,
    http::{ClientIp, Json, Problem},
    mail::Mail,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::users::UserView;
use crate::{
    Identity,
    domain::{
        IdentityError,
        accounts::{Account, NewAccount, Status},
        audit::{Action, Entry},
        fields::{DisplayName, Email, NewPassword, Username},
        password::{self, Verdict},
        registration, throttle, tokens,
    },
    store::{audit, registrations, sessions, throttle as counters, users},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterRequest {
    #[schema(schema_with = super::schemas::username)]
    username: String,
    #[schema(schema_with = super::schemas::email)]
    email: String,
    #[schema(schema_with = super::schemas::optional_display_name)]
    display_name: Option<String>,
    #[schema(schema_with = super::schemas::new_password)]
    password: String,
}

/// What registration answers while the address waits for its confirmation, the same whether or
/// not an account has it.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PendingView {
    username: String,
    email: String,
    /// Until when the emailed link works (and the username is held).
    #[serde(with = "time::serde::rfc3339")]
    expires_at: time::OffsetDateTime,
    detail: String,
}

/// Registers. With `auth.confirm_email` (the default) the account is made once its owner follows
/// the link mailed to `email` (see `POST /auth/confirm`): the answer is 202, the same whether or
/// not the address has an account already (its owner is told by mail instead), so registration
/// tells nobody which addresses are registered. Without it, the account is made at once (201) and
/// a taken address is a 409. A username is checked before anything else and is a 409 when an
/// account or a pending registration holds it.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 202, body = PendingView, description = "check your mail to finish"),
        (status = 201, body = UserView, description = "made at once (`auth.confirm_email = false`)"),
        (status = 409, body = Problem, description = "username taken (or, without confirmation, email taken)"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many registrations from this address; see Retry-After")))]
pub(super) async fn register(
    State(identity): State<Arc<Identity>>,
    client: ClientIp,
    Json(request): Json<RegisterRequest>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let store = &identity.store;
    let mut errors = Vec::new();
    let username = Username::parse(&request.username).map_err(|e| errors.push(e)).ok();
    let email = Email::parse(&request.email).map_err(|e| errors.push(e)).ok();
    let display_name = DisplayName::parse(request.display_name.as_deref().unwrap_or(&request.username))
        .map_err(|e| errors.push(e))
        .ok();
    let own = [request.username.as_str(), request.email.as_str(), request.display_name.as_deref().unwrap_or("")];
    let password = NewPassword::parse("password", &request.password, &own).map_err(|e| errors.push(e)).ok();
    let (Some(username), Some(email), Some(display_name), Some(password)) = (username, email, display_name, password)
    else {
        return Err(IdentityError::Invalid(errors).into());
    };
    counters::count_registration(store, &client.limit_key(), identity.config.auth.registrations_per_address_per_hour)
        .await?;
    // Cheap checks first: a taken username costs no password hash.
    if registrations::username_taken(store, &username).await? {
        return Err(IdentityError::UsernameTaken.into());
    }
    let taken = registrations::email_registered(store, &email).await?;
    if taken && !identity.config.auth.confirm_email {
        return Err(IdentityError::EmailTaken.into());
    }
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = NewAccount { username, email, display_name, password_hash, role: Role::User };
    if !identity.config.auth.confirm_email {
        let id = users::create(store, account, None).await?;
        let account = users::by_id(store, id).await?.ok_or(IdentityError::NoSuchUser)?;
        return Ok((StatusCode::CREATED, Json(UserView::of(&account))).into_response());
    }
    let public_url = &identity.config.public_url;
    let (letter, token_hash) = if taken {
        (registration::already_registered(public_url, &account.email), None)
    } else {
        let (token, hash) = tokens::secret_token();
        (registration::confirmation(public_url, &account.username, &token), Some(hash))
    };
    registrations::hold(store, &account, token_hash.as_deref()).await?;
    let pending = PendingView {
        username: account.username.as_str().to_owned(),
        email: account.email.as_str().to_owned(),
        expires_at: platform::db::from_ms(platform::db::now_ms() + registration::PENDING_FOR_MS),
        detail: format!("we sent a link to {}; follow it within 24 hours to finish", account.email.as_str()),
    };
    // Sent after the answer, so that how long a mail server takes tells nothing either.
    let mail = Mail { to: account.email.as_str().to_owned(), subject: letter.subject, text: letter.text };
    let mailer = identity.mailer.clone();
    tokio::spawn(async move {
        if let Err(err) = mailer.send(mail).await {
            tracing::error!(error = format!("{err:#}"), "registration mail not sent");
        }
    });
    Ok((StatusCode::ACCEPTED, Json(pending)).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ConfirmRequest {
    /// The token from the registration mail.
    token: String,
}

/// Confirms a registration with the token mailed to its address: the account is made, and can
/// sign in.
#[utoipa::path(post, path = "/api/v1/auth/confirm", tag = "identity", request_body = ConfirmRequest,
    responses((status = 201, body = UserView),
        (status = 409, body = Problem, description = "the address was registered meanwhile"),
        (status = 404, body = Problem, description = "no such confirmation: wrong, used or expired")))]
pub(super) async fn confirm(
    State(identity): State<Arc<Identity>>,
    Json(request): Json<ConfirmRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let id = registrations::confirm(&identity.store, &tokens::hash_secret_token(request.token.trim())).await?;
    let account = users::by_id(&identity.store, id).await?.ok_or(IdentityError::NoSuchUser)?;
    Ok((StatusCode::CREATED, Json(UserView::of(&account))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    /// Username or email address.
    login: String,
    password: String,
}

/// A fresh pair of tokens.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TokenResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    access_token: String,
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
    /// Single use: exchange it at `/auth/refresh` for a new pair.
    refresh_token: String,
    session_id: Uuid,
    user: UserView,
}

impl TokenResponse {
    fn new(identity: &Identity, account: &Account, session_id: Uuid, refresh_token: String) -> Result<Self, ApiError> {
        let (access_token, expires_in) =
            tokens::access_token(&identity.keys, &identity.config, account.id, session_id, account.role)?;
        Ok(Self {
            access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token,
            session_id,
            user: UserView::of(account),
        })
    }
}

/// Signs in with a username or email and a password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "wrong login or password (the same answer for both)"),
        (status = 403, body = Problem, description = "account suspended, or its address not confirmed yet"),
        (status = 422, body = Problem),
        (status = 429, body = Problem, description = "too many attempts for this account or from this address; see Retry-After")))]
pub(super) async fn login(
    State(identity): State<Arc<Identity>>,
    client: ClientIp,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let store = &identity.store;
    if request.login.len() > 254 || request.password.chars().count() > 128 {
        return Err(IdentityError::WrongCredentials.into());
    }
    let (ip, network) = (&client.0, client.limit_key());
    let found = users::by_login(store, &request.login).await?;
    // A pending registration signs in by its username only (see `domain::registration`).
    let pending = match &found {
        None => registrations::pending_hash(store, &request.login).await?,
        Some(_) => None,
    };
    let account_id = found.as_ref().map(|(account, _)| account.id);
    let keys = throttle::Keys::new(&throttle::account_name(account_id, &request.login), &network);
    let known = match account_id {
        Some(id) => sessions::signed_in_from(store, id, &network).await?,
        None => false,
    };
    // Counted before the verification, so that parallel guesses cannot outrun the count.
    let counted = counters::reserve(store, &keys, known).await?;
    // Verify even when there is no such account, so timing does not reveal which logins exist.
    let stored = found.as_ref().map(|(_, hash)| hash.clone()).or_else(|| pending.clone());
    let verdict = password::verify(request.password.clone(), stored).await?;
    if pending.is_some() && verdict != Verdict::Wrong {
        return Err(IdentityError::Unconfirmed.into());
    }
    let (Some((account, _)), Verdict::Right | Verdict::RightNeedsRehash) = (&found, verdict) else {
        let detail = json!({ "login": request.login.chars().take(64).collect::<String>() });
        // The failure that uses up this address's attempts at the account is worth telling apart.
        let last = counted.pair.attempts == throttle::PAIR_LIMIT;
        let action = if last { Action::SignInLocked } else { Action::SignInFailed };
        let entry = Entry { action, actor: None, target: account_id, ip, detail };
        audit::record_alone(store, entry).await?;
        return Err(IdentityError::WrongCredentials.into());
    };
    counters::succeeded(store, &keys).await?;
    if account.status != Status::Active {
        return Err(IdentityError::Suspended.into());
    }
    if verdict == Verdict::RightNeedsRehash {
        users::rehash(store, account.id, &password::hash(request.password).await?).await?;
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (refresh_token, refresh_hash) = tokens::secret_token();
    let session_id = sessions::open(store, account.id, user_agent, &refresh_hash, ip, &network).await?;
    Ok(Json(TokenResponse::new(&identity, account, session_id, refresh_token)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RefreshRequest {
    refresh_token: String,
}

/// Exchanges a refresh token for a new pair. Each refresh token works once; presenting a used
/// one again (after a few seconds' grace for retries) revokes the whole session, since it means
/// the token was copied.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "identity", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem)))]
pub(super) async fn refresh(
    State(identity): State<Arc<Identity>>,
    Json(request): Json<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let presented = tokens::hash_secret_token(&request.refresh_token);
    let (refresh_token, next) = tokens::secret_token();
    let grace_ms = identity.config.auth.refresh_reuse_grace_secs as i64 * 1000;
    let (session_id, user) = sessions::refresh(&identity.store, &presented, &next, grace_ms).await?;
    let account = users::by_id(&identity.store, user).await?.ok_or(IdentityError::InvalidRefreshToken)?;
    Ok(Json(TokenResponse::new(&identity, &account, session_id, refresh_token)?))
}

/// Ends the current session: its refresh token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub(super) async fn logout(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    sessions::revoke(&identity.store, principal.user_id, principal.session_id).await?;
    identity.verifier.end_session(principal.session_id);
    Ok(StatusCode::NO_CONTENT)
}
