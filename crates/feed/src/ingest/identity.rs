//! Identity's events: the names shown with posts.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::events::{Event, EventHandler};

use crate::{Feed, store::authors};

pub const CONSUMER: &str = "feed.users";

pub struct Consumer(pub Arc<Feed>);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let feed = &self.0;
        let Some(decoded) = event.decode::<IdentityEvent>(CONSUMER)? else { return Ok(()) };
        let (user, username, display_name) = match decoded {
            IdentityEvent::UserRegistered(u) => (u.user_id, u.username, u.display_name),
            IdentityEvent::UserUpdated(u) => (u.user_id, u.username, u.display_name),
            _ => return Ok(()),
        };
        let mut change = feed.store.writer().begin().await?;
        if !change.claim(CONSUMER, event).await? {
            return Ok(());
        }
        authors::upsert(&mut change, user, &username, &display_name).await?;
        change.commit().await?;
        Ok(())
    }
}
