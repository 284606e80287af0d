//! Identity's events: which users exist; a deleted user's edges go, with their events.

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{edges, users};

pub const CONSUMER: &str = "graph.users";

pub struct Users(pub Writer);

#[async_trait]
impl Ingest for Users {
    type Family = IdentityEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            IdentityEvent::UserRegistered(user) => users::upsert(change, user.user_id, &user.username).await?,
            IdentityEvent::UserUpdated(user) => users::upsert(change, user.user_id, &user.username).await?,
            IdentityEvent::UserSuspended(user) => users::set_active(change, user.user_id, false).await?,
            IdentityEvent::UserRestored(user) => users::set_active(change, user.user_id, true).await?,
            IdentityEvent::UserDeleted(user) => {
                users::set_active(change, user.user_id, false).await?;
                edges::forget_user(change, user.user_id).await?;
            }
            IdentityEvent::RoleChanged(_) | IdentityEvent::SessionEnded(_) => {}
        }
        Ok(())
    }
}
