//! `crawled_entries`: the posts of sources, made from the crawler's entries inside the
//! consumer's change. The entry id is the key, so a redelivered entry is still one post.

use contracts::{
    PostId,
    content::{ContentEvent, PostSnapshot, PostSummary},
    crawler::Entry,
};
use platform::{
    Change,
    db::{RowExt, now_ms, to_json},
};

use super::{
    Store,
    posts::{self, Inserted},
};
use crate::{config::ContentConfig, domain::ContentError, domain::crawled};

/// The post made from entry `entry_id`, if any.
async fn post_of(change: &mut Change, entry_id: uuid::Uuid) -> Result<Option<PostId>, ContentError> {
    let row = sqlx::query("SELECT post_id FROM crawled_entries WHERE entry_id = $1")
        .bind(entry_id.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(row.map(|r| r.post_id("post_id")).transpose()?)
}

/// Publishes `entry` as a public post by its source's account; nothing when it already is one.
/// The same article published by another source before (`same_as`) is not copied: this source
/// reposts that post, so it is one post, shown with both sources.
pub async fn publish(
    store: &Store,
    change: &mut Change,
    limits: &ContentConfig,
    entry: &Entry,
) -> Result<(), ContentError> {
    if post_of(change, entry.entry_id).await?.is_some() {
        return Ok(());
    }
    if let Some(first) = entry.same_as
        && let Some(original) = post_of(change, first).await?
        && let Some(original) = posts::get_in(change, original).await?.filter(|p| !p.deleted)
    {
        let id = posts::repost_in(store, change, entry.account_id, &original).await?;
        return remember(change, entry, id).await;
    }
    let new = crawled::new_post(limits, entry);
    if new.text.trim().is_empty() {
        return Ok(());
    }
    let entities = crawled::entities(limits, &new.text);
    let id = store.ids().next();
    let row = Inserted {
        id,
        author: entry.account_id,
        root_id: id,
        reply_to_author: None,
        repost_of: None,
        created_at_ms: now_ms(),
        origin_url: entry.url.clone(),
        attachments: entry.attachments.clone(),
    };
    posts::insert(change, &row, &new, &entities).await?;
    remember(change, entry, id).await?;
    // What was just inserted, without reading it back: a backfill makes thousands of these.
    let post = PostSummary {
        id,
        author_id: entry.account_id,
        text: new.text,
        visibility: new.visibility,
        language: new.language,
        reply_to_id: None,
        reply_to_author_id: None,
        root_id: id,
        repost_of_id: None,
        repost_of_author_id: None,
        tags: entities.tags,
        mentions: entities.mentions,
        links: entities.links,
        media_ids: Vec::new(),
        created_at_ms: row.created_at_ms,
    };
    change.emit(&ContentEvent::PostCreated(PostSnapshot { post })).await?;
    Ok(())
}

async fn remember(change: &mut Change, entry: &Entry, post: PostId) -> Result<(), ContentError> {
    sqlx::query("INSERT INTO crawled_entries (entry_id, post_id) VALUES ($1, $2)")
        .bind(entry.entry_id.to_string())
        .bind(post.get() as i64)
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Edits the post of a revised entry (publishes it if the first version never arrived); a post
/// deleted meanwhile stays deleted.
pub async fn revise(
    store: &Store,
    change: &mut Change,
    limits: &ContentConfig,
    entry: &Entry,
) -> Result<(), ContentError> {
    let Some(id) = post_of(change, entry.entry_id).await? else {
        return publish(store, change, limits, entry).await;
    };
    // A repost of the same article from another source has nothing of its own to edit.
    let Some(post) = posts::get_in(change, id).await?.filter(|p| !p.deleted && p.repost_of_id.is_none()) else {
        return Ok(());
    };
    let new = crawled::new_post(limits, entry);
    if new.text == post.text || new.text.trim().is_empty() {
        return Ok(());
    }
    let entities = crawled::entities(limits, &new.text);
    sqlx::query("UPDATE posts SET origin_url = $1, attachments = $2 WHERE id = $3")
        .bind(&entry.url)
        .bind(to_json(&entry.attachments))
        .bind(id.get() as i64)
        .execute(change.conn())
        .await?;
    posts::edit_in(change, post, &new.text, new.language, &entities).await?;
    Ok(())
}
