//! Score and lexicographic ranges, parsed with Redis's rules
//! (`zslParseRange`, `zslParseLexRangeItem`).

use std::cmp::Ordering;

use crate::score::{self, ScoreKey};

/// A score interval such as `(1 +inf`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// `(` prefix on the lower bound.
    pub min_exclusive: bool,
    /// `(` prefix on the upper bound.
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// The inclusive range `[min, max]`.
    pub fn inclusive(min: f64, max: f64) -> Self {
        ScoreRange { min, max, min_exclusive: false, max_exclusive: false }
    }

    /// Every score.
    pub fn all() -> Self {
        Self::inclusive(f64::NEG_INFINITY, f64::INFINITY)
    }

    /// Parses `min` and `max` arguments; `None` maps to
    /// "min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<Self> {
        let (min, min_exclusive) = parse_bound(min)?;
        let (max, max_exclusive) = parse_bound(max)?;
        Some(ScoreRange { min, max, min_exclusive, max_exclusive })
    }

    /// `true` if `key` is below the lower bound.
    #[inline]
    pub(crate) fn below_min(&self, key: ScoreKey) -> bool {
        let min = ScoreKey::from_f64(self.min);
        if self.min_exclusive { key <= min } else { key < min }
    }

    /// `true` if `key` is not above the upper bound.
    #[inline]
    pub(crate) fn within_max(&self, key: ScoreKey) -> bool {
        let max = ScoreKey::from_f64(self.max);
        if self.max_exclusive { key < max } else { key <= max }
    }

    /// `true` if `score` lies in the range.
    pub fn contains(&self, score: f64) -> bool {
        let key = ScoreKey::from_f64(score);
        !self.below_min(key) && self.within_max(key)
    }
}

fn parse_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.split_first() {
        Some((b'(', rest)) => Some((score::parse_lenient(rest)?, true)),
        _ => Some((score::parse_lenient(arg)?, false)),
    }
}

/// One end of a lexicographic range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    NegInf,
    /// `+`: above every member.
    PosInf,
    /// `[value`.
    Inclusive(Vec<u8>),
    /// `(value`.
    Exclusive(Vec<u8>),
}

impl LexBound {
    /// Parses one bound; `None` maps to
    /// "min or max not valid string range item".
    pub fn parse(arg: &[u8]) -> Option<Self> {
        // Redis checks `c[1] != '\0'` on a NUL-terminated sds, so "+" may be
        // followed by a NUL byte and still count as "+".
        let lone = |arg: &[u8]| arg.get(1).is_none_or(|b| *b == 0);
        match arg.first()? {
            b'+' if lone(arg) => Some(LexBound::PosInf),
            b'-' if lone(arg) => Some(LexBound::NegInf),
            b'[' => Some(LexBound::Inclusive(arg[1..].to_vec())),
            b'(' => Some(LexBound::Exclusive(arg[1..].to_vec())),
            _ => None,
        }
    }
}

/// A lexicographic interval such as `[a (c`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// Lower bound.
    pub min: LexBound,
    /// Upper bound.
    pub max: LexBound,
}

impl LexRange {
    /// Parses `min` and `max` arguments.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<Self> {
        Some(LexRange { min: LexBound::parse(min)?, max: LexBound::parse(max)? })
    }

    /// Every member.
    pub fn all() -> Self {
        LexRange { min: LexBound::NegInf, max: LexBound::PosInf }
    }

    /// `true` if `member` is below the lower bound.
    pub(crate) fn below_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(b) => member.cmp(b) == Ordering::Less,
            LexBound::Exclusive(b) => member.cmp(b) != Ordering::Greater,
        }
    }

    /// `true` if `member` is not above the upper bound.
    pub(crate) fn within_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(b) => member.cmp(b) != Ordering::Greater,
            LexBound::Exclusive(b) => member.cmp(b) == Ordering::Less,
        }
    }
}

/// Resolves Redis rank arguments (`start`, `stop`, negatives from the end)
/// against a set of `len` entries, into a half-open rank range; `None` when
/// empty. Same rules as `genericZrangebyrankCommand`.
pub fn resolve_rank_range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start < 0 {
        start = 0;
    }
    if start > stop || start >= len {
        return None;
    }
    let stop = stop.min(len - 1);
    Some((start as usize, stop as usize + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_ranges_follow_redis() {
        // zset.tcl: "ZRANGE basics" with a b c d.
        assert_eq!(resolve_rank_range(0, -1, 4), Some((0, 4)));
        assert_eq!(resolve_rank_range(-5, 2, 4), Some((0, 3)));
        assert_eq!(resolve_rank_range(5, -1, 4), None);
        assert_eq!(resolve_rank_range(0, -5, 4), None);
        assert_eq!(resolve_rank_range(1, 100, 4), Some((1, 4)));
        assert_eq!(resolve_rank_range(i64::MIN, i64::MAX, 4), Some((0, 4)));
        assert_eq!(resolve_rank_range(0, 0, 0), None);
    }

    #[test]
    fn lex_bounds_parse() {
        assert_eq!(LexBound::parse(b"-"), Some(LexBound::NegInf));
        assert_eq!(LexBound::parse(b"+"), Some(LexBound::PosInf));
        assert_eq!(LexBound::parse(b"[a"), Some(LexBound::Inclusive(b"a".to_vec())));
        assert_eq!(LexBound::parse(b"("), Some(LexBound::Exclusive(Vec::new())));
        for bad in [&b""[..], b"a", b"+x", b"-x"] {
            assert_eq!(LexBound::parse(bad), None);
        }
    }

    #[test]
    fn score_bounds_parse() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(!r.contains(1.0) && r.contains(1.5) && r.contains(f64::INFINITY));
        assert!(ScoreRange::parse(b"(nan", b"1").is_none());
        assert!(ScoreRange::parse(b"x", b"1").is_none());
        assert!(ScoreRange::parse(b"(", b"1").unwrap().min_exclusive);
    }
}
