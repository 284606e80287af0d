//! `posts`, `post_edits` and `likes`: every change to posts, each one transaction with its
//! event (and, for moderators, their log entry).

use std::collections::HashSet;

use contracts::{
    PostId, Visibility,
    content::{ContentEvent, Like, PostRef, PostSnapshot},
};
use platform::{
    Change, Principal, StoreError,
    db::{RowExt, now_ms, placeholders, to_json},
};
use sqlx::{Row, any::AnyRow};
use text::Entities;
use uuid::Uuid;

use super::{Store, known};
use crate::domain::{
    ContentError,
    posts::{self as rules, Access, Blocks, Counts, NewPost, Post, access},
};

/// The columns [`post`] reads, joined with the author.
const POST_SELECT: &str = "SELECT p.id, p.author_id, p.text, p.visibility, p.language, p.reply_to_id, \
     p.reply_to_author_id, p.root_id, p.repost_of_id, p.entities, p.media_ids, p.origin_url, p.attachments, \
     p.replies_count, p.reposts_count, p.likes_count, p.created_at_ms, p.edited_at_ms, p.hidden_at_ms, \
     p.deleted_at_ms, u.username, u.display_name FROM posts p LEFT JOIN known_users u ON u.id = p.author_id";

fn post(row: &AnyRow) -> Result<Post, ContentError> {
    let visibility: String = row.try_get("visibility")?;
    Ok(Post {
        id: row.post_id("id")?,
        author_id: row.uuid("author_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        text: row.try_get("text")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| StoreError::decode("visibility", format!("unknown visibility {visibility}")))?,
        language: row.try_get("language")?,
        reply_to_id: row.opt_post_id("reply_to_id")?,
        reply_to_author_id: row.opt_uuid("reply_to_author_id")?,
        root_id: row.post_id("root_id")?,
        repost_of_id: row.opt_post_id("repost_of_id")?,
        entities: row.json("entities").unwrap_or_default(),
        media_ids: row.json("media_ids").unwrap_or_default(),
        origin_url: row.try_get("origin_url")?,
        attachments: row.json("attachments").unwrap_or_default(),
        counts: Counts {
            replies: row.try_get("replies_count")?,
            reposts: row.try_get("reposts_count")?,
            likes: row.try_get("likes_count")?,
        },
        created_at_ms: row.try_get("created_at_ms")?,
        edited_at_ms: row.try_get("edited_at_ms")?,
        hidden: row.try_get::<Option<i64>, _>("hidden_at_ms")?.is_some(),
        deleted: row.try_get::<Option<i64>, _>("deleted_at_ms")?.is_some(),
    })
}

async fn load<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: PostId,
) -> Result<Option<Post>, ContentError> {
    let row =
        sqlx::query(&format!("{POST_SELECT} WHERE p.id = $1")).bind(id.get() as i64).fetch_optional(executor).await?;
    row.as_ref().map(post).transpose()
}

/// A post, deleted or not, read inside `change`.
pub async fn get_in(change: &mut Change, id: PostId) -> Result<Option<Post>, ContentError> {
    load(change.conn(), id).await
}

/// A post, deleted or not.
pub async fn get(store: &Store, id: PostId) -> Result<Option<Post>, ContentError> {
    load(store.db().reader(), id).await
}

/// Posts by id (deleted ones too), in no particular order.
pub async fn many(store: &Store, ids: &[PostId]) -> Result<Vec<Post>, ContentError> {
    let mut posts = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!("{POST_SELECT} WHERE p.id IN ({})", placeholders(1, chunk.len()));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.get() as i64);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            posts.push(post(&row)?);
        }
    }
    Ok(posts)
}

/// Live posts (neither deleted nor hidden, reposts left out) after `after`, oldest first: the
/// pages another service rebuilds its copy from.
pub async fn live_page(store: &Store, after: Option<PostId>, limit: u32) -> Result<Vec<Post>, ContentError> {
    let sql = format!(
        "{POST_SELECT} WHERE p.id > $1 AND p.deleted_at_ms IS NULL AND p.hidden_at_ms IS NULL \
         AND p.repost_of_id IS NULL ORDER BY p.id LIMIT {limit}"
    );
    let after = after.map_or(0, |id| id.get() as i64);
    let rows = sqlx::query(&sql).bind(after).fetch_all(store.db().reader()).await?;
    rows.iter().map(post).collect()
}

