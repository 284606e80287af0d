//! Registration, sign-in, token refresh and sign-out.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use platform::{
    ApiError, Principal, Role,
    db::now_ms,
    http::{ClientIp, Json, Problem},
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::users::{USER_COLUMNS, UserView};
use crate::{
    Identity, accounts,
    audit::{self, Action},
    domain::{DisplayName, Email, NewPassword, Username},
    password::{self, Verdict},
    throttle, tokens,
};

fn locked(wait_ms: i64) -> ApiError {
    let secs = (wait_ms as u64).div_ceil(1000);
    ApiError::too_many_requests(secs)
}

/// How long a session (and so its refresh token) lives without being refreshed.
const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;

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
        return Err(ApiError::validation(errors));
    };
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let account = accounts::NewAccount { username, email, display_name, password_hash, role: Role::User };
    let id = accounts::create(&identity, account, None).await?;
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(identity.db.writer())
        .await?;
    Ok((StatusCode::CREATED, Json(UserView::from_row(&row)?)))
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
    let account_key = throttle::account_key(&request.login);
    let address_key = throttle::address_key(&ip);
    if let Some(wait_ms) = throttle::locked_for(&identity.db, &[account_key.clone(), address_key.clone()]).await? {
        return Err(locked(wait_ms));
    }
    if request.login.len() > 254 || request.password.chars().count() > 128 {
        return Err(ApiError::unauthorized("wrong login or password"));
    }
    let key = request.login.trim().to_lowercase();
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE username_key = $1 OR email_key = $1"))
        .bind(&key)
        .fetch_optional(identity.db.reader())
        .await?;
    let stored = row.as_ref().map(|r| r.try_get::<String, _>("password_hash")).transpose()?;
    // Verify even when there is no such account, so timing does not reveal which logins exist.
    let verdict = password::verify(request.password.clone(), stored).await?;
    let (Some(row), Verdict::Right | Verdict::RightNeedsRehash) = (row.as_ref(), verdict) else {
        let target = row.as_ref().and_then(|r| r.try_get::<String, _>("id").ok()).and_then(|id| id.parse().ok());
        let keys = [(account_key, throttle::ACCOUNT_LIMIT), (address_key, throttle::ADDRESS_LIMIT)];
        let now_locked = throttle::record_failure(&identity.db, &keys).await?;
        let action = if now_locked { Action::SignInLocked } else { Action::SignInFailed };
        let detail = json!({ "login": request.login.chars().take(64).collect::<String>() });
        audit::record(identity.db.writer(), audit::Entry { action, actor: None, target, ip: &ip, detail }).await?;
        return Err(ApiError::unauthorized("wrong login or password"));
    };
    let status: String = row.try_get("status")?;
    if status != "active" {
        return Err(ApiError::forbidden("this account is suspended"));
    }
    let user = UserView::from_row(row)?;
    throttle::clear(&identity.db, &account_key).await?;
    if verdict == Verdict::RightNeedsRehash {
        let hash = password::hash(request.password).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.id.to_string())
            .execute(identity.db.writer())
            .await?;
    }

    let session_id = Uuid::now_v7();
    let now = now_ms();
    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (refresh_token, refresh_hash) = tokens::refresh_token();
    let mut tx = identity.db.begin().await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, user_agent, created_at_ms, last_used_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(session_id.to_string())
    .bind(user.id.to_string())
    .bind(user_agent.chars().take(256).collect::<String>())
    .bind(now)
    .bind(now + SESSION_TTL_MS)
    .execute(&mut *tx)
    .await?;
    let detail = json!({ "session_id": session_id });
    audit::record(
        &mut *tx,
        audit::Entry { action: Action::SignIn, actor: Some(user.id), target: Some(user.id), ip: &ip, detail },
    )
    .await?;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, issued_at_ms) VALUES ($1, $2, $3)")
        .bind(refresh_hash)
        .bind(session_id.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;

    let (access_token, expires_in) =
        tokens::access_token(&identity.keys, &identity.config, user.id, session_id, user.role)?;
    Ok(Json(TokenResponse { access_token, token_type: "Bearer", expires_in, refresh_token, session_id, user }))
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
    let invalid = || ApiError::unauthorized("invalid or expired refresh token");
    let hash = tokens::hash_refresh_token(&request.refresh_token);
    let now = now_ms();
    let mut tx = identity.db.begin().await?;
    let row = sqlx::query(
        "SELECT r.session_id, r.used_at_ms, s.user_id, s.expires_at_ms, s.revoked_at_ms \
         FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(invalid)?;
    let session_id: String = row.try_get("session_id")?;
    let used_at: Option<i64> = row.try_get("used_at_ms")?;
    let revoked_at: Option<i64> = row.try_get("revoked_at_ms")?;
    let expires_at: i64 = row.try_get("expires_at_ms")?;
    if revoked_at.is_some() || expires_at < now {
        return Err(invalid());
    }
    if let Some(used_at) = used_at
        && now - used_at >= identity.config.auth.refresh_reuse_grace_secs as i64 * 1000
    {
        sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2")
            .bind(now)
            .bind(&session_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::warn!(session = %session_id, "refresh token reused; session revoked");
        return Err(invalid());
    }
    let user_id: String = row.try_get("user_id")?;
    let user_row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(&user_id)
        .fetch_one(&mut *tx)
        .await?;
    if user_row.try_get::<String, _>("status")? != "active" {
        return Err(invalid());
    }
    let user = UserView::from_row(&user_row)?;
    if used_at.is_none() {
        sqlx::query("UPDATE refresh_tokens SET used_at_ms = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
    }
    let (refresh_token, refresh_hash) = tokens::refresh_token();
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, issued_at_ms) VALUES ($1, $2, $3)")
        .bind(refresh_hash)
        .bind(&session_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE sessions SET last_used_at_ms = $1, expires_at_ms = $2 WHERE id = $3")
        .bind(now)
        .bind(now + SESSION_TTL_MS)
        .bind(&session_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let session_id: Uuid = session_id.parse().map_err(anyhow::Error::from)?;
    let (access_token, expires_in) =
        tokens::access_token(&identity.keys, &identity.config, user.id, session_id, user.role)?;
    Ok(Json(TokenResponse { access_token, token_type: "Bearer", expires_in, refresh_token, session_id, user }))
}

/// Ends the current session: its refresh token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub(super) async fn logout(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
) -> Result<StatusCode, ApiError> {
    sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
        .bind(now_ms())
        .bind(principal.session_id.to_string())
        .execute(identity.db.writer())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
