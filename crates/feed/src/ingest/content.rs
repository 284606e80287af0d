//! Content's events: posts enter the read model and their timelines (fan-out) and are broadcast
//! to the live streams; deleted and hidden posts leave all of them; likes and the replies and
//! reposts a post receives are counted for the ranking.
//!
//! Timelines are written before the commit. Their writes are idempotent, so if the commit fails
//! the redelivered event writes them again harmlessly; in the moment before the commit a
//! timeline may name a post the read model lacks, and reads skip such ids.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::{
    PostId,
    content::{ContentEvent, Like},
};
use platform::{Change, Writer, events::Event, ingest::Ingest};
use uuid::Uuid;

use crate::{
    Feed,
    domain::{
        FeedError,
        posts::{Counter, FeedPost},
    },
    fanout,
    store::{authors, likes, media, posts},
    streams::live::{Live, NewPost},
    view::StreamPost,
};

pub const CONSUMER: &str = "feed.content";

pub struct Posts(pub Arc<Feed>);

/// What a committed event leaves to do: the cached post and author it changed, and the new post
/// for the live streams.
#[derive(Default)]
pub struct Committed {
    stale_post: Option<PostId>,
    stale_author: Option<Uuid>,
    live: Option<NewPost>,
}

#[async_trait]
impl Ingest for Posts {
    type Family = ContentEvent;
    type Committed = Committed;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: ContentEvent, envelope: &Event) -> anyhow::Result<Committed> {
        let feed = &self.0;
        let mut after = Committed::default();
        match event {
            ContentEvent::PostCreated(created) => {
                let post = FeedPost::from(&created.post);
                (after.stale_post, after.stale_author) = (Some(post.id), Some(post.author_id));
                if posts::upsert(change, &post).await?
                    && let Some((counter, of)) = post.engages()
                {
                    posts::count(change, counter, of, 1).await?;
                }
                let entered = fanout::publish(feed, change, &post).await?;
                let (username, display_name) = authors::names(change, post.author_id).await?;
                let post = Arc::new(StreamPost::of(post, username, display_name));
                after.live = Some(NewPost { post, timelines: entered });
            }
            ContentEvent::PostEdited(edited) => {
                let post = FeedPost::from(&edited.post);
                (after.stale_post, after.stale_author) = (Some(post.id), Some(post.author_id));
                posts::upsert(change, &post).await?;
            }
            ContentEvent::PostDeleted(removed) | ContentEvent::PostHidden(removed) => {
                after.stale_post = Some(removed.id);
                if let Some(post) = posts::remove(change, removed.id).await? {
                    if let Some((counter, of)) = post.engages() {
                        posts::count(change, counter, of, -1).await?;
                    }
                    after.stale_author = Some(post.author_id);
                    fanout::retract(feed, change, &post).await?;
                }
            }
            ContentEvent::PostLiked(like) => liked(change, &like, envelope.occurred_at_ms, true).await?,
            ContentEvent::PostUnliked(like) => liked(change, &like, envelope.occurred_at_ms, false).await?,
            ContentEvent::MediaUploaded(uploaded) => media::uploaded(change, &uploaded).await?,
            ContentEvent::ReportFiled(_) | ContentEvent::ReportResolved(_) => {}
        }
        Ok(after)
    }

    fn committed(&self, after: Committed) {
        let feed = &self.0;
        if let Some(id) = after.stale_post {
            feed.caches.posts.remove(&id.get());
        }
        if let Some(author) = after.stale_author {
            feed.caches.recent.remove(&author);
        }
        if let Some(new_post) = after.live {
            // Hydrated once here, for every stream and the next reads.
            feed.caches.posts.insert(new_post.post.facts.id.get(), Arc::clone(&new_post.post));
            // Nobody listening is not an error.
            let _ = feed.live.send(Live::Post(Arc::new(new_post)));
        }
    }
}

/// A like given (`present`) or taken back, counted once.
async fn liked(change: &mut Change, like: &Like, at_ms: i64, present: bool) -> Result<(), FeedError> {
    if likes::set(change, like.post_id, like.user_id, like.author_id, at_ms, present).await? {
        posts::count(change, Counter::Likes, like.post_id, if present { 1 } else { -1 }).await?;
    }
    Ok(())
}
