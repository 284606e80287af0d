//! Home timelines: the posts pushed into the reader's timeline, merged at read time with the
//! posts of the pulled accounts they follow (too big to push; see `fanout`), continued from the
//! database past the cap. All of it by the home rule (`domain::home`).

use std::sync::Arc;

use contracts::PostId;
use timeline::TimelineKey;
use uuid::Uuid;

use crate::{
    Feed,
    cache::Recent,
    domain::{FeedError, home::reply_reaches, timelines::Timeline},
    store::{graph, posts, readers},
    view::Hydrated,
};

/// Up to `limit` posts of `user`'s home, newest first, strictly older than `before`.
pub async fn read(feed: &Feed, user: Uuid, before: Option<PostId>, limit: usize) -> Result<Vec<Hydrated>, FeedError> {
    let ids = ids(feed, user, before, limit).await?;
    super::hydrate(feed, &ids).await
}

/// The ids of [`read`].
pub async fn ids(feed: &Feed, user: Uuid, before: Option<PostId>, limit: usize) -> Result<Vec<PostId>, FeedError> {
    let pulled = pulled_posts(feed, user, before, limit).await?;
    super::page(feed, &Timeline::Home(user), before, limit, pulled).await
}

/// Posts of the pulled (many-followers) accounts `user` follows, strictly older than `before`:
/// what a home read merges in, since fan-out did not push them. They come from each account's
/// `posts:<id>` timeline, with replies kept by the home rule; an account whose timeline runs
/// short (trimmed at its cap, or lost) is read from the database instead.
async fn pulled_posts(feed: &Feed, user: Uuid, before: Option<PostId>, limit: usize) -> Result<Vec<PostId>, FeedError> {
    let authors = pulled_followees(feed, user).await?;
    let mut kept = Vec::new();
    let mut cursor = before;
    while !authors.is_empty() && kept.len() < limit {
        let candidates = newest_of(feed, user, &authors, cursor, limit).await?;
        let Some(&last) = candidates.last() else { break };
        let exhausted = candidates.len() < limit;
        kept.extend(replies_that_reach(feed, user, &candidates).await?);
        if exhausted {
            break;
        }
        cursor = Some(last);
    }
    kept.truncate(limit);
    Ok(kept)
}

/// Newest posts of each pulled account held in memory ([`crate::cache::RecentPosts`]).
pub(crate) const RECENT: usize = 100;

/// The newest `limit` posts below `cursor` of all of `authors` together, newest first.
///
/// A read costs O(page), not O(pulled follows × page): each account's newest posts are in
/// memory, shared by every reader of the process; the cursor is found in each by binary search
/// and the accounts are merged through a heap that yields only the page. Accounts whose memory
/// does not reach below the cursor are read from the timeline store, in one round trip; those
/// whose timeline runs short there, from the database.
async fn newest_of(
    feed: &Feed,
    user: Uuid,
    authors: &[Uuid],
    cursor: Option<PostId>,
    limit: usize,
) -> Result<Vec<PostId>, FeedError> {
    let key = |author: &Uuid| Timeline::Posts(*author).key();
    let mut recent = feed.caches.recent.get_many(authors);
    let missing: Vec<usize> = (0..authors.len()).filter(|&i| recent[i].is_none()).collect();
    if !missing.is_empty() {
        let keys: Vec<TimelineKey> = missing.iter().map(|&i| key(&authors[i])).collect();
        let fetched = feed.timelines.page_many(&keys, None, RECENT).await?;
        for (&i, page) in missing.iter().zip(fetched) {
            let page = Arc::new(page);
            feed.caches.recent.insert(authors[i], Arc::clone(&page));
            recent[i] = Some(page);
        }
    }
    // Each source is newest first, with where its page starts: what memory holds of an account
    // (from below the cursor), or a page read for the account.
    let mut sources: Vec<(Source, usize)> = Vec::new();
    let (mut from_store, mut from_database) = (Vec::new(), Vec::new());
    for (i, entry) in recent.into_iter().enumerate() {
        let entry = entry.expect("filled above");
        let (ids, len) = (&entry.0, entry.1);
        let start = cursor.map_or(0, |c| ids.partition_point(|id| *id >= c));
        let holds_all = ids.len() == len;
        if ids.len() - start >= limit || (holds_all && all_there_is(feed, len)) {
            // Memory answers: a full page below the cursor, or the whole of a timeline that
            // is all there is.
            sources.push((Source::Held(entry), start));
        } else if holds_all {
            from_database.push(i);
        } else {
            from_store.push(i);
        }
    }
    if !from_store.is_empty() {
        let keys: Vec<TimelineKey> = from_store.iter().map(|&i| key(&authors[i])).collect();
        let fetched = feed.timelines.page_many(&keys, cursor, limit).await?;
        for (&i, (page, len)) in from_store.iter().zip(fetched) {
            if page.len() == limit || all_there_is(feed, len) {
                sources.push((Source::Read(page), 0));
            } else {
                from_database.push(i);
            }
        }
    }
    for i in from_database {
        let page = posts::author_at_home(&feed.store, user, authors[i], cursor, limit).await?;
        sources.push((Source::Read(page), 0));
    }
    Ok(merge_newest(&sources, limit))
}

