//! Live streams as server-sent events: each `post` event's id is the post id, its data the post;
//! a final `end` event says why a stream stopped; comments are the heartbeat.

use std::{convert::Infallible, net::IpAddr, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use contracts::PostId;
use futures::{Stream, StreamExt};
use platform::{
    ApiError, Principal,
    http::{ClientIp, Problem, admission::Ticket},
};

use crate::{
    Feed,
    domain::timelines::Timeline,
    streams::live::{self, Item},
};

/// New posts of the caller's home timeline as server-sent events; send `Last-Event-ID` to resume.
/// The stream ends with an `end` event (`{"reason": ...}`) when the token expires, its session
/// ends, or the account is suspended or its role changes.
#[utoipa::path(get, path = "/api/v1/timelines/home/stream", tag = "feeds", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`: `post` events, a final `end` event", content_type = "text/event-stream"),
        (status = 401, body = Problem),
        (status = 429, body = Problem, description = "too many open streams for this user or address; see Retry-After"),
        (status = 503, body = Problem, description = "this server holds as many streams as it may; see Retry-After")))]
pub(super) async fn home(
    State(feed): State<Arc<Feed>>,
    me: Principal,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let timeline = Timeline::Home(me.user_id);
    let ticket = admit(&feed, Some(&me), &address)?;
    events(feed, timeline, Some(me), ticket, resume_after(&headers)).await
}

/// New public posts as server-sent events; send `Last-Event-ID` to resume. Signed in, the
/// authors the caller blocks or mutes are left out, and the stream ends with the token.
#[utoipa::path(get, path = "/api/v1/timelines/public/stream", tag = "feeds", security((), ("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this post id")),
    responses((status = 200, description = "`text/event-stream`: `post` events, a final `end` event", content_type = "text/event-stream"),
        (status = 401, body = Problem),
        (status = 429, body = Problem, description = "too many open streams for this user or address; see Retry-After"),
        (status = 503, body = Problem, description = "this server holds as many streams as it may; see Retry-After")))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    viewer: Option<Principal>,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let ticket = admit(&feed, viewer.as_ref(), &address)?;
    events(feed, Timeline::Public, viewer, ticket, resume_after(&headers)).await
}

/// The post id in `Last-Event-ID`, if any.
fn resume_after(headers: &HeaderMap) -> Option<PostId> {
    headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<PostId>().ok())
}

fn admit(feed: &Feed, viewer: Option<&Principal>, address: &str) -> Result<Ticket, ApiError> {
    let address = address.parse::<IpAddr>().ok();
    Ok(feed.admission.admit(viewer.map(|v| v.user_id), address)?)
}

async fn events(
    feed: Arc<Feed>,
    timeline: Timeline,
    viewer: Option<Principal>,
    ticket: Ticket,
    resume: Option<PostId>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let heartbeat = Duration::from_secs(feed.config.stream_heartbeat_secs);
    let items = live::follow(feed, timeline, viewer, resume).await?;
    // The ticket lives as long as the stream: its place is given back when the client goes.
    let events = items.map(move |item| {
        let _held = &ticket;
        Ok(event_of(&item))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat)))
}

fn event_of(item: &Item) -> Event {
    match item {
        Item::Post(post) => Event::default()
            .id(post.id.clone())
            .event("post")
            .json_data(post)
            .unwrap_or_else(|_| Event::default().comment("unserializable")),
        Item::End(ended) => Event::default()
            .event("end")
            .json_data(ended.event_data())
            .unwrap_or_else(|_| Event::default().comment("end")),
    }
}
