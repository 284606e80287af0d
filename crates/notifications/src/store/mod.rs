//! Notifications' store: the only SQL of the service. `people` holds its copies of the other
//! services' facts (people, follows, silenced pairs, posts); `groups` the notifications and
//! their groups; `preferences` what each recipient wants. Notifications publish no events;
//! changes are still `Change`s, so a consumer's effect and its inbox claim commit together.

pub mod groups;
pub mod people;
pub mod preferences;

#[cfg(test)]
mod tests;

/// Notifications' database and the way to change it.
pub type Store = platform::Writer;

/// The store over `db`. Nothing is published, so the relay a change wakes is nobody's.
pub fn over(db: platform::Db) -> Store {
    platform::Writer::new(db, platform::events::outbox::RelayHandle::default())
}

/// A post id as the tables keep it (0: no post).
pub(crate) fn post_key(post: Option<contracts::PostId>) -> i64 {
    post.map_or(0, |p| p.get() as i64)
}
