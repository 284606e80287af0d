//! Tier A: a set as one sorted run of 16-byte entries plus a 2-byte-per-slot
//! member index.
//!
//! Rank is the position, score lookups and range bounds are binary searches,
//! and the layout is one contiguous buffer — the whole 800-entry timeline is
//! 13 KB. Two details make the timeline pattern (append newest, trim oldest)
//! O(1) amortized:
//!
//! * **Dead prefix instead of shifting.** Live entries are
//!   `entries[head..]`; trimming the oldest just advances `head`. When an
//!   append finds the buffer full, the live part is moved down once
//!   (amortized over the `head` trims that made room).
//! * **Member index.** Finding a member (is this post already there? what
//!   is its score?) would otherwise be a linear scan. Sets of at least
//!   [`INDEX_MIN_LEN`] entries keep an open-addressing table of `u16` slots,
//!   each a 12-bit buffer position plus a 4-bit hash tag, probed linearly.
//!   Positions are physical (buffer indexes), so appends and head trims never
//!   touch other slots; a middle insert or removal shifts positions with one
//!   pass over the table (cheaper than the memmove it accompanies). At
//!   ≤ 7/8 load that is ~2.3–4.6 bytes per entry.

use std::hash::BuildHasher;

use crate::entry::Entry;
use crate::hash::MemberHashBuilder;
use crate::member::Member;
use crate::score::ScoreKey;

/// Sets smaller than this scan linearly: a few cache lines, no index memory.
pub const INDEX_MIN_LEN: usize = 32;
/// Largest packed set: buffer positions must fit the index's 12 bits even
/// with growth slack (3500 × 9/8 + 4 < 4095).
pub const MAX_PACKED_LEN: usize = 3500;

const POSITION_BITS: u32 = 12;
const POSITION_MASK: u16 = (1 << POSITION_BITS) - 1;
const EMPTY: u16 = u16::MAX;

/// Open-addressing member → buffer-position table; see module docs. It
/// always holds exactly the live entries, so its fill is the set's length.
#[derive(Clone, Debug)]
struct SlotIndex {
    slots: Box<[u16]>,
}

#[inline]
fn hash_of<M: Member>(member: &M::Query) -> u64 {
    MemberHashBuilder::default().hash_one(member)
}

