//! Search's HTTP API: `GET /api/v1/search` (posts, people or tags), `GET
//! /api/v1/search/complete` (the composer's `@` and `#`), and the admins' rebuild. A query
//! that cannot be parsed is a 422 that says what is wrong and at which character; a failure of
//! an index is logged with its causes and answered as a 500 problem without them.

mod complete;
mod rebuild;
mod search;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    Search,
    index::{Audience, PersonHit, TagCount},
    store,
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Search>> {
    OpenApiRouter::new()
        .routes(routes!(search::search))
        .routes(routes!(complete::complete))
        .routes(routes!(rebuild::start, rebuild::progress))
}

/// Something found: a post, a person or a tag (`type` tells which).
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(super) enum Found {
    Post(PostFound),
    Person(PersonFound),
    Tag(TagFound),
}

/// A post found.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostFound {
    /// The post's id: `GET /api/v1/posts/{id}` has all of it.
    id: String,
    author_id: String,
    /// The post's text as HTML: escaped, the matches in `<mark>`, cut around them when long.
    snippet: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

/// A person found.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PersonFound {
    id: String,
    username: String,
    display_name: String,
    followers: u64,
}

/// A tag of public posts.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct TagFound {
    /// Normalized, without `#`.
    name: String,
    /// Public posts that carry it.
    posts: u64,
}

impl From<PersonHit> for Found {
    fn from(hit: PersonHit) -> Found {
        Found::Person(PersonFound {
            id: hit.id,
            username: hit.username,
            display_name: hit.display_name,
            followers: hit.followers,
        })
    }
}

impl From<TagCount> for Found {
    fn from(tag: TagCount) -> Found {
        Found::Tag(TagFound { name: tag.tag, posts: tag.posts })
    }
}

/// What is found, best first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Results {
    items: Vec<Found>,
    /// Pass as `cursor` to get the next page (posts only); absent on the last page.
    next_cursor: Option<String>,
}

/// Runs `work` on the blocking pool: a query's CPU must not stall the runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> Result<T, platform::ApiError> {
    Ok(tokio::task::spawn_blocking(work).await.map_err(anyhow::Error::from)?.map_err(anyhow::Error::from)?)
}

/// How long a viewer's audience is reused: a follow, block or suspension shows in search
/// within this time (every query otherwise reads three tables).
pub(crate) const AUDIENCE_FRESH_FOR: Duration = Duration::from_secs(1);

/// Who `viewer` may not see and whose followers-only posts they may.
async fn audience(search: &Search, viewer: Option<&platform::Principal>) -> anyhow::Result<Audience> {
    let key = viewer.map(|v| v.user_id);
    if let Some((at, audience)) = search.audiences.get(&key)
        && at.elapsed() < AUDIENCE_FRESH_FOR
    {
        return Ok(Audience::clone(&audience));
    }
    let audience = store::audience(&search.writer, key).await?;
    search.audiences.insert(key, (Instant::now(), Arc::new(audience.clone())));
    Ok(audience)
}
