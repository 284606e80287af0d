//! `GET /api/v1/search/complete`: what the composer offers after `@` or `#`.

use std::sync::Arc;

use axum::extract::State;
use platform::{
    ApiError, Principal,
    http::{Json, Problem, Query},
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{Found, Results, audience, blocking};
use crate::Search;

const MAX_LIMIT: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(super) enum Completed {
    People,
    Tags,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct CompleteParams {
    /// What was typed so far (a leading `@` or `#` is ignored).
    #[param(min_length = 1, max_length = 64)]
    prefix: String,
    #[serde(rename = "type")]
    #[param(inline, rename = "type")]
    kind: Completed,
    /// 1 to 20 (default 8).
    #[param(minimum = 1, maximum = 20)]
    limit: Option<usize>,
}

/// Completes a person (username or a word of their name; the most followed first) or a tag of
/// public posts (the most used first) from its first characters. Never people the caller
/// blocked or who blocked them, nor suspended accounts.
#[utoipa::path(get, path = "/api/v1/search/complete", tag = "search", params(CompleteParams),
    responses(
        (status = 200, body = Results),
        (status = 401, body = Problem, description = "a token was sent that is not valid"),
        (status = 422, body = Problem, description = "a parameter is missing or out of range")))]
pub(super) async fn complete(
    State(search): State<Arc<Search>>,
    viewer: Option<Principal>,
    Query(params): Query<CompleteParams>,
) -> Result<Json<Results>, ApiError> {
    let limit = params.limit.unwrap_or(8);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_field("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    let typed = params.prefix.trim().trim_start_matches(['@', '#']);
    if typed.is_empty() || params.prefix.chars().count() > 64 {
        return Err(ApiError::invalid_field("prefix", "must hold 1 to 64 characters besides `@` or `#`"));
    }
    let indexes = Arc::clone(&search.indexes);
    let items: Vec<Found> = match params.kind {
        Completed::People => {
            let (hidden, typed) = (audience(&search, viewer.as_ref()).await?.hidden_authors, typed.to_owned());
            blocking(move || indexes.people.complete(&typed, &hidden, limit))
                .await?
                .into_iter()
                .map(Found::from)
                .collect()
        }
        Completed::Tags => {
            let prefix = text::normalize_tag(typed);
            blocking(move || indexes.posts.served().tags(&prefix, limit)).await?.into_iter().map(Found::from).collect()
        }
    };
    Ok(Json(Results { items, next_cursor: None }))
}
