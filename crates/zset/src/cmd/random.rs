//! ZRANDMEMBER.

use std::collections::HashSet;

use super::parse;
use super::range::ScoredMember;
use crate::error::ZError;
use crate::keyspace::Keyspace;
use crate::reply::Reply;

/// Largest repeat count served. Redis would try to build a reply of any
/// size; we refuse absurd ones instead of exhausting memory.
const MAX_REPEATED: u64 = 10_000_000;

impl Keyspace {
    /// `ZRANDMEMBER key`: one random member.
    pub fn random_member(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.read(key, |set| {
            let set = set?;
            Some(set.get(fastrand::usize(..set.len())).0)
        })
    }

    /// `ZRANDMEMBER key count`: a non-negative `count` returns distinct
    /// members (the whole set if `count` ≥ its size); a negative one returns
    /// `-count` members, possibly repeated.
    pub fn random_members(&self, key: &[u8], count: i64) -> Vec<ScoredMember> {
        self.read(key, |set| {
            let Some(set) = set else { return Vec::new() };
            let len = set.len();
            let entry = |rank: usize| {
                let (member, score) = set.get(rank);
                ScoredMember { member, score }
            };
            if count < 0 {
                let n = count.unsigned_abs().min(MAX_REPEATED) as usize;
                return (0..n).map(|_| entry(fastrand::usize(..len))).collect();
            }
            let n = count as u64;
            if n >= len as u64 {
                return (0..len).map(entry).collect();
            }
            let n = n as usize;
            let ranks: Vec<usize> = if n * 4 < len {
                let mut picked = HashSet::with_capacity(n);
                while picked.len() < n {
                    picked.insert(fastrand::usize(..len));
                }
                picked.into_iter().collect()
            } else {
                let mut all: Vec<usize> = (0..len).collect();
                fastrand::shuffle(&mut all);
                all.truncate(n);
                all
            };
            ranks.into_iter().map(entry).collect()
        })
    }
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`
pub(super) fn zrandmember(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let Some(count_arg) = argv.get(2) else {
        return Ok(ks.random_member(argv[1]).map_or(Reply::Nil, Reply::Bulk));
    };
    let count = parse::integer(count_arg)?;
    if count == i64::MIN {
        return Err(ZError::err(
            "value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let with_scores = match argv.len() {
        3 => false,
        4 if parse::is(argv[3], "withscores") => true,
        _ => return Err(ZError::syntax()),
    };
    if with_scores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(ZError::err("value is out of range"));
    }
    if count.unsigned_abs() > MAX_REPEATED && count < 0 && ks.zcard(argv[1]) > 0 {
        return Err(ZError::err("value is out of range"));
    }
    let mut out = Vec::new();
    for item in ks.random_members(argv[1], count) {
        out.push(Reply::Bulk(item.member));
        if with_scores {
            out.push(Reply::Double(item.score));
        }
    }
    Ok(Reply::Array(out))
}
