//! Graph's events: a follow tells the followed (an unfollow takes it back); a block silences
//! both ways and a mute one way, and takes back what the silenced had told.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::graph::GraphEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use super::{Woken, tell, wake};
use crate::{
    Notifications,
    domain::{Kind, Notice},
    store::{
        groups::{self, Taken},
        people,
    },
};

pub const CONSUMER: &str = "notifications.graph";

pub struct Edges(pub Arc<Notifications>);

#[async_trait]
impl Ingest for Edges {
    type Family = GraphEvent;
    type Committed = Woken;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, envelope: &Event) -> anyhow::Result<Woken> {
        let mut woken = Woken::new();
        match event {
            GraphEvent::FollowCreated(f) => {
                people::follow(change, f.follower_id, f.followee_id, true).await?;
                let notice = Notice {
                    recipient: f.followee_id,
                    kind: Kind::Follow,
                    actor: f.follower_id,
                    post: None,
                    at_ms: envelope.occurred_at_ms,
                };
                woken.extend(tell(&self.0, change, notice, None).await?);
            }
            GraphEvent::FollowDeleted(f) => {
                people::follow(change, f.follower_id, f.followee_id, false).await?;
                let taken =
                    Taken::One { recipient: f.followee_id, kind: Kind::Follow, actor: f.follower_id, post_key: 0 };
                woken.extend(groups::take_back(change, taken).await?);
            }
            GraphEvent::BlockCreated(b) => {
                for (user, other) in [(b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)] {
                    people::silence(change, user, other, "block", true).await?;
                    let taken = Taken::From { actor: other, recipient: Some(user) };
                    woken.extend(groups::take_back(change, taken).await?);
                }
            }
            GraphEvent::BlockDeleted(b) => {
                for (user, other) in [(b.blocker_id, b.blocked_id), (b.blocked_id, b.blocker_id)] {
                    people::silence(change, user, other, "block", false).await?;
                }
            }
            GraphEvent::MuteCreated(m) => {
                people::silence(change, m.muter_id, m.muted_id, "mute", true).await?;
                let taken = Taken::From { actor: m.muted_id, recipient: Some(m.muter_id) };
                woken.extend(groups::take_back(change, taken).await?);
            }
            GraphEvent::MuteDeleted(m) => people::silence(change, m.muter_id, m.muted_id, "mute", false).await?,
            GraphEvent::TagFollowCreated(_) | GraphEvent::TagFollowDeleted(_) => {}
        }
        Ok(woken)
    }

    fn committed(&self, woken: Woken) {
        wake(&self.0, &woken);
    }
}
