//! Reports and what moderators do about them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why a post is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Spam,
    Harassment,
    Illegal,
    Violence,
    Other,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Spam => "spam",
            Reason::Harassment => "harassment",
            Reason::Illegal => "illegal",
            Reason::Violence => "violence",
            Reason::Other => "other",
        }
    }
}

/// What a moderator does about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Nothing wrong: close the report.
    Dismiss,
    /// Hide the post from everyone but its author.
    Hide,
    /// Delete the post for everyone.
    Remove,
}

impl Resolution {
    /// How the report is closed, and the moderation log's name for the action.
    pub fn recorded_as(self) -> (&'static str, &'static str) {
        match self {
            Resolution::Dismiss => ("dismissed", "report_dismissed"),
            Resolution::Hide => ("hidden", "post_hidden"),
            Resolution::Remove => ("removed", "post_removed"),
        }
    }
}

/// The longest comment a reporter may leave, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;
