//! One sorted set: picks the member representation (integers or bytes) and
//! the tier (packed array or counted tree), and converts between them.
//!
//! Conversions only go "up": integers → bytes when a non-integer member
//! arrives, packed → tree when the set outgrows the packed limit. Like
//! Redis, a set that shrinks keeps its tier (only freshly built sets — STORE
//! results and snapshot loads — choose the tier from their size).

use crate::entry::Entry;
use crate::member::{self, Member};
use crate::packed::{MAX_PACKED_LEN, Packed};
use crate::range::{LexRange, ScoreRange};
use crate::score::ScoreKey;
use crate::tree::Tree;

/// An entry of a byte-member set.
pub(crate) type BytesEntry = Entry<Box<[u8]>>;

/// One tier of storage for one member representation.
#[derive(Clone, Debug)]
pub enum Store<M: Member> {
    /// Sorted array (small sets).
    Packed(Packed<M>),
    /// Counted B+tree with member index (large sets). Boxed so a small
    /// set's header stays small.
    Tree(Box<Tree<M>>),
}

macro_rules! dispatch {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            Store::Packed($s) => $body,
            Store::Tree($s) => $body,
        }
    };
}

impl<M: Member> Store<M> {
    fn from_sorted(entries: Vec<Entry<M>>, packed_max: usize) -> Self {
        if entries.len() > packed_max.min(MAX_PACKED_LEN) {
            Store::Tree(Box::new(Tree::from_sorted(entries)))
        } else {
            Store::Packed(Packed::from_sorted(entries))
        }
    }

    #[inline]
    fn len(&self) -> usize {
        dispatch!(self, s => s.len())
    }

    #[inline]
    fn score_of(&self, member: &M::Query) -> Option<ScoreKey> {
        dispatch!(self, s => s.score_of(member))
    }

    fn insert(&mut self, entry: Entry<M>, packed_max: usize) {
        if let Store::Packed(p) = self
            && p.len() >= packed_max.min(MAX_PACKED_LEN)
        {
            let entries = std::mem::take(p).into_sorted_vec();
            *self = Store::Tree(Box::new(Tree::from_sorted(entries)));
        }
        dispatch!(self, s => s.insert(entry))
    }

    fn remove(&mut self, member: &M::Query) -> Option<ScoreKey> {
        dispatch!(self, s => s.remove(member))
    }

    /// Removes a member whose score was just looked up (saves the tree a
    /// second index probe).
    fn remove_known(&mut self, member: &M::Query, score: ScoreKey) {
        match self {
            Store::Packed(p) => {
                p.remove(member);
            }
            Store::Tree(t) => t.remove_known(member, score),
        }
    }

    fn remove_at(&mut self, rank: usize) -> Entry<M> {
        dispatch!(self, s => s.remove_at(rank))
    }

    #[inline]
    fn get(&self, rank: usize) -> &Entry<M> {
        dispatch!(self, s => s.get(rank))
    }

    fn rank_of(&self, entry: &Entry<M>) -> usize {
        dispatch!(self, s => s.rank_of(entry))
    }

    fn partition_point(&self, pred: impl Fn(&Entry<M>) -> bool) -> usize {
        dispatch!(self, s => s.partition_point(pred))
    }

    fn visit(&self, start: usize, end: usize, rev: bool, f: &mut dyn FnMut(&Entry<M>) -> bool) {
        dispatch!(self, s => s.visit(start, end, rev, f))
    }

    fn remove_range(&mut self, start: usize, end: usize) -> usize {
        dispatch!(self, s => s.remove_range(start, end))
    }

    fn into_sorted_vec(self) -> Vec<Entry<M>> {
        dispatch!(self, s => s.into_sorted_vec())
    }

    fn heap_bytes(&self) -> usize {
        dispatch!(self, s => s.heap_bytes())
    }

    fn is_packed(&self) -> bool {
        matches!(self, Store::Packed(_))
    }
}

/// A sorted set with Redis semantics, storage chosen automatically.
#[derive(Clone, Debug)]
pub enum ZSet {
    /// Every member is a canonical decimal `u64`.
    Int(Store<u64>),
    /// Arbitrary byte-string members.
    Bytes(Store<Box<[u8]>>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Int(Store::Packed(Packed::default()))
    }
}

