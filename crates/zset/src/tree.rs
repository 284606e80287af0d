//! Tier B: a B+tree of fat leaves with per-child entry counts, plus a
//! compact member index.
//!
//! This is the "unrolled skip list / counted B+tree" of anchors §5: leaves
//! hold up to [`LEAF_CAP`] sorted entries in one allocation, inner nodes keep
//! for every child its entry count next to the child, so rank and
//! select-by-rank are O(log n) with ~log₆₄(n) node visits and no per-entry
//! pointers.
//!
//! Leaves live in a slab and are named by a `u32` id, which lets the member
//! index stay tiny: one `u32` slot per member holding the id of the leaf the
//! member is in (24 bits) and 8 bits of its hash. A lookup probes for
//! matching tags and scans the candidate leaf — no member or score is stored
//! twice. When a split or merge moves entries to another leaf, their slots
//! are relabelled (amortized O(1) per insert). See [`LeafIndex`].
//!
//! Invariant of inner nodes: `seps[i - 1]` is ≤ every entry of `children[i]`
//! and > every entry of `children[i - 1]`. Separators may go stale (smaller
//! than the child's current minimum) after deletes, which keeps the
//! invariant and so stays correct.

use std::hash::BuildHasher;

use crate::entry::Entry;
use crate::hash::MemberHashBuilder;
use crate::member::Member;
use crate::score::ScoreKey;

/// Entries per leaf: 64 × 16 B = 1 KiB, an allocator size class.
pub const LEAF_CAP: usize = 64;
/// Children per inner node.
const INNER_CAP: usize = 64;
/// Below this many entries a leaf tries to merge with a neighbour, so that
/// trimming churn cannot leave the tree full of nearly empty leaves.
const LEAF_MERGE_BELOW: usize = LEAF_CAP / 4;
const INNER_MERGE_BELOW: usize = INNER_CAP / 4;

type LeafId = u32;
/// Leaf ids use the low 24 bits of an index slot.
const MAX_LEAVES: usize = 1 << 24;

#[inline]
fn hash_of<M: Member>(member: &M::Query) -> u64 {
    MemberHashBuilder::default().hash_one(member)
}

/// Open-addressing table from member hash to leaf id, linear probing with
/// tombstones (a slot cannot be rehashed: it does not know its member).
///
/// Two members of one leaf with equal tags have interchangeable slots; a
/// lookup that scans a leaf without finding its member keeps probing. With
/// linear probing, if member X's probe meets Y's slot before its own, Y's
/// probe run continues to X's slot, so relabelling or deleting "the first
/// matching slot" keeps every member reachable.
#[derive(Clone, Debug)]
struct LeafIndex {
    slots: Box<[u32]>,
    live: usize,
    tombstones: usize,
}

const EMPTY: u32 = u32::MAX;
const TOMBSTONE: u32 = u32::MAX - 1;
const ID_MASK: u32 = (1 << 24) - 1;

impl LeafIndex {
    /// A table for `len` members at ~78% load. Not a power of two: at a
    /// million members rounding up would cost ~4 extra bytes per entry.
    fn with_capacity_for(len: usize) -> LeafIndex {
        let slots = (len * 9 / 7 + 1).max(16);
        LeafIndex { slots: vec![EMPTY; slots].into_boxed_slice(), live: 0, tombstones: 0 }
    }

    /// Home slot by multiply-shift ("fastrange") of the hash's high bits.
    #[inline]
    fn home(&self, hash: u64) -> usize {
        ((u128::from(hash) * self.slots.len() as u128) >> 64) as usize
    }

