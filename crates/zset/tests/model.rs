//! Property tests of the typed API against a simple model:
//! `BTreeSet<(ScoreKey, member bytes)>` + `HashMap<member, score>`.
//!
//! Packed limits from 0 to 1024 make the same operation sequence run on
//! packed sets, trees, and sets that convert mid-sequence; the member pool
//! mixes canonical integers (of differing digit counts) with byte strings
//! so the integer → bytes conversion happens too.

use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use zset::score::ScoreKey;
use zset::{Config, Keyspace, Limit, Order, ScoreRange, ScoredMember};

#[derive(Default, Debug)]
struct Model {
    order: BTreeSet<(ScoreKey, Vec<u8>)>,
    scores: HashMap<Vec<u8>, f64>,
}

impl Model {
    fn upsert(&mut self, member: &[u8], score: f64) -> bool {
        let score = if score == 0.0 { 0.0 } else { score };
        let old = self.scores.insert(member.to_vec(), score);
        if let Some(old) = old {
            self.order.remove(&(ScoreKey::from_f64(old), member.to_vec()));
        }
        self.order.insert((ScoreKey::from_f64(score), member.to_vec()));
        old.is_none()
    }

    fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(old) => self.order.remove(&(ScoreKey::from_f64(old), member.to_vec())),
            None => false,
        }
    }

    fn sorted(&self) -> Vec<ScoredMember> {
        self.order.iter().map(|(k, m)| ScoredMember { member: m.clone(), score: k.to_f64() }).collect()
    }
}

#[derive(Clone, Debug)]
enum Op {
    Add(Vec<u8>, f64),
    Remove(Vec<u8>),
    PopMin(usize),
    PopMax(usize),
    RemoveRanks(i64, i64),
    TimelinePush(u64, f64, usize),
    CheckRank(Vec<u8>),
    CheckRange(i64, i64, bool),
    CheckScoreRange(f64, f64, bool, bool, bool, Option<(i64, i64)>),
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => (0u64..300).prop_map(|n| n.to_string().into_bytes()),
        1 => prop_oneof![Just(u64::MAX), 1_000_000_000_000u64..1_000_000_000_100].prop_map(|n| n.to_string().into_bytes()),
        1 => prop::sample::select(vec!["a", "b", "ab", "", "007", "-3", "zz"]).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => (-20i32..20).prop_map(f64::from),
        1 => prop::sample::select(vec![f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.5, 9007199254740993.0, 1.8e18]),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (member(), score()).prop_map(|(m, s)| Op::Add(m, s)),
        3 => member().prop_map(Op::Remove),
        1 => (0usize..5).prop_map(Op::PopMin),
        1 => (0usize..5).prop_map(Op::PopMax),
        1 => (-30i64..30, -30i64..30).prop_map(|(a, b)| Op::RemoveRanks(a, b)),
        3 => (0u64..500, -5i32..40, 1usize..60).prop_map(|(id, s, cap)| Op::TimelinePush(id, f64::from(s), cap)),
        2 => member().prop_map(Op::CheckRank),
        2 => (-40i64..40, -40i64..40, any::<bool>()).prop_map(|(a, b, r)| Op::CheckRange(a, b, r)),
        2 => (score(), score(), any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of((-2i64..10, -2i64..10)))
            .prop_map(|(a, b, x, y, r, l)| Op::CheckScoreRange(a, b, x, y, r, l)),
    ]
}

/// Redis rank arithmetic, written independently of the engine's.
fn model_rank_range(start: i64, stop: i64, len: usize) -> std::ops::Range<usize> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop.min(len - 1) };
    if start > stop || start >= len { 0..0 } else { start as usize..stop as usize + 1 }
}

