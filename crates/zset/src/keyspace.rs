//! The keyspace: sharded map of key → sorted set, key expiry, and the
//! locking discipline that makes every command linearizable per key.
//!
//! There is no global lock. Keys hash to one of N shards, each a
//! `parking_lot::RwLock` over its own hash maps, so threads working on
//! different keys rarely meet. A command touching several keys (STORE
//! commands, multi-key DEL) write-locks all of their shards in ascending
//! shard order, which rules out deadlock and makes the command atomic.
//!
//! Expiry is lazy (an expired key reads as absent and is removed by the next
//! write that touches it) plus [`Keyspace::sweep_expired`], a cheap bounded
//! sweep the embedding service can call from a timer.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use parking_lot::{RwLock, RwLockWriteGuard};

use crate::clock::{Clock, SystemClock};
use crate::error::ZError;
use crate::hash::MemberHashBuilder;
use crate::zset::ZSet;

/// Tuning knobs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of shards (rounded up to a power of two).
    pub shards: usize,
    /// Largest set kept as a packed array; bigger sets use the counted
    /// tree. Chosen by the `packed_vs_tree` benchmark (see docs/benchmarks.md);
    /// values above 3500 act as 3500 (the packed index's position width).
    pub packed_max_entries: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config { shards: 64, packed_max_entries: DEFAULT_PACKED_MAX }
    }
}

/// Default packed-array limit; see [`Config::packed_max_entries`].
pub const DEFAULT_PACKED_MAX: usize = 1024;

/// Remaining time to live of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ttl {
    /// The key does not exist (`TTL` replies -2).
    Missing,
    /// The key has no expiry (`TTL` replies -1).
    Persistent,
    /// Milliseconds left.
    Millis(u64),
}

/// Condition flags of `EXPIRE` (Redis 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExpireCondition {
    /// Always set.
    #[default]
    Always,
    /// Only if the key has no expiry.
    Nx,
    /// Only if the key has an expiry.
    Xx,
    /// Only if the new expiry is later (a persistent key counts as infinite).
    Gt,
    /// Only if the new expiry is earlier (a persistent key counts as infinite).
    Lt,
    /// `XX LT`: only if the key has an expiry and the new one is earlier.
    XxLt,
}

pub(crate) type KeyMap<V> = HashMap<Box<[u8]>, V, MemberHashBuilder>;

/// One shard: the sets and the expiry deadlines of its keys.
#[derive(Debug, Default)]
pub(crate) struct Shard {
    pub(crate) sets: KeyMap<ZSet>,
    /// Unix-ms deadline of keys with a TTL. Kept apart from `sets` so keys
    /// without a TTL (nearly all timelines) pay nothing for the feature.
    pub(crate) expires: KeyMap<u64>,
}

impl Shard {
    /// Redis's `keyIsExpired`: a key dies once `now` passes its deadline.
    fn is_expired(&self, key: &[u8], now: u64) -> bool {
        !self.expires.is_empty() && self.expires.get(key).is_some_and(|&deadline| now > deadline)
    }

    /// The live set at `key`.
    pub(crate) fn get(&self, key: &[u8], now: u64) -> Option<&ZSet> {
        if self.is_expired(key, now) { None } else { self.sets.get(key) }
    }

    /// Drops `key` if it has expired.
    pub(crate) fn purge_if_expired(&mut self, key: &[u8], now: u64) {
        if self.is_expired(key, now) {
            self.delete(key);
        }
    }

    /// Redis deletes a sorted set when its last member goes.
    pub(crate) fn drop_if_empty(&mut self, key: &[u8]) {
        if self.sets.get(key).is_some_and(ZSet::is_empty) {
            self.delete(key);
        }
    }

    /// Removes `key`; returns whether it existed.
    pub(crate) fn delete(&mut self, key: &[u8]) -> bool {
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        self.sets.remove(key).is_some()
    }

    /// Replaces `key` with `set` like Redis's `setKey`: any TTL is dropped,
    /// and an empty result deletes the key instead.
    pub(crate) fn store(&mut self, key: &[u8], set: ZSet) {
        self.delete(key);
        if !set.is_empty() {
            self.sets.insert(key.into(), set);
        }
    }
}

/// One shard's lock on its own cache lines, so threads working in
/// neighbouring shards do not invalidate each other's lock word.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct PaddedShard(RwLock<Shard>);

impl std::ops::Deref for PaddedShard {
    type Target = RwLock<Shard>;

    fn deref(&self) -> &RwLock<Shard> {
        &self.0
    }
}