/// How many posts [`live_page`] goes through.
pub async fn live_count(store: &Store) -> Result<u64, ContentError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM posts WHERE deleted_at_ms IS NULL AND hidden_at_ms IS NULL AND repost_of_id IS NULL",
    )
    .fetch_one(store.db().reader())
    .await?;
    Ok(row.try_get::<i64, _>("n")?.max(0) as u64)
}

/// Whether `viewer` may read `post` (see [`access`]), asking through `executor`: inside a
/// change, through the change, since a second pooled connection while holding one can exhaust
/// the pool.
async fn may_see(
    conn: &mut sqlx::AnyConnection,
    viewer: Option<&Principal>,
    post: &Post,
) -> Result<bool, ContentError> {
    let blocks = match viewer {
        Some(viewer) if !post.is_by(viewer.user_id) => {
            known::blocks(&mut *conn, viewer.user_id, post.author_id).await?
        }
        _ => Blocks::default(),
    };
    Ok(match access(viewer, post, blocks) {
        Access::Granted => true,
        Access::Denied => false,
        Access::IfFollower => match viewer {
            Some(viewer) => known::follows(&mut *conn, viewer.user_id, post.author_id).await?,
            None => false,
        },
    })
}

/// Refuses (403, saying why) a reply, like or repost of `post` by `user` across a block, either way.
async fn may_interact(conn: &mut sqlx::AnyConnection, user: Uuid, post: &Post) -> Result<(), ContentError> {
    if post.is_by(user) {
        return Ok(());
    }
    rules::may_interact(known::blocks(conn, user, post.author_id).await?)
}

/// Which of `posts` `viewer` may read, with one query for the viewer's blocks and one for all
/// the follows it takes.
pub async fn visible_among(
    store: &Store,
    viewer: Option<&Principal>,
    posts: Vec<Post>,
) -> Result<Vec<Post>, ContentError> {
    let Some(principal) = viewer else {
        return Ok(posts.into_iter().filter(|p| access(None, p, Blocks::default()) == Access::Granted).collect());
    };
    let (blocked, blockers) = known::blocks_of(store, principal.user_id).await?;
    let blocks_with = |author: Uuid| Blocks {
        viewer_blocks_author: blocked.contains(&author),
        author_blocks_viewer: blockers.contains(&author),
    };
    let accesses: Vec<Access> = posts.iter().map(|p| access(viewer, p, blocks_with(p.author_id))).collect();
    let mut authors: Vec<Uuid> =
        posts.iter().zip(&accesses).filter(|(_, a)| **a == Access::IfFollower).map(|(p, _)| p.author_id).collect();
    authors.sort_unstable();
    authors.dedup();
    let followed = known::followed_among(store, principal.user_id, &authors).await?;
    Ok(posts
        .into_iter()
        .zip(accesses)
        .filter(|(p, access)| match access {
            Access::Granted => true,
            Access::Denied => false,
            Access::IfFollower => followed.contains(&p.author_id),
        })
        .map(|(p, _)| p)
        .collect())
}

/// A post `viewer` may see; anything else is no such post (404), so that probing cannot tell a
/// private post from no post.
pub async fn visible(store: &Store, viewer: Option<&Principal>, id: PostId) -> Result<Post, ContentError> {
    let mut conn = store.db().reader().acquire().await?;
    match load(&mut *conn, id).await? {
        Some(post) if may_see(&mut conn, viewer, &post).await? => Ok(post),
        _ => Err(ContentError::NoSuchPost),
    }
}

/// Up to `limit` posts of the thread that starts at `root`, oldest first.
pub async fn thread(store: &Store, root: PostId, limit: i64) -> Result<Vec<Post>, ContentError> {
    let rows = sqlx::query(&format!("{POST_SELECT} WHERE p.root_id = $1 ORDER BY p.id LIMIT {limit}"))
        .bind(root.get() as i64)
        .fetch_all(store.db().reader())
        .await?;
    rows.iter().map(post).collect()
}

