//! Identity's accounts: usernames for `from:`, and which accounts are active.

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store;

pub const CONSUMER: &str = "search.users";

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
            IdentityEvent::UserRegistered(user) => store::user_in(change, user.user_id, &user.username).await?,
            IdentityEvent::UserUpdated(user) => store::user_in(change, user.user_id, &user.username).await?,
            IdentityEvent::UserSuspended(user) | IdentityEvent::UserDeleted(user) => {
                store::active_in(change, user.user_id, false).await?
            }
            IdentityEvent::UserRestored(user) => store::active_in(change, user.user_id, true).await?,
            _ => {}
        }
        Ok(())
    }
}
