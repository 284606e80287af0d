//! Graph's follows (who sees whose followers-only posts, and people's follower counts) and
//! blocks (who sees nothing of whom).

use std::sync::Arc;

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{
    Indexes,
    store::{self, Edge, PersonChange},
};

pub const CONSUMER: &str = "search.graph";
pub const TOPICS: &[&str] = &[contracts::graph::FOLLOWS, contracts::graph::BLOCKS];

pub struct Edges {
    pub writer: Writer,
    pub indexes: Arc<Indexes>,
}

#[async_trait]
impl Ingest for Edges {
    type Family = GraphEvent;
    type Committed = PersonChange;

    fn writer(&self) -> &Writer {
        &self.writer
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<PersonChange> {
        let (edge, from, to, present) = match event {
            GraphEvent::FollowCreated(f) => (Edge::Follow, f.follower_id, f.followee_id, true),
            GraphEvent::FollowDeleted(f) => (Edge::Follow, f.follower_id, f.followee_id, false),
            GraphEvent::BlockCreated(b) => (Edge::Block, b.blocker_id, b.blocked_id, true),
            GraphEvent::BlockDeleted(b) => (Edge::Block, b.blocker_id, b.blocked_id, false),
            _ => return Ok(PersonChange::Nothing),
        };
        store::edge_in(change, edge, from, to, present).await
    }

    fn committed(&self, after: PersonChange) {
        self.indexes.person(after);
    }
}
