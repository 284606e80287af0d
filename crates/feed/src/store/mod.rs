//! The feed's store: the only SQL of the service, one module per table family. The feed
//! publishes no events; its changes are still `Change`s, so a consumer's effect and its inbox
//! claim commit together.

pub mod authors;
pub mod bulk;
pub mod for_you;
pub mod graph;
pub mod likes;
pub mod posts;
pub mod readers;

use platform::{Db, Writer, events::outbox::RelayHandle};

/// The feed's database.
#[derive(Clone, Debug)]
pub struct Store {
    writer: Writer,
}

impl Store {
    pub fn new(db: Db) -> Self {
        // Nothing is published, so the relay woken after a change is nobody's.
        Self { writer: Writer::new(db, RelayHandle::default()) }
    }

    pub fn db(&self) -> &Db {
        self.writer.db()
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }
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