/// Which storage a set currently uses (for tests, stats and benchmarks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Integer members, packed array.
    IntPacked,
    /// Integer members, counted tree.
    IntTree,
    /// Byte members, packed array.
    BytesPacked,
    /// Byte members, counted tree.
    BytesTree,
}

macro_rules! each {
    ($zset:expr, $s:ident => $body:expr) => {
        match $zset {
            ZSet::Int($s) => $body,
            ZSet::Bytes($s) => $body,
        }
    };
}

impl ZSet {
    /// Builds a set from `(member, score)` pairs in any order with distinct
    /// members, choosing representation and tier from the content.
    pub fn from_pairs(mut pairs: Vec<(Vec<u8>, f64)>, packed_max: usize) -> ZSet {
        let ints: Option<Vec<Entry<u64>>> = pairs
            .iter()
            .map(|(m, s)| member::parse_canonical_u64(m).map(|id| Entry::new(ScoreKey::from_f64(*s), id)))
            .collect();
        if let Some(mut entries) = ints {
            entries.sort_unstable_by(|a, b| a.order(b));
            return ZSet::Int(Store::from_sorted(entries, packed_max));
        }
        pairs.sort_unstable_by(|a, b| ScoreKey::from_f64(a.1).cmp(&ScoreKey::from_f64(b.1)).then(a.0.cmp(&b.0)));
        let entries = pairs.into_iter().map(|(m, s)| Entry::new(ScoreKey::from_f64(s), m.into_boxed_slice())).collect();
        ZSet::Bytes(Store::from_sorted(entries, packed_max))
    }

    /// Builds an integer-member set from entries already in set order.
    pub(crate) fn from_sorted_ints(entries: Vec<Entry<u64>>, packed_max: usize) -> ZSet {
        ZSet::Int(Store::from_sorted(entries, packed_max))
    }

    /// Builds a byte-member set from entries already in set order.
    pub(crate) fn from_sorted_bytes(entries: Vec<Entry<Box<[u8]>>>, packed_max: usize) -> ZSet {
        ZSet::Bytes(Store::from_sorted(entries, packed_max))
    }

    /// Number of members.
    #[inline]
    pub fn len(&self) -> usize {
        each!(self, s => s.len())
    }

    /// `true` when the set has no members (the keyspace deletes such keys).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current storage.
    pub fn encoding(&self) -> Encoding {
        match self {
            ZSet::Int(s) if s.is_packed() => Encoding::IntPacked,
            ZSet::Int(_) => Encoding::IntTree,
            ZSet::Bytes(s) if s.is_packed() => Encoding::BytesPacked,
            ZSet::Bytes(_) => Encoding::BytesTree,
        }
    }

    /// Score key of `member`.
    #[inline]
    pub fn score_key(&self, member: &[u8]) -> Option<ScoreKey> {
        match self {
            ZSet::Int(s) => s.score_of(&member::parse_canonical_u64(member)?),
            ZSet::Bytes(s) => s.score_of(member),
        }
    }

