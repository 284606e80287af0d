//! Post ids: time-ordered, strictly increasing within a process, unique across processes, and
//! exact in every timeline store.
//!
//! # Layout
//! `2^60 | milliseconds since 2024-01-01 << 20 | node << 12 | sequence`:
//! * the leading bit pins every id to 19 decimal digits (see below);
//! * 40 bits of milliseconds last until 2058;
//! * 8 node bits tell apart up to 256 processes creating posts at once (`content` leases one per
//!   process from its database at start, or takes `content.node_id` from configuration);
//! * 12 bits of sequence count the ids a process makes within one millisecond (4,096; the
//!   4,097th borrows the next millisecond, so ids never repeat and never go backwards, not even
//!   when the clock does).
//!
//! # Exact order in both timeline stores
//! A Redis score is a double, exact for integers only up to 2^53, so a 64-bit id cannot be its own
//! score. Instead an id's millisecond is the score, and for members with equal scores Redis
//! compares the decimal strings byte by byte, which for strings of equal length is numeric
//! order. So (score, member) orders entries exactly like the ids themselves, in either store.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// A post id (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct PostId(u64);

/// 2024-01-01T00:00:00Z in unix milliseconds.
pub const EPOCH_MS: u64 = 1_704_067_200_000;
const MARKER: u64 = 1 << 60;
const LOW_BITS: u32 = 20;
/// Bits naming the process that made an id.
pub const NODE_BITS: u32 = 8;
const SEQUENCE_BITS: u32 = LOW_BITS - NODE_BITS;
const SEQUENCE_MAX: u64 = (1 << SEQUENCE_BITS) - 1;
/// Processes that can create ids at the same time.
pub const NODES: u16 = 1 << NODE_BITS;
/// 40 bits of milliseconds: until 2058.
const MAX_MS: u64 = (1 << 40) - 1;

/// Why a `u64` is not a post id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a Riffle post id")]
pub struct InvalidPostId(pub u64);

impl PostId {
    /// The id at `unix_ms` with `low` as its 20 low bits (node and sequence), for tools that
    /// make ids of their own (synthetic networks, tests).
    pub fn new(unix_ms: u64, low: u32) -> Self {
        let ms = unix_ms.saturating_sub(EPOCH_MS).min(MAX_MS);
        PostId(MARKER | (ms << LOW_BITS) | u64::from(low & ((1 << LOW_BITS) - 1)))
    }

    pub fn from_u64(raw: u64) -> Result<Self, InvalidPostId> {
        if raw >> 60 == 1 { Ok(PostId(raw)) } else { Err(InvalidPostId(raw)) }
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// Creation time, unix milliseconds.
    pub fn unix_ms(self) -> u64 {
        ((self.0 & !MARKER) >> LOW_BITS) + EPOCH_MS
    }

    /// The process that made it.
    pub fn node(self) -> u8 {
        ((self.0 >> SEQUENCE_BITS) & u64::from(NODES - 1)) as u8
    }

    /// The sorted-set score: milliseconds since [`EPOCH_MS`], exact in a double.
    pub fn score(self) -> f64 {
        ((self.0 & !MARKER) >> LOW_BITS) as f64
    }
}

impl TryFrom<u64> for PostId {
    type Error = InvalidPostId;

    fn try_from(raw: u64) -> Result<Self, Self::Error> {
        PostId::from_u64(raw)
    }
}

impl From<PostId> for u64 {
    fn from(id: PostId) -> u64 {
        id.0
    }
}

impl std::fmt::Display for PostId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for PostId {
    type Err = InvalidPostId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<u64>().map_err(|_| InvalidPostId(0)).and_then(PostId::from_u64)
    }
}

/// Makes the post ids of one process: strictly increasing in the order they are asked for, from
/// any number of threads, without a lock.
#[derive(Debug)]
pub struct PostIdGenerator {
    node: AtomicU8,
    /// The last id's `milliseconds << SEQUENCE_BITS | sequence`.
    last: AtomicU64,
}

impl PostIdGenerator {
    pub fn new(node: u8) -> Self {
        Self { node: AtomicU8::new(node), last: AtomicU64::new(0) }
    }

    pub fn node(&self) -> u8 {
        self.node.load(Ordering::Relaxed)
    }

