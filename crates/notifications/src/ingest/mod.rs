//! The events notifications learn from, one consumer per family: content's (mentions,
//! replies, reposts, likes, new posts for "notify me", hidden posts; deletions take back),
//! graph's (follows; blocks and mutes silence and take back) and identity's (people, roles,
//! sign-ups for admins; a deleted account's notifications go). Each decides who is told what,
//! and [`tell`] applies the rules every notice passes.

pub mod content;
pub mod graph;
pub mod identity;

use std::sync::Arc;

use platform::Change;
use uuid::Uuid;

use crate::{
    Notifications,
    domain::{Notice, NotificationsError},
    store::{
        groups::{self, Changed},
        people::{self, PostFacts},
        preferences,
    },
};

/// Tells `notice` unless a rule forbids it: nobody is told what they did themselves, inactive
/// accounts are told nothing and tell nothing, nothing comes from someone the recipient
/// silenced (or who blocked them), nothing about a post the recipient may not see (moderation's
/// notices excepted: see `Kind::is_moderation`), nothing of a kind the recipient turned off.
/// The group that changed, if any.
pub(crate) async fn tell(
    service: &Notifications,
    change: &mut Change,
    notice: Notice,
    post: Option<&PostFacts>,
) -> Result<Option<Changed>, NotificationsError> {
    let moderation = notice.kind.is_moderation();
    if notice.is_self() || !people::is_active(change, notice.recipient).await? {
        return Ok(None);
    }
    if !moderation {
        if !people::is_active(change, notice.actor).await?
            || people::silenced(change, notice.recipient, notice.actor).await?
        {
            return Ok(None);
        }
        if let Some(post) = post
            && !people::may_see(change.conn(), notice.recipient, post).await?
        {
            return Ok(None);
        }
    }
    let preference = preferences::of(change, notice.recipient, notice.kind).await?;
    if !preference.enabled {
        return Ok(None);
    }
    groups::record(change, &notice, preference.grouped, service.config.window_ms()).await
}

/// Wakes this process's live streams of the recipients whose groups changed.
pub(crate) fn wake(service: &Arc<Notifications>, changed: &[Changed]) {
    for change in changed {
        let _ = service.live.send(change.recipient);
    }
}

/// The recipients whose groups changed.
pub(crate) type Woken = Vec<Changed>;

pub(crate) fn nobody() -> Uuid {
    Uuid::nil()
}
