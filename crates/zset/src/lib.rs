//! `zset`: Riffle's in-memory sorted-set engine with Redis 7 ZSET semantics.
//!
//! Home timelines are sorted sets (score = time order, member = post id, ~800
//! entries, millions of sets). This crate stores them in a fraction of the
//! memory Redis needs while answering every ZSET command the way Redis 7.0
//! does — same tie order, bounds, errors and reply shapes — so the engine
//! and a real Redis are interchangeable behind Riffle's timeline port.
//!
//! # Layout
//! * `score`: order-preserving `u64` image of `f64` scores; Redis's float
//!   parsing and `%.17g` printing.
//! * `member`: integer (`u64`) and byte-string members; decimal tie order
//!   computed on integers without allocating.
//! * `entry`: the 16-byte (score, member) pair and its total order.
//! * `packed`: tier A (≤ 1024 entries by default), one sorted array plus a
//!   2-byte-per-entry member index; O(1) amortized timeline append/trim.
//! * `tree`: tier B, a B+tree of 64-entry leaves with per-child counts
//!   (O(log n) rank) and a 4-byte-per-entry leaf-id member index.
//! * `hash`: the seeded folded-multiply hasher used by every index.
//! * `zset`: one set; chooses representation and tier, converts between them.
//! * `range`: score/lex ranges and Redis's rank arithmetic.
//! * `keyspace`: sharded keys, expiry, the typed key API and the locking
//!   discipline.
//! * `cmd`: `Keyspace::execute` — parse, apply, encode, one file per family.
//! * `reply`: RESP2 replies. `error`: Redis error lines. `clock`: the
//!   injectable time source for TTLs.
//! * `snapshot`: atomic, checksummed save/load.
//!
//! # Semantics notes
//! * Redis 7.0.15 is the reference (differential test in
//!   `tests/differential_redis.rs`), except `ZRANK`/`ZREVRANK ... WITHSCORE`,
//!   which follow 7.2. Scores print as 7.0's `%.17g`; `-0` is stored as `0`.
//! * Deliberate differences: hexadecimal scores (`0x10`, accepted by glibc
//!   `strtod`) are rejected; `ZRANDMEMBER` with a negative count beyond
//!   10 million replies "value is out of range" instead of building a huge
//!   reply; `ZSCAN` on a tree-tier set walks members in hash order (same
//!   guarantees, O(n) per call).
//!
//! # Example
//! ```
//! use zset::{Keyspace, Order, Reply};
//!
//! let ks = Keyspace::default();
//! ks.timeline_push(b"home:1", 1.0, 101, 800);
//! ks.timeline_push(b"home:1", 2.0, 102, 800);
//! assert_eq!(ks.range_ids_by_rank(b"home:1", 0, 19, Order::Desc), vec![(102, 2.0), (101, 1.0)]);
//! assert_eq!(ks.execute(&[b"ZCARD", b"home:1"]), Reply::Integer(2));
//! ```

mod clock;
mod cmd;
mod entry;
mod error;
mod hash;
mod keyspace;
mod member;
mod packed;
mod range;
mod reply;
pub mod score;
mod snapshot;
mod tree;
mod zset;

pub use clock::{Clock, ManualClock, SystemClock};
pub use cmd::{Aggregate, Limit, Order, RangeSpec, ScoredMember, SetOp, ZAddOptions, ZAddResult};
pub use error::ZError;
pub use keyspace::{Config, DEFAULT_PACKED_MAX, ExpireCondition, Keyspace, Ttl};
pub use member::{decimal_cmp, parse_canonical_u64};
pub use range::{LexBound, LexRange, ScoreRange};
pub use reply::Reply;
pub use snapshot::SnapshotError;
pub use zset::{Encoding, ZSet};
