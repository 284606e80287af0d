//! Content's HTTP API: one module per resource; `views` renders posts, `error` maps the
//! service's errors to answers.

mod error;
mod export;
mod idempotency;
mod media;
mod moderation;
mod posts;
mod reactions;
mod schemas;
mod uploads;
mod views;

use std::sync::Arc;

use contracts::PostId;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{Content, domain::ContentError};

pub(crate) fn routes() -> OpenApiRouter<Arc<Content>> {
    // Uploads stream to disk, so the JSON body limit does not apply; the media limits do.
    let uploads = OpenApiRouter::new()
        .routes(routes!(media::upload))
        .routes(routes!(uploads::append, uploads::status, uploads::terminate))
        .layer(axum::extract::DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(uploads::create, uploads::capabilities))
        .routes(routes!(media::show, media::describe))
        .routes(routes!(media::download))
        .routes(routes!(media::thumbnail))
        .routes(routes!(posts::create, posts::many))
        .routes(routes!(posts::show, posts::edit, posts::delete))
        .routes(routes!(posts::history))
        .routes(routes!(posts::context))
        .routes(routes!(reactions::like, reactions::unlike))
        .routes(routes!(reactions::repost, reactions::unrepost))
        .routes(routes!(moderation::report))
        .routes(routes!(moderation::reports))
        .routes(routes!(moderation::resolve))
        .routes(routes!(moderation::log))
        .routes(routes!(export::export))
}

/// Parses a post id from a path; what is no post id is no such post.
fn post_id(raw: &str) -> Result<PostId, ContentError> {
    raw.parse().map_err(|_| ContentError::NoSuchPost)
}
