//! The graph's events: the feed's copy of follows, blocks, mutes and tag follows, and the home
//! timelines they change (a follow merges the account's recent posts in, an unfollow takes them
//! out; a block hides both sides from each other, a mute one side).

use std::sync::Arc;

use async_trait::async_trait;
use contracts::graph::{Block, Follow, GraphEvent, Mute, TagFollow};
use platform::{Change, Writer, events::Event, ingest::Ingest};
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

pub struct Edges(pub Arc<Feed>);

#[async_trait]
impl Ingest for Edges {
    type Family = GraphEvent;
    /// The users whose cached relationships the event changed.
    type Committed = Vec<Uuid>;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: GraphEvent, _: &Event) -> anyhow::Result<Vec<Uuid>> {
        let feed = &self.0;
        Ok(match event {
            GraphEvent::FollowCreated(f) => follow(feed, change, f, true).await?,
            GraphEvent::FollowDeleted(f) => follow(feed, change, f, false).await?,
            GraphEvent::BlockCreated(b) => block(feed, change, b, true).await?,
            GraphEvent::BlockDeleted(b) => block(feed, change, b, false).await?,
            GraphEvent::MuteCreated(m) => mute(feed, change, m, true).await?,
            GraphEvent::MuteDeleted(m) => mute(feed, change, m, false).await?,
            GraphEvent::TagFollowCreated(t) => follow_tag(feed, change, t, true).await?,
            GraphEvent::TagFollowDeleted(t) => follow_tag(feed, change, t, false).await?,
        })
    }

    fn committed(&self, changed: Vec<Uuid>) {
        for user in changed {
            self.0.caches.relationships_changed(&user);
            // Nobody listening is not an error.
            let _ = self.0.live.send(crate::streams::live::Live::Graph(user));
        }
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
