//! What the browser fetches through the web app because it holds a session cookie, not a
//! bearer token: media (which follow their post's visibility, so the API must see who asks),
//! live streams (server-sent events, passed through as they come) and the OPML export.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderName, StatusCode, header},
    response::{IntoResponse, Response},
};
use reqwest::Method;

use super::{Answer, not_found, signed_in};
use crate::{Web, domain::client::encode, domain::session::Visitor};

/// The answer's headers that describe its body; the rest (cookies, the API's own policies)
/// stay behind.
const PASSED_BACK: [HeaderName; 8] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
    header::ETAG,
    header::LAST_MODIFIED,
    header::CACHE_CONTROL,
    header::CONTENT_DISPOSITION,
];

/// The request's headers that shape what comes back.
const PASSED_ON: [HeaderName; 5] = [
    header::RANGE,
    header::IF_NONE_MATCH,
    header::IF_MODIFIED_SINCE,
    header::IF_RANGE,
    HeaderName::from_static("last-event-id"),
];

async fn pass(web: &Web, v: &Visitor, path: &str, headers: &HeaderMap, extra: &[(&str, &str)]) -> Response {
    let caller = web.api.caller(v.token(), &v.address);
    let Ok(mut request) = caller.request(Method::GET, path) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    for name in &PASSED_ON {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = response.status();
    let mut answer = Response::builder().status(status.as_u16());
    for name in &PASSED_BACK {
        if let Some(value) = response.headers().get(name) {
            answer = answer.header(name, value);
        }
    }
    answer.body(Body::from_stream(response.bytes_stream())).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}

pub async fn media(State(web): State<Arc<Web>>, v: Visitor, Path(id): Path<String>, headers: HeaderMap) -> Response {
    pass(&web, &v, &format!("/api/v1/media/{}/content", encode(&id)), &headers, &[]).await
}

pub async fn thumbnail(
    State(web): State<Arc<Web>>,
    v: Visitor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    pass(&web, &v, &format!("/api/v1/media/{}/thumbnail", encode(&id)), &headers, &[]).await
}

/// `/live/home`, `/live/public`, `/live/notifications`: the API's live streams, as the visitor.
pub async fn live(State(web): State<Arc<Web>>, v: Visitor, Path(stream): Path<String>, headers: HeaderMap) -> Answer {
    let path = match stream.as_str() {
        "public" => "/api/v1/timelines/public/stream",
        "home" => "/api/v1/timelines/home/stream",
        "notifications" => "/api/v1/notifications/stream",
        _ => return Ok(not_found(v)),
    };
    if stream != "public" {
        signed_in(&v, "/")?;
    }
    let mut response = pass(&web, &v, path, &headers, &[("accept", "text/event-stream")]).await;
    // Proxies between the browser and us must not hold events back.
    response.headers_mut().insert("x-accel-buffering", axum::http::HeaderValue::from_static("no"));
    Ok(response)
}

pub async fn export_opml(State(web): State<Arc<Web>>, v: Visitor, headers: HeaderMap) -> Answer {
    signed_in(&v, "/sources")?;
    Ok(pass(&web, &v, "/api/v1/sources/export", &headers, &[]).await)
}