    #[inline]
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() { 0 } else { i + 1 }
    }

    #[inline]
    fn tag(hash: u64) -> u32 {
        // 0xFF tags would collide with EMPTY/TOMBSTONE's high byte.
        ((hash as u32 & 0xFF).min(0xFE)) << 24
    }

    #[inline]
    fn is_full(&self) -> bool {
        (self.live + self.tombstones + 1) * 8 > self.slots.len() * 7
    }

    fn insert(&mut self, hash: u64, leaf: LeafId) {
        let mut i = self.home(hash);
        while self.slots[i] != EMPTY && self.slots[i] != TOMBSTONE {
            i = self.next(i);
        }
        if self.slots[i] == TOMBSTONE {
            self.tombstones -= 1;
        }
        self.slots[i] = Self::tag(hash) | leaf;
        self.live += 1;
    }

    /// Calls `found` with each candidate leaf until it returns `Some`.
    #[inline]
    fn probe<R>(&self, hash: u64, mut found: impl FnMut(LeafId) -> Option<R>) -> Option<R> {
        let tag = Self::tag(hash);
        let mut i = self.home(hash);
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                return None;
            }
            if slot != TOMBSTONE
                && slot & !ID_MASK == tag
                && let Some(r) = found(slot & ID_MASK)
            {
                return Some(r);
            }
            i = self.next(i);
        }
    }

    /// The first slot for `hash` pointing at `leaf`. `None` would mean the
    /// index lost a member (a bug); callers then skip the update rather
    /// than loop or panic in release builds.
    fn slot_of(&self, hash: u64, leaf: LeafId) -> Option<usize> {
        let want = Self::tag(hash) | leaf;
        let mut i = self.home(hash);
        loop {
            match self.slots[i] {
                slot if slot == want => return Some(i),
                EMPTY => {
                    debug_assert!(false, "member missing from index");
                    return None;
                }
                _ => i = self.next(i),
            }
        }
    }

    fn relabel(&mut self, hash: u64, from: LeafId, to: LeafId) {
        if let Some(i) = self.slot_of(hash, from) {
            self.slots[i] = Self::tag(hash) | to;
        }
    }

    fn remove(&mut self, hash: u64, leaf: LeafId) {
        if let Some(i) = self.slot_of(hash, leaf) {
            self.slots[i] = TOMBSTONE;
            self.live -= 1;
            self.tombstones += 1;
        }
    }
}

#[derive(Clone, Debug)]
enum Node<M> {
    Leaf(LeafId),
    Inner(Box<Inner<M>>),
}

#[derive(Clone, Debug)]
struct Inner<M> {
    /// `seps[i - 1]` separates `children[i - 1]` from `children[i]`.
    seps: Vec<Entry<M>>,
    /// Number of entries under each child.
    counts: Vec<usize>,
    children: Vec<Node<M>>,
}

/// Leaf storage and the member index, which splits and merges update
/// together.
#[derive(Clone, Debug)]
struct Store<M> {
    leaves: Vec<Vec<Entry<M>>>,
    free: Vec<LeafId>,
    index: LeafIndex,
}

impl<M: Member> Store<M> {
    fn alloc(&mut self, leaf: Vec<Entry<M>>) -> LeafId {
        match self.free.pop() {
            Some(id) => {
                self.leaves[id as usize] = leaf;
                id
            }
            None => {
                assert!(self.leaves.len() < MAX_LEAVES, "sorted set too large");
                self.leaves.push(leaf);
                (self.leaves.len() - 1) as LeafId
            }
        }
    }

    fn release(&mut self, id: LeafId) {
        self.leaves[id as usize] = Vec::new();
        self.free.push(id);
    }

    /// Moves entries `at..` of leaf `id` to a new leaf; returns its id.
    fn split_off(&mut self, id: LeafId, at: usize) -> LeafId {
        let mut right = Vec::with_capacity(LEAF_CAP);
        right.extend(self.leaves[id as usize].drain(at..));
        let rid = self.alloc(right);
        for e in &self.leaves[rid as usize] {
            self.index.relabel(hash_of::<M>(e.member.borrow()), id, rid);
        }
        rid
    }

    /// Appends leaf `from` to leaf `into` and frees `from`.
    fn merge_leaves(&mut self, into: LeafId, from: LeafId) {
        let moved = std::mem::take(&mut self.leaves[from as usize]);
        for e in &moved {
            self.index.relabel(hash_of::<M>(e.member.borrow()), from, into);
        }
        self.leaves[into as usize].extend(moved);
        self.free.push(from);
    }

    fn index_rebuild(&mut self, len: usize) {
        let mut index = LeafIndex::with_capacity_for(len + len / 4);
        for (id, leaf) in self.leaves.iter().enumerate() {
            for e in leaf {
                index.insert(hash_of::<M>(e.member.borrow()), id as LeafId);
            }
        }
        self.index = index;
    }

