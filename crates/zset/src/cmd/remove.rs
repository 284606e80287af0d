//! Removals: ZREM, ZREMRANGEBYRANK/BYSCORE/BYLEX, ZPOPMIN, ZPOPMAX.

use super::parse;
use super::range::{Order, RangeSpec, ScoredMember, resolve};
use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::range::{LexRange, ScoreRange};
use crate::reply::Reply;

impl Keyspace {
    /// `ZREM`; returns how many members were removed.
    pub fn zrem(&self, key: &[u8], members: &[&[u8]]) -> usize {
        self.update(key, false, |set| members.iter().filter(|m| set.remove(m).is_some()).count()).unwrap_or(0)
    }

    /// `ZREMRANGEBYRANK` / `BYSCORE` / `BYLEX`; returns how many went.
    pub fn remove_range_by(&self, key: &[u8], spec: &RangeSpec) -> usize {
        self.update(key, false, |set| match resolve(set, spec, Order::Asc, None) {
            Some((lo, hi)) => set.remove_range(lo, hi),
            None => 0,
        })
        .unwrap_or(0)
    }

    /// `ZPOPMIN` (Asc) / `ZPOPMAX` (Desc): removes and returns up to
    /// `count` entries from that end.
    pub fn pop(&self, key: &[u8], count: usize, order: Order) -> Vec<ScoredMember> {
        self.update(key, false, |set| {
            let n = count.min(set.len());
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let rank = if order == Order::Asc { 0 } else { set.len() - 1 };
                let (member, score) = set.remove_at(rank);
                out.push(ScoredMember { member, score });
            }
            out
        })
        .unwrap_or_default()
    }
}

pub(super) fn zrem(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::count(ks.zrem(argv[1], &argv[2..])))
}

pub(super) fn zremrangebyrank(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let spec = RangeSpec::Rank { start: parse::integer(argv[2])?, stop: parse::integer(argv[3])? };
    Ok(Reply::count(ks.remove_range_by(argv[1], &spec)))
}

pub(super) fn zremrangebyscore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let range = ScoreRange::parse(argv[2], argv[3]).ok_or_else(ZError::range_not_float)?;
    Ok(Reply::count(ks.remove_range_by(argv[1], &RangeSpec::Score(range))))
}

pub(super) fn zremrangebylex(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let range = LexRange::parse(argv[2], argv[3]).ok_or_else(ZError::lex_range_invalid)?;
    Ok(Reply::count(ks.remove_range_by(argv[1], &RangeSpec::Lex(range))))
}

pub(super) fn zpopmin(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    pop(ks, argv, Order::Asc)
}

pub(super) fn zpopmax(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    pop(ks, argv, Order::Desc)
}

/// `ZPOPMIN|ZPOPMAX key [count]`: a flat `[member, score, ...]` array.
fn pop(ks: &Keyspace, argv: &[&[u8]], order: Order) -> Result<Reply, ZError> {
    if argv.len() > 3 {
        return Err(ZError::syntax());
    }
    let count = match argv.get(2) {
        None => 1,
        Some(arg) => parse::non_negative(arg, "value is out of range, must be positive")? as usize,
    };
    let mut out = Vec::new();
    for item in ks.pop(argv[1], count, order) {
        out.push(Reply::Bulk(item.member));
        out.push(Reply::Double(item.score));
    }
    Ok(Reply::Array(out))
}
