//! Parses every XML feed file of a directory (`.xml`, `.atom`, `.rdf`: the formats feedparser
//! reads too) `ROUNDS` times the way the crawler does (decoding,
//! feed-rs, sanitizing, plain text, dedup keys) and prints the rate; `scripts/bench-parse.sh`
//! runs it next to feedparser on the same files.
//!
//! `cargo run --release -p crawler --example parse_bench -- DIR [ROUNDS]`

use std::time::Instant;

/// The allocator the `riffle` binary runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or_else(|| anyhow::anyhow!("usage: parse_bench DIR [ROUNDS]"))?;
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(3);
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("feed") && [".xml", ".atom", ".rdf"].iter().any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    let data: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let base = url::Url::parse("https://bench.example/feed")?;
    let mut entries = 0;
    let start = Instant::now();
    for _ in 0..rounds {
        for bytes in &data {
            let feed = crawler::bench::parse(bytes, &base)?;
            entries += feed;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let parsed = data.len() * rounds;
    println!(
        "riffle crawler: {parsed} feeds, {entries} entries in {elapsed:.3} s = {:.1} feeds/s",
        parsed as f64 / elapsed
    );
    Ok(())
}
