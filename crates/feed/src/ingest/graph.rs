//! The graph's events: the feed's copy of follows, blocks, mutes and tag follows, and the home
//! timelines they change (a follow merges the account's recent posts in, an unfollow takes them
//! out; a block hides both sides from each other, a mute one side).

use std::sync::Arc;

use async_trait::async_trait;
use contracts::graph::{Block, Follow, GraphEvent, Mute, TagFollow};
use platform::{
    Change,
    events::{Event, EventHandler},
};
use uuid::Uuid;

use crate::{
    Feed,
    domain::FeedError,
    fanout,
    store::{
        graph::{self, Hidden},
        posts::Source,
    },
};

pub const CONSUMER: &str = "feed.graph";

pub struct Consumer(pub Arc<Feed>);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let feed = &self.0;
        let Some(decoded) = event.decode::<GraphEvent>(CONSUMER)? else { return Ok(()) };
        let mut change = feed.store.writer().begin().await?;
        if !change.claim(CONSUMER, event).await? {
            return Ok(());
        }
        let changed = match decoded {
            GraphEvent::FollowCreated(f) => follow(feed, &mut change, f, true).await?,
            GraphEvent::FollowDeleted(f) => follow(feed, &mut change, f, false).await?,
            GraphEvent::BlockCreated(b) => block(feed, &mut change, b, true).await?,
            GraphEvent::BlockDeleted(b) => block(feed, &mut change, b, false).await?,
            GraphEvent::MuteCreated(m) => mute(feed, &mut change, m, true).await?,
            GraphEvent::MuteDeleted(m) => mute(feed, &mut change, m, false).await?,
            GraphEvent::TagFollowCreated(t) => follow_tag(feed, &mut change, t, true).await?,
            GraphEvent::TagFollowDeleted(t) => follow_tag(feed, &mut change, t, false).await?,
        };
        change.commit().await?;
        // Cached relationships of these users changed.
        for user in &changed {
            feed.caches.relationships_changed(user);
        }
        Ok(())
    }
}

/// Merges a source into (`visible`) or out of a user's home.
async fn rehome(
    feed: &Feed,
    change: &mut Change,
    user: Uuid,
    source: Source<'_>,
    visible: bool,
) -> Result<(), FeedError> {
    if visible {
        fanout::merge(feed, change, user, source).await
    } else {
        fanout::unmerge(feed, change, user, source).await
    }
}

async fn follow(feed: &Feed, change: &mut Change, f: Follow, present: bool) -> Result<Vec<Uuid>, FeedError> {
    graph::follow(change, f.follower_id, f.followee_id, present).await?;
    rehome(feed, change, f.follower_id, Source::Author(f.followee_id), present).await?;
    Ok(vec![f.follower_id])
}

async fn block(feed: &Feed, change: &mut Change, b: Block, present: bool) -> Result<Vec<Uuid>, FeedError> {
    for (user, author, reason) in
        [(b.blocker_id, b.blocked_id, Hidden::Block), (b.blocked_id, b.blocker_id, Hidden::BlockedBy)]
    {
        graph::hide(change, user, author, reason, present).await?;
        rehome(feed, change, user, Source::Author(author), !present).await?;
    }
    Ok(vec![b.blocker_id, b.blocked_id])
}

async fn mute(feed: &Feed, change: &mut Change, m: Mute, present: bool) -> Result<Vec<Uuid>, FeedError> {
    graph::hide(change, m.muter_id, m.muted_id, Hidden::Mute, present).await?;
    rehome(feed, change, m.muter_id, Source::Author(m.muted_id), !present).await?;
    Ok(vec![m.muter_id, m.muted_id])
}

async fn follow_tag(feed: &Feed, change: &mut Change, t: TagFollow, present: bool) -> Result<Vec<Uuid>, FeedError> {
    graph::follow_tag(change, t.user_id, &t.tag, present).await?;
    rehome(feed, change, t.user_id, Source::Tag(&t.tag), present).await?;
    Ok(Vec::new())
}
