//! What the hot read paths keep in memory, so a home or public read needs no database query:
//! hydrated posts, when each reader's activity was last recorded, which of the accounts a
//! reader follows are merged at read time, and those accounts' newest posts.
//!
//! Every entry is a copy of the read model that may go stale when another replica handles the
//! event that changes it; each therefore lives a bounded time ([`POSTS_FRESH_FOR`],
//! [`PULLED_FRESH_FOR`], [`RECENT_FRESH_FOR`], [`SUSPENDED_FRESH_FOR`]). This process's own event handling drops what it changes at once. Deleted and hidden posts never rely on this: they
//! leave the timelines, and database reads skip them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;

use uuid::Uuid;

use crate::{config::TimelinesConfig, domain::home, view::Hydrated};

/// How long a cached post is served before it is read again (an edit handled by another replica
/// shows here within this time).
pub const POSTS_FRESH_FOR: Duration = Duration::from_secs(10);
/// How long a reader's pulled follows are trusted (a follow handled by another replica shows
/// here within this time).
pub const PULLED_FRESH_FOR: Duration = Duration::from_secs(60);
/// How long a pulled account's newest posts are served from memory (a post handled by another
/// replica shows here within this time).
pub const RECENT_FRESH_FOR: Duration = Duration::from_secs(1);
/// How long the set of suspended accounts is trusted (a suspension handled by another replica
/// hides the account's posts here within this time).
pub const SUSPENDED_FRESH_FOR: Duration = Duration::from_secs(1);
const READERS: usize = 100_000;
const PULLED_ACCOUNTS: usize = 10_000;

/// A pulled account's newest post ids and the length of its `posts:` timeline.
pub type Recent = Arc<(Vec<contracts::PostId>, usize)>;

#[derive(Clone)]
struct Entry<T> {
    value: T,
    at: Instant,
}

/// A capacity-bounded map whose entries expire.
pub struct Fresh<K, V> {
    cache: Cache<K, Entry<V>>,
    ttl: Duration,
}

impl<K: Eq + std::hash::Hash + Clone, V: Clone> Fresh<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self { cache: Cache::new(capacity.max(16)), ttl }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Q: std::hash::Hash + quick_cache::Equivalent<K> + ?Sized,
    {
        self.cache.get(key).filter(|e| e.at.elapsed() < self.ttl).map(|e| e.value)
    }

    pub fn insert(&self, key: K, value: V) {
        self.cache.insert(key, Entry { value, at: Instant::now() });
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        Q: std::hash::Hash + quick_cache::Equivalent<K> + ?Sized,
    {
        self.cache.remove(key);
    }
}

/// The feed's caches.
pub struct Caches {
    /// Hydrated posts by id.
    pub posts: Fresh<u64, Hydrated>,
    /// When this process last recorded each reader's activity (unix ms); see
    /// `streams::home::reading`.
    pub activity: Cache<Uuid, i64>,
    /// The pulled (many-followers) accounts each reader follows and does not hide.
    pub pulled: Fresh<Uuid, Arc<Vec<Uuid>>>,
    /// The newest posts of pulled accounts, shared by all their followers' home reads.
    pub recent: Fresh<Uuid, Recent>,
    /// Each live reader's part of the graph, shared by their open streams.
    pub readers: Fresh<Uuid, Arc<home::Reader>>,
    /// The suspended accounts, whose posts no stream shows (one entry: the whole set).
    pub suspended: Fresh<(), Arc<std::collections::HashSet<Uuid>>>,
}

impl Caches {
    pub fn new(config: &TimelinesConfig) -> Self {
        Self {
            posts: Fresh::new(config.post_cache_entries, POSTS_FRESH_FOR),
            activity: Cache::new(READERS),
            pulled: Fresh::new(READERS, PULLED_FRESH_FOR),
            recent: Fresh::new(PULLED_ACCOUNTS, RECENT_FRESH_FOR),
            readers: Fresh::new(READERS, PULLED_FRESH_FOR),
            suspended: Fresh::new(1, SUSPENDED_FRESH_FOR),
        }
    }

    /// Forgets what is cached about `user`'s relationships (a follow, block or mute changed).
    pub fn relationships_changed(&self, user: &Uuid) {
        self.pulled.remove(user);
        self.readers.remove(user);
    }
}