    /// Score of `member`.
    #[inline]
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.score_key(member).map(ScoreKey::to_f64)
    }

    /// Score of an integer member (fast path, no parsing).
    #[inline]
    pub fn score_of_id(&self, id: u64) -> Option<f64> {
        match self {
            ZSet::Int(s) => s.score_of(&id).map(ScoreKey::to_f64),
            ZSet::Bytes(s) => {
                let mut buf = [0; member::MAX_U64_DIGITS];
                s.score_of(member::format_u64(id, &mut buf)).map(ScoreKey::to_f64)
            }
        }
    }

    /// Sets `member`'s score (inserting it if absent). `score` must not be
    /// NaN. Returns the previous score.
    pub fn upsert(&mut self, member: &[u8], score: f64, packed_max: usize) -> Option<f64> {
        let key = ScoreKey::from_f64(score);
        if let ZSet::Int(s) = self {
            if let Some(id) = member::parse_canonical_u64(member) {
                return upsert_in(s, &id, key, packed_max);
            }
            self.convert_to_bytes();
        }
        match self {
            ZSet::Bytes(s) => upsert_in(s, member, key, packed_max),
            ZSet::Int(_) => unreachable!("converted above"),
        }
    }

    /// [`ZSet::upsert`] for an integer member.
    pub fn upsert_id(&mut self, id: u64, score: f64, packed_max: usize) -> Option<f64> {
        let key = ScoreKey::from_f64(score);
        match self {
            ZSet::Int(s) => upsert_in(s, &id, key, packed_max),
            ZSet::Bytes(s) => {
                let mut buf = [0; member::MAX_U64_DIGITS];
                upsert_in(s, member::format_u64(id, &mut buf), key, packed_max)
            }
        }
    }

    fn convert_to_bytes(&mut self) {
        if let ZSet::Int(s) = self {
            let packed = s.is_packed();
            let ints = std::mem::replace(s, Store::Packed(Packed::default())).into_sorted_vec();
            let entries: Vec<_> =
                ints.into_iter().map(|e| Entry::new(e.score, e.member.to_vec().into_boxed_slice())).collect();
            // Byte order of decimal strings equals the integer tie order, so
            // the sorted order carries over unchanged.
            let store = if packed {
                Store::Packed(Packed::from_sorted(entries))
            } else {
                Store::Tree(Box::new(Tree::from_sorted(entries)))
            };
            *self = ZSet::Bytes(store);
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let key = match self {
            ZSet::Int(s) => s.remove(&member::parse_canonical_u64(member)?),
            ZSet::Bytes(s) => s.remove(member),
        };
        key.map(ScoreKey::to_f64)
    }

    /// Removes and returns the entry at `rank`.
    pub fn remove_at(&mut self, rank: usize) -> (Vec<u8>, f64) {
        each!(self, s => {
            let e = s.remove_at(rank);
            (e.member.to_vec(), e.score.to_f64())
        })
    }

    /// Ascending 0-based rank of `member`, with its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        fn rank_in<M: Member>(s: &Store<M>, q: &M::Query) -> Option<(usize, f64)> {
            let score = s.score_of(q)?;
            Some((s.rank_of(&Entry::new(score, M::from_query(q))), score.to_f64()))
        }
        match self {
            ZSet::Int(s) => rank_in(s, &member::parse_canonical_u64(member)?),
            ZSet::Bytes(s) => rank_in(s, member),
        }
    }

    /// The member and score at `rank`.
    pub fn get(&self, rank: usize) -> (Vec<u8>, f64) {
        each!(self, s => {
            let e = s.get(rank);
            (e.member.to_vec(), e.score.to_f64())
        })
    }

    /// Half-open rank interval of the members whose score is in `range`.
    pub fn score_rank_bounds(&self, range: &ScoreRange) -> (usize, usize) {
        each!(self, s => {
            let start = s.partition_point(|e| range.below_min(e.score));
            let end = s.partition_point(|e| range.within_max(e.score));
            (start, end.max(start))
        })
    }

    /// Half-open rank interval of the members in the lex `range` (meaningful
    /// when all scores are equal, as in Redis).
    pub fn lex_rank_bounds(&self, range: &LexRange) -> (usize, usize) {
        each!(self, s => {
            let start = s.partition_point(|e| e.member.with_bytes(|m| range.below_min(m)));
            let end = s.partition_point(|e| e.member.with_bytes(|m| range.within_max(m)));
            (start, end.max(start))
        })
    }

    /// Calls `f(member, score)` for ranks `start..end`, descending when
    /// `rev` (ranks are still ascending ranks), until `f` returns `false`.
    pub fn visit(&self, start: usize, end: usize, rev: bool, f: &mut dyn FnMut(&[u8], f64) -> bool) {
        each!(self, s => s.visit(start, end, rev, &mut |e| e.member.with_bytes(|m| f(m, e.score.to_f64()))))
    }

    /// Calls `f(id, score)` for ranks `start..end` of an integer-member set
    /// (the timeline read path: no bytes, no allocation). Returns `false`
    /// if the set holds byte members.
    pub fn visit_ids(&self, start: usize, end: usize, rev: bool, f: &mut dyn FnMut(u64, f64) -> bool) -> bool {
        match self {
            ZSet::Int(s) => {
                s.visit(start, end, rev, &mut |e| f(e.member, e.score.to_f64()));
                true
            }
            ZSet::Bytes(_) => false,
        }
    }

    /// Collects ranks `start..end` (see [`ZSet::visit`]).
    pub fn collect(&self, start: usize, end: usize, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let mut out = Vec::with_capacity(end.saturating_sub(start).min(self.len()));
        self.visit(start, end, rev, &mut |m, s| {
            out.push((m.to_vec(), s));
            true
        });
        out
    }

    /// A new set holding ranks `start..end` (STORE commands), with its tier
    /// chosen from its own size.
    pub fn sub_set(&self, start: usize, end: usize, packed_max: usize) -> ZSet {
        fn slice<M: Member>(s: &Store<M>, start: usize, end: usize) -> Vec<Entry<M>> {
            let mut out = Vec::with_capacity(end.saturating_sub(start));
            s.visit(start, end, false, &mut |e| {
                out.push(e.clone());
                true
            });
            out
        }
        match self {
            ZSet::Int(s) => ZSet::from_sorted_ints(slice(s, start, end), packed_max),
            ZSet::Bytes(s) => ZSet::from_sorted_bytes(slice(s, start, end), packed_max),
        }
    }

    /// Removes ranks `start..end`; returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        each!(self, s => s.remove_range(start, end))
    }

    /// Approximate heap bytes owned by the set.
    pub fn heap_bytes(&self) -> usize {
        each!(self, s => s.heap_bytes())
    }

    /// Calls `f` with every entry in order, in stored form (snapshots).
    pub(crate) fn for_each_int(&self, f: &mut dyn FnMut(&Entry<u64>)) -> bool {
        match self {
            ZSet::Int(s) => {
                s.visit(0, s.len(), false, &mut |e| {
                    f(e);
                    true
                });
                true
            }
            ZSet::Bytes(_) => false,
        }
    }

    /// Calls `f` with every entry in order for a byte-member set.
    pub(crate) fn for_each_bytes(&self, f: &mut dyn FnMut(&BytesEntry)) -> bool {
        match self {
            ZSet::Bytes(s) => {
                s.visit(0, s.len(), false, &mut |e| {
                    f(e);
                    true
                });
                true
            }
            ZSet::Int(_) => false,
        }
    }

    /// Asserts structural invariants (tests only).
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        fn check<M: Member>(s: &Store<M>) {
            let mut prev: Option<Entry<M>> = None;
            s.visit(0, s.len(), false, &mut |e| {
                if let Some(p) = &prev {
                    assert!(p.is_before(e), "out of order");
                }
                prev = Some(e.clone());
                true
            });
            match s {
                Store::Tree(t) => t.check_invariants(),
                Store::Packed(p) => p.check_invariants(),
            }
        }
        each!(self, s => check(s));
    }
}

