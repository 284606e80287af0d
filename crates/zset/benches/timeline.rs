//! Criterion benchmarks for the timeline workload, with baselines measured
//! in the same run:
//!
//! * `btree`: `BTreeMap<(score, member), ()>` + `HashMap<member, score>`;
//! * `skipmap`: crossbeam `SkipMap<(score, member), ()>` + the same
//!   `HashMap` (a skip map alone cannot find a member's score).
//!
//! Groups: (a) `push_trim_800`, (b) `newest_20_of_800`, (c)
//! `random_zadd_1m`, (d) `two_threads`, plus `packed_vs_tree`, the
//! experiment that sets `DEFAULT_PACKED_MAX`. Throughput is reported in
//! elements (= operations) per second.

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_skiplist::SkipMap;
use zset::score::ScoreKey;
use zset::{Config, Keyspace, Order};

const CAP: usize = 800;

/// Baseline 1: std ordered map + hash index.
#[derive(Default)]
struct BTreeZSet {
    order: BTreeMap<(ScoreKey, u64), ()>,
    scores: HashMap<u64, ScoreKey>,
}

impl BTreeZSet {
    fn upsert(&mut self, score: f64, id: u64) {
        let key = ScoreKey::from_f64(score);
        if let Some(old) = self.scores.insert(id, key) {
            self.order.remove(&(old, id));
        }
        self.order.insert((key, id), ());
    }

    fn trim(&mut self, cap: usize) {
        while self.order.len() > cap {
            let ((_, id), ()) = self.order.pop_first().expect("non-empty");
            self.scores.remove(&id);
        }
    }

    fn newest(&self, n: usize) -> Vec<(u64, f64)> {
        self.order.keys().rev().take(n).map(|(s, id)| (*id, s.to_f64())).collect()
    }
}

/// Baseline 2: crossbeam's lock-free skip map + hash index.
#[derive(Default)]
struct SkipZSet {
    order: SkipMap<(ScoreKey, u64), ()>,
    scores: HashMap<u64, ScoreKey>,
}

impl SkipZSet {
    fn upsert(&mut self, score: f64, id: u64) {
        let key = ScoreKey::from_f64(score);
        if let Some(old) = self.scores.insert(id, key) {
            self.order.remove(&(old, id));
        }
        self.order.insert((key, id), ());
    }

    fn trim(&mut self, cap: usize) {
        while self.order.len() > cap {
            let entry = self.order.pop_front().expect("non-empty");
            self.scores.remove(&entry.key().1);
        }
    }

    fn newest(&self, n: usize) -> Vec<(u64, f64)> {
        self.order.iter().rev().take(n).map(|e| (e.key().1, e.key().0.to_f64())).collect()
    }
}

fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500)).sample_size(20);
}

/// (a) Add the newest entry and trim to 800.
fn push_trim(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_trim_800");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let ks = Keyspace::default();
    let mut next = 0u64;
    for _ in 0..CAP {
        next += 1;
        ks.timeline_push(b"home:1", next as f64, next, CAP);
    }
    group.bench_function("engine", |b| {
        b.iter(|| {
            next += 1;
            black_box(ks.timeline_push(b"home:1", next as f64, next, CAP))
        })
    });
    let ks = Keyspace::default();
    let mut next = 0u64;
    group.bench_function("engine_execute", |b| {
        b.iter(|| {
            next += 1;
            let id = next.to_string();
            black_box(ks.execute(&[b"ZADD", b"home:1", id.as_bytes(), id.as_bytes()]));
            black_box(ks.execute(&[b"ZREMRANGEBYRANK", b"home:1", b"0", b"-801"]))
        })
    });
    let mut bt = BTreeZSet::default();
    let mut next = 0u64;
    group.bench_function("btree", |b| {
        b.iter(|| {
            next += 1;
            bt.upsert(next as f64, next);
            bt.trim(CAP);
        })
    });
    let mut sk = SkipZSet::default();
    let mut next = 0u64;
    group.bench_function("skipmap", |b| {
        b.iter(|| {
            next += 1;
            sk.upsert(next as f64, next);
            sk.trim(CAP);
        })
    });
    group.finish();
}

