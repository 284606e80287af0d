//! `POST|GET /api/v1/admin/search/rebuild`: rebuilding the posts index from content, and how
//! far it is (`riffle search reindex` shows it as a progress bar).

use std::sync::Arc;

use axum::{extract::State, http::StatusCode};
use platform::{
    ApiError, Trusted,
    http::{Json, Problem},
};

use crate::{Search, ingest::rebuild};

/// Rebuilds this replica's posts index from content's posts, beside the one served, which it
/// replaces at once when complete. Queries and new posts carry on meanwhile. For admins and
/// the internal token.
#[utoipa::path(post, path = "/api/v1/admin/search/rebuild", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 202, body = rebuild::Progress, description = "the rebuild has started"),
        (status = 401, body = Problem, description = "no token, or one that is not valid"),
        (status = 403, body = Problem, description = "the caller is not an admin"),
        (status = 409, body = Problem, description = "a rebuild is running already")))]
pub(super) async fn start(
    State(search): State<Arc<Search>>,
    _caller: Trusted,
) -> Result<(StatusCode, Json<rebuild::Progress>), ApiError> {
    if !rebuild::begin(&search.indexes)? {
        return Err(ApiError::conflict("a rebuild of the search index is running already"));
    }
    let (indexes, source, shutdown) = (Arc::clone(&search.indexes), search.source.clone(), search.shutdown.clone());
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown.cancelled() => indexes.posts.abandon(),
            rebuilt = rebuild::run(&indexes, &source) => if let Err(err) = rebuilt {
                tracing::error!(error = format!("{err:#}"), "the search index rebuild failed");
            },
        }
    });
    Ok((StatusCode::ACCEPTED, Json(search.indexes.progress())))
}

/// How far the running (or the last) rebuild is.
#[utoipa::path(get, path = "/api/v1/admin/search/rebuild", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, body = rebuild::Progress),
        (status = 401, body = Problem, description = "no token, or one that is not valid"),
        (status = 403, body = Problem, description = "the caller is not an admin")))]
pub(super) async fn progress(State(search): State<Arc<Search>>, _caller: Trusted) -> Json<rebuild::Progress> {
    Json(search.indexes.progress())
}
