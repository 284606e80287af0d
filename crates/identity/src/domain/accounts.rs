//! Accounts: their states, who acts on them, and what a change of one carries.

use contracts::{AccountKind, Role};
use uuid::Uuid;

use super::fields::{DisplayName, Email, Username};

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

    /// The stored form back; anything unknown reads as deleted (the safe side).
    pub fn parse(text: &str) -> Status {
        match text {
            "active" => Status::Active,
            "suspended" => Status::Suspended,
            _ => Status::Deleted,
        }
    }
}

/// An account as the service knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_media_id: Option<String>,
    pub role: Role,
    pub status: Status,
    pub kind: AccountKind,
    pub created_at_ms: i64,
}

/// A validated new account, its password already hashed.
#[derive(Debug)]
pub struct NewAccount {
    pub username: Username,
    pub email: Email,
    pub display_name: DisplayName,
    pub password_hash: String,
    pub role: Role,
}

/// Changes to a profile; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub display_name: Option<DisplayName>,
    pub bio: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar_media_id: Option<Option<String>>,
}

/// The most characters a bio may have.
pub const BIO_MAX_CHARS: usize = 500;

/// How long a session (and so its refresh token) lives without being refreshed.
pub const SESSION_TTL_MS: i64 = 30 * 24 * 3600 * 1000;
