//! Graph's events: who follows whom, for followers-only posts.

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::events::{Event, EventHandler};

use crate::store::{Store, known};

pub const CONSUMER: &str = "content.follows";

pub struct Consumer(pub Store);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let Some(decoded) = event.decode::<GraphEvent>(CONSUMER)? else { return Ok(()) };
        let (follow, present) = match decoded {
            GraphEvent::FollowCreated(follow) => (follow, true),
            GraphEvent::FollowDeleted(follow) => (follow, false),
            _ => return Ok(()),
        };
        let mut change = self.0.writer().begin().await?;
        if !change.claim(CONSUMER, event).await? {
            return Ok(());
        }
        known::set_follow(&mut change, follow.follower_id, follow.followee_id, present).await?;
        change.commit().await?;
        Ok(())
    }
}
