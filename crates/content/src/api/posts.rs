//! Posts: create, read, edit, delete, edit history, thread context.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use contracts::{PostId, Role, Visibility};
use platform::{
    ApiError, Principal,
    db::from_ms,
    http::{FieldError, Json, Path, Problem, Query, pagination::PageParams},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    idempotency, post_id,
    views::{self, PostView},
};
use crate::{
    Content,
    domain::{
        ContentError,
        posts::{self as rules, NewPost},
    },
    store,
    store::{media, posts},
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    #[schema(schema_with = super::schemas::post_text)]
    text: String,
    #[serde(default)]
    visibility: Visibility,
    #[schema(schema_with = super::schemas::language)]
    language: Option<String>,
    /// The post this one answers (404 when there is no such post the author may see).
    reply_to_id: Option<String>,
    #[serde(default)]
    #[schema(schema_with = super::schemas::media_ids)]
    media_ids: Vec<String>,
}

/// Publishes a post or a reply. Send an `Idempotency-Key` header to make retries safe: a retry
/// with the same key returns the first response instead of posting twice.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])), request_body = CreatePost,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry: 1 to 255 visible ASCII characters",
        pattern = r"^[\x21-\x7E]{1,255}$")),
    responses((status = 201, body = PostView), (status = 200, body = PostView, description = "a retry: the first answer again"),
        (status = 401, body = Problem), (status = 403, body = Problem, description = "media not yours, or replying across a block"),
        (status = 404, body = Problem, description = "no such post to reply to"),
        (status = 422, body = Problem, description = "an invalid field, or an Idempotency-Key used for another request")))]
pub(super) async fn create(
    State(content): State<Arc<Content>>,
    author: Principal,
    headers: HeaderMap,
    Json(request): Json<CreatePost>,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let fingerprint = idempotency::fingerprint(&request);
    let store = &content.store;
    if let Some(key) = &key
        && let Some((status, body)) = store::idempotency::replay(store, author.user_id, key, &fingerprint).await?
    {
        return Ok(idempotency::respond(status, body));
    }

    let mut errors = Vec::new();
    rules::check_text(&content.posts, &request.text, request.language.as_deref(), &mut errors);
    // What is no post id is no such post, as in paths.
    let reply_to = match request.reply_to_id.as_deref().map(str::parse::<PostId>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return Err(ContentError::NoSuchParent.into()),
        None => None,
    };
    let max_media = content.posts.max_media_per_post;
    if request.media_ids.len() > max_media {
        errors.push(FieldError::new("media_ids", format!("at most {max_media} attachments")));
    }
    if !errors.is_empty() {
        return Err(ContentError::Invalid(errors).into());
    }
    let mut unique = request.media_ids.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != request.media_ids.len() {
        return Err(ContentError::field("media_ids", "lists the same media twice").into());
    }
    for id in &request.media_ids {
        match media::get(store, id).await? {
            Some(media) if media.is_owned_by(&author.user_id.to_string()) => {
                if media.post_id.is_some() {
                    return Err(ContentError::field("media_ids", format!("{id} is already attached to a post")).into());
                }
            }
            _ => return Err(ContentError::Forbidden(format!("media {id} is not one of your uploads")).into()),
        }
    }

    let new = NewPost {
        text: request.text.clone(),
        visibility: request.visibility,
        language: request.language.clone(),
        reply_to,
        media_ids: request.media_ids.clone(),
    };
    // A new post has no likes and is no repost: its view needs no further reads.
    let respond =
        |post: &rules::Post| serde_json::to_value(PostView::of(post, Some(false), None)).expect("views serialize");
    let key = key.as_deref().map(|k| (k, fingerprint.as_str()));
    match posts::create(store, &author, new, key, respond).await? {
        posts::Created::New(body) => Ok((StatusCode::CREATED, axum::Json(body)).into_response()),
        posts::Created::Replayed(status, body) => Ok(idempotency::respond(status, body)),
    }
}

/// A post, if the caller may see it (followers-only posts are 404 to others).
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 404, body = Problem)))]
pub(super) async fn show(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let post = posts::visible(&content.store, viewer.as_ref(), post_id(&id)?).await?;
    Ok(Json(views::render_one(&content.store, viewer.as_ref(), post).await?))
}

/// Most posts one `GET /posts?ids=` names.
const MAX_IDS: usize = 40;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Ids {
    /// Up to 40 post ids, separated by commas.
    ids: String,
}

/// Several posts at once (a stream's page with counts and the caller's likes and reposts), in
/// the order asked; those the caller may not see, or that are gone, are left out.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Posts {
    items: Vec<PostView>,
}

