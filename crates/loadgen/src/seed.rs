//! Writes a generated network into the feed service before its server starts: the read model
//! through `feed::bulk`, the timelines through the production fan-out (`feed::home::fan_out`),
//! which is timed: that is the fan-out throughput reported.

use std::{collections::HashSet, time::Instant};

use feed::bulk;
use platform::Runtime;
use timeline::TimelineKey;

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

pub async fn seed(runtime: &Runtime, network: &Network, now_ms: i64) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let (feed, embedded) = feed::open(runtime).await?;
    let ids: Vec<String> = network.users.iter().map(ToString::to_string).collect();
    let authors: Vec<(String, String)> =
        ids.iter().enumerate().map(|(i, id)| (id.clone(), format!("user{i}"))).collect();
    bulk::authors(&feed, &authors).await?;

    let mut edges = Vec::with_capacity(EDGES_PER_BATCH);
    for (user, followees) in network.following.iter().enumerate() {
        for &followee in followees {
            edges.push((ids[user].clone(), ids[followee as usize].clone()));
            if edges.len() == EDGES_PER_BATCH {
                bulk::follows(&feed, &edges).await?;
                edges.clear();
            }
        }
    }
    bulk::follows(&feed, &edges).await?;
    bulk::recount_followers(&feed).await?;

    // Everyone read their home just now, but the returning users, who were last here 60 days ago.
    let returning: HashSet<u32> = network.returning.iter().copied().collect();
    let readers: Vec<(String, i64)> = (0..ids.len() as u32)
        .map(|u| (ids[u as usize].clone(), if returning.contains(&u) { now_ms - 60 * 86_400_000 } else { now_ms }))
        .collect();
    bulk::readers(&feed, &readers).await?;

    let config = &runtime.config.timelines;
    let (mut fanout_inserts, mut fanout_seconds) = (0u64, 0f64);
    let pulled = |author: u32| network.followers[author as usize].len() as u64 > config.fanout_threshold;
    for batch in network.posts.chunks(POSTS_PER_BATCH) {
        let posts: Vec<bulk::NewPost> = batch
            .iter()
            .map(|(id, author, tags)| bulk::NewPost {
                id: *id,
                author: ids[*author as usize].clone(),
                text: format!(
                    "post {} by user{author} {}",
                    id.get(),
                    tags.iter().map(|t| format!("#{t}")).collect::<String>()
                ),
                tags: tags.clone(),
            })
            .collect();
        bulk::posts(&feed, &posts).await?;
        for (id, author, tags) in batch {
            let author_id = &ids[*author as usize];
            let mut own = vec![TimelineKey::new(format!("user:{author_id}")), feed::home::posts_key(author_id)];
            own.extend(tags.iter().map(|t| TimelineKey::new(format!("tag:{t}"))));
            feed.timelines.push(&own, *id, config.cap).await?;
            feed.timelines.push(&[TimelineKey::new("public")], *id, config.public_cap).await?;
            // The same recipients as `home::recipients`: active followers of a pushed author.
            let mut recipients = vec![ids[*author as usize].clone()];
            if !pulled(*author) {
                recipients.extend(
                    network.followers[*author as usize]
                        .iter()
                        .filter(|f| !returning.contains(f))
                        .map(|&f| ids[f as usize].clone()),
                );
            }
            let timer = Instant::now();
            feed::home::fan_out(&feed, &recipients, *id).await?;
            fanout_seconds += timer.elapsed().as_secs_f64();
            fanout_inserts += recipients.len() as u64;
        }
    }
    if let Some((store, path)) = embedded {
        tokio::task::spawn_blocking(move || store.save(&path)).await??;
    }
    feed.db.close().await;
    let pulled_authors = (0..ids.len() as u32).filter(|&u| pulled(u)).count();
    Ok(Seeded { fanout_inserts, fanout_seconds, pulled_authors, seconds: started.elapsed().as_secs_f64() })
}
