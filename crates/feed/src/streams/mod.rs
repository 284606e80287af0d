//! The read path: one module per stream. Every stream reads newest first from its timeline in
//! the timeline store, continues from the database once past the timeline's cap, and refills a
//! timeline the store lost; posts are hydrated from memory when cached.
//!
//! * `listed`: the public, tag and user streams.
//! * `home`: home timelines: pushed, pulled (accounts too big to push) and the database.
//! * `for_you`: the ranked stream: candidates, ranking, snapshots.
//! * `live`: new posts as they enter a stream, for server-sent events.

pub mod for_you;
pub mod home;
pub mod listed;
pub mod live;

use std::collections::HashSet;

use contracts::PostId;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{FeedError, timelines::Timeline},
    store::posts,
    view::{Hydrated, StreamPost},
};

/// Up to `limit` ids of `timeline`, newest first, strictly older than `before`: from the store,
/// merged with `also` (ids from other sources, newest first from the same cursor), and continued
/// from the database when the store's page is short (past the cap, or the timeline was lost:
/// then it is rebuilt).
pub(crate) async fn page(
    feed: &Feed,
    timeline: &Timeline,
    before: Option<PostId>,
    limit: usize,
    also: Vec<PostId>,
) -> Result<Vec<PostId>, FeedError> {
    let key = timeline.key();
    if feed.first_read_since_crash(&key) {
        rebuild(feed, timeline, &key).await?;
    }
    let mut ids = feed.timelines.page(&key, before, limit).await?;
    // A short page means the timeline ends here: past its cap, or lost by the store.
    let store_ended = ids.len() < limit;
    let store_last = ids.last().copied();
    ids.extend(also);
    if store_ended {
        // The database's rule covers every source, pushed or pulled.
        let more = posts::page(&feed.store, timeline, store_last.or(before), limit).await?;
        if before.is_none() && !more.is_empty() && feed.timelines.len(&key).await? == 0 {
            rebuild(feed, timeline, &key).await?;
        }
        ids.extend(more);
    }
    // Every source is newest-first from the same cursor, so their merge is a correct page.
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(limit);
    Ok(ids)
}

/// Merges the database's newest posts of `timeline` (up to its cap) into the store: for a
/// timeline the store lost, or one that may have a gap after a crash.
async fn rebuild(feed: &Feed, timeline: &Timeline, key: &timeline::TimelineKey) -> Result<(), FeedError> {
    let cap = timeline.cap(&feed.config);
    let newest = posts::page(&feed.store, timeline, None, cap).await?;
    feed.timelines.merge(key, &newest, cap).await?;
    if let Timeline::Tag(tag) = timeline {
        crate::store::tags::rebuilt(&feed.store, tag).await?;
    }
    tracing::info!(timeline = key.as_str(), entries = newest.len(), "timeline rebuilt from the database");
    Ok(())
}

/// The posts for `ids`, in that order; ids the read model lacks or has removed, and posts of
/// suspended accounts, are skipped. Cached posts are served from memory; the rest are read in
/// one query and cached.
pub(crate) async fn hydrate(feed: &Feed, ids: &[PostId]) -> Result<Vec<Hydrated>, FeedError> {
    let suspended = suspended(feed).await?;
    let mut found: Vec<Option<Hydrated>> = ids.iter().map(|id| feed.caches.posts.get(&id.get())).collect();
    let missing: Vec<PostId> = ids.iter().zip(&found).filter(|(_, hit)| hit.is_none()).map(|(id, _)| *id).collect();
    if !missing.is_empty() {
        let mut loaded = posts::shown(&feed.store, &missing).await?;
        for (id, slot) in ids.iter().zip(found.iter_mut()) {
            if slot.is_none()
                && let Some((post, username, display_name)) = loaded.remove(id)
            {
                let post = std::sync::Arc::new(StreamPost::of(post, username, display_name));
                feed.caches.posts.insert(id.get(), std::sync::Arc::clone(&post));
                *slot = Some(post);
            }
        }
    }
    Ok(found.into_iter().flatten().filter(|post| !suspended.contains(&post.facts.author_id)).collect())
}

/// The suspended accounts, from memory when read less than a second ago.
pub(crate) async fn suspended(feed: &Feed) -> Result<std::sync::Arc<HashSet<Uuid>>, FeedError> {
    if let Some(set) = feed.caches.suspended.get(&()) {
        return Ok(set);
    }
    let set = std::sync::Arc::new(crate::store::authors::suspended(&feed.store).await?);
    feed.caches.suspended.insert((), std::sync::Arc::clone(&set));
    Ok(set)
}