/// (b) ZREVRANGE 0 19 on an 800-member set.
fn newest_20(c: &mut Criterion) {
    let mut group = c.benchmark_group("newest_20_of_800");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let ks = Keyspace::default();
    let mut bt = BTreeZSet::default();
    let mut sk = SkipZSet::default();
    let base = 7_400_000_000_000_000_000u64;
    for i in 0..CAP as u64 {
        let (score, id) = (1_700_000_000_000.0 + i as f64, base + (i << 22));
        ks.timeline_push(b"home:1", score, id, CAP);
        bt.upsert(score, id);
        sk.upsert(score, id);
    }
    group.bench_function("engine_ids", |b| b.iter(|| black_box(ks.range_ids_by_rank(b"home:1", 0, 19, Order::Desc))));
    group.bench_function("engine_bytes", |b| b.iter(|| black_box(ks.range_by_rank(b"home:1", 0, 19, Order::Desc))));
    group.bench_function("engine_execute", |b| {
        b.iter(|| black_box(ks.execute(&[b"ZREVRANGE", b"home:1", b"0", b"19", b"WITHSCORES"])))
    });
    group.bench_function("btree", |b| b.iter(|| black_box(bt.newest(20))));
    group.bench_function("skipmap", |b| b.iter(|| black_box(sk.newest(20))));
    group.finish();
}

/// (c) Random ZADD (new members and updates) into a 1M-member set.
fn random_zadd(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let mut group = c.benchmark_group("random_zadd_1m");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    let mut rng = fastrand::Rng::with_seed(1);
    let ks = Keyspace::default();
    let mut bt = BTreeZSet::default();
    let mut sk = SkipZSet::default();
    for _ in 0..N {
        let (score, id) = (rng.u32(..) as f64, rng.u64(..2 * N));
        ks.zadd_ids(b"big", &[(score, id)]);
        bt.upsert(score, id);
        sk.upsert(score, id);
    }
    group.bench_function("engine", |b| {
        b.iter(|| black_box(ks.zadd_ids(b"big", &[(rng.u32(..) as f64, rng.u64(..2 * N))])))
    });
    group.bench_function("btree", |b| b.iter(|| bt.upsert(rng.u32(..) as f64, rng.u64(..2 * N))));
    group.bench_function("skipmap", |b| b.iter(|| sk.upsert(rng.u32(..) as f64, rng.u64(..2 * N))));
    group.finish();
}

/// (d) Timeline pushes from one thread vs two threads on distinct keys.
fn two_threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("two_threads");
    configure(&mut group);
    for threads in [1u64, 2] {
        group.throughput(Throughput::Elements(threads));
        group.bench_with_input(BenchmarkId::new("push_trim_800", threads), &threads, |b, &threads| {
            let ks = Arc::new(Keyspace::default());
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for t in 0..threads {
                        let ks = Arc::clone(&ks);
                        s.spawn(move || {
                            // 64 timelines per thread, disjoint between threads.
                            for i in 0..iters {
                                let key = [b'h', t as u8, (i % 64) as u8];
                                ks.timeline_push(&key, i as f64, i, CAP);
                            }
                        });
                    }
                });
                start.elapsed()
            })
        });
    }
    group.finish();
}

/// The tier experiment: update a random existing member's score (lookup +
/// move) and look a member up, in packed vs tree form, by set size.
fn packed_vs_tree(c: &mut Criterion) {
    let mut group = c.benchmark_group("packed_vs_tree");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    for n in [64u64, 128, 256, 512, 1024] {
        for (tier, packed_max) in [("packed", usize::MAX), ("tree", 0)] {
            let ks = Keyspace::new(Config { packed_max_entries: packed_max, ..Config::default() });
            for i in 0..n {
                ks.zadd_ids(b"k", &[(i as f64, i * 7919)]);
            }
            let mut rng = fastrand::Rng::with_seed(n);
            group.bench_function(BenchmarkId::new(format!("update_{tier}"), n), |b| {
                b.iter(|| black_box(ks.zadd_ids(b"k", &[(rng.u32(..) as f64, rng.u64(..n) * 7919)])))
            });
            group.bench_function(BenchmarkId::new(format!("zscore_{tier}"), n), |b| {
                b.iter(|| black_box(ks.zscore_id(b"k", rng.u64(..n) * 7919)))
            });
            let mut next = n;
            group.bench_function(BenchmarkId::new(format!("push_trim_{tier}"), n), |b| {
                b.iter(|| {
                    next += 1;
                    // Above every u32 score the update step wrote: a true append.
                    black_box(ks.timeline_push(b"k", ((1u64 << 33) + next) as f64, next * 7919, n as usize))
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, push_trim, newest_20, random_zadd, two_threads, packed_vs_tree);
criterion_main!(benches);
