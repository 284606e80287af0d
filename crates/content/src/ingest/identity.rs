//! Identity's events: who the users are; a deleted user's posts and likes go, by the service
//! that owns them.

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{Store, known, posts};

pub const CONSUMER: &str = "content.users";

pub struct Users(pub Store);

#[async_trait]
impl Ingest for Users {
    type Family = IdentityEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        self.0.writer()
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            IdentityEvent::UserRegistered(user) => {
                known::upsert_user(change, user.user_id, &user.username, &user.display_name).await?;
            }
            IdentityEvent::UserUpdated(user) => {
                known::upsert_user(change, user.user_id, &user.username, &user.display_name).await?;
                known::set_avatar(change, user.user_id, user.avatar_media_id.as_deref()).await?;
            }
            IdentityEvent::UserSuspended(user) => known::set_active(change, user.user_id, false).await?,
            IdentityEvent::UserRestored(user) => known::set_active(change, user.user_id, true).await?,
            IdentityEvent::UserDeleted(user) => {
                known::forget_user(change, user.user_id).await?;
                posts::forget_author(change, user.user_id).await?;
            }
            IdentityEvent::RoleChanged(_) | IdentityEvent::SessionEnded(_) => {}
        }
        Ok(())
    }
}
