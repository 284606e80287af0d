//! Bulk indexing: synthetic posts (`search::synthetic`: Zipf-distributed English-like and
//! Chinese-like words, 8 to 40 of them) upserted into an index on disk in batches of 10,000
//! and committed, the way the consumer writes them; prints posts per second and the index's
//! size per post.
//!
//! `cargo run --release -p search --example index_bench -- [POSTS]`

use std::time::Instant;

use search::{index::PostIndex, synthetic::Corpus};

fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200_000);
    let mut corpus = Corpus::new(20_261_202);
    let posts: Vec<_> = (0..count as u64).map(|id| corpus.post(id)).collect();
    let dir = tempfile::tempdir()?;
    let (index, _) = PostIndex::open(dir.path())?;
    let start = Instant::now();
    for batch in posts.chunks(10_000) {
        index.upsert(batch)?;
    }
    index.commit()?;
    let elapsed = start.elapsed().as_secs_f64();
    let bytes: u64 =
        std::fs::read_dir(dir.path())?.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum();
    println!(
        "{count} posts indexed in {elapsed:.2} s = {:.0} posts/s; index {:.1} MB, {:.0} bytes per post",
        count as f64 / elapsed,
        bytes as f64 / 1e6,
        bytes as f64 / count as f64
    );
    Ok(())
}