impl SlotIndex {
    fn with_capacity_for(len: usize) -> SlotIndex {
        let slots = (len * 8 / 7 + 1).next_power_of_two().max(64);
        SlotIndex { slots: vec![EMPTY; slots].into_boxed_slice() }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    #[inline]
    fn home(&self, hash: u64) -> usize {
        (hash >> 8) as usize & self.mask()
    }

    #[inline]
    fn tag(hash: u64) -> u16 {
        (hash as u16 & 0xF) << POSITION_BITS
    }

    fn needs_growth(&self, len: usize) -> bool {
        (len + 1) * 8 > self.slots.len() * 7
    }

    /// Records `member` at buffer position `pos` (member must be absent).
    fn insert(&mut self, hash: u64, pos: usize) {
        let mut i = self.home(hash);
        while self.slots[i] != EMPTY {
            i = (i + 1) & self.mask();
        }
        self.slots[i] = Self::tag(hash) | pos as u16;
    }

    /// Finds the buffer position holding a member equal to `member`.
    #[inline]
    fn find<M: Member>(&self, hash: u64, member: &M::Query, entries: &[Entry<M>]) -> Option<usize> {
        let tag = Self::tag(hash);
        let mut i = self.home(hash);
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                return None;
            }
            if slot & !POSITION_MASK == tag {
                let pos = (slot & POSITION_MASK) as usize;
                if entries[pos].member.borrow() == member {
                    return Some(pos);
                }
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Removes the slot pointing at `pos` (whose member hashes to `hash`),
    /// back-shifting the probe chain so no tombstones are needed. The
    /// entries must still be at their recorded positions.
    fn remove<M: Member>(&mut self, hash: u64, pos: usize, entries: &[Entry<M>]) {
        let mut i = self.home(hash);
        loop {
            match self.slots[i] {
                // A missing entry would be a bug; never loop on it.
                EMPTY => {
                    debug_assert!(false, "position missing from packed index");
                    return;
                }
                slot if slot & POSITION_MASK == pos as u16 => break,
                _ => i = (i + 1) & self.mask(),
            }
        }
        loop {
            self.slots[i] = EMPTY;
            let mut j = i;
            loop {
                j = (j + 1) & self.mask();
                let slot = self.slots[j];
                if slot == EMPTY {
                    return;
                }
                let moved = &entries[(slot & POSITION_MASK) as usize];
                let k = self.home(hash_of::<M>(moved.member.borrow()));
                // The entry at j may fill the hole at i unless its home k
                // lies cyclically in (i, j].
                let stays = if i <= j { i < k && k <= j } else { i < k || k <= j };
                if !stays {
                    self.slots[i] = slot;
                    i = j;
                    break;
                }
            }
        }
    }

    /// Adds `delta` to every position ≥ `from` (after a shift of the buffer).
    /// Branch-free so it vectorizes: a live slot's position is at least 1
    /// when shifted down and below 4094 when shifted up, so the wrapping add
    /// never carries into the tag bits, and EMPTY slots are masked out.
    fn shift_positions(&mut self, from: usize, delta: isize) {
        let delta = delta as i16 as u16;
        let from = from as u16;
        for slot in self.slots.iter_mut() {
            let live = u16::from(*slot != EMPTY);
            let moved = u16::from(*slot & POSITION_MASK >= from);
            *slot = slot.wrapping_add((live & moved).wrapping_mul(delta));
        }
    }
}

/// A sorted array of entries with a member index; see the module docs.
#[derive(Clone, Debug)]
pub struct Packed<M> {
    /// `entries[head..]` are live, in set order; `entries[..head]` are
    /// trimmed-off husks (default values, owning nothing).
    entries: Vec<Entry<M>>,
    head: u32,
    /// Boxed so small sets (no index) keep a small header.
    index: Option<Box<SlotIndex>>,
}

impl<M: Member> Default for Packed<M> {
    fn default() -> Self {
        Packed { entries: Vec::new(), head: 0, index: None }
    }
}

impl<M: Member> Packed<M> {
    /// Builds from entries already in set order with distinct members.
    pub fn from_sorted(mut entries: Vec<Entry<M>>) -> Self {
        entries.shrink_to_fit();
        let mut packed = Packed { entries, ..Packed::default() };
        packed.rebuild_index();
        packed
    }

    fn rebuild_index(&mut self) {
        let len = self.len();
        if len < INDEX_MIN_LEN {
            self.index = None;
            return;
        }
        let mut index = SlotIndex::with_capacity_for(len + len / 4);
        for pos in self.head()..self.entries.len() {
            index.insert(hash_of::<M>(self.entries[pos].member.borrow()), pos);
        }
        self.index = Some(Box::new(index));
    }

    #[inline]
    fn head(&self) -> usize {
        self.head as usize
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len() - self.head()
    }

    #[inline]
    fn live(&self) -> &[Entry<M>] {
        &self.entries[self.head()..]
    }

    /// Rank of `member`, if present.
    #[inline]
    pub fn position(&self, member: &M::Query) -> Option<usize> {
        match &self.index {
            Some(index) => {
                let hash = hash_of::<M>(member);
                index.find(hash, member, &self.entries).map(|pos| pos - self.head())
            }
            None => self.live().iter().position(|e| e.member.borrow() == member),
        }
    }

    /// Score of `member`, if present.
    #[inline]
    pub fn score_of(&self, member: &M::Query) -> Option<ScoreKey> {
        self.position(member).map(|rank| self.entries[self.head() + rank].score)
    }

    /// Moves the live entries to the front of the buffer.
    fn compact(&mut self) {
        if self.head == 0 {
            return;
        }
        let head = self.head();
        self.entries.drain(..head);
        self.head = 0;
        if let Some(index) = &mut self.index {
            index.shift_positions(0, -(head as isize));
        }
    }

    /// Inserts an entry whose member is known to be absent.
    pub fn insert(&mut self, entry: Entry<M>) {
        let hash = hash_of::<M>(entry.member.borrow());
        let rank = match self.live().last() {
            // Timeline fast path: the newest entry sorts last.
            None => 0,
            Some(last) if last.is_before(&entry) => self.len(),
            Some(_) => self.live().partition_point(|e| e.is_before(&entry)),
        };
        if rank == 0 && self.head > 0 {
            // Prepend into the dead prefix: nothing moves.
            self.head -= 1;
            let pos = self.head();
            self.entries[pos] = entry;
            self.index_insert(hash, pos);
            return;
        }
        if self.entries.len() == self.entries.capacity() {
            // Slack of ~1/8 of the length, either reclaimed from the dead
            // prefix or newly allocated: the moves a compaction costs are then
            // paid for by the len/8 appends before the next one (O(1)
            // amortized), and a capped timeline's buffer stays under 5/4 of
            // its length, where doubling could waste half. Tiny sets grow one
            // entry at a time (there are millions of them).
            let slack = (self.len() / 8).max(1);
            if self.head() >= slack {
                self.compact();
            } else {
                self.entries.reserve_exact(slack);
            }
        }
        let pos = self.head() + rank;
        if pos == self.entries.len() {
            self.entries.push(entry);
        } else {
            self.entries.insert(pos, entry);
            if let Some(index) = &mut self.index {
                index.shift_positions(pos, 1);
            }
        }
        self.index_insert(hash, pos);
    }

    fn index_insert(&mut self, hash: u64, pos: usize) {
        let rebuild = match &mut self.index {
            Some(index) if index.needs_growth(self.entries.len() - self.head as usize) => true,
            Some(index) => {
                index.insert(hash, pos);
                false
            }
            None => self.len() >= INDEX_MIN_LEN,
        };
        if rebuild {
            self.rebuild_index();
        }
    }

    /// Removes and returns the entry at `rank`.
    pub fn remove_at(&mut self, rank: usize) -> Entry<M> {
        let pos = self.head() + rank;
        if let Some(index) = &mut self.index {
            let hash = hash_of::<M>(self.entries[pos].member.borrow());
            index.remove(hash, pos, &self.entries);
        }
        let entry = if rank == 0 {
            // Trim at the head: leave a husk, advance.
            self.head += 1;
            std::mem::replace(&mut self.entries[pos], Entry::new(ScoreKey::default(), M::default()))
        } else {
            let entry = self.entries.remove(pos);
            if let Some(index) = &mut self.index {
                index.shift_positions(pos + 1, -1);
            }
            entry
        };
        self.after_removal();
        entry
    }

    /// Removes `member` and returns its score.
    pub fn remove(&mut self, member: &M::Query) -> Option<ScoreKey> {
        let rank = self.position(member)?;
        Some(self.remove_at(rank).score)
    }

    /// The entry at `rank` (0-based, ascending).
    #[inline]
    pub fn get(&self, rank: usize) -> &Entry<M> {
        &self.entries[self.head() + rank]
    }

    /// Rank of an entry known to be present.
    pub fn rank_of(&self, entry: &Entry<M>) -> usize {
        self.live().partition_point(|e| e.is_before(entry))
    }

    /// Number of leading entries for which `pred` holds (`pred` must be
    /// monotone: true, then false).
    #[inline]
    pub fn partition_point(&self, pred: impl Fn(&Entry<M>) -> bool) -> usize {
        self.live().partition_point(pred)
    }

    /// Calls `f` for ranks `start..end`, ascending or descending, until it
    /// returns `false`.
    pub fn visit(&self, start: usize, end: usize, rev: bool, f: &mut dyn FnMut(&Entry<M>) -> bool) {
        let end = end.min(self.len());
        if start >= end {
            return;
        }
        let slice = &self.live()[start..end];
        if rev {
            for e in slice.iter().rev() {
                if !f(e) {
                    return;
                }
            }
        } else {
            for e in slice {
                if !f(e) {
                    return;
                }
            }
        }
    }

    /// Removes ranks `start..end` and returns how many were removed.
    pub fn remove_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        let (from, to) = (self.head() + start, self.head() + end);
        if let Some(index) = &mut self.index {
            for pos in from..to {
                let hash = hash_of::<M>(self.entries[pos].member.borrow());
                index.remove(hash, pos, &self.entries);
            }
        }
        if start == 0 {
            for husk in &mut self.entries[from..to] {
                husk.member = M::default();
            }
            self.head = to as u32;
        } else {
            self.entries.drain(from..to);
            if let Some(index) = &mut self.index {
                index.shift_positions(to, -((to - from) as isize));
            }
        }
        self.after_removal();
        end - start
    }

    /// Keeps memory proportional to the live size after removals.
    fn after_removal(&mut self) {
        let len = self.len();
        if self.head > 0 && self.head() >= len.max(16) {
            self.compact();
        }
        if self.entries.capacity() > 16 && len < self.entries.capacity() / 2 {
            self.compact();
            self.entries.shrink_to(len + len / 8);
        }
        if len < INDEX_MIN_LEN / 2 && self.index.is_some() {
            self.index = None;
        }
    }

    /// Moves the entries out, in order.
    pub fn into_sorted_vec(mut self) -> Vec<Entry<M>> {
        self.compact();
        self.entries
    }

    /// Bytes owned on the heap (buffer and index; not byte members).
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry<M>>() + self.index.as_ref().map_or(0, |i| i.slots.len() * 2)
    }

