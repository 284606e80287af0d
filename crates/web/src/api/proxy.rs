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

/// The tus headers a resumable upload sends and gets back.
const TUS_REQUEST: [&str; 6] =
    ["tus-resumable", "upload-length", "upload-metadata", "upload-offset", "content-type", "content-length"];
const TUS_ANSWER: [&str; 6] =
    ["tus-resumable", "upload-offset", "upload-length", "riffle-media-id", "cache-control", "location"];

/// `POST /uploads`, `HEAD|PATCH /uploads/{id}`: the composer's resumable uploads, passed to the
/// API's tus endpoint as the visitor. The script sends the form token in `X-CSRF-Token`
/// (a cross-site page can neither read it nor set the header), and the upload's address comes
/// back under `/uploads/`, so the browser keeps talking to the web app.
pub async fn tus(
    State(web): State<Arc<Web>>,
    v: Visitor,
    id: Option<Path<String>>,
    method: axum::http::Method,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let presented = headers.get("x-csrf-token").and_then(|t| t.to_str().ok()).unwrap_or("");
    super::check_form(&v, presented)?;
    signed_in(&v, "/compose")?;
    let path = match &id {
        Some(Path(id)) => format!("/api/v1/media/uploads/{}", encode(id)),
        None => "/api/v1/media/uploads".to_owned(),
    };
    let caller = web.api.caller(v.token(), &v.address);
    let Ok(method) = reqwest::Method::from_bytes(method.as_str().as_bytes()) else {
        return Ok(StatusCode::METHOD_NOT_ALLOWED.into_response());
    };
    let mut request = caller.request(method, &path).map_err(|p| super::problem_page(&v, &p))?;
    for name in TUS_REQUEST {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let request = request.body(reqwest::Body::wrap_stream(body.into_data_stream()));
    // Refusals (409 wrong offset, 413 too large, 415) go back as the API wrote them: the script
    // reads their status and resumes from the offset a HEAD gives.
    let response = match caller.send_raw(request).await {
        Ok(response) => response,
        Err(problem) => {
            let status = StatusCode::from_u16(problem.status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            return Ok((status, axum::Json(serde_json::json!({ "detail": problem.message() }))).into_response());
        }
    };
    let mut answer = Response::builder().status(response.status().as_u16());
    for name in TUS_ANSWER {
        if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
            let value = if name == "location" {
                value.replace("/api/v1/media/uploads/", "/uploads/")
            } else {
                value.to_owned()
            };
            answer = answer.header(name, value);
        }
    }
    Ok(answer.body(Body::empty()).unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response()))
}
