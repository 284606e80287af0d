//! What the hot read paths keep in memory, so a home or public read needs no database query:
//! hydrated posts, when each reader's activity was last recorded, which of the accounts a
//! reader follows are merged at read time, and those accounts' newest posts.
//!
//! Every entry is a copy of the read model that may go stale when another replica handles the
//! event that changes it; each therefore lives a bounded time ([`POSTS_FRESH_FOR`],
//! [`PULLED_FRESH_FOR`], [`RECENT_FRESH_FOR`], [`SUSPENDED_FRESH_FOR`]). This process's own
//! event handling drops what it changes at once, so a process alone (events in process) keeps
//! posts longer ([`POSTS_FRESH_FOR_ALONE`]). Deleted and hidden posts never rely on this: they
//! leave the timelines, and database reads skip them.

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;

use uuid::Uuid;

use crate::{config::TimelinesConfig, domain::home, view::Hydrated};

/// How long a cached post is served before it is read again (an edit handled by another replica
/// shows here within this time).
pub const POSTS_FRESH_FOR: Duration = Duration::from_secs(10);
/// The same when this process is the only one (events in process): every change to a post is
/// handled here and drops its entry, a rename drops them all, so the age only bounds memory.
pub const POSTS_FRESH_FOR_ALONE: Duration = Duration::from_secs(600);
/// How long a reader's pulled follows are trusted (a follow handled by another replica shows
/// here within this time).
pub const PULLED_FRESH_FOR: Duration = Duration::from_secs(60);
/// How often the pulled accounts' newest posts are read again (a post handled by another replica
/// shows here within about this time).
pub const RECENT_FRESH_FOR: Duration = Duration::from_secs(1);
/// How long the set of suspended accounts is trusted (a suspension handled by another replica
/// hides the account's posts here within this time).
pub const SUSPENDED_FRESH_FOR: Duration = Duration::from_secs(1);
const READERS: usize = 100_000;

/// A pulled account's newest post ids and the length of its `posts:` timeline.
pub type Recent = Arc<(Vec<contracts::PostId>, usize)>;

/// How long an account nobody's home read has needed stays in [`RecentPosts`].
const RECENT_UNUSED_FOR: Duration = Duration::from_secs(600);

/// The newest posts of the pulled accounts this process's readers follow: what every home read
/// merges in. No read waits for them but an account's first: one background task reads them
/// all again every [`RECENT_FRESH_FOR`], in one round trip ([`crate::refresh_recent`]), so a
/// post handled by another replica shows here within about that time, and expiry never sends
/// every concurrent reader to the store at once. Entries older than [`RecentPosts::TRUST`]
/// (the refresh is failing) are not served; those of accounts no read needed for
/// [`RECENT_UNUSED_FOR`] are dropped.
pub struct RecentPosts {
    accounts: RwLock<HashMap<Uuid, Account>>,
    /// The clock of `Account::read_at`: this map's creation.
    epoch: Instant,
}

struct Account {
    recent: Recent,
    fetched_at: Instant,
    /// Milliseconds after `epoch` of the last read that needed the account.
    read_at: AtomicU64,
}

impl RecentPosts {
    /// How stale an entry may be and still be served.
    pub const TRUST: Duration = Duration::from_secs(5);

    fn new() -> Self {
        Self { accounts: RwLock::default(), epoch: Instant::now() }
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Each author's newest posts, `None` where they are not held (or no longer trusted).
    pub fn get_many(&self, authors: &[Uuid]) -> Vec<Option<Recent>> {
        let now = self.now();
        let accounts = self.accounts.read().expect("not poisoned");
        authors
            .iter()
            .map(|author| {
                let account = accounts.get(author).filter(|a| a.fetched_at.elapsed() < Self::TRUST)?;
                account.read_at.store(now, Ordering::Relaxed);
                Some(Arc::clone(&account.recent))
            })
            .collect()
    }

    pub fn insert(&self, author: Uuid, recent: Recent) {
        let account = Account { recent, fetched_at: Instant::now(), read_at: AtomicU64::new(self.now()) };
        self.accounts.write().expect("not poisoned").insert(author, account);
    }

    /// Forgets an author's posts (this process handled a change to them): the next read that
    /// needs them reads them from the store.
    pub fn remove(&self, author: &Uuid) {
        self.accounts.write().expect("not poisoned").remove(author);
    }

    /// The authors to read again: those some read needed lately; the others are dropped.
    pub fn in_use(&self) -> Vec<Uuid> {
        let cutoff = self.now().saturating_sub(RECENT_UNUSED_FOR.as_millis() as u64);
        let mut accounts = self.accounts.write().expect("not poisoned");
        accounts.retain(|_, account| account.read_at.load(Ordering::Relaxed) >= cutoff);
        accounts.keys().copied().collect()
    }

    /// Replaces what is held of `author` with a read made at `fetched_at`, unless the author was
    /// dropped meanwhile or a read since has put in something newer.
    pub fn refreshed(&self, author: Uuid, recent: Recent, fetched_at: Instant) {
        if let Some(account) = self.accounts.write().expect("not poisoned").get_mut(&author)
            && account.fetched_at < fetched_at
        {
            account.recent = recent;
            account.fetched_at = fetched_at;
        }
    }
}

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

    pub fn clear(&self) {
        self.cache.clear();
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
    pub recent: RecentPosts,
    /// Each live reader's part of the graph, shared by their open streams.
    pub readers: Fresh<Uuid, Arc<home::Reader>>,
    /// The suspended accounts, whose posts no stream shows (one entry: the whole set).
    pub suspended: Fresh<(), Arc<std::collections::HashSet<Uuid>>>,
}

impl Caches {
    /// `alone`: no other process handles the feed's events (the in-process bus).
    pub fn new(config: &TimelinesConfig, alone: bool) -> Self {
        let posts_fresh_for = if alone { POSTS_FRESH_FOR_ALONE } else { POSTS_FRESH_FOR };
        Self {
            posts: Fresh::new(config.post_cache_entries, posts_fresh_for),
            activity: Cache::new(READERS),
            pulled: Fresh::new(READERS, PULLED_FRESH_FOR),
            recent: RecentPosts::new(),
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
