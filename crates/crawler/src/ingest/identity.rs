//! Identity's events: the final username of each source's account; a deleted account's source
//! is disabled, and a deleted user's subscriptions go.

use async_trait::async_trait;
use contracts::{AccountKind, identity::IdentityEvent};
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{sources, subscriptions};

pub const CONSUMER: &str = "crawler.accounts";

pub struct Accounts(pub Writer);

#[async_trait]
impl Ingest for Accounts {
    type Family = IdentityEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            IdentityEvent::UserRegistered(user) if user.kind == AccountKind::Source => {
                sources::set_username_in(change, user.user_id, &user.username).await?;
            }
            IdentityEvent::UserDeleted(user) => {
                sources::account_deleted_in(change, user.user_id).await?;
                subscriptions::forget_user_in(change, user.user_id).await?;
            }
            _ => {}
        }
        Ok(())
    }
}
