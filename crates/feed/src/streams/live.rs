//! Live streams: new posts of the home and public timelines, as they enter them.
//!
//! The ingest of content's events broadcasts each new post with the timelines it entered, after
//! its commit. A client that reconnects with the last post it saw first gets what it missed
//! (from the read model, oldest first, by the same rule as the timeline), then new posts as they
//! arrive; the subscription starts before the catch-up query, and posts already sent are
//! skipped, so there is neither a gap nor a duplicate at the seam.

use std::{collections::HashSet, sync::Arc};

use contracts::PostId;
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{FeedError, timelines::Timeline},
    store::posts,
    view::Hydrated,
};

/// A post that just entered some timelines.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub post: PostId,
    pub author: Uuid,
    /// The timeline keys it entered (`public`, `home:<user>`, ...).
    pub timelines: Arc<HashSet<String>>,
}

/// How many missed posts a reconnecting client is sent before live ones.
const CATCH_UP: usize = 200;

/// The posts of `timeline` (home or public) from after `resume` on, as they arrive.
pub async fn follow(
    feed: Arc<Feed>,
    timeline: Timeline,
    resume: Option<PostId>,
) -> Result<impl Stream<Item = Hydrated>, FeedError> {
    let mut receiver = feed.live.subscribe();
    let missed = match resume {
        Some(after) => {
            super::hydrate(&feed, &posts::newer_than(&feed.store, &timeline, after, CATCH_UP).await?).await?
        }
        None => Vec::new(),
    };
    let key = timeline.key().as_str().to_owned();
    let reader = match timeline {
        Timeline::Home(user) => Some(user),
        _ => None,
    };
    Ok(async_stream::stream! {
        let mut last = resume;
        for post in missed {
            last = post.id.parse().ok().or(last);
            yield post;
        }
        loop {
            let new_post = match receiver.recv().await {
                Ok(new_post) => new_post,
                // A slow client missed some; it can resume with Last-Event-ID.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let entered = new_post.timelines.contains(&key);
            let pulled = match reader {
                Some(user) if !entered => {
                    super::home::shows_pulled(&feed, user, new_post.author, new_post.post, &new_post.timelines).await
                }
                _ => false,
            };
            if !(entered || pulled) || last.is_some_and(|l| new_post.post <= l) {
                continue;
            }
            if let Ok(mut posts) = super::hydrate(&feed, &[new_post.post]).await
                && let Some(post) = posts.pop()
            {
                last = Some(new_post.post);
                yield post;
            }
        }
    })
}
