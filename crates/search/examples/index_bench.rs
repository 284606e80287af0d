//! Bulk indexing: synthetic posts (English, Chinese and mixed, 40 to 200 characters) upserted
//! into an index on disk in batches of 10,000 and committed, the way the consumer writes them;
//! prints posts per second and the index's size per post.
//!
//! `cargo run --release -p search --example index_bench -- [POSTS]`

use std::time::Instant;

use search::index::{PostDoc, PostIndex};

const ENGLISH: &[&str] = &[
    "feed",
    "stream",
    "running",
    "crawler",
    "rust",
    "search",
    "sorted",
    "set",
    "timeline",
    "follow",
    "waterfall",
    "ranking",
    "notes",
    "morning",
    "release",
    "engine",
    "benchmark",
    "people",
    "tags",
    "news",
];
const CHINESE: &[&str] = &[
    "北京大学",
    "热力学",
    "订阅",
    "内容",
    "搜索引擎",
    "时间线",
    "关注",
    "推荐",
    "通知",
    "网站",
    "新闻",
    "博客",
    "技术",
    "开源",
    "社区",
    "今天",
    "天气",
    "很好",
    "我们",
    "学习",
];

fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(200_000);
    let mut rng = fastrand::Rng::with_seed(20_261_202);
    let posts: Vec<PostDoc> = (0..count as u64)
        .map(|id| {
            let words = rng.usize(8..30);
            let mut text = String::new();
            for _ in 0..words {
                let pick =
                    if rng.bool() { ENGLISH[rng.usize(..ENGLISH.len())] } else { CHINESE[rng.usize(..CHINESE.len())] };
                text.push_str(pick);
                text.push(' ');
            }
            PostDoc {
                id,
                author_id: format!("user{}", rng.u32(..10_000)),
                text,
                tags: vec![format!("topic{}", rng.u8(..50))],
                language: Some(if rng.bool() { "en" } else { "zh" }.into()),
                visibility: "public".into(),
                has_media: rng.u8(..10) == 0,
                created_at_ms: 1_767_225_600_000 + id as i64 * 1000,
            }
        })
        .collect();
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
