//! Registration, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use platform::{
    ApiError, Principal, Role,
    http::{ClientIp, Json, Problem},
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
        throttle, tokens,
    },
    store::{audit, sessions, throttle as counters, users},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterRequest {
    /// 3 to 30 ASCII letters, digits or underscores, starting with a letter; unique without
    /// regard to case; reserved names (admin, root, support, ...) are refused.
    username: String,
    email: String,
    /// 1 to 50 characters; defaults to the username.
    display_name: Option<String>,
    /// 8 to 128 characters, no composition rules; common passwords are refused.
    password: String,
}

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 201, body = UserView), (status = 409, body = Problem, description = "username or email taken"),
        (status = 422, body = Problem)))]
pub(super) async fn register(
    State(identity): State<Arc<Identity>>,
    Json(request): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    let mut errors = Vec::new();
    let username = Username::parse(&request.username).map_err(|e| errors.push(e)).ok();
    let email = Email::parse(&request.email).map_err(|e| errors.push(e)).ok();
    let display_name = DisplayName::parse(request.display_name.as_deref().unwrap_or(&request.username))
        .map_err(|e| errors.push(e))
        .ok();
    let password = NewPassword::parse("password", &request.password).map_err(|e| errors.push(e)).ok();
    let (Some(username), Some(email), Some(display_name), Some(password)) = (username, email, display_name, password)
    else {
        return Err(IdentityError::Invalid(errors).into());
    };
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = NewAccount { username, email, display_name, password_hash, role: Role::User };
    let id = users::create(&identity.store, account, None).await?;
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
        (status = 403, body = Problem, description = "account suspended"),
        (status = 429, body = Problem, description = "too many failed attempts for this login or address; see Retry-After")))]
pub(super) async fn login(
    State(identity): State<Arc<Identity>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(request): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let store = &identity.store;
    let account_key = throttle::account_key(&request.login);
    let address_key = throttle::address_key(&ip);
    if let Some(wait_ms) = counters::locked_for(store, &[account_key.clone(), address_key.clone()]).await? {
        return Err(IdentityError::Locked { wait_ms }.into());
    }
    if request.login.len() > 254 || request.password.chars().count() > 128 {
        return Err(IdentityError::WrongCredentials.into());
    }
    let found = users::by_login(store, &request.login).await?;
    // Verify even when there is no such account, so timing does not reveal which logins exist.
    let verdict = password::verify(request.password.clone(), found.as_ref().map(|(_, hash)| hash.clone())).await?;
    let (Some((account, _)), Verdict::Right | Verdict::RightNeedsRehash) = (&found, verdict) else {
        let keys = [(account_key, throttle::ACCOUNT_LIMIT), (address_key, throttle::ADDRESS_LIMIT)];
        let now_locked = counters::record_failure(store, &keys).await?;
        let action = if now_locked { Action::SignInLocked } else { Action::SignInFailed };
        let detail = json!({ "login": request.login.chars().take(64).collect::<String>() });
        let target = found.as_ref().map(|(a, _)| a.id);
        audit::record_alone(store, Entry { action, actor: None, target, ip: &ip, detail }).await?;
        return Err(IdentityError::WrongCredentials.into());
    };
    if account.status != Status::Active {
        return Err(IdentityError::Suspended.into());
    }
    counters::clear(store, &account_key).await?;
    if verdict == Verdict::RightNeedsRehash {
        users::rehash(store, account.id, &password::hash(request.password).await?).await?;
    }
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (refresh_token, refresh_hash) = tokens::refresh_token();
    let session_id = sessions::open(store, account.id, user_agent, &refresh_hash, &ip).await?;
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
    let presented = tokens::hash_refresh_token(&request.refresh_token);
    let (refresh_token, next) = tokens::refresh_token();
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
