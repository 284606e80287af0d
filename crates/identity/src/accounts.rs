//! What can happen to an account, each as one transaction that also writes its event and, where
//! someone acts, its audit entry. The HTTP handlers and `riffle admin` both call these.

use platform::{ApiError, Role, StoreError, db::now_ms, events::outbox};
use serde_json::json;
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::{
    Identity,
    audit::{self, Action},
    domain::{DisplayName, Email, Username},
};

/// Who acts, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: Option<Uuid>,
    pub ip: &'a str,
}

/// Lifecycle state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Suspended,
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Deleted => "deleted",
        }
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such user")]
    NotFound,
    #[error("username is taken")]
    UsernameTaken,
    #[error("email is already registered")]
    EmailTaken,
    #[error("a deleted account cannot change")]
    Deleted,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        AccountError::Store(StoreError::from_sqlx(err))
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::NotFound => ApiError::not_found("no such user"),
            AccountError::UsernameTaken | AccountError::EmailTaken => ApiError::conflict(err.to_string()),
            AccountError::Deleted => ApiError::conflict(err.to_string()),
            AccountError::Store(store) => store.into(),
        }
    }
}

/// A validated new account.
pub struct NewAccount {
    pub username: Username,
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: String,
    pub role: Role,
}

/// Creates an account. `created_by` is `None` for self-registration; anything else (an admin,
/// the command line) is audited.
pub async fn create(
    identity: &Identity,
    account: NewAccount,
    created_by: Option<Actor<'_>>,
) -> Result<Uuid, AccountError> {
    let id = Uuid::now_v7();
    let now = now_ms();
    let mut tx = identity.db.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, username, username_key, email, email_key, display_name, password_hash, role, status, \
         created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9)",
    )
    .bind(id.to_string())
    .bind(account.username.as_str())
    .bind(account.username.key())
    .bind(account.email.as_str())
    .bind(account.email.key())
    .bind(account.display_name.as_str())
    .bind(&account.password_hash)
    .bind(account.role.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| match StoreError::from_sqlx(e) {
        StoreError::Conflict(what) if what.contains("username") => AccountError::UsernameTaken,
        StoreError::Conflict(what) if what.contains("email") => AccountError::EmailTaken,
        other => AccountError::Store(other),
    })?;
    let payload = json!({
        "user_id": id, "username": account.username.as_str(), "display_name": account.display_name.as_str(),
        "role": account.role,
    });
    outbox::enqueue(&mut tx, "identity.user.registered", &payload).await?;
    if let Some(actor) = created_by {
        let detail = json!({ "username": account.username.as_str(), "role": account.role });
        let entry =
            audit::Entry { action: Action::AdminUserCreated, actor: actor.id, target: Some(id), ip: actor.ip, detail };
        audit::record(&mut *tx, entry).await?;
    }
    commit(identity, tx).await?;
    Ok(id)
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<DisplayName>,
    pub bio: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar_media_id: Option<Option<String>>,
}

pub async fn update_profile(
    identity: &Identity,
    user: Uuid,
    changes: ProfileChanges,
    actor: Actor<'_>,
) -> Result<(), AccountError> {
    let mut tx = identity.db.begin().await?;
    let row = active_user(&mut tx, user).await?;
    let display_name =
        changes.display_name.map_or(row.try_get::<String, _>("display_name")?, |d| d.as_str().to_owned());
    let bio = changes.bio.map_or(row.try_get::<String, _>("bio")?, |b| b);
    let avatar = changes.avatar_media_id.unwrap_or(row.try_get::<Option<String>, _>("avatar_media_id")?);
    sqlx::query("UPDATE users SET display_name = $1, bio = $2, avatar_media_id = $3, updated_at_ms = $4 WHERE id = $5")
        .bind(&display_name)
        .bind(&bio)
        .bind(&avatar)
        .bind(now_ms())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    let username: String = row.try_get("username")?;
    let payload = json!({
        "user_id": user, "username": username, "display_name": display_name, "bio": bio, "avatar_media_id": avatar,
    });
    outbox::enqueue(&mut tx, "identity.user.updated", &payload).await?;
    let entry = audit::Entry {
        action: Action::ProfileUpdated,
        actor: actor.id,
        target: Some(user),
        ip: actor.ip,
        detail: json!({}),
    };
    audit::record(&mut *tx, entry).await?;
    commit(identity, tx).await
}

/// Sets a new password hash and ends every session but `keep`.
pub async fn change_password(
    identity: &Identity,
    user: Uuid,
    password_hash: String,
    keep: Option<Uuid>,
    actor: Actor<'_>,
) -> Result<u64, AccountError> {
    let now = now_ms();
    let mut tx = identity.db.begin().await?;
    active_user(&mut tx, user).await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    let ended =
        sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL AND id <> $3")
            .bind(now)
            .bind(user.to_string())
            .bind(keep.map(|s| s.to_string()).unwrap_or_default())
            .execute(&mut *tx)
            .await?
            .rows_affected();
    let entry = audit::Entry {
        action: Action::PasswordChanged,
        actor: actor.id,
        target: Some(user),
        ip: actor.ip,
        detail: json!({ "sessions_ended": ended }),
    };
    audit::record(&mut *tx, entry).await?;
    commit(identity, tx).await?;
    Ok(ended)
}

