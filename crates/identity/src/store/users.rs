//! `users`: accounts. Every change is one transaction with its event and, where someone acts,
//! its audit entry.

use contracts::{
    AccountKind, Role,
    identity::{IdentityEvent, RoleChanged, UserRef, UserRegistered, UserUpdated},
};
use platform::{
    Change, StoreError,
    db::{Conditions, RowExt, like_prefix, now_ms},
};
use serde_json::json;
use sqlx::{Row, any::AnyRow};
use uuid::Uuid;

use super::{Store, audit};
use crate::domain::{
    IdentityError,
    accounts::{Account, Actor, NewAccount, ProfileChanges, Status},
    audit::{Action, Entry},
};

const COLUMNS: &str = "id, username, email, display_name, bio, avatar_media_id, role, status, kind, created_at_ms";

fn account(row: &AnyRow) -> Result<Account, IdentityError> {
    let role: String = row.try_get("role")?;
    Ok(Account {
        id: row.uuid("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        avatar_media_id: row.try_get("avatar_media_id")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::decode("role", format!("unknown role {role}")))?,
        status: Status::parse(&row.try_get::<String, _>("status")?),
        kind: AccountKind::parse(&row.try_get::<String, _>("kind")?).unwrap_or(AccountKind::Person),
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

/// An account whatever its state.
pub async fn by_id(store: &Store, id: Uuid) -> Result<Option<Account>, IdentityError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    row.as_ref().map(account).transpose()
}

/// An active account by id, or by username without regard to case.
pub async fn active(store: &Store, id_or_name: &str) -> Result<Option<Account>, IdentityError> {
    let (column, key) = match Uuid::parse_str(id_or_name) {
        Ok(id) => ("id", id.to_string()),
        Err(_) => ("username_key", id_or_name.to_ascii_lowercase()),
    };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE {column} = $1 AND status = 'active'"))
        .bind(key)
        .fetch_optional(store.db().reader())
        .await?;
    row.as_ref().map(account).transpose()
}

/// The account a login (username or email, any case) names, with its password hash.
pub async fn by_login(store: &Store, login: &str) -> Result<Option<(Account, String)>, IdentityError> {
    let key = login.trim().to_lowercase();
    let row =
        sqlx::query(&format!("SELECT {COLUMNS}, password_hash FROM users WHERE username_key = $1 OR email_key = $1"))
            .bind(&key)
            .fetch_optional(store.db().reader())
            .await?;
    row.map(|row| Ok((account(&row)?, row.try_get("password_hash")?))).transpose()
}

/// The password hash of an active account.
pub async fn password_hash(store: &Store, id: Uuid) -> Result<Option<String>, IdentityError> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1 AND status = 'active'")
        .bind(id.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|row| row.try_get("password_hash")).transpose()?)
}

/// Stores a hash made with today's parameters (no event: nothing others know changes).
pub async fn rehash(store: &Store, id: Uuid, hash: &str) -> Result<(), IdentityError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id.to_string())
        .execute(store.db().writer())
        .await?;
    Ok(())
}

/// What the admin console filters users by.
#[derive(Debug, Default)]
pub struct UserFilter {
    /// Start of a username or email address.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub status: Option<Status>,
}

/// Users newest first, older than `before` (an id) when given, at most `limit`.
pub async fn list(
    store: &Store,
    filter: &UserFilter,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<Account>, IdentityError> {
    let mut conditions = Conditions::default();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_prefix(&q.to_lowercase());
        conditions.add("(username_key LIKE ? ESCAPE '\\' OR email_key LIKE ? ESCAPE '\\')", [pattern.clone(), pattern]);
    }
    if let Some(role) = filter.role {
        conditions.add("role = ?", [role.as_str().to_owned()]);
    }
    if let Some(status) = filter.status {
        conditions.add("status = ?", [status.as_str().to_owned()]);
    }
    if let Some(before) = before {
        conditions.add("id < ?", [before.to_owned()]);
    }
    let sql = format!("SELECT {COLUMNS} FROM users WHERE {} ORDER BY id DESC LIMIT {limit}", conditions.sql());
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(store.db().reader()).await?;
    rows.iter().map(account).collect()
}

