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
        let pages = author_pages(feed, &authors, cursor, limit).await?;
        let mut candidates = Vec::new();
        for (author, (page, len)) in authors.iter().zip(pages) {
            // A short page is all there is, unless the timeline was trimmed at its cap (and this
            // page reached past it) or lost (empty): then the database knows the rest.
            if page.len() == limit || (len != 0 && len < feed.config.cap) {
                candidates.extend(page);
            } else {
                candidates.extend(posts::author_at_home(&feed.store, user, *author, cursor, limit).await?);
            }
        }
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        candidates.dedup();
        candidates.truncate(limit);
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

/// Newest posts of each pulled account kept in the process-wide cache.
const RECENT: usize = 100;

/// For each of `authors`, the page of their `posts:` timeline below `cursor` and its length, as
/// [`timeline::TimelineStore::page_many`]. Pages within an account's newest [`RECENT`] posts come
/// from memory, shared by every reader of this process and read again from the store at least
/// every second (at once when this process handles the account's new post); deeper pages come
/// from the store, in one round trip.
async fn author_pages(
    feed: &Feed,
    authors: &[Uuid],
    cursor: Option<PostId>,
    limit: usize,
) -> Result<Vec<(Vec<PostId>, usize)>, FeedError> {
    let key = |author: &Uuid| Timeline::Posts(*author).key();
    let mut recent: Vec<Option<Recent>> = authors.iter().map(|a| feed.caches.recent.get(a)).collect();
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
    let mut pages = Vec::with_capacity(authors.len());
    let mut deeper = Vec::new();
    for (i, entry) in recent.into_iter().enumerate() {
        let (ids, len) = &*entry.expect("filled above");
        let page: Vec<PostId> = ids.iter().copied().filter(|id| cursor.is_none_or(|c| *id < c)).take(limit).collect();
        // Memory answers with a full page below the cursor, or when it holds the whole timeline.
        if page.len() == limit || ids.len() == *len {
            pages.push((page, *len));
        } else {
            deeper.push(i);
            pages.push((Vec::new(), 0));
        }
    }
    if !deeper.is_empty() {
        let keys: Vec<TimelineKey> = deeper.iter().map(|&i| key(&authors[i])).collect();
        let fetched = feed.timelines.page_many(&keys, cursor, limit).await?;
        for (&i, page) in deeper.iter().zip(fetched) {
            pages[i] = page;
        }
    }
    Ok(pages)
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
