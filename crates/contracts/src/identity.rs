//! What identity tells the other services about accounts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AccountKind, Role};

event_family! {
    /// Identity's events.
    pub enum IdentityEvent: "identity.>", version 1 {
        /// A new account, self-registered or created by an admin.
        UserRegistered(UserRegistered) = "identity.user.registered",
        /// A profile changed (display name, bio, avatar).
        UserUpdated(UserUpdated) = "identity.user.updated",
        /// An admin gave a user another role.
        RoleChanged(RoleChanged) = "identity.user.role_changed",
        /// An admin suspended an account: its tokens stop working, its content is not shown.
        UserSuspended(UserRef) = "identity.user.suspended",
        /// A suspended account is active again.
        UserRestored(UserRef) = "identity.user.restored",
        /// An account was deleted: every service removes what belongs to it.
        UserDeleted(UserRef) = "identity.user.deleted",
        /// A session ended (sign-out, revoked from another device, or ended by a password
        /// change): its access tokens stop working everywhere.
        SessionEnded(SessionRef) = "identity.session.ended",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Added in version 1 (absent means a person): a source's account is the crawler's.
    #[serde(default)]
    pub kind: AccountKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdated {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_media_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChanged {
    pub user_id: Uuid,
    pub role: Role,
}

/// A session of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRef {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// An event about a user that says nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub user_id: Uuid,
}