    /// Makes later ids with another node number (a process that lost its lease took a new one).
    pub fn set_node(&self, node: u8) {
        self.node.store(node, Ordering::Relaxed);
    }

    /// The next id, now.
    pub fn next(&self) -> PostId {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
        self.next_at(now as u64)
    }

    /// The next id, as if the clock read `unix_ms`: in its millisecond when that is later than
    /// the last id's, else the last id's millisecond and sequence plus one (borrowing the next
    /// millisecond when the sequence is used up).
    pub fn next_at(&self, unix_ms: u64) -> PostId {
        let ms = unix_ms.saturating_sub(EPOCH_MS).min(MAX_MS);
        let mut last = self.last.load(Ordering::Relaxed);
        loop {
            let (last_ms, sequence) = (last >> SEQUENCE_BITS, last & SEQUENCE_MAX);
            let next = if ms > last_ms {
                ms << SEQUENCE_BITS
            } else if sequence < SEQUENCE_MAX {
                last + 1
            } else {
                (last_ms + 1) << SEQUENCE_BITS
            };
            match self.last.compare_exchange_weak(last, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => {
                    let (ms, sequence) = (next >> SEQUENCE_BITS, next & SEQUENCE_MAX);
                    return PostId(
                        MARKER | (ms.min(MAX_MS) << LOW_BITS) | (u64::from(self.node()) << SEQUENCE_BITS) | sequence,
                    );
                }
                Err(actual) => last = actual,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ids_carry_their_time_and_node_and_always_have_19_digits() {
        let id = PostIdGenerator::new(7).next_at(EPOCH_MS + 1234);
        assert_eq!(id.unix_ms(), EPOCH_MS + 1234);
        assert_eq!(id.score(), 1234.0);
        assert_eq!(id.node(), 7);
        assert_eq!(id.to_string().len(), 19);
        assert_eq!(PostId::new(u64::MAX, u32::MAX).to_string().len(), 19);
        assert_eq!(PostId::from_u64(id.get()), Ok(id));
        assert!(PostId::from_u64(42).is_err());
        assert_eq!(serde_json::to_value(id).unwrap(), serde_json::json!(id.get()));
        assert!(serde_json::from_value::<PostId>(serde_json::json!(42)).is_err());
    }

    #[test]
    fn a_full_millisecond_borrows_the_next_and_a_clock_going_back_changes_nothing() {
        let generator = PostIdGenerator::new(1);
        let at = EPOCH_MS + 10_000;
        let ids: Vec<PostId> = (0..5000).map(|_| generator.next_at(at)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids[4095].unix_ms(), at);
        assert_eq!(ids[4096].unix_ms(), at + 1, "the 4,097th id borrows the next millisecond");
        let after_going_back = generator.next_at(at - 5_000);
        assert!(after_going_back > ids[4999]);
        assert!(ids.iter().all(|id| id.node() == 1));
    }

    #[test]
    fn many_threads_get_unique_ids_each_in_increasing_order() {
        let generator = std::sync::Arc::new(PostIdGenerator::new(3));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let generator = std::sync::Arc::clone(&generator);
                std::thread::spawn(move || (0..25_000).map(|_| generator.next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all = Vec::new();
        for thread in threads {
            let ids = thread.join().unwrap();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "each thread sees increasing ids");
            all.extend(ids);
        }
        let total = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), total, "100,000 ids, all different");
    }

    #[test]
    fn two_processes_never_make_the_same_id() {
        let (a, b) = (PostIdGenerator::new(1), PostIdGenerator::new(2));
        let at = EPOCH_MS + 99;
        let mut ids: Vec<PostId> = (0..1000).flat_map(|_| [a.next_at(at), b.next_at(at)]).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 2000);
    }

    proptest! {
        /// (score, decimal string) orders ids exactly as the ids: what makes Redis agree.
        #[test]
        fn score_then_decimal_order_is_id_order(a_ms in 0u64..(1 << 40), a_low: u32, b_ms in 0u64..(1 << 40), b_low: u32) {
            let a = PostId::new(EPOCH_MS + a_ms, a_low);
            let b = PostId::new(EPOCH_MS + b_ms, b_low);
            let by_store = a.score().partial_cmp(&b.score()).unwrap().then_with(|| a.to_string().cmp(&b.to_string()));
            prop_assert_eq!(by_store, a.cmp(&b));
        }
    }
}