/// Accounts that stopped being active after `since` (unix ms).
pub async fn inactive_since(store: &Store, since: i64) -> Result<Vec<Uuid>, IdentityError> {
    let rows = sqlx::query("SELECT id FROM users WHERE status <> 'active' AND updated_at_ms > $1")
        .bind(since)
        .fetch_all(store.db().reader())
        .await?;
    Ok(rows.iter().map(|row| row.uuid("id")).collect::<Result<_, _>>()?)
}

/// Creates an account. `created_by` is `None` for self-registration; anything else (an admin,
/// the command line) is audited.
pub async fn create(store: &Store, account: NewAccount, created_by: Option<Actor<'_>>) -> Result<Uuid, IdentityError> {
    let mut change = store.begin().await?;
    let id = create_in(&mut change, account, created_by).await?;
    change.commit().await?;
    Ok(id)
}

/// [`create`] inside `change` (a confirmed registration becomes an account in the change that
/// consumes it).
pub async fn create_in(
    change: &mut Change,
    account: NewAccount,
    created_by: Option<Actor<'_>>,
) -> Result<Uuid, IdentityError> {
    let id = Uuid::now_v7();
    let now = now_ms();
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
    .execute(change.conn())
    .await
    .map_err(|e| match StoreError::from_sqlx(e) {
        StoreError::Conflict(what) if what.contains("username") => IdentityError::UsernameTaken,
        StoreError::Conflict(what) if what.contains("email") => IdentityError::EmailTaken,
        other => IdentityError::Store(other),
    })?;
    change
        .emit(&IdentityEvent::UserRegistered(UserRegistered {
            user_id: id,
            username: account.username.as_str().to_owned(),
            display_name: account.display_name.as_str().to_owned(),
            role: account.role,
            kind: AccountKind::Person,
        }))
        .await?;
    if let Some(actor) = created_by {
        let detail = json!({ "username": account.username.as_str(), "role": account.role });
        let entry = Entry { action: Action::AdminUserCreated, actor: actor.id, target: Some(id), ip: actor.ip, detail };
        audit::record(change, entry).await?;
    }
    Ok(id)
}

/// An account whatever its state, read inside `change`.
async fn in_change(change: &mut Change, id: Uuid) -> Result<Option<Account>, IdentityError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(change.conn())
        .await?;
    row.as_ref().map(account).transpose()
}

/// The account `user` inside `change`, refused when it is deleted (or, with `active`, not active).
async fn existing(change: &mut Change, user: Uuid, active: bool) -> Result<Account, IdentityError> {
    let account = in_change(change, user).await?.ok_or(IdentityError::NoSuchUser)?;
    match account.status {
        Status::Deleted => Err(IdentityError::Deleted),
        Status::Suspended if active => Err(IdentityError::NoSuchUser),
        _ => Ok(account),
    }
}

pub async fn update_profile(
    store: &Store,
    user: Uuid,
    changes: ProfileChanges,
    actor: Actor<'_>,
) -> Result<(), IdentityError> {
    let mut change = store.begin().await?;
    let current = existing(&mut change, user, true).await?;
    let display_name = changes.display_name.map_or(current.display_name, |d| d.as_str().to_owned());
    let bio = changes.bio.unwrap_or(current.bio);
    let avatar = changes.avatar_media_id.unwrap_or(current.avatar_media_id);
    sqlx::query("UPDATE users SET display_name = $1, bio = $2, avatar_media_id = $3, updated_at_ms = $4 WHERE id = $5")
        .bind(&display_name)
        .bind(&bio)
        .bind(&avatar)
        .bind(now_ms())
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    change
        .emit(&IdentityEvent::UserUpdated(UserUpdated {
            user_id: user,
            username: current.username,
            display_name,
            bio,
            avatar_media_id: avatar,
        }))
        .await?;
    let entry =
        Entry { action: Action::ProfileUpdated, actor: actor.id, target: Some(user), ip: actor.ip, detail: json!({}) };
    audit::record(&mut change, entry).await?;
    change.commit().await?;
    Ok(())
}

