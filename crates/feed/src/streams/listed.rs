//! The listed streams: the public stream (the waterfall), tag streams and a user's posts.

use contracts::PostId;

use crate::{
    Feed,
    domain::{FeedError, timelines::Timeline},
    view::Hydrated,
};

/// Up to `limit` posts of `timeline` (public, tag or user), newest first, strictly older than
/// `before`.
pub async fn read(
    feed: &Feed,
    timeline: &Timeline,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<Hydrated>, FeedError> {
    let ids = super::page(feed, timeline, before, limit, Vec::new()).await?;
    super::hydrate(feed, &ids).await
}
