//! Graph's follows (for followers-only posts) and blocks (which forbid).

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{Store, known};

pub const CONSUMER: &str = "content.graph";
/// The graph's events content needs.
pub const TOPICS: &[&str] = &[contracts::graph::FOLLOWS, contracts::graph::BLOCKS];

pub struct Edges(pub Store);

#[async_trait]
impl Ingest for Edges {
    type Family = GraphEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        self.0.writer()
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            GraphEvent::FollowCreated(f) => known::set_follow(change, f.follower_id, f.followee_id, true).await?,
            GraphEvent::FollowDeleted(f) => known::set_follow(change, f.follower_id, f.followee_id, false).await?,
            GraphEvent::BlockCreated(b) => known::set_block(change, b.blocker_id, b.blocked_id, true).await?,
            GraphEvent::BlockDeleted(b) => known::set_block(change, b.blocker_id, b.blocked_id, false).await?,
            // Not subscribed to (see `TOPICS`).
            _ => {}
        }
        Ok(())
    }
}
