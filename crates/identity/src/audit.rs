//! The audit log: who did what to whom, from where. Written in the same transaction as the
//! action it records, so the log never claims an action that did not happen (or misses one).

use platform::{StoreError, db::now_ms};
use sqlx::{Any, Executor};
use uuid::Uuid;

/// What the log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInLocked,
    PasswordChanged,
    SessionRevoked,
    ProfileUpdated,
    AccountDeleted,
    AdminUserCreated,
    AdminRoleChanged,
    AdminUserSuspended,
    AdminUserRestored,
    AdminUserDeleted,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::SignIn,
        Action::SignInFailed,
        Action::SignInLocked,
        Action::PasswordChanged,
        Action::SessionRevoked,
        Action::ProfileUpdated,
        Action::AccountDeleted,
        Action::AdminUserCreated,
        Action::AdminRoleChanged,
        Action::AdminUserSuspended,
        Action::AdminUserRestored,
        Action::AdminUserDeleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignInLocked => "sign_in_locked",
            Action::PasswordChanged => "password_changed",
            Action::SessionRevoked => "session_revoked",
            Action::ProfileUpdated => "profile_updated",
            Action::AccountDeleted => "account_deleted",
            Action::AdminUserCreated => "admin.user_created",
            Action::AdminRoleChanged => "admin.role_changed",
            Action::AdminUserSuspended => "admin.user_suspended",
            Action::AdminUserRestored => "admin.user_restored",
            Action::AdminUserDeleted => "admin.user_deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub action: Action,
    pub actor: Option<Uuid>,
    pub target: Option<Uuid>,
    pub ip: &'a str,
    pub detail: serde_json::Value,
}

/// Records `entry` through `executor` (a transaction, to commit with the action).
pub async fn record<'e, E>(executor: E, entry: Entry<'_>) -> Result<(), StoreError>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query(
        "INSERT INTO audit_log (id, at_ms, actor_id, action, target_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(now_ms())
    .bind(entry.actor.map(|u| u.to_string()))
    .bind(entry.action.as_str())
    .bind(entry.target.map(|u| u.to_string()))
    .bind(entry.ip)
    .bind(entry.detail.to_string())
    .execute(executor)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}
