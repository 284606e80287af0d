//! What can happen to posts: each change one transaction with its event (and, for moderators,
//! its log entry). Handlers and event consumers both call these.

use platform::{ApiError, Principal, Role, StoreError, db::now_ms, events::outbox, http::FieldError, ids::PostId};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};

use crate::{
    Content,
    text::{self, Entities},
    views::{POST_SELECT, PostRow, PostView, Visibility},
};

/// What other services learn about a post, enough to keep their own read models (feed
/// timelines, search index) without calling back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostSummary {
    pub id: u64,
    pub author_id: String,
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to_id: Option<u64>,
    pub reply_to_author_id: Option<String>,
    pub root_id: u64,
    pub repost_of_id: Option<u64>,
    pub repost_of_author_id: Option<String>,
    pub tags: Vec<String>,
    pub mentions: Vec<String>,
    pub links: Vec<String>,
    pub media_ids: Vec<String>,
    pub created_at_ms: i64,
}

impl PostSummary {
    fn of(row: &PostRow, repost_of_author_id: Option<String>) -> Self {
        Self {
            id: row.id.get(),
            author_id: row.author_id.clone(),
            text: row.text.clone(),
            visibility: row.visibility,
            language: row.language.clone(),
            reply_to_id: row.reply_to_id.map(PostId::get),
            reply_to_author_id: row.reply_to_author_id.clone(),
            root_id: row.root_id.get(),
            repost_of_id: row.repost_of_id.map(PostId::get),
            repost_of_author_id,
            tags: row.entities.tags.clone(),
            mentions: row.entities.mentions.clone(),
            links: row.entities.links.clone(),
            media_ids: row.media_ids.clone(),
            created_at_ms: row.created_at_ms,
        }
    }
}

/// Loads a post, deleted or not.
pub async fn load<'e, E: sqlx::Executor<'e, Database = Any>>(
    executor: E,
    id: PostId,
) -> Result<Option<PostRow>, StoreError> {
    let row = sqlx::query(&format!("{POST_SELECT} WHERE p.id = $1"))
        .bind(id.get() as i64)
        .fetch_optional(executor)
        .await
        .map_err(StoreError::from_sqlx)?;
    row.as_ref().map(PostRow::from_row).transpose().map_err(StoreError::from_sqlx)
}

/// Whether `viewer` may read `post`. Anything they may not read is answered as if it did not
/// exist (404), so that probing cannot tell a private post from no post.
///
/// Takes an executor rather than the pool so that code inside a transaction asks through the
/// transaction: taking a second pooled connection while holding one can exhaust the pool.
pub async fn can_see<'e, E: sqlx::Executor<'e, Database = Any>>(
    executor: E,
    viewer: Option<&Principal>,
    post: &PostRow,
) -> Result<bool, StoreError> {
    if post.deleted {
        return Ok(false);
    }
    let is_author = viewer.is_some_and(|v| v.user_id.to_string() == post.author_id);
    let is_moderator = viewer.is_some_and(|v| v.role >= Role::Moderator);
    if post.hidden && !is_author && !is_moderator {
        return Ok(false);
    }
    match post.visibility {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        Visibility::Followers if is_author || is_moderator => Ok(true),
        Visibility::Followers => match viewer {
            None => Ok(false),
            Some(viewer) => {
                let follows = sqlx::query("SELECT 1 FROM known_follows WHERE followee_id = $1 AND follower_id = $2")
                    .bind(&post.author_id)
                    .bind(viewer.user_id.to_string())
                    .fetch_optional(executor)
                    .await
                    .map_err(StoreError::from_sqlx)?;
                Ok(follows.is_some())
            }
        },
    }
}

/// Loads a post `viewer` may see, or 404.
pub async fn visible(content: &Content, viewer: Option<&Principal>, id: PostId) -> Result<PostRow, ApiError> {
    match load(content.db.reader(), id).await? {
        Some(post) if can_see(content.db.reader(), viewer, &post).await? => Ok(post),
        _ => Err(ApiError::not_found("no such post")),
    }
}

