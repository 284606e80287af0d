//! Identity's events: who the users are; a deleted user's posts and likes go, by the service
//! that owns them.

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::events::{Event, EventHandler};

use crate::store::{Store, known, posts};

pub const CONSUMER: &str = "content.users";

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
            IdentityEvent::UserRegistered(user) => {
                known::upsert_user(&mut change, user.user_id, &user.username, &user.display_name).await?;
            }
            IdentityEvent::UserUpdated(user) => {
                known::upsert_user(&mut change, user.user_id, &user.username, &user.display_name).await?;
            }
            IdentityEvent::UserSuspended(user) => known::set_active(&mut change, user.user_id, false).await?,
            IdentityEvent::UserRestored(user) => known::set_active(&mut change, user.user_id, true).await?,
            IdentityEvent::UserDeleted(user) => {
                known::forget_user(&mut change, user.user_id).await?;
                posts::forget_author(&mut change, user.user_id).await?;
            }
            IdentityEvent::RoleChanged(_) => {}
        }
        change.commit().await?;
        Ok(())
    }
}
