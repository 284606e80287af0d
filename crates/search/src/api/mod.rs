//! Search's HTTP API: `GET /api/v1/search`. A query that cannot be parsed is a 422 that says
//! what is wrong and at which character; a failure of the index is logged with its causes
//! and answered as a 500 problem without them.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError, Principal,
    db::from_ms,
    http::{Json, Problem, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    Search,
    domain::query,
    index::{Hit, Sort},
    store,
};

pub(crate) fn routes() -> OpenApiRouter<Arc<Search>> {
    OpenApiRouter::new().routes(routes!(search))
}

/// Most hits in one answer.
const MAX_LIMIT: usize = 40;

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SortBy {
    /// Best matches first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchParams {
    /// Words, `"phrases"`, `#tag`, `@user` or `from:user`, `lang:xx`, `has:media`,
    /// `before:YYYY-MM-DD`, `after:YYYY-MM-DD`; `-` before a word, phrase, tag or person
    /// excludes it. At most 512 characters and 16 terms; no wildcards.
    #[param(min_length = 1, max_length = 512)]
    q: String,
    #[serde(default)]
    #[param(inline)]
    sort: SortBy,
    /// 1 to 40 (default 20).
    #[param(minimum = 1, maximum = 40)]
    limit: Option<usize>,
}

/// A post found.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PostHit {
    /// The post's id: `GET /api/v1/posts/{id}` has all of it.
    id: String,
    author_id: String,
    /// The post's text as HTML: escaped, the matches in `<mark>`, cut around them when long.
    snippet: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SearchResults {
    items: Vec<PostHit>,
}

impl PostHit {
    fn of(hit: Hit) -> PostHit {
        PostHit {
            id: hit.id.to_string(),
            author_id: hit.author_id,
            snippet: hit.snippet,
            created_at: from_ms(hit.created_at_ms),
        }
    }
}

/// Searches posts, in Chinese and English alike: public posts for everyone, and followers-only
/// posts of the people the caller follows; never anything of accounts the caller blocked or
/// that blocked them, nor of suspended accounts, nor hidden or deleted posts. A new post is
/// found within a second of its creation.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, body = Problem, description = "a token was sent that is not valid"),
        (status = 422, body = Problem, description = "the query cannot be parsed (the problem says where), or a \
            parameter is out of range")))]
pub(super) async fn search(
    State(search): State<Arc<Search>>,
    viewer: Option<Principal>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    let parsed = query::parse(&params.q).map_err(|err| ApiError::invalid_field("q", err.to_string()))?;
    let mut authors = store::ids_of(&search.writer, &parsed.from).await?;
    let mut audience = store::audience(&search.writer, viewer.map(|v| v.user_id)).await?;
    audience.hidden_authors.extend(store::ids_of(&search.writer, &parsed.exclude_from).await?);
    authors.retain(|a| !audience.hidden_authors.contains(a));
    // Only people unknown, or hidden from the caller: nothing to find.
    if !parsed.from.is_empty() && authors.is_empty() {
        return Ok(Json(SearchResults { items: Vec::new() }));
    }
    let sort = match params.sort {
        SortBy::Relevance => Sort::Relevance,
        SortBy::Newest => Sort::Newest,
    };
    let index = Arc::clone(&search.index);
    // tantivy works on the blocking pool: a query's seconds of CPU must not stall the runtime.
    let hits = tokio::task::spawn_blocking(move || index.hits(&parsed, &authors, &audience, sort, limit))
        .await
        .map_err(anyhow::Error::from)?
        .map_err(anyhow::Error::from)?;
    Ok(Json(SearchResults { items: hits.into_iter().map(PostHit::of).collect() }))
}