/// Renders posts for `viewer`: reposts with their original, and whether the viewer liked each.
pub async fn render(
    content: &Content,
    viewer: Option<&Principal>,
    rows: Vec<PostRow>,
) -> Result<Vec<PostView>, ApiError> {
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let original = match row.repost_of_id {
            Some(original) => match load(content.db.reader(), original).await? {
                Some(original) if can_see(content.db.reader(), viewer, &original).await? => {
                    Some(original.view(liked(content, viewer, original.id).await?, None))
                }
                // The original is gone or not for this viewer: so is the repost.
                _ => continue,
            },
            None => None,
        };
        let liked = liked(content, viewer, row.id).await?;
        views.push(row.view(liked, original));
    }
    Ok(views)
}

async fn liked(content: &Content, viewer: Option<&Principal>, post: PostId) -> Result<Option<bool>, StoreError> {
    let Some(viewer) = viewer else { return Ok(None) };
    let row = sqlx::query("SELECT 1 FROM likes WHERE post_id = $1 AND user_id = $2")
        .bind(post.get() as i64)
        .bind(viewer.user_id.to_string())
        .fetch_optional(content.db.reader())
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(Some(row.is_some()))
}

/// A validated new post.
#[derive(Debug)]
pub struct NewPost {
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to: Option<PostId>,
    pub media_ids: Vec<String>,
}

