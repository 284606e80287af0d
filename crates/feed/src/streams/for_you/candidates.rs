//! Where "for you" candidates come from (see `domain::score` for the list), and which of them
//! the reader may be shown; a repost stands for its original and endorses it.

use std::collections::HashMap;

use contracts::PostId;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{
        FeedError,
        score::{Candidate, HOME_CANDIDATES, PUBLIC_CANDIDATES, Reader, TAG_CANDIDATES},
        timelines::Timeline,
    },
    store::{for_you, posts},
};

/// What the ranking knows of the reader, and the candidates they may be shown.
pub async fn gather(feed: &Feed, user: Uuid, now: i64) -> Result<(Reader, Vec<Candidate>), FeedError> {
    let reader = for_you::reader(&feed.store, user, now).await?;
    let mut sources: HashMap<u64, Vec<String>> = HashMap::new();
    let mut add = |ids: Vec<PostId>, source: &str| {
        for id in ids {
            sources.entry(id.get()).or_default().push(source.to_owned());
        }
    };
    add(crate::streams::home::ids(feed, user, None, HOME_CANDIDATES).await?, "home");
    for tag in reader.top_tags() {
        let ids = feed.timelines.page(&Timeline::Tag(tag.clone()).key(), None, TAG_CANDIDATES).await?;
        add(ids, &format!("tag:{tag}"));
    }
    add(for_you::liked_by_follows(&feed.store, user, now).await?, "liked_by_follows");
    add(feed.timelines.page(&Timeline::Public.key(), None, PUBLIC_CANDIDATES).await?, "public");
    let candidates = admitted(feed, &reader, sources).await?;
    Ok((reader, candidates))
}

/// Loads the candidates the reader may be shown, a repost standing for its original.
async fn admitted(
    feed: &Feed,
    reader: &Reader,
    mut sources: HashMap<u64, Vec<String>>,
) -> Result<Vec<Candidate>, FeedError> {
    let mut loaded = load(feed, sources.keys().copied().collect()).await?;
    // Reposts by follows stand for their originals and endorse them.
    let mut reposts: HashMap<u64, u64> = HashMap::new();
    let mut originals = Vec::new();
    loaded.retain(|c| match c.post.repost_of_id {
        Some(original) => {
            let original = original.get();
            if reader.graph.follows.contains(&c.post.author_id) {
                *reposts.entry(original).or_default() += 1;
            }
            let from = sources.remove(&c.post.id.get()).unwrap_or_default();
            sources.entry(original).or_default().extend(from);
            originals.push(original);
            false
        }
        None => true,
    });
    originals.retain(|id| !loaded.iter().any(|c| c.post.id.get() == *id));
    originals.sort_unstable();
    originals.dedup();
    loaded.extend(load(feed, originals).await?.into_iter().filter(|c| c.post.repost_of_id.is_none()));
    loaded.retain(|c| reader.admits(&c.post.facts()));
    if loaded.is_empty() {
        return Ok(loaded);
    }
    // How many of the reader's follows liked each candidate.
    let ids: Vec<u64> = loaded.iter().map(|c| c.post.id.get()).collect();
    let likes = for_you::likes_by_follows(&feed.store, reader.graph.id, &ids).await?;
    for candidate in &mut loaded {
        let id = candidate.post.id.get();
        candidate.liked_by_follows = likes.get(&id).copied().unwrap_or(0);
        candidate.reposted_by_follows = reposts.get(&id).copied().unwrap_or(0);
        candidate.sources = sources.remove(&id).unwrap_or_default();
        candidate.sources.sort_unstable();
        candidate.sources.dedup();
    }
    Ok(loaded)
}

/// The posts with these ids that are not removed, with their counts.
async fn load(feed: &Feed, ids: Vec<u64>) -> Result<Vec<Candidate>, FeedError> {
    let loaded = posts::with_counts(&feed.store, &ids).await?;
    Ok(loaded
        .into_iter()
        .map(|(post, [likes, reposts, replies])| Candidate {
            post,
            likes,
            reposts,
            replies,
            liked_by_follows: 0,
            reposted_by_follows: 0,
            sources: Vec::new(),
        })
        .collect())
}
