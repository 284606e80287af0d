//! Writes a generated network into the feed service before its server starts, through
//! `feed::bulk`: the read model in bulk, the timelines through the production fan-out, which is
//! timed: that is the fan-out throughput reported.

use std::{collections::HashSet, time::Instant};

use feed::{TimelinesConfig, bulk};
use platform::Runtime;

use crate::network::Network;

/// What seeding did and how fast.
pub struct Seeded {
    /// Home timeline inserts made by fan-out, and the time spent in it.
    pub fanout_inserts: u64,
    pub fanout_seconds: f64,
    /// Accounts above the push threshold (merged at read time).
    pub pulled_authors: usize,
    pub seconds: f64,
}

const EDGES_PER_BATCH: usize = 200_000;
const POSTS_PER_BATCH: usize = 50_000;

pub async fn seed(
    runtime: &Runtime,
    config: &TimelinesConfig,
    network: &Network,
    now_ms: i64,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let feed = bulk::Loader::open(runtime, config).await?;
    let ids = &network.users;
    let authors: Vec<(uuid::Uuid, String)> = ids.iter().enumerate().map(|(i, id)| (*id, format!("user{i}"))).collect();
    feed.authors(&authors).await?;

    let mut edges = Vec::with_capacity(EDGES_PER_BATCH);
    for (user, followees) in network.following.iter().enumerate() {
        for &followee in followees {
            edges.push((ids[user], ids[followee as usize]));
            if edges.len() == EDGES_PER_BATCH {
                feed.follows(&edges).await?;
                edges.clear();
            }
        }
    }
    feed.follows(&edges).await?;
    feed.recount_followers().await?;

    // Everyone read their home just now, but the returning users, who were last here 60 days ago.
    let returning: HashSet<u32> = network.returning.iter().copied().collect();
    let readers: Vec<(uuid::Uuid, i64)> = (0..ids.len() as u32)
        .map(|u| (ids[u as usize], if returning.contains(&u) { now_ms - 60 * 86_400_000 } else { now_ms }))
        .collect();
    feed.readers(&readers).await?;

    let (mut fanout_inserts, mut fanout_seconds) = (0u64, 0f64);
    let pulled = |author: u32| network.followers[author as usize].len() as u64 > config.fanout_threshold;
    for batch in network.posts.chunks(POSTS_PER_BATCH) {
        let posts: Vec<bulk::NewPost> = batch
            .iter()
            .map(|(id, author, tags)| bulk::NewPost {
                id: *id,
                author: ids[*author as usize],
                text: format!(
                    "post {} by user{author} {}",
                    id.get(),
                    tags.iter().map(|t| format!("#{t}")).collect::<String>()
                ),
                tags: tags.clone(),
            })
            .collect();
        feed.posts(&posts).await?;
        for (post, (id, author, _)) in posts.iter().zip(batch) {
            feed.push_own(post).await?;
            // The same recipients as the feed's fan-out: active followers of a pushed author.
            let mut recipients = vec![ids[*author as usize]];
            if !pulled(*author) {
                recipients.extend(
                    network.followers[*author as usize]
                        .iter()
                        .filter(|f| !returning.contains(f))
                        .map(|&f| ids[f as usize]),
                );
            }
            let timer = Instant::now();
            feed.fan_out(&recipients, *id).await?;
            fanout_seconds += timer.elapsed().as_secs_f64();
            fanout_inserts += recipients.len() as u64;
        }
    }
    feed.finish().await?;
    let pulled_authors = (0..ids.len() as u32).filter(|&u| pulled(u)).count();
    Ok(Seeded { fanout_inserts, fanout_seconds, pulled_authors, seconds: started.elapsed().as_secs_f64() })
}

/// Fills the search index in `data_dir` with `posts` synthetic public posts
/// (`search::synthetic`, seeded with `seed`) unless it holds that many already; returns the
/// posts written per second, or `None` when the index was reused.
pub fn search_index(data_dir: &std::path::Path, posts: u64, seed: u64) -> anyhow::Result<Option<f64>> {
    let (live, _) = search::index::LivePosts::open(&data_dir.join("search"))?;
    let index = live.served();
    if index.len() >= posts {
        return Ok(None);
    }
    let mut corpus = search::synthetic::Corpus::new(seed);
    let started = std::time::Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for id in 1..=posts {
        batch.push(corpus.post(id));
        if batch.len() == 10_000 {
            index.upsert(&batch)?;
            batch.clear();
        }
    }
    index.upsert(&batch)?;
    index.commit()?;
    Ok(Some(posts as f64 / started.elapsed().as_secs_f64()))
}

/// How many readers get notifications to page through.
pub const NOTIFIED_READERS: usize = 1000;
/// Groups each of them has: likes of this many posts, and follows.
const LIKED_POSTS: usize = 50;
/// The likes of the celebrity's one post: one group, counted exactly.
pub const BIG_GROUP: usize = 100_000;

/// Writes notifications through the service's own grouping: for each of the first
/// [`NOTIFIED_READERS`] readers, likes of [`LIKED_POSTS`] posts by 1 to 8 accounts each, spread
/// over two days, and a few follows; and [`BIG_GROUP`] likes of one post of the celebrity's.
/// How many notifications were recorded, and in how many seconds.
pub async fn notifications(
    runtime: &Runtime,
    config: &notifications::NotificationsConfig,
    network: &Network,
    readers: &[uuid::Uuid],
    now_ms: i64,
    seed: u64,
) -> anyhow::Result<(u64, f64)> {
    use notifications::bulk::{Loader, Reaction};
    let started = Instant::now();
    let loader = Loader::open(runtime, config).await?;
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut reactions = Vec::new();
    let someone = |rng: &mut fastrand::Rng| network.users[rng.usize(..network.users.len())];
    for (r, &recipient) in readers.iter().take(NOTIFIED_READERS).enumerate() {
        for p in 0..LIKED_POSTS {
            let post =
                contracts::PostId::new((now_ms as u64).saturating_sub(172_800_000), (r * LIKED_POSTS + p) as u32);
            let at_ms = now_ms - rng.i64(0..172_800_000);
            for _ in 0..rng.usize(1..=8) {
                reactions.push(Reaction { recipient, actor: someone(&mut rng), post: Some(post), at_ms });
            }
        }
        for _ in 0..10 {
            reactions.push(Reaction {
                recipient,
                actor: someone(&mut rng),
                post: None,
                at_ms: now_ms - rng.i64(0..172_800_000),
            });
        }
    }
    let celebrity = network.users[crate::network::CELEBRITY as usize];
    let big = contracts::PostId::new(now_ms as u64 - 3_600_000, u32::MAX);
    for n in 0..BIG_GROUP {
        let actor = uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n as u128);
        reactions.push(Reaction {
            recipient: celebrity,
            actor,
            post: Some(big),
            at_ms: now_ms - 3_600_000 + n as i64 / 100,
        });
    }
    let recorded = loader.record(&reactions).await?;
    Ok((recorded, started.elapsed().as_secs_f64()))
}