    /// Checks the index against the entries (tests only).
    #[cfg(test)]
    pub fn check_invariants(&self) {
        for pair in self.live().windows(2) {
            assert!(pair[0].is_before(&pair[1]), "packed entries out of order");
        }
        match &self.index {
            Some(index) => {
                let used = index.slots.iter().filter(|s| **s != EMPTY).count();
                assert_eq!(used, self.len(), "index size");
                for (rank, e) in self.live().iter().enumerate() {
                    assert_eq!(self.position(e.member.borrow()), Some(rank), "index lookup");
                }
            }
            None => assert!(self.len() < INDEX_MIN_LEN, "large packed set without index"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(score: u64, member: u64) -> Entry<u64> {
        Entry::new(ScoreKey::from_f64(score as f64), member)
    }

    #[test]
    fn index_survives_every_kind_of_edit() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut packed = Packed::<u64>::default();
        let mut present = std::collections::HashMap::new();
        for step in 0..30_000 {
            let member = rng.u64(0..400);
            match rng.u8(0..10) {
                0..=4 => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = present.entry(member) {
                        let e = entry(rng.u64(0..100), member);
                        slot.insert(e.score);
                        packed.insert(e);
                    }
                }
                5..=6 => {
                    if let Some(score) = present.remove(&member) {
                        assert_eq!(packed.remove(&member), Some(score));
                    }
                }
                7 if packed.len() > 0 => {
                    let e = packed.remove_at(0);
                    present.remove(&e.member);
                }
                8 if packed.len() > 3 => {
                    let start = rng.usize(0..packed.len() - 2);
                    let end = start + rng.usize(1..3);
                    for rank in start..end {
                        present.remove(&packed.get(rank).member);
                    }
                    packed.remove_range(start, end);
                }
                _ => {
                    assert_eq!(packed.score_of(&member), present.get(&member).copied());
                }
            }
            if step % 500 == 0 {
                packed.check_invariants();
            }
        }
        packed.check_invariants();
        assert_eq!(packed.len(), present.len());
    }

    #[test]
    fn timeline_push_trim_reuses_the_buffer() {
        let mut packed = Packed::<u64>::default();
        for i in 0..100_000u64 {
            packed.insert(entry(i, i));
            if packed.len() > 800 {
                packed.remove_at(0);
            }
        }
        packed.check_invariants();
        assert_eq!(packed.get(0).member, 99_200);
        assert!(packed.entries.capacity() < 800 + 800 / 4 + 4, "{}", packed.entries.capacity());
    }
}
