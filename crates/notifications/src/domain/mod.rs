//! What notifications are, pure: the kinds, which of them group, how a group is keyed, and the
//! service's error.

mod error;

pub use error::NotificationsError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What happened. Likes, reposts, follows and sign-ups group; the rest are one each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Someone mentioned the recipient in a post.
    Mention,
    /// Someone answered the recipient's post.
    Reply,
    /// Someone liked the recipient's post.
    Like,
    /// Someone reposted the recipient's post.
    Repost,
    /// Someone followed the recipient.
    Follow,
    /// An account the recipient follows with "notify me" on wrote a post.
    Post,
    /// A moderator hid the recipient's post.
    PostHidden,
    /// A post was reported (for moderators).
    Report,
    /// A report the recipient filed was resolved.
    ReportResolved,
    /// A new account (for admins).
    SignUp,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Mention,
        Kind::Reply,
        Kind::Like,
        Kind::Repost,
        Kind::Follow,
        Kind::Post,
        Kind::PostHidden,
        Kind::Report,
        Kind::ReportResolved,
        Kind::SignUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mention => "mention",
            Kind::Reply => "reply",
            Kind::Like => "like",
            Kind::Repost => "repost",
            Kind::Follow => "follow",
            Kind::Post => "post",
            Kind::PostHidden => "post_hidden",
            Kind::Report => "report",
            Kind::ReportResolved => "report_resolved",
            Kind::SignUp => "sign_up",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether notifications of this kind gather into one group per target and window.
    /// Mentions and replies never do: each is something to answer.
    pub fn groups(self) -> bool {
        matches!(self, Kind::Like | Kind::Repost | Kind::Follow | Kind::SignUp | Kind::Report)
    }

    /// Moderation's notices: told whatever the recipient may see of the post or whom they
    /// silenced (a moderator is told of every report; an author of their hidden post).
    pub fn is_moderation(self) -> bool {
        matches!(self, Kind::PostHidden | Kind::Report | Kind::ReportResolved)
    }
}

/// How a recipient wants one kind: at all, and grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preference {
    pub enabled: bool,
    /// Ignored for kinds that never group.
    pub grouped: bool,
}

impl Default for Preference {
    fn default() -> Self {
        Preference { enabled: true, grouped: true }
    }
}

/// One thing that happened, to be told to `recipient`: the unit groups gather.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub recipient: uuid::Uuid,
    pub kind: Kind,
    pub actor: uuid::Uuid,
    /// The post it is about (the liked post, the reply, the mention…); none for follows and
    /// sign-ups.
    pub post: Option<contracts::PostId>,
    pub at_ms: i64,
}

impl Notice {
    /// Nobody is told about what they did themselves.
    pub fn is_self(&self) -> bool {
        self.recipient == self.actor
    }
}

/// Whether a notice at `at_ms` joins a group opened at `opened_at_ms`, for a window of
/// `window_ms`: a group gathers what happens within the window from its first notification.
pub fn joins(opened_at_ms: i64, at_ms: i64, window_ms: i64) -> bool {
    at_ms >= opened_at_ms && at_ms - opened_at_ms < window_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_and_only_reactions_group() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str(), "the API spells kinds as the store does");
        }
        assert!(!Kind::Mention.groups() && !Kind::Reply.groups() && !Kind::Post.groups());
        assert!(Kind::Like.groups() && Kind::Follow.groups());
        assert_eq!(Kind::parse("favourite"), None);
    }

    /// Numbers every kind; a new variant fails to compile here until numbered, and then this
    /// test until `Kind::ALL` lists it.
    fn number(kind: Kind) -> usize {
        match kind {
            Kind::Mention => 0,
            Kind::Reply => 1,
            Kind::Like => 2,
            Kind::Repost => 3,
            Kind::Follow => 4,
            Kind::Post => 5,
            Kind::PostHidden => 6,
            Kind::Report => 7,
            Kind::ReportResolved => 8,
            Kind::SignUp => 9,
        }
    }

    #[test]
    fn all_lists_every_kind_once() {
        let mut numbers: Vec<usize> = Kind::ALL.iter().map(|k| number(*k)).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn a_group_gathers_what_happens_within_its_window() {
        let hour = 3_600_000;
        assert!(joins(0, 0, 12 * hour));
        assert!(joins(0, 12 * hour - 1, 12 * hour));
        assert!(!joins(0, 12 * hour, 12 * hour), "the window is half-open");
        assert!(!joins(5 * hour, 4 * hour, 12 * hour), "nothing joins before its group opened");
    }
}
