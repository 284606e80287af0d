//! Value types more than one service speaks of.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may read a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone, and listed in public streams.
    #[default]
    Public,
    /// Everyone with the link, but not listed in public or tag streams.
    Unlisted,
    /// The author's followers (and the author).
    Followers,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
        }
    }

    /// The stored form back; `None` for a word that is no visibility.
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "followers" => Some(Visibility::Followers),
            _ => None,
        }
    }

    /// Whether the post is listed in the public, tag and user streams others browse.
    pub fn is_listed(self) -> bool {
        self == Visibility::Public
    }
}

/// What a user may do; ordered so that `role >= Role::Moderator` reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "user" => Some(Role::User),
            "moderator" => Some(Role::Moderator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who is behind an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// Someone who signed up (or an admin created): has a password and signs in.
    #[default]
    Person,
    /// A feed or website the crawler follows: no password, never signs in; its posts are
    /// the source's entries.
    Source,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Person => "person",
            AccountKind::Source => "source",
        }
    }

    pub fn parse(text: &str) -> Option<AccountKind> {
        match text {
            "person" => Some(AccountKind::Person),
            "source" => Some(AccountKind::Source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_forms_round_trip() {
        for v in [Visibility::Public, Visibility::Unlisted, Visibility::Followers] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert_eq!(Visibility::parse("secret"), None);
        for r in [Role::User, Role::Moderator, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Admin > Role::Moderator && Role::Moderator > Role::User);
        for k in [AccountKind::Person, AccountKind::Source] {
            assert_eq!(AccountKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
