//! Feeds out: the public stream, a tag's and a user's (or a crawled source's) public posts as
//! Atom 1.0, RSS 2.0 and JSON Feed 1.1, for feed readers and for other Riffle instances'
//! crawlers. Anonymous, cacheable (`ETag`, `Last-Modified`, 304, `Cache-Control: public,
//! max-age=60`), paged with the same cursors as the JSON streams.

use std::{collections::HashMap, sync::Arc, time::SystemTime};

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use contracts::{PostId, Visibility};
use platform::{
    ApiError,
    http::{Path, Problem, Query, pagination::decode_cursor},
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::{
    Feed,
    domain::timelines::Timeline,
    store::{authors, media},
    streams::listed,
    syndication::{self, Channel, Enclosure, Format, Item},
    view::{Hydrated, StreamPost},
};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 200;
/// How long readers and caches may reuse a feed without asking again.
const CACHE_CONTROL: &str = "public, max-age=60";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FeedParams {
    /// Posts per page, 1 to 200 (default 20).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The cursor of a `next` link of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,1024}$")]
    cursor: Option<String>,
}

/// The public stream as a feed: every public post, newest first (not reposts).
#[utoipa::path(get, path = "/feeds/{file}", tag = "feeds",
    params(("file" = String, Path, description = "`public.atom`, `public.rss` or `public.json`",
        pattern = r"^public\.(atom|rss|json)$"), FeedParams),
    responses(
        (status = 200, description = "The feed", content(
            (String = "application/atom+xml"), (String = "application/rss+xml"), (syndication::JsonFeed<'_> = "application/feed+json"))),
        (status = 304, description = "Unchanged since the `ETag` or `Last-Modified` the reader sent"),
        (status = 404, body = Problem, description = "No such feed or format"),
        (status = 409, body = Problem, description = "The cursor is not one a feed returned"),
        (status = 422, body = Problem)))]
pub(super) async fn public(
    State(feed): State<Arc<Feed>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ("public", format) = file_name(&file)? else { return Err(ApiError::not_found("no such feed")) };
    let about = About {
        title: "Public posts".into(),
        description: "Every public post, newest first".into(),
        path: vec!["feeds".into(), file.clone()],
        home_page: vec!["api".into(), "v1".into(), "timelines".into(), "public".into()],
    };
    serve(&feed, Timeline::Public, about, format, &params, &headers).await
}

/// A hashtag's public posts as a feed, newest first.
#[utoipa::path(get, path = "/feeds/tags/{file}", tag = "feeds",
    params(("file" = String, Path, description = "The tag (without `#`) and the format: `rust.atom`, `rust.rss`, `rust.json`",
        pattern = r"^[^/]+\.(atom|rss|json)$"), FeedParams),
    responses(
        (status = 200, description = "The feed", content(
            (String = "application/atom+xml"), (String = "application/rss+xml"), (syndication::JsonFeed<'_> = "application/feed+json"))),
        (status = 304, description = "Unchanged since the `ETag` or `Last-Modified` the reader sent"),
        (status = 404, body = Problem, description = "No such format"),
        (status = 409, body = Problem, description = "The cursor is not one a feed returned"),
        (status = 422, body = Problem)))]
pub(super) async fn tag(
    State(feed): State<Arc<Feed>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tag, format) = file_name(&file)?;
    let tag = tag.trim_start_matches('#').to_lowercase();
    if tag.is_empty() {
        return Err(ApiError::not_found("no such feed"));
    }
    let about = About {
        title: format!("#{tag}"),
        description: format!("Public posts tagged #{tag}, newest first"),
        path: vec!["feeds".into(), "tags".into(), file.clone()],
        home_page: vec!["api".into(), "v1".into(), "timelines".into(), "tag".into(), tag.clone()],
    };
    serve(&feed, Timeline::Tag(tag), about, format, &params, &headers).await
}

/// A user's public posts as a feed, newest first (not reposts). A crawled source is an account
/// too: its feed republishes what the crawler brought in.
#[utoipa::path(get, path = "/feeds/users/{file}", tag = "feeds",
    params(("file" = String, Path, description = "The username and the format: `ada.atom`, `ada.rss`, `ada.json`",
        pattern = r"^[^/]+\.(atom|rss|json)$"), FeedParams),
    responses(
        (status = 200, description = "The feed", content(
            (String = "application/atom+xml"), (String = "application/rss+xml"), (syndication::JsonFeed<'_> = "application/feed+json"))),
        (status = 304, description = "Unchanged since the `ETag` or `Last-Modified` the reader sent"),
        (status = 404, body = Problem, description = "No such user (or suspended), or no such format"),
        (status = 409, body = Problem, description = "The cursor is not one a feed returned"),
        (status = 422, body = Problem)))]
pub(super) async fn user(
    State(feed): State<Arc<Feed>>,
    Path(file): Path<String>,
    Query(params): Query<FeedParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (username, format) = file_name(&file)?;
    let username = username.trim_start_matches('@');
    let Some(user) = authors::by_username(&feed.store, username).await? else {
        return Err(ApiError::not_found("no such user"));
    };
    let about = About {
        title: format!("@{username}"),
        description: format!("Public posts by @{username}, newest first"),
        path: vec!["feeds".into(), "users".into(), file.clone()],
        home_page: vec!["api".into(), "v1".into(), "users".into(), user.to_string(), "posts".into()],
    };
    serve(&feed, Timeline::User(user), about, format, &params, &headers).await
}

/// `name.ext` split into the name and the format its extension names.
fn file_name(file: &str) -> Result<(&str, Format), ApiError> {
    file.rsplit_once('.')
        .and_then(|(name, extension)| Some((name, Format::from_extension(extension)?)))
        .ok_or_else(|| ApiError::not_found("no such feed format: use .atom, .rss or .json"))
}

/// What a feed says about itself: its title and where it and its stream live (path segments
/// under `public_url`).
struct About {
    title: String,
    description: String,
    path: Vec<String>,
    home_page: Vec<String>,
}

async fn serve(
    feed: &Feed,
    timeline: Timeline,
    about: About,
    format: Format,
    params: &FeedParams,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let limit = match params.limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => n,
        _ => return Err(ApiError::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}"))),
    };
    let before = params
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c)?.parse::<PostId>().map_err(|_| ApiError::bad_cursor("names no post")))
        .transpose()?;
    // Public posts only (a user stream also holds unlisted ones), and no reposts: the text is
    // someone else's.
    let syndicated = |post: &StreamPost| post.facts.visibility == Visibility::Public && post.repost_of_id.is_none();
    let mut posts = listed::read_where(feed, &timeline, before, limit as usize + 1, syndicated).await?;
    let more = posts.len() > limit as usize;
    posts.truncate(limit as usize);

    let feed_url = address(&feed.public_url, &about.path, &[]);
    let mut query = vec![("limit", limit.to_string())];
    let next_url = posts.last().filter(|_| more).map(|last| {
        let cursor = platform::http::pagination::encode_cursor(&last.id);
        address(&feed.public_url, &about.path, &[("limit", limit.to_string()), ("cursor", cursor)])
    });
    query.extend(params.cursor.clone().map(|c| ("cursor", c)));
    let updated = posts.first().map_or(platform::db::from_ms(contracts::ids::EPOCH_MS as i64), |p| p.created_at);
    let media_ids: Vec<&str> = posts.iter().flat_map(|p| p.media_ids.iter().map(String::as_str)).collect();
    let described = media::described(&feed.store, &media_ids).await?;
    let channel = Channel {
        title: about.title,
        description: about.description,
        self_url: address(&feed.public_url, &about.path, &query),
        feed_url,
        home_page_url: address(&feed.public_url, &about.home_page, &[]),
        next_url,
        updated,
        items: posts.iter().map(|post| item(&feed.public_url, post, &described)).collect(),
    };
    let body = syndication::render(&channel, format);
    Ok(cached(body, format, updated, headers))
}

