//! Live streams: server-sent events of new posts for the home and public timelines.
//!
//! Each event's id is the post id. A client that reconnects with `Last-Event-ID` first gets what
//! it missed (from the read model, oldest first, by the same rule as the timeline), then new
//! posts as they arrive; the subscription starts before the catch-up query, and ids already
//! sent are skipped, so there is neither a gap nor a duplicate at the seam.

use std::{collections::HashSet, convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream as FuturesStream;
use platform::{ApiError, Principal, http::Problem, ids::PostId};
use tokio::sync::broadcast::error::RecvError;

use crate::{
    Feed,
    streams::{self, Stream},
};

/// A post that just entered some timelines.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub post: PostId,
    pub author: String,
    /// The timeline keys it entered (`public`, `home:<user>`, ...).
    pub timelines: Arc<HashSet<String>>,
}

/// How many missed posts a reconnecting client is sent before live ones.
const CATCH_UP: usize = 200;

/// New posts of the caller's home timeline as server-sent events; send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/v1/timelines/home/stream", tag = "feeds", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`; each event's data is a post", content_type = "text/event-stream"),
        (status = 401, body = Problem)))]
pub(super) async fn home(
    State(feed): State<Arc<Feed>>,
    me: Principal,
    headers: HeaderMap,
) -> Result<Sse<impl FuturesStream<Item = Result<Event, Infallible>>>, ApiError> {
    live(feed, Stream::Home(me.user_id.to_string()), resume_after(&headers)).await
}

/// New public posts as server-sent events; send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/v1/timelines/public/stream", tag = "feeds",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`; each event's data is a post", content_type = "text/event-stream")))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
) -> Result<Sse<impl FuturesStream<Item = Result<Event, Infallible>>>, ApiError> {
    live(feed, Stream::Public, resume_after(&headers)).await
}

/// The post id in `Last-Event-ID`, if any.
fn resume_after(headers: &HeaderMap) -> Option<PostId> {
    headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<PostId>().ok())
}

async fn live(
    feed: Arc<Feed>,
    stream: Stream,
    resume: Option<PostId>,
) -> Result<Sse<impl FuturesStream<Item = Result<Event, Infallible>>>, ApiError> {
    let mut receiver = feed.live.subscribe();
    let missed = match resume {
        Some(after) => streams::hydrate(&feed, &streams::newer_than(&feed, &stream, after, CATCH_UP).await?).await?,
        None => Vec::new(),
    };
    let key = stream.key().as_str().to_owned();
    let events = async_stream::stream! {
        let mut last = resume;
        for post in missed {
            last = post.id.parse().ok().or(last);
            yield Ok(event_of(&post));
        }
        loop {
            let new_post = match receiver.recv().await {
                Ok(new_post) => new_post,
                // A slow client missed some; it can resume with Last-Event-ID.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let pulled = matches!(&stream, Stream::Home(user) if follows_pulled(&feed, user, &new_post).await);
            if !(new_post.timelines.contains(&key) || pulled) || last.is_some_and(|l| new_post.post <= l) {
                continue;
            }
            if let Ok(mut posts) = streams::hydrate(&feed, &[new_post.post]).await
                && let Some(post) = posts.pop()
            {
                last = Some(new_post.post);
                yield Ok(event_of(&post));
            }
        }
    };
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Posts of accounts above the fan-out threshold are pushed to no home timeline: a home stream
/// shows them when its reader follows the author (and may see the post at home).
async fn follows_pulled(feed: &Feed, user: &str, new_post: &NewPost) -> bool {
    if new_post.timelines.contains(crate::home::key(user).as_str()) {
        return false;
    }
    // Most posts are by nobody this reader follows: the cached list answers without a query.
    match crate::home::pulled_followees(feed, user).await {
        Ok(authors) if authors.contains(&new_post.author) => {}
        _ => return false,
    }
    let sql = format!("SELECT 1 FROM feed_posts WHERE id = $2 AND {}", crate::home::VISIBLE_AT_HOME);
    sqlx::query(&sql)
        .bind(user)
        .bind(new_post.post.get() as i64)
        .fetch_optional(feed.db.reader())
        .await
        .ok()
        .flatten()
        .is_some()
}

fn event_of(post: &streams::StreamPost) -> Event {
    Event::default()
        .id(post.id.clone())
        .event("post")
        .json_data(post)
        .unwrap_or_else(|_| Event::default().comment("unserializable"))
}
