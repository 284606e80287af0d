//! What the graph tells the other services about who follows, blocks and mutes whom.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

event_family! {
    /// The graph's events. Each changes one edge; a block that removes follows is followed by
    /// their `FollowDeleted` events, in the same transaction.
    pub enum GraphEvent: "graph.>", version 1 {
        FollowCreated(Follow) = "graph.follow.created",
        FollowDeleted(Follow) = "graph.follow.deleted",
        BlockCreated(Block) = "graph.block.created",
        BlockDeleted(Block) = "graph.block.deleted",
        MuteCreated(Mute) = "graph.mute.created",
        MuteDeleted(Mute) = "graph.mute.deleted",
        TagFollowCreated(TagFollow) = "graph.tag_follow.created",
        TagFollowDeleted(TagFollow) = "graph.tag_follow.deleted",
    }
}

/// The follow events alone, for consumers that need nothing else of the graph.
pub const FOLLOWS: &str = "graph.follow.>";
/// The block events alone.
pub const BLOCKS: &str = "graph.block.>";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Follow {
    pub follower_id: Uuid,
    pub followee_id: Uuid,
}

/// A block: neither side sees the other, and the blocked cannot interact with the blocker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub blocker_id: Uuid,
    pub blocked_id: Uuid,
}

/// A mute: the muter does not see the muted; nothing else changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    pub muter_id: Uuid,
    pub muted_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFollow {
    pub user_id: Uuid,
    /// Normalized, without `#`.
    pub tag: String,
}