/// A thread-safe keyspace of sorted sets with Redis semantics.
///
/// Use the typed methods (`zadd`, `range_by_rank`, …) from Rust, or
/// [`Keyspace::execute`] with a Redis argument vector.
#[derive(Debug)]
pub struct Keyspace {
    shards: Box<[PaddedShard]>,
    shard_mask: usize,
    key_hasher: MemberHashBuilder,
    clock: Arc<dyn Clock>,
    pub(crate) config: Config,
}

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace::new(Config::default())
    }
}

/// Write guards over every shard a multi-key command touches.
pub(crate) struct MultiShard<'a> {
    keyspace: &'a Keyspace,
    guards: Vec<(usize, RwLockWriteGuard<'a, Shard>)>,
    pub(crate) now: u64,
}

impl MultiShard<'_> {
    /// The locked shard holding `key` (which must be one of the locked keys).
    pub(crate) fn shard(&mut self, key: &[u8]) -> &mut Shard {
        let index = self.keyspace.shard_index(key);
        let pos = self.guards.binary_search_by_key(&index, |(i, _)| *i).expect("key was locked");
        &mut self.guards[pos].1
    }

    /// The live set at `key` (which must be one of the locked keys).
    pub(crate) fn get(&self, key: &[u8]) -> Option<&ZSet> {
        let index = self.keyspace.shard_index(key);
        let pos = self.guards.binary_search_by_key(&index, |(i, _)| *i).expect("key was locked");
        self.guards[pos].1.get(key, self.now)
    }
}

impl Keyspace {
    /// An empty keyspace on the system clock.
    pub fn new(config: Config) -> Self {
        Keyspace::with_clock(config, Arc::new(SystemClock))
    }

    /// An empty keyspace reading time from `clock`.
    pub fn with_clock(config: Config, clock: Arc<dyn Clock>) -> Self {
        let count = config.shards.max(1).next_power_of_two();
        let shards = (0..count).map(|_| PaddedShard::default()).collect();
        Keyspace { shards, shard_mask: count - 1, key_hasher: MemberHashBuilder::default(), clock, config }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Current time in Unix milliseconds, from the injected clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    pub(crate) fn packed_max(&self) -> usize {
        self.config.packed_max_entries
    }

    fn shard_index(&self, key: &[u8]) -> usize {
        // High bits: the low bits also pick the bucket inside the shard's map.
        (self.key_hasher.hash_one(key) >> 40) as usize & self.shard_mask
    }

    pub(crate) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    pub(crate) fn shard_at(&self, index: usize) -> &RwLock<Shard> {
        &self.shards[index]
    }

    /// The time to judge expiry by in `shard`: reading the clock costs
    /// more than a whole timeline push, so shards without TTLs skip it.
    #[inline]
    fn now_for(&self, shard: &Shard) -> u64 {
        if shard.expires.is_empty() { 0 } else { self.now_ms() }
    }

    /// Runs `f` on the live set at `key` under the shard's read lock.
    #[inline]
    pub(crate) fn read<R>(&self, key: &[u8], f: impl FnOnce(Option<&ZSet>) -> R) -> R {
        let shard = self.shards[self.shard_index(key)].read();
        let now = self.now_for(&shard);
        f(shard.get(key, now))
    }

    /// Runs `f` with the shard of `key` write-locked (expired `key` already
    /// purged); afterwards deletes `key` if `f` left it empty.
    pub(crate) fn write<R>(&self, key: &[u8], f: impl FnOnce(&mut Shard, u64) -> R) -> R {
        let mut shard = self.shards[self.shard_index(key)].write();
        let now = self.now_for(&shard);
        shard.purge_if_expired(key, now);
        let result = f(&mut shard, now);
        shard.drop_if_empty(key);
        result
    }

    /// The single-key write path with one hash lookup: runs `f` on the live
    /// set at `key`, on a fresh set if absent and `create` (kept only if
    /// `f` leaves it non-empty), or returns `None`. An emptied set is
    /// deleted, as Redis does.
    #[inline]
    pub(crate) fn update<R>(&self, key: &[u8], create: bool, f: impl FnOnce(&mut ZSet) -> R) -> Option<R> {
        let mut shard = self.shards[self.shard_index(key)].write();
        let now = self.now_for(&shard);
        shard.purge_if_expired(key, now);
        if let Some(set) = shard.sets.get_mut(key) {
            let result = f(set);
            if set.is_empty() {
                shard.delete(key);
            }
            return Some(result);
        }
        if !create {
            return None;
        }
        let mut set = ZSet::default();
        let result = f(&mut set);
        if !set.is_empty() {
            shard.sets.insert(key.into(), set);
        }
        Some(result)
    }

    /// Write-locks the shards of all `keys` in ascending shard order.
    pub(crate) fn lock_many(&self, keys: &[&[u8]]) -> MultiShard<'_> {
        let mut indexes: Vec<usize> = keys.iter().map(|k| self.shard_index(k)).collect();
        indexes.sort_unstable();
        indexes.dedup();
        let guards = indexes.into_iter().map(|i| (i, self.shards[i].write())).collect();
        MultiShard { keyspace: self, guards, now: self.now_ms() }
    }

