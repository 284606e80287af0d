//! The WebSub callback of each source: hubs verify intent with a `GET` and push content with a
//! `POST`. Hubs do not sign in; the secret of the subscription is what authenticates a push.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode, header},
};
use platform::{
    ApiError,
    http::{Path, Problem, Query, RawBody},
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::{Crawler, websub::Verification};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct HubQuery {
    /// `subscribe` or `unsubscribe` (or `denied`, which is answered 404 and so ends it).
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode", max_length = 20)]
    mode: String,
    #[serde(rename = "hub.topic")]
    #[param(rename = "hub.topic", max_length = 2048)]
    topic: String,
    #[serde(rename = "hub.challenge", default)]
    #[param(rename = "hub.challenge", max_length = 1024)]
    challenge: String,
    #[serde(rename = "hub.lease_seconds")]
    #[param(rename = "hub.lease_seconds", minimum = 0)]
    lease_seconds: Option<u64>,
}

/// A hub's verification of intent: answered with the challenge when this instance asked for
/// exactly that subscription, 404 otherwise.
#[utoipa::path(get, path = "/api/v1/websub/{id}", tag = "crawler",
    params(("id" = Uuid, Path, description = "Source id"), HubQuery),
    responses((status = 200, content_type = "text/plain", body = String, description = "the challenge"), (status = 404, body = Problem)))]
pub(super) async fn verify(
    State(crawler): State<Arc<Crawler>>,
    Path(id): Path<Uuid>,
    Query(hub): Query<HubQuery>,
) -> Result<String, ApiError> {
    let verification = Verification {
        mode: &hub.mode,
        topic: &hub.topic,
        challenge: &hub.challenge,
        lease_seconds: hub.lease_seconds,
    };
    Ok(crawler.websub_verify(id, verification).await?)
}

/// Content a hub pushes (the feed, or its new entries). Acknowledged when it is for a
/// subscription of this instance; applied only when `X-Hub-Signature` verifies.
#[utoipa::path(post, path = "/api/v1/websub/{id}", tag = "crawler",
    params(("id" = Uuid, Path, description = "Source id")),
    request_body(content = String, content_type = "application/atom+xml", description = "The feed, any feed format"),
    responses(
        (status = 202, description = "received"),
        (status = 404, body = Problem, description = "no subscription of this instance"),
        (status = 422, body = Problem, description = "signed, but not a feed")))]
pub(super) async fn receive(
    State(crawler): State<Arc<Crawler>>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<StatusCode, ApiError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signature = text("x-hub-signature");
    crawler.websub_receive(id, signature, text(header::CONTENT_TYPE.as_str()), &body).await?;
    Ok(StatusCode::ACCEPTED)
}
