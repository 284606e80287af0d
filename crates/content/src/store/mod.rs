//! Content's store: the only SQL of the service, one module per table family, and the media
//! bytes (`media`). A change that writes is one `Change` (its rows and its events), opened and
//! committed here.

pub mod blob_claims;
pub mod crawled;
pub mod idempotency;
pub mod known;
pub mod media;
pub mod moderation_log;
pub mod nodes;
pub mod posts;
pub mod reports;
pub mod uploads;

use std::sync::Arc;

use contracts::PostIdGenerator;
use platform::{Db, Writer};

/// Content's database, the way to change it, and the maker of post ids.
#[derive(Clone, Debug)]
pub struct Store {
    writer: Writer,
    ids: Arc<PostIdGenerator>,
}

impl Store {
    pub fn new(writer: Writer, ids: Arc<PostIdGenerator>) -> Self {
        Self { writer, ids }
    }

    pub fn db(&self) -> &Db {
        self.writer.db()
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }

    pub(crate) fn ids(&self) -> &PostIdGenerator {
        &self.ids
    }
}
