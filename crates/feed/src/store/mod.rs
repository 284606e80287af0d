//! The feed's store: the only SQL of the service, one module per table family. The feed
//! publishes no events; its changes are still `Change`s, so a consumer's effect and its inbox
//! claim commit together.

pub mod authors;
pub mod bulk;
pub mod for_you;
pub mod graph;
pub mod likes;
pub mod media;
pub mod posts;
pub mod readers;
pub mod tags;

/// The feed's database and the way to change it.
pub type Store = platform::Writer;

/// The feed's store over `db`. Nothing is published, so the relay a change wakes is nobody's.
pub fn over(db: platform::Db) -> Store {
    platform::Writer::new(db, platform::events::outbox::RelayHandle::default())
}

/// Ids in the `id` column of `rows`.
pub(crate) fn post_ids(rows: &[sqlx::any::AnyRow]) -> Result<Vec<contracts::PostId>, platform::StoreError> {
    use platform::db::RowExt;
    rows.iter().map(|r| r.post_id("id")).collect()
}

/// Users in the `user_id` column of `rows`.
pub(crate) fn user_ids(rows: &[sqlx::any::AnyRow]) -> Result<Vec<uuid::Uuid>, platform::StoreError> {
    use platform::db::RowExt;
    rows.iter().map(|r| r.uuid("user_id")).collect()
}

#[cfg(test)]
mod tests;