/// An earlier version of a post.
#[derive(Debug, Clone)]
pub struct Version {
    pub version: i64,
    pub text: String,
    pub language: Option<String>,
    pub replaced_at_ms: i64,
}

/// Earlier versions of an edited post, oldest first.
pub async fn history(store: &Store, id: PostId) -> Result<Vec<Version>, ContentError> {
    let rows =
        sqlx::query("SELECT version, text, language, edited_at_ms FROM post_edits WHERE post_id = $1 ORDER BY version")
            .bind(id.get() as i64)
            .fetch_all(store.db().reader())
            .await?;
    rows.iter()
        .map(|row| {
            Ok(Version {
                version: row.try_get("version")?,
                text: row.try_get("text")?,
                language: row.try_get("language")?,
                replaced_at_ms: row.try_get("edited_at_ms")?,
            })
        })
        .collect()
}

/// Which of `posts` `user` liked, in one query.
pub async fn liked_among(store: &Store, user: Uuid, posts: &[PostId]) -> Result<HashSet<PostId>, ContentError> {
    let mut liked = HashSet::new();
    for chunk in posts.chunks(500) {
        let sql =
            format!("SELECT post_id FROM likes WHERE user_id = $1 AND post_id IN ({})", placeholders(2, chunk.len()));
        let mut query = sqlx::query(&sql).bind(user.to_string());
        for id in chunk {
            query = query.bind(id.get() as i64);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            liked.insert(row.post_id("post_id")?);
        }
    }
    Ok(liked)
}

/// What creating a post answered.
#[derive(Debug)]
pub enum Created {
    /// The response to the new post (stored for its `Idempotency-Key`).
    New(serde_json::Value),
    /// An earlier request with the same key made it: its response.
    Replayed(u16, serde_json::Value),
}

/// Creates a post (or reply) by `author`. With `key` (an `Idempotency-Key` and the request's
/// fingerprint), `respond(post)` is stored in the same transaction, and a concurrent twin's
/// response is returned instead of a second post.
pub async fn create(
    store: &Store,
    author: &Principal,
    new: NewPost,
    key: Option<(&str, &str)>,
    respond: impl FnOnce(&Post) -> serde_json::Value,
) -> Result<Created, ContentError> {
    let id = store.ids().next();
    let now = now_ms();
    let entities = text::extract(&new.text);
    let mut change = store.writer().begin().await?;
    let (root_id, reply_to_author) = match new.reply_to {
        Some(parent_id) => {
            let parent = load(change.conn(), parent_id).await?.ok_or(ContentError::NoSuchParent)?;
            if !may_see(change.conn(), Some(author), &parent).await? {
                return Err(ContentError::NoSuchParent);
            }
            may_interact(change.conn(), author.user_id, &parent).await?;
            sqlx::query("UPDATE posts SET replies_count = replies_count + 1 WHERE id = $1")
                .bind(parent_id.get() as i64)
                .execute(change.conn())
                .await?;
            (parent.root_id, Some(parent.author_id))
        }
        None => (id, None),
    };
    let row = Inserted {
        id,
        author: author.user_id,
        root_id,
        reply_to_author,
        repost_of: None,
        created_at_ms: now,
        origin_url: None,
        attachments: Vec::new(),
    };
    insert(&mut change, &row, &new, &entities).await?;
    for media_id in &new.media_ids {
        let attached = sqlx::query("UPDATE media SET post_id = $1 WHERE id = $2 AND owner_id = $3 AND post_id IS NULL")
            .bind(id.get() as i64)
            .bind(media_id)
            .bind(author.user_id.to_string())
            .execute(change.conn())
            .await?
            .rows_affected();
        if attached != 1 {
            return Err(ContentError::Conflict(format!("media {media_id} was attached to another post meanwhile")));
        }
    }
    let post = load(change.conn(), id).await?.ok_or_else(|| anyhow::anyhow!("post vanished"))?;
    change.emit(&ContentEvent::PostCreated(PostSnapshot { post: post.summary(None) })).await?;
    let body = respond(&post);
    if let Some((key, fingerprint)) = key {
        match super::idempotency::remember(&mut change, author.user_id, key, fingerprint, 201, &body).await {
            Ok(()) => {}
            Err(ContentError::Store(StoreError::Conflict(_))) => {
                // A concurrent retry won: give its answer and drop this attempt.
                change.rollback().await?;
                let (status, body) = super::idempotency::replay(store, author.user_id, key, fingerprint)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("idempotent twin vanished"))?;
                return Ok(Created::Replayed(status, body));
            }
            Err(other) => return Err(other),
        }
    }
    change.commit().await?;
    Ok(Created::New(body))
}

