//! The crawler's HTTP API: subscribing to feeds and sites, the caller's subscriptions with
//! their status, OPML in and out (`opml`), the admins' view of every source (`admin`) and the
//! WebSub callbacks (`websub`); `error` maps the service's errors to answers.

mod admin;
mod error;
mod opml;
mod websub;

use std::sync::Arc;

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use platform::{
    ApiError, Principal, Role,
    db::{from_ms, now_ms},
    http::{
        Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    Crawler,
    domain::{CrawlerError, source_url},
    jobs,
    store::{
        sources::{self, Source},
        subscriptions,
    },
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Crawler>> {
    OpenApiRouter::new()
        .routes(routes!(add, list))
        .routes(routes!(show, unsubscribe))
        .routes(routes!(refresh))
        .routes(routes!(opml::import))
        .routes(routes!(opml::export))
        .routes(routes!(admin::list))
        .routes(routes!(admin::disable))
        .routes(routes!(admin::enable))
        .routes(routes!(websub::verify, websub::receive))
}

/// A source, with what its fetches saw.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SourceView {
    id: Uuid,
    /// The source's account: follow it, read its posts, like any user's.
    account_id: Uuid,
    /// The account's username (absent for the moment before identity has made the account).
    username: Option<String>,
    /// `feed`: an RSS, Atom or JSON Feed at `feed_url`; `site`: a website without a feed,
    /// crawled from `feed_url` (its sitemap and links), each article page reduced to its text.
    #[schema(pattern = "^(feed|site)$")]
    kind: &'static str,
    title: String,
    description: String,
    feed_url: String,
    home_url: Option<String>,
    /// Fetched on schedule; `false` once disabled (see `disabled_reason`).
    enabled: bool,
    disabled_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_fetch_at: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    last_success_at: Option<time::OffsetDateTime>,
    /// Absent while disabled.
    #[serde(with = "time::serde::rfc3339::option")]
    next_fetch_at: Option<time::OffsetDateTime>,
    /// Why the last fetch failed; absent when it succeeded.
    last_error: Option<String>,
    /// Failed fetches in a row.
    failures: i64,
    /// Failed fetches ever.
    error_count: i64,
    /// Entries seen.
    entries: i64,
    /// The WebSub hub that pushes this source's updates, once it confirmed the subscription.
    push_hub: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    push_until: Option<time::OffsetDateTime>,
    /// Whether the caller subscribes to it.
    subscribed: bool,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

impl SourceView {
    fn of(source: &Source, subscribed: bool) -> Self {
        let enabled = source.disabled_reason.is_none();
        Self {
            id: source.id,
            account_id: source.account_id,
            username: source.username.clone(),
            kind: source.kind.as_str(),
            title: source.title.clone(),
            description: source.description.clone(),
            feed_url: source.feed_url.clone(),
            home_url: source.home_url.clone(),
            enabled,
            disabled_reason: source.disabled_reason.clone(),
            last_fetch_at: source.last_fetch_at_ms.map(from_ms),
            last_success_at: source.last_success_at_ms.map(from_ms),
            next_fetch_at: enabled.then(|| from_ms(source.next_fetch_at_ms.max(now_ms()))),
            last_error: source.last_error.clone(),
            failures: source.failures,
            error_count: source.error_count,
            entries: source.entries_count,
            push_hub: source.websub.lease_until_ms.and(source.websub.hub_url.clone()),
            push_until: source.websub.lease_until_ms.map(from_ms),
            subscribed,
            created_at: from_ms(source.created_at_ms),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AddSource {
    /// A feed's URL (RSS, Atom or JSON Feed), or a website's, whose feed is then looked for.
    /// `http` or `https`; a bare host means `https`.
    #[schema(min_length = 1, max_length = 2048)]
    url: String,
}

/// Subscribes to a feed or website. The URL is fetched; for a web page, the feed it names (or
/// one at a common path) is used, and failing that the site itself is crawled (`kind: site`). A feed someone added before is the same source. Its newest
/// entries become posts of the source's account, and the caller follows that account.
#[utoipa::path(post, path = "/api/v1/sources", tag = "crawler", security(("bearer" = [])), request_body = AddSource,
    responses(
        (status = 201, body = SourceView, description = "a new source"),
        (status = 200, body = SourceView, description = "a source that existed; now subscribed"),
        (status = 422, body = Problem, description = "not an http(s) URL, an address the crawler does not fetch, \
            an address that could not be fetched, or no feed there")))]
pub(super) async fn add(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Json(request): Json<AddSource>,
) -> Result<impl IntoResponse, ApiError> {
    let url = source_url::parse("url", &request.url)?;
    let (source, created) = crawler.add(me.user_id, &url).await?;
    crawler.wake.notify_one();
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(SourceView::of(&source, true))))
}

/// The caller's subscriptions, newest first, with each source's status.
#[utoipa::path(get, path = "/api/v1/sources", tag = "crawler", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<SourceView>)))]
pub(super) async fn list(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Query(page): Query<PageParams>,
) -> Result<Page<SourceView>, ApiError> {
    let limit = page.limit()?;
    let before = page.position()?.map(|p| parse_position(&p)).transpose()?;
    let rows = subscriptions::of_user(&crawler.store, me.user_id, before, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|(_, id)| *id).collect();
    let found = sources::many(&crawler.store, &ids).await?;
    let items: Vec<(i64, SourceView)> = rows
        .iter()
        .filter_map(|(at, id)| found.iter().find(|s| s.id == *id).map(|s| (*at, SourceView::of(s, true))))
        .collect();
    let page = Page::from_overfetch(items, limit, |(at, view)| format!("{at}:{}", view.id));
    Ok(page.map(|(_, view)| view).with_link("/api/v1/sources", limit))
}

fn parse_position(position: &str) -> Result<(i64, Uuid), CrawlerError> {
    let (at, id) = position.split_once(':').ok_or(CrawlerError::BadCursor)?;
    Ok((at.parse().map_err(|_| CrawlerError::BadCursor)?, id.parse().map_err(|_| CrawlerError::BadCursor)?))
}

async fn existing(crawler: &Crawler, id: Uuid) -> Result<Source, CrawlerError> {
    sources::by_id(&crawler.store, id).await?.ok_or(CrawlerError::NoSuchSource)
}

/// One source, with its status.
#[utoipa::path(get, path = "/api/v1/sources/{id}", tag = "crawler", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses((status = 200, body = SourceView), (status = 404, body = Problem)))]
pub(super) async fn show(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<SourceView>, ApiError> {
    let source = existing(&crawler, id).await?;
    let subscribed = subscriptions::is_subscribed(&crawler.store, me.user_id, id).await?;
    Ok(Json(SourceView::of(&source, subscribed)))
}

/// Unsubscribes the caller (and so unfollows the source's account); idempotent.
#[utoipa::path(delete, path = "/api/v1/sources/{id}", tag = "crawler", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses((status = 204), (status = 404, body = Problem)))]
pub(super) async fn unsubscribe(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    let source = existing(&crawler, id).await?;
    let mut change = crawler.store.begin().await.map_err(CrawlerError::from)?;
    subscriptions::remove_in(&mut change, me.user_id, &source).await?;
    change.commit().await.map_err(CrawlerError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fetches a source now, without validators, and answers with its status after the fetch. A
/// subscriber may ask for this once per `crawler.manual_refresh_secs`; admins at any time.
#[utoipa::path(post, path = "/api/v1/sources/{id}/refresh", tag = "crawler", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Source id")),
    responses(
        (status = 200, body = SourceView, description = "fetched; `last_error` says whether it worked"),
        (status = 403, body = Problem, description = "not a subscriber of this source"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "a fetch of this source is in flight")))]
pub(super) async fn refresh(
    State(crawler): State<Arc<Crawler>>,
    me: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<SourceView>, ApiError> {
    let source = existing(&crawler, id).await?;
    let subscribed = subscriptions::is_subscribed(&crawler.store, me.user_id, id).await?;
    let admin = me.role >= Role::Admin;
    if !subscribed && !admin {
        return Err(ApiError::forbidden("only a subscriber of this source may refresh it"));
    }
    let wait_ms = (crawler.config.manual_refresh_secs * 1000) as i64;
    if let Some(last) = source.last_fetch_at_ms.filter(|_| !admin) {
        let left = last + wait_ms - now_ms();
        if left > 0 {
            return Err(ApiError::too_many_requests((left as u64).div_ceil(1000))
                .with_detail("this source was fetched a moment ago; see Retry-After"));
        }
    }
    if !sources::lease(&crawler.store, id, jobs::lease_ms(&crawler)).await? {
        return Err(ApiError::conflict("a fetch of this source is in flight; try again in a moment"));
    }
    crawler.refresh(&source, true).await?;
    Ok(Json(SourceView::of(&existing(&crawler, id).await?, subscribed)))
}
