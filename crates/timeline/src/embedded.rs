//! Timelines in Riffle's own sorted-set engine, in process: the embedded default.
//!
//! Same data model as the Redis store (score = the post's millisecond, member = the post id),
//! through the engine's integer fast paths, so no member is ever formatted as text. The
//! keyspace can be snapshotted to a file and loaded at start; a lost or damaged snapshot only
//! costs a rebuild from durable data, which the feed service does on demand.

use std::{path::Path, sync::Arc};

use async_trait::async_trait;
use zset::{Keyspace, Limit, Order, ScoreRange, parse_canonical_u64};

use crate::{PostId, TimelineError, TimelineKey, TimelineStore};

/// An in-process [`TimelineStore`].
#[derive(Clone, Default)]
pub struct EmbeddedTimelines {
    keyspace: Arc<Keyspace>,
}

impl EmbeddedTimelines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads the snapshot at `path`. A missing file starts empty; a damaged or foreign one is
    /// reported in the error and the caller starts empty rather than serve wrong data.
    pub fn load(path: &Path) -> Result<Self, (Self, zset::SnapshotError)> {
        if !path.exists() {
            return Ok(Self::new());
        }
        match Keyspace::load(path, zset::Config::default()) {
            Ok(keyspace) => Ok(Self { keyspace: Arc::new(keyspace) }),
            Err(err) => Err((Self::new(), err)),
        }
    }

    /// Writes the snapshot atomically (temporary file, fsync, rename).
    pub fn save(&self, path: &Path) -> Result<(), zset::SnapshotError> {
        self.keyspace.save(path)
    }

    fn key(timeline: &TimelineKey) -> &[u8] {
        timeline.as_str().as_bytes()
    }

    fn ids(pairs: Vec<(u64, f64)>) -> Result<Vec<PostId>, TimelineError> {
        pairs
            .into_iter()
            .map(|(id, _)| PostId::from_u64(id).map_err(|e| TimelineError::Corrupt(e.to_string())))
            .collect()
    }
}

#[async_trait]
impl TimelineStore for EmbeddedTimelines {
    async fn push(&self, timelines: &[TimelineKey], post: PostId, cap: usize) -> Result<(), TimelineError> {
        for timeline in timelines {
            self.keyspace.timeline_push(Self::key(timeline), post.score(), post.get(), cap);
        }
        Ok(())
    }

    async fn merge(&self, timeline: &TimelineKey, posts: &[PostId], cap: usize) -> Result<(), TimelineError> {
        if posts.is_empty() {
            return Ok(());
        }
        let pairs: Vec<(f64, u64)> = posts.iter().map(|p| (p.score(), p.get())).collect();
        let key = Self::key(timeline);
        self.keyspace.zadd_ids(key, &pairs);
        let len = self.keyspace.zcard(key);
        if len > cap {
            self.keyspace.remove_range_by(key, &zset::RangeSpec::Rank { start: 0, stop: (len - cap) as i64 - 1 });
        }
        Ok(())
    }

    async fn page(
        &self,
        timeline: &TimelineKey,
        before: Option<PostId>,
        limit: usize,
    ) -> Result<Vec<PostId>, TimelineError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = Self::key(timeline);
        let Some(before) = before else {
            return Self::ids(self.keyspace.range_ids_by_rank(key, 0, limit as i64 - 1, Order::Desc));
        };
        // The cursor is usually still in the set: continue right after its rank.
        if let Some((rank, _)) = self.keyspace.zrank(key, before.to_string().as_bytes(), Order::Desc) {
            let start = rank as i64 + 1;
            return Self::ids(self.keyspace.range_ids_by_rank(key, start, start + limit as i64 - 1, Order::Desc));
        }
        // It was removed: continue from its score.
        let range =
            ScoreRange { min: f64::NEG_INFINITY, max: before.score(), min_exclusive: false, max_exclusive: false };
        crate::page_before(before, limit, |count| {
            let raw =
                self.keyspace.range_by_score(key, &range, Order::Desc, Some(Limit { offset: 0, count: count as i64 }));
            let ids = raw
                .iter()
                .filter_map(|entry| parse_canonical_u64(&entry.member))
                .filter_map(|id| PostId::from_u64(id).ok())
                .collect();
            std::future::ready(Ok(ids))
        })
        .await
    }

    async fn remove(&self, timeline: &TimelineKey, posts: &[PostId]) -> Result<(), TimelineError> {
        let members: Vec<String> = posts.iter().map(PostId::to_string).collect();
        let members: Vec<&[u8]> = members.iter().map(|m| m.as_bytes()).collect();
        self.keyspace.zrem(Self::key(timeline), &members);
        Ok(())
    }

    async fn remove_everywhere(&self, timelines: &[TimelineKey], post: PostId) -> Result<(), TimelineError> {
        let member = post.to_string();
        for timeline in timelines {
            self.keyspace.zrem(Self::key(timeline), &[member.as_bytes()]);
        }
        Ok(())
    }

    async fn drop_timeline(&self, timeline: &TimelineKey) -> Result<(), TimelineError> {
        self.keyspace.del(&[Self::key(timeline)]);
        Ok(())
    }

    async fn len(&self, timeline: &TimelineKey) -> Result<usize, TimelineError> {
        Ok(self.keyspace.zcard(Self::key(timeline)))
    }

    async fn ping(&self) -> Result<(), TimelineError> {
        Ok(())
    }
}
