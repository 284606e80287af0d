//! `registrations`: sign-ups waiting for their email confirmation (see `domain::registration`).

use platform::{
    StoreError,
    db::{RowExt, now_ms},
};
use sqlx::Row;
use uuid::Uuid;

use super::{Store, users};
use crate::domain::{
    IdentityError,
    accounts::NewAccount,
    fields::{DisplayName, Email, Username},
    registration::PENDING_FOR_MS,
};

/// Whether an account or an unexpired registration holds `username`.
pub async fn username_taken(store: &Store, username: &Username) -> Result<bool, IdentityError> {
    let row = sqlx::query(
        "SELECT 1 FROM users WHERE username_key = $1 \
         UNION ALL SELECT 1 FROM registrations WHERE username_key = $1 AND expires_at_ms > $2",
    )
    .bind(username.key())
    .bind(now_ms())
    .fetch_optional(store.db().reader())
    .await?;
    Ok(row.is_some())
}

/// Whether an account has `email`.
pub async fn email_registered(store: &Store, email: &Email) -> Result<bool, IdentityError> {
    let row = sqlx::query("SELECT 1 FROM users WHERE email_key = $1")
        .bind(email.key())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}

/// Holds `account`'s username until it is confirmed with the token hashed as `token_hash` (none:
/// it cannot be). Fails with `UsernameTaken` when someone took it meanwhile.
pub async fn hold(store: &Store, account: &NewAccount, token_hash: Option<&str>) -> Result<(), IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    sqlx::query("DELETE FROM registrations WHERE username_key = $1 AND expires_at_ms <= $2")
        .bind(account.username.key())
        .bind(now)
        .execute(change.conn())
        .await?;
    let taken = sqlx::query("SELECT 1 FROM users WHERE username_key = $1")
        .bind(account.username.key())
        .fetch_optional(change.conn())
        .await?;
    if taken.is_some() {
        return Err(IdentityError::UsernameTaken);
    }
    sqlx::query(
        "INSERT INTO registrations (id, username, username_key, email, email_key, display_name, password_hash, \
         token_hash, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(account.username.as_str())
    .bind(account.username.key())
    .bind(account.email.as_str())
    .bind(account.email.key())
    .bind(account.display_name.as_str())
    .bind(&account.password_hash)
    .bind(token_hash)
    .bind(now)
    .bind(now + PENDING_FOR_MS)
    .execute(change.conn())
    .await
    .map_err(|e| match StoreError::from_sqlx(e) {
        StoreError::Conflict(_) => IdentityError::UsernameTaken,
        other => IdentityError::Store(other),
    })?;
    Ok(change.commit().await?)
}

/// Turns the registration confirmed by the token hashed as `token_hash` into an account, in one
/// transaction; returns its id.
pub async fn confirm(store: &Store, token_hash: &str) -> Result<Uuid, IdentityError> {
    let mut change = store.begin().await?;
    let row = sqlx::query(
        "SELECT id, username, email, display_name, password_hash FROM registrations \
         WHERE token_hash = $1 AND expires_at_ms > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(change.conn())
    .await?
    .ok_or(IdentityError::NoSuchConfirmation)?;
    let stored = |column: &str| -> Result<String, IdentityError> { Ok(row.try_get(column)?) };
    let decode = |column: &str, err: platform::http::FieldError| StoreError::decode(column, err.message);
    let account = NewAccount {
        username: Username::parse(&stored("username")?).map_err(|e| decode("username", e))?,
        email: Email::parse(&stored("email")?).map_err(|e| decode("email", e))?,
        display_name: DisplayName::parse(&stored("display_name")?).map_err(|e| decode("display_name", e))?,
        password_hash: stored("password_hash")?,
        role: platform::Role::User,
    };
    sqlx::query("DELETE FROM registrations WHERE id = $1")
        .bind(row.uuid("id")?.to_string())
        .execute(change.conn())
        .await?;
    let id = users::create_in(&mut change, account, None).await?;
    change.commit().await?;
    Ok(id)
}

/// The password hash of the unexpired registration of `username` (pending accounts sign in by
/// username only; see `domain::registration`).
pub async fn pending_hash(store: &Store, username: &str) -> Result<Option<String>, IdentityError> {
    let row = sqlx::query("SELECT password_hash FROM registrations WHERE username_key = $1 AND expires_at_ms > $2")
        .bind(username.trim().to_lowercase())
        .bind(now_ms())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|r| r.try_get("password_hash")).transpose()?)
}

/// Forgets registrations nobody confirmed in time; returns how many.
pub async fn expire(store: &Store) -> Result<u64, IdentityError> {
    let done = sqlx::query("DELETE FROM registrations WHERE expires_at_ms <= $1")
        .bind(now_ms())
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected())
}
