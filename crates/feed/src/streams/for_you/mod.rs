//! The "for you" stream: each reader's candidates ranked by the score (`domain::score`), served
//! from a snapshot so that paging never repeats a post however the scores move meanwhile.
//!
//! * `candidates`: where posts come from, and what the reader may be shown of them.
//! * `snapshot`: a ranking as computed for its first page, and the cursors into it.

mod candidates;
pub mod snapshot;

use contracts::PostId;
use uuid::Uuid;

use crate::{
    Feed,
    domain::{
        FeedError, home,
        score::{Ranked, SNAPSHOT_SIZE, diversify, score},
    },
    store::graph,
    view::RankedPost,
};

pub use snapshot::Snapshot;

/// Ranks the reader's candidates: at most [`SNAPSHOT_SIZE`] posts, best first.
pub async fn rank(feed: &Feed, user: Uuid) -> Result<Vec<Ranked>, FeedError> {
    let now = platform::db::now_ms();
    let (reader, candidates) = candidates::gather(feed, user, now).await?;
    let scored = candidates
        .iter()
        .map(|c| Ranked { id: c.post.id.get(), author_id: c.post.author_id, explain: score(&reader, c, now) })
        .collect();
    let mut ranked = diversify(scored);
    ranked.truncate(SNAPSHOT_SIZE);
    Ok(ranked)
}

/// Up to `limit` posts of `snapshot` from `offset` on, skipping posts removed since it was made
/// and, checked again for every page, posts the reader may no longer be shown (a block, a mute
/// or an unfollow since the ranking).
pub async fn page(
    feed: &Feed,
    user: Uuid,
    snapshot: &Snapshot,
    offset: usize,
    limit: usize,
    explain: bool,
) -> Result<Vec<RankedPost>, FeedError> {
    let reader = graph::reader(&feed.store, user).await?;
    let mut out = Vec::with_capacity(limit);
    let mut next = offset;
    while out.len() < limit && next < snapshot.items.len() {
        let end = (next + limit - out.len()).min(snapshot.items.len());
        let slice = &snapshot.items[next..end];
        let ids: Vec<PostId> = slice.iter().filter_map(|r| PostId::from_u64(r.id).ok()).collect();
        let mut posts: std::collections::HashMap<String, _> =
            super::hydrate(feed, &ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
        for (i, ranked) in slice.iter().enumerate() {
            if let Some(post) = posts.remove(&ranked.id.to_string())
                && home::suggests(&reader, &post.facts)
            {
                out.push(RankedPost { post, explain: explain.then(|| ranked.explain.clone()), position: next + i });
            }
        }
        next = end;
    }
    Ok(out)
}
