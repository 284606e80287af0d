//! Graph's follow events: who follows whom, for followers-only posts.

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{Store, known};

pub const CONSUMER: &str = "content.follows";

pub struct Follows(pub Store);

#[async_trait]
impl Ingest for Follows {
    type Family = GraphEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        self.0.writer()
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            GraphEvent::FollowCreated(f) => known::set_follow(change, f.follower_id, f.followee_id, true).await?,
            GraphEvent::FollowDeleted(f) => known::set_follow(change, f.follower_id, f.followee_id, false).await?,
            // Subscribed to follows only (`contracts::graph::FOLLOWS`).
            _ => {}
        }
        Ok(())
    }
}
