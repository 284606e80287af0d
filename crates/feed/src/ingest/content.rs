//! Content's events: posts enter the read model and their timelines (fan-out) and are broadcast
//! to the live streams; deleted and hidden posts leave all of them; likes and the replies and
//! reposts a post receives are counted for the ranking.
//!
//! Timelines are written before the commit. Their writes are idempotent, so if the commit fails
//! the redelivered event writes them again harmlessly; in the moment before the commit a
//! timeline may name a post the read model lacks, and reads skip such ids.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::content::{ContentEvent, Like};
use platform::{
    Change,
    events::{Event, EventHandler},
};

use crate::{
    Feed,
    domain::{
        FeedError,
        posts::{Counter, FeedPost},
    },
    fanout,
    store::{likes, posts},
    streams::live::NewPost,
};

pub const CONSUMER: &str = "feed.content";

pub struct Consumer(pub Arc<Feed>);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let feed = &self.0;
        let Some(decoded) = event.decode::<ContentEvent>(CONSUMER)? else { return Ok(()) };
        let mut change = feed.store.writer().begin().await?;
        if !change.claim(CONSUMER, event).await? {
            return Ok(());
        }
        let mut live = None;
        // Cached copies this event changes, dropped once it is committed.
        let (mut stale_post, mut stale_author) = (None, None);
        match decoded {
            ContentEvent::PostCreated(created) => {
                let post = FeedPost::from(&created.post);
                (stale_post, stale_author) = (Some(post.id), Some(post.author_id));
                if posts::upsert(&mut change, &post).await?
                    && let Some((counter, of)) = post.engages()
                {
                    posts::count(&mut change, counter, of, 1).await?;
                }
                let entered = fanout::publish(feed, &mut change, &post).await?;
                live = Some(NewPost { post: post.id, author: post.author_id, timelines: Arc::new(entered) });
            }
            ContentEvent::PostEdited(edited) => {
                let post = FeedPost::from(&edited.post);
                (stale_post, stale_author) = (Some(post.id), Some(post.author_id));
                posts::upsert(&mut change, &post).await?;
            }
            ContentEvent::PostDeleted(removed) | ContentEvent::PostHidden(removed) => {
                stale_post = Some(removed.id);
                if let Some(post) = posts::remove(&mut change, removed.id).await? {
                    if let Some((counter, of)) = post.engages() {
                        posts::count(&mut change, counter, of, -1).await?;
                    }
                    stale_author = Some(post.author_id);
                    fanout::retract(feed, &mut change, &post).await?;
                }
            }
            ContentEvent::PostLiked(like) => liked(&mut change, &like, event.occurred_at_ms, true).await?,
            ContentEvent::PostUnliked(like) => liked(&mut change, &like, event.occurred_at_ms, false).await?,
        }
        change.commit().await?;
        if let Some(id) = stale_post {
            feed.caches.posts.remove(&id.get());
        }
        if let Some(author) = stale_author {
            feed.caches.recent.remove(&author);
        }
        if let Some(new_post) = live {
            // Nobody listening is not an error.
            let _ = feed.live.send(new_post);
        }
        Ok(())
    }
}

/// A like given (`present`) or taken back, counted once.
async fn liked(change: &mut Change, like: &Like, at_ms: i64, present: bool) -> Result<(), FeedError> {
    if likes::set(change, like.post_id, like.user_id, like.author_id, at_ms, present).await? {
        posts::count(change, Counter::Likes, like.post_id, if present { 1 } else { -1 }).await?;
    }
    Ok(())
}
