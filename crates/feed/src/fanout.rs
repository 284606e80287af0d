//! The write path of the timelines: a new post goes into its own timelines and, by the home
//! rule, into its recipients' home timelines (hybrid fan-out: an account above
//! `timelines.fanout_threshold` is pushed only into its own); a removed post leaves them all; a
//! follow merges a source's recent posts into a home timeline and an unfollow, block or mute
//! takes them out.

use std::collections::HashSet;

use futures::{StreamExt as _, stream::FuturesUnordered};

use platform::Change;
use timeline::{TimelineKey, TimelineStore};
use uuid::Uuid;

use crate::{
    Feed,
    config::TimelinesConfig,
    domain::{FeedError, posts::FeedPost, timelines::Timeline},
    store::{
        graph,
        posts::{self, Source},
        tags,
    },
};

/// Readers who read their home after this time are active; fan-out skips the others, whose
/// next read rebuilds their home (everyone is active when skipping is off).
pub fn active_since(config: &TimelinesConfig) -> i64 {
    match config.inactive_after_secs {
        0 => i64::MIN,
        secs => platform::db::now_ms() - secs as i64 * 1000,
    }
}

/// Recipients per push: one pipeline to Redis.
const PUSH_CHUNK: usize = 1000;
/// Pushes in flight at once, so that a remote store works on one while the next is encoded and
/// sent (the embedded store answers each at once).
const PUSHES_IN_FLIGHT: usize = 4;

/// Pushes `post` into each of the recipients' home timelines, [`PUSH_CHUNK`] at a time.
pub async fn push_homes(
    timelines: &dyn TimelineStore,
    recipients: &[Uuid],
    post: contracts::PostId,
    cap: usize,
) -> Result<(), FeedError> {
    let mut pushing = FuturesUnordered::new();
    for chunk in recipients.chunks(PUSH_CHUNK) {
        if pushing.len() == PUSHES_IN_FLIGHT
            && let Some(pushed) = pushing.next().await
        {
            pushed?;
        }
        pushing.push(push_chunk(timelines, chunk, post, cap));
    }
    while let Some(pushed) = pushing.next().await {
        pushed?;
    }
    Ok(())
}

async fn push_chunk(
    timelines: &dyn TimelineStore,
    recipients: &[Uuid],
    post: contracts::PostId,
    cap: usize,
) -> Result<(), timeline::TimelineError> {
    let keys: Vec<TimelineKey> = recipients.iter().map(|u| Timeline::Home(*u).key()).collect();
    timelines.push(&keys, post, cap).await
}

/// Puts a new post into every timeline it belongs to; returns the keys of those it entered
/// (for the live streams).
pub async fn publish(feed: &Feed, change: &mut Change, post: &FeedPost) -> Result<HashSet<String>, FeedError> {
    let config = &feed.config;
    let own = Timeline::of(post);
    for timeline in &own {
        feed.timelines.push(std::slice::from_ref(&timeline.key()), post.id, timeline.cap(config)).await?;
        if let Timeline::Tag(tag) = timeline {
            tags::posted(change, tag, post.created_at_ms).await?;
        }
    }
    let pushed = !graph::is_pulled(change, post.author_id, config.fanout_threshold).await?;
    let recipients = graph::recipients(change, post, pushed, active_since(config)).await?;
    push_homes(feed.timelines.as_ref(), &recipients, post.id, config.cap).await?;
    let mut entered: HashSet<String> = own.iter().map(|t| t.key().as_str().to_owned()).collect();
    entered.extend(recipients.iter().map(|u| Timeline::Home(*u).key().as_str().to_owned()));
    Ok(entered)
}

/// Takes a removed post out of every timeline it was put in.
pub async fn retract(feed: &Feed, change: &mut Change, post: &FeedPost) -> Result<(), FeedError> {
    let config = &feed.config;
    let own: Vec<TimelineKey> = Timeline::of(post).iter().map(Timeline::key).collect();
    feed.timelines.remove_everywhere(&own, post.id).await?;
    let pushed = !graph::is_pulled(change, post.author_id, config.fanout_threshold).await?;
    let recipients = graph::recipients(change, post, pushed, active_since(config)).await?;
    for chunk in recipients.chunks(1000) {
        let keys: Vec<TimelineKey> = chunk.iter().map(|u| Timeline::Home(*u).key()).collect();
        feed.timelines.remove_everywhere(&keys, post.id).await?;
    }
    Ok(())
}

/// Merges the recent posts of `source` that `user` may now see at home into their home
/// timeline (a new follow, an unmute, a tag follow).
pub async fn merge(feed: &Feed, change: &mut Change, user: Uuid, source: Source<'_>) -> Result<(), FeedError> {
    let home = Timeline::Home(user);
    let cap = home.cap(&feed.config);
    let ids = posts::of_source(change, user, source, true, cap).await?;
    feed.timelines.merge(&home.key(), &ids, cap).await?;
    Ok(())
}

/// Takes the recent posts of `source` that `user` may no longer see at home out of their home
/// timeline (unfollow, block, mute, tag unfollow); a post still visible another way stays.
pub async fn unmerge(feed: &Feed, change: &mut Change, user: Uuid, source: Source<'_>) -> Result<(), FeedError> {
    let home = Timeline::Home(user);
    let ids = posts::of_source(change, user, source, false, home.cap(&feed.config) * 2).await?;
    feed.timelines.remove(&home.key(), &ids).await?;
    Ok(())
}
