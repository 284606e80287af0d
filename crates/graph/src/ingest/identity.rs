//! Identity's events: which users exist; a deleted user's edges go, with their events.

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::events::{Event, EventHandler};

use crate::store::{Store, edges, users};

pub const CONSUMER: &str = "graph.users";

pub struct Consumer(pub Store);

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let Some(decoded) = event.decode::<IdentityEvent>(CONSUMER)? else { return Ok(()) };
        let mut change = self.0.writer().begin().await?;
        if !change.claim(CONSUMER, event).await? {
            return Ok(());
        }
        match decoded {
            IdentityEvent::UserRegistered(user) => users::upsert(&mut change, user.user_id, &user.username).await?,
            IdentityEvent::UserUpdated(user) => users::upsert(&mut change, user.user_id, &user.username).await?,
            IdentityEvent::UserSuspended(user) => users::set_active(&mut change, user.user_id, false).await?,
            IdentityEvent::UserRestored(user) => users::set_active(&mut change, user.user_id, true).await?,
            IdentityEvent::UserDeleted(user) => {
                users::set_active(&mut change, user.user_id, false).await?;
                edges::forget_user(&mut change, user.user_id).await?;
            }
            IdentityEvent::RoleChanged(_) => {}
        }
        change.commit().await?;
        Ok(())
    }
}
