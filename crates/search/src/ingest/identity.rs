//! Identity's accounts: usernames for `from:`, which accounts are active, and the people index.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{
    Indexes,
    store::{self, PersonChange},
};

pub const CONSUMER: &str = "search.users";

pub struct Users {
    pub writer: Writer,
    pub indexes: Arc<Indexes>,
}

#[async_trait]
impl Ingest for Users {
    type Family = IdentityEvent;
    type Committed = PersonChange;

    fn writer(&self) -> &Writer {
        &self.writer
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<PersonChange> {
        Ok(match event {
            IdentityEvent::UserRegistered(user) => {
                store::user_in(change, user.user_id, &user.username, &user.display_name, None).await?
            }
            IdentityEvent::UserUpdated(user) => {
                store::user_in(change, user.user_id, &user.username, &user.display_name, Some(&user.bio)).await?
            }
            IdentityEvent::UserSuspended(user) | IdentityEvent::UserDeleted(user) => {
                store::active_in(change, user.user_id, false).await?
            }
            IdentityEvent::UserRestored(user) => store::active_in(change, user.user_id, true).await?,
            _ => PersonChange::Nothing,
        })
    }

    fn committed(&self, after: PersonChange) {
        self.indexes.person(after);
    }
}
