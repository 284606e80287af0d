//! Posts and authors, kept from content's and identity's events, and the timelines they feed:
//! `public` (public posts), `tag:<tag>` (public posts with the tag), `user:<id>` (public and
//! unlisted posts of a user) and `posts:<id>` (all of a user's posts, for home reads). A deleted
//! or hidden post leaves all of them.

use std::sync::Arc;

use async_trait::async_trait;
use platform::{
    events::{Event, EventHandler, inbox},
    ids::PostId,
};
use serde::Deserialize;
use timeline::TimelineKey;

use crate::{
    Feed,
    home::{self, Source},
};

pub const NAME: &str = "feed.read-model";

/// What the feed keeps of a post (a subset of content's summary; the rest is kept as JSON).
#[derive(Debug, Clone, Deserialize)]
pub struct Summary {
    pub id: u64,
    pub author_id: String,
    pub visibility: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at_ms: i64,
    #[serde(default)]
    pub reply_to_author_id: Option<String>,
    #[serde(default)]
    pub reply_to_id: Option<u64>,
    #[serde(default)]
    pub repost_of_id: Option<u64>,
}

impl Summary {
    /// The engagement counter this post adds to on the post it answers or reposts.
    fn engages(&self) -> Option<(&'static str, u64)> {
        match (self.repost_of_id, self.reply_to_id) {
            (Some(original), _) => Some(("reposts", original)),
            (None, Some(parent)) => Some(("replies", parent)),
            (None, None) => None,
        }
    }
}

