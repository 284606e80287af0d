//! Identity's events: the names shown with posts (gone with a deleted account), suspended
//! accounts (whose posts no stream shows), and new accounts, active from the start.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{
    Feed,
    store::{authors, media, readers},
};

pub const CONSUMER: &str = "feed.users";

pub struct Authors(pub Arc<Feed>);

#[async_trait]
impl Ingest for Authors {
    type Family = IdentityEvent;
    /// Whether the names shown with posts changed.
    type Committed = bool;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, _: &Event) -> anyhow::Result<bool> {
        match event {
            IdentityEvent::UserRegistered(u) => {
                authors::upsert(change, u.user_id, &u.username, &u.display_name).await?;
                readers::registered(change, u.user_id, platform::db::now_ms()).await?;
            }
            IdentityEvent::UserUpdated(u) => {
                authors::upsert(change, u.user_id, &u.username, &u.display_name).await?;
                return Ok(true);
            }
            IdentityEvent::UserDeleted(u) => {
                authors::forget(change, u.user_id).await?;
                media::forget_owner(change, u.user_id).await?;
                return Ok(true);
            }
            IdentityEvent::UserSuspended(u) => suspended(self, change, u.user_id, true).await?,
            IdentityEvent::UserRestored(u) => suspended(self, change, u.user_id, false).await?,
            _ => {}
        }
        Ok(false)
    }

    /// Cached posts carry their authors' names: a rename (rare) drops them all here, and other
    /// replicas show it within `cache::POSTS_FRESH_FOR`.
    fn committed(&self, names_changed: bool) {
        if names_changed {
            self.0.caches.posts.clear();
        }
    }
}

async fn suspended(authors: &Authors, change: &mut Change, user: uuid::Uuid, on: bool) -> anyhow::Result<()> {
    authors::set_suspended(change, user, on).await?;
    // This process shows the change at once; other replicas within `SUSPENDED_FRESH_FOR`.
    authors.0.caches.suspended.remove(&());
    Ok(())
}