/// `base` with `segments` as its path (each percent-encoded) and `query`.
fn address(base: &url::Url, segments: &[String], query: &[(&str, String)]) -> String {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url.into()
}

fn item(base: &url::Url, post: &Hydrated, media: &HashMap<String, (String, i64)>) -> Item {
    let url = address(base, &["api".into(), "v1".into(), "posts".into(), post.id.clone()], &[]);
    let username = post.author.username.clone().unwrap_or_default();
    let author_name = match post.author.display_name.as_deref() {
        Some(name) if !name.is_empty() => format!("{name} (@{username})"),
        _ => format!("@{username}"),
    };
    Item {
        id: url.clone(),
        url,
        text: post.text.clone(),
        author_name,
        author_url: address(base, &["api".into(), "v1".into(), "users".into(), username], &[]),
        language: post.language.clone(),
        tags: post.tags.clone(),
        published: post.created_at,
        enclosures: post
            .media_ids
            .iter()
            .filter_map(|id| {
                let (mime, size) = media.get(id)?;
                let url =
                    address(base, &["api".into(), "v1".into(), "media".into(), id.clone(), "content".into()], &[]);
                Some(Enclosure { url, mime: mime.clone(), size: *size })
            })
            .collect(),
    }
}

/// The feed, or 304 when the reader's copy (by `If-None-Match`, else `If-Modified-Since`) is
/// current; either way with the validators and `Cache-Control`.
fn cached(body: String, format: Format, updated: time::OffsetDateTime, request: &HeaderMap) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", digest[..16].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let modified = SystemTime::from(updated);
    let unchanged = match request.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(tags) => {
            tags.split(',').map(str::trim).any(|t| t == etag || t == "*" || t.strip_prefix("W/") == Some(&etag))
        }
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok())
            // HTTP dates have whole seconds.
            .is_some_and(|since| {
                since.duration_since(modified).is_ok() || modified.duration_since(since).is_ok_and(|d| d.as_secs() < 1)
            }),
    };
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Ok(modified) = HeaderValue::from_str(&httpdate::fmt_http_date(modified)) {
        headers.insert(header::LAST_MODIFIED, modified);
    }
    response
}
