//! Posts: create, read, edit, delete, edit history, thread context.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use platform::{
    ApiError, Principal, Role, StoreError,
    db::from_ms,
    http::{FieldError, Json, Path, Problem},
    ids::PostId,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use super::post_id;
use crate::{
    Content, idempotency, moderation_log,
    posts::{self, NewPost},
    views::{POST_SELECT, PostRow, PostView, Visibility},
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    /// Up to `content.max_post_chars` characters (500 by default), counted as Unicode characters.
    text: String,
    #[serde(default)]
    visibility: Visibility,
    /// A language tag such as `en` or `zh-Hans`.
    language: Option<String>,
    /// The post this one answers.
    reply_to_id: Option<String>,
    /// Up to `content.max_media_per_post` ids of media the author uploaded.
    #[serde(default)]
    media_ids: Vec<String>,
}

/// Publishes a post or a reply. Send an `Idempotency-Key` header to make retries safe: a retry
/// with the same key returns the first response instead of posting twice.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])), request_body = CreatePost,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes the request safe to retry")),
    responses((status = 201, body = PostView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn create(
    State(content): State<Arc<Content>>,
    author: Principal,
    headers: HeaderMap,
    Json(request): Json<CreatePost>,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let fingerprint = idempotency::fingerprint(&request);
    if let Some(key) = &key
        && let Some((status, body)) = idempotency::replay(&content, &author, key, &fingerprint).await?
    {
        return Ok((status, axum::Json(body)).into_response());
    }

    let mut errors = Vec::new();
    posts::check_text(&content, &request.text, request.language.as_deref(), &mut errors);
    let reply_to = match request.reply_to_id.as_deref().map(str::parse::<PostId>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            errors.push(FieldError::new("reply_to_id", "no such post"));
            None
        }
        None => None,
    };
    let max_media = content.config.content.max_media_per_post;
    if request.media_ids.len() > max_media {
        errors.push(FieldError::new("media_ids", format!("at most {max_media} attachments")));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut unique = request.media_ids.clone();
    unique.sort();
    unique.dedup();
    if unique.len() != request.media_ids.len() {
        return Err(ApiError::invalid_field("media_ids", "lists the same media twice"));
    }
    for id in &request.media_ids {
        match crate::media::load(&content, id).await? {
            Some(media) if media.owner_id == author.user_id.to_string() => {
                if media.post_id.is_some() {
                    return Err(ApiError::invalid_field("media_ids", format!("{id} is already attached to a post")));
                }
            }
            _ => return Err(ApiError::forbidden(format!("media {id} is not one of your uploads"))),
        }
    }

    let new = NewPost {
        text: request.text.clone(),
        visibility: request.visibility,
        language: request.language.clone(),
        reply_to,
        media_ids: request.media_ids.clone(),
    };
    let mut tx = content.db.begin().await?;
    let row = posts::create(&mut tx, &author, new).await?;
    // A new post has no likes and is no repost: its view needs no further reads (and must not
    // take a second connection while the transaction holds one).
    let body = serde_json::to_value(row.view(Some(false), None)).map_err(anyhow::Error::from)?;
    if let Some(key) = &key {
        match idempotency::remember(&mut tx, &author, key, &fingerprint, StatusCode::CREATED, &body).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                // A concurrent retry won: give its answer and drop this attempt.
                tx.rollback().await?;
                let (status, body) = idempotency::replay(&content, &author, key, &fingerprint)
                    .await?
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("idempotent twin vanished")))?;
                return Ok((status, axum::Json(body)).into_response());
            }
            Err(other) => return Err(other.into()),
        }
    }
    tx.commit().await?;
    content.relay.wake();
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
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
    let post = posts::visible(&content, viewer.as_ref(), post_id(&id)?).await?;
    let view = posts::render(&content, viewer.as_ref(), vec![post]).await?.pop();
    view.map(Json).ok_or_else(|| ApiError::not_found("no such post"))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditPost {
    text: String,
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
    posts::visible(&content, Some(&editor), id).await?;
    let mut errors = Vec::new();
    posts::check_text(&content, &request.text, request.language.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = posts::edit(&content, &editor, id, request.text, request.language).await?;
    let view = posts::render(&content, Some(&editor), vec![row]).await?.pop();
    view.map(Json).ok_or_else(|| ApiError::not_found("no such post"))
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
    let post = posts::visible(&content, Some(&caller), post_id(&id)?).await?;
    let is_author = post.author_id == caller.user_id.to_string();
    if !is_author && caller.role < Role::Moderator {
        return Err(ApiError::forbidden("only the author or a moderator can delete a post"));
    }
    let mut tx = content.db.begin().await?;
    posts::delete(&mut tx, &post).await?;
    if !is_author {
        moderation_log::record(&mut tx, &caller, "post_removed", post.id, None, "").await?;
    }
    tx.commit().await?;
    content.relay.wake();
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
    let post = posts::visible(&content, viewer.as_ref(), post_id(&id)?).await?;
    let rows =
        sqlx::query("SELECT version, text, language, edited_at_ms FROM post_edits WHERE post_id = $1 ORDER BY version")
            .bind(post.id.get() as i64)
            .fetch_all(content.db.reader())
            .await?;
    let versions = rows
        .iter()
        .map(|row| {
            Ok(Version {
                version: row.try_get("version")?,
                text: row.try_get("text")?,
                language: row.try_get("language")?,
                replaced_at: from_ms(row.try_get("edited_at_ms")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Json(versions))
}

/// A post's place in its thread.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Context {
    /// From the thread's first post down to the parent.
    ancestors: Vec<PostView>,
    /// Every reply below the post, in thread order (depth first, oldest first).
    descendants: Vec<PostView>,
}

/// How far up a thread the ancestors are followed, and how many posts of one thread are read.
const MAX_DEPTH: usize = 256;
const MAX_THREAD: i64 = 2_000;

/// The thread around a post: what it answers and what answers it, as far as the caller may see.
#[utoipa::path(get, path = "/api/v1/posts/{id}/context", tag = "posts",
    params(("id" = String, Path, description = "Post id")),
    responses((status = 200, body = Context), (status = 404, body = Problem)))]
pub(super) async fn context(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Context>, ApiError> {
    let post = posts::visible(&content, viewer.as_ref(), post_id(&id)?).await?;
    // One query for the whole thread, then walk it in memory.
    let rows = sqlx::query(&format!("{POST_SELECT} WHERE p.root_id = $1 ORDER BY p.id LIMIT {MAX_THREAD}"))
        .bind(post.root_id.get() as i64)
        .fetch_all(content.db.reader())
        .await?;
    let thread: HashMap<PostId, PostRow> =
        rows.iter().map(|r| PostRow::from_row(r).map(|p| (p.id, p))).collect::<Result<_, _>>()?;

    let mut ancestors = Vec::new();
    let mut cursor = post.reply_to_id;
    while let Some(id) = cursor.filter(|_| ancestors.len() < MAX_DEPTH) {
        let Some(parent) = thread.get(&id) else { break };
        cursor = parent.reply_to_id;
        ancestors.push(parent.clone());
    }
    ancestors.reverse();

    let mut children: HashMap<PostId, Vec<&PostRow>> = HashMap::new();
    for reply in thread.values() {
        if let Some(parent) = reply.reply_to_id {
            children.entry(parent).or_default().push(reply);
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|p| p.id);
    }
    let mut descendants = Vec::new();
    let mut stack: Vec<&PostRow> =
        children.get(&post.id).map(|c| c.iter().rev().copied().collect()).unwrap_or_default();
    while let Some(reply) = stack.pop() {
        descendants.push(reply.clone());
        if let Some(grandchildren) = children.get(&reply.id) {
            stack.extend(grandchildren.iter().rev());
        }
    }

    let mut visible_ancestors = Vec::new();
    for row in ancestors {
        if posts::can_see(content.db.reader(), viewer.as_ref(), &row).await? {
            visible_ancestors.push(row);
        }
    }
    let mut visible_descendants = Vec::new();
    for row in descendants {
        if posts::can_see(content.db.reader(), viewer.as_ref(), &row).await? {
            visible_descendants.push(row);
        }
    }
    Ok(Json(Context {
        ancestors: posts::render(&content, viewer.as_ref(), visible_ancestors).await?,
        descendants: posts::render(&content, viewer.as_ref(), visible_descendants).await?,
    }))
}
