//! `GET /api/v1/search`: posts (paged), people or tags.

use std::sync::Arc;

use axum::extract::State;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use platform::{
    ApiError, Principal,
    db::{from_ms, now_ms},
    http::{Json, Problem, Query},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{Found, PostFound, Results, audience, blocking};
use crate::{
    Search,
    domain::query,
    index::{Hit, Order, SortKey},
    store,
};

/// Most items in one answer.
const MAX_LIMIT: usize = 40;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum Kind {
    #[default]
    Posts,
    People,
    Tags,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum SortBy {
    /// Best matches first, newer ones preferred.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchParams {
    /// Posts: words, `"phrases"`, `#tag`, `@user` or `from:user`, `lang:xx`, `has:media`,
    /// `before:YYYY-MM-DD`, `after:YYYY-MM-DD`; `-` before a word, phrase, tag or person
    /// excludes it. At most 512 characters and 16 terms; no wildcards. People: words of their
    /// username, name or bio. Tags: the start of a tag.
    #[param(min_length = 1, max_length = 512)]
    q: String,
    #[serde(default, rename = "type")]
    #[param(inline, rename = "type")]
    kind: Kind,
    /// Posts only.
    #[serde(default)]
    #[param(inline)]
    sort: SortBy,
    /// 1 to 40 (default 20).
    #[param(minimum = 1, maximum = 40)]
    limit: Option<usize>,
    /// `next_cursor` of the previous page, with the same `q` and `sort` (posts only).
    #[param(pattern = r"^[A-Za-z0-9_-]{1,200}$")]
    cursor: Option<String>,
}

/// Searches posts (the default), people or tags, in Chinese and English alike. Posts: public
/// posts for everyone, and followers-only posts of the people the caller follows; never
/// anything of accounts the caller blocked or that blocked them, nor of suspended accounts, nor
/// hidden or deleted posts; found within a second of their creation. People: active accounts,
/// best match then most followed. Tags: of public posts, by prefix, the most used first.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, body = Results),
        (status = 401, body = Problem, description = "a token was sent that is not valid"),
        (status = 409, body = Problem, description = "the cursor is not one this search returned"),
        (status = 422, body = Problem, description = "the query cannot be parsed (the problem says where), or a \
            parameter is out of range")))]
pub(super) async fn search(
    State(search): State<Arc<Search>>,
    viewer: Option<Principal>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Results>, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    if params.kind != Kind::Posts && params.cursor.is_some() {
        return Err(ApiError::invalid_field("cursor", "only posts come in pages"));
    }
    let audience = audience(&search, viewer.as_ref()).await?;
    let items: Vec<Found> = match params.kind {
        Kind::Posts => return posts(&search, params, audience, limit).await.map(Json),
        Kind::People => {
            let (people, text) = (Arc::clone(&search.indexes), params.q.clone());
            let hits = blocking(move || people.people.search(&text, &audience.hidden_authors, limit)).await?;
            hits.into_iter().map(Found::from).collect()
        }
        Kind::Tags => {
            let (indexes, prefix) =
                (Arc::clone(&search.indexes), text::normalize_tag(params.q.trim_start_matches('#')));
            blocking(move || indexes.posts.served().tags(&prefix, limit)).await?.into_iter().map(Found::from).collect()
        }
    };
    Ok(Json(Results { items, next_cursor: None }))
}

async fn posts(
    search: &Search,
    params: SearchParams,
    mut audience: crate::index::Audience,
    limit: usize,
) -> Result<Results, ApiError> {
    let parsed = query::parse(&params.q).map_err(|err| ApiError::invalid_field("q", err.to_string()))?;
    let (order, after) = match params.cursor.as_deref() {
        Some(cursor) => Cursor::decode(cursor, params.sort)?,
        None => match params.sort {
            SortBy::Relevance => (Order::Relevance { now_ms: now_ms() }, None),
            SortBy::Newest => (Order::Newest, None),
        },
    };
    let mut authors = store::ids_of(&search.writer, &parsed.from).await?;
    audience.hidden_authors.extend(store::ids_of(&search.writer, &parsed.exclude_from).await?);
    authors.retain(|a| !audience.hidden_authors.contains(a));
    // Only people unknown, or hidden from the caller: nothing to find.
    if !parsed.from.is_empty() && authors.is_empty() {
        return Ok(Results { items: Vec::new(), next_cursor: None });
    }
    let index = search.indexes.posts.served();
    // One more than asked: whether there is a next page.
    let mut hits = blocking(move || index.hits(&parsed, &authors, &audience, order, after, limit + 1)).await?;
    let more = hits.len() > limit;
    hits.truncate(limit);
    let next_cursor = hits.last().filter(|_| more).map(|last| Cursor::encode(order, last.key));
    Ok(Results { items: hits.into_iter().map(post_found).collect(), next_cursor })
}

fn post_found(hit: Hit) -> Found {
    Found::Post(PostFound {
        id: hit.id.to_string(),
        author_id: hit.author_id,
        snippet: hit.snippet,
        created_at: from_ms(hit.created_at_ms),
    })
}

/// Where the next page of posts starts: the order (with the relevance's clock, so that every
/// page ranks alike) and the last hit's key. Opaque to clients.
struct Cursor;

impl Cursor {
    fn encode(order: Order, key: SortKey) -> String {
        let position = match order {
            Order::Relevance { now_ms } => format!("r.{now_ms}.{:x}.{}", key.primary.to_bits(), key.id),
            Order::Newest => format!("n.0.{:x}.{}", key.primary.to_bits(), key.id),
        };
        URL_SAFE_NO_PAD.encode(position)
    }

    fn decode(cursor: &str, sort: SortBy) -> Result<(Order, Option<SortKey>), ApiError> {
        let bad = || ApiError::bad_cursor("is not a cursor this search returned");
        let position = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
        let mut parts = position.split('.');
        let (Some(kind), Some(now), Some(primary), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let now_ms: i64 = now.parse().map_err(|_| bad())?;
        let primary = f64::from_bits(u64::from_str_radix(primary, 16).map_err(|_| bad())?);
        let id: u64 = id.parse().map_err(|_| bad())?;
        if !primary.is_finite() {
            return Err(bad());
        }
        let order = match (kind, sort) {
            ("r", SortBy::Relevance) => Order::Relevance { now_ms },
            ("n", SortBy::Newest) => Order::Newest,
            _ => return Err(ApiError::bad_cursor("belongs to a search in another order")),
        };
        Ok((order, Some(SortKey { primary, id })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_back_as_they_went_and_others_are_refused() {
        let key = SortKey { primary: 3.25, id: 42 };
        let order = Order::Relevance { now_ms: 1_767_225_600_000 };
        let cursor = Cursor::encode(order, key);
        let (decoded, after) = Cursor::decode(&cursor, SortBy::Relevance).unwrap();
        assert_eq!((decoded, after), (order, Some(key)));
        assert!(Cursor::decode(&cursor, SortBy::Newest).is_err(), "another order");
        for bad in ["", "bm90IGEgY3Vyc29y", &URL_SAFE_NO_PAD.encode("r.1.7ff0000000000000.3")] {
            assert_eq!(Cursor::decode(bad, SortBy::Relevance).unwrap_err().status().as_u16(), 409, "{bad}");
        }
    }
}
