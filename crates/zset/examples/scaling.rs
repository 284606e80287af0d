//! Multi-thread scaling of timeline pushes on distinct keys, reported both
//! per wall-clock second and per CPU-second of the worker threads.
//!
//! On a machine whose cores are busy with other work, wall-clock speedup
//! understates scaling. Throughput per CPU-second shows whether threads
//! slow each other down: with no shared lock, two threads should each get
//! about as much done per CPU-second as one thread alone.
//!
//! ```text
//! cargo run --release -p zset --example scaling
//! ```

use std::sync::Arc;
use std::time::Instant;

use zset::Keyspace;

const OPS_PER_THREAD: u64 = 20_000_000;
const CAP: usize = 800;

/// CPU time (user + system) of the calling thread, in seconds, from
/// `/proc/thread-self/stat` (clock ticks of 10 ms).
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("Linux /proc");
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn run(threads: u64) -> (f64, f64) {
    let ks = Arc::new(Keyspace::default());
    let start = Instant::now();
    let cpu: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let ks = Arc::clone(&ks);
                s.spawn(move || {
                    let before = thread_cpu_seconds();
                    for i in 0..OPS_PER_THREAD {
                        let key = [b'h', t as u8, (i % 64) as u8];
                        ks.timeline_push(&key, i as f64, i, CAP);
                    }
                    thread_cpu_seconds() - before
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = start.elapsed().as_secs_f64();
    let total_ops = (threads * OPS_PER_THREAD) as f64;
    let cpu_total: f64 = cpu.iter().sum();
    (total_ops / wall, total_ops / cpu_total)
}

fn main() {
    let (wall1, cpu1) = run(1);
    let (wall2, cpu2) = run(2);
    println!("| threads | M ops/s (wall) | M ops per CPU-second |");
    println!("|---:|---:|---:|");
    println!("| 1 | {:.2} | {:.2} |", wall1 / 1e6, cpu1 / 1e6);
    println!("| 2 | {:.2} | {:.2} |", wall2 / 1e6, cpu2 / 1e6);
    println!();
    println!("wall-clock speedup: {:.2}x", wall2 / wall1);
    println!("per-CPU-second efficiency of 2 threads vs 1: {:.2} (1.0 = no interference)", cpu2 / cpu1);
    println!("speedup if both threads had a free core: {:.2}x", 2.0 * cpu2 / cpu1);
}