fn apply(ks: &Keyspace, model: &mut Model, op: &Op) {
    let key = b"k";
    match op {
        Op::Add(m, s) => {
            let added = ks.zadd(key, Default::default(), &[(*s, m)]).unwrap();
            assert_eq!(added, zset::ZAddResult::Count(usize::from(model.upsert(m, *s))));
        }
        Op::Remove(m) => assert_eq!(ks.zrem(key, &[m]), usize::from(model.remove(m))),
        Op::PopMin(n) | Op::PopMax(n) => {
            let desc = matches!(op, Op::PopMax(_));
            let mut expected = model.sorted();
            if desc {
                expected.reverse();
            }
            expected.truncate(*n);
            for e in &expected {
                model.remove(&e.member);
            }
            assert_eq!(ks.pop(key, *n, if desc { Order::Desc } else { Order::Asc }), expected);
        }
        Op::RemoveRanks(a, b) => {
            let sorted = model.sorted();
            let range = model_rank_range(*a, *b, sorted.len());
            for e in &sorted[range.clone()] {
                model.remove(&e.member);
            }
            assert_eq!(ks.remove_range_by(key, &zset::RangeSpec::Rank { start: *a, stop: *b }), range.len());
        }
        Op::TimelinePush(id, s, cap) => {
            let added = model.upsert(id.to_string().as_bytes(), *s);
            let sorted = model.sorted();
            if sorted.len() > *cap {
                for e in &sorted[..sorted.len() - cap] {
                    model.remove(&e.member);
                }
            }
            assert_eq!(ks.timeline_push(key, *s, *id, *cap), added);
        }
        Op::CheckRank(m) => {
            let expected = model.scores.get(m).map(|s| {
                let rank = model.order.range(..(ScoreKey::from_f64(*s), m.clone())).count();
                (rank, *s)
            });
            assert_eq!(ks.zrank(key, m, Order::Asc), expected);
            assert_eq!(ks.zscore(key, m), model.scores.get(m).copied());
        }
        Op::CheckRange(a, b, rev) => {
            let mut sorted = model.sorted();
            if *rev {
                sorted.reverse();
            }
            let range = model_rank_range(*a, *b, sorted.len());
            let order = if *rev { Order::Desc } else { Order::Asc };
            assert_eq!(ks.range_by_rank(key, *a, *b, order), sorted[range].to_vec());
        }
        Op::CheckScoreRange(min, max, min_ex, max_ex, rev, limit) => {
            let range = ScoreRange { min: *min, max: *max, min_exclusive: *min_ex, max_exclusive: *max_ex };
            let mut expected: Vec<_> = model.sorted().into_iter().filter(|e| range.contains(e.score)).collect();
            if *rev {
                expected.reverse();
            }
            if let Some((offset, count)) = limit {
                expected = if *offset < 0 {
                    Vec::new()
                } else {
                    let rest = expected.into_iter().skip(*offset as usize);
                    if *count < 0 { rest.collect() } else { rest.take(*count as usize).collect() }
                };
            }
            let order = if *rev { Order::Desc } else { Order::Asc };
            let limit = limit.map(|(offset, count)| Limit { offset, count });
            assert_eq!(ks.range_by_score(key, &range, order, limit), expected);
            assert_eq!(ks.zcount(key, &range), model.sorted().iter().filter(|e| range.contains(e.score)).count());
        }
    }
    assert_eq!(ks.zcard(key), model.scores.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn typed_api_matches_model(
        packed in prop::sample::select(vec![0usize, 1, 4, 16, 1024]),
        ops in prop::collection::vec(op(), 1..400),
    ) {
        let ks = Keyspace::new(Config { packed_max_entries: packed, ..Config::default() });
        let mut model = Model::default();
        for op in &ops {
            apply(&ks, &mut model, op);
        }
        let full = ks.range_by_rank(b"k", 0, -1, Order::Asc);
        prop_assert_eq!(full, model.sorted());
    }

    #[test]
    fn growing_sets_cross_every_tier(ids in prop::collection::vec(0u64..5000, 0..3000), packed in 0usize..200) {
        let ks = Keyspace::new(Config { packed_max_entries: packed, ..Config::default() });
        let mut model = Model::default();
        for (i, id) in ids.iter().enumerate() {
            let score = (i % 97) as f64;
            ks.zadd_ids(b"k", &[(score, *id)]);
            model.upsert(id.to_string().as_bytes(), score);
        }
        prop_assert_eq!(ks.range_by_rank(b"k", 0, -1, Order::Asc), model.sorted());
        for (rank, e) in model.sorted().iter().enumerate().step_by(37) {
            prop_assert_eq!(ks.zrank(b"k", &e.member, Order::Asc), Some((rank, e.score)));
        }
    }
}
