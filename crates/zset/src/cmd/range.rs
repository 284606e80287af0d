//! Range reads: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), the older
//! ZREVRANGE / Z[REV]RANGEBYSCORE / Z[REV]RANGEBYLEX forms, and ZRANGESTORE.
//!
//! All of them reduce to one half-open interval of ascending ranks plus a
//! direction (`resolve`), which both the packed array and the tree answer
//! in O(log n + k).

use super::parse;
use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::range::{LexRange, ScoreRange, resolve_rank_range};
use crate::reply::Reply;
use crate::zset::ZSet;

/// Iteration order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// Lowest score first.
    #[default]
    Asc,
    /// Highest score first.
    Desc,
}

/// `LIMIT offset count` with Redis semantics: a negative offset selects
/// nothing, a negative count means "all after offset".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Entries to skip.
    pub offset: i64,
    /// Entries to return.
    pub count: i64,
}

/// Which entries a range command selects.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeSpec {
    /// By rank; negative ranks count from the end. With [`Order::Desc`]
    /// ranks are reverse ranks, as in `ZREVRANGE`.
    Rank {
        /// First rank.
        start: i64,
        /// Last rank (inclusive).
        stop: i64,
    },
    /// By score.
    Score(ScoreRange),
    /// By member bytes (meaningful when all scores are equal).
    Lex(LexRange),
}

/// A member with its score.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredMember {
    /// Member bytes.
    pub member: Vec<u8>,
    /// Score.
    pub score: f64,
}

/// The ascending-rank interval `spec` selects in `set`, after `limit`.
/// Entries are then visited ascending, or descending when `order` is Desc.
pub(crate) fn resolve(set: &ZSet, spec: &RangeSpec, order: Order, limit: Option<Limit>) -> Option<(usize, usize)> {
    let len = set.len();
    let (lo, hi) = match spec {
        RangeSpec::Rank { start, stop } => {
            let (a, b) = resolve_rank_range(*start, *stop, len)?;
            match order {
                Order::Asc => (a, b),
                Order::Desc => (len - b, len - a),
            }
        }
        RangeSpec::Score(range) => set.score_rank_bounds(range),
        RangeSpec::Lex(range) => set.lex_rank_bounds(range),
    };
    let Some(Limit { offset, count }) = limit else {
        return (lo < hi).then_some((lo, hi));
    };
    let available = (hi - lo) as u64;
    if offset < 0 || offset as u64 >= available || count == 0 {
        return None;
    }
    let offset = offset as usize;
    let take = if count < 0 { usize::MAX } else { count as usize };
    Some(match order {
        Order::Asc => {
            let start = lo + offset;
            (start, hi.min(start.saturating_add(take)))
        }
        Order::Desc => {
            let end = hi - offset;
            (lo.max(end.saturating_sub(take)), end)
        }
    })
}

impl Keyspace {
    /// `ZRANGE` in all its forms; returns members with scores in `order`.
    pub fn range(&self, key: &[u8], spec: &RangeSpec, order: Order, limit: Option<Limit>) -> Vec<ScoredMember> {
        self.read(key, |set| {
            let Some(set) = set else { return Vec::new() };
            let Some((lo, hi)) = resolve(set, spec, order, limit) else {
                return Vec::new();
            };
            let mut out = Vec::with_capacity(hi - lo);
            set.visit(lo, hi, order == Order::Desc, &mut |m, score| {
                out.push(ScoredMember { member: m.to_vec(), score });
                true
            });
            out
        })
    }

    /// `ZRANGE key start stop [REV]`.
    pub fn range_by_rank(&self, key: &[u8], start: i64, stop: i64, order: Order) -> Vec<ScoredMember> {
        self.range(key, &RangeSpec::Rank { start, stop }, order, None)
    }

    /// `ZRANGE key min max BYSCORE [REV] [LIMIT]`.
    pub fn range_by_score(
        &self,
        key: &[u8],
        range: &ScoreRange,
        order: Order,
        limit: Option<Limit>,
    ) -> Vec<ScoredMember> {
        self.range(key, &RangeSpec::Score(*range), order, limit)
    }

    /// `ZRANGE key min max BYLEX [REV] [LIMIT]`.
    pub fn range_by_lex(&self, key: &[u8], range: &LexRange, order: Order, limit: Option<Limit>) -> Vec<Vec<u8>> {
        let spec = RangeSpec::Lex(range.clone());
        self.range(key, &spec, order, limit).into_iter().map(|e| e.member).collect()
    }

    /// The timeline read: rank range of an integer-member set as
    /// `(post id, score)`, without formatting members as bytes. Byte members
    /// that are not ids are skipped.
    pub fn range_ids_by_rank(&self, key: &[u8], start: i64, stop: i64, order: Order) -> Vec<(u64, f64)> {
        self.read(key, |set| {
            let Some(set) = set else { return Vec::new() };
            let spec = RangeSpec::Rank { start, stop };
            let Some((lo, hi)) = resolve(set, &spec, order, None) else {
                return Vec::new();
            };
            let mut out = Vec::with_capacity(hi - lo);
            let rev = order == Order::Desc;
            if !set.visit_ids(lo, hi, rev, &mut |id, score| {
                out.push((id, score));
                true
            }) {
                set.visit(lo, hi, rev, &mut |m, score| {
                    if let Some(id) = crate::member::parse_canonical_u64(m) {
                        out.push((id, score));
                    }
                    true
                });
            }
            out
        })
    }

