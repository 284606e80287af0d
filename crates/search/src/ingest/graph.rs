//! Graph's follows (who sees whose followers-only posts) and blocks (who sees nothing of whom).

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{self, Edge};

pub const CONSUMER: &str = "search.graph";
pub const TOPICS: &[&str] = &[contracts::graph::FOLLOWS, contracts::graph::BLOCKS];

pub struct Edges(pub Writer);

#[async_trait]
impl Ingest for Edges {
    type Family = GraphEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            GraphEvent::FollowCreated(f) => {
                store::edge_in(change, Edge::Follow, f.follower_id, f.followee_id, true).await?
            }
            GraphEvent::FollowDeleted(f) => {
                store::edge_in(change, Edge::Follow, f.follower_id, f.followee_id, false).await?
            }
            GraphEvent::BlockCreated(b) => {
                store::edge_in(change, Edge::Block, b.blocker_id, b.blocked_id, true).await?
            }
            GraphEvent::BlockDeleted(b) => {
                store::edge_in(change, Edge::Block, b.blocker_id, b.blocked_id, false).await?
            }
            _ => {}
        }
        Ok(())
    }
}
