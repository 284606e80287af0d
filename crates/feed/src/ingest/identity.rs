//! Identity's events: the names shown with posts.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{Feed, store::authors};

pub const CONSUMER: &str = "feed.users";

pub struct Authors(pub Arc<Feed>);

#[async_trait]
impl Ingest for Authors {
    type Family = IdentityEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            IdentityEvent::UserRegistered(u) => {
                authors::upsert(change, u.user_id, &u.username, &u.display_name).await?
            }
            IdentityEvent::UserUpdated(u) => authors::upsert(change, u.user_id, &u.username, &u.display_name).await?,
            _ => {}
        }
        Ok(())
    }
}
