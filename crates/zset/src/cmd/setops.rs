//! Set algebra: ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! The arithmetic copies Redis's `zunionInterDiffGenericCommand` exactly,
//! including its evaluation order (inputs sorted by size, stable, for union
//! and intersection), because floating-point sums depend on order, and its
//! NaN conventions (`weight * score` NaN → 0 for the first input, and a NaN
//! SUM → 0).

use std::collections::HashMap;

use super::parse;
use super::range::ScoredMember;
use crate::error::ZError;
use crate::keyspace::{Keyspace, MultiShard};
use crate::reply::Reply;
use crate::zset::ZSet;

/// How scores of a member present in several inputs combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Aggregate {
    /// Add them (the default).
    #[default]
    Sum,
    /// Keep the smallest.
    Min,
    /// Keep the largest.
    Max,
}

/// The set operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    /// Members in any input.
    Union,
    /// Members in every input.
    Inter,
    /// Members of the first input in no other.
    Diff,
}

fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            // inf + -inf: Redis keeps the convention that the result is 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        // C's `val < *target ? val : *target`: a NaN never wins.
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// One input: the set (absent keys are empty) and its weight.
struct Input<'a> {
    set: Option<&'a ZSet>,
    weight: f64,
}

impl Input<'_> {
    fn len(&self) -> usize {
        self.set.map_or(0, ZSet::len)
    }
}

/// Computes the result as unsorted `(member, score)` pairs, or only its
/// cardinality (stopping at `limit` when non-zero).
fn compute(
    mut inputs: Vec<Input<'_>>,
    op: SetOp,
    how: Aggregate,
    count_limit: Option<usize>,
) -> (Vec<(Vec<u8>, f64)>, usize) {
    if op != SetOp::Diff {
        inputs.sort_by_key(Input::len); // stable, like glibc's msort-based qsort
    }
    let mut out = Vec::new();
    let mut cardinality = 0;
    match op {
        SetOp::Inter => {
            let Some(first) = inputs[0].set else {
                return (out, 0);
            };
            first.visit(0, first.len(), false, &mut |member, score| {
                let mut acc = inputs[0].weight * score;
                if acc.is_nan() {
                    acc = 0.0;
                }
                for other in &inputs[1..] {
                    match other.set.and_then(|s| s.score(member)) {
                        Some(s) => aggregate(&mut acc, s * other.weight, how),
                        None => return true,
                    }
                }
                cardinality += 1;
                match count_limit {
                    Some(limit) => limit == 0 || cardinality < limit,
                    None => {
                        out.push((member.to_vec(), acc));
                        true
                    }
                }
            });
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            let mut order = Vec::new();
            for input in &inputs {
                let Some(set) = input.set else { continue };
                set.visit(0, set.len(), false, &mut |member, score| {
                    let mut value = input.weight * score;
                    if value.is_nan() {
                        value = 0.0;
                    }
                    match acc.get_mut(member) {
                        Some(existing) => aggregate(existing, value, how),
                        None => {
                            acc.insert(member.to_vec(), value);
                            order.push(member.to_vec());
                        }
                    }
                    true
                });
            }
            out = order
                .into_iter()
                .map(|m| {
                    let score = acc[&m];
                    (m, score)
                })
                .collect();
            cardinality = out.len();
        }
        SetOp::Diff => {
            if let Some(first) = inputs[0].set {
                first.visit(0, first.len(), false, &mut |member, score| {
                    if !inputs[1..].iter().any(|i| i.set.is_some_and(|s| s.score(member).is_some())) {
                        out.push((member.to_vec(), score));
                    }
                    true
                });
            }
            cardinality = out.len();
        }
    }
    (out, cardinality)
}

fn gather<'a>(locked: &'a MultiShard<'_>, keys: &[&[u8]], weights: Option<&[f64]>) -> Vec<Input<'a>> {
    keys.iter()
        .enumerate()
        .map(|(i, key)| Input { set: locked.get(key), weight: weights.map_or(1.0, |w| w[i]) })
        .collect()
}

fn sorted(pairs: Vec<(Vec<u8>, f64)>, packed_max: usize) -> ZSet {
    ZSet::from_pairs(pairs, packed_max)
}

impl Keyspace {
    /// `ZUNION` / `ZINTER` / `ZDIFF`: the result in set order. `weights`,
    /// when given, has one weight per key (ignored for `Diff`).
    pub fn set_op(&self, op: SetOp, keys: &[&[u8]], weights: Option<&[f64]>, how: Aggregate) -> Vec<ScoredMember> {
        let locked = self.lock_many(keys);
        let (pairs, _) = compute(gather(&locked, keys, weights), op, how, None);
        drop(locked);
        let set = sorted(pairs, usize::MAX);
        set.collect(0, set.len(), false).into_iter().map(|(member, score)| ScoredMember { member, score }).collect()
    }