pub async fn set_role(identity: &Identity, user: Uuid, role: Role, actor: Actor<'_>) -> Result<(), AccountError> {
    let mut tx = identity.db.begin().await?;
    let row = existing_user(&mut tx, user).await?;
    let before: String = row.try_get("role")?;
    sqlx::query("UPDATE users SET role = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now_ms())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    outbox::enqueue(&mut tx, "identity.user.role_changed", &json!({ "user_id": user, "role": role })).await?;
    let detail = json!({ "from": before, "to": role });
    let entry =
        audit::Entry { action: Action::AdminRoleChanged, actor: actor.id, target: Some(user), ip: actor.ip, detail };
    audit::record(&mut *tx, entry).await?;
    commit(identity, tx).await
}

/// Suspends (ending every session) or restores an account.
pub async fn set_suspended(
    identity: &Identity,
    user: Uuid,
    suspended: bool,
    actor: Actor<'_>,
) -> Result<(), AccountError> {
    let now = now_ms();
    let mut tx = identity.db.begin().await?;
    existing_user(&mut tx, user).await?;
    let status = if suspended { Status::Suspended } else { Status::Active };
    sqlx::query("UPDATE users SET status = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    if suspended {
        end_sessions(&mut tx, user, now).await?;
    }
    let (topic, action) = if suspended {
        ("identity.user.suspended", Action::AdminUserSuspended)
    } else {
        ("identity.user.restored", Action::AdminUserRestored)
    };
    outbox::enqueue(&mut tx, topic, &json!({ "user_id": user })).await?;
    audit::record(
        &mut *tx,
        audit::Entry { action, actor: actor.id, target: Some(user), ip: actor.ip, detail: json!({}) },
    )
    .await?;
    commit(identity, tx).await?;
    identity.verifier.set_revoked(user, suspended);
    Ok(())
}

/// Deletes an account: personal data is erased at once, sessions end, and the event tells the
/// other services to remove the user's content and edges. The username stays reserved so that
/// nobody can take over a deleted account's name and links.
pub async fn delete(identity: &Identity, user: Uuid, actor: Actor<'_>) -> Result<(), AccountError> {
    let now = now_ms();
    let mut tx = identity.db.begin().await?;
    existing_user(&mut tx, user).await?;
    sqlx::query(
        "UPDATE users SET status = 'deleted', email = '', email_key = $1, display_name = '', bio = '', \
         avatar_media_id = NULL, password_hash = '!', updated_at_ms = $2 WHERE id = $3",
    )
    .bind(format!("deleted:{user}"))
    .bind(now)
    .bind(user.to_string())
    .execute(&mut *tx)
    .await?;
    end_sessions(&mut tx, user, now).await?;
    outbox::enqueue(&mut tx, "identity.user.deleted", &json!({ "user_id": user })).await?;
    let action = if actor.id == Some(user) { Action::AccountDeleted } else { Action::AdminUserDeleted };
    audit::record(
        &mut *tx,
        audit::Entry { action, actor: actor.id, target: Some(user), ip: actor.ip, detail: json!({}) },
    )
    .await?;
    commit(identity, tx).await?;
    identity.verifier.set_revoked(user, true);
    Ok(())
}

async fn end_sessions(tx: &mut Transaction<'static, Any>, user: Uuid, now: i64) -> Result<(), AccountError> {
    sqlx::query("UPDATE sessions SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL")
        .bind(now)
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn existing_user(tx: &mut Transaction<'static, Any>, user: Uuid) -> Result<sqlx::any::AnyRow, AccountError> {
    let row = sqlx::query("SELECT username, display_name, bio, avatar_media_id, role, status FROM users WHERE id = $1")
        .bind(user.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(AccountError::NotFound)?;
    if row.try_get::<String, _>("status")? == Status::Deleted.as_str() {
        return Err(AccountError::Deleted);
    }
    Ok(row)
}

async fn active_user(tx: &mut Transaction<'static, Any>, user: Uuid) -> Result<sqlx::any::AnyRow, AccountError> {
    let row = existing_user(tx, user).await?;
    if row.try_get::<String, _>("status")? != Status::Active.as_str() {
        return Err(AccountError::NotFound);
    }
    Ok(row)
}

async fn commit(identity: &Identity, tx: Transaction<'static, Any>) -> Result<(), AccountError> {
    tx.commit().await?;
    identity.relay.wake();
    Ok(())
}
