//! Live streams as server-sent events: each event's id is the post id, its data the post.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use contracts::PostId;
use futures::{Stream, StreamExt};
use platform::{ApiError, Principal, http::Problem};

use crate::{Feed, domain::timelines::Timeline, streams::live, view::StreamPost};

/// New posts of the caller's home timeline as server-sent events; send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/v1/timelines/home/stream", tag = "feeds", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`; each event's data is a post", content_type = "text/event-stream"),
        (status = 401, body = Problem)))]
pub(super) async fn home(
    State(feed): State<Arc<Feed>>,
    me: Principal,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    events(feed, Timeline::Home(me.user_id), resume_after(&headers)).await
}

/// New public posts as server-sent events; send `Last-Event-ID` to resume.
#[utoipa::path(get, path = "/api/v1/timelines/public/stream", tag = "feeds",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`; each event's data is a post", content_type = "text/event-stream")))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    events(feed, Timeline::Public, resume_after(&headers)).await
}

/// The post id in `Last-Event-ID`, if any.
fn resume_after(headers: &HeaderMap) -> Option<PostId> {
    headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<PostId>().ok())
}

async fn events(
    feed: Arc<Feed>,
    timeline: Timeline,
    resume: Option<PostId>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let posts = live::follow(feed, timeline, resume).await?;
    let events = posts.map(|post| Ok(event_of(&post)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn event_of(post: &StreamPost) -> Event {
    Event::default()
        .id(post.id.clone())
        .event("post")
        .json_data(post)
        .unwrap_or_else(|_| Event::default().comment("unserializable"))
}