fn upsert_in<M: Member>(s: &mut Store<M>, member: &M::Query, key: ScoreKey, packed_max: usize) -> Option<f64> {
    let old = s.score_of(member);
    match old {
        Some(old_key) if old_key == key => return Some(old_key.to_f64()),
        Some(old_key) => s.remove_known(member, old_key),
        None => {}
    }
    s.insert(Entry::new(key, M::from_query(member)), packed_max);
    old.map(ScoreKey::to_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_keep_order_and_content() {
        let mut set = ZSet::default();
        for i in 0..300u64 {
            set.upsert(i.to_string().as_bytes(), (i % 7) as f64, 64);
        }
        assert_eq!(set.encoding(), Encoding::IntTree);
        set.check_invariants();
        set.upsert(b"x", 3.0, 64);
        assert_eq!(set.encoding(), Encoding::BytesTree);
        set.check_invariants();
        assert_eq!(set.len(), 301);
        assert_eq!(set.score(b"299"), Some((299 % 7) as f64));
        assert_eq!(set.remove(b"299"), Some((299 % 7) as f64));
        let sub = set.sub_set(0, 10, 64);
        assert_eq!(sub.encoding(), Encoding::BytesPacked);
        sub.check_invariants();
        // "10" sorts before "100" and "2" at equal score 3.
        let threes: Vec<_> = set.collect(0, set.len(), false).into_iter().filter(|(_, s)| *s == 3.0).collect();
        assert_eq!(threes[0].0, b"10");
        assert_eq!(threes[1].0, b"101");
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// Millions of small timelines: the per-set header is per-key overhead.
    #[test]
    fn set_header_stays_small() {
        assert!(size_of::<ZSet>() <= 48, "ZSet is {} bytes", size_of::<ZSet>());
    }
}