/// The columns of a new row that are not in [`NewPost`].
pub(super) struct Inserted {
    pub id: PostId,
    pub author: Uuid,
    pub root_id: PostId,
    pub reply_to_author: Option<Uuid>,
    pub repost_of: Option<PostId>,
    pub created_at_ms: i64,
    /// A source's post: the original article and the files it refers to.
    pub origin_url: Option<String>,
    pub attachments: Vec<contracts::crawler::Attachment>,
}

pub(super) async fn insert(
    change: &mut Change,
    row: &Inserted,
    new: &NewPost,
    entities: &Entities,
) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO posts (id, author_id, text, visibility, language, reply_to_id, reply_to_author_id, root_id, \
         repost_of_id, entities, media_ids, created_at_ms, origin_url, attachments) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(row.id.get() as i64)
    .bind(row.author.to_string())
    .bind(&new.text)
    .bind(new.visibility.as_str())
    .bind(&new.language)
    .bind(new.reply_to.map(|p| p.get() as i64))
    .bind(row.reply_to_author.map(|a| a.to_string()))
    .bind(row.root_id.get() as i64)
    .bind(row.repost_of.map(|p| p.get() as i64))
    .bind(to_json(entities))
    .bind(to_json(&new.media_ids))
    .bind(row.created_at_ms)
    .bind(&row.origin_url)
    .bind(to_json(&row.attachments))
    .execute(change.conn())
    .await?;
    Ok(())
}

/// Edits a post's text (author only); the previous version goes to the history.
pub async fn edit(
    store: &Store,
    editor: &Principal,
    id: PostId,
    text: String,
    language: Option<String>,
) -> Result<Post, ContentError> {
    let mut change = store.writer().begin().await?;
    let post = load(change.conn(), id).await?.filter(|p| !p.deleted).ok_or(ContentError::NoSuchPost)?;
    if !post.is_by(editor.user_id) {
        return Err(ContentError::Forbidden("only the author can edit a post".into()));
    }
    if post.repost_of_id.is_some() {
        return Err(ContentError::field("text", "a repost has no text to edit"));
    }
    let entities = text::extract(&text);
    let post = edit_in(&mut change, post, &text, language, &entities).await?;
    change.commit().await?;
    Ok(post)
}

