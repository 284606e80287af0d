//! Identity's events: the people samples name and their roles; a new account tells the admins
//! (grouped: sign-ups within the window are one group); a deleted account's notifications, to
//! it and from it, go.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::identity::IdentityEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use super::{Woken, tell, wake};
use crate::{
    Notifications,
    domain::{Kind, Notice},
    store::{
        groups::{self, Taken},
        people,
    },
};

pub const CONSUMER: &str = "notifications.users";

pub struct People(pub Arc<Notifications>);

#[async_trait]
impl Ingest for People {
    type Family = IdentityEvent;
    type Committed = Woken;

    fn writer(&self) -> &Writer {
        &self.0.store
    }

    async fn apply(&self, change: &mut Change, event: IdentityEvent, envelope: &Event) -> anyhow::Result<Woken> {
        let mut woken = Woken::new();
        match event {
            IdentityEvent::UserRegistered(u) => {
                people::upsert(change, u.user_id, &u.username, &u.display_name).await?;
                people::set_role(change, u.user_id, u.role).await?;
                for admin in people::admins(change).await? {
                    let notice = Notice {
                        recipient: admin,
                        kind: Kind::SignUp,
                        actor: u.user_id,
                        post: None,
                        at_ms: envelope.occurred_at_ms,
                    };
                    woken.extend(tell(&self.0, change, notice, None).await?);
                }
            }
            IdentityEvent::UserUpdated(u) => people::upsert(change, u.user_id, &u.username, &u.display_name).await?,
            IdentityEvent::RoleChanged(r) => people::set_role(change, r.user_id, r.role).await?,
            IdentityEvent::UserSuspended(u) => people::set_active(change, u.user_id, false).await?,
            IdentityEvent::UserRestored(u) => people::set_active(change, u.user_id, true).await?,
            IdentityEvent::UserDeleted(u) => {
                woken.extend(groups::take_back(change, Taken::From { actor: u.user_id, recipient: None }).await?);
                groups::forget_recipient(change, u.user_id).await?;
                people::forget(change, u.user_id).await?;
            }
            IdentityEvent::SessionEnded(_) => {}
        }
        Ok(woken)
    }

    fn committed(&self, woken: Woken) {
        wake(&self.0, &woken);
    }
}