    /// `ZRANGESTORE dst src ...`: stores the selection at `dst`, replacing
    /// it (an empty selection deletes `dst`). Returns the stored size.
    pub fn range_store(&self, dst: &[u8], src: &[u8], spec: &RangeSpec, order: Order, limit: Option<Limit>) -> usize {
        let packed_max = self.packed_max();
        let mut locked = self.lock_many(&[dst, src]);
        let result = locked
            .get(src)
            .and_then(|set| resolve(set, spec, order, limit).map(|(lo, hi)| set.sub_set(lo, hi, packed_max)));
        let stored = result.as_ref().map_or(0, ZSet::len);
        locked.shard(dst).store(dst, result.unwrap_or_default());
        stored
    }
}

/// Which command form is being parsed; fixes what options may follow.
#[derive(Clone, Copy)]
struct Form {
    /// Index of the first of `min max` / `start stop`.
    first: usize,
    store: bool,
    /// Preset direction (`None` = ZRANGE's REV option decides).
    order: Option<Order>,
    /// Preset range kind (`None` = BYSCORE/BYLEX option decides).
    kind: Option<Kind>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

struct Parsed {
    spec: RangeSpec,
    order: Order,
    limit: Option<Limit>,
    with_scores: bool,
}

/// Redis's `zrangeGenericCommand` argument handling, check for check.
fn parse_range(argv: &[&[u8]], form: Form) -> Result<Parsed, ZError> {
    let (mut order, mut kind) = (form.order, form.kind);
    let mut with_scores = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut j = form.first + 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let arg = argv[j];
        if !form.store && parse::is(arg, "withscores") {
            with_scores = true;
        } else if parse::is(arg, "limit") && left >= 2 {
            limit = Some((parse::integer(argv[j + 1])?, parse::integer(argv[j + 2])?));
            j += 2;
        } else if form.order.is_none() && order.is_none() && parse::is(arg, "rev") {
            order = Some(Order::Desc);
        } else if form.kind.is_none() && kind.is_none() && parse::is(arg, "bylex") {
            kind = Some(Kind::Lex);
        } else if form.kind.is_none() && kind.is_none() && parse::is(arg, "byscore") {
            kind = Some(Kind::Score);
        } else {
            return Err(ZError::syntax());
        }
        j += 1;
    }
    let order = order.unwrap_or(Order::Asc);
    let kind = kind.unwrap_or(Kind::Rank);
    // Redis's "no LIMIT" is count == -1, so `LIMIT x -1` passes this check.
    if limit.is_some_and(|(_, count)| count != -1) && kind == Kind::Rank {
        return Err(ZError::err("syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"));
    }
    if with_scores && kind == Kind::Lex {
        return Err(ZError::err("syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    let (mut a, mut b) = (argv[form.first], argv[form.first + 1]);
    if order == Order::Desc && kind != Kind::Rank {
        std::mem::swap(&mut a, &mut b); // given as `max min`
    }
    let spec = match kind {
        Kind::Rank => RangeSpec::Rank { start: parse::integer(a)?, stop: parse::integer(b)? },
        Kind::Score => RangeSpec::Score(ScoreRange::parse(a, b).ok_or_else(ZError::range_not_float)?),
        Kind::Lex => RangeSpec::Lex(LexRange::parse(a, b).ok_or_else(ZError::lex_range_invalid)?),
    };
    let limit = match kind {
        Kind::Rank => None,
        _ => limit.map(|(offset, count)| Limit { offset, count }),
    };
    Ok(Parsed { spec, order, limit, with_scores })
}

fn encode(items: Vec<ScoredMember>, with_scores: bool) -> Reply {
    let mut out = Vec::with_capacity(items.len() * if with_scores { 2 } else { 1 });
    for item in items {
        out.push(Reply::Bulk(item.member));
        if with_scores {
            out.push(Reply::Double(item.score));
        }
    }
    Reply::Array(out)
}

fn run(ks: &Keyspace, argv: &[&[u8]], form: Form) -> Result<Reply, ZError> {
    let p = parse_range(argv, form)?;
    Ok(encode(ks.range(argv[1], &p.spec, p.order, p.limit), p.with_scores))
}

const fn form(order: Option<Order>, kind: Option<Kind>) -> Form {
    Form { first: 2, store: false, order, kind }
}

pub(super) fn zrange(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(None, None))
}

pub(super) fn zrevrange(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(Some(Order::Desc), Some(Kind::Rank)))
}

pub(super) fn zrangebyscore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(Some(Order::Asc), Some(Kind::Score)))
}

pub(super) fn zrevrangebyscore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(Some(Order::Desc), Some(Kind::Score)))
}

pub(super) fn zrangebylex(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(Some(Order::Asc), Some(Kind::Lex)))
}

pub(super) fn zrevrangebylex(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    run(ks, argv, form(Some(Order::Desc), Some(Kind::Lex)))
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub(super) fn zrangestore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let p = parse_range(argv, Form { first: 3, store: true, order: None, kind: None })?;
    Ok(Reply::count(ks.range_store(argv[1], argv[2], &p.spec, p.order, p.limit)))
}
