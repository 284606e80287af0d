//! OPML import (subscribe to every feed a reader exported) and export (the caller's
//! subscriptions, for any reader to import).

use std::sync::Arc;

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use platform::{
    ApiError, Principal,
    http::{Json, Problem, RawBody},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    Crawler,
    domain::{CrawlerError, opml, source_url},
    store::{sources, subscriptions},
};

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ImportReport {
    /// Feeds the caller is now subscribed to.
    subscribed: usize,
    /// Of those, sources that did not exist before (fetched within seconds, in the background).
    created: usize,
    /// Outlines that were skipped, and why.
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Skipped {
    url: String,
    reason: String,
}

/// Subscribes the caller to every feed of an OPML document (folders included). New sources
/// are fetched in the background; their status shows in `GET /api/v1/sources`.
#[utoipa::path(post, path = "/api/v1/sources/import", tag = "crawler", security(("bearer" = [])),
    request_body(content = String, content_type = "text/x-opml", description = "An OPML 1.0, 1.1 or 2.0 document"),
    responses(
        (status = 200, body = ImportReport),
        (status = 413, body = Problem, description = "larger than `crawler.max_opml_bytes`, or more feeds than `crawler.max_import_feeds`"),
        (status = 422, body = Problem, description = "not an OPML document")))]
pub(super) async fn import(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    RawBody(body): RawBody,
) -> Result<Json<ImportReport>, ApiError> {
    let config = &crawler.config;
    if body.len() > config.max_opml_bytes {
        return Err(CrawlerError::TooLarge(format!(
            "an OPML document may have at most {} bytes",
            config.max_opml_bytes
        ))
        .into());
    }
    let (text, _) = crate::domain::decode::decode(&body, None);
    let listed = opml::read(&text)?;
    if listed.len() > config.max_import_feeds {
        return Err(CrawlerError::TooLarge(format!(
            "the document lists {} feeds; one import may have at most {}",
            listed.len(),
            config.max_import_feeds
        ))
        .into());
    }
    let mut report = ImportReport { subscribed: 0, created: 0, skipped: Vec::new() };
    for feed in listed {
        let url = match source_url::parse("xmlUrl", &feed.url) {
            Ok(url) => url,
            Err(err) => {
                report.skipped.push(Skipped { url: feed.url, reason: err.to_string() });
                continue;
            }
        };
        let (_, created) = crawler.add_unfetched(Some(me.user_id), &url, &feed.title).await?;
        report.subscribed += 1;
        report.created += usize::from(created);
    }
    crawler.wake.notify_one();
    Ok(Json(report))
}

/// The caller's subscriptions as an OPML 2.0 document.
#[utoipa::path(get, path = "/api/v1/sources/export", tag = "crawler", security(("bearer" = [])),
    responses((status = 200, content_type = "text/x-opml", body = String, description = "An OPML 2.0 document")))]
pub(super) async fn export(State(crawler): State<Arc<Crawler>>, me: Principal) -> Result<Response, ApiError> {
    let mut listed = Vec::new();
    let mut before = None;
    loop {
        let rows = subscriptions::of_user(&crawler.store, me.user_id, before, 500).await?;
        let more = rows.len() > 500;
        let page: Vec<_> = rows.into_iter().take(500).collect();
        before = page.last().copied();
        let ids: Vec<_> = page.iter().map(|(_, id)| *id).collect();
        for source in sources::many(&crawler.store, &ids).await? {
            listed.push(opml::Exported { title: source.title, feed_url: source.feed_url, home_url: source.home_url });
        }
        if !more {
            break;
        }
    }
    let document = opml::write("Riffle subscriptions", &listed);
    Ok(([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], document).into_response())
}
