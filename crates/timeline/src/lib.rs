//! The timeline store: the feed service's port for timelines, which are capped sets of post ids
//! read newest first.
//!
//! Two implementations pass the same conformance suite: Riffle's own sorted-set engine in
//! process (the embedded default) and Redis.
//!
//! Entries are [`PostId`]s, whose design makes the order exact in both stores (see
//! `contracts::ids`).

pub mod embedded;
pub mod redis_store;

use async_trait::async_trait;
pub use contracts::{
    PostId,
    ids::{EPOCH_MS, InvalidPostId},
};

/// Names a timeline: `home:<user>`, `user:<user>`, `tag:<tag>`, `public`, ...
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimelineKey(String);

impl TimelineKey {
    pub fn new(name: impl Into<String>) -> Self {
        TimelineKey(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A page strictly older than `before`, from a store that can only fetch "`count` entries with a
/// score at most `before`'s, newest first". Scores are milliseconds, so posts of the same
/// millisecond as `before` share its score: fetch with room for them, cut at `before` exactly,
/// and fetch more in the rare case that a whole page was such ties.
pub(crate) async fn page_before<F, Fut>(
    before: PostId,
    limit: usize,
    mut fetch: F,
) -> Result<Vec<PostId>, TimelineError>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<Vec<PostId>, TimelineError>>,
{
    let mut count = limit + 32;
    loop {
        let raw = fetch(count).await?;
        let complete = raw.len() < count;
        let mut page: Vec<PostId> = raw.into_iter().filter(|p| *p < before).collect();
        if page.len() >= limit || complete {
            page.truncate(limit);
            return Ok(page);
        }
        count *= 2;
    }
}

/// Errors of a timeline store.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("timeline store unreachable: {0}")]
    Unavailable(String),
    #[error("timeline store holds data that is not a timeline: {0}")]
    Corrupt(String),
}

/// The port. Every method is idempotent, so a retried fan-out does no harm.
#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Adds `post` to each of `timelines` and trims each to its newest `cap` entries.
    async fn push(&self, timelines: &[TimelineKey], post: PostId, cap: usize) -> Result<(), TimelineError>;

    /// Adds `posts` to one timeline (a follow merging a source's recent posts in), trimming to
    /// `cap`.
    async fn merge(&self, timeline: &TimelineKey, posts: &[PostId], cap: usize) -> Result<(), TimelineError>;

    /// Up to `limit` entries newest first, strictly older than `before` when given.
    async fn page(
        &self,
        timeline: &TimelineKey,
        before: Option<PostId>,
        limit: usize,
    ) -> Result<Vec<PostId>, TimelineError>;

    /// For each of `timelines`, its page (as [`TimelineStore::page`]) and its length, in one
    /// round trip where the store allows (a home read merging many accounts' timelines).
    async fn page_many(
        &self,
        timelines: &[TimelineKey],
        before: Option<PostId>,
        limit: usize,
    ) -> Result<Vec<(Vec<PostId>, usize)>, TimelineError> {
        let mut pages = Vec::with_capacity(timelines.len());
        for timeline in timelines {
            pages.push((self.page(timeline, before, limit).await?, self.len(timeline).await?));
        }
        Ok(pages)
    }

    /// Removes `posts` from `timeline` (unfollow, block, mute, delete).
    async fn remove(&self, timeline: &TimelineKey, posts: &[PostId]) -> Result<(), TimelineError>;

    /// Removes `post` from each of `timelines` (a deleted post).
    async fn remove_everywhere(&self, timelines: &[TimelineKey], post: PostId) -> Result<(), TimelineError>;

    /// Forgets a timeline entirely.
    async fn drop_timeline(&self, timeline: &TimelineKey) -> Result<(), TimelineError>;

    /// Number of entries (0 for a timeline that does not exist).
    async fn len(&self, timeline: &TimelineKey) -> Result<usize, TimelineError>;

    /// Whether the store is reachable, for `/readyz`.
    async fn ping(&self) -> Result<(), TimelineError>;
}
