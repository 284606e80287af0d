//! Content's copies of other services' data, kept from their events: who the users are (for
//! authors and mentions) and who follows whom (for followers-only posts). A deleted user's
//! posts and likes are removed here, by the service that owns them.

use std::sync::Arc;

use async_trait::async_trait;
use platform::{
    Db,
    events::outbox::RelayHandle,
    events::{Event, EventHandler, inbox},
};
use serde::Deserialize;
use sqlx::Row;

use crate::{
    posts,
    views::{POST_SELECT, PostRow},
};

/// Applies identity's and graph's events to content's read models.
pub struct Consumer {
    pub db: Db,
    pub relay: RelayHandle,
}

pub const NAME: &str = "content.read-models";
pub const TOPICS: &[&str] = &["identity.user.>", "graph.follow.>"];

#[derive(Deserialize)]
struct UserEvent {
    user_id: uuid::Uuid,
    username: Option<String>,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct FollowEvent {
    follower_id: uuid::Uuid,
    followee_id: uuid::Uuid,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let mut tx = self.db.begin().await?;
        if !inbox::claim(&mut tx, NAME, event).await? {
            return Ok(());
        }
        let mut wrote_events = false;
        match event.topic.as_str() {
            "identity.user.registered" | "identity.user.updated" => {
                let user: UserEvent = event.decode()?;
                let username = user.username.unwrap_or_default();
                sqlx::query(
                    "INSERT INTO known_users (id, username, username_key, display_name, active) VALUES ($1, $2, $3, $4, TRUE) \
                     ON CONFLICT (id) DO UPDATE SET username = $2, username_key = $3, display_name = $4",
                )
                .bind(user.user_id.to_string())
                .bind(&username)
                .bind(username.to_ascii_lowercase())
                .bind(user.display_name.unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
            "identity.user.suspended" | "identity.user.restored" => {
                let user: UserEvent = event.decode()?;
                sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
                    .bind(event.topic.ends_with("restored"))
                    .bind(user.user_id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            "identity.user.deleted" => {
                let user: UserEvent = event.decode()?;
                let id = user.user_id.to_string();
                sqlx::query("UPDATE known_users SET active = FALSE, display_name = '' WHERE id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query(&format!("{POST_SELECT} WHERE p.author_id = $1 AND p.deleted_at_ms IS NULL"))
                    .bind(&id)
                    .fetch_all(&mut *tx)
                    .await?;
                for row in &rows {
                    posts::delete(&mut tx, &PostRow::from_row(row)?).await?;
                }
                // Their likes go too, and with them the counts they added.
                let liked =
                    sqlx::query("SELECT post_id FROM likes WHERE user_id = $1").bind(&id).fetch_all(&mut *tx).await?;
                for row in &liked {
                    sqlx::query("UPDATE posts SET likes_count = likes_count - 1 WHERE id = $1 AND likes_count > 0")
                        .bind(row.try_get::<i64, _>("post_id")?)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM likes WHERE user_id = $1").bind(&id).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM known_follows WHERE follower_id = $1 OR followee_id = $1")
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                wrote_events = !rows.is_empty();
            }
            "graph.follow.created" => {
                let follow: FollowEvent = event.decode()?;
                sqlx::query(
                    "INSERT INTO known_follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(follow.follower_id.to_string())
                .bind(follow.followee_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            "graph.follow.deleted" => {
                let follow: FollowEvent = event.decode()?;
                sqlx::query("DELETE FROM known_follows WHERE follower_id = $1 AND followee_id = $2")
                    .bind(follow.follower_id.to_string())
                    .bind(follow.followee_id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        if wrote_events {
            self.relay.wake();
        }
        Ok(())
    }
}

/// The subscription content makes.
pub fn subscription(db: &Db, relay: RelayHandle) -> platform::service::Subscription {
    platform::service::Subscription {
        consumer: NAME.to_owned(),
        topics: TOPICS.to_vec(),
        handler: Arc::new(Consumer { db: db.clone(), relay }),
    }
}
