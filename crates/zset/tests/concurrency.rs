//! Concurrency stress: several threads hammer shared and private keys;
//! afterwards the state must be exactly what a serial execution of the
//! same per-key operations gives.
//!
//! Shared keys receive only commutative updates (ZINCRBY by integers, and
//! ZADD NX of distinct members), so their final state is determined even
//! though the interleaving is not; any lost update, torn write or deadlock
//! breaks the checks. Readers run concurrently and check invariants that
//! hold at every linearization point.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use zset::{Config, Keyspace, Order, Reply};

const WRITERS: usize = 4;
const OPS: u64 = 4000;

#[test]
fn hammering_keeps_every_update() {
    let ks = Arc::new(Keyspace::new(Config { shards: 8, packed_max_entries: 32 }));
    let stop = Arc::new(AtomicBool::new(false));

    let readers: Vec<_> = (0..2)
        .map(|_| {
            let ks = Arc::clone(&ks);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut reads = 0u64;
                // At least one pass even if the writers finish first.
                loop {
                    // Ranges are always sorted and ZCARD-consistent snapshots.
                    let items = ks.range_by_rank(b"shared:members", 0, -1, Order::Asc);
                    assert!(items.windows(2).all(|w| (w[0].score, &w[0].member) < (w[1].score, &w[1].member)));
                    let capped = ks.range_ids_by_rank(b"shared:timeline", 0, -1, Order::Desc);
                    assert!(capped.len() <= 100, "cap violated: {}", capped.len());
                    assert!(capped.windows(2).all(|w| w[0].1 >= w[1].1));
                    reads += 1;
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                reads
            })
        })
        .collect();

    let writers: Vec<_> = (0..WRITERS as u64)
        .map(|t| {
            let ks = Arc::clone(&ks);
            thread::spawn(move || {
                let own = format!("own:{t}");
                for i in 0..OPS {
                    // Overlapping keys.
                    ks.zincrby(b"shared:counter", 1.0, format!("m{}", i % 10).as_bytes()).unwrap();
                    ks.zadd_ids(b"shared:members", &[((i % 50) as f64, t * OPS + i)]);
                    ks.timeline_push(b"shared:timeline", (i * WRITERS as u64 + t) as f64, t * OPS + i, 100);
                    // Multi-key command across shards, racing with writers.
                    if i % 50 == 0 {
                        ks.execute(&[
                            b"ZUNIONSTORE",
                            format!("union:{t}").as_bytes(),
                            b"2",
                            b"shared:counter",
                            own.as_bytes(),
                        ]);
                    }
                    // Distinct keys: a private, fully deterministic history.
                    ks.zadd_ids(own.as_bytes(), &[(i as f64, i)]);
                    if i % 3 == 0 {
                        ks.zrem(own.as_bytes(), &[(i / 2).to_string().as_bytes()]);
                    }
                }
            })
        })
        .collect();

    for w in writers {
        w.join().expect("writer panicked");
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().expect("reader panicked") > 0);
    }

    // Every increment landed: 4 threads × 4000 increments over 10 members.
    for m in 0..10 {
        let expected = (WRITERS as u64 * OPS / 10) as f64;
        assert_eq!(ks.zscore(b"shared:counter", format!("m{m}").as_bytes()), Some(expected));
    }
    assert_eq!(ks.zcard(b"shared:members"), WRITERS * OPS as usize);
    // The timeline holds exactly the 100 highest scores ever pushed.
    let top = ks.range_ids_by_rank(b"shared:timeline", 0, -1, Order::Desc);
    let total = WRITERS as u64 * OPS;
    let expected: Vec<f64> = (total - 100..total).rev().map(|s| s as f64).collect();
    assert_eq!(top.iter().map(|(_, s)| *s).collect::<Vec<_>>(), expected);
    // Private keys match a serial replay.
    for t in 0..WRITERS {
        let serial = Keyspace::default();
        for i in 0..OPS {
            serial.zadd_ids(b"k", &[(i as f64, i)]);
            if i % 3 == 0 {
                serial.zrem(b"k", &[(i / 2).to_string().as_bytes()]);
            }
        }
        let own = format!("own:{t}");
        assert_eq!(ks.range_by_rank(own.as_bytes(), 0, -1, Order::Asc), serial.range_by_rank(b"k", 0, -1, Order::Asc));
    }
    assert!(matches!(ks.execute(&[b"ZCARD", b"union:0"]), Reply::Integer(n) if n > 0));
}
