//! Timelines in Redis: one sorted set per timeline, score = the post's millisecond, member = the
//! post id in decimal (see the crate docs for why that orders exactly).
//!
//! Writes to many timelines go out as one pipeline: one round trip for a whole fan-out batch.
//! Keys put the timeline name in a hash tag (`riffle:tl:{home:42}`) so that, on Redis Cluster,
//! each timeline's commands stay on one slot.

use async_trait::async_trait;
use redis::{AsyncCommands, aio::ConnectionManager};

use crate::{PostId, TimelineError, TimelineKey, TimelineStore};

/// How long a command (or pipeline) may wait for its reply.
const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A Redis-backed [`TimelineStore`].
#[derive(Clone)]
pub struct RedisTimelines {
    connection: ConnectionManager,
    prefix: String,
}

fn unavailable(err: redis::RedisError) -> TimelineError {
    TimelineError::Unavailable(err.to_string())
}

impl RedisTimelines {
    /// Connects to `url` (`redis://host:port/db`); every key starts with `prefix` (e.g. `riffle:`).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, TimelineError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        // The client's default of 500 ms per reply is less than a large fan-out pipeline to a
        // busy Redis can take; a reply slower than this is an outage, not a slow moment.
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(std::time::Duration::from_secs(5)));
        let connection =
            tokio::time::timeout(std::time::Duration::from_secs(5), client.get_connection_manager_with_config(config))
                .await
                .map_err(|_| TimelineError::Unavailable(format!("no answer from Redis at {url} within 5 s")))?
                .map_err(unavailable)?;
        Ok(Self { connection, prefix: prefix.to_owned() })
    }

    fn key(&self, timeline: &TimelineKey) -> String {
        format!("{}tl:{{{}}}", self.prefix, timeline.as_str())
    }

    fn add_and_trim(&self, pipe: &mut redis::Pipeline, key: &str, posts: &[PostId], cap: usize) {
        let items: Vec<(f64, u64)> = posts.iter().map(|p| (p.score(), p.get())).collect();
        pipe.zadd_multiple(key, &items).ignore();
        // Keep the newest `cap`: ranks run oldest (0) to newest (-1).
        pipe.zremrangebyrank(key, 0, -(cap as isize) - 1).ignore();
    }
}

#[async_trait]
impl TimelineStore for RedisTimelines {
    async fn push(&self, timelines: &[TimelineKey], post: PostId, cap: usize) -> Result<(), TimelineError> {
        if timelines.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for timeline in timelines {
            self.add_and_trim(&mut pipe, &self.key(timeline), &[post], cap);
        }
        pipe.query_async::<()>(&mut self.connection.clone()).await.map_err(unavailable)
    }

    async fn page_many(
        &self,
        timelines: &[TimelineKey],
        before: Option<PostId>,
        limit: usize,
    ) -> Result<Vec<(Vec<PostId>, usize)>, TimelineError> {
        if timelines.is_empty() || limit == 0 {
            return timelines.iter().map(|_| Ok((Vec::new(), 0))).collect();
        }
        // Room for posts of `before`'s millisecond, as in `page_before`; a timeline whose whole
        // fetch was such ties is read again on its own.
        let count = limit + 32;
        let mut pipe = redis::pipe();
        for timeline in timelines {
            let key = self.key(timeline);
            match before {
                None => pipe.zrevrange(&key, 0, limit as isize - 1),
                Some(before) => pipe.zrevrangebyscore_limit(&key, before.score(), "-inf", 0, count as isize),
            };
            pipe.zcard(&key);
        }
        let replies: Vec<redis::Value> = pipe.query_async(&mut self.connection.clone()).await.map_err(unavailable)?;
        let mut pages = Vec::with_capacity(timelines.len());
        for (timeline, pair) in timelines.iter().zip(replies.chunks(2)) {
            let corrupt = |e: redis::ParsingError| TimelineError::Corrupt(e.to_string());
            let raw: Vec<u64> = redis::from_redis_value_ref(&pair[0]).map_err(corrupt)?;
            let len: usize = redis::from_redis_value_ref(&pair[1]).map_err(corrupt)?;
            let fetched = raw.len();
            let mut page: Vec<PostId> = decode(raw)?.into_iter().filter(|p| before.is_none_or(|b| *p < b)).collect();
            if page.len() < limit && before.is_some() && fetched == count {
                page = self.page(timeline, before, limit).await?;
            }
            page.truncate(limit);
            pages.push((page, len));
        }
        Ok(pages)
    }

    async fn merge(&self, timeline: &TimelineKey, posts: &[PostId], cap: usize) -> Result<(), TimelineError> {
        if posts.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        self.add_and_trim(&mut pipe, &self.key(timeline), posts, cap);
        pipe.query_async::<()>(&mut self.connection.clone()).await.map_err(unavailable)
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
        let key = self.key(timeline);
        let mut connection = self.connection.clone();
        let Some(before) = before else {
            let raw: Vec<u64> = connection.zrevrange(&key, 0, limit as isize - 1).await.map_err(unavailable)?;
            return decode(raw);
        };
        crate::page_before(before, limit, |count| {
            let (key, mut connection) = (key.clone(), connection.clone());
            async move {
                let raw: Vec<u64> = connection
                    .zrevrangebyscore_limit(&key, before.score(), "-inf", 0, count as isize)
                    .await
                    .map_err(unavailable)?;
                decode(raw)
            }
        })
        .await
    }

    async fn remove(&self, timeline: &TimelineKey, posts: &[PostId]) -> Result<(), TimelineError> {
        if posts.is_empty() {
            return Ok(());
        }
        let members: Vec<u64> = posts.iter().map(|p| p.get()).collect();
        self.connection.clone().zrem::<_, _, ()>(self.key(timeline), members).await.map_err(unavailable)
    }

    async fn remove_everywhere(&self, timelines: &[TimelineKey], post: PostId) -> Result<(), TimelineError> {
        if timelines.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for timeline in timelines {
            pipe.zrem(self.key(timeline), post.get()).ignore();
        }
        pipe.query_async::<()>(&mut self.connection.clone()).await.map_err(unavailable)
    }

    async fn drop_timeline(&self, timeline: &TimelineKey) -> Result<(), TimelineError> {
        self.connection.clone().del::<_, ()>(self.key(timeline)).await.map_err(unavailable)
    }

    async fn len(&self, timeline: &TimelineKey) -> Result<usize, TimelineError> {
        self.connection.clone().zcard(self.key(timeline)).await.map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), TimelineError> {
        redis::cmd("PING").query_async::<String>(&mut self.connection.clone()).await.map(|_| ()).map_err(unavailable)
    }
}

fn decode(raw: Vec<u64>) -> Result<Vec<PostId>, TimelineError> {
    raw.into_iter().map(|id| PostId::from_u64(id).map_err(|e| TimelineError::Corrupt(e.to_string()))).collect()
}
