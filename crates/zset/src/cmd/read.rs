//! Point reads: ZCARD, ZSCORE, ZMSCORE, ZCOUNT, ZLEXCOUNT, ZRANK, ZREVRANK.

use super::parse;
use super::range::Order;
use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::range::{LexRange, ScoreRange};
use crate::reply::Reply;

impl Keyspace {
    /// `ZCARD`.
    pub fn zcard(&self, key: &[u8]) -> usize {
        self.read(key, |set| set.map_or(0, |s| s.len()))
    }

    /// `ZSCORE`.
    pub fn zscore(&self, key: &[u8], member: &[u8]) -> Option<f64> {
        self.read(key, |set| set?.score(member))
    }

    /// `ZSCORE` for an integer member.
    pub fn zscore_id(&self, key: &[u8], id: u64) -> Option<f64> {
        self.read(key, |set| set?.score_of_id(id))
    }

    /// `ZMSCORE`.
    pub fn zmscore(&self, key: &[u8], members: &[&[u8]]) -> Vec<Option<f64>> {
        self.read(key, |set| members.iter().map(|m| set.and_then(|s| s.score(m))).collect())
    }

    /// `ZCOUNT`.
    pub fn zcount(&self, key: &[u8], range: &ScoreRange) -> usize {
        self.read(key, |set| {
            set.map_or(0, |s| {
                let (lo, hi) = s.score_rank_bounds(range);
                hi - lo
            })
        })
    }

    /// `ZLEXCOUNT`.
    pub fn zlexcount(&self, key: &[u8], range: &LexRange) -> usize {
        self.read(key, |set| {
            set.map_or(0, |s| {
                let (lo, hi) = s.lex_rank_bounds(range);
                hi - lo
            })
        })
    }

    /// `ZRANK`/`ZREVRANK ... WITHSCORE`: the rank in `order` and the score.
    pub fn zrank(&self, key: &[u8], member: &[u8], order: Order) -> Option<(usize, f64)> {
        self.read(key, |set| {
            let set = set?;
            let (rank, score) = set.rank(member)?;
            Some(match order {
                Order::Asc => (rank, score),
                Order::Desc => (set.len() - 1 - rank, score),
            })
        })
    }
}

pub(super) fn zcard(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(Reply::count(ks.zcard(argv[1])))
}

pub(super) fn zscore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    Ok(ks.zscore(argv[1], argv[2]).map_or(Reply::Nil, Reply::Double))
}

pub(super) fn zmscore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let scores = ks.zmscore(argv[1], &argv[2..]);
    Ok(Reply::Array(scores.into_iter().map(|s| s.map_or(Reply::Nil, Reply::Double)).collect()))
}

pub(super) fn zcount(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let range = ScoreRange::parse(argv[2], argv[3]).ok_or_else(ZError::range_not_float)?;
    Ok(Reply::count(ks.zcount(argv[1], &range)))
}

pub(super) fn zlexcount(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let range = LexRange::parse(argv[2], argv[3]).ok_or_else(ZError::lex_range_invalid)?;
    Ok(Reply::count(ks.zlexcount(argv[1], &range)))
}

pub(super) fn zrank(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    rank(ks, argv, Order::Asc, "zrank")
}

pub(super) fn zrevrank(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    rank(ks, argv, Order::Desc, "zrevrank")
}

/// `Z[REV]RANK key member [WITHSCORE]`, as in Redis 7.2 (7.0 has no
/// WITHSCORE).
fn rank(ks: &Keyspace, argv: &[&[u8]], order: Order, name: &str) -> Result<Reply, ZError> {
    if argv.len() > 4 {
        return Err(ZError::arity(name));
    }
    let with_score = match argv.get(3) {
        None => false,
        Some(arg) if parse::is(arg, "withscore") => true,
        Some(_) => return Err(ZError::syntax()),
    };
    Ok(match (ks.zrank(argv[1], argv[2], order), with_score) {
        (Some((rank, score)), true) => Reply::Array(vec![Reply::count(rank), Reply::Double(score)]),
        (Some((rank, _)), false) => Reply::count(rank),
        (None, true) => Reply::NilArray,
        (None, false) => Reply::Nil,
    })
}
