//! The audit log: who did what to whom, from where. Written in the same transaction as the
//! action it records (see `store::audit`), so the log never claims an action that did not happen
//! (or misses one).

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