/// Where an account's posts for one read come from.
enum Source {
    /// What memory holds of the account.
    Held(Recent),
    /// A page read for the account.
    Read(Vec<PostId>),
}

impl Source {
    fn ids(&self) -> &[PostId] {
        match self {
            Source::Held(recent) => &recent.0,
            Source::Read(page) => page,
        }
    }
}

/// Whether a `posts:` timeline of `len` entries that ends before a page does is all there is:
/// not when it was trimmed at its cap (older posts are in the database) or is empty (lost:
/// the database knows).
fn all_there_is(feed: &Feed, len: usize) -> bool {
    len != 0 && len < feed.config.cap
}

/// The newest `limit` ids of newest-first `sources` (each from its start), through a heap of
/// each source's head: O(sources + limit × log sources).
fn merge_newest(sources: &[(Source, usize)], limit: usize) -> Vec<PostId> {
    let mut heads: std::collections::BinaryHeap<(PostId, usize, usize)> = sources
        .iter()
        .enumerate()
        .filter_map(|(s, (source, start))| source.ids().get(*start).map(|&id| (id, s, *start)))
        .collect();
    let mut page = Vec::with_capacity(limit);
    while page.len() < limit {
        let Some((id, source, at)) = heads.pop() else { break };
        if page.last() != Some(&id) {
            page.push(id);
        }
        if let Some(&next) = sources[source].0.ids().get(at + 1) {
            heads.push((next, source, at + 1));
        }
    }
    page
}

/// Keeps the posts (of accounts `user` follows) that reach `user` by the reply rule; removed
/// posts go too.
async fn replies_that_reach(feed: &Feed, user: Uuid, ids: &[PostId]) -> Result<Vec<PostId>, FeedError> {
    let posts = super::hydrate(feed, ids).await?;
    let answered_of = |post: &Hydrated| post.reply_to_author_id.as_deref().and_then(|a| a.parse::<Uuid>().ok());
    let mut answered: Vec<Uuid> = posts.iter().filter_map(answered_of).filter(|&to| to != user).collect();
    answered.sort_unstable();
    answered.dedup();
    let followed = if answered.is_empty() {
        Default::default()
    } else {
        graph::followed_among(&feed.store, user, &answered).await?
    };
    posts
        .iter()
        .filter(|p| reply_reaches(user, answered_of(p), |a| followed.contains(&a)))
        .map(|p| p.id.parse().map_err(|_| FeedError::Unexpected(anyhow::anyhow!("bad post id {}", p.id))))
        .collect()
}

/// The pulled accounts `user` follows and does not hide (cached: most readers follow none, and
/// then a home read makes no query for them).
pub(crate) async fn pulled_followees(feed: &Feed, user: Uuid) -> Result<Arc<Vec<Uuid>>, FeedError> {
    if let Some(authors) = feed.caches.pulled.get(&user) {
        return Ok(authors);
    }
    let authors = Arc::new(graph::pulled_followees(&feed.store, user, feed.config.fanout_threshold).await?);
    feed.caches.pulled.insert(user, Arc::clone(&authors));
    Ok(authors)
}

/// Records a home read. A user inactive for longer than `timelines.inactive_after_secs` (or
/// reading for the first time) had no fan-out meanwhile: their timeline is dropped so that this
/// read rebuilds it from the database at once, never showing a stale or empty home.
pub async fn reading(feed: &Feed, user: Uuid) -> Result<(), FeedError> {
    let now = platform::db::now_ms();
    let window = feed.config.inactive_after_secs as i64 * 1000;
    // One write an hour per active reader is enough to tell active from inactive.
    let refresh = if window > 0 { window.min(3_600_000) } else { 3_600_000 };
    if feed.caches.activity.get(&user).is_some_and(|at| now - at < refresh) {
        return Ok(());
    }
    let last = readers::last_read(&feed.store, user).await?;
    if window > 0 && last.is_none_or(|at| now - at > window) {
        feed.timelines.drop_timeline(&Timeline::Home(user).key()).await?;
    }
    let mut recorded = last.unwrap_or(now);
    if last.is_none_or(|at| now - at > refresh) {
        readers::record(&feed.store, user, now).await?;
        recorded = now;
    }
    feed.caches.activity.insert(user, recorded);
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(n: u64) -> PostId {
        PostId::new(contracts::ids::EPOCH_MS + n, 1)
    }

    proptest! {
        /// The heap merge yields what sorting every source's page together would.
        #[test]
        fn the_merge_is_the_newest_of_all_sources(
            pages in proptest::collection::vec(proptest::collection::btree_set(0u64..500, 0..30), 0..12),
            starts in proptest::collection::vec(0usize..35, 12),
            limit in 1usize..40,
        ) {
            let sources: Vec<(Source, usize)> = pages
                .iter()
                .zip(&starts)
                .map(|(page, &start)| (Source::Read(page.iter().rev().map(|&n| id(n)).collect()), start))
                .collect();
            let mut expected: Vec<PostId> =
                sources.iter().flat_map(|(source, start)| source.ids().iter().skip(*start).copied()).collect();
            expected.sort_unstable_by(|a, b| b.cmp(a));
            expected.dedup();
            expected.truncate(limit);
            prop_assert_eq!(merge_newest(&sources, limit), expected);
        }
    }
}