    // ---- Key commands -------------------------------------------------

    /// `DEL`: removes the keys; returns how many existed.
    pub fn del(&self, keys: &[&[u8]]) -> usize {
        let mut locked = self.lock_many(keys);
        let now = locked.now;
        keys.iter()
            .filter(|key| {
                let shard = locked.shard(key);
                shard.purge_if_expired(key, now);
                shard.delete(key)
            })
            .count()
    }

    /// `EXISTS`: counts the keys that exist (a repeated key counts again).
    pub fn exists(&self, keys: &[&[u8]]) -> usize {
        keys.iter().filter(|key| self.read(key, |set| set.is_some())).count()
    }

    /// `EXPIRE key seconds [NX|XX|GT|LT]`. Returns whether the timeout was
    /// set (or the key deleted because the time is already past).
    pub fn expire(&self, key: &[u8], seconds: i64, condition: ExpireCondition) -> Result<bool, ZError> {
        let invalid = || ZError::err("invalid expire time in 'expire' command");
        let millis = seconds.checked_mul(1000).ok_or_else(invalid)?;
        let now = self.now_ms() as i64;
        let when = millis.checked_add(now).ok_or_else(invalid)?;
        Ok(self.expire_at_ms(key, when, condition))
    }

    /// `PEXPIREAT`-style core: sets an absolute deadline in Unix ms.
    pub fn expire_at_ms(&self, key: &[u8], when: i64, condition: ExpireCondition) -> bool {
        self.write(key, |shard, _| {
            // The real time: `write` skips the clock for shards without TTLs.
            let now = self.now_ms();
            if !shard.sets.contains_key(key) {
                return false;
            }
            let current = shard.expires.get(key).map(|&t| t as i64);
            let allowed = match condition {
                ExpireCondition::Always => true,
                ExpireCondition::Nx => current.is_none(),
                ExpireCondition::Xx => current.is_some(),
                ExpireCondition::Gt => current.is_some_and(|c| when > c),
                ExpireCondition::Lt => current.is_none_or(|c| when < c),
                ExpireCondition::XxLt => current.is_some_and(|c| when < c),
            };
            if !allowed {
                return false;
            }
            if when <= now as i64 {
                shard.delete(key);
            } else {
                shard.expires.insert(key.into(), when as u64);
            }
            true
        })
    }

    /// Remaining time to live of `key`.
    pub fn ttl(&self, key: &[u8]) -> Ttl {
        let now = self.now_ms();
        let shard = self.shards[self.shard_index(key)].read();
        if shard.get(key, now).is_none() {
            return Ttl::Missing;
        }
        match shard.expires.get(key) {
            None => Ttl::Persistent,
            Some(&deadline) => Ttl::Millis(deadline.saturating_sub(now)),
        }
    }

    /// `PERSIST`: removes the expiry; returns whether there was one.
    pub fn persist(&self, key: &[u8]) -> bool {
        self.write(key, |shard, _| shard.expires.remove(key).is_some())
    }

    /// Removes up to `budget` expired keys per shard; returns how many went.
    /// Cheap enough to call every few hundred milliseconds.
    pub fn sweep_expired(&self, budget: usize) -> usize {
        let now = self.now_ms();
        let mut removed = 0;
        for shard in self.shards.iter() {
            if shard.read().expires.is_empty() {
                continue;
            }
            let mut shard = shard.write();
            let dead: Vec<Box<[u8]>> =
                shard.expires.iter().filter(|(_, d)| now > **d).take(budget).map(|(k, _)| k.clone()).collect();
            for key in dead {
                shard.delete(&key);
                removed += 1;
            }
        }
        removed
    }

    /// Number of live keys (a full walk; for tests and stats).
    pub fn key_count(&self) -> usize {
        let now = self.now_ms();
        self.shards
            .iter()
            .map(|s| {
                let s = s.read();
                s.sets.keys().filter(|k| !s.is_expired(k, now)).count()
            })
            .sum()
    }

    /// Removes every key.
    pub fn flush(&self) {
        for shard in self.shards.iter() {
            *shard.write() = Shard::default();
        }
    }

    /// Approximate heap bytes of the set at `key` (its entry buffers and
    /// indexes, not the key itself), like Redis's `MEMORY USAGE`.
    pub fn memory_usage(&self, key: &[u8]) -> Option<usize> {
        self.read(key, |set| set.map(ZSet::heap_bytes))
    }

    /// A copy of the set at `key` (for tests and tools).
    pub fn snapshot_of(&self, key: &[u8]) -> Option<ZSet> {
        self.read(key, |set| set.cloned())
    }
}
