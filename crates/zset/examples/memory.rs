//! Memory per entry: the engine (counted by an instrumented global
//! allocator) next to Redis's `MEMORY USAGE` for the same sets.
//!
//! Sets model home timelines: member = 64-bit post id (snowflake-style,
//! 19 decimal digits), score = time order (milliseconds). Sizes 10, 128,
//! 800, 10k and 1M members; small sizes use many keys so per-key overhead
//! is included in the engine's figure, as it is in Redis's.
//!
//! ```text
//! RIFFLE_TEST_REDIS_URL=redis://127.0.0.1:6379/9 \
//!   cargo run --release -p zset --example memory
//! ```
//! Without the URL only the engine side is measured.

use std::alloc::System;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use zset::{Keyspace, Order};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// (members per set, number of sets)
const SHAPES: &[(u64, u64)] = &[(10, 10_000), (128, 2_000), (800, 500), (10_000, 20), (1_000_000, 1)];

fn post(set: u64, i: u64) -> (f64, u64) {
    // 2026-ish millisecond timestamps, one post per ms per set.
    let ms = 1_764_000_000_000 + i * 3 + set;
    let id = (ms << 22) | (set & 0x3F_FFFF);
    (ms as f64, id)
}

fn engine_bytes_per_entry(members: u64, sets: u64) -> f64 {
    let ks = Keyspace::default();
    let region = Region::new(GLOBAL);
    for s in 0..sets {
        let key = format!("home:{s}");
        for i in 0..members {
            let (score, id) = post(s, i);
            ks.timeline_push(key.as_bytes(), score, id, usize::MAX);
        }
    }
    let stats = region.change();
    // stats_alloc already books realloc growth and shrinkage into these two.
    let live = stats.bytes_allocated as i64 - stats.bytes_deallocated as i64;
    // Sanity: the data is really there.
    assert_eq!(ks.zcard(b"home:0"), members as usize);
    assert_eq!(ks.range_ids_by_rank(b"home:0", 0, 0, Order::Desc)[0].1, post(0, members - 1).0);
    live as f64 / (members * sets) as f64
}

/// One set of `members` inserted in random order (the tree's worst case:
/// leaves split 50/50 and settle ~70% full).
fn engine_bytes_per_entry_random(members: u64) -> f64 {
    let ks = Keyspace::default();
    let mut order: Vec<u64> = (0..members).collect();
    fastrand::Rng::with_seed(9).shuffle(&mut order);
    let region = Region::new(GLOBAL);
    // Iterate by reference: freeing `order` inside the region would be
    // booked against the set.
    for &i in &order {
        let (score, id) = post(0, i);
        ks.zadd_ids(b"random", &[(score, id)]);
    }
    let stats = region.change();
    let live = stats.bytes_allocated as i64 - stats.bytes_deallocated as i64;
    assert_eq!(ks.zcard(b"random"), members as usize);
    live as f64 / members as f64
}

/// Steady state of capped timelines: 4× `cap` pushes, trimmed to `cap`.
fn engine_bytes_per_entry_capped(cap: u64, sets: u64) -> f64 {
    let ks = Keyspace::default();
    let region = Region::new(GLOBAL);
    for s in 0..sets {
        let key = format!("home:{s}");
        for i in 0..4 * cap {
            let (score, id) = post(s, i);
            ks.timeline_push(key.as_bytes(), score, id, cap as usize);
        }
    }
    let stats = region.change();
    let live = stats.bytes_allocated as i64 - stats.bytes_deallocated as i64;
    assert_eq!(ks.zcard(b"home:0"), cap as usize);
    live as f64 / (cap * sets) as f64
}

struct Resp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Resp {
    fn connect(url: &str) -> Resp {
        let rest = url.trim_start_matches("redis://");
        let (addr, db) = rest.split_once('/').unwrap_or((rest, "0"));
        let stream = TcpStream::connect(addr).expect("connect to Redis");
        let mut conn = Resp { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream };
        conn.send(&[b"SELECT", db.as_bytes()]);
        conn.read();
        conn
    }

    fn send(&mut self, argv: &[&[u8]]) {
        let mut out = format!("*{}\r\n", argv.len()).into_bytes();
        for a in argv {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).unwrap();
    }

    /// Reads one reply, returning it as text (integers/bulk) or "" (arrays).
    fn read(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        match line.as_bytes()[0] {
            b'$' => {
                let n: i64 = line[1..].parse().unwrap();
                if n < 0 {
                    return String::new();
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).unwrap();
                String::from_utf8_lossy(&buf[..n as usize]).into_owned()
            }
            b'*' => {
                let n: i64 = line[1..].parse().unwrap();
                for _ in 0..n.max(0) {
                    self.read();
                }
                String::new()
            }
            b'-' => panic!("Redis error: {line}"),
            _ => line[1..].to_string(),
        }
    }
}

/// Loads the same sets into Redis and returns (MEMORY USAGE per entry,
/// encoding of the first key).
fn redis_bytes_per_entry(url: &str, members: u64, sets: u64) -> (f64, String) {
    let mut r = Resp::connect(url);
    let sample = sets.min(50);
    let mut pending = 0;
    for s in 0..sets {
        let key = format!("zsetmem:{s}");
        let mut i = 0;
        while i < members {
            let end = (i + 500).min(members);
            let mut args: Vec<Vec<u8>> = vec![b"ZADD".to_vec(), key.clone().into_bytes()];
            for j in i..end {
                let (score, id) = post(s, j);
                args.push(format!("{}", score as u64).into_bytes());
                args.push(id.to_string().into_bytes());
            }
            let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            r.send(&argv);
            pending += 1;
            if pending == 64 {
                for _ in 0..pending {
                    r.read();
                }
                pending = 0;
            }
            i = end;
        }
    }
    for _ in 0..pending {
        r.read();
    }
    let mut total = 0.0;
    for s in 0..sample {
        let key = format!("zsetmem:{s}");
        r.send(&[b"MEMORY", b"USAGE", key.as_bytes(), b"SAMPLES", b"0"]);
        total += r.read().parse::<f64>().unwrap();
    }
    r.send(&[b"OBJECT", b"ENCODING", b"zsetmem:0"]);
    let encoding = r.read();
    for s in 0..sets {
        let key = format!("zsetmem:{s}");
        r.send(&[b"UNLINK", key.as_bytes()]);
        r.read();
    }
    (total / sample as f64 / members as f64, encoding)
}

fn main() {
    let url = std::env::var("RIFFLE_TEST_REDIS_URL").ok();
    println!("| members/set | sets | engine B/entry | Redis MEMORY USAGE B/entry | Redis encoding |");
    println!("|---:|---:|---:|---:|---|");
    for &(members, sets) in SHAPES {
        let engine = engine_bytes_per_entry(members, sets);
        let (redis, encoding) = match &url {
            Some(url) => {
                let (bytes, enc) = redis_bytes_per_entry(url, members, sets);
                (format!("{bytes:.1}"), enc)
            }
            None => ("(no Redis)".into(), String::new()),
        };
        println!("| {members} | {sets} | {engine:.1} | {redis} | {encoding} |");
    }
    let capped = engine_bytes_per_entry_capped(800, 500);
    println!("| 800 capped (4× churn) | 500 | {capped:.1} | – | – |");
    let random = engine_bytes_per_entry_random(1_000_000);
    println!("| 1000000 random order | 1 | {random:.1} | – | – |");
}
