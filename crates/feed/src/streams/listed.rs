//! The listed streams: the public stream (the waterfall), tag streams and a user's posts. They
//! are the same for everyone, except that a signed-in reader never sees the authors they block
//! or mute.

use std::collections::HashSet;

use contracts::PostId;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{FeedError, timelines::Timeline},
    store::graph,
    view::{Hydrated, StreamPost},
};

/// Up to `limit` posts of `timeline` (public, tag or user), newest first, strictly older than
/// `before`, leaving out the authors `reader` (if signed in) blocks or mutes.
pub async fn read(
    feed: &Feed,
    timeline: &Timeline,
    reader: Option<Uuid>,
    before: Option<PostId>,
    limit: usize,
) -> Result<Vec<Hydrated>, FeedError> {
    let silenced = match reader {
        Some(user) => graph::silenced(&feed.store, user).await?,
        None => HashSet::new(),
    };
    read_where(feed, timeline, before, limit, |post| !silenced.contains(&post.facts.author_id)).await
}

/// Up to `limit` posts of `timeline` that `keep` keeps, newest first, strictly older than
/// `before`. Pages are read until enough remain, or the stream ends.
pub async fn read_where(
    feed: &Feed,
    timeline: &Timeline,
    before: Option<PostId>,
    limit: usize,
    keep: impl Fn(&StreamPost) -> bool,
) -> Result<Vec<Hydrated>, FeedError> {
    let mut shown = Vec::with_capacity(limit);
    let mut cursor = before;
    loop {
        let ids = super::page(feed, timeline, cursor, limit, Vec::new()).await?;
        let ended = ids.len() < limit;
        cursor = ids.last().copied().or(cursor);
        let posts = super::hydrate(feed, &ids).await?;
        shown.extend(posts.into_iter().filter(|p| keep(p)));
        if ended || shown.len() >= limit {
            shown.truncate(limit);
            return Ok(shown);
        }
    }
}