/// Sets a new password hash and ends every session but `keep`; returns how many ended.
pub async fn change_password(
    store: &Store,
    user: Uuid,
    password_hash: &str,
    keep: Option<Uuid>,
    actor: Actor<'_>,
) -> Result<u64, IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    existing(&mut change, user, true).await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    let ended = super::sessions::end_all(&mut change, user, keep, now).await?;
    let detail = json!({ "sessions_ended": ended });
    let entry = Entry { action: Action::PasswordChanged, actor: actor.id, target: Some(user), ip: actor.ip, detail };
    audit::record(&mut change, entry).await?;
    change.commit().await?;
    Ok(ended)
}

pub async fn set_role(store: &Store, user: Uuid, role: Role, actor: Actor<'_>) -> Result<(), IdentityError> {
    let mut change = store.begin().await?;
    let before = existing(&mut change, user, false).await?.role;
    sqlx::query("UPDATE users SET role = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now_ms())
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    change.emit(&IdentityEvent::RoleChanged(RoleChanged { user_id: user, role })).await?;
    let detail = json!({ "from": before, "to": role });
    let entry = Entry { action: Action::AdminRoleChanged, actor: actor.id, target: Some(user), ip: actor.ip, detail };
    audit::record(&mut change, entry).await?;
    change.commit().await?;
    Ok(())
}

/// Suspends (ending every session) or restores an account.
pub async fn set_suspended(store: &Store, user: Uuid, suspended: bool, actor: Actor<'_>) -> Result<(), IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    existing(&mut change, user, false).await?;
    let status = if suspended { Status::Suspended } else { Status::Active };
    sqlx::query("UPDATE users SET status = $1, updated_at_ms = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    if suspended {
        super::sessions::end_all(&mut change, user, None, now).await?;
    }
    let (event, action) = if suspended {
        (IdentityEvent::UserSuspended(UserRef { user_id: user }), Action::AdminUserSuspended)
    } else {
        (IdentityEvent::UserRestored(UserRef { user_id: user }), Action::AdminUserRestored)
    };
    change.emit(&event).await?;
    audit::record(&mut change, Entry { action, actor: actor.id, target: Some(user), ip: actor.ip, detail: json!({}) })
        .await?;
    change.commit().await?;
    Ok(())
}

/// Deletes an account: personal data is erased at once, sessions end, and the event tells the
/// other services to remove the user's content and edges. The username stays reserved so that
/// nobody can take over a deleted account's name and links.
pub async fn delete(store: &Store, user: Uuid, actor: Actor<'_>) -> Result<(), IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    existing(&mut change, user, false).await?;
    sqlx::query(
        "UPDATE users SET status = 'deleted', email = '', email_key = $1, display_name = '', bio = '', \
         avatar_media_id = NULL, password_hash = '!', updated_at_ms = $2 WHERE id = $3",
    )
    .bind(format!("deleted:{user}"))
    .bind(now)
    .bind(user.to_string())
    .execute(change.conn())
    .await?;
    super::sessions::end_all(&mut change, user, None, now).await?;
    change.emit(&IdentityEvent::UserDeleted(UserRef { user_id: user })).await?;
    let action = if actor.id == Some(user) { Action::AccountDeleted } else { Action::AdminUserDeleted };
    audit::record(&mut change, Entry { action, actor: actor.id, target: Some(user), ip: actor.ip, detail: json!({}) })
        .await?;
    change.commit().await?;
    Ok(())
}
