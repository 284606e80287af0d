//! Posts and authors, kept from content's and identity's events, and the timelines they feed:
//! `public` (public posts), `tag:<tag>` (public posts with the tag) and `user:<id>` (public and
//! unlisted posts of a user). A deleted or hidden post leaves all of them.

use std::sync::Arc;

use async_trait::async_trait;
use platform::{
    events::{Event, EventHandler, inbox},
    ids::PostId,
};
use serde::Deserialize;
use timeline::TimelineKey;

use crate::Feed;

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
}

/// The timelines a post belongs to.
pub fn timelines_of(summary: &Summary) -> Vec<TimelineKey> {
    let mut keys = Vec::new();
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
        // Timelines are written before the commit. Their writes are idempotent, so if the commit
        // fails the redelivered event writes them again harmlessly; in the moment before the
        // commit a timeline may name a post the read model lacks, and reads skip such ids.
        match event.topic.as_str() {
            "content.post.created" | "content.post.edited" => {
                let Created { post } = event.decode()?;
                let summary: Summary = serde_json::from_value(post.clone())?;
                sqlx::query(
                    "INSERT INTO feed_posts (id, author_id, visibility, summary, created_at_ms) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (id) DO UPDATE SET visibility = $3, summary = $4",
                )
                .bind(summary.id as i64)
                .bind(&summary.author_id)
                .bind(&summary.visibility)
                .bind(post.to_string())
                .bind(summary.created_at_ms)
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
                    let id = PostId::from_u64(summary.id)?;
                    for key in timelines_of(&summary) {
                        let cap = if key.as_str() == "public" {
                            feed.config.timelines.public_cap
                        } else {
                            feed.config.timelines.cap
                        };
                        feed.timelines.push(std::slice::from_ref(&key), id, cap).await?;
                    }
                }
            }
            "content.post.deleted" | "content.post.hidden" => {
                let Removed { id } = event.decode()?;
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
                    feed.timelines.remove_everywhere(&timelines_of(&summary), PostId::from_u64(id)?).await?;
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
            _ => {}
        }
        tx.commit().await?;
        Ok(())
    }
}

pub fn subscription(feed: Arc<Feed>) -> platform::service::Subscription {
    platform::service::Subscription {
        consumer: NAME.to_owned(),
        topics: vec!["content.post.>", "identity.user.>"],
        handler: Arc::new(Consumer(feed)),
    }
}
