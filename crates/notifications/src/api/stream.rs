//! The live stream: the caller's new and changed groups as server-sent events (`group`, its
//! data the group; `removed`, `{"id"}` for a dismissed or emptied one), each with the
//! recipient's change counter as its id, so `Last-Event-ID` resumes exactly where a client
//! left off; a final `end` event says why a stream stopped.
//!
//! A change handled in this process wakes its streams at once; one handled by another replica
//! is found by the poll every [`POLL`], so a like reaches its author within a second wherever
//! the event was handled.

use std::{collections::HashMap, convert::Infallible, net::IpAddr, sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use platform::{
    ApiError, Principal,
    http::{ClientIp, Problem, live::until_ended},
};
use tokio::sync::broadcast::error::RecvError;

use super::{GroupView, still_visible, views};
use crate::{
    Notifications,
    store::groups::{self, Group},
};

/// How often a stream looks for changes another replica made.
const POLL: Duration = Duration::from_millis(500);
/// Changes sent per look (a reconnecting client catches up in several).
const BATCH: usize = 100;

/// The caller's new and changed notification groups as server-sent events; send
/// `Last-Event-ID` to resume after the last event received. Ends with an `end` event when the
/// token expires, its session ends, or the account is suspended or its role changes.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "`text/event-stream`: `group` and `removed` events, a final `end` event", content_type = "text/event-stream"),
        (status = 401, body = Problem),
        (status = 429, body = Problem, description = "too many open streams for this user or address; see Retry-After"),
        (status = 503, body = Problem, description = "this server holds as many streams as it may; see Retry-After")))]
pub(super) async fn stream(
    State(service): State<Arc<Notifications>>,
    me: Principal,
    ClientIp(address): ClientIp,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let ticket = service.admission.admit(Some(me.user_id), address.parse::<IpAddr>().ok())?;
    // Without Last-Event-ID, the stream starts from now: what is already there is the list's.
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let mut last = match resume {
        Some(after) => after,
        None => groups::marker(&service.store, me.user_id).await?.1,
    };
    let heartbeat = Duration::from_secs(service.config.stream_heartbeat_secs);
    let mut woken = service.live.subscribe();
    let events = async_stream::stream! {
        // The ticket lives as long as the stream: its place is given back when the client goes.
        let _held = ticket;
        let ended = until_ended(&me, &service.verifier, &service.shutdown);
        tokio::pin!(ended);
        let mut poll = tokio::time::interval(POLL);
        loop {
            tokio::select! {
                biased;
                reason = &mut ended => {
                    yield Ok(Event::default().event("end").json_data(reason.event_data()).unwrap_or_default());
                    break;
                }
                woke = woken.recv() => match woke {
                    Ok(recipient) if recipient != me.user_id => continue,
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                },
                _ = poll.tick() => {}
            }
            match changes(&service, &me, last).await {
                Ok(batch) => {
                    for (version, event) in batch {
                        last = version;
                        yield Ok(event);
                    }
                }
                Err(error) => tracing::warn!(error = format!("{error:#}"), "notification stream could not read changes"),
            }
        }
    };
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(heartbeat)))
}

/// The caller's groups changed after `after`, as events with their counter values.
async fn changes(service: &Notifications, me: &Principal, after: i64) -> anyhow::Result<Vec<(i64, Event)>> {
    let changed = groups::changed_since(&service.store, me.user_id, after, BATCH).await?;
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let (read_up_to, _) = groups::marker(&service.store, me.user_id).await?;
    // One visibility check and one naming of samples for the whole batch.
    let present: Vec<Group> = changed.iter().filter(|g| !g.removed).cloned().collect();
    let shown = views(service, still_visible(service, me.user_id, present).await?, read_up_to).await?;
    let mut shown: HashMap<String, GroupView> = shown.into_iter().map(|view| (view.id.clone(), view)).collect();
    let mut events = Vec::with_capacity(changed.len());
    for group in changed {
        let id = group.version.to_string();
        let event = match shown.remove(&group.id) {
            Some(view) => Event::default().id(id).event("group").json_data(&view)?,
            None => Event::default().id(id).event("removed").json_data(serde_json::json!({ "id": group.id }))?,
        };
        events.push((group.version, event));
    }
    Ok(events)
}
