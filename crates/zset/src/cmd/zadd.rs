//! ZADD and ZINCRBY, plus the timeline fast paths built on the same rules.

use super::parse;
use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::zset::ZSet;

/// Flags of `ZADD`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ZAddOptions {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
    /// Count updated members too.
    pub ch: bool,
    /// Add the score to the current one (like `ZINCRBY`).
    pub incr: bool,
}

impl ZAddOptions {
    /// Redis's compatibility checks, in Redis's order.
    fn validate(&self, pairs: usize) -> Result<(), ZError> {
        if self.nx && self.xx {
            return Err(ZError::err("XX and NX options at the same time are not compatible"));
        }
        if (self.nx && (self.gt || self.lt)) || (self.gt && self.lt) {
            return Err(ZError::err("GT, LT, and/or NX options at the same time are not compatible"));
        }
        if self.incr && pairs > 1 {
            return Err(ZError::err("INCR option supports a single increment-element pair"));
        }
        Ok(())
    }
}

/// What `ZADD` returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ZAddResult {
    /// Members added (plus updated, with `CH`).
    Count(usize),
    /// With `INCR`: the new score, or `None` when a flag blocked the update.
    Score(Option<f64>),
}

/// Outcome of adding one pair (Redis's `zsetAdd` out-flags).
enum Added {
    New,
    Updated,
    Unchanged,
    /// NX/XX/GT/LT refused the change.
    Refused,
}

/// Redis's `zsetAdd` for one pair; returns the outcome and resulting score.
fn add_one(
    set: &mut ZSet,
    opts: &ZAddOptions,
    mut score: f64,
    member: &[u8],
    packed_max: usize,
) -> Result<(Added, f64), ZError> {
    match set.score(member) {
        Some(current) => {
            if opts.nx {
                return Ok((Added::Refused, current));
            }
            if opts.incr {
                score += current;
                if score.is_nan() {
                    return Err(ZError::nan_result());
                }
            }
            if (opts.lt && score >= current) || (opts.gt && score <= current) {
                return Ok((Added::Refused, current));
            }
            if score == current {
                return Ok((Added::Unchanged, score));
            }
            set.upsert(member, score, packed_max);
            Ok((Added::Updated, score))
        }
        None if opts.xx => Ok((Added::Refused, score)),
        None => {
            set.upsert(member, score, packed_max);
            Ok((Added::New, score))
        }
    }
}

impl Keyspace {
    /// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...`.
    pub fn zadd(&self, key: &[u8], opts: ZAddOptions, pairs: &[(f64, &[u8])]) -> Result<ZAddResult, ZError> {
        opts.validate(pairs.len())?;
        if pairs.iter().any(|(s, _)| s.is_nan()) {
            return Err(ZError::not_float());
        }
        let packed_max = self.packed_max();
        let applied = self.update(key, !opts.xx, |set| {
            let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
            for &(score, member) in pairs {
                let (outcome, new_score) = add_one(set, &opts, score, member, packed_max)?;
                match outcome {
                    Added::New => added += 1,
                    Added::Updated => updated += 1,
                    Added::Unchanged | Added::Refused => {}
                }
                if !matches!(outcome, Added::Refused) {
                    processed += 1;
                    last = new_score;
                }
            }
            Ok(if opts.incr {
                ZAddResult::Score((processed > 0).then_some(last))
            } else {
                ZAddResult::Count(if opts.ch { added + updated } else { added })
            })
        });
        // XX on a missing key creates nothing.
        applied.unwrap_or(Ok(if opts.incr { ZAddResult::Score(None) } else { ZAddResult::Count(0) }))
    }

    /// `ZINCRBY key increment member`; returns the new score.
    pub fn zincrby(&self, key: &[u8], increment: f64, member: &[u8]) -> Result<f64, ZError> {
        let opts = ZAddOptions { incr: true, ..ZAddOptions::default() };
        match self.zadd(key, opts, &[(increment, member)])? {
            ZAddResult::Score(Some(score)) => Ok(score),
            _ => unreachable!("plain INCR always applies"),
        }
    }

    /// Adds or updates integer members (plain `ZADD` without flags, no
    /// parsing); returns how many were new. `score` must not be NaN.
    pub fn zadd_ids(&self, key: &[u8], pairs: &[(f64, u64)]) -> usize {
        let packed_max = self.packed_max();
        self.update(key, true, |set| {
            pairs.iter().filter(|(score, id)| set.upsert_id(*id, *score, packed_max).is_none()).count()
        })
        .unwrap_or(0)
    }

    /// The timeline write: adds `id` with `score`, then trims the set to
    /// its `cap` highest-ranked entries (`ZADD` + `ZREMRANGEBYRANK 0
    /// -(cap+1)` in one step). Returns whether `id` was new. O(1)
    /// amortized when `score` is the newest, as timeline pushes are.
    pub fn timeline_push(&self, key: &[u8], score: f64, id: u64, cap: usize) -> bool {
        let packed_max = self.packed_max();
        self.update(key, true, |set| {
            let added = set.upsert_id(id, score, packed_max).is_none();
            let len = set.len();
            if len > cap {
                set.remove_range(0, len - cap);
            }
            added
        })
        .unwrap_or(false)
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
pub(super) fn zadd(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let mut opts = ZAddOptions::default();
    let mut i = 2;
    while i < argv.len() {
        let arg = argv[i];
        let flag = match () {
            _ if parse::is(arg, "nx") => &mut opts.nx,
            _ if parse::is(arg, "xx") => &mut opts.xx,
            _ if parse::is(arg, "gt") => &mut opts.gt,
            _ if parse::is(arg, "lt") => &mut opts.lt,
            _ if parse::is(arg, "ch") => &mut opts.ch,
            _ if parse::is(arg, "incr") => &mut opts.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let elements = &argv[i..];
    if elements.is_empty() || !elements.len().is_multiple_of(2) {
        return Err(ZError::syntax());
    }
    opts.validate(elements.len() / 2)?;
    // Every score is parsed before anything is applied: one bad score makes
    // the whole command a no-op.
    let pairs = elements
        .chunks_exact(2)
        .map(|pair| Ok((parse::float(pair[0])?, pair[1])))
        .collect::<Result<Vec<_>, ZError>>()?;
    Ok(match ks.zadd(argv[1], opts, &pairs)? {
        ZAddResult::Count(n) => Reply::count(n),
        ZAddResult::Score(Some(score)) => Reply::Double(score),
        ZAddResult::Score(None) => Reply::Nil,
    })
}

/// `ZINCRBY key increment member`
pub(super) fn zincrby(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let increment = parse::float(argv[2])?;
    Ok(Reply::Double(ks.zincrby(argv[1], increment, argv[3])?))
}