/// Several posts by id, as the caller may see them: what a client shows a page of a stream
/// with (counts, `liked`, `reposted`), in one call.
#[utoipa::path(get, path = "/api/v1/posts", tag = "posts",
    params(Ids),
    responses((status = 200, body = Posts), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn many(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Query(Ids { ids }): Query<Ids>,
) -> Result<Json<Posts>, ApiError> {
    let wanted: Vec<PostId> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| id.parse().map_err(|_| ApiError::invalid_field("ids", format!("`{id}` is not a post id"))))
        .collect::<Result<_, _>>()?;
    if wanted.len() > MAX_IDS {
        return Err(ApiError::invalid_field("ids", format!("at most {MAX_IDS} ids")));
    }
    let found = posts::many(&content.store, &wanted).await?.into_iter().filter(|p| !p.deleted && !p.hidden).collect();
    let mut visible = posts::visible_among(&content.store, viewer.as_ref(), found).await?;
    visible.sort_by_key(|p| wanted.iter().position(|id| *id == p.id));
    Ok(Json(Posts { items: views::render(&content.store, viewer.as_ref(), visible).await? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditPost {
    #[schema(schema_with = super::schemas::post_text)]
    text: String,
    #[schema(schema_with = super::schemas::language)]
    language: Option<String>,
}

/// Edits a post's text (author only). The previous text stays in its history.
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])), request_body = EditPost,
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = PostView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn edit(
    State(content): State<Arc<Content>>,
    editor: Principal,
    Path(id): Path<String>,
    Json(request): Json<EditPost>,
) -> Result<Json<PostView>, ApiError> {
    let id = post_id(&id)?;
    posts::visible(&content.store, Some(&editor), id).await?;
    let mut errors = Vec::new();
    rules::check_text(&content.posts, &request.text, request.language.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ContentError::Invalid(errors).into());
    }
    let post = posts::edit(&content.store, &editor, id, request.text, request.language).await?;
    Ok(Json(views::render_one(&content.store, Some(&editor), post).await?))
}

/// Deletes a post for everyone: its author, or a moderator (which is logged).
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Post id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn delete(
    State(content): State<Arc<Content>>,
    caller: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let post = posts::visible(&content.store, Some(&caller), post_id(&id)?).await?;
    if !post.is_by(caller.user_id) && caller.role < Role::Moderator {
        return Err(ContentError::Forbidden("only the author or a moderator can delete a post".into()).into());
    }
    posts::delete(&content.store, &caller, &post).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An earlier version of a post.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Version {
    version: i64,
    text: String,
    language: Option<String>,
    /// When this version was replaced by the next.
    #[serde(with = "time::serde::rfc3339")]
    replaced_at: time::OffsetDateTime,
}

/// Earlier versions of an edited post, oldest first; visible to whoever can see the post.
#[utoipa::path(get, path = "/api/v1/posts/{id}/history", tag = "posts",
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = Vec<Version>), (status = 404, body = Problem)))]
pub(super) async fn history(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Version>>, ApiError> {
    let post = posts::visible(&content.store, viewer.as_ref(), post_id(&id)?).await?;
    let versions = posts::history(&content.store, post.id)
        .await?
        .into_iter()
        .map(|v| Version {
            version: v.version,
            text: v.text,
            language: v.language,
            replaced_at: from_ms(v.replaced_at_ms),
        })
        .collect();
    Ok(Json(versions))
}

/// A post's place in its thread.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Context {
    /// From the thread's first post down to the parent (on the first page only).
    ancestors: Vec<PostView>,
    /// Replies below the post, in thread order (depth first, oldest first), a page at a time.
    descendants: Vec<PostView>,
    /// Pass as `cursor` for the next replies; absent after the last.
    next_cursor: Option<String>,
}

/// How many posts of one thread are read.
const MAX_THREAD: i64 = 2_000;

/// The thread around a post: what it answers and what answers it, as far as the caller may see,
/// with the replies `limit` at a time (default 20, at most 100). The same few queries answer
/// every page, whatever the thread's size.
#[utoipa::path(get, path = "/api/v1/posts/{id}/context", tag = "posts",
    params(("id" = String, Path, description = "Post id"), PageParams),
    responses((status = 200, body = Context), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn context(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
    Query(paging): Query<PageParams>,
) -> Result<Json<Context>, ApiError> {
    let store = &content.store;
    let limit = paging.limit()? as usize;
    let after = paging
        .position()?
        .map(|p| p.parse::<PostId>().map_err(|_| ApiError::bad_cursor("is not a cursor this endpoint returned")))
        .transpose()?;
    let post = posts::visible(store, viewer.as_ref(), post_id(&id)?).await?;
    // One query for the whole thread, a walk in memory, one visibility check for all of it (a
    // reply the caller may not see leaves its own replies in place).
    let thread = posts::thread(store, post.root_id, MAX_THREAD).await?;
    let (ancestors, descendants) = rules::around(&post, &thread);
    let placed: Vec<_> = ancestors.iter().chain(&descendants).map(|p| (*p).clone()).collect();
    let visible: std::collections::HashSet<PostId> =
        posts::visible_among(store, viewer.as_ref(), placed).await?.iter().map(|p| p.id).collect();
    let ancestors: Vec<_> = ancestors.into_iter().filter(|p| visible.contains(&p.id)).collect();
    let descendants: Vec<_> = descendants.into_iter().filter(|p| visible.contains(&p.id)).collect();
    let start = match after {
        None => 0,
        Some(after) => match descendants.iter().position(|p| p.id == after) {
            Some(at) => at + 1,
            None => return Err(ApiError::bad_cursor("that reply is no longer in this thread")),
        },
    };
    let page: Vec<_> = descendants.iter().skip(start).take(limit).map(|p| (*p).clone()).collect();
    let more = descendants.len() > start + page.len();
    let next_cursor =
        more.then(|| page.last().map(|p| platform::http::pagination::encode_cursor(&p.id.to_string()))).flatten();
    let ancestors = if after.is_none() { ancestors.into_iter().cloned().collect() } else { Vec::new() };
    Ok(Json(Context {
        ancestors: views::render(store, viewer.as_ref(), ancestors).await?,
        descendants: views::render(store, viewer.as_ref(), page).await?,
        next_cursor,
    }))
}