/// Replaces `post`'s text inside `change`, keeping the previous version in the history, with
/// its `content.post.edited` event.
pub(super) async fn edit_in(
    change: &mut Change,
    post: Post,
    text: &str,
    language: Option<String>,
    entities: &Entities,
) -> Result<Post, ContentError> {
    let id = post.id;
    let now = now_ms();
    let version: i64 = sqlx::query("SELECT COUNT(*) AS n FROM post_edits WHERE post_id = $1")
        .bind(id.get() as i64)
        .fetch_one(change.conn())
        .await?
        .try_get("n")?;
    sqlx::query("INSERT INTO post_edits (post_id, version, text, language, edited_at_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.get() as i64)
        .bind(version + 1)
        .bind(&post.text)
        .bind(&post.language)
        .bind(now)
        .execute(change.conn())
        .await?;
    sqlx::query("UPDATE posts SET text = $1, language = $2, entities = $3, edited_at_ms = $4 WHERE id = $5")
        .bind(text)
        .bind(language.or(post.language))
        .bind(to_json(entities))
        .bind(now)
        .bind(id.get() as i64)
        .execute(change.conn())
        .await?;
    let post = load(change.conn(), id).await?.ok_or(ContentError::NoSuchPost)?;
    change.emit(&ContentEvent::PostEdited(PostSnapshot { post: post.summary(None) })).await?;
    Ok(post)
}

/// Deletes a post for everyone, inside `change`: the row becomes a tombstone, counters of the post
/// it answered or reposted go down, its media go back to unattached (and are collected with
/// other unattached uploads), reposts of it go too, and a `content.post.deleted` event tells the
/// feed and search services to drop it everywhere.
pub async fn delete_in(change: &mut Change, post: &Post) -> Result<(), ContentError> {
    let now = now_ms();
    let mut pending = vec![post.clone()];
    while let Some(post) = pending.pop() {
        let changed = sqlx::query(
            "UPDATE posts SET deleted_at_ms = $1, text = '', entities = '{}', media_ids = '[]' \
             WHERE id = $2 AND deleted_at_ms IS NULL",
        )
        .bind(now)
        .bind(post.id.get() as i64)
        .execute(change.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            continue;
        }
        for (counter, of) in [("replies_count", post.reply_to_id), ("reposts_count", post.repost_of_id)] {
            if let Some(of) = of {
                sqlx::query(&format!("UPDATE posts SET {counter} = {counter} - 1 WHERE id = $1 AND {counter} > 0"))
                    .bind(of.get() as i64)
                    .execute(change.conn())
                    .await?;
            }
        }
        sqlx::query("UPDATE media SET post_id = NULL, created_at_ms = 0 WHERE post_id = $1")
            .bind(post.id.get() as i64)
            .execute(change.conn())
            .await?;
        change.emit(&ContentEvent::PostDeleted(PostRef { id: post.id, author_id: post.author_id })).await?;
        let reposts = sqlx::query(&format!("{POST_SELECT} WHERE p.repost_of_id = $1 AND p.deleted_at_ms IS NULL"))
            .bind(post.id.get() as i64)
            .fetch_all(change.conn())
            .await?;
        for repost in &reposts {
            pending.push(self::post(repost)?);
        }
    }
    Ok(())
}

/// Deletes a post for everyone; a moderator's deletion of another's post is logged.
pub async fn delete(store: &Store, caller: &Principal, post: &Post) -> Result<(), ContentError> {
    let mut change = store.writer().begin().await?;
    delete_in(&mut change, post).await?;
    if !post.is_by(caller.user_id) {
        super::moderation_log::record(&mut change, caller, "post_removed", post.id, None, "").await?;
    }
    Ok(change.commit().await?)
}

/// Deletes every post of a deleted user, and their likes with the counts they added.
pub async fn forget_author(change: &mut Change, user: Uuid) -> Result<(), ContentError> {
    let id = user.to_string();
    let rows = sqlx::query(&format!("{POST_SELECT} WHERE p.author_id = $1 AND p.deleted_at_ms IS NULL"))
        .bind(&id)
        .fetch_all(change.conn())
        .await?;
    for row in &rows {
        delete_in(change, &post(row)?).await?;
    }
    let liked = sqlx::query("SELECT post_id FROM likes WHERE user_id = $1").bind(&id).fetch_all(change.conn()).await?;
    for row in &liked {
        sqlx::query("UPDATE posts SET likes_count = likes_count - 1 WHERE id = $1 AND likes_count > 0")
            .bind(row.try_get::<i64, _>("post_id")?)
            .execute(change.conn())
            .await?;
    }
    sqlx::query("DELETE FROM likes WHERE user_id = $1").bind(&id).execute(change.conn()).await?;
    Ok(())
}

/// Hides a post from everyone but its author (and moderators), inside `change`.
pub async fn hide_in(change: &mut Change, post: &Post) -> Result<(), ContentError> {
    sqlx::query("UPDATE posts SET hidden_at_ms = $1 WHERE id = $2 AND hidden_at_ms IS NULL")
        .bind(now_ms())
        .bind(post.id.get() as i64)
        .execute(change.conn())
        .await?;
    change.emit(&ContentEvent::PostHidden(PostRef { id: post.id, author_id: post.author_id })).await?;
    Ok(())
}

/// Likes `post` (or takes the like back); liking twice changes nothing. Returns the post after.
pub async fn like(store: &Store, user: &Principal, post: &Post, like: bool) -> Result<Post, ContentError> {
    let mut change = store.writer().begin().await?;
    if like {
        may_interact(change.conn(), user.user_id, post).await?;
    }
    let id = post.id.get() as i64;
    let changed = if like {
        sqlx::query("INSERT INTO likes (post_id, user_id, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(user.user_id.to_string())
            .bind(now_ms())
            .execute(change.conn())
            .await?
    } else {
        sqlx::query("DELETE FROM likes WHERE post_id = $1 AND user_id = $2")
            .bind(id)
            .bind(user.user_id.to_string())
            .execute(change.conn())
            .await?
    }
    .rows_affected();
    if changed == 1 {
        let delta = if like { "+ 1" } else { "- 1" };
        sqlx::query(&format!("UPDATE posts SET likes_count = likes_count {delta} WHERE id = $1"))
            .bind(id)
            .execute(change.conn())
            .await?;
        let like_event = Like {
            post_id: post.id,
            user_id: user.user_id,
            author_id: post.author_id,
            tags: post.entities.tags.clone(),
        };
        let event = if like { ContentEvent::PostLiked(like_event) } else { ContentEvent::PostUnliked(like_event) };
        change.emit(&event).await?;
    }
    let after = load(change.conn(), post.id).await?.ok_or(ContentError::NoSuchPost)?;
    change.commit().await?;
    Ok(after)
}

/// Inserts `author`'s repost of `original`, with its event; the caller checked that they may.
pub async fn repost_in(
    store: &Store,
    change: &mut Change,
    author: Uuid,
    original: &Post,
) -> Result<PostId, ContentError> {
    let id = store.ids().next();
    let new = NewPost {
        text: String::new(),
        visibility: Visibility::Public,
        language: None,
        reply_to: None,
        media_ids: vec![],
    };
    let row = Inserted {
        id,
        author,
        root_id: id,
        reply_to_author: None,
        repost_of: Some(original.id),
        created_at_ms: now_ms(),
        origin_url: None,
        attachments: Vec::new(),
    };
    insert(change, &row, &new, &Entities::default()).await?;
    sqlx::query("UPDATE posts SET reposts_count = reposts_count + 1 WHERE id = $1")
        .bind(original.id.get() as i64)
        .execute(change.conn())
        .await?;
    let created = load(change.conn(), id).await?.ok_or(ContentError::NoSuchPost)?;
    let summary = created.summary(Some(original.author_id));
    change.emit(&ContentEvent::PostCreated(PostSnapshot { post: summary })).await?;
    Ok(id)
}

/// Reposts `original` (once per user), or takes the repost back. Returns the original after.
pub async fn repost(store: &Store, user: &Principal, original: &Post, repost: bool) -> Result<Post, ContentError> {
    let mut change = store.writer().begin().await?;
    let existing = sqlx::query(&format!(
        "{POST_SELECT} WHERE p.author_id = $1 AND p.repost_of_id = $2 AND p.deleted_at_ms IS NULL"
    ))
    .bind(user.user_id.to_string())
    .bind(original.id.get() as i64)
    .fetch_optional(change.conn())
    .await?
    .map(|row| post(&row))
    .transpose()?;
    match (repost, existing) {
        (true, None) => {
            may_interact(change.conn(), user.user_id, original).await?;
            repost_in(store, &mut change, user.user_id, original).await?;
        }
        (false, Some(existing)) => delete_in(&mut change, &existing).await?,
        // Already in the requested state.
        _ => {}
    }
    let after = load(change.conn(), original.id).await?.ok_or(ContentError::NoSuchPost)?;
    change.commit().await?;
    Ok(after)
}
