//! The graph's domain: the kinds of edges, what each change emits, the tag rule, and the
//! service's error. Pure: no database, no HTTP.

use contracts::graph::{Block, Follow, GraphEvent, Mute};
use platform::StoreError;
use uuid::Uuid;

/// A kind of edge between two users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Follow,
    Block,
    Mute,
}

impl Edge {
    pub const ALL: [Edge; 3] = [Edge::Follow, Edge::Block, Edge::Mute];

    /// The event that tells others the edge `from → to` was made (`present`) or removed.
    pub fn event(self, from: Uuid, to: Uuid, present: bool) -> GraphEvent {
        match (self, present) {
            (Edge::Follow, true) => GraphEvent::FollowCreated(Follow { follower_id: from, followee_id: to }),
            (Edge::Follow, false) => GraphEvent::FollowDeleted(Follow { follower_id: from, followee_id: to }),
            (Edge::Block, true) => GraphEvent::BlockCreated(Block { blocker_id: from, blocked_id: to }),
            (Edge::Block, false) => GraphEvent::BlockDeleted(Block { blocker_id: from, blocked_id: to }),
            (Edge::Mute, true) => GraphEvent::MuteCreated(Mute { muter_id: from, muted_id: to }),
            (Edge::Mute, false) => GraphEvent::MuteDeleted(Mute { muter_id: from, muted_id: to }),
        }
    }
}

/// A hashtag as followed: without `#`, lowercased; letters, digits and `_`, at most 64.
pub fn tag(raw: &str) -> Result<String, GraphError> {
    let tag = raw.trim_start_matches('#').to_lowercase();
    let valid = (1..=64).contains(&tag.chars().count()) && tag.chars().all(|c| c.is_alphanumeric() || c == '_');
    if valid {
        Ok(tag)
    } else {
        Err(GraphError::Invalid { field: "tag", message: "letters, digits and `_`, at most 64" })
    }
}

/// What can go wrong in the graph. The API maps each variant to a status in one place.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: &'static str },
    #[error("no such user")]
    NoSuchUser,
    #[error("this account blocks you")]
    BlockedByThem,
    #[error("unblock this account before following it")]
    BlockedByYou,
    #[error("not a cursor this endpoint returned")]
    BadCursor,
    /// An edge from a user to themself: a request that is understood and refused.
    #[error("{0}")]
    Myself(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for GraphError {
    fn from(err: sqlx::Error) -> Self {
        GraphError::Store(err.into())
    }
}

/// Refuses an edge from a user to themself.
pub fn not_self(from: Uuid, to: Uuid, what: &'static str) -> Result<(), GraphError> {
    if from == to { Err(GraphError::Myself(what)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized_and_bounded() {
        assert_eq!(tag("#Rust").unwrap(), "rust");
        assert_eq!(tag("编程").unwrap(), "编程");
        assert!(tag("a-b").is_err());
        assert!(tag(&"x".repeat(65)).is_err());
        assert!(tag("#").is_err());
    }

    #[test]
    fn each_change_of_an_edge_has_its_event() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let topics: Vec<&str> = Edge::ALL
            .iter()
            .flat_map(|e| [e.event(a, b, true), e.event(a, b, false)])
            .map(|e| contracts::EventFamily::topic(&e))
            .collect();
        assert_eq!(
            topics,
            [
                "graph.follow.created",
                "graph.follow.deleted",
                "graph.block.created",
                "graph.block.deleted",
                "graph.mute.created",
                "graph.mute.deleted"
            ]
        );
    }
}
