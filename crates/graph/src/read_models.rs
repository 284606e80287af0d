//! Which users exist, from identity's events; a deleted user's edges are removed.

use std::sync::Arc;

use async_trait::async_trait;
use platform::events::{Event, EventHandler, inbox};
use serde::Deserialize;

use crate::{Graph, edges};

pub const NAME: &str = "graph.users";

#[derive(Deserialize)]
struct UserEvent {
    user_id: uuid::Uuid,
    username: Option<String>,
}

struct Consumer(Arc<Graph>);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let graph = &self.0;
        let mut tx = graph.db.begin().await?;
        if !inbox::claim(&mut tx, NAME, event).await? {
            return Ok(());
        }
        let user: UserEvent = event.decode()?;
        let id = user.user_id.to_string();
        match event.topic.as_str() {
            "identity.user.registered" | "identity.user.updated" => {
                sqlx::query(
                    "INSERT INTO known_users (id, username, active) VALUES ($1, $2, TRUE) \
                     ON CONFLICT (id) DO UPDATE SET username = $2",
                )
                .bind(&id)
                .bind(user.username.unwrap_or_default())
                .execute(&mut *tx)
                .await?;
            }
            "identity.user.suspended" | "identity.user.restored" => {
                sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
                    .bind(event.topic.ends_with("restored"))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
            "identity.user.deleted" => {
                sqlx::query("UPDATE known_users SET active = FALSE WHERE id = $1").bind(&id).execute(&mut *tx).await?;
                edges::forget_user(&mut tx, user.user_id).await?;
            }
            _ => {}
        }
        tx.commit().await?;
        graph.relay.wake();
        Ok(())
    }
}

pub fn subscription(graph: Arc<Graph>) -> platform::service::Subscription {
    platform::service::Subscription {
        consumer: NAME.to_owned(),
        topics: vec!["identity.user.>"],
        handler: Arc::new(Consumer(graph)),
    }
}