/// Adds `delta` to an engagement counter (`likes`, `reposts`, `replies`) of a post.
async fn count(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    column: &str,
    post: u64,
    delta: i64,
) -> sqlx::Result<()> {
    sqlx::query(&format!("UPDATE feed_posts SET {column} = {column} + $2 WHERE id = $1 AND {column} + $2 >= 0"))
        .bind(post as i64)
        .bind(delta)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The timelines a post belongs to: `posts:<author>` holds every post of an author (what home
/// reads merge in for accounts too big to push), the others what their streams show.
pub fn timelines_of(summary: &Summary) -> Vec<TimelineKey> {
    let mut keys = vec![home::posts_key(&summary.author_id)];
    if summary.visibility == "public" || summary.visibility == "unlisted" {
        keys.push(TimelineKey::new(format!("user:{}", summary.author_id)));
    }
    if summary.visibility == "public" {
        keys.push(TimelineKey::new("public"));
        keys.extend(summary.tags.iter().map(|t| TimelineKey::new(format!("tag:{t}"))));
    }
    keys
}

struct Consumer(Arc<Feed>);

#[derive(Deserialize)]
struct Created {
    post: serde_json::Value,
}

#[derive(Deserialize)]
struct Removed {
    id: u64,
}

/// The two users of a graph event (which two depends on the edge).
#[derive(Deserialize)]
struct Edge {
    follower_id: Option<String>,
    followee_id: Option<String>,
    blocker_id: Option<String>,
    blocked_id: Option<String>,
    muter_id: Option<String>,
    muted_id: Option<String>,
}

#[derive(Deserialize)]
struct Like {
    post_id: u64,
    user_id: String,
    author_id: String,
}

#[derive(Deserialize)]
struct TagFollow {
    user_id: String,
    tag: String,
}

#[derive(Deserialize)]
struct User {
    user_id: uuid::Uuid,
    username: Option<String>,
    display_name: Option<String>,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let feed = &self.0;
        let mut tx = feed.db.begin().await?;
        if !inbox::claim(&mut tx, NAME, event).await? {
            return Ok(());
        }
        let mut live = None;
        // Cached copies this event changes, dropped once it is committed.
        let mut stale_post = None;
        let mut stale_author = None;
        let mut stale_relationships = Vec::new();
        // Timelines are written before the commit. Their writes are idempotent, so if the commit
        // fails the redelivered event writes them again harmlessly; in the moment before the
        // commit a timeline may name a post the read model lacks, and reads skip such ids.
        match event.topic.as_str() {
            "content.post.created" | "content.post.edited" => {
                let Created { post } = event.decode()?;
                let summary: Summary = serde_json::from_value(post.clone())?;
                stale_post = Some(summary.id);
                stale_author = Some(summary.author_id.clone());
                sqlx::query(
                    "INSERT INTO feed_posts (id, author_id, visibility, summary, created_at_ms, reply_to_author_id) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET visibility = $3, summary = $4",
                )
                .bind(summary.id as i64)
                .bind(&summary.author_id)
                .bind(&summary.visibility)
                .bind(post.to_string())
                .bind(summary.created_at_ms)
                .bind(&summary.reply_to_author_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM feed_post_tags WHERE post_id = $1")
                    .bind(summary.id as i64)
                    .execute(&mut *tx)
                    .await?;
                for tag in &summary.tags {
                    sqlx::query("INSERT INTO feed_post_tags (tag, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(tag)
                        .bind(summary.id as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                if event.topic.ends_with("created") {
                    if let Some((column, post)) = summary.engages() {
                        count(&mut tx, column, post, 1).await?;
                    }
                    let id = PostId::from_u64(summary.id)?;
                    let own = timelines_of(&summary);
                    for key in &own {
                        let cap = if key.as_str() == "public" {
                            feed.config.timelines.public_cap
                        } else {
                            feed.config.timelines.cap
                        };
                        feed.timelines.push(std::slice::from_ref(key), id, cap).await?;
                    }
                    let recipients = home::recipients(feed, &mut tx, &summary).await?;
                    home::fan_out(feed, &recipients, id).await?;
                    let mut timelines: std::collections::HashSet<String> =
                        own.iter().map(|k| k.as_str().to_owned()).collect();
                    timelines.extend(recipients.iter().map(|u| home::key(u).as_str().to_owned()));
                    live = Some(crate::live::NewPost {
                        post: id,
                        author: summary.author_id.clone(),
                        timelines: std::sync::Arc::new(timelines),
                    });
                }
            }
            "content.post.deleted" | "content.post.hidden" => {
                let Removed { id } = event.decode()?;
                stale_post = Some(id);
                let row = sqlx::query("SELECT summary FROM feed_posts WHERE id = $1")
                    .bind(id as i64)
                    .fetch_optional(&mut *tx)
                    .await?;
                sqlx::query("UPDATE feed_posts SET removed = TRUE WHERE id = $1")
                    .bind(id as i64)
                    .execute(&mut *tx)
                    .await?;
                if let Some(row) = row {
                    use sqlx::Row;
                    let summary: Summary = serde_json::from_str(&row.try_get::<String, _>("summary")?)?;
                    if let Some((column, post)) = summary.engages() {
                        count(&mut tx, column, post, -1).await?;
                    }
                    stale_author = Some(summary.author_id.clone());
                    let id = PostId::from_u64(id)?;
                    feed.timelines.remove_everywhere(&timelines_of(&summary), id).await?;
                    let recipients = home::recipients(feed, &mut tx, &summary).await?;
                    home::retract(feed, &recipients, id).await?;
                }
            }
            "content.post.liked" | "content.post.unliked" => {
                let like: Like = event.decode()?;
                let changed = if event.topic.ends_with("unliked") {
                    sqlx::query("DELETE FROM feed_likes WHERE post_id = $1 AND user_id = $2")
                        .bind(like.post_id as i64)
                        .bind(&like.user_id)
                        .execute(&mut *tx)
                        .await?
                } else {
                    sqlx::query(
                        "INSERT INTO feed_likes (post_id, user_id, author_id, created_at_ms) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(like.post_id as i64)
                    .bind(&like.user_id)
                    .bind(&like.author_id)
                    .bind(event.occurred_at_ms)
                    .execute(&mut *tx)
                    .await?
                };
                if changed.rows_affected() == 1 {
                    let delta = if event.topic.ends_with("unliked") { -1 } else { 1 };
                    count(&mut tx, "likes", like.post_id, delta).await?;
                }
            }
            "graph.tag_follow.created" | "graph.tag_follow.deleted" => {
                let TagFollow { user_id, tag } = event.decode()?;
                if event.topic.ends_with("created") {
                    sqlx::query("INSERT INTO feed_tag_follows (tag, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(&tag)
                        .bind(&user_id)
                        .execute(&mut *tx)
                        .await?;
                    home::merge(feed, &mut tx, &user_id, Source::Tag(&tag)).await?;
                } else {
                    sqlx::query("DELETE FROM feed_tag_follows WHERE tag = $1 AND user_id = $2")
                        .bind(&tag)
                        .bind(&user_id)
                        .execute(&mut *tx)
                        .await?;
                    home::unmerge(feed, &mut tx, &user_id, Source::Tag(&tag)).await?;
                }
            }
            "identity.user.registered" | "identity.user.updated" => {
                let user: User = event.decode()?;
                sqlx::query(
                    "INSERT INTO feed_authors (id, username, display_name) VALUES ($1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET username = $2, display_name = $3",
                )
                .bind(user.user_id.to_string())
                .bind(user.username.unwrap_or_default())
                .bind(user.display_name.unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
            "graph.follow.created" | "graph.follow.deleted" => {
                let edge: Edge = event.decode()?;
                let (follower, followee) = (edge.follower_id.unwrap_or_default(), edge.followee_id.unwrap_or_default());
                stale_relationships.push(follower.clone());
                if event.topic.ends_with("created") {
                    let added = sqlx::query(
                        "INSERT INTO feed_follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(&follower)
                    .bind(&followee)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if added == 1 {
                        home::count_follower(&mut tx, &followee, 1).await?;
                    }
                    home::merge(feed, &mut tx, &follower, Source::Author(&followee)).await?;
                } else {
                    let removed = sqlx::query("DELETE FROM feed_follows WHERE follower_id = $1 AND followee_id = $2")
                        .bind(&follower)
                        .bind(&followee)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if removed == 1 {
                        home::count_follower(&mut tx, &followee, -1).await?;
                    }
                    home::unmerge(feed, &mut tx, &follower, Source::Author(&followee)).await?;
                }
            }
            "graph.block.created" | "graph.block.deleted" | "graph.mute.created" | "graph.mute.deleted" => {
                let edge: Edge = event.decode()?;
                let (actor, target) = match (edge.blocker_id, edge.blocked_id, edge.muter_id, edge.muted_id) {
                    (Some(a), Some(b), _, _) | (_, _, Some(a), Some(b)) => (a, b),
                    _ => anyhow::bail!("{} without its two users", event.topic),
                };
                let block = event.topic.starts_with("graph.block");
                stale_relationships.extend([actor.clone(), target.clone()]);
                // A block hides both sides from each other; a mute hides one side.
                let mut hidden = vec![(actor.clone(), target.clone(), if block { "block" } else { "mute" })];
                if block {
                    hidden.push((target.clone(), actor.clone(), "blocked_by"));
                }
                for (user, author, reason) in hidden {
                    if event.topic.ends_with("created") {
                        sqlx::query(
                            "INSERT INTO feed_hidden_authors (user_id, author_id, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(&user)
                        .bind(&author)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?;
                        home::unmerge(feed, &mut tx, &user, Source::Author(&author)).await?;
                    } else {
                        sqlx::query(
                            "DELETE FROM feed_hidden_authors WHERE user_id = $1 AND author_id = $2 AND reason = $3",
                        )
                        .bind(&user)
                        .bind(&author)
                        .bind(reason)
                        .execute(&mut *tx)
                        .await?;
                        home::merge(feed, &mut tx, &user, Source::Author(&author)).await?;
                    }
                }
            }
            _ => {}
        }
        tx.commit().await?;
        if let Some(id) = stale_post {
            feed.caches.posts.remove(&id);
        }
        if let Some(author) = stale_author {
            feed.caches.recent.remove(&author);
        }
        for user in &stale_relationships {
            feed.caches.relationships_changed(user);
        }
        if let Some(new_post) = live {
            // Nobody listening is not an error.
            let _ = feed.live.send(new_post);
        }
        Ok(())
    }
}

pub fn subscription(feed: Arc<Feed>) -> platform::service::Subscription {
    platform::service::Subscription {
        consumer: NAME.to_owned(),
        topics: vec!["content.post.>", "identity.user.>", "graph.>"],
        handler: Arc::new(Consumer(feed)),
    }
}