/// Checks text length and language; collects every problem.
pub fn check_text(content: &Content, text: &str, language: Option<&str>, errors: &mut Vec<FieldError>) {
    let max = content.config.content.max_post_chars;
    let count = text::char_count(text);
    if text.trim().is_empty() {
        errors.push(FieldError::new("text", "must not be empty"));
    } else if count > max {
        errors.push(FieldError::new("text", format!("is {count} characters; the limit is {max}")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new("text", "must not contain control characters"));
    }
    if let Some(language) = language {
        let valid = !language.is_empty()
            && language.len() <= 35
            && language.split('-').enumerate().all(|(i, part)| {
                let ok_len = if i == 0 { (2..=3).contains(&part.len()) } else { (1..=8).contains(&part.len()) };
                ok_len && part.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if !valid {
            errors.push(FieldError::new("language", "must be a language tag such as `en` or `zh-Hans`"));
        }
    }
}

/// Creates a post (or reply) by `author` inside `tx`; the caller commits.
pub async fn create(tx: &mut Transaction<'static, Any>, author: &Principal, new: NewPost) -> Result<PostRow, ApiError> {
    let id = PostId::generate();
    let now = now_ms();
    let entities = text::extract(&new.text);
    let (root_id, reply_to_author) = match new.reply_to {
        Some(parent_id) => {
            let no_such = || ApiError::invalid_field("reply_to_id", "no such post");
            let parent = load(&mut **tx, parent_id).await?.ok_or_else(no_such)?;
            if !can_see(&mut **tx, Some(author), &parent).await? {
                return Err(no_such());
            }
            sqlx::query("UPDATE posts SET replies_count = replies_count + 1 WHERE id = $1")
                .bind(parent_id.get() as i64)
                .execute(&mut **tx)
                .await?;
            (parent.root_id, Some(parent.author_id))
        }
        None => (id, None),
    };
    insert(tx, id, &author.user_id.to_string(), &new, root_id, reply_to_author.as_deref(), None, &entities, now)
        .await?;
    for media_id in &new.media_ids {
        let attached = sqlx::query("UPDATE media SET post_id = $1 WHERE id = $2 AND owner_id = $3 AND post_id IS NULL")
            .bind(id.get() as i64)
            .bind(media_id)
            .bind(author.user_id.to_string())
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if attached != 1 {
            return Err(ApiError::conflict(format!("media {media_id} was attached to another post meanwhile")));
        }
    }
    let row = load(&mut **tx, id).await?.ok_or_else(|| ApiError::internal(anyhow::anyhow!("post vanished")))?;
    let payload = serde_json::json!({ "post": PostSummary::of(&row, None) });
    outbox::enqueue(tx, "content.post.created", &payload).await?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    tx: &mut Transaction<'static, Any>,
    id: PostId,
    author_id: &str,
    new: &NewPost,
    root_id: PostId,
    reply_to_author: Option<&str>,
    repost_of: Option<PostId>,
    entities: &Entities,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO posts (id, author_id, text, visibility, language, reply_to_id, reply_to_author_id, root_id, \
         repost_of_id, entities, media_ids, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id.get() as i64)
    .bind(author_id)
    .bind(&new.text)
    .bind(new.visibility.as_str())
    .bind(&new.language)
    .bind(new.reply_to.map(|p| p.get() as i64))
    .bind(reply_to_author)
    .bind(root_id.get() as i64)
    .bind(repost_of.map(|p| p.get() as i64))
    .bind(serde_json::to_string(entities).expect("entities serialize"))
    .bind(serde_json::to_string(&new.media_ids).expect("ids serialize"))
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

/// Edits a post's text (author only); the previous version goes to the history.
pub async fn edit(
    content: &Content,
    editor: &Principal,
    id: PostId,
    text: String,
    language: Option<String>,
) -> Result<PostRow, ApiError> {
    let mut tx = content.db.begin().await?;
    let post = load(&mut *tx, id).await?.filter(|p| !p.deleted).ok_or_else(|| ApiError::not_found("no such post"))?;
    if post.author_id != editor.user_id.to_string() {
        return Err(ApiError::forbidden("only the author can edit a post"));
    }
    if post.repost_of_id.is_some() {
        return Err(ApiError::invalid_field("text", "a repost has no text to edit"));
    }
    let now = now_ms();
    let version: i64 = sqlx::query("SELECT COUNT(*) AS n FROM post_edits WHERE post_id = $1")
        .bind(id.get() as i64)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    sqlx::query("INSERT INTO post_edits (post_id, version, text, language, edited_at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.get() as i64)
        .bind(version + 1)
        .bind(&post.text)
        .bind(&post.language)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let entities = text::extract(&text);
    sqlx::query("UPDATE posts SET text = $1, language = $2, entities = $3, edited_at_ms = $4 WHERE id = $5")
        .bind(&text)
        .bind(language.or(post.language))
        .bind(serde_json::to_string(&entities).expect("entities serialize"))
        .bind(now)
        .bind(id.get() as i64)
        .execute(&mut *tx)
        .await?;
    let row = load(&mut *tx, id).await?.ok_or_else(|| ApiError::not_found("no such post"))?;
    outbox::enqueue(&mut tx, "content.post.edited", &serde_json::json!({ "post": PostSummary::of(&row, None) }))
        .await?;
    tx.commit().await?;
    content.relay.wake();
    Ok(row)
}

/// Deletes a post for everyone: the row becomes a tombstone, counters of the post it answered
/// or reposted go down, reposts of it go too, and a `content.post.deleted` event tells the feed
/// and search services to drop it everywhere.
pub async fn delete(tx: &mut Transaction<'static, Any>, post: &PostRow) -> Result<(), StoreError> {
    let now = now_ms();
    let mut pending = vec![post.clone()];
    while let Some(post) = pending.pop() {
        let changed = sqlx::query(
            "UPDATE posts SET deleted_at_ms = $1, text = '', entities = '{}', media_ids = '[]' \
             WHERE id = $2 AND deleted_at_ms IS NULL",
        )
        .bind(now)
        .bind(post.id.get() as i64)
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from_sqlx)?
        .rows_affected();
        if changed == 0 {
            continue;
        }
        if let Some(parent) = post.reply_to_id {
            sqlx::query("UPDATE posts SET replies_count = replies_count - 1 WHERE id = $1 AND replies_count > 0")
                .bind(parent.get() as i64)
                .execute(&mut **tx)
                .await
                .map_err(StoreError::from_sqlx)?;
        }
        if let Some(original) = post.repost_of_id {
            sqlx::query("UPDATE posts SET reposts_count = reposts_count - 1 WHERE id = $1 AND reposts_count > 0")
                .bind(original.get() as i64)
                .execute(&mut **tx)
                .await
                .map_err(StoreError::from_sqlx)?;
        }
        // Its media go back to unattached, and are collected with other unattached uploads.
        sqlx::query("UPDATE media SET post_id = NULL, created_at_ms = 0 WHERE post_id = $1")
            .bind(post.id.get() as i64)
            .execute(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        let payload = serde_json::json!({ "id": post.id.get(), "author_id": post.author_id });
        outbox::enqueue(tx, "content.post.deleted", &payload).await?;
        let reposts = sqlx::query(&format!("{POST_SELECT} WHERE p.repost_of_id = $1 AND p.deleted_at_ms IS NULL"))
            .bind(post.id.get() as i64)
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        for repost in &reposts {
            pending.push(PostRow::from_row(repost).map_err(StoreError::from_sqlx)?);
        }
    }
    Ok(())
}

/// Likes a post; liking twice changes nothing. Returns the post as it is after.
pub async fn like(content: &Content, user: &Principal, id: PostId, like: bool) -> Result<PostRow, ApiError> {
    let post = visible(content, Some(user), id).await?;
    let mut tx = content.db.begin().await?;
    let user_id = user.user_id.to_string();
    let changed = if like {
        sqlx::query("INSERT INTO likes (post_id, user_id, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id.get() as i64)
            .bind(&user_id)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
            .rows_affected()
    } else {
        sqlx::query("DELETE FROM likes WHERE post_id = $1 AND user_id = $2")
            .bind(id.get() as i64)
            .bind(&user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
    };
    if changed == 1 {
        let delta = if like { "+ 1" } else { "- 1" };
        sqlx::query(&format!("UPDATE posts SET likes_count = likes_count {delta} WHERE id = $1"))
            .bind(id.get() as i64)
            .execute(&mut *tx)
            .await?;
        let topic = if like { "content.post.liked" } else { "content.post.unliked" };
        let payload = serde_json::json!({ "post_id": id.get(), "user_id": user_id, "author_id": post.author_id,
                                          "tags": post.entities.tags });
        outbox::enqueue(&mut tx, topic, &payload).await?;
    }
    let row = load(&mut *tx, id).await?.ok_or_else(|| ApiError::not_found("no such post"))?;
    tx.commit().await?;
    content.relay.wake();
    Ok(row)
}

/// Reposts a post (once per user), or takes the repost back.
pub async fn repost(content: &Content, user: &Principal, id: PostId, repost: bool) -> Result<PostRow, ApiError> {
    let original = visible(content, Some(user), id).await?;
    if original.repost_of_id.is_some() {
        return Err(ApiError::invalid_field("id", "repost the original post, not a repost"));
    }
    if original.visibility == Visibility::Followers {
        return Err(ApiError::forbidden("followers-only posts cannot be reposted"));
    }
    let user_id = user.user_id.to_string();
    let mut tx = content.db.begin().await?;
    let existing = sqlx::query(&format!(
        "{POST_SELECT} WHERE p.author_id = $1 AND p.repost_of_id = $2 AND p.deleted_at_ms IS NULL"
    ))
    .bind(&user_id)
    .bind(id.get() as i64)
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| PostRow::from_row(&row))
    .transpose()?;
    match (repost, existing) {
        (true, None) => {
            let repost_id = PostId::generate();
            let new = NewPost {
                text: String::new(),
                visibility: Visibility::Public,
                language: None,
                reply_to: None,
                media_ids: vec![],
            };
            insert(&mut tx, repost_id, &user_id, &new, repost_id, None, Some(id), &Entities::default(), now_ms())
                .await?;
            sqlx::query("UPDATE posts SET reposts_count = reposts_count + 1 WHERE id = $1")
                .bind(id.get() as i64)
                .execute(&mut *tx)
                .await?;
            let row = load(&mut *tx, repost_id).await?.ok_or_else(|| ApiError::not_found("no such post"))?;
            let payload = serde_json::json!({ "post": PostSummary::of(&row, Some(original.author_id.clone())) });
            outbox::enqueue(&mut tx, "content.post.created", &payload).await?;
        }
        (false, Some(existing)) => delete(&mut tx, &existing).await?,
        // Already in the requested state.
        _ => {}
    }
    let row = load(&mut *tx, id).await?.ok_or_else(|| ApiError::not_found("no such post"))?;
    tx.commit().await?;
    content.relay.wake();
    Ok(row)
}