    fn leaf_len(&self, node: &Node<M>) -> Option<usize> {
        match node {
            Node::Leaf(id) => Some(self.leaves[*id as usize].len()),
            Node::Inner(_) => None,
        }
    }
}

impl<M: Member> Node<M> {
    fn count(&self, store: &Store<M>) -> usize {
        match self {
            Node::Leaf(id) => store.leaves[*id as usize].len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    /// Inserts; returns a new right sibling when this node had to split.
    fn insert(&mut self, entry: Entry<M>, hash: u64, store: &mut Store<M>) -> Option<(Entry<M>, Node<M>)> {
        match self {
            Node::Leaf(id) => {
                let id = *id;
                let leaf = &store.leaves[id as usize];
                let pos = leaf.partition_point(|e| e.is_before(&entry));
                if leaf.len() < LEAF_CAP {
                    store.leaves[id as usize].insert(pos, entry);
                    store.index.insert(hash, id);
                    return None;
                }
                // Split before inserting so the leaf never reallocates. An
                // append at the far right (the timeline pattern) leaves the
                // full leaf alone and starts a new one, giving ~100% fill.
                let at = if pos == LEAF_CAP { LEAF_CAP } else { LEAF_CAP / 2 };
                let rid = store.split_off(id, at);
                let target = if pos < at {
                    store.leaves[id as usize].insert(pos, entry);
                    id
                } else {
                    store.leaves[rid as usize].insert(pos - at, entry);
                    rid
                };
                store.index.insert(hash, target);
                let sep = store.leaves[rid as usize][0].clone();
                Some((sep, Node::Leaf(rid)))
            }
            Node::Inner(inner) => {
                let i = inner.child_for(&entry);
                inner.counts[i] += 1;
                let (sep, right) = inner.children[i].insert(entry, hash, store)?;
                let right_count = right.count(store);
                inner.counts[i] -= right_count;
                inner.children.insert(i + 1, right);
                inner.counts.insert(i + 1, right_count);
                inner.seps.insert(i, sep);
                if inner.children.len() <= INNER_CAP {
                    return None;
                }
                let at = if i + 1 == INNER_CAP { INNER_CAP } else { INNER_CAP.div_ceil(2) };
                let children: Vec<_> = inner.children.drain(at..).collect();
                let counts: Vec<_> = inner.counts.drain(at..).collect();
                let seps: Vec<_> = inner.seps.drain(at..).collect();
                let up = inner.seps.pop().expect("at >= 1");
                Some((up, Node::Inner(Box::new(Inner { seps, counts, children }))))
            }
        }
    }

    /// Removes the entry equal to `entry`; returns whether it was found.
    fn remove(&mut self, entry: &Entry<M>, hash: u64, store: &mut Store<M>) -> bool {
        match self {
            Node::Leaf(id) => {
                let leaf = &mut store.leaves[*id as usize];
                let pos = leaf.partition_point(|e| e.is_before(entry));
                if pos < leaf.len() && leaf[pos].order(entry).is_eq() {
                    leaf.remove(pos);
                    store.index.remove(hash, *id);
                    true
                } else {
                    false
                }
            }
            Node::Inner(inner) => {
                let i = inner.child_for(entry);
                if !inner.children[i].remove(entry, hash, store) {
                    return false;
                }
                inner.counts[i] -= 1;
                inner.rebalance(i, store);
                true
            }
        }
    }

    /// Removes and returns the entry at `rank` (must be in bounds).
    fn remove_at(&mut self, rank: usize, store: &mut Store<M>) -> Entry<M> {
        match self {
            Node::Leaf(id) => {
                let entry = store.leaves[*id as usize].remove(rank);
                store.index.remove(hash_of::<M>(entry.member.borrow()), *id);
                entry
            }
            Node::Inner(inner) => {
                let (i, within) = inner.child_at(rank);
                let entry = inner.children[i].remove_at(within, store);
                inner.counts[i] -= 1;
                inner.rebalance(i, store);
                entry
            }
        }
    }

    fn get<'a>(&'a self, mut rank: usize, store: &'a Store<M>) -> &'a Entry<M> {
        let mut node = self;
        loop {
            match node {
                Node::Leaf(id) => return &store.leaves[*id as usize][rank],
                Node::Inner(inner) => {
                    let (i, within) = inner.child_at(rank);
                    rank = within;
                    node = &inner.children[i];
                }
            }
        }
    }

    fn partition_point(&self, pred: &dyn Fn(&Entry<M>) -> bool, store: &Store<M>) -> usize {
        let mut node = self;
        let mut before = 0;
        loop {
            match node {
                Node::Leaf(id) => return before + store.leaves[*id as usize].partition_point(pred),
                Node::Inner(inner) => {
                    // Child i starts at or after seps[i-1]: if pred holds for
                    // that separator it holds for all of child i-1 too.
                    let i = inner.seps.partition_point(pred);
                    before += inner.counts[..i].iter().sum::<usize>();
                    node = &inner.children[i];
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        base: usize,
        start: usize,
        end: usize,
        rev: bool,
        store: &Store<M>,
        f: &mut dyn FnMut(&Entry<M>) -> bool,
    ) -> bool {
        match self {
            Node::Leaf(id) => {
                let leaf = &store.leaves[*id as usize];
                let lo = start.saturating_sub(base).min(leaf.len());
                let hi = end.saturating_sub(base).min(leaf.len());
                if lo >= hi {
                    return true;
                }
                if rev { leaf[lo..hi].iter().rev().all(f) } else { leaf[lo..hi].iter().all(f) }
            }
            Node::Inner(inner) => {
                let total: usize = inner.counts.iter().sum();
                if rev {
                    let mut child_end = base + total;
                    for (child, &count) in inner.children.iter().zip(&inner.counts).rev() {
                        let child_start = child_end - count;
                        if child_start < end
                            && child_end > start
                            && !child.visit(child_start, start, end, rev, store, f)
                        {
                            return false;
                        }
                        if child_start <= start {
                            break;
                        }
                        child_end = child_start;
                    }
                } else {
                    let mut child_start = base;
                    for (child, &count) in inner.children.iter().zip(&inner.counts) {
                        let child_end = child_start + count;
                        if child_start < end
                            && child_end > start
                            && !child.visit(child_start, start, end, rev, store, f)
                        {
                            return false;
                        }
                        if child_end >= end {
                            break;
                        }
                        child_start = child_end;
                    }
                }
                true
            }
        }
    }

    fn inner_bytes(&self) -> usize {
        match self {
            Node::Leaf(_) => 0,
            Node::Inner(inner) => {
                size_of::<Inner<M>>()
                    + inner.seps.capacity() * size_of::<Entry<M>>()
                    + inner.counts.capacity() * size_of::<usize>()
                    + inner.children.capacity() * size_of::<Node<M>>()
                    + inner.children.iter().map(Node::inner_bytes).sum::<usize>()
            }
        }
    }

    /// Checks structural invariants; returns the entry count.
    #[cfg(test)]
    fn check(&self, lower: Option<&Entry<M>>, upper: Option<&Entry<M>>, store: &Store<M>) -> usize {
        match self {
            Node::Leaf(id) => {
                let leaf = &store.leaves[*id as usize];
                for pair in leaf.windows(2) {
                    assert!(pair[0].is_before(&pair[1]), "leaf out of order");
                }
                if let (Some(lo), Some(first)) = (lower, leaf.first()) {
                    assert!(!first.is_before(lo), "entry below separator");
                }
                if let (Some(hi), Some(last)) = (upper, leaf.last()) {
                    assert!(last.is_before(hi), "entry above next separator");
                }
                leaf.len()
            }
            Node::Inner(inner) => {
                assert_eq!(inner.seps.len() + 1, inner.children.len());
                assert_eq!(inner.counts.len(), inner.children.len());
                let mut total = 0;
                for (i, child) in inner.children.iter().enumerate() {
                    let lo = if i == 0 { lower } else { Some(&inner.seps[i - 1]) };
                    let hi = inner.seps.get(i).or(upper);
                    let n = child.check(lo, hi, store);
                    assert_eq!(n, inner.counts[i], "stale count");
                    assert!(n > 0, "empty child");
                    total += n;
                }
                total
            }
        }
    }
}

impl<M: Member> Inner<M> {
    /// The child whose key range contains `entry`.
    #[inline]
    fn child_for(&self, entry: &Entry<M>) -> usize {
        self.seps.partition_point(|s| !entry.is_before(s))
    }

    /// The child holding `rank`, and the rank within it.
    #[inline]
    fn child_at(&self, mut rank: usize) -> (usize, usize) {
        for (i, &count) in self.counts.iter().enumerate() {
            if rank < count {
                return (i, rank);
            }
            rank -= count;
        }
        panic!("rank out of bounds");
    }

    /// Restores fill after child `i` lost an entry: drop it when empty,
    /// merge it into a neighbour when it is small and the two fit.
    fn rebalance(&mut self, i: usize, store: &mut Store<M>) {
        if self.counts[i] == 0 {
            if let Node::Leaf(id) = self.children.remove(i) {
                store.release(id);
            }
            self.counts.remove(i);
            if !self.seps.is_empty() {
                self.seps.remove(i.saturating_sub(1));
            }
            return;
        }
        let small = match &self.children[i] {
            Node::Leaf(id) => store.leaves[*id as usize].len() < LEAF_MERGE_BELOW,
            Node::Inner(inner) => inner.children.len() < INNER_MERGE_BELOW,
        };
        if !small {
            return;
        }
        if i > 0 && self.can_merge(i - 1, i, store) {
            self.merge(i - 1, store);
        } else if i + 1 < self.children.len() && self.can_merge(i, i + 1, store) {
            self.merge(i, store);
        }
    }

    fn can_merge(&self, left: usize, right: usize, store: &Store<M>) -> bool {
        match (store.leaf_len(&self.children[left]), store.leaf_len(&self.children[right])) {
            (Some(a), Some(b)) => a + b <= LEAF_CAP,
            (None, None) => match (&self.children[left], &self.children[right]) {
                (Node::Inner(a), Node::Inner(b)) => a.children.len() + b.children.len() <= INNER_CAP,
                _ => false,
            },
            _ => false,
        }
    }

    /// Merges `children[left + 1]` into `children[left]`.
    fn merge(&mut self, left: usize, store: &mut Store<M>) {
        let right = self.children.remove(left + 1);
        let right_count = self.counts.remove(left + 1);
        let sep = self.seps.remove(left);
        self.counts[left] += right_count;
        match (&mut self.children[left], right) {
            (Node::Leaf(a), Node::Leaf(b)) => store.merge_leaves(*a, b),
            (Node::Inner(a), Node::Inner(b)) => {
                let b = *b;
                a.seps.push(sep);
                a.seps.extend(b.seps);
                a.counts.extend(b.counts);
                a.children.extend(b.children);
            }
            _ => unreachable!("siblings are at the same depth"),
        }
    }
}

/// A counted B+tree with a compact member index; see the module docs.
#[derive(Clone, Debug)]
pub struct Tree<M: Member> {
    root: Node<M>,
    store: Store<M>,
    len: usize,
}

impl<M: Member> Default for Tree<M> {
    fn default() -> Self {
        Tree::from_sorted(Vec::new())
    }
}

impl<M: Member> Tree<M> {
    /// Bulk-builds from entries in set order with distinct members, packing
    /// leaves full (appends then keep them full; random inserts split them
    /// to half).
    pub fn from_sorted(entries: Vec<Entry<M>>) -> Self {
        let len = entries.len();
        let mut store = Store { leaves: Vec::new(), free: Vec::new(), index: LeafIndex::with_capacity_for(len) };
        let mut level: Vec<(Option<Entry<M>>, usize, Node<M>)> = Vec::new();
        let mut iter = entries.into_iter().peekable();
        while iter.peek().is_some() {
            let mut leaf = Vec::with_capacity(LEAF_CAP);
            leaf.extend(iter.by_ref().take(LEAF_CAP));
            let first = leaf[0].clone();
            let count = leaf.len();
            let id = store.alloc(leaf);
            level.push((Some(first), count, Node::Leaf(id)));
        }
        if level.is_empty() {
            let id = store.alloc(Vec::with_capacity(LEAF_CAP));
            return Tree { root: Node::Leaf(id), store, len: 0 };
        }
        store.index_rebuild(len);
        while level.len() > 1 {
            let mut parents = Vec::with_capacity(level.len().div_ceil(INNER_CAP));
            let mut nodes = level.into_iter().peekable();
            while nodes.peek().is_some() {
                let group: Vec<_> = nodes.by_ref().take(INNER_CAP).collect();
                let mut seps = Vec::with_capacity(group.len() - 1);
                let mut counts = Vec::with_capacity(group.len());
                let mut children = Vec::with_capacity(group.len());
                let mut first = None;
                for (i, (min, count, node)) in group.into_iter().enumerate() {
                    if i == 0 {
                        first = min;
                    } else {
                        seps.push(min.expect("every node has a minimum"));
                    }
                    counts.push(count);
                    children.push(node);
                }
                let total = counts.iter().sum();
                parents.push((first, total, Node::Inner(Box::new(Inner { seps, counts, children }))));
            }
            level = parents;
        }
        let (_, _, root) = level.pop().expect("one root");
        Tree { root, store, len }
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Score of `member`, if present.
    #[inline]
    pub fn score_of(&self, member: &M::Query) -> Option<ScoreKey> {
        let leaves = &self.store.leaves;
        self.store.index.probe(hash_of::<M>(member), |id| {
            leaves[id as usize].iter().find(|e| e.member.borrow() == member).map(|e| e.score)
        })
    }

    /// Inserts an entry whose member is known to be absent.
    pub fn insert(&mut self, entry: Entry<M>) {
        if self.store.index.is_full() {
            self.store.index_rebuild(self.len + 1);
        }
        let hash = hash_of::<M>(entry.member.borrow());
        self.len += 1;
        if let Some((sep, right)) = self.root.insert(entry, hash, &mut self.store) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(0));
            let counts = vec![left.count(&self.store), right.count(&self.store)];
            self.root = Node::Inner(Box::new(Inner { seps: vec![sep], counts, children: vec![left, right] }));
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &M::Query) -> Option<ScoreKey> {
        let score = self.score_of(member)?;
        self.remove_known(member, score);
        Some(score)
    }

    /// Removes `member`, whose score the caller already looked up.
    pub fn remove_known(&mut self, member: &M::Query, score: ScoreKey) {
        let removed =
            self.root.remove(&Entry::new(score, M::from_query(member)), hash_of::<M>(member), &mut self.store);
        debug_assert!(removed, "index and tree disagree");
        self.after_remove();
    }

    /// Removes and returns the entry at `rank` (must be in bounds).
    pub fn remove_at(&mut self, rank: usize) -> Entry<M> {
        let entry = self.root.remove_at(rank, &mut self.store);
        self.after_remove();
        entry
    }

    fn after_remove(&mut self) {
        self.len -= 1;
        while let Node::Inner(inner) = &mut self.root {
            if inner.children.len() != 1 {
                break;
            }
            let only = inner.children.pop().expect("one child");
            self.root = only;
        }
        // Tombstones pile up under churn; rebuild (amortized O(1)) when they
        // dominate or when the table is far larger than the set.
        let index = &self.store.index;
        if index.tombstones > index.slots.len() / 4 || (index.slots.len() > 64 && self.len * 4 < index.slots.len() / 4)
        {
            self.store.index_rebuild(self.len);
        }
    }

    /// Removes ranks `start..end`; returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        for _ in start..end {
            self.remove_at(start);
        }
        end - start
    }

    /// The entry at `rank`.
    #[inline]
    pub fn get(&self, rank: usize) -> &Entry<M> {
        self.root.get(rank, &self.store)
    }

    /// Rank of an entry known to be present.
    pub fn rank_of(&self, entry: &Entry<M>) -> usize {
        self.root.partition_point(&|e| e.is_before(entry), &self.store)
    }

    /// Number of leading entries for which monotone `pred` holds.
    pub fn partition_point(&self, pred: impl Fn(&Entry<M>) -> bool) -> usize {
        self.root.partition_point(&pred, &self.store)
    }

    /// Calls `f` for ranks `start..end` in the given direction until it
    /// returns `false`.
    pub fn visit(&self, start: usize, end: usize, rev: bool, f: &mut dyn FnMut(&Entry<M>) -> bool) {
        let end = end.min(self.len());
        if start < end {
            self.root.visit(0, start, end, rev, &self.store, f);
        }
    }

    /// All entries in order.
    pub fn into_sorted_vec(self) -> Vec<Entry<M>> {
        let mut out = Vec::with_capacity(self.len());
        self.visit(0, self.len(), false, &mut |e| {
            out.push(e.clone());
            true
        });
        out
    }

    /// Heap bytes: leaves, inner nodes and the index (not byte members).
    pub fn heap_bytes(&self) -> usize {
        let leaves: usize = self.store.leaves.iter().map(|l| l.capacity() * size_of::<Entry<M>>()).sum();
        leaves
            + self.store.leaves.capacity() * size_of::<Vec<Entry<M>>>()
            + self.root.inner_bytes()
            + self.store.index.slots.len() * 4
    }

    /// Asserts every structural invariant (tests only).
    #[cfg(test)]
    pub fn check_invariants(&self) {
        let n = self.root.check(None, None, &self.store);
        assert_eq!(n, self.len, "length");
        assert_eq!(self.store.index.live, n, "index size");
        for rank in 0..n {
            let e = self.get(rank);
            assert_eq!(self.score_of(e.member.borrow()), Some(e.score), "index lookup");
            assert_eq!(self.rank_of(e), rank);
        }
    }

    #[cfg(test)]
    fn leaf_bytes(&self) -> usize {
        self.store.leaves.iter().map(|l| l.capacity() * size_of::<Entry<M>>()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn entry(score: u64, member: u64) -> Entry<u64> {
        Entry::new(ScoreKey::from_f64(score as f64), member)
    }

    #[test]
    fn random_inserts_and_removes_keep_invariants() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut tree = Tree::<u64>::default();
        let mut present = HashMap::new();
        for step in 0..40_000 {
            let member = rng.u64(0..3000);
            match rng.u8(0..10) {
                0..=3 => {
                    if let Some(score) = present.remove(&member) {
                        assert_eq!(tree.remove(&member), Some(score));
                    }
                }
                4 if tree.len() > 0 => {
                    let e = tree.remove_at(rng.usize(0..tree.len()));
                    present.remove(&e.member);
                }
                _ => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = present.entry(member) {
                        let e = entry(rng.u64(0..500), member);
                        slot.insert(e.score);
                        tree.insert(e);
                    }
                }
            }
            if step % 4000 == 0 {
                tree.check_invariants();
            }
        }
        tree.check_invariants();
        assert_eq!(tree.len(), present.len());
        for (member, score) in &present {
            assert_eq!(tree.score_of(member), Some(*score));
        }
    }

    #[test]
    fn byte_members_work_too() {
        let mut tree = Tree::<Box<[u8]>>::default();
        for i in 0..2000u64 {
            tree.insert(Entry::new(ScoreKey::from_f64((i % 10) as f64), format!("m{i}").into_bytes().into()));
        }
        for i in (0..2000u64).step_by(3) {
            assert!(tree.remove(format!("m{i}").as_bytes()).is_some());
        }
        tree.check_invariants();
        assert_eq!(tree.score_of(b"m1".as_slice()), Some(ScoreKey::from_f64(1.0)));
        assert_eq!(tree.score_of(b"m0".as_slice()), None);
    }

    #[test]
    fn appends_fill_leaves_and_trims_merge() {
        let mut tree = Tree::<u64>::default();
        for i in 0..10_000 {
            tree.insert(entry(i, i));
            if tree.len() > 800 {
                tree.remove_at(0);
            }
        }
        tree.check_invariants();
        assert_eq!(tree.len(), 800);
        assert_eq!(tree.get(0).member, 9200);
        // Appends leave leaves full: at most one partial leaf at each end.
        assert!(tree.leaf_bytes() < 800 * 16 * 2, "{}", tree.leaf_bytes());
    }

    #[test]
    fn bulk_load_matches_inserts() {
        let entries: Vec<_> = (0..5000).map(|i| entry(i / 3, i)).collect();
        let mut sorted = entries.clone();
        sorted.sort_by(|a, b| a.order(b));
        let tree = Tree::from_sorted(sorted.clone());
        tree.check_invariants();
        for (rank, e) in sorted.iter().enumerate() {
            assert_eq!(tree.get(rank), e);
        }
        let mut seen = Vec::new();
        tree.visit(10, 4000, true, &mut |e| {
            seen.push(e.member);
            seen.len() < 100
        });
        let expected: Vec<_> = sorted[10..4000].iter().rev().take(100).map(|e| e.member).collect();
        assert_eq!(seen, expected);
    }
}