    /// `ZUNIONSTORE` / `ZINTERSTORE` / `ZDIFFSTORE`; returns the stored size.
    pub fn set_op_store(
        &self,
        dst: &[u8],
        op: SetOp,
        keys: &[&[u8]],
        weights: Option<&[f64]>,
        how: Aggregate,
    ) -> usize {
        let mut all = keys.to_vec();
        all.push(dst);
        let mut locked = self.lock_many(&all);
        let (pairs, _) = compute(gather(&locked, keys, weights), op, how, None);
        let set = sorted(pairs, self.packed_max());
        let len = set.len();
        locked.shard(dst).store(dst, set);
        len
    }

    /// `ZINTERCARD numkeys key ... [LIMIT limit]` (`limit` 0 = no limit).
    pub fn zintercard(&self, keys: &[&[u8]], limit: usize) -> usize {
        let locked = self.lock_many(keys);
        compute(gather(&locked, keys, None), SetOp::Inter, Aggregate::Sum, Some(limit)).1
    }
}

struct SetOpArgs<'a> {
    keys: Vec<&'a [u8]>,
    weights: Option<Vec<f64>>,
    how: Aggregate,
    with_scores: bool,
    limit: usize,
}

/// Parses `numkeys key ... [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES] [LIMIT n]`
/// starting at `numkeys_at`, accepting only the options `name` allows.
fn parse_args<'a>(
    argv: &[&'a [u8]],
    numkeys_at: usize,
    op: SetOp,
    store: bool,
    card: bool,
    name: &str,
) -> Result<SetOpArgs<'a>, ZError> {
    let numkeys = parse::integer(argv[numkeys_at])?;
    if numkeys < 1 {
        return Err(ZError::err(format_args!("at least 1 input key is needed for '{name}' command")));
    }
    let first = numkeys_at + 1;
    if numkeys as u64 > (argv.len() - first) as u64 {
        return Err(ZError::syntax());
    }
    let n = numkeys as usize;
    let mut args = SetOpArgs {
        keys: argv[first..first + n].to_vec(),
        weights: None,
        how: Aggregate::Sum,
        with_scores: false,
        limit: 0,
    };
    let mut j = first + n;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let arg = argv[j];
        if op != SetOp::Diff && !card && remaining > n && parse::is(arg, "weights") {
            let weights = argv[j + 1..j + 1 + n]
                .iter()
                .map(|w| crate::score::parse_strict(w).ok_or_else(|| ZError::err("weight value is not a float")))
                .collect::<Result<Vec<_>, _>>()?;
            args.weights = Some(weights);
            j += 1 + n;
        } else if op != SetOp::Diff && !card && remaining >= 2 && parse::is(arg, "aggregate") {
            let how = argv[j + 1];
            args.how = if parse::is(how, "sum") {
                Aggregate::Sum
            } else if parse::is(how, "min") {
                Aggregate::Min
            } else if parse::is(how, "max") {
                Aggregate::Max
            } else {
                return Err(ZError::syntax());
            };
            j += 2;
        } else if !store && !card && parse::is(arg, "withscores") {
            args.with_scores = true;
            j += 1;
        } else if card && remaining >= 2 && parse::is(arg, "limit") {
            args.limit = parse::non_negative(argv[j + 1], "LIMIT can't be negative")? as usize;
            j += 2;
        } else {
            return Err(ZError::syntax());
        }
    }
    Ok(args)
}

fn read_form(ks: &Keyspace, argv: &[&[u8]], op: SetOp, name: &str) -> Result<Reply, ZError> {
    let args = parse_args(argv, 1, op, false, false, name)?;
    let items = ks.set_op(op, &args.keys, args.weights.as_deref(), args.how);
    let mut out = Vec::new();
    for item in items {
        out.push(Reply::Bulk(item.member));
        if args.with_scores {
            out.push(Reply::Double(item.score));
        }
    }
    Ok(Reply::Array(out))
}

fn store_form(ks: &Keyspace, argv: &[&[u8]], op: SetOp, name: &str) -> Result<Reply, ZError> {
    let args = parse_args(argv, 2, op, true, false, name)?;
    Ok(Reply::count(ks.set_op_store(argv[1], op, &args.keys, args.weights.as_deref(), args.how)))
}

pub(super) fn zunion(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    read_form(ks, argv, SetOp::Union, "zunion")
}

pub(super) fn zinter(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    read_form(ks, argv, SetOp::Inter, "zinter")
}

pub(super) fn zdiff(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    read_form(ks, argv, SetOp::Diff, "zdiff")
}

pub(super) fn zunionstore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    store_form(ks, argv, SetOp::Union, "zunionstore")
}

pub(super) fn zinterstore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    store_form(ks, argv, SetOp::Inter, "zinterstore")
}

pub(super) fn zdiffstore(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    store_form(ks, argv, SetOp::Diff, "zdiffstore")
}

pub(super) fn zintercard(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let args = parse_args(argv, 1, SetOp::Inter, false, true, "zintercard")?;
    Ok(Reply::count(ks.zintercard(&args.keys, args.limit)))
}
