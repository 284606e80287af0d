//! Graph's follows: following a source's account is subscribing to the source, and
//! unfollowing it (or a block, which removes the follow) is unsubscribing.

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{sources, subscriptions};

pub const CONSUMER: &str = "crawler.follows";
pub const TOPICS: &[&str] = &[contracts::graph::FOLLOWS];

pub struct Follows(pub Writer);

#[async_trait]
impl Ingest for Follows {
    type Family = GraphEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<()> {
        let (follow, present) = match event {
            GraphEvent::FollowCreated(f) => (f, true),
            GraphEvent::FollowDeleted(f) => (f, false),
            // Not subscribed to (see `TOPICS`).
            _ => return Ok(()),
        };
        if let Some(source) = sources::by_account_in(change, follow.followee_id).await? {
            subscriptions::mirror_in(change, follow.follower_id, source, present).await?;
        }
        Ok(())
    }
}
