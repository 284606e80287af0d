//! One sorted-set entry: a score key and a member, ordered like Redis's
//! skiplist (score, then member bytes).

use std::cmp::Ordering;

use crate::member::Member;
use crate::score::ScoreKey;

/// A (score, member) pair. For integer members this is 16 bytes, the whole
/// per-entry payload of a timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<M> {
    /// Order-preserving image of the score.
    pub score: ScoreKey,
    /// The member in its stored representation.
    pub member: M,
}

impl<M: Member> Entry<M> {
    /// Creates an entry.
    #[inline]
    pub fn new(score: ScoreKey, member: M) -> Self {
        Entry { score, member }
    }

    /// The total order of a sorted set: score, then member bytes.
    #[inline]
    pub fn order(&self, other: &Self) -> Ordering {
        self.score.cmp(&other.score).then_with(|| self.member.tie_cmp(&other.member))
    }

    /// `true` if `self` sorts strictly before `other`.
    #[inline]
    pub fn is_before(&self, other: &Self) -> bool {
        self.order(other) == Ordering::Less
    }
}
